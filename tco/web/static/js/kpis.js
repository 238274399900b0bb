// The verdict, the six KPI cards and the table of where each number comes from.
import { $, make } from "./dom.js";
import { fmtMonth, fmtUsd, fmtVolume } from "./format.js";
import { renderLifecycle } from "./lifecycle.js";

/** The hybrid plan's card, {element id: text}, from the API's summary (no plan for per-seat prices). */
export function hybridTexts(s) {
  if (s.hybrid_total_usd === undefined) {
    return { "kpi-hybrid-total": "n/a", "kpi-hybrid-s": "per-seat prices have no pay-per-use overflow" };
  }
  const best = Math.min(s.hybrid_savings_vs_closed_usd, s.hybrid_savings_vs_self_hosted_usd);
  const caption = s.hybrid_switch_month === null ? "all on the API: no month where own replicas pay"
    : `own replicas from ${fmtMonth(s.hybrid_switch_month)} (up to ${s.hybrid_peak_replicas})`
      + (best > 0.5 ? ` · ${fmtUsd(best)} below the cheaper pure option` : "");
  return { "kpi-hybrid-total": fmtUsd(s.hybrid_total_usd), "kpi-hybrid-s": caption };
}

/** Every KPI card's text but the break-even volume's number, {element id: text}, from the API's summary. */
export function kpiTexts(s) {
  const month = s.breakeven_month;
  return {
    "kpi-be-volume-s": s.breakeven_volume_per_month === null ? s.breakeven_volume_reason
      : "steady monthly volume from which self-hosting stays cheaper"
        + (s.breakeven_price_note ? `, ${s.breakeven_price_note}` : ""),
    "kpi-be-month": month === null ? "not within horizon" : (month < 1 ? "from month 1" : fmtMonth(month)),
    "kpi-be-month-s": month === null ? `over ${s.horizon_months} months` : "cumulative cost at or below the closed option's",
    "kpi-closed-total": fmtUsd(s.closed_total_usd),
    "kpi-open-total": fmtUsd(s.open_total_usd),
    "kpi-closed-unit": `${fmtUsd(s.closed_levelised_usd_per_unit)} per ${s.unit} · ${s.closed_label}`,
    // the billing label's short form ("always-on rental"); the whole of it on hover
    "kpi-open-unit": `${fmtUsd(s.open_levelised_usd_per_unit)} per ${s.unit} · `
      + String(s.billing_label || "").split(":")[0],
    "kpi-savings": fmtUsd(s.savings_usd),
    "kpi-savings-s": `over ${s.horizon_months} months (NPV ${fmtUsd(s.savings_npv_usd)})`,
    ...hybridTexts(s),
  };
}

/** The API's answer for the charts (verdict, summary, assumptions) into the page's text. */
export function renderNumbers(data) {
  const s = data.summary;
  $("verdict").textContent = data.verdict;
  if (s.breakeven_volume_per_month === null) $("kpi-be-volume").textContent = "never";
  else {                                     // the number large, its unit small beside it
    const unit = make("span", "kpi-unit", `${s.unit === "image" ? "images" : "tokens"}/mo`);
    $("kpi-be-volume").replaceChildren(fmtVolume(s.breakeven_volume_per_month), " ", unit);
  }
  Object.entries(kpiTexts(s)).forEach(([id, text]) => { $(id).textContent = text; });
  $("kpi-open-unit").title = s.billing_label || "";
  $("kpi-savings").closest(".kpi").classList.toggle("negative", s.savings_usd < 0);
  $("kpi-hybrid-total").closest(".kpi").classList.toggle("muted", s.hybrid_total_usd === undefined);
  $("hybrid-verdict").textContent = data.hybrid_verdict || "";
  $("hybrid-verdict").hidden = !data.hybrid_verdict;
  renderAssumptions(data.assumptions);
  renderLifecycle(s);
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
