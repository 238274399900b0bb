// Saved scenarios: the list under the charts, open one, save the form under a name, delete.
import { deleteScenario, getScenario, listScenarios, saveScenario } from "./api.js";
import { $, make, status } from "./dom.js";
import { readForm, showErrors, writeForm } from "./form.js";
import { cancelUpdate, update } from "./update.js";

function linkButton(cls, text) {
  const b = make("button", cls, text);
  b.type = "button";
  return b;
}

/** Ask for the saved scenarios and list them, each with an open and a delete button. */
export async function refreshSaved() {
  const res = await listScenarios();
  if (!res.ok) return;
  const ul = $("saved-list");
  ul.innerHTML = "";
  (res.data.scenarios || []).forEach((s) => {
    const open = linkButton("link", s.name);
    open.title = `saved ${s.updated_at}`;
    open.addEventListener("click", () => openSaved(s.id));
    const del = linkButton("link danger", "delete");
    del.setAttribute("aria-label", `delete ${s.name}`);
    del.addEventListener("click", async () => {
      await deleteScenario(s.id);
      refreshSaved();
    });
    const when = make("span", "when", (s.updated_at || "").slice(0, 16).replace("T", " "));
    const li = make("li");
    li.append(open, when, del);
    ul.append(li);
  });
}

async function openSaved(id) {
  cancelUpdate();
  const res = await getScenario(id);
  if (!res.ok) { status("could not open that scenario"); update(); return; }
  const rec = res.data;
  writeForm(rec.scenario);
  $("f-ui-save-name").value = rec.name;
  status(`opened “${rec.name}”`);
  update();
}

/** Save the form under the name typed beside the button. */
export async function save() {
  const name = $("f-ui-save-name").value.trim();
  if (!name) { status("give the scenario a name"); $("f-ui-save-name").focus(); return; }
  const { scenario, errors } = readForm();
  if (Object.keys(errors).length) { status("fix the highlighted fields first"); return; }
  const res = await saveScenario(name, scenario);
  if (!res.ok) { showErrors(res.data.errors || []); status(res.data.message); return; }
  status(`saved “${name}”`);
  refreshSaved();
}
