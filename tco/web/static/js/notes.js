// The note under each lever: the value a blank field leaves in force, with its date and source.
// The GPU rate and the server price come from the catalog rows in the page (#tco-options), so
// they follow a new pick at once; the others from the API's last answer (its assumptions, each
// with its source), else the field's default.
import { form, make, pageOptions } from "./dom.js";
import { sig, sigFixed } from "./format.js";

let last = null;                             // the API's last answer ({summary, assumptions})

/** A number for a note: six significant digits, thousands separated (200,000; 0.5). */
const num6 = (x) => (+sig(x, 6)).toLocaleString("en-US", { maximumFractionDigits: 6 });

const money = (x) => "$" + (+x).toLocaleString("en-US", { maximumFractionDigits: x < 100 ? 2 : 0 });

/** The host of a source URL, for a short link text ("aws.amazon.com"). */
export function sourceHost(url) {
  try { return new URL(url).hostname.replace(/^www\./, ""); } catch (e) { return url; }
}

/** A source text of the API ("catalog: gpu_rates aws/h100-sxm/on_demand (2025-06-01) https://…") as
 *  {text, url}: the URL taken out so that it can be a link. */
export function splitSource(source) {
  const m = /(https?:\/\/\S+)/.exec(String(source || ""));
  return m ? { text: source.replace(m[1], "").replace(/\s+$/, ""), url: m[1] } : { text: String(source || ""), url: null };
}

// The note's parts: texts, and a link for the source.
function fill(note, parts) {
  note.replaceChildren(...parts.filter((x) => x !== null && x !== "").map((x) => {
    if (typeof x === "string") return x;
    const a = make("a", "", sourceHost(x.url));
    a.href = x.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }).flatMap((x, i) => (i ? [" · ", x] : [x])));
}

const value = (path) => {
  const el = form.querySelector(`[data-path="${CSS.escape(path)}"]`);
  return el ? el.value : "";
};

/** The catalog's rate for the GPU, provider and term picked (rates as in #tco-options), or null. */
export function catalogRate(rates, gpu, provider, term) {
  return rates.find((r) => r.gpu === gpu && r.provider === provider && r.term === term) || null;
}

// Each lever's note, as its parts, or null to leave the note empty.
function gpuRateNote() {
  const r = catalogRate(pageOptions().rates, value("open.gpu"), value("open.provider"), value("open.term"));
  if (!r) return ["catalog: no rate for this GPU, provider and term"];
  return [`catalog: ${money(r.usd)}/GPU-hour (${r.name}, ${r.term.replace(/_/g, " ")})`, r.date,
          r.source_url ? { url: r.source_url } : null];
}

function serverNote() {
  const g = pageOptions().gpus.find((x) => x.id === value("open.gpu"));
  if (!g || g.purchase_usd === null) return ["catalog: no purchase price for this GPU"];
  return [`catalog: ${g.gpus_per_server} GPUs x ${money(g.purchase_usd)} = ${money(g.gpus_per_server * g.purchase_usd)}`
          + (g.estimate ? " (an estimate)" : ""), g.date, g.source_url ? { url: g.source_url } : null];
}

function assumptionNote(path, el) {
  const a = last && last.assumptions && last.assumptions[path];
  const s = last && last.summary;
  const reached = s && path === "open.max_time_per_output_token_s" ? s.time_per_output_token_s
    : (s && path === "open.max_time_to_first_token_s" ? s.time_to_first_token_s : null);
  const reachedText = reached !== null && reached !== undefined ? `reached: ${sigFixed(reached * 1000, 3)} ms` : "";
  if (path === "open.serving_use" && last && last.assumptions) {
    const tp = last.assumptions["open.max_time_per_output_token_s"];
    const tf = last.assumptions["open.max_time_to_first_token_s"];
    if (tp && tf) {
      const ms = (x) => (x.value === null ? "none" : `${sig(x.value * 1000, 4)} ms`);
      return [`targets in force: ${ms(tp)} per token, ${ms(tf)} to the first`, tp.source];
    }
  }
  if (path === "open.serving_engine" && s) {
    const src = splitSource(s.throughput_source);
    return [`throughput: ${src.text}`, src.url ? { url: src.url } : null];
  }
  if (a && a.source !== "scenario") {
    const src = splitSource(a.source);
    const kind = el ? el.dataset.kind : "";
    const num = typeof a.value === "number";
    const shown = a.value === null ? "none" : (num && kind === "ms" ? `${sig(a.value * 1000, 4)} ms`
      : (num && kind === "percent" ? `${num6(a.value * 100)} %` : `${num ? num6(a.value) : a.value} ${a.unit}`));
    return [`${shown}: ${src.text}`, src.url ? { url: src.url } : null, reachedText];
  }
  if (reachedText) return [reachedText];
  if (el && el.dataset.default !== undefined && el.dataset.default !== "" && el.dataset.default !== "None") {
    const d = `${num6(el.dataset.default)} ${el.dataset.unit || ""}`;
    return [`default: ${d.trim()} (tco's default; no catalog row)`];
  }
  return null;
}

/** Fill every lever's note; `data` (the API's answer) when a new one came, else the last one kept. */
export function renderNotes(data) {
  if (data) last = data;
  form.querySelectorAll(".catalog-note[data-note]").forEach((note) => {
    const path = note.dataset.note;
    const el = form.querySelector(`[data-path="${CSS.escape(path)}"]`);
    const parts = path === "open.usd_per_gpu_hour" ? gpuRateNote()
      : (path === "open.server_usd" ? serverNote() : assumptionNote(path, el));
    if (parts) fill(note, parts); else note.replaceChildren();
  });
}
