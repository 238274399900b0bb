// "Closed or open, in the guide's six rows": the table for the scenario the page shows, the
// questions as a small form, and the recommendation (POST /api/v1/guide).
// It follows the page: each time the update cycle is done (body[data-state] = ready) it asks for
// the guide of the scenario now in the form, unless it already shows that one; a change of the
// questions asks again at once.  #guide[data-state]: pending | busy | ready | error.
import { errorList, postJSON } from "./api.js";
import { $, make } from "./dom.js";
import { readForm } from "./form.js";

export const GUIDE_URL = "/api/v1/guide";
const g = { drawnKey: null, ctrl: null, seq: 0 };

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

// One cell: its text, linked to its source when it has one, with the source's date.
function cellNode(cell) {
  const td = make("td", cell.estimate ? "estimate" : "");
  td.title = cell.text;
  const body = cell.source_url ? make("a", "src", cell.text) : make("span", "", cell.text);
  if (cell.source_url) { body.href = cell.source_url; body.target = "_blank"; body.rel = "noopener noreferrer"; }
  td.append(body);
  if (cell.effective_date) td.append(make("span", "date", cell.effective_date));
  if (cell.estimate) td.append(make("span", "date", "estimate"));
  return td;
}

/** Draw a guide answer: the recommendation, the table (rows x options), the options removed. */
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
  const list = $("guide-removed");
  list.replaceChildren(...data.removed.concat(data.adjusted).map((r) => make("li", "", r.reason)),
                       ...data.notes.map((n) => make("li", "note", n)));
}

/** Ask for the guide of the form's scenario with the questions' answers (`force`: even if shown). */
export async function refreshGuide(force = false) {
  const { scenario, errors } = readForm();
  if (Object.keys(errors).length) return;
  const body = { ...scenario, questions: readQuestions() };
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
    sec.dataset.state = "error";
    $("guide-error").textContent = errorList(res.status, res.data).map((e) => `${e.path}: ${e.message}`).join("; ");
    return;
  }
  $("guide-error").textContent = "";
  renderGuide(res.data);
  g.drawnKey = key;
  sec.dataset.state = "ready";
}

/** Follow the page (each finished update) and the questions form. */
export function watchGuide() {
  new MutationObserver(() => {
    if (document.body.dataset.state === "ready") refreshGuide();
  }).observe(document.body, { attributes: true, attributeFilter: ["data-state"] });
  $("guide-questions").addEventListener("change", () => refreshGuide(true));
  $("guide-questions").addEventListener("submit", (e) => { e.preventDefault(); refreshGuide(true); });
}
