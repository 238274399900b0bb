// The v1 API as the dashboard uses it: fetch wrappers and the API's one error shape
// ({message, errors: [{path, message}]}, see tco/web/errors.py).

/** How often a busy answer (HTTP 503: every heavy slot taken) is asked again, and the longest wait
 *  between two asks [s]: the service says how long in `Retry-After`. */
const BUSY_RETRIES = 3;
const BUSY_MAX_WAIT_S = 5;

/** Wait `seconds`, or less when the request is aborted meanwhile. */
const pause = (seconds, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, seconds * 1000);
  if (signal) signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
});

/** fetch, then the answer's body: parsed JSON when the server says JSON, else a Blob.  A 503 (the
 *  service is busy with other heavy requests) is asked again up to BUSY_RETRIES times after the
 *  answer's Retry-After, so a page that fires several heavy requests at once does not show an error.
 *  Returns {ok, status, data}; a network failure throws (the caller says "did not answer"). */
async function send(url, init) {
  let res = await fetch(url, init);
  for (let attempt = 0; res.status === 503 && attempt < BUSY_RETRIES && !(init && init.signal && init.signal.aborted);
       attempt++) {
    const after = Number(res.headers.get("Retry-After"));
    await pause(Math.min(Number.isFinite(after) && after > 0 ? after : 1, BUSY_MAX_WAIT_S), init && init.signal);
    if (init && init.signal && init.signal.aborted) break;
    res = await fetch(url, init);
  }
  const type = res.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await res.json() : await res.blob();
  return { ok: res.ok, status: res.status, data };
}

/** POST a JSON body (an AbortSignal is optional). */
export const postJSON = (url, body, signal) => send(url, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal });

/** GET. */
export const getJSON = (url) => send(url);

/** POST a CSV text. */
export const postCSV = (url, text) => send(url, { method: "POST", headers: { "Content-Type": "text/csv" },
                                                  body: text });

/** The errors of a failed answer, each {path, message}: the fields the API names, or, when it names
 *  none, one error at `path` with its message (or the HTTP status when the body has none). */
export function errorList(status, data, path = "request") {
  const body = data && typeof data === "object" && !(data instanceof Blob) ? data : {};
  if (Array.isArray(body.errors) && body.errors.length) return body.errors;
  return [{ path, message: body.message || `the service answered HTTP ${status}` }];
}

/** The charts, KPIs and verdict of a scenario; with the hybrid plan unless told not to. */
export const chartsUrl = (hybrid) => `/api/v1/charts?hybrid=${hybrid}`;

/** The uncertainty panel's figures: `samples` seeded Monte Carlo draws and the tornado. */
export const uncertaintyUrl = (samples, seed) => `/api/v1/charts?uncertainty=true&samples=${samples}&seed=${seed}`;

export const CSV_URL = "/api/v1/tco?format=csv";
export const REPORT_URL = "/api/v1/report";
export const USAGE_URL = "/api/v1/usage";
const SCENARIOS_URL = "/api/v1/scenarios";

/** The saved scenarios: list, one, save, delete. */
export const listScenarios = () => getJSON(SCENARIOS_URL);
export const getScenario = (id) => getJSON(`${SCENARIOS_URL}/${id}`);
export const saveScenario = (name, scenario) => postJSON(SCENARIOS_URL, { name, scenario });
export const deleteScenario = (id) => fetch(`${SCENARIOS_URL}/${id}`, { method: "DELETE" });
