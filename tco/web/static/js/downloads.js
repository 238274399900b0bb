// The buttons beside the KPIs: the monthly CSV, the report (HTML, PDF), the workbook (XLSX), a link
// to this view; and the page on paper (print.css). Every export is in the header's currency; the report
// (HTML, PDF) also carries the guide panel's answers, hosted choice and scores file, so its guide
// section recommends what the panel does.
import { CSV_URL, postJSON, REPORT_URL } from "./api.js";
import { status } from "./dom.js";
import { readForm, showErrors } from "./form.js";
import { withCurrency } from "./format.js";
import { guideInputs } from "./guide.js";
import { writeUrl } from "./state.js";

const PDF_URL = "/api/v1/report.pdf";
const XLSX_URL = "/api/v1/tco.xlsx";

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// `guide`: the request takes the guide's body (the report): the panel's inputs go with the scenario.
async function downloadFrom(url, name, guide = false) {
  const { scenario, errors } = readForm();
  if (Object.keys(errors).length) { status("fix the highlighted fields first"); return; }
  status("preparing…");
  const body = withCurrency(scenario);
  const res = await postJSON(url, guide ? { ...body, ...guideInputs() } : body);
  if (!res.ok) { showErrors(res.data.errors || []); status(res.data.message || "failed"); return; }
  download(res.data, name);
  status(`downloaded ${name}`);
}

/** The form's scenario as a CSV, a row per month, option and component (the volume once per month). */
export const downloadCsv = () => downloadFrom(CSV_URL, "tco_monthly.csv");

/** The form's scenario as a one-page HTML report, with the guide panel's answers. */
export const downloadReport = () => downloadFrom(REPORT_URL, "tco_report.html", true);

/** The title of a PDF or workbook: the scenario's name where one is typed (the save box). */
function titled(url) {
  const box = document.getElementById("f-ui-save-name");
  const name = box ? box.value.trim() : "";
  return name ? `${url}?title=${encodeURIComponent(name.slice(0, 200))}` : url;
}

/** The same report as an A4 PDF. */
export const downloadPdf = () => downloadFrom(titled(PDF_URL), "tco_report.pdf", true);

/** The workbook: summary, a row per month and a column per component, assumptions with sources. */
export const downloadXlsx = () => downloadFrom(titled(XLSX_URL), "tco.xlsx");

/** The form into the URL, and the URL onto the clipboard (where the page may write there). */
export async function copyLink() {
  writeUrl();
  try { await navigator.clipboard.writeText(location.href); status("link copied"); }
  catch (e) { status("link is in the address bar"); }
}

/** Before printing, redraw the plotly charts at the paper's width (print.css sizes their boxes);
 *  after, at the screen's again. */
export function watchPrint() {
  const resize = () => {
    const Plotly = window.Plotly;
    if (!Plotly) return;
    document.querySelectorAll(".chart").forEach((el) => { if (el._fullLayout) Plotly.Plots.resize(el); });
  };
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
}
