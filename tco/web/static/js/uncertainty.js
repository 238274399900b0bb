// "How sure are we?": the Monte Carlo line, the tornado and the fan, asked lazily.
// 5,000 Monte Carlo draws and the tornado cost about as much again as the charts above them, so
// they are asked separately, once the numbers are on screen, and only when the panel is in
// view (or near): typing stays quick, and the panel is never out of date when seen.
// #uncertainty[data-state]: pending (not asked yet) | busy | ready | error.
import { postJSON, uncertaintyUrl } from "./api.js";
import { renderCharts, UNCERTAINTY_CHARTS } from "./charts.js";
import { $, make, strong } from "./dom.js";
import { fmtMonth, fmtUsd3 } from "./format.js";
import { pageState, timings } from "./state.js";

// Seeded draws: the same inputs always give the same bands.
export const MC = { samples: 5000, seed: 0 };

// scenario: the one the page shows; drawnKey: the one the panel shows; askedKey: the one on its way.
const unc = { scenario: null, visible: false, drawnKey: null, askedKey: null, ctrl: null, seq: 0 };

/** A new update has started: drop any answer on its way (it is for the old inputs). */
export function holdUncertainty() {
  if (unc.ctrl) { unc.ctrl.abort(); unc.ctrl = null; }
  unc.seq++;
  unc.askedKey = null;
  $("uncertainty").dataset.state = "pending";
}

/** The page now shows `scenario`: the panel follows it (now if in view, else once seen). */
export function followScenario(scenario) {
  unc.scenario = scenario;
  return refreshUncertainty();
}

/** Ask for the panel once it is in view (or 400 px from it). */
export function watchUncertainty() {
  const sec = $("uncertainty");
  if (!("IntersectionObserver" in window)) { unc.visible = true; return; }
  new IntersectionObserver((entries) => {
    unc.visible = entries.some((e) => e.isIntersecting);
    if (unc.visible) refreshUncertainty();
  }, { rootMargin: "0px 0px 400px 0px" }).observe(sec);
}

async function refreshUncertainty() {
  const sec = $("uncertainty");
  if (!unc.scenario || pageState() !== "ready") return;
  const key = JSON.stringify(unc.scenario);
  if (key === unc.drawnKey) { sec.dataset.state = "ready"; sec.classList.remove("stale"); return; }
  sec.classList.add("stale");
  if (!unc.visible) { sec.dataset.state = "pending"; return; }
  if (unc.ctrl && unc.askedKey === key) return;          // already asking for this scenario
  if (unc.ctrl) unc.ctrl.abort();
  const my = ++unc.seq;
  unc.ctrl = new AbortController();
  unc.askedKey = key;
  sec.dataset.state = "busy";
  const t0 = performance.now();
  let res;
  try {
    res = await postJSON(uncertaintyUrl(MC.samples, MC.seed), unc.scenario, unc.ctrl.signal);
  } catch (e) {
    if (my !== unc.seq) return;
    unc.ctrl = null;
    unc.askedKey = null;
    sec.dataset.state = "error";
    $("mc-line").textContent = "The uncertainty analysis did not answer.";
    return;
  }
  if (my !== unc.seq) return;
  unc.ctrl = null;
  unc.askedKey = null;
  if (!res.ok) {
    sec.dataset.state = "error";
    $("mc-line").textContent = `The uncertainty analysis failed: ${res.data.message || `HTTP ${res.status}`}.`;
    return;
  }
  renderUncertainty(res.data.summary, res.data.montecarlo);
  renderDefaults(res.data.defaults_tornado || []);
  await renderCharts(UNCERTAINTY_CHARTS, res.data.figures);
  if (my !== unc.seq) return;
  timings.uncertainty = performance.now() - t0;
  unc.drawnKey = key;
  sec.classList.remove("stale");
  sec.dataset.state = "ready";
}

/** A share of the draws as a whole percent; a share that rounds to 0 or 100 but is neither says so
 * ("under 1%", "over 99%"), so a line never reads "in 0% of the draws (in those, from month 33)". */
export function pct(x) {
  if (x > 0 && x < 0.005) return "under 1%";
  if (x < 1 && x >= 0.995) return "over 99%";
  return `${Math.round(100 * x)}%`;
}

/** The Monte Carlo line's sentence after its P10 / P50 / P90: how often, and from when, self-hosting pays off. */
export function paysOffText(horizonMonths, mc) {
  return mc.breakeven_month
    ? `; it pays off within ${horizonMonths} months in ${pct(mc.probability_breakeven_within_horizon)} of the draws `
      + `(in those, from ${fmtMonth(mc.breakeven_month.p50)} at the median).`
    : `; it never pays off within ${horizonMonths} months in these draws.`;
}

function renderUncertainty(s, mc) {
  if (!mc) { $("mc-line").textContent = "–"; $("mc-note").textContent = ""; return; }
  const q = mc.savings_npv_usd;
  $("mc-line").replaceChildren(
    "P10 / P50 / P90 savings (NPV): ", strong(`${fmtUsd3(q.p10)} / ${fmtUsd3(q.p50)} / ${fmtUsd3(q.p90)}`),
    "; probability self-hosting is cheaper: ", strong(pct(mc.probability_self_hosting_cheaper)),
    paysOffText(s.horizon_months, mc));
  $("mc-note").textContent = `${mc.samples.toLocaleString("en-US")} Monte Carlo draws (seed ${mc.seed}) of volume, `
    + "growth, API prices and their yearly change, GPU rates, throughput, utilisation, staff cost and discount rate. "
    + "Savings are self-hosting's, discounted (NPV): below zero, the closed API is cheaper. The tornado moves "
    + "one input at a time from its low to its high value; the table below it moves each default of the "
    + "defaults table (FP8, the spare replica, staff cost, ...) to its low and high the same way.";
}

/** The savings' change from the scenario's own [USD] at one end of a default ("–" when not priced). */
export function deltaText(savings, base) {
  if (savings === null || savings === undefined) return "–";
  const d = savings - base;
  return `${d >= 0 ? "+" : "-"}${fmtUsd3(Math.abs(d))}`;
}

/** A default's value as the defaults view shows it (the API sends the defaults table's text): numbers
 *  grouped by thousands (133,080), a count of one in the singular of its unit ("1 replica",
 *  "1 engineer-month"), no unit for "-"; words (fp8) as they are. */
export function valueText(value, unit) {
  const num = typeof value === "number" ? value : /^-?\d+(\.\d+)?$/.test(String(value).trim()) ? Number(value) : null;
  const shown = num === null ? String(value) : num.toLocaleString("en-US", { maximumFractionDigits: 4 });
  if (!unit || unit === "-") return shown;
  const one = num === 1 && /^[a-z-]+s$/i.test(unit) ? unit.slice(0, -1) : unit;
  return `${shown} ${one}`;
}

/** A bar beside a change: its width the change over the largest change on the view, its side the sign. */
function bar(d, largest) {
  const b = make("span", `default-bar ${d < 0 ? "down" : "up"}`);
  b.style.width = `${largest > 0 ? Math.round(60 * Math.abs(d) / largest) : 0}px`;
  return b;
}

/** The defaults view: each default of the defaults table the scenario took, the savings (NPV) at
 *  its low and high against the scenario's own, and where the value comes from. */
export function renderDefaults(rows) {
  const body = $("defaults-tornado").querySelector("tbody");
  body.replaceChildren();
  const largest = Math.max(0, ...rows.flatMap((r) => [r.savings_npv_low, r.savings_npv_high]
    .filter((x) => x !== null).map((x) => Math.abs(x - r.base_savings_npv))));
  rows.forEach((r) => {
    const tr = make("tr");
    tr.dataset.name = r.name;
    tr.append(make("td", "", r.label), make("td", "", valueText(r.value, r.unit)));
    for (const end of ["low", "high"]) {
      const td = make("td", "num");
      const v = r[`savings_npv_${end}`];
      if (r[end] === null) td.textContent = "–";
      else {
        td.append(`${valueText(r[end], "")}: `, strong(deltaText(v, r.base_savings_npv)));
        if (v !== null) td.append(" ", bar(v - r.base_savings_npv, largest));
      }
      tr.append(td);
    }
    const src = make("td");
    if (r.source_url) {
      const a = make("a", "", `${new URL(r.source_url).hostname} (${r.effective_date})`);
      a.href = r.source_url;
      a.rel = "noopener noreferrer";
      src.append(a);
    } else src.textContent = `estimate (${r.effective_date})`;
    if (r.note) src.append(make("div", "note", r.note));
    tr.append(src);
    body.append(tr);
  });
  $("defaults-view").hidden = rows.length === 0;
}
