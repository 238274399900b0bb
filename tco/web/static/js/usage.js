// A usage export (CSV) fills the workload: the API prices it, the page shows what it found and
// copies the last month's workload into the form.
// #usage-upload[data-state]: idle | busy | done | error. The page's own state (body[data-state])
// belongs to the form's updates: a file read well starts one, a file rejected changes nothing.
import { errorList, postCSV, USAGE_URL } from "./api.js";
import { $, make } from "./dom.js";
import { fmtUsd, fmtUsdCents, fmtVolume } from "./format.js";
import { fillWorkload } from "./form.js";
import { update } from "./update.js";

const MAX_ERRORS_SHOWN = 8;

/** Where a usage error is: "csv.5.input_tokens" -> "line 5, input_tokens"; a path that is no
 *  CSV cell as it is ("file" when there is none). */
export function usageErrorPlace(path) {
  const m = /^csv\.(\d+)\.(.+)$/.exec(path || "");
  return m ? `line ${m[1]}, ${m[2]}` : (path || "file");
}

/** The CSV line an error names (0 for none): errors are listed in file order. */
export function usageErrorLine(error) {
  const m = /^csv\.(\d+)\./.exec(error.path || "");
  return m ? +m[1] : 0;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function usageBox(state, ...children) {
  $("usage-upload").dataset.state = state;
  $("usage-result").replaceChildren(...children);
}

/** Send the file to the API; show its summary (or its errors, by line) beside the control. */
export async function uploadUsage(file) {
  usageBox("busy", `Pricing ${file.name}…`);
  let res;
  try {
    res = await postCSV(USAGE_URL, await file.text());
  } catch (e) {
    usageBox("error", make("p", "usage-title", `${file.name}: the service did not answer.`));
    return;
  }
  const data = res.data instanceof Blob ? {} : res.data;
  if (!res.ok) {
    const errors = [...errorList(res.status, data, "file")].sort((a, b) => usageErrorLine(a) - usageErrorLine(b));
    const ul = make("ul", "usage-errors");
    errors.slice(0, MAX_ERRORS_SHOWN).forEach((e) => {
      const li = make("li");
      li.append(make("strong", "", usageErrorPlace(e.path)), `: ${e.message}`);
      ul.append(li);
    });
    if (errors.length > MAX_ERRORS_SHOWN) ul.append(make("li", "", `… and ${errors.length - MAX_ERRORS_SHOWN} more`));
    usageBox("error", make("p", "usage-title", `${file.name} was not read: ${data.message || "invalid rows"}.`), ul);
    return;
  }
  usageBox("done", ...usageSummary(file.name, data));
  if (!data.workload) return;
  fillWorkload(data.workload);
  await update();
}

function usageSummary(name, d) {
  const months = d.by_month || [];
  const last = months[months.length - 1];
  const out = [];
  const head = make("p", "usage-title");
  head.append(`${name}: ${d.priced_rows.toLocaleString("en-US")} of ${d.rows.toLocaleString("en-US")} rows priced, `,
              make("strong", "usage-total", fmtUsdCents(d.total_usd)));
  if (months.length) {
    head.append(` over ${plural(months.length, "month")} (${months[0].key}`
                + (months.length > 1 ? ` to ${last.key})` : ")") + ".");
  }
  out.push(head);
  if (last) {
    const tok = last.input_tokens + last.output_tokens;
    out.push(make("p", "", `Last month, ${last.key}: ${fmtVolume(tok)} tokens for ${fmtUsd(last.usd)}`
                + (last.usd_per_mtok ? ` (${fmtUsd(last.usd_per_mtok)} per 1M tokens).` : ".")));
  }
  if (d.price_assumed_rows) {
    out.push(make("p", "", `${d.price_assumed_rows} rows predate their model's first known price and were priced at it.`));
  }
  (d.unpriced || []).forEach((u) => {
    out.push(make("p", "usage-warn", `Not priced: ${u.model} (${plural(u.rows, "row")}): ${u.reason}`
                + (u.closest ? `; closest: ${u.closest}.` : ".")));
  });
  out.push(make("p", "usage-note", d.workload
    ? "The workload below now starts from the log's last month: volume, input share, growth and prompt length "
      + "here, cached and batch shares under Assumptions."
    : "No priced rows: the workload was left as it was."));
  return out;
}
