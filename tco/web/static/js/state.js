// The page's state: body[data-state], the stale mark on the results, the timings of the last
// update, and the URL, which holds the form so that a link reopens the same scenario.
import { $, form } from "./dom.js";
import { active, customPrices, displayDefault, inMode, keepOption, mode, refreshProviders, syncPrecision } from "./form.js";

/** body[data-state]: pending (an update is scheduled) | busy (asking the API) | ready | invalid | offline. */
export const setPageState = (state) => { document.body.dataset.state = state; };
export const pageState = () => document.body.dataset.state;

/** Grey the results out while they do not match the form. */
export const setStale = (stale) => { document.querySelector(".results").classList.toggle("stale", stale); };

/** What the last update took [ms]: the API's answer, the numbers, the drawing, the uncertainty panel. */
export const timings = window.tcoTimings = { api: null, numbers: null, render: null, uncertainty: null };

/** The form's state as a query string: the volume mode, "custom=1" for typed prices, then each
 *  [path, text] of `fields` as given (field texts, not parsed: "2.5B" stays "2.5B"). */
export function encodeState({ mode: volumeMode, custom, fields }) {
  const p = new URLSearchParams();
  p.set("mode", volumeMode);
  if (custom) p.set("custom", "1");
  for (const [path, text] of fields) p.set(path, text);
  return p.toString();
}

/** A query string back into {mode (null if absent), custom, fields: Map path -> text};
 *  null for an empty query (the default view). */
export function decodeState(search) {
  const p = new URLSearchParams(search);
  if (![...p.keys()].length) return null;
  const fields = new Map();
  for (const [k, v] of p) if (k !== "mode" && k !== "custom" && !fields.has(k)) fields.set(k, v);
  return { mode: p.get("mode"), custom: p.get("custom") === "1", fields };
}

// The fields that take part, as typed; those left at their default are left out (volumes excepted).
function formFields() {
  const out = [];
  form.querySelectorAll("[data-path]").forEach((el) => {
    if (!active(el) || el.disabled) return;
    if (el.dataset.kind === "radio") { if (el.checked) out.push([el.dataset.path, el.value]); return; }
    const v = el.value.trim();
    if (v === "") return;
    if (el.dataset.default !== undefined && v === displayDefault(el) && el.dataset.kind !== "volume") return;
    out.push([el.dataset.path, v]);
  });
  return out;
}

/** The form into the address bar (no new history entry). */
export function writeUrl() {
  history.replaceState(null, "", "?" + encodeState({ mode: mode(), custom: customPrices(), fields: formFields() }));
}

/** The address bar's state into the form; false when it holds none. */
export function readUrl() {
  const s = decodeState(location.search);
  if (!s) return false;
  if (s.mode) $("f-ui-mode").value = s.mode;
  $("f-ui-custom-prices").checked = s.custom;
  if (s.fields.get("open.gpu")) $("f-open-gpu").value = s.fields.get("open.gpu");
  refreshProviders(s.fields.get("open.provider"), s.fields.get("open.term"));
  form.querySelectorAll("[data-path]").forEach((el) => {
    const v = s.fields.get(el.dataset.path);
    if (v === undefined || !inMode(el)) return;   // not the other mode's twin (open.model of images)
    if (el.dataset.kind === "radio") { el.checked = el.value === v; return; }
    el.value = v;
    if (el.tagName === "SELECT" && el.value !== v) keepOption(el, v);
  });
  refreshProviders(s.fields.get("open.provider"), s.fields.get("open.term"));
  syncPrecision(s.fields.has("open.precision") ? "keep" : "follow");   // a link's precision stays
  return true;
}
