// tco dashboard: reads the form, asks the v1 API, draws what it answers. No build step.
(function () {
  "use strict";

  const OPTIONS = JSON.parse(document.getElementById("tco-options").textContent);
  const form = document.getElementById("scenario-form");
  const $ = (id) => document.getElementById(id);
  const CHARTS = ["cost_vs_volume", "cumulative_cost", "monthly_breakdown", "unit_cost"];
  const UNCERTAINTY_CHARTS = ["tornado", "fan"];
  // The uncertainty panel: Monte Carlo draws, seeded, so the same inputs always give the same bands.
  const MC = { samples: 5000, seed: 0 };
  const DEBOUNCE_MS = 250;
  // No "Share chart..." button: plotly.js 4 shows one by default, and it uploads the chart to Plotly Cloud.
  const PLOT_CONFIG = { responsive: true, displaylogo: false, showSendToCloud: false, showEditInChartStudio: false,
                        modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud"] };
  let timer = null;
  let seq = 0;
  let lastScenario = null;

  // ------------------------------------------------------------------ number formats
  const SUFFIX = { k: 1e3, m: 1e6, b: 1e9, t: 1e12 };

  function parseVolume(text) {
    const t = String(text).trim().toLowerCase().replace(/[, _]/g, "").replace(/tokens?$/, "");
    if (t === "") return null;
    const m = t.match(/^(-?\d*\.?\d+(?:e[+-]?\d+)?)([kmbt]?)$/);
    if (!m) return NaN;
    return parseFloat(m[1]) * (m[2] ? SUFFIX[m[2]] : 1);
  }

  function fmtVolume(x) {
    if (x === null || x === undefined || !isFinite(x)) return "";
    const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
    for (const [d, s] of units) if (Math.abs(x) >= d) return +(x / d).toPrecision(3) + s;
    return String(+x.toPrecision(3));
  }

  const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact",
                                               maximumFractionDigits: 2 });
  // Under $10: cents ($4.00, $5.05), or three significant digits below $1 ($0.0123).
  const usdSmall = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2,
                                                    maximumFractionDigits: 2 });
  const usdTiny = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 3 });
  const fmtUsd = (x) => (x === null || x === undefined || !isFinite(x)) ? "n/a"
    : (Math.abs(x) < 1 && x !== 0 ? usdTiny.format(x) : (Math.abs(x) < 10 ? usdSmall.format(x) : usd.format(x)));
  // Three significant digits, for amounts in a sentence: $144K, -$386K, $1.2M.
  const usd3 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact",
                                                maximumSignificantDigits: 3 });
  const fmtUsd3 = (x) => (x === null || x === undefined || !isFinite(x)) ? "n/a" : usd3.format(x);
  // Cents, for a bill: $12,345.67.
  const usdCents = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2,
                                                    maximumFractionDigits: 2 });
  // Month index (0 = the first month) as people count it.
  const fmtMonth = (m) => `month ${Math.floor(m) + 1}`;
  // A volume written back into a field: six significant digits, so the scenario keeps the number.
  function fmtVolumeExact(x) {
    const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
    for (const [d, s] of units) if (Math.abs(x) >= d) return +(x / d).toPrecision(6) + s;
    return String(+x.toPrecision(6));
  }

  // ------------------------------------------------------------------ form <-> scenario
  function mode() { return $("f-ui-mode").value; }
  function customPrices() { return $("f-ui-custom-prices").checked; }
  function hosting() { return form.querySelector('input[name="open.hosting"]:checked').value; }

  function setPath(obj, path, value) {
    const parts = path.split(".");
    let o = obj;
    for (let i = 0; i < parts.length - 1; i++) o = (o[parts[i]] = o[parts[i]] || {});
    o[parts[parts.length - 1]] = value;
  }

  function getPath(obj, path) {
    return path.split(".").reduce((o, k) => (o && k in o ? o[k] : undefined), obj);
  }

  // Which inputs take part in the scenario, given the mode and the toggles.
  function active(el) {
    if (el.closest("[hidden]")) return false;
    const m = el.closest(".mode-field");
    if (m && !m.dataset.modes.split(" ").includes(mode())) return false;
    return true;
  }

  function refreshVisibility() {
    document.querySelectorAll(".mode-field").forEach((el) => {
      el.hidden = !el.dataset.modes.split(" ").includes(mode());
    });
    form.querySelector('[data-group="closed-catalog"]').hidden = customPrices();
    form.querySelector('[data-group="closed-custom"]').hidden = !customPrices();
    form.querySelector('[data-group="cloud"]').hidden = hosting() !== "cloud";
    form.querySelector('[data-group="owned"]').hidden = hosting() !== "owned";
    refreshPeak();
  }

  // A named load shape has its own peak: the peak-to-average field then does nothing, so it says so.
  function refreshPeak() {
    const shape = $("f-workload-load_profile");
    const peak = $("f-workload-peak_to_average");
    const help = $("f-workload-peak_to_average-help");
    if (!help.dataset.text) help.dataset.text = help.textContent;
    const preset = shape.value !== "";
    peak.disabled = preset;
    if (!preset) { help.textContent = help.dataset.text; return; }
    const p = OPTIONS.load_peaks[shape.value];
    help.textContent = p !== undefined
      ? `Set by the load shape (${shape.selectedOptions[0].textContent.split(" (")[0]}): ${+p.toPrecision(3)}×.`
      : "Set by the load shape.";
  }

  // Read the form into (scenario JSON, {path: message} of fields the page itself rejects).
  function readForm() {
    const scenario = { workload: {}, closed: {}, open: {}, finance: {} };
    const errors = {};
    form.querySelectorAll("[data-path]").forEach((el) => {
      if (!active(el) || el.disabled) return;
      const path = el.dataset.path;
      const kind = el.dataset.kind;
      if (kind === "radio") { if (el.checked) setPath(scenario, path, el.value); return; }
      const raw = el.value.trim();
      if (raw === "") return;
      if (kind === "select" && raw.startsWith("[")) {       // 24 hourly weights (a load profile)
        try { setPath(scenario, path, JSON.parse(raw)); } catch (e) { errors[path] = "Not a list of numbers."; }
        return;
      }
      if (kind === "select") {
        if (path === "closed.seat_product") {
          const [id, term] = raw.split("|");
          setPath(scenario, path, id);
          setPath(scenario, "closed.billing_term", term);
        } else {
          setPath(scenario, path, raw);
        }
        return;
      }
      if (kind === "date") { setPath(scenario, path, raw); return; }
      let v = kind === "volume" ? parseVolume(raw) : Number(raw.replace(/,/g, ""));
      if (!isFinite(v)) {
        errors[path] = kind === "volume" ? "Not a number: try 500M, 2.5B or 1.2e9." : "Not a number.";
        return;
      }
      if (kind === "percent") v = v / 100;
      if (kind === "int") v = Math.round(v);
      setPath(scenario, path, v);
    });
    if (customPrices()) delete scenario.closed.model;
    else { delete scenario.closed.input_usd_per_mtok; delete scenario.closed.output_usd_per_mtok; }
    if (scenario.horizon_months !== undefined) scenario.horizon_months = Math.round(scenario.horizon_months);
    return { scenario, errors };
  }

  // Put a scenario (as saved or shared) back into the form.
  function writeForm(s) {
    const w = s.workload || {};
    $("f-ui-mode").value = w.seats !== undefined ? "seats" : (w.requests_per_day !== undefined ? "requests" : "tokens");
    $("f-ui-custom-prices").checked = !(s.closed && s.closed.model) && !!(s.closed && s.closed.input_usd_per_mtok !== undefined);
    form.querySelectorAll("[data-path]").forEach((el) => {
      const path = el.dataset.path;
      const kind = el.dataset.kind;
      let v = getPath(s, path);
      if (kind === "radio") { if (v !== undefined) el.checked = el.value === v; return; }
      if (path === "closed.seat_product" && v !== undefined) {
        v = v + "|" + ((s.closed && s.closed.billing_term) || "annual");
      }
      if (v === undefined || v === null) {
        if (el.dataset.default !== undefined) el.value = displayDefault(el);
        else if (el.tagName === "SELECT" && path === "workload.load_profile") el.value = "";
        return;
      }
      if (Array.isArray(v)) {
        const text = JSON.stringify(v);
        if (![...el.options].some((o) => o.value === text)) el.add(new Option("custom (24 hourly weights)", text));
        el.value = text;
        return;
      }
      if (kind === "volume") el.value = fmtVolume(v);
      else if (kind === "percent") el.value = String(+(v * 100).toPrecision(6));
      else el.value = String(v);
      if (kind === "select" && el.value !== String(v) && path !== "closed.seat_product") {
        // An id the page does not list (e.g. from another catalog): keep it visible.
        const o = new Option(String(v), String(v), true, true);
        el.add(o);
      }
    });
    refreshProviders(s.open && s.open.provider, s.open && s.open.term);
    refreshVisibility();
  }

  function displayDefault(el) {
    const d = el.dataset.default;
    if (d === "" || d === "None") return "";
    return el.dataset.kind === "volume" ? fmtVolume(Number(d)) : String(+Number(d).toPrecision(6));
  }

  // ------------------------------------------------------------------ providers and terms follow the GPU
  function refreshProviders(wantProvider, wantTerm) {
    const gpu = $("f-open-gpu").value;
    const provSel = $("f-open-provider");
    const termSel = $("f-open-term");
    const rates = OPTIONS.rates.filter((r) => r.gpu === gpu);
    const current = wantProvider || provSel.value;
    const providers = [...new Map(rates.map((r) => [r.provider, r.name])).entries()];
    provSel.innerHTML = "";
    providers.forEach(([id, name]) => {
      const cheapest = Math.min(...rates.filter((r) => r.provider === id).map((r) => r.usd));
      provSel.add(new Option(`${name} — from $${cheapest.toFixed(2)}/GPU-h`, id));
    });
    if (providers.length === 0) provSel.add(new Option("no rental price for this GPU", ""));
    if (providers.some(([id]) => id === current)) provSel.value = current;
    const terms = rates.filter((r) => r.provider === provSel.value);
    const curTerm = wantTerm || termSel.value;
    termSel.innerHTML = "";
    terms.forEach((r) => termSel.add(new Option(`${r.term.replace(/_/g, " ")} — $${r.usd.toFixed(2)}/GPU-h`, r.term)));
    if (terms.some((r) => r.term === curTerm)) termSel.value = curTerm;
  }

  // ------------------------------------------------------------------ errors next to fields
  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
    $("banner").hidden = true;
  }

  function showErrors(list) {
    const unplaced = [];
    list.forEach(({ path, message }) => {
      const el = form.querySelector(`[data-path="${CSS.escape(path)}"]`)
        || form.querySelector(`[data-path="${CSS.escape(path.split(".").slice(0, 2).join("."))}"]`);
      if (el && active(el)) {
        el.setAttribute("aria-invalid", "true");
        const box = el.closest(".field").querySelector(".field-error");
        box.textContent = message;
        const details = el.closest("details");
        if (details) details.open = true;
      } else {
        unplaced.push(`${path}: ${message}`);
      }
    });
    if (unplaced.length) {
      $("banner").textContent = unplaced.join(" · ");
      $("banner").hidden = false;
    }
  }

  // ------------------------------------------------------------------ talking to the API
  async function postJSON(url, body) {
    const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                   body: JSON.stringify(body) });
    const type = res.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await res.json() : await res.blob();
    return { ok: res.ok, status: res.status, data };
  }

  // body[data-state]: pending (an update is scheduled) | busy (asking the API) | ready | invalid | offline.
  function setState(state) { document.body.dataset.state = state; }

  function scheduleUpdate() {
    clearTimeout(timer);
    setState("pending");
    timer = setTimeout(update, DEBOUNCE_MS);
  }

  async function update() {
    clearTimeout(timer);
    refreshVisibility();
    const { scenario, errors } = readForm();
    const local = Object.entries(errors).map(([path, message]) => ({ path, message }));
    const mySeq = ++seq;                       // any answer still on its way is now out of date
    holdUncertainty();
    if (local.length) {
      clearErrors(); showErrors(local); setStale(true); setState("invalid");
      document.body.classList.remove("busy");
      return;
    }
    document.body.classList.add("busy");
    setState("busy");
    let res;
    try {
      const t0 = performance.now();
      res = await postJSON(chartsUrl(), scenario);
      timings.api = performance.now() - t0;
    } catch (e) {
      if (mySeq !== seq) return;
      clearErrors();
      showErrors([{ path: "network", message: "the service did not answer" }]);
      setStale(true); setState("offline");
      return;
    } finally {
      if (mySeq === seq) document.body.classList.remove("busy");
    }
    if (mySeq !== seq) return;                 // a newer request is on its way
    clearErrors();
    if (!res.ok) {
      const data = res.data && typeof res.data === "object" && !(res.data instanceof Blob) ? res.data : {};
      showErrors(data.errors && data.errors.length ? data.errors
                 : [{ path: "request", message: data.message || `the service answered HTTP ${res.status}` }]);
      setStale(true); setState("invalid"); return;
    }
    setStale(false);
    lastScenario = scenario;
    const t1 = performance.now();
    renderNumbers(res.data);
    timings.numbers = performance.now() - t1;
    await nextPaint();                         // the numbers show before the charts are drawn
    if (mySeq !== seq) return;
    await renderCharts(CHARTS, res.data.figures);
    if (mySeq !== seq) return;
    timings.render = performance.now() - t1;
    writeUrl();
    setState("ready");
    refreshUncertainty();
  }

  // What the last update took [ms]: the API's answer and the drawing (read by the browser tests).
  const timings = window.tcoTimings = { api: null, numbers: null, render: null, uncertainty: null };

  // After the browser has painted (or 50 ms, in a tab that paints nothing).
  function nextPaint() {
    return new Promise((resolve) => {
      requestAnimationFrame(() => setTimeout(resolve, 0));
      setTimeout(resolve, 50);
    });
  }

  // Per-seat products have no pay-per-use price for a hybrid's overflow: no hybrid plan for them.
  function chartsUrl() { return `/api/v1/charts?hybrid=${mode() !== "seats"}`; }

  // ------------------------------------------------------------------ how sure are we? (asked lazily)
  // 5,000 Monte Carlo draws and the tornado cost about as much again as the charts above them, so
  // they are asked separately, once the numbers are on screen, and only when the panel is in
  // view (or near): typing stays quick, and the panel is never out of date when seen.
  // #uncertainty[data-state]: pending (not asked yet) | busy | ready | error.
  const unc = { visible: false, drawnKey: null, askedKey: null, ctrl: null, seq: 0 };

  function holdUncertainty() {
    if (unc.ctrl) { unc.ctrl.abort(); unc.ctrl = null; }
    unc.seq++;
    unc.askedKey = null;
    $("uncertainty").dataset.state = "pending";
  }

  async function refreshUncertainty() {
    const sec = $("uncertainty");
    if (!lastScenario || document.body.dataset.state !== "ready") return;
    const key = JSON.stringify(lastScenario);
    if (key === unc.drawnKey) { sec.dataset.state = "ready"; sec.classList.remove("stale"); return; }
    sec.classList.add("stale");
    if (!unc.visible) { sec.dataset.state = "pending"; return; }
    if (unc.ctrl && unc.askedKey === key) return;          // already asking for this scenario
    if (unc.ctrl) unc.ctrl.abort();
    const my = ++unc.seq;
    unc.ctrl = new AbortController();
    unc.askedKey = key;
    sec.dataset.state = "busy";
    const t0 = performance.now();
    let res, data;
    try {
      res = await fetch(`/api/v1/charts?uncertainty=true&samples=${MC.samples}&seed=${MC.seed}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: key, signal: unc.ctrl.signal });
      data = await res.json();
    } catch (e) {
      if (my !== unc.seq) return;
      unc.ctrl = null;
      unc.askedKey = null;
      sec.dataset.state = "error";
      $("mc-line").textContent = "The uncertainty analysis did not answer.";
      return;
    }
    if (my !== unc.seq) return;
    unc.ctrl = null;
    unc.askedKey = null;
    if (!res.ok) {
      sec.dataset.state = "error";
      $("mc-line").textContent = `The uncertainty analysis failed: ${data.message || `HTTP ${res.status}`}.`;
      return;
    }
    renderUncertainty(data.summary, data.montecarlo);
    await renderCharts(UNCERTAINTY_CHARTS, data.figures);
    if (my !== unc.seq) return;
    timings.uncertainty = performance.now() - t0;
    unc.drawnKey = key;
    sec.classList.remove("stale");
    sec.dataset.state = "ready";
  }

  function watchUncertainty() {
    const sec = $("uncertainty");
    if (!("IntersectionObserver" in window)) { unc.visible = true; return; }
    new IntersectionObserver((entries) => {
      unc.visible = entries.some((e) => e.isIntersecting);
      if (unc.visible) refreshUncertainty();
    }, { rootMargin: "0px 0px 400px 0px" }).observe(sec);
  }

  function setStale(stale) { document.querySelector(".results").classList.toggle("stale", stale); }

  function renderNumbers(data) {
    const s = data.summary;
    const unit = s.unit === "image" ? "images" : "tokens";
    $("verdict").textContent = data.verdict;
    if (s.breakeven_volume_per_month === null) $("kpi-be-volume").textContent = "never";
    else {                                     // the number large, its unit small beside it
      const u = document.createElement("span");
      u.className = "kpi-unit";
      u.textContent = `${unit}/mo`;
      $("kpi-be-volume").replaceChildren(fmtVolume(s.breakeven_volume_per_month), " ", u);
    }
    $("kpi-be-volume-s").textContent = s.breakeven_volume_per_month === null ? s.breakeven_volume_reason
      : "steady monthly volume from which self-hosting stays cheaper";
    $("kpi-be-month").textContent = s.breakeven_month === null ? "not within horizon"
      : (s.breakeven_month < 1 ? "from month 1" : `month ${Math.floor(s.breakeven_month) + 1}`);
    $("kpi-be-month-s").textContent = s.breakeven_month === null ? `over ${s.horizon_months} months`
      : "cumulative cost at or below the closed option's";
    $("kpi-closed-total").textContent = fmtUsd(s.closed_total_usd);
    $("kpi-open-total").textContent = fmtUsd(s.open_total_usd);
    $("kpi-closed-unit").textContent = `${fmtUsd(s.closed_levelised_usd_per_unit)} per ${s.unit} · ${s.closed_label}`;
    // the billing label's short form ("always-on rental"); the whole of it on hover
    $("kpi-open-unit").textContent = `${fmtUsd(s.open_levelised_usd_per_unit)} per ${s.unit} · `
      + String(s.billing_label || "").split(":")[0];
    $("kpi-open-unit").title = s.billing_label || "";
    $("kpi-savings").textContent = fmtUsd(s.savings_usd);
    $("kpi-savings").closest(".kpi").classList.toggle("negative", s.savings_usd < 0);
    $("kpi-savings-s").textContent = `over ${s.horizon_months} months (NPV ${fmtUsd(s.savings_npv_usd)})`;
    renderHybrid(s, data.hybrid_verdict);
    renderAssumptions(data.assumptions);
  }

  async function renderCharts(names, figures) {
    for (const name of names) {
      const fig = figures[name];
      if (!fig) { Plotly.purge(`chart-${name}`); $(`title-${name}`).textContent = ""; continue; }
      const gd = await Plotly.react(`chart-${name}`, fig.data, pageLayout(name, fig.layout), PLOT_CONFIG);
      await keepLabelsInside(gd);
    }
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
    return Object.keys(changes).length ? Plotly.relayout(gd, changes) : Promise.resolve();
  }

  // The page shows each chart's title above it (a caption, not inside the plot): the legend on
  // top of the plot then has all the room it needs, however many lines it wraps to.
  function pageLayout(name, layout) {
    const title = layout.title && (typeof layout.title === "string" ? layout.title : layout.title.text);
    const caption = $(`title-${name}`);
    caption.textContent = caption.title = String(title || "").replace(/<[^>]*>/g, "");
    const out = { ...layout, title: { text: "" }, margin: { ...(layout.margin || {}), t: 24 } };
    if (name === "tornado") {                  // "-$400k", not "$-400,000"
      out.xaxis = { ...(layout.xaxis || {}), tickprefix: "", tickformat: "$~s" };
    }
    return out;
  }

  function renderHybrid(s, sentence) {
    $("hybrid-verdict").textContent = sentence || "";
    $("hybrid-verdict").hidden = !sentence;
    const kpi = $("kpi-hybrid-total").closest(".kpi");
    if (s.hybrid_total_usd === undefined) {
      $("kpi-hybrid-total").textContent = "n/a";
      $("kpi-hybrid-s").textContent = "per-seat prices have no pay-per-use overflow";
      kpi.classList.add("muted");
      return;
    }
    kpi.classList.remove("muted");
    $("kpi-hybrid-total").textContent = fmtUsd(s.hybrid_total_usd);
    const best = Math.min(s.hybrid_savings_vs_closed_usd, s.hybrid_savings_vs_self_hosted_usd);
    if (s.hybrid_switch_month === null) {
      $("kpi-hybrid-s").textContent = "all on the API: no month where own replicas pay";
    } else {
      const n = s.hybrid_peak_replicas;
      $("kpi-hybrid-s").textContent = `own replicas from ${fmtMonth(s.hybrid_switch_month)} (up to ${n})`
        + (best > 0.5 ? ` · ${fmtUsd(best)} below the cheaper pure option` : "");
    }
  }

  function renderUncertainty(s, mc) {
    if (!mc) { $("mc-line").textContent = "–"; $("mc-note").textContent = ""; return; }
    const q = mc.savings_npv_usd;
    const p = (x) => `${Math.round(100 * x)}%`;
    $("mc-line").replaceChildren(
      "P10 / P50 / P90 savings (NPV): ", strong(`${fmtUsd3(q.p10)} / ${fmtUsd3(q.p50)} / ${fmtUsd3(q.p90)}`),
      "; probability self-hosting is cheaper: ", strong(p(mc.probability_self_hosting_cheaper)),
      mc.breakeven_month
        ? `; it pays off within ${s.horizon_months} months in ${p(mc.probability_breakeven_within_horizon)} of the draws `
          + `(in those, from ${fmtMonth(mc.breakeven_month.p50)} at the median).`
        : `; it never pays off within ${s.horizon_months} months in these draws.`);
    $("mc-note").textContent = `${mc.samples.toLocaleString("en-US")} Monte Carlo draws (seed ${mc.seed}) of volume, `
      + "growth, API prices and their yearly change, GPU rates, throughput, utilisation, staff cost and discount rate. "
      + "Savings are self-hosting's, discounted (NPV): below zero, the closed API is cheaper. The tornado moves "
      + "one input at a time from its low to its high value.";
  }

  function strong(text) { const b = document.createElement("strong"); b.textContent = text; return b; }

  function renderAssumptions(assumptions) {
    const body = $("assumptions-table").querySelector("tbody");
    body.innerHTML = "";
    Object.entries(assumptions).forEach(([k, a]) => {
      const tr = document.createElement("tr");
      [k, typeof a.value === "number" ? (+a.value.toPrecision(6)).toLocaleString("en-US") : String(a.value),
       a.unit, a.source].forEach((t) => { const td = document.createElement("td"); td.textContent = t; tr.append(td); });
      body.append(tr);
    });
  }

  // ------------------------------------------------------------------ the URL holds the scenario
  function formState() {
    const p = new URLSearchParams();
    p.set("mode", mode());
    if (customPrices()) p.set("custom", "1");
    form.querySelectorAll("[data-path]").forEach((el) => {
      if (!active(el)) return;
      if (el.disabled) return;
      if (el.dataset.kind === "radio") { if (el.checked) p.set(el.dataset.path, el.value); return; }
      const v = el.value.trim();
      if (v === "") return;
      if (el.dataset.default !== undefined && v === displayDefault(el) && el.dataset.kind !== "volume") return;
      p.set(el.dataset.path, v);
    });
    return p;
  }

  function writeUrl() { history.replaceState(null, "", "?" + formState().toString()); }

  function readUrl() {
    const p = new URLSearchParams(location.search);
    if (![...p.keys()].length) return false;
    if (p.get("mode")) $("f-ui-mode").value = p.get("mode");
    $("f-ui-custom-prices").checked = p.get("custom") === "1";
    if (p.get("open.gpu")) $("f-open-gpu").value = p.get("open.gpu");
    refreshProviders(p.get("open.provider"), p.get("open.term"));
    form.querySelectorAll("[data-path]").forEach((el) => {
      const v = p.get(el.dataset.path);
      if (v === null) return;
      if (el.dataset.kind === "radio") { el.checked = el.value === v; return; }
      el.value = v;
      if (el.tagName === "SELECT" && el.value !== v) {
        el.add(new Option(v.startsWith("[") ? "custom (24 hourly weights)" : v, v, true, true));
      }
    });
    refreshProviders(p.get("open.provider"), p.get("open.term"));
    return true;
  }

  // ------------------------------------------------------------------ downloads, link, saved scenarios
  function status(text) { $("action-status").textContent = text; }

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

  async function refreshSaved() {
    const res = await fetch("/api/v1/scenarios");
    if (!res.ok) return;
    const data = await res.json();
    const ul = $("saved-list");
    ul.innerHTML = "";
    (data.scenarios || []).forEach((s) => {
      const li = document.createElement("li");
      const open = document.createElement("button");
      open.type = "button";
      open.className = "link";
      open.textContent = s.name;
      open.title = `saved ${s.updated_at}`;
      open.addEventListener("click", () => openSaved(s.id));
      const del = document.createElement("button");
      del.type = "button";
      del.className = "link danger";
      del.textContent = "delete";
      del.setAttribute("aria-label", `delete ${s.name}`);
      del.addEventListener("click", async () => {
        await fetch(`/api/v1/scenarios/${s.id}`, { method: "DELETE" });
        refreshSaved();
      });
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = (s.updated_at || "").slice(0, 16).replace("T", " ");
      li.append(open, when, del);
      ul.append(li);
    });
  }

  async function openSaved(id) {
    clearTimeout(timer);
    setState("pending");
    const res = await fetch(`/api/v1/scenarios/${id}`);
    if (!res.ok) { status("could not open that scenario"); update(); return; }
    const rec = await res.json();
    writeForm(rec.scenario);
    $("f-ui-save-name").value = rec.name;
    status(`opened “${rec.name}”`);
    update();
  }

  async function save() {
    const name = $("f-ui-save-name").value.trim();
    if (!name) { status("give the scenario a name"); $("f-ui-save-name").focus(); return; }
    const { scenario, errors } = readForm();
    if (Object.keys(errors).length) { status("fix the highlighted fields first"); return; }
    const res = await postJSON("/api/v1/scenarios", { name, scenario });
    if (!res.ok) { showErrors(res.data.errors || []); status(res.data.message); return; }
    status(`saved “${name}”`);
    refreshSaved();
  }

  // ------------------------------------------------------------------ a usage export fills the workload
  function usageBox(state, ...children) {
    $("usage-upload").dataset.state = state;
    $("usage-result").replaceChildren(...children);
  }

  function make(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // "csv.5.input_tokens" -> "line 5, input_tokens"
  function usageErrorPlace(path) {
    const m = /^csv\.(\d+)\.(.+)$/.exec(path || "");
    return m ? `line ${m[1]}, ${m[2]}` : (path || "file");
  }

  // #usage-upload[data-state]: idle | busy | done | error. The page's own state (body[data-state])
  // belongs to the form's updates: a file read well starts one, a file rejected changes nothing.
  async function uploadUsage(file) {
    usageBox("busy", `Pricing ${file.name}…`);
    let res, data;
    try {
      const text = await file.text();
      res = await fetch("/api/v1/usage", { method: "POST", headers: { "Content-Type": "text/csv" }, body: text });
      data = (res.headers.get("Content-Type") || "").includes("json") ? await res.json() : {};
    } catch (e) {
      usageBox("error", make("p", "usage-title", `${file.name}: the service did not answer.`));
      return;
    }
    if (!res.ok) {
      const line = (e) => { const m = /^csv\.(\d+)\./.exec(e.path || ""); return m ? +m[1] : 0; };
      const errors = (data.errors && data.errors.length ? [...data.errors]
        : [{ path: "file", message: data.message || `HTTP ${res.status}` }]).sort((a, b) => line(a) - line(b));
      const ul = make("ul", "usage-errors");
      errors.slice(0, 8).forEach((e) => {
        const li = make("li");
        li.append(make("strong", "", usageErrorPlace(e.path)), `: ${e.message}`);
        ul.append(li);
      });
      if (errors.length > 8) ul.append(make("li", "", `… and ${errors.length - 8} more`));
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
                make("strong", "usage-total", usdCents.format(d.total_usd)));
    if (months.length) {
      head.append(` over ${months.length} month${months.length === 1 ? "" : "s"} (${months[0].key}`
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
      out.push(make("p", "usage-warn", `Not priced: ${u.model} (${u.rows} row${u.rows === 1 ? "" : "s"}): ${u.reason}`
                  + (u.closest ? `; closest: ${u.closest}.` : ".")));
    });
    out.push(make("p", "usage-note", d.workload
      ? "The workload below now starts from the log's last month: volume, input share, growth and prompt length "
        + "here, cached and batch shares under Assumptions."
      : "No priced rows: the workload was left as it was."));
    return out;
  }

  function setField(path, text) {
    const f = form.querySelector(`[data-path="${CSS.escape(path)}"]`);
    f.value = text;
    f.classList.remove("filled");
    void f.offsetWidth;                        // restart the highlight
    f.classList.add("filled");
  }

  const sig = (x, n) => String(+Number(x).toPrecision(n));

  // The API's workload (input and output tokens of the last month, shares, growth) into the form.
  function fillWorkload(w) {
    const tokens = w.input_tokens_per_month + w.output_tokens_per_month;
    $("f-ui-mode").value = "tokens";
    setField("workload.tokens_per_month", fmtVolumeExact(tokens));
    if (tokens > 0) setField("workload.input_share", sig(100 * w.input_tokens_per_month / tokens, 4));
    if (w.monthly_growth !== undefined && w.monthly_growth !== null) {
      setField("workload.monthly_growth", sig(100 * w.monthly_growth, 3));
    }
    if (w.cached_input_share !== undefined) setField("workload.cached_input_share", sig(100 * w.cached_input_share, 3));
    if (w.batch_share !== undefined) setField("workload.batch_share", sig(100 * w.batch_share, 3));
    if (w.input_tokens_per_request) setField("workload.input_tokens_per_request", String(Math.round(w.input_tokens_per_request)));
    refreshVisibility();
  }

  // ------------------------------------------------------------------ start
  function init() {
    refreshProviders();
    // Defaults shown in every numeric field.
    form.querySelectorAll("input[data-default]").forEach((el) => { if (!el.value) el.value = displayDefault(el); });
    readUrl();
    refreshVisibility();
    form.addEventListener("input", (e) => {
      if (e.target.id === "f-ui-closed-search" || e.target.id === "f-ui-usage") return;
      if (e.target.id === "f-open-gpu") refreshProviders();
      if (e.target.id === "f-open-provider") refreshProviders($("f-open-provider").value);
      scheduleUpdate();
    });
    form.addEventListener("change", (e) => {
      if (e.target.id === "f-open-gpu" || e.target.id === "f-open-provider") {
        refreshProviders(e.target.id === "f-open-provider" ? $("f-open-provider").value : undefined);
      }
      if (e.target.id === "f-ui-usage") {
        if (e.target.files.length) uploadUsage(e.target.files[0]);
        return;
      }
      if (e.target.id !== "f-ui-closed-search") scheduleUpdate();
    });
    // picking the same file again reads it again
    $("f-ui-usage").addEventListener("click", (e) => { e.target.value = ""; });
    $("f-ui-closed-search").addEventListener("input", (e) => {
      const q = e.target.value.trim().toLowerCase();
      const sel = $("f-closed-model");
      let first = null;
      sel.querySelectorAll("option").forEach((o) => {
        const hit = !q || o.textContent.toLowerCase().includes(q) || o.value.includes(q);
        o.hidden = !hit;
        if (hit && !first) first = o;
      });
      sel.querySelectorAll("optgroup").forEach((g) => {
        g.hidden = ![...g.querySelectorAll("option")].some((o) => !o.hidden);
      });
      if (first && sel.selectedOptions[0] && sel.selectedOptions[0].hidden) { sel.value = first.value; scheduleUpdate(); }
    });
    form.addEventListener("submit", (e) => { e.preventDefault(); update(); });
    $("btn-csv").addEventListener("click", () => downloadFrom("/api/v1/tco?format=csv", "tco_monthly.csv"));
    $("btn-report").addEventListener("click", () => downloadFrom("/api/v1/report", "tco_report.html"));
    $("btn-link").addEventListener("click", async () => {
      writeUrl();
      try { await navigator.clipboard.writeText(location.href); status("link copied"); }
      catch (e) { status("link is in the address bar"); }
    });
    $("btn-save").addEventListener("click", save);
    watchUncertainty();
    refreshSaved();
    update();
  }

  init();
})();
