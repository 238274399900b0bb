// The page's update cycle: read the form, ask the API for the charts, show the numbers, then the
// charts, then the URL; a newer change makes any answer still on its way out of date.
import { chartsUrl, errorList, postJSON } from "./api.js";
import { CHARTS, nextPaint, renderCharts } from "./charts.js";
import { clearErrors, mode, readForm, refreshVisibility, showErrors } from "./form.js";
import { withCurrency } from "./format.js";
import { renderNumbers } from "./kpis.js";
import { setPageState, setStale, timings, writeUrl } from "./state.js";
import { followScenario, holdUncertainty } from "./uncertainty.js";

/** How long typing must pause before the page asks [ms]; a committed edit (a change event: a picked
 *  option, a field left) asks at once (flushUpdate). */
export const DEBOUNCE_MS = 250;
let timer = null;
let seq = 0;

/** Update once the typing has paused (`delay` ms, DEBOUNCE_MS unless told). */
export function scheduleUpdate(delay = DEBOUNCE_MS) {
  clearTimeout(timer);
  seq++;                                     // an answer still on its way is out of date: the page waits for this one
  setPageState("pending");
  timer = setTimeout(update, delay);
}

/** An edit committed (a change event): the update it scheduled starts now instead of after the pause.
 *  Nothing when none is waiting: leaving a field whose typing was already answered asks nothing again;
 *  an element that changed without an input event (a script's) is updated at once. */
export function flushUpdate(event) {
  if (timer !== null) { update(); return; }
  if (event && event.isTrusted === false && event.type === "change") scheduleUpdate(0);
}

/** Drop a scheduled update (one is about to start anyway). */
export function cancelUpdate() {
  clearTimeout(timer);
  timer = null;
  setPageState("pending");
}

// The form's own errors, or the API's, next to their fields; the results greyed out.
function invalid(list, state = "invalid") {
  clearErrors();
  showErrors(list);
  setStale(true);
  setPageState(state);
}

/** Read the form, ask the API, draw its answer. */
export async function update() {
  clearTimeout(timer);
  timer = null;
  refreshVisibility();
  const { scenario, errors } = readForm();
  const local = Object.entries(errors).map(([path, message]) => ({ path, message }));
  const mySeq = ++seq;                       // any answer still on its way is now out of date
  holdUncertainty();
  if (local.length) {
    invalid(local);
    document.body.classList.remove("busy");
    return;
  }
  document.body.classList.add("busy");
  setPageState("busy");
  let res;
  try {
    const t0 = performance.now();
    // Per-seat products have no pay-per-use price for a hybrid's overflow: no hybrid plan for them.
    res = await postJSON(chartsUrl(mode() !== "seats"), withCurrency(scenario));   // the verdict in the page's currency
    timings.api = performance.now() - t0;
  } catch (e) {
    if (mySeq !== seq) return;
    invalid([{ path: "network", message: "the service did not answer" }], "offline");
    return;
  } finally {
    if (mySeq === seq) document.body.classList.remove("busy");
  }
  if (mySeq !== seq) return;                 // a newer request is on its way
  if (!res.ok) { invalid(errorList(res.status, res.data)); return; }
  clearErrors();
  setStale(false);
  const t1 = performance.now();
  renderNumbers(res.data);
  timings.numbers = performance.now() - t1;
  await nextPaint();                         // the numbers show before the charts are drawn
  if (mySeq !== seq) return;
  await renderCharts(CHARTS, res.data.figures);
  if (mySeq !== seq) return;
  timings.render = performance.now() - t1;
  writeUrl();
  setPageState("ready");
  followScenario(withCurrency(scenario));      // the uncertainty panel's amounts in the page's currency too
}
