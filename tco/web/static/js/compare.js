// The "Compare options" panel: the user adds options (closed models, seat products, deployments,
// image APIs, hybrid plans) from the catalog's pickers; POST /api/v1/compare prices them all on the page's
// workload; the panel shows them ranked by NPV, every option's cumulative cost, the steady cost
// against volume with the cheapest option per band shaded, and each option's break-even against
// the cheapest. The options take the page's assumptions (staff, setup, discount, ...) at each request.
import { errorList, postJSON } from "./api.js";
import { PLOT_CONFIG } from "./charts.js";
import { $, make, pageOptions } from "./dom.js";
import { followPrecision, precisionDefault, readForm } from "./form.js";
import { currentCurrency, fmtUsd, fmtVolume, sig } from "./format.js";

export const COMPARE_URL = "/api/v1/compare";
const MAX_OPTIONS = 12;
const DEBOUNCE_MS = 400;
const RETRY_S = 2;            // after a 503 (the service's TCO_HEAVY_WAIT_S default)
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf", "#393b79", "#637939"];
/** Closed-side fields that choose what is priced; the page's other closed fields (discount, ...) are kept. */
const CLOSED_CHOICE = ["model", "seat_product", "billing_term", "input_usd_per_mtok", "output_usd_per_mtok",
                       "image_model", "image_size", "image_quality", "usd_per_image"];

const options = [];           // each {kind, closed?, open?, text}: what the user picked
let seq = 0;
let timer = null;
let last = null;              // the last answer drawn (drawn again when the currency changes)

const setState = (state) => { $("compare").dataset.state = state; };

// ------------------------------------------------------------------ pickers from the catalog

function fill(sel, choices) {
  sel.replaceChildren(...choices.map(([value, text]) => new Option(text, value)));
}

/** The open models: text models, and image models for the page's image workloads. */
function fillOpenModels() {
  const sel = $("f-cmp-open-model");
  sel.replaceChildren();
  for (const [label, rows] of [["text models", pageOptions().models], ["image models", pageOptions().image_models]]) {
    const group = document.createElement("optgroup");
    group.label = label;
    rows.forEach((r) => group.append(new Option(r.label, r.id)));
    sel.append(group);
  }
}

function fillModels() {
  const sel = $("f-cmp-model");
  sel.replaceChildren();
  for (const [provider, rows] of Object.entries(pageOptions().api)) {
    const group = document.createElement("optgroup");
    group.label = provider;
    rows.forEach((r) => group.append(new Option(r.label, r.id)));
    sel.append(group);
  }
}

/** Provider and term pairs renting the chosen GPU, cheapest first, priced in the page's currency (the
 *  pair picked stays picked when the list is written again). */
function fillRates() {
  const gpu = $("f-cmp-gpu").value;
  const sel = $("f-cmp-rate");
  const keep = sel.value;
  const rows = pageOptions().rates.filter((r) => r.gpu === gpu).sort((a, b) => a.usd - b.usd);
  fill(sel, rows.map((r) => [`${r.provider}|${r.term}`,
    `${r.name}, ${r.term.replace("_", " ")}: ${fmtUsd(r.usd)}/GPU-hour`]));
  if (rows.some((r) => `${r.provider}|${r.term}` === keep)) sel.value = keep;
}

/** The rental terms the catalog has for a GPU at a provider, in the catalog's order. */
export const rentalTerms = (gpu, provider) => pageOptions().rates
  .filter((r) => r.gpu === gpu && r.provider === provider).map((r) => r.term);

/** The precision select starts where the API's default does for the picked model and GPU, and follows
 *  them while it shows that default (the page form's rule: form.js followPrecision). */
const syncCmpPrecision = (how = "follow") => followPrecision($("f-cmp-precision"),
  precisionDefault($("f-cmp-open-model").value, $("f-cmp-gpu").value), how);

function refreshPickers() {
  const kind = $("f-cmp-kind").value;
  document.querySelectorAll("#compare-add [data-cmp]").forEach((el) => {
    el.hidden = !el.dataset.cmp.split(" ").includes(kind)
      || (el.hasAttribute("data-cmp-cloud") && $("f-cmp-hosting").value === "owned");
  });
  $("btn-cmp-add").disabled = options.length >= MAX_OPTIONS
    || (["self_hosted", "hybrid"].includes(kind) && $("f-cmp-hosting").value === "cloud" && !$("f-cmp-rate").value);
  $("btn-cmp-terms").disabled = options.length >= MAX_OPTIONS || !$("f-cmp-rate").value;
}

function pickedOpen() {
  const open = { model: $("f-cmp-open-model").value, gpu: $("f-cmp-gpu").value,
                 gpus_per_replica: Number($("f-cmp-gpus").value), precision: $("f-cmp-precision").value,
                 hosting: $("f-cmp-hosting").value };
  if (open.hosting === "cloud") [open.provider, open.term] = $("f-cmp-rate").value.split("|");
  return open;
}

const selectedText = (id) => $(id).selectedOptions[0].textContent.split(" — ")[0];

function openText(o) {
  const where = o.hosting === "owned" ? "owned" : `${o.provider}, ${o.term.replace("_", " ")}`;
  return `${selectedText("f-cmp-open-model")} on ${o.gpus_per_replica}x ${o.gpu} (${where})`;
}

/** The option the pickers describe. */
function picked() {
  const kind = $("f-cmp-kind").value;
  if (kind === "closed") return { kind, closed: { model: $("f-cmp-model").value }, text: selectedText("f-cmp-model") };
  if (kind === "seats") {
    const [id, term] = $("f-cmp-seat").value.split("|");
    return { kind, closed: { seat_product: id, billing_term: term }, text: selectedText("f-cmp-seat") };
  }
  if (kind === "image") {
    const [id, size, quality] = $("f-cmp-image").value.split("|");
    const closed = { image_model: id };
    if (size !== "any") closed.image_size = size;
    if (quality !== "any") closed.image_quality = quality;
    return { kind, closed, text: selectedText("f-cmp-image") };
  }
  const open = pickedOpen();
  if (kind === "self_hosted") return { kind, open, text: openText(open) };
  return { kind, closed: { model: $("f-cmp-model").value }, open,
           text: `hybrid: ${openText(open)} + ${selectedText("f-cmp-model")}` };
}

/** The picked deployment under every rental term the catalog has for its GPU at its provider. */
function everyTerm() {
  const open = pickedOpen();
  return rentalTerms(open.gpu, open.provider).map((term) => {
    const o = { ...open, term };
    return { kind: "self_hosted", open: o, text: openText(o) };
  });
}

/** The page's own two options: its closed side (a model, typed prices or a seat product) and its deployment. */
function pageTwo() {
  const { scenario } = readForm();
  const c = scenario.closed, o = scenario.open;
  const closed = Object.fromEntries(CLOSED_CHOICE.filter((k) => c[k] !== undefined).map((k) => [k, c[k]]));
  const open = Object.fromEntries(["model", "gpu", "gpus_per_replica", "precision", "hosting", "provider", "term",
                                   "billing"].filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  const kind = closed.seat_product ? "seats" : closed.image_model || closed.usd_per_image !== undefined ? "image" : "closed";
  return [{ kind, closed, text: "the page's closed option" },
          { kind: "self_hosted", open, text: "the page's deployment" }];
}

// ------------------------------------------------------------------ the list and the request

function add(...opts) {
  for (const o of opts) if (options.length < MAX_OPTIONS) options.push(o);
  changed();
}

function renderList(names = []) {
  $("compare-list").replaceChildren(...options.map((o, i) => {
    const li = make("li", "compare-item");
    li.append(make("span", "swatch"), make("span", "", names[i] || o.text));
    li.firstChild.style.background = COLOURS[i % COLOURS.length];
    const rm = make("button", "link", "remove");
    rm.type = "button";
    rm.setAttribute("aria-label", `remove option ${i + 1}`);
    rm.addEventListener("click", () => { options.splice(i, 1); changed(); });
    li.append(rm);
    return li;
  }));
  refreshPickers();
}

/** The request: the page's workload, finance, horizon and price date, and each option with the
 *  page's assumptions under what the user picked. */
export function compareBody() {
  const { scenario, errors } = readForm();
  const closedBase = Object.fromEntries(Object.entries(scenario.closed).filter(([k]) => !CLOSED_CHOICE.includes(k)));
  const body = { workload: scenario.workload, finance: scenario.finance, options: options.map((o) => {
    const out = { kind: o.kind };
    if (o.closed) out.closed = { ...closedBase, ...o.closed };
    if (o.open) out.open = { ...scenario.open, ...o.open };
    return out;
  }) };
  for (const k of ["horizon_months", "as_of"]) if (scenario[k] !== undefined) body[k] = scenario[k];
  return { body, errors };
}

function changed() {
  renderList();
  clearTimeout(timer);
  if (!options.length) {
    setState("empty");
    $("compare-line").textContent = "Add two or more options to rank them.";
    ["compare-ranking", "compare-charts", "compare-breakeven"].forEach((id) => { $(id).hidden = true; });
    return;
  }
  setState("pending");
  timer = setTimeout(run, 0);
}

/** Ask the API and draw its answer (a newer request makes an older answer out of date). */
export async function run() {
  clearTimeout(timer);
  if (!options.length) return;
  const { body, errors } = compareBody();
  if (Object.keys(errors).length) {
    setState("invalid");
    $("compare-line").textContent = "Fix the page's inputs first: " + Object.keys(errors).join(", ");
    return;
  }
  const mine = ++seq;
  setState("busy");
  let res;
  try {
    res = await postJSON(COMPARE_URL, body);
  } catch (e) {
    if (mine === seq) { setState("offline"); $("compare-line").textContent = "The service did not answer."; }
    return;
  }
  if (mine !== seq) return;
  if (res.status === 503) {             // every heavy slot busy (a hybrid option is heavy): ask again later
    const wait = RETRY_S;
    setState("busy");
    $("compare-line").textContent = `The service is busy; asking again in ${wait} s.`;
    timer = setTimeout(run, wait * 1000);
    return;
  }
  if (!res.ok) {
    setState("invalid");
    $("compare-line").textContent = errorList(res.status, res.data).map((e) => {
      const m = /^options\.(\d+)/.exec(e.path);
      return (m ? `option ${Number(m[1]) + 1} (${options[Number(m[1])].text}): ` : `${e.path}: `) + e.message;
    }).join("; ");
    return;
  }
  await render(res.data);
  setState("ready");
}

// ------------------------------------------------------------------ drawing the answer

function cells(tr, values) {
  values.forEach((v) => tr.append(make("td", "", v)));
  return tr;
}

function rankingRows(c) {
  return c.options.map((o) => {
    const tr = cells(make("tr"), [String(o.rank), o.name, o.billed, fmtUsd(o.npv_usd), fmtUsd(o.total_usd),
                                  o.rank === 1 ? "cheapest" : "+" + fmtUsd(o.npv_above_cheapest_usd)]);
    tr.dataset.index = o.index;
    return tr;
  });
}

function breakevenRows(c) {
  return c.options.filter((o) => o.index !== c.cheapest_index).map((o) => {
    const month = o.breakeven_month === null ? o.breakeven_month_reason
      : o.breakeven_month === 0 ? "at or below from the start" : `after ${sig(o.breakeven_month, 2)} months`;
    const volume = o.breakeven_volume_per_month === null ? o.breakeven_volume_reason
      : `${o.breakeven_volume_direction} ${fmtVolume(o.breakeven_volume_per_month)} ${c.volume_unit}`;
    const tr = cells(make("tr"), [o.name, month, volume]);
    tr.dataset.index = o.index;
    return tr;
  });
}

// The answer's amounts are in USD (fields usd*); the charts show them in the page's currency.
const inCurrency = (values) => {
  const k = currentCurrency().units_per_usd;
  return values.map((v) => (v === null ? null : v * k));
};

/** The currency's symbol as plotly puts it before a tick: "$", "€", "CHF " (Intl's narrow symbol). */
function tickPrefix(code) {
  const part = new Intl.NumberFormat("en-US", { style: "currency", currency: code, currencyDisplay: "narrowSymbol" })
    .formatToParts(1).find((p) => p.type === "currency");
  const sym = part ? part.value : code;
  return /[A-Za-z]$/.test(sym) ? `${sym} ` : sym;
}

/** The hover amount of a money trace, in the page's currency: "€1.2M". */
const moneyHover = (code) => `%{y:,.3~s} ${code}`;

function cumulativeFigure(c) {
  const months = Array.from({ length: c.horizon_months }, (_, m) => m + 1);
  const code = currentCurrency().code;
  return {
    data: c.options.map((o) => ({ type: "scatter", mode: "lines", name: `${o.rank}. ${o.name}`, x: months,
                                  y: inCurrency(o.cumulative_usd), line: { color: COLOURS[o.index % COLOURS.length] },
                                  hovertemplate: `${moneyHover(code)}<extra>${o.rank}.</extra>` })),
    layout: { margin: { t: 24, r: 10, b: 40, l: 60 }, xaxis: { title: { text: "month" } },
              yaxis: { title: { text: `cumulative cost [${code}]` }, tickprefix: tickPrefix(code), tickformat: "~s" },
              legend: { orientation: "h", y: -0.32 }, hovermode: "x unified" },
  };
}

function volumeFigure(c) {
  const v = c.curve_volumes;
  const shapes = c.bands.map((b, i) => ({
    type: "rect", xref: "x", yref: "paper", y0: 0, y1: 1, line: { width: 0 }, layer: "below",
    x0: b.from_volume, x1: i + 1 < c.bands.length ? c.bands[i + 1].from_volume : b.to_volume,
    fillcolor: COLOURS[b.index % COLOURS.length], opacity: 0.12, name: `cheapest: ${b.name}` }));
  shapes.push({ type: "line", xref: "x", yref: "paper", x0: c.workload_volume_per_month,
                x1: c.workload_volume_per_month, y0: 0, y1: 1, line: { dash: "dot", color: "#444", width: 1 } });
  const notes = c.bands.map((b, i) => {
    const x1 = i + 1 < c.bands.length ? c.bands[i + 1].from_volume : b.to_volume;
    return { xref: "x", yref: "paper", x: Math.log10(Math.sqrt(b.from_volume * x1)), y: 1, yanchor: "bottom",
             showarrow: false, text: String(c.options.find((o) => o.index === b.index).rank),
             font: { size: 10, color: COLOURS[b.index % COLOURS.length] } };
  });
  const code = currentCurrency().code;
  return {
    data: c.options.map((o) => ({ type: "scatter", mode: "lines", name: `${o.rank}. ${o.name}`, x: v,
                                  y: inCurrency(o.curve_usd), line: { color: COLOURS[o.index % COLOURS.length] },
                                  hovertemplate: `${moneyHover(code)}/month<extra>${o.rank}.</extra>` })),
    layout: { margin: { t: 24, r: 10, b: 40, l: 60 }, shapes, annotations: notes,
              xaxis: { type: "log", title: { text: `volume [${c.volume_unit}]` } },
              yaxis: { type: "log", title: { text: `steady monthly cost [${code}/month]` }, tickprefix: tickPrefix(code),
                       tickformat: "~s" },
              legend: { orientation: "h", y: -0.32 }, hovermode: "x unified" },
  };
}

async function render(c) {
  last = c;
  const byIndex = Object.fromEntries(c.options.map((o) => [o.index, o.name]));
  renderList(options.map((_, i) => byIndex[i]));
  const top = c.options[0];
  $("compare-line").textContent = c.options.length === 1 ? `${top.name}: ${fmtUsd(top.npv_usd)} NPV.`
    : `Cheapest of ${c.options.length}: ${top.name}, ${fmtUsd(top.npv_usd)} NPV over ${c.horizon_months} months, `
      + `${fmtUsd(c.options[1].npv_above_cheapest_usd)} below the next (${c.options[1].name}).`;
  $("compare-ranking").querySelector("tbody").replaceChildren(...rankingRows(c));
  $("compare-breakeven").querySelector("tbody").replaceChildren(...breakevenRows(c));
  ["compare-ranking", "compare-charts"].forEach((id) => { $(id).hidden = false; });
  $("compare-breakeven").hidden = c.options.length < 2;
  const Plotly = window.Plotly;
  for (const [name, fig] of [["compare_cumulative", cumulativeFigure(c)], ["compare_volume", volumeFigure(c)]]) {
    await Plotly.react(`chart-${name}`, fig.data, fig.layout, PLOT_CONFIG);
  }
}

/** Draw the last answer again (the currency changed: the amounts are converted at display). */
export async function redrawCompare() {
  fillRates();
  if (last && options.length && $("compare").dataset.state === "ready") await render(last);
}

// ------------------------------------------------------------------ wiring

/** Fill the pickers, wire the buttons, and follow the page's form (debounced) once options exist. */
export function watchCompare() {
  fillModels();
  fill($("f-cmp-seat"), pageOptions().seats.map((r) => [`${r.id}|${r.term}`, r.label]));
  fill($("f-cmp-image"), pageOptions().images.map((r) => [r.id, r.label]));
  fillOpenModels();
  fill($("f-cmp-gpu"), pageOptions().gpus.map((r) => [r.id, r.label]));
  fillRates();
  syncCmpPrecision("force");
  refreshPickers();
  $("compare-add").addEventListener("change", (e) => {
    if (e.target.id === "f-cmp-gpu") fillRates();
    if (e.target.id === "f-cmp-open-model" || e.target.id === "f-cmp-gpu") syncCmpPrecision();
    refreshPickers();
  });
  $("btn-cmp-add").addEventListener("click", () => add(picked()));
  $("btn-cmp-terms").addEventListener("click", () => add(...everyTerm()));
  $("btn-cmp-page").addEventListener("click", () => add(...pageTwo()));
  $("btn-cmp-clear").addEventListener("click", () => { options.length = 0; changed(); });
  const follow = () => {
    if (!options.length) return;
    clearTimeout(timer);
    setState("pending");
    timer = setTimeout(run, DEBOUNCE_MS);
  };
  $("scenario-form").addEventListener("input", follow);
  $("scenario-form").addEventListener("change", follow);
}
