// "How sure are we?": the Monte Carlo line, the tornado and the fan, asked lazily.
// 5,000 Monte Carlo draws and the tornado cost about as much again as the charts above them, so
// they are asked separately, once the numbers are on screen, and only when the panel is in
// view (or near): typing stays quick, and the panel is never out of date when seen.
// #uncertainty[data-state]: pending (not asked yet) | busy | ready | error.
import { postJSON, uncertaintyUrl } from "./api.js";
import { renderCharts, UNCERTAINTY_CHARTS } from "./charts.js";
import { $, strong } from "./dom.js";
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
  await renderCharts(UNCERTAINTY_CHARTS, res.data.figures);
  if (my !== unc.seq) return;
  timings.uncertainty = performance.now() - t0;
  unc.drawnKey = key;
  sec.classList.remove("stale");
  sec.dataset.state = "ready";
}

const pct = (x) => `${Math.round(100 * x)}%`;

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
    + "one input at a time from its low to its high value.";
}
