// The header's currency picker: every amount on the page (and in the exports) in USD or in one of
// the reference rates of tco/pricing/fx_rates.csv, with the rate and its date beside the picker.
import { $ } from "./dom.js";
import { rateNote, setCurrency } from "./format.js";

/** The picker's choice as the API's currency object. */
function chosen(select) {
  const o = select.selectedOptions[0];
  return { code: select.value, units_per_usd: Number(o.dataset.unitsPerUsd || 1),
           effective_date: o.dataset.effectiveDate || null, source_url: o.dataset.sourceUrl || null };
}

/** Take the picker's currency now, and again (then `redraw()`) whenever it changes. */
export function watchCurrency(redraw) {
  const select = $("f-ui-currency");
  if (!select) return;
  const apply = () => {
    const c = chosen(select);
    setCurrency(c);
    const note = $("currency-rate");
    note.textContent = rateNote();
    note.title = c.source_url ? `Reference rate: ${c.source_url}` : "";
  };
  apply();
  select.addEventListener("change", () => { apply(); redraw(); });
}
