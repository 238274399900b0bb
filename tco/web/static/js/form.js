// The form and the scenario JSON: reading it, writing a scenario back into it, which fields take
// part, the rental choices that follow the GPU, and messages next to the fields.
import { $, form, pageOptions } from "./dom.js";
import { defaultText, fieldText, fmtVolumeExact, parseNumberField, sig } from "./format.js";

export const mode = () => $("f-ui-mode").value;
export const customPrices = () => $("f-ui-custom-prices").checked;
const hosting = () => form.querySelector('input[name="open.hosting"]:checked').value;
const modesOf = (el) => el.dataset.modes.split(" ");

/** obj.a.b = value for path "a.b", making the objects on the way. */
export function setPath(obj, path, value) {
  const parts = path.split(".");
  let o = obj;
  for (let i = 0; i < parts.length - 1; i++) o = (o[parts[i]] = o[parts[i]] || {});
  o[parts[parts.length - 1]] = value;
}

/** obj.a.b for path "a.b"; undefined when any step is missing. */
export function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o && k in o ? o[k] : undefined), obj);
}

/** How a scenario gives its volume: images (per month), seats, requests (per day) or tokens (per month). */
export function volumeMode(scenario) {
  const w = scenario.workload || {};
  if (w.images_per_month !== undefined) return "images";
  return w.seats !== undefined ? "seats" : (w.requests_per_day !== undefined ? "requests" : "tokens");
}

/** Whether an input belongs to the volume mode chosen (inputs of no mode belong to every one). */
export function inMode(el) {
  const m = el.closest(".mode-field");
  return !(m && !modesOf(m).includes(mode()));
}

/** Whether an input takes part in the scenario, given the mode and the toggles. */
export function active(el) {
  return !el.closest("[hidden]") && inMode(el);
}

/** A field's default as it shows it ("" for none). */
export const displayDefault = (el) => defaultText(el.dataset.kind, el.dataset.default);

/** Show the fields of the mode and the toggles, hide the others. */
export function refreshVisibility() {
  document.querySelectorAll(".mode-field").forEach((el) => { el.hidden = !modesOf(el).includes(mode()); });
  form.querySelector('[data-group="closed-catalog"]').hidden = customPrices();
  form.querySelector('[data-group="closed-custom"]').hidden = !customPrices();
  form.querySelectorAll('[data-group="cloud"]').forEach((g) => { g.hidden = hosting() !== "cloud"; });
  form.querySelectorAll('[data-group="owned"]').forEach((g) => { g.hidden = hosting() !== "owned"; });
  refreshPeak();
  refreshLatencyHelp();
}

// A named load shape has its own peak: the peak-to-average field then does nothing, so it says so.
function refreshPeak() {
  const shape = $("f-workload-load_profile");
  const help = $("f-workload-peak_to_average-help");
  if (!help.dataset.text) help.dataset.text = help.textContent;
  const preset = shape.value !== "";
  $("f-workload-peak_to_average").disabled = preset;
  if (!preset) { help.textContent = help.dataset.text; return; }
  const p = pageOptions().load_peaks[shape.value];
  help.textContent = p !== undefined
    ? `Set by the load shape (${shape.selectedOptions[0].textContent.split(" (")[0]}): ${sig(p, 3)}×.`
    : "Set by the load shape.";
}

// The latency fields say which target a blank leaves in force (the serving use's).
function refreshLatencyHelp() {
  const use = pageOptions().uses[$("f-open-serving_use").value] || {};
  [["f-open-max_time_per_output_token_s", use.tpot_s], ["f-open-max_time_to_first_token_s", use.ttft_s]]
    .forEach(([id, s]) => {
      $(id).placeholder = s === null || s === undefined ? "no target" : `${sig(s * 1000, 4)} (the use's)`;
    });
}

/** A field's unit as its label shows it ("%", "ms", "USD/GPU-hour"); "" for none. */
export const fieldUnit = (el) => el.dataset.unit || "";

const withUnit = (n, unit) => (unit ? `${n} ${unit}` : `${n}`);

/** The range a field takes, in the units it shows: "at most 100 %", "between 1 and 100 %". */
export function rangeText(el) {
  const lo = el.dataset.min, hi = el.dataset.max, unit = fieldUnit(el);
  if (lo !== undefined && hi !== undefined) return `between ${sig(lo, 6)} and ${withUnit(sig(hi, 6), unit)}`;
  if (hi !== undefined) return `at most ${withUnit(sig(hi, 6), unit)}`;
  if (lo !== undefined) return `at least ${withUnit(sig(lo, 6), unit)}`;
  return "";
}

/** A typed number outside the field's range, in the field's own units ("at most 100 %", not "at most 1.0"):
 *  the message, or "" when it is within. `shown` is the number as the field shows it. */
export function rangeError(el, shown) {
  const lo = el.dataset.min, hi = el.dataset.max, unit = fieldUnit(el);
  if (hi !== undefined && shown > Number(hi)) return `Must be at most ${withUnit(sig(hi, 6), unit)}.`;
  if (lo !== undefined && shown < Number(lo)) return `Must be at least ${withUnit(sig(lo, 6), unit)}.`;
  return "";
}

// A number typed in milliseconds, sent in seconds.
function parseField(kind, raw) {
  if (kind !== "ms") return parseNumberField(kind, raw);
  const r = parseNumberField("number", raw);
  return r.error ? r : { value: r.value / 1000 };
}

/** Read the form into {scenario (the API's JSON), errors ({path: message} of the fields the page
 *  itself rejects)}. */
export function readForm() {
  const scenario = { workload: {}, closed: {}, open: {}, finance: {} };
  const errors = {};
  form.querySelectorAll("[data-path]").forEach((el) => {
    if (!active(el) || el.disabled) return;
    const path = el.dataset.path;
    const kind = el.dataset.kind;
    if (kind === "radio") { if (el.checked) setPath(scenario, path, el.value); return; }
    const raw = el.value.trim();
    if (raw === "") return;
    // A default of the defaults table, as shown and left unchanged, is left out: the API takes it
    // from the table (to the cent, not as rounded for display) and cites its source as a default.
    if (el.dataset.tableDefault && raw === displayDefault(el)) return;
    if (kind === "select" && raw.startsWith("[")) {       // 24 hourly weights (a load profile)
      try { setPath(scenario, path, JSON.parse(raw)); } catch (e) { errors[path] = "Not a list of numbers."; }
      return;
    }
    if (kind === "select" && path === "closed.seat_product") {
      const [id, term] = raw.split("|");
      setPath(scenario, path, id);
      setPath(scenario, "closed.billing_term", term);
      return;
    }
    if (kind === "select" && path === "closed.image_model") {
      const [id, size, quality] = raw.split("|");
      setPath(scenario, path, id);
      if (size) setPath(scenario, "closed.image_size", size);
      if (quality) setPath(scenario, "closed.image_quality", quality);
      return;
    }
    if (kind === "select" || kind === "date") { setPath(scenario, path, raw); return; }
    const { value, error } = parseField(kind, raw);
    const shown = kind === "percent" ? value * 100 : (kind === "ms" ? value * 1000 : value);
    const outside = error ? "" : rangeError(el, shown);
    if (error || outside) errors[path] = error || outside;
    else setPath(scenario, path, value);
  });
  // A GPU no provider rents (the provider list is empty): say so, rather than let the API guess a provider.
  if (hosting() === "cloud" && $("f-open-provider").value === "" && scenario.open.usd_per_gpu_hour === undefined) {
    errors["open.gpu"] = "No provider in the catalog rents this GPU: choose another, buy servers, or type a GPU price.";
  }
  if (customPrices()) delete scenario.closed.model;
  else { delete scenario.closed.input_usd_per_mtok; delete scenario.closed.output_usd_per_mtok; }
  if (scenario.horizon_months !== undefined) scenario.horizon_months = Math.round(scenario.horizon_months);
  return { scenario, errors };
}

/** A select's option for a value the page does not list (a load profile's weights, an id from
 *  another catalog): added and chosen, so the value stays visible. */
export function keepOption(el, value) {
  el.add(new Option(value.startsWith("[") ? "custom (24 hourly weights)" : value, value, true, true));
}

/** Put a scenario (as saved or shared) back into the form. */
export function writeForm(s) {
  $("f-ui-mode").value = volumeMode(s);
  refreshVisibility();
  $("f-ui-custom-prices").checked = !(s.closed && s.closed.model) && !!(s.closed && s.closed.input_usd_per_mtok !== undefined);
  form.querySelectorAll("[data-path]").forEach((el) => {
    if (!inMode(el)) return;                 // the other mode's twin of a field (open.model of images)
    const path = el.dataset.path;
    const kind = el.dataset.kind;
    let v = getPath(s, path);
    if (kind === "radio") { if (v !== undefined) el.checked = el.value === v; return; }
    if (path === "closed.seat_product" && v !== undefined) {
      v = v + "|" + ((s.closed && s.closed.billing_term) || "annual");
    }
    if (path === "closed.image_model" && v !== undefined) {
      v = [v, (s.closed && s.closed.image_size) || "1024x1024", (s.closed && s.closed.image_quality) || "any"].join("|");
    }
    if (v === undefined || v === null) {
      if (el.dataset.default !== undefined) el.value = displayDefault(el);
      else if (el.tagName === "SELECT" && path === "workload.load_profile") el.value = "";
      return;
    }
    const text = Array.isArray(v) ? JSON.stringify(v) : (kind === "ms" ? sig(v * 1000, 12) : fieldText(kind, v));
    el.value = text;
    if (kind === "select" && el.value !== text && path !== "closed.seat_product" && path !== "closed.image_model") {
      keepOption(el, text);
    }
  });
  refreshProviders(s.open && s.open.provider, s.open && s.open.term);
  refreshVisibility();
  syncPrecision(getPath(s, "open.precision") === undefined ? "force" : "keep");
}

// ------------------------------------------------------------------ providers and terms follow the GPU

/** The providers renting `gpu` (rates as in #tco-options), each labelled with its cheapest rate. */
export function providerChoices(rates, gpu) {
  const here = rates.filter((r) => r.gpu === gpu);
  return [...new Map(here.map((r) => [r.provider, r.name])).entries()].map(([id, name]) => {
    const cheapest = Math.min(...here.filter((r) => r.provider === id).map((r) => r.usd));
    return { value: id, label: `${name} — from $${cheapest.toFixed(2)}/GPU-h` };
  });
}

/** The terms one provider rents `gpu` on, each with its rate. */
export function termChoices(rates, gpu, provider) {
  return rates.filter((r) => r.gpu === gpu && r.provider === provider)
    .map((r) => ({ value: r.term, label: `${r.term.replace(/_/g, " ")} — $${r.usd.toFixed(2)}/GPU-h` }));
}

function fillSelect(sel, choices, want) {
  sel.innerHTML = "";
  choices.forEach((c) => sel.add(new Option(c.label, c.value)));
  if (choices.some((c) => c.value === want)) sel.value = want;
}

/** The GPUs a cloud rents (the catalog has a rate for): the others are hidden from the GPU picker
 *  while renting at the catalog's rates (a typed GPU price prices any GPU). A choice made before
 *  (a link, a saved scenario) stays chosen, and the page says that no provider rents it.
 *  Returns the GPU ids rented. */
export function filterGpus() {
  const rented = new Set(pageOptions().rates.map((r) => r.gpu));
  const catalogRate = hosting() === "cloud" && $("f-open-usd_per_gpu_hour").value.trim() === "";
  $("f-open-gpu").querySelectorAll("option").forEach((o) => { o.hidden = catalogRate && !rented.has(o.value); });
  return rented;
}

/** The provider and term selects for the GPU chosen; keeps (or picks) wantProvider / wantTerm. */
export function refreshProviders(wantProvider, wantTerm) {
  filterGpus();
  const gpu = $("f-open-gpu").value;
  const provSel = $("f-open-provider");
  const termSel = $("f-open-term");
  const rates = pageOptions().rates;
  const providers = providerChoices(rates, gpu);
  fillSelect(provSel, providers.length ? providers : [{ value: "", label: "no rental price for this GPU" }],
             wantProvider || provSel.value);
  fillSelect(termSel, termChoices(rates, gpu, provSel.value), wantTerm || termSel.value);
}

// ------------------------------------------------------------------ the closed-model search

/** Show only the closed models whose label or id holds `query`; when the model chosen is hidden,
 *  choose the first shown. Returns whether the choice changed. */
export function filterClosedModels(query) {
  const q = query.trim().toLowerCase();
  const sel = $("f-closed-model");
  let first = null;
  sel.querySelectorAll("option").forEach((o) => {
    const hit = !q || o.textContent.toLowerCase().includes(q) || o.value.includes(q);
    o.hidden = !hit;
    if (hit && !first) first = o;
  });
  sel.querySelectorAll("optgroup").forEach((g) => {
    g.hidden = ![...g.querySelectorAll("option")].some((o) => !o.hidden);
  });
  if (first && sel.selectedOptions[0] && sel.selectedOptions[0].hidden) { sel.value = first.value; return true; }
  return false;
}

// ------------------------------------------------------------------ errors next to fields

/** Remove every field's message and the banner. */
export function clearErrors() {
  form.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  $("banner").hidden = true;
}

// The active field a path names (or its first two parts name), else any field of that path.
function fieldOf(path) {
  const find = (p) => [...form.querySelectorAll(`[data-path="${CSS.escape(p)}"]`)];
  const all = [...find(path), ...find(path.split(".").slice(0, 2).join("."))];
  return all.find(active) || all[0] || null;
}

/** What the page calls a field the API names: its label ("Input share"), else the path in words
 *  ("open.gpus_per_server" -> "gpus per server"). */
export function fieldLabel(path) {
  const el = fieldOf(path);
  const label = el && el.id ? form.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
  if (label) return label.firstChild.textContent.trim();
  const legend = el && el.closest("fieldset") ? el.closest("fieldset").querySelector("legend") : null;
  if (legend) return legend.textContent.trim();
  const last = String(path).split(".").pop();
  return last.replace(/_usd_per_[a-z_]+$|_usd$|_s$/, "").replace(/_/g, " ");
}

// An API range message ("Must be greater than or equal to 0.0 and less than or equal to 1.0.") in
// the units the field shows (percent, milliseconds) when the field knows its whole range; any other
// message as it is (a plain number's range is already in the field's units).
function inFieldUnits(el, message) {
  if (!el || !["percent", "ms"].includes(el.dataset.kind) || el.dataset.min === undefined
      || el.dataset.max === undefined || !/greater|less|>=|<=|\brange\b/i.test(message)) return message;
  return `Must be ${rangeText(el)}.`;
}

/** Each {path, message} next to the field it names (opening the Assumptions when it is there), in the
 *  field's units; the ones no visible field matches go to the banner, named by the field's label. */
export function showErrors(list) {
  const unplaced = [];
  list.forEach(({ path, message }) => {
    const el = fieldOf(path);
    if (el && active(el)) {
      el.setAttribute("aria-invalid", "true");
      el.closest(".field").querySelector(".field-error").textContent = inFieldUnits(el, message);
      const details = el.closest("details");
      if (details) details.open = true;
    } else {
      unplaced.push(path === "network" || path === "request" ? message : `${fieldLabel(path)}: ${inFieldUnits(el, message)}`);
    }
  });
  if (unplaced.length) {
    $("banner").textContent = unplaced.join(" · ");
    $("banner").hidden = false;
  }
}

// ------------------------------------------------------------------ the precision follows the model and GPU

/** The precision the API takes for an open model and a GPU (their ids) when none is given
 *  (tco.defaults.fill_defaults): weights published below 8 bits as published (gpt-oss: mxfp4), else
 *  the defaults table's (fp8) where the GPU has its tensor cores, else bf16.  The server computes
 *  both halves (`kept_precision` of each model, `default_precision` of each GPU in #tco-options).
 *  The form's select and the compare panel's (compare.js) both start there. */
export function precisionDefault(modelId, gpuId) {
  const o = pageOptions();
  const model = [...o.models, ...o.image_models].find((m) => m.id === modelId);
  const gpu = o.gpus.find((g) => g.id === gpuId);
  return (model && model.kept_precision) || (gpu && gpu.default_precision) || "fp8";
}

/** The default precision of the form's open model (the mode's) and GPU. */
export function defaultPrecision() {
  const pick = [$("f-open-model"), $("f-open-image-model")].find((el) => el && inMode(el));
  return precisionDefault(pick && pick.value, $("f-open-gpu").value);
}

/** Set a precision select from its default `want`: "follow" (a model or GPU picked) moves it to the new
 *  default while it still shows the old one, so a precision the user chose stays; "force" sets it
 *  (a scenario without a precision); "keep" only notes the default (a scenario that gives one). */
export function followPrecision(el, want, how = "follow") {
  if (how === "force" || (how === "follow" && el.value === el.dataset.shownDefault)) el.value = want;
  el.dataset.shownDefault = want;
}

/** The form's precision select from the default of its model and GPU (see followPrecision). */
export const syncPrecision = (how = "follow") => followPrecision($("f-open-precision"), defaultPrecision(), how);

// ------------------------------------------------------------------ a workload from elsewhere (a usage export)

function setField(path, text) {
  const f = form.querySelector(`[data-path="${CSS.escape(path)}"]`);
  f.value = text;
  f.classList.remove("filled");
  void f.offsetWidth;                        // restart the highlight
  f.classList.add("filled");
}

/** The API's workload of a usage export (input and output tokens of the last month, shares,
 *  growth, prompt length) into the form, each field filled briefly highlighted. */
export function fillWorkload(w) {
  const tokens = w.input_tokens_per_month + w.output_tokens_per_month;
  $("f-ui-mode").value = "tokens";
  setField("workload.tokens_per_month", fmtVolumeExact(tokens));
  if (tokens > 0) setField("workload.input_share", sig(100 * w.input_tokens_per_month / tokens, 4));
  if (w.monthly_growth !== undefined && w.monthly_growth !== null) {
    setField("workload.monthly_growth", sig(100 * w.monthly_growth, 3));
  }
  if (w.cached_input_share !== undefined) setField("workload.cached_input_share", sig(100 * w.cached_input_share, 3));
  if (w.batch_share !== undefined) setField("workload.batch_share", sig(100 * w.batch_share, 3));
  if (w.input_tokens_per_request) setField("workload.input_tokens_per_request", String(Math.round(w.input_tokens_per_request)));
  refreshVisibility();
}
