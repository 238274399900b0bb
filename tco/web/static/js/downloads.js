// The buttons beside the KPIs: the monthly CSV, the HTML report, a link to this view.
import { CSV_URL, postJSON, REPORT_URL } from "./api.js";
import { status } from "./dom.js";
import { readForm, showErrors } from "./form.js";
import { writeUrl } from "./state.js";

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function downloadFrom(url, name) {
  const { scenario, errors } = readForm();
  if (Object.keys(errors).length) { status("fix the highlighted fields first"); return; }
  status("preparing…");
  const res = await postJSON(url, scenario);
  if (!res.ok) { showErrors(res.data.errors || []); status(res.data.message || "failed"); return; }
  download(res.data, name);
  status(`downloaded ${name}`);
}

/** The form's scenario as a CSV, a row per month, option and component. */
export const downloadCsv = () => downloadFrom(CSV_URL, "tco_monthly.csv");

/** The form's scenario as a one-page HTML report. */
export const downloadReport = () => downloadFrom(REPORT_URL, "tco_report.html");

/** The form into the URL, and the URL onto the clipboard (where the page may write there). */
export async function copyLink() {
  writeUrl();
  try { await navigator.clipboard.writeText(location.href); status("link copied"); }
  catch (e) { status("link is in the address bar"); }
}
