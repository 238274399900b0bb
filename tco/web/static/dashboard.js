// tco dashboard: reads the form, asks the v1 API, draws what it answers. ES modules served as they
// are (no build step); this one wires the page's controls to the modules in js/:
//   format.js  numbers in and out (500M, 2.5B, percentages, dollars)    dom.js        small DOM helpers
//   form.js    the form <-> the scenario JSON, field errors              state.js      page state and the URL
//   api.js     the v1 API and its error shape                            update.js     the update cycle
//   kpis.js    verdict and KPI cards                                     charts.js     plotly figures
//   uncertainty.js  the Monte Carlo panel (tornado, fan)                 saved.js      saved scenarios
//   downloads.js    CSV, report, PDF, XLSX, link, print                  usage.js      a usage export fills the workload
//   currency.js     the header's currency picker (format.js converts the amounts)
//   guide.js   the guide's head-to-head table and its questions
//   notes.js   the catalog's value, date and source under each lever
//   compare.js      the "Compare options" panel (many options, ranked by NPV)
import { redrawCompare, watchCompare } from "./js/compare.js";
import { $, form } from "./js/dom.js";
import { watchCurrency } from "./js/currency.js";
import { copyLink, downloadCsv, downloadPdf, downloadReport, downloadXlsx, watchPrint } from "./js/downloads.js";
import { displayDefault, filterClosedModels, filterGpus, refreshProviders, refreshVisibility, syncPrecision } from "./js/form.js";
import { watchGuide } from "./js/guide.js";
import { renderNotes } from "./js/notes.js";
import { refreshSaved, save } from "./js/saved.js";
import { readUrl } from "./js/state.js";
import { watchUncertainty } from "./js/uncertainty.js";
import { flushUpdate, scheduleUpdate, update } from "./js/update.js";
import { uploadUsage } from "./js/usage.js";

// Inputs that are no part of the scenario: the closed-model search and the usage file.
const NOT_SCENARIO = new Set(["f-ui-closed-search", "f-ui-usage"]);

// Picks the precision's default follows (tco.defaults): the open model (either mode's), the GPU, the mode.
const PRECISION_INPUTS = new Set(["f-open-model", "f-open-image-model", "f-open-gpu", "f-ui-mode"]);

function init() {
  refreshProviders();
  syncPrecision("force");
  // Defaults shown in every numeric field.
  form.querySelectorAll("input[data-default]").forEach((el) => { if (!el.value) el.value = displayDefault(el); });
  readUrl();
  refreshVisibility();
  form.addEventListener("input", (e) => {
    if (NOT_SCENARIO.has(e.target.id)) return;
    if (e.target.id === "f-open-gpu") refreshProviders();
    if (e.target.id === "f-open-provider") refreshProviders($("f-open-provider").value);
    if (e.target.id === "f-open-usd_per_gpu_hour") filterGpus();   // a typed price prices any GPU
    if (PRECISION_INPUTS.has(e.target.id)) syncPrecision();
    renderNotes();                           // the catalog's rate and server price follow the pick at once
    scheduleUpdate();
  });
  form.addEventListener("change", (e) => {
    if (e.target.id === "f-open-gpu" || e.target.id === "f-open-provider") {
      refreshProviders(e.target.id === "f-open-provider" ? $("f-open-provider").value : undefined);
    }
    if (e.target.name === "open.hosting") { refreshProviders(); refreshVisibility(); }   // renting lists rented GPUs only
    renderNotes();
    if (e.target.id === "f-ui-usage") {
      if (e.target.files.length) uploadUsage(e.target.files[0]);
      return;
    }
    if (e.target.id !== "f-ui-closed-search") flushUpdate(e);           // an edit committed: no need to wait
  });
  // picking the same file again reads it again
  $("f-ui-usage").addEventListener("click", (e) => { e.target.value = ""; });
  $("f-ui-closed-search").addEventListener("input", (e) => { if (filterClosedModels(e.target.value)) scheduleUpdate(); });
  form.addEventListener("submit", (e) => { e.preventDefault(); update(); });
  $("btn-csv").addEventListener("click", downloadCsv);
  $("btn-report").addEventListener("click", downloadReport);
  $("btn-pdf").addEventListener("click", downloadPdf);
  $("btn-xlsx").addEventListener("click", downloadXlsx);
  watchCurrency(() => { update(); redrawCompare(); });
  watchPrint();
  $("btn-link").addEventListener("click", copyLink);
  $("btn-save").addEventListener("click", save);
  watchUncertainty();
  watchGuide();
  watchCompare();
  refreshSaved();
  update();
}

init();
