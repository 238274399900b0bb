// tco dashboard: reads the form, asks the v1 API, draws what it answers. No build step.
(function () {
  "use strict";

  const OPTIONS = JSON.parse(document.getElementById("tco-options").textContent);
  const form = document.getElementById("scenario-form");
  const $ = (id) => document.getElementById(id);
  const CHARTS = ["cost_vs_volume", "cumulative_cost", "monthly_breakdown", "unit_cost"];
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
  const usdSmall = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 3 });
  const fmtUsd = (x) => (x === null || x === undefined || !isFinite(x)) ? "n/a"
    : (Math.abs(x) < 10 ? usdSmall.format(x) : usd.format(x));

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
  }

  // Read the form into (scenario JSON, {path: message} of fields the page itself rejects).
  function readForm() {
    const scenario = { workload: {}, closed: {}, open: {}, finance: {} };
    const errors = {};
    form.querySelectorAll("[data-path]").forEach((el) => {
      if (!active(el)) return;
      const path = el.dataset.path;
      const kind = el.dataset.kind;
      if (kind === "radio") { if (el.checked) setPath(scenario, path, el.value); return; }
      const raw = el.value.trim();
      if (raw === "") return;
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
    timer = setTimeout(update, 350);
  }

  async function update() {
    clearTimeout(timer);
    refreshVisibility();
    const { scenario, errors } = readForm();
    const local = Object.entries(errors).map(([path, message]) => ({ path, message }));
    const mySeq = ++seq;                       // any answer still on its way is now out of date
    if (local.length) {
      clearErrors(); showErrors(local); setStale(true); setState("invalid");
      document.body.classList.remove("busy");
      return;
    }
    document.body.classList.add("busy");
    setState("busy");
    let res;
    try {
      res = await postJSON("/api/v1/charts", scenario);
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
    render(res.data);
    writeUrl();
    setState("ready");
  }

  function setStale(stale) { document.querySelector(".results").classList.toggle("stale", stale); }

  function render(data) {
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
    $("kpi-open-unit").textContent = `${fmtUsd(s.open_levelised_usd_per_unit)} per ${s.unit} · ${s.billing_label}`;
    $("kpi-savings").textContent = fmtUsd(s.savings_usd);
    $("kpi-savings").closest(".kpi").classList.toggle("negative", s.savings_usd < 0);
    $("kpi-savings-s").textContent = `over ${s.horizon_months} months (NPV ${fmtUsd(s.savings_npv_usd)})`;
    CHARTS.forEach((name) => {
      const fig = data.figures[name];
      if (fig) Plotly.react(`chart-${name}`, fig.data, fig.layout, PLOT_CONFIG);
    });
    renderAssumptions(data.assumptions);
  }

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
      if (el.tagName === "SELECT" && el.value !== v) el.add(new Option(v, v, true, true));
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

  // ------------------------------------------------------------------ start
  function init() {
    refreshProviders();
    // Defaults shown in every numeric field.
    form.querySelectorAll("input[data-default]").forEach((el) => { if (!el.value) el.value = displayDefault(el); });
    readUrl();
    refreshVisibility();
    form.addEventListener("input", (e) => {
      if (e.target.id === "f-ui-closed-search") return;
      if (e.target.id === "f-open-gpu") refreshProviders();
      if (e.target.id === "f-open-provider") refreshProviders($("f-open-provider").value);
      scheduleUpdate();
    });
    form.addEventListener("change", (e) => {
      if (e.target.id === "f-open-gpu" || e.target.id === "f-open-provider") {
        refreshProviders(e.target.id === "f-open-provider" ? $("f-open-provider").value : undefined);
      }
      if (e.target.id !== "f-ui-closed-search") scheduleUpdate();
    });
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
    refreshSaved();
    update();
  }

  init();
})();
