// The closed model's lifecycle inside the horizon, beside its picker: a deprecation, a shutdown (and
// the successor that prices the months after it), a promotion ending. The API names each switch in
// summary.price_switches; this module only picks and shows them.
import { $, make } from "./dom.js";

/** Switch kinds worth a warning beside the picker (a plain scheduled price change is not). */
export const WARN_KINDS = ["deprecation", "shutdown", "shutdown_no_successor", "promotion_ends", "price_ends"];

/** The sentences to show, in month order, from the API's summary ([] when the model runs unchanged). */
export function lifecycleNotes(summary) {
  return (summary.price_switches || []).filter((sw) => WARN_KINDS.includes(sw.kind)).map((sw) => sw.message);
}

/** Show (or hide) the warning under the closed-model picker. */
export function renderLifecycle(summary) {
  const box = $("f-closed-model-lifecycle");
  if (!box) return;
  const notes = lifecycleNotes(summary);
  box.replaceChildren(...notes.map((text) => make("p", "", `⚠ ${text}`)));
  box.hidden = notes.length === 0;
}
