// "Closed or open, in the guide's six rows": the table for the scenario the page shows, the
// questions as a small form, and the recommendation (POST /api/v1/guide).
// It follows the page: each time the update cycle is done (body[data-state] = ready) it asks for
// the guide of the scenario now in the form, unless it already shows that one; a change of the
// questions asks again at once.  #guide[data-state]: pending | busy | ready | error.
// Two more inputs: a hosted deployment of the self-hosted option's open weights (the answer's
// `hosted_choices`), shown as a further option; and the user's own eval scores (a CSV file read in
// the page, sent as `user_scores_csv`), which take precedence over published scores.  A bad file is
// listed in plain words (line and column) and left out, so the table still shows.
import { errorList, postJSON } from "./api.js";
import { $, make } from "./dom.js";
import { readForm } from "./form.js";

export const GUIDE_URL = "/api/v1/guide";
/** Longest scores file sent [characters] (the API's own limit). */
export const MAX_SCORES_CHARS = 1_000_000;
// `shipped`: the metrics the page lists at first (the catalog's), to fall back on when the scores
// file whose task was picked is removed.
const g = { drawnKey: null, ctrl: null, seq: 0, scores: null, shipped: [] };

/** The answers of the questions form, as the API's `questions` object (unanswered ones left out). */
export function readQuestions() {
  const q = { metric: $("g-metric").value };
  if ($("g-on_premises").checked) q.on_premises = true;
  if ($("g-fine_tune").checked) q.fine_tune = true;
  if ($("g-data_region").value) q.data_region = $("g-data_region").value;
  const team = $("g-ml_team_size").value.trim();
  if (team !== "") q.ml_team_size = Number(team);
  const weeks = $("g-live_in_weeks").value.trim();
  if (weeks !== "") q.live_in_weeks = Number(weeks);
  const floor = $("g-floor_score").value.trim();
  if (floor !== "") { q.quality_floor_metric = $("g-floor_metric").value; q.quality_floor_score = Number(floor); }
  return q;
}

/** The guide's inputs as the panel holds them: the answers, the hosted choice and the scores file in
 *  use.  Every request that takes the guide's body sends them (this panel's POST /api/v1/guide, the
 *  report and its PDF), so the report recommends what the panel shows. */
export function guideInputs() {
  const body = { questions: readQuestions() };
  if ($("g-hosted").value) body.hosted_model = $("g-hosted").value;
  if (g.scores) body.user_scores_csv = g.scores.text;
  return body;
}

// One cell: its text, linked to its source when it has one, with the source's date.
function cellNode(cell) {
  const td = make("td", cell.estimate ? "estimate" : "");
  td.title = cell.text;
  const body = cell.source_url ? make("a", "src", cell.text) : make("span", "", cell.text);
  if (cell.source_url) { body.href = cell.source_url; body.target = "_blank"; body.rel = "noopener noreferrer"; }
  td.append(body);
  if (cell.effective_date) td.append(make("span", "date", cell.effective_date));
  if (cell.estimate) td.append(make("span", "date", "estimate"));
  if (cell.origin === "user") { td.classList.add("yours"); td.append(make("span", "date yours-tag", "your score")); }
  return td;
}

// Refill a <select> with [value, text] pairs, keeping the value `keep` when it is one of them (else
// the first); returns whether its value changed.
function refill(select, pairs, keep = select.value) {
  const before = select.value;
  select.replaceChildren(...pairs.map(([value, text]) => {
    const o = make("option", "", text);
    o.value = value;
    return o;
  }));
  select.value = pairs.some(([v]) => v === keep) ? keep : (pairs[0] ? pairs[0][0] : "");
  return select.value !== before;
}

/** The metric pickers list the metrics the options shown are scored on (the answer's `metrics`),
 *  with how many of them; the metric in use stays listed, marked when no option has a score on it. */
export function fillMetrics(data) {
  const n = data.options.length;
  const pairs = data.metrics.map((m) => [m.metric, `${m.label}${m.origin === "your score" ? " (your score)" : ""}` +
                                                   ` · ${m.options_scored} of ${n} scored`]);
  for (const [select, want] of [[$("g-metric"), data.metric], [$("g-floor_metric"), $("g-floor_metric").value]]) {
    const listed = !want || pairs.some(([v]) => v === want);
    refill(select, listed ? pairs : [[want, `${want} · no option scored`], ...pairs], want);
  }
}

/** The hosted picker: "none" and every hosted deployment of the same open weights; returns true
 *  when the one chosen is not among them any more (the open model changed), so it was reset. */
export function fillHosted(data) {
  const usd = (x) => `USD ${Number(x).toPrecision(3).replace(/\.?0+$/, "")}`;
  const pairs = [["", data.hosted_choices.length ? "none" : "none for this open model"]].concat(
    data.hosted_choices.map((c) => [c.model_id, `${c.label} · ${c.region} · ${usd(c.usd_per_mtok_input)} / ` +
                                                `${usd(c.usd_per_mtok_output)} per 1M in / out (${c.effective_date})`]));
  return refill($("g-hosted"), pairs);
}

/** Draw a guide answer: the recommendation, the table (rows x options), where a cheaper option
 *  trails, the options removed, and the pickers. */
export function renderGuide(data) {
  $("guide-recommendation").textContent = data.recommendation;
  const table = $("guide-table");
  table.replaceChildren();
  const head = make("tr");
  head.append(make("th", "", ""));
  const removed = new Set(data.removed.map((r) => r.option));
  for (const o of data.options) {
    const th = make("th", removed.has(o.key) ? "removed" : "", o.label);
    th.dataset.option = o.key;
    head.append(th);
  }
  const thead = make("thead");
  thead.append(head);
  const tbody = make("tbody");
  for (const row of data.rows) {
    const tr = make("tr");
    tr.dataset.row = row.key;
    tr.append(make("th", "", row.label));
    for (const o of data.options) {
      const td = cellNode(row.cells[o.key]);
      if (removed.has(o.key)) td.classList.add("removed");
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.append(thead, tbody);
  $("guide-notes").textContent = data.notes.join(" ");
  $("guide-removed").replaceChildren(...data.removed.concat(data.adjusted).map((r) => make("li", "", r.reason)));
  fillMetrics(data);
  return fillHosted(data);
}

/** An error of the scores file in plain words: "Line 3, column model: unknown model …". */
export function scoresErrorText(e) {
  const m = /^user_scores_csv: line (\d+): (.+)$/.exec(e.path);
  if (!m) return `The file: ${e.message}`;
  if (m[2] === "header") return `Line ${m[1]} (the header): ${e.message}`;
  if (m[2] === "-") return `Line ${m[1]}: ${e.message}`;
  return `Line ${m[1]}, column ${m[2]}: ${e.message}`;
}

function showScores() {
  $("g-scores-status").textContent = g.scores ? `${g.scores.name}: ${g.scores.rows} score(s) in use; they take ` +
                                                "precedence over published ones" : "";
  $("g-scores-clear").hidden = !g.scores;
}

/** Read the chosen file; an empty or too long file is refused here, the rest is checked by the API. */
async function loadScores() {
  const file = $("g-scores").files[0];
  $("g-scores-error").replaceChildren();
  g.scores = null;
  if (file) {
    const text = await file.text();
    if (text.length > MAX_SCORES_CHARS) {
      $("g-scores-error").append(make("li", "", `${file.name}: ${text.length.toLocaleString("en")} characters, more ` +
                                                `than the ${MAX_SCORES_CHARS.toLocaleString("en")} accepted`));
      $("g-scores").value = "";
    } else {
      const rows = text.split(/\r?\n/).slice(1).filter((l) => l.trim()).length;
      g.scores = { name: file.name, text, rows };
    }
  }
  showScores();
  if (!g.scores) forgetUserTasks();
  refreshGuide(true);
}

// Without a scores file a metric picked from it is no metric any more: back to the first shipped one.
function forgetUserTasks() {
  for (const select of [$("g-metric"), $("g-floor_metric")]) {
    if (!g.shipped.includes(select.value)) refill(select, [[g.shipped[0], g.shipped[0]]], g.shipped[0]);
  }
}

/** Ask for the guide of the form's scenario with the questions' answers (`force`: even if shown). */
export async function refreshGuide(force = false) {
  const { scenario, errors } = readForm();
  if (Object.keys(errors).length) return;
  const body = { ...scenario, ...guideInputs() };
  const key = JSON.stringify(body);
  if (!force && key === g.drawnKey) return;
  if (g.ctrl) g.ctrl.abort();
  g.ctrl = new AbortController();
  const mySeq = ++g.seq;
  const sec = $("guide");
  sec.dataset.state = "busy";
  let res;
  try {
    res = await postJSON(GUIDE_URL, body, g.ctrl.signal);
  } catch (e) {
    if (mySeq === g.seq) { sec.dataset.state = "error"; $("guide-error").textContent = "the service did not answer"; }
    return;
  }
  if (mySeq !== g.seq) return;
  g.ctrl = null;
  if (!res.ok) {
    const list = errorList(res.status, res.data);
    if (g.scores && list.every((e) => e.path.startsWith("user_scores_csv"))) {
      // the file is at fault: say where in plain words, leave it out, and show the table without it
      const more = (res.data && res.data.error_count) > list.length ? res.data.error_count - list.length : 0;
      $("g-scores-error").replaceChildren(
        make("li", "", `${g.scores.name} was not used:`), ...list.slice(0, 20).map((e) => make("li", "", scoresErrorText(e))),
        ...(more ? [make("li", "", `and ${more} more`)] : []));
      g.scores = null;
      $("g-scores").value = "";
      showScores();
      forgetUserTasks();
      refreshGuide(true);
      return;
    }
    sec.dataset.state = "error";
    $("guide-error").textContent = list.map((e) => `${e.path}: ${e.message}`).join("; ");
    return;
  }
  $("guide-error").textContent = "";
  if (renderGuide(res.data)) { refreshGuide(true); return; }   // the hosted choice left the list: ask again
  g.drawnKey = key;
  sec.dataset.state = "ready";
}

/** Follow the page (each finished update), the questions form, the hosted picker and the scores file. */
export function watchGuide() {
  g.shipped = [...$("g-metric").options].map((o) => o.value);
  new MutationObserver(() => {
    if (document.body.dataset.state === "ready") refreshGuide();
  }).observe(document.body, { attributes: true, attributeFilter: ["data-state"] });
  $("guide-questions").addEventListener("change", () => refreshGuide(true));
  $("guide-questions").addEventListener("submit", (e) => { e.preventDefault(); refreshGuide(true); });
  $("g-hosted").addEventListener("change", () => refreshGuide(true));
  $("g-scores").addEventListener("change", loadScores);
  $("g-scores-clear").addEventListener("click", () => {
    $("g-scores").value = "";
    $("g-scores-error").replaceChildren();
    loadScores();
  });
}
