// The verdict, the KPI cards and the table of where each number comes from. Their words follow the
// API's numbers one way: a break-even month is "month N" (and, in the first three months, how far
// into it), as the verdict and the cumulative chart's note say it.
import { $, make } from "./dom.js";
import { mode } from "./form.js";
import { fmtMonth, fmtUsd, fmtVolume, sigFixed } from "./format.js";
import { renderLifecycle } from "./lifecycle.js";
import { renderNotes } from "./notes.js";

/** A break-even time [months from the start] as the verdict says it: "month 1 (0.33 months in)", "month 14". */
export function monthsText(t) {
  const m = fmtMonth(t);
  return t < 3 ? `${m} (${t.toFixed(2)} months in)` : m;
}

/** The hybrid plan's card, {element id: text}, from the API's summary (no plan for per-seat prices). */
export function hybridTexts(s) {
  if (s.hybrid_total_usd === undefined) {
    return { "kpi-hybrid-total": "n/a", "kpi-hybrid-s": "per-seat prices have no pay-per-use overflow" };
  }
  const vsOpen = s.hybrid_savings_vs_self_hosted_usd, vsClosed = s.hybrid_savings_vs_closed_usd;
  const best = Math.min(vsClosed, vsOpen);
  const pure = vsOpen <= vsClosed ? "self-hosting alone" : "the API alone";
  const caption = s.hybrid_switch_month === null ? "all on the API: no month where own replicas pay"
    : `own replicas from ${fmtMonth(s.hybrid_switch_month)} (up to ${s.hybrid_peak_replicas})`
      + (best >= 0.5 ? ` · ${fmtUsd(best)} below ${pure}` : ` · no cheaper than ${pure}`);
  return { "kpi-hybrid-total": fmtUsd(s.hybrid_total_usd), "kpi-hybrid-s": caption };
}

/** The unit a break-even volume is in: the summary's own (`breakeven_volume_unit`: "tokens/month",
 *  "images/month", "seats"), else the workload's kind. Returns {long, short} ("images/month", "images/mo"). */
export function volumeUnit(s) {
  const long = s.breakeven_volume_unit || (s.unit === "image" ? "images/month" : "tokens/month");
  return { long, short: long.replace("/month", "/mo") };
}

/** The break-even volume card's number: "1.2B", or "never" only when self-hosting stays dearer at
 *  every volume; "n/a" when there is no volume to speak of (a per-seat price, no volume). */
export function volumeValue(s) {
  if (s.breakeven_volume_per_month !== null) return fmtVolume(s.breakeven_volume_per_month);
  // "never" beside a verdict that self-hosting saves money would contradict it: the steady view
  // prices month 0 only, the verdict the whole horizon (growth, price changes)
  return /stays dearer/.test(s.breakeven_volume_reason || "") && !(s.savings_usd > 0) ? "never" : "n/a";
}

const DAYS_PER_MONTH = 365 / 12;             // as the engine counts a month (tco.finance)

/** A token break-even as requests a day, for a workload given in requests: tokens a month /
 *  (days a month x (prompt + output tokens a request)); null when the answer lacks either length. */
export function requestsPerDay(tokensPerMonth, assumptions) {
  const a = assumptions || {};
  const inLen = a["workload.input_tokens_per_request"], outLen = a["workload.output_tokens_per_request"];
  if (!inLen || !outLen || tokensPerMonth === null) return null;
  return tokensPerMonth / (DAYS_PER_MONTH * (inLen.value + outLen.value));
}

/** The fleet card, {element id: text}: GPUs at the peak, what is billed, utilisation and latency reached. */
export function fleetTexts(s) {
  const parts = [s.fleet_label || `${s.peak_replicas} replicas`];
  if (s.peak_servers !== null && s.peak_servers !== undefined) parts.push(`${s.peak_servers} servers`);
  if (s.mean_utilisation !== null) parts.push(`${Math.round(100 * s.mean_utilisation)}% utilised on average`);
  if (s.time_per_output_token_s !== null && s.time_per_output_token_s !== undefined) {
    parts.push(`${sigFixed(1000 * s.time_per_output_token_s, 3)} ms per output token, `
      + `${sigFixed(1000 * s.time_to_first_token_s, 3)} ms to the first`);
  }
  if (s.latency_note) parts.push(s.latency_note);
  return { "kpi-fleet": `${s.peak_gpus} GPU${s.peak_gpus === 1 ? "" : "s"}`, "kpi-fleet-s": parts.join(" · ") };
}

/** Every KPI card's text but the break-even volume's number, {element id: text}, from the API's summary. */
export function kpiTexts(s) {
  const month = s.breakeven_month;
  const behind = month !== null && s.savings_usd <= 0;      // ahead for a while, behind by the end
  return {
    "kpi-be-volume-s": s.breakeven_volume_per_month === null
      ? s.breakeven_volume_reason + (s.savings_usd > 0 ? " (a steady view: over the horizon "
        + "growth and price changes make it pay)" : "")
      : `steady ${volumeUnit(s).long.replace("/month", " a month")} from which self-hosting stays cheaper`
        + (s.breakeven_price_note ? `, ${s.breakeven_price_note}` : ""),
    "kpi-be-month": month === null ? "not within horizon" : monthsText(month),
    "kpi-be-month-s": month === null ? `over ${s.horizon_months} months`
      : (behind ? `cumulative cost at the closed option's then, but above it by month ${s.horizon_months}`
        : "cumulative cost at or below the closed option's"),
    "kpi-closed-total": fmtUsd(s.closed_total_usd),
    "kpi-open-total": fmtUsd(s.open_total_usd),
    "kpi-closed-unit": `${fmtUsd(s.closed_levelised_usd_per_unit)} per ${s.unit} · ${s.closed_label}`,
    // the billing label's short form ("always-on rental"); the whole of it on hover
    "kpi-open-unit": `${fmtUsd(s.open_levelised_usd_per_unit)} per ${s.unit} · `
      + String(s.billing_label || "").split(":")[0],
    "kpi-savings": fmtUsd(s.savings_usd),
    "kpi-savings-s": `over ${s.horizon_months} months (NPV ${fmtUsd(s.savings_npv_usd)})`,
    ...hybridTexts(s),
    ...fleetTexts(s),
  };
}

/** The API's answer for the charts (verdict, summary, assumptions) into the page's text. */
export function renderNumbers(data) {
  const s = data.summary;
  $("verdict").textContent = data.verdict;
  const tokensUnit = !s.breakeven_volume_unit || s.breakeven_volume_unit === "tokens/month";
  const rpd = mode() === "requests" && tokensUnit
    ? requestsPerDay(s.breakeven_volume_per_month, data.assumptions) : null;
  if (s.breakeven_volume_per_month === null) $("kpi-be-volume").textContent = volumeValue(s);
  else {                                     // the number large, its unit small beside it
    const unit = make("span", "kpi-unit", rpd !== null ? "requests/day" : volumeUnit(s).short);
    $("kpi-be-volume").replaceChildren(rpd !== null ? fmtVolume(rpd) : volumeValue(s), " ", unit);
  }
  Object.entries(kpiTexts(s)).forEach(([id, text]) => { $(id).textContent = text; });
  if (rpd !== null) {
    $("kpi-be-volume-s").textContent = `steady requests a day from which self-hosting stays cheaper `
      + `(${fmtVolume(s.breakeven_volume_per_month)} tokens a month)`;
  }
  $("kpi-open-unit").title = s.billing_label || "";
  $("kpi-savings").closest(".kpi").classList.toggle("negative", s.savings_usd < 0);
  $("kpi-hybrid-total").closest(".kpi").classList.toggle("muted", s.hybrid_total_usd === undefined);
  $("hybrid-verdict").textContent = data.hybrid_verdict || "";
  $("hybrid-verdict").hidden = !data.hybrid_verdict;
  renderAssumptions(data.assumptions);
  renderLifecycle(s);
  renderNotes(data);
}

function renderAssumptions(assumptions) {
  const body = $("assumptions-table").querySelector("tbody");
  body.innerHTML = "";
  Object.entries(assumptions).forEach(([k, a]) => {
    const tr = document.createElement("tr");
    [k, typeof a.value === "number" ? (+a.value.toPrecision(6)).toLocaleString("en-US") : String(a.value),
     a.unit, a.source].forEach((t) => tr.append(make("td", "", t)));
    body.append(tr);
  });
}
