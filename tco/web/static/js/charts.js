// Drawing the API's plotly figures. plotly.js itself is the page's classic script (window.Plotly),
// served by the app from the plotly package.
import { $ } from "./dom.js";

/** The charts above the fold, and those of the uncertainty panel (by figure name). */
export const CHARTS = ["cost_vs_volume", "cumulative_cost", "monthly_breakdown", "unit_cost", "fleet"];
export const UNCERTAINTY_CHARTS = ["tornado", "fan"];

// No "Share chart..." button: plotly.js 4 shows one by default, and it uploads the chart to Plotly Cloud.
export const PLOT_CONFIG = { responsive: true, displaylogo: false, showSendToCloud: false, showEditInChartStudio: false,
                             modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud"] };

/** A figure's title as plain text (a line break becomes " · ", the other HTML tags are dropped): the
 *  page shows it above the chart. */
export function chartCaption(layout) {
  const title = layout.title && (typeof layout.title === "string" ? layout.title : layout.title.text);
  return String(title || "").replace(/<br\s*\/?>/gi, " · ").replace(/<[^>]*>/g, "");
}

/** The figure's layout as the page draws it: no title inside the plot (the caption above it holds it,
 *  so the legend on top has all the room it needs), and the tornado's axis short: -$400k, not $-400,000
 *  (in another currency, with its symbol as the server put it: €-400k). */
export function pageLayout(name, layout) {
  const out = { ...layout, title: { text: "" }, margin: { ...(layout.margin || {}), t: 24 } };
  if (name === "tornado") {
    const x = layout.xaxis || {};
    out.xaxis = !x.tickprefix || x.tickprefix === "$" ? { ...x, tickprefix: "", tickformat: "$~s" } : { ...x, tickformat: "~s" };
  }
  return out;
}

/** Draw each named figure into #chart-<name> with its caption in #title-<name>; a figure the
 *  answer lacks is cleared. */
export async function renderCharts(names, figures) {
  const Plotly = window.Plotly;
  for (const name of names) {
    const fig = figures[name];
    const caption = $(`title-${name}`);
    if (!fig) { Plotly.purge(`chart-${name}`); caption.textContent = ""; continue; }
    caption.textContent = caption.title = chartCaption(fig.layout);
    // a title with a second line (a latency target out of reach under the fleet's) wraps instead of
    // being cut at the caption's end, where the second line's words would be lost
    caption.classList.toggle("wraps", /<br\s*\/?>/i.test(String(fig.layout.title?.text ?? fig.layout.title ?? "")));
    const gd = await Plotly.react(`chart-${name}`, fig.data, pageLayout(name, fig.layout), PLOT_CONFIG);
    await keepLabelsInside(gd);
  }
}

/** After the browser has painted (or 50 ms, in a tab that paints nothing). */
export function nextPaint() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 50);
  });
}

// A label pinned to a data x (e.g. "your volume: 2.5B tokens/month") that runs out of the plot
// area over the axis labels, or under a note pinned to the plot area ("No break-even volume:
// ..."), in a narrow chart, goes to the other side of its line, or below the note.
function keepLabelsInside(gd) {
  const size = gd._fullLayout && gd._fullLayout._size;
  const svg = gd.querySelector(".main-svg");
  const notes = gd.layout.annotations || [];
  if (!size || !svg || !notes.length) return Promise.resolve();
  const box = svg.getBoundingClientRect();
  const plot = { left: box.left + size.l, right: box.left + size.l + size.w, top: box.top + size.t,
                 bottom: box.top + size.t + size.h };
  const rects = notes.map((a, i) => {
    const g = gd.querySelector(`.annotation[data-index="${i}"]`);
    const r = g && g.getBoundingClientRect();
    return r && { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  });
  const pinned = rects.filter((r, j) => r && notes[j].xref === "paper");
  const hits = (r) => pinned.filter((o) => r.left < o.right && o.left < r.right && r.top < o.bottom && o.top < r.bottom);
  const clean = (r) => r.left >= plot.left - 1 && r.right <= plot.right + 1 && r.bottom <= plot.bottom
                       && hits(r).length === 0;
  const changes = {};
  notes.forEach((a, i) => {
    const r = rects[i];
    if (!r || a.xref !== "x" || a.showarrow || a.yref !== "paper" || !["left", "right"].includes(a.xanchor)) return;
    if (clean(r)) return;
    const w = r.right - r.left, h = r.bottom - r.top;
    const line = a.xanchor === "left" ? r.left : r.right;            // the label's edge at its line
    const other = a.xanchor === "left" ? "right" : "left";
    const side = (anchor) => (anchor === "left" ? { left: line, right: line + w } : { left: line - w, right: line });
    const below = Math.max(...[r.top, ...hits(r).map((o) => o.bottom + 3)]);
    const tries = [[other, r.top], [a.xanchor, below], [other, below]];
    for (const [anchor, top] of tries) {
      const cand = { ...side(anchor), top, bottom: top + h };
      if (!clean(cand)) continue;
      changes[`annotations[${i}].xanchor`] = anchor;
      if (top !== r.top) {
        changes[`annotations[${i}].yanchor`] = "top";
        changes[`annotations[${i}].y`] = 1 - (top - plot.top) / size.h;
      }
      break;
    }
  });
  return Object.keys(changes).length ? window.Plotly.relayout(gd, changes) : Promise.resolve();
}
