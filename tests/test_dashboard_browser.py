"""The finance dashboard at ``/``, driven in Debian's chromium through playwright.

One browser, one server and one tab for the module (the tab keeps plotly.js compiled, so each
test's fresh page load is fast); every test navigates afresh. Every test is guarded: no request
may leave the test server (data: and blob: URLs excepted), no console error, no uncaught
exception (checked when the test ends).

``TCO_UPDATE_SCREENSHOT=1`` also refreshes ``docs/dashboard.png`` (1280x900, the default view).
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer, PageGuard, chromium_available
from conftest import REPO

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason=f"no chromium at {CHROMIUM}")]

# Read at import: the autouse fixture in conftest removes every TCO_* variable before a test runs.
UPDATE_SCREENSHOT = os.environ.get("TCO_UPDATE_SCREENSHOT") == "1"

CHARTS = ("cost_vs_volume", "cumulative_cost", "unit_cost", "monthly_breakdown")
KPIS = ("kpi-be-volume", "kpi-be-month", "kpi-closed-total", "kpi-open-total", "kpi-savings")
TOKENS = "#f-workload-tokens_per_month"
HORIZON = "#f-horizon_months"
VIEWPORT = {"width": 1280, "height": 800}

CHARTS_DRAWN = """names => names.every(n => {
    const d = document.getElementById('chart-' + n);
    return d && Array.isArray(d.data) && d.data.length > 0 && d.querySelector('.main-svg') !== null;
})"""


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def playwright_browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory, catalog):
    server = LiveServer(tmp_path_factory.mktemp("dashboard") / "tco.sqlite3", catalog)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared_page(playwright_browser):
    """One tab for the module, navigated afresh by each test: its renderer keeps plotly.js
    compiled, so a page load costs ~0.5 s instead of ~3 s."""
    ctx = playwright_browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.fixture
def guard(live):
    return PageGuard(live.origin)


@pytest.fixture
def page(shared_page, guard):
    """The module's tab, guarded for the test; checked when the test ends."""
    guard.attach(shared_page)
    try:
        yield shared_page
    finally:
        guard.detach(shared_page)
        shared_page.set_viewport_size(VIEWPORT)
    guard.check()


# --------------------------------------------------------------------------- helpers

def settle(page, timeout=15_000) -> str:
    """Wait until the page has answered its last change; return its state (ready | invalid | offline)."""
    page.wait_for_function("() => ['ready', 'invalid', 'offline'].includes(document.body.dataset.state)",
                           timeout=timeout)
    return page.evaluate("document.body.dataset.state")


def open_dashboard(page, url: str) -> None:
    page.goto(url)
    assert settle(page) == "ready", page.inner_text("#banner")
    page.wait_for_function(CHARTS_DRAWN, arg=list(CHARTS))


def kpis(page) -> dict:
    """Every KPI's value and caption, by element id."""
    return page.evaluate("() => Object.fromEntries([...document.querySelectorAll('.kpis [id]')]"
                         ".map(e => [e.id, e.textContent]))")


def chart_data(page, name: str) -> list:
    """The traces' x and y of one chart, as plotted (``_fullData``: the figure's base64 arrays decoded)."""
    return page.evaluate("""n => document.getElementById('chart-' + n)._fullData.map(t => ({
        name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])}))""", name)


def form_values(page) -> dict:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#scenario-form [data-path]')]
        .filter(el => el.type !== 'radio' || el.checked).map(el => [el.dataset.path, el.value]))""")


def post_json(live: LiveServer, path: str, body: dict) -> dict:
    req = urllib.request.Request(live.origin + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def compact_usd(x: float) -> str:
    """The KPI's format for amounts of $1k..$1M: ``$141.92K``."""
    return f"${x / 1e3:,.2f}".rstrip("0").rstrip(".") + "K"


# --------------------------------------------------------------------------- tests

def test_page_loads_with_charts_drawn_and_kpis_filled(page, live):
    open_dashboard(page, live.url)
    for name in CHARTS:
        assert page.evaluate(f"document.getElementById('chart-{name}').data.length") > 0, name
    values = kpis(page)
    for k in KPIS:
        assert values[k].strip() not in ("", "–"), k
    assert re.fullmatch(r"-?\$[\d.]+[KM]?", values["kpi-closed-total"]), values
    verdict = page.inner_text("#verdict")
    assert verdict != "Computing…" and "GPT-4o" in verdict and "2.5B tokens" in verdict
    assert page.is_hidden("#banner")
    # the assumptions table lists where every number comes from
    assert page.locator("#assumptions-table tbody tr").count() >= 5


def test_changing_the_volume_updates_kpis_and_charts(page, live):
    open_dashboard(page, live.url)
    before, cum_before = kpis(page), chart_data(page, "cumulative_cost")
    page.fill(TOKENS, "25B")
    assert settle(page) == "ready"
    after, cum_after = kpis(page), chart_data(page, "cumulative_cost")
    assert after["kpi-closed-total"] != before["kpi-closed-total"]
    assert after["kpi-savings"] != before["kpi-savings"]
    assert cum_after != cum_before
    closed = lambda traces: next(t for t in traces if t["name"].startswith("Closed"))  # noqa: E731
    # ten times the volume: ten times the closed API bill
    assert closed(cum_after)["y"][-1] == pytest.approx(10 * closed(cum_before)["y"][-1], rel=1e-6)
    assert "25B tokens" in page.inner_text("#verdict")
    assert "workload.tokens_per_month=25B" in page.url


def test_invalid_values_show_a_message_next_to_the_field(page, guard, live):
    guard.allow_console.append(r"status of 422")   # chromium logs the API's 422 answer
    open_dashboard(page, live.url)
    good = kpis(page)

    # rejected by the page itself
    page.fill(TOKENS, "abc")
    assert settle(page) == "invalid"
    err = page.locator("#f-workload-tokens_per_month-err")
    assert err.is_visible() and "Not a number" in err.inner_text()
    assert page.get_attribute(TOKENS, "aria-invalid") == "true"
    assert "stale" in page.get_attribute(".results", "class")

    page.fill(TOKENS, "2.5B")
    assert settle(page) == "ready"
    assert page.get_attribute(TOKENS, "aria-invalid") is None and err.is_hidden()

    # rejected by the API: its message lands next to the field it names
    page.fill(HORIZON, "500")
    assert settle(page) == "invalid"
    herr = page.locator("#f-horizon_months-err")
    assert herr.is_visible() and "less than or equal to 240" in herr.inner_text()
    assert page.get_attribute(HORIZON, "aria-invalid") == "true"
    assert page.is_hidden("#banner")   # placed next to its field, not in the banner

    page.fill(HORIZON, "36")
    assert settle(page) == "ready"
    assert herr.is_hidden() and page.get_attribute(HORIZON, "aria-invalid") is None
    assert kpis(page) == good


def test_the_url_round_trips(page, live):
    open_dashboard(page, live.url)
    page.fill(TOKENS, "7.5B")
    page.select_option("#f-closed-model", "claude-sonnet-4-5")
    page.select_option("#f-open-gpu", "h200")
    page.fill("#f-workload-monthly_growth", "5")
    assert settle(page) == "ready"
    url, values, shown = page.url, form_values(page), kpis(page)
    assert "closed.model=claude-sonnet-4-5" in url and "open.gpu=h200" in url

    other = page.context.new_page()            # a new tab, with nothing of the first one's state
    other_guard = PageGuard(live.origin).attach(other)
    try:
        open_dashboard(other, url)
        assert other.input_value(TOKENS) == "7.5B"
        assert other.input_value("#f-closed-model") == "claude-sonnet-4-5"
        assert other.input_value("#f-open-gpu") == "h200"
        assert other.input_value("#f-workload-monthly_growth") == "5"
        assert form_values(other) == values
        assert kpis(other) == shown
        assert other.inner_text("#verdict") == page.inner_text("#verdict")
    finally:
        other.close()
    other_guard.check()


def test_the_csv_downloads_with_a_row_per_month_and_component(page, live):
    open_dashboard(page, live.url)
    page.fill(HORIZON, "12")
    assert settle(page) == "ready"
    with page.expect_request(lambda r: "/api/v1/tco?format=csv" in r.url) as req_info:
        with page.expect_download() as dl_info:
            page.click("#btn-csv")
    download = dl_info.value
    assert download.suggested_filename == "tco_monthly.csv"
    with open(download.path(), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {"month", "option", "component", "usd"} <= set(rows[0])

    components = {(r["option"], r["component"]) for r in rows}
    assert {opt for opt, _ in components} == {"closed", "self_hosted"}
    assert len(rows) == 12 * len(components)
    for key in components:
        assert sorted(int(r["month"]) for r in rows if (r["option"], r["component"]) == key) == list(range(12)), key
        assert any(float(r["usd"]) != 0 for r in rows if (r["option"], r["component"]) == key), key

    # the same numbers as the API's JSON for the scenario the page sent, and as the KPI
    scenario = req_info.value.post_data_json
    assert scenario["horizon_months"] == 12
    summary = post_json(live, "/api/v1/tco", scenario)["summary"]
    closed = sum(float(r["usd"]) for r in rows if r["option"] == "closed")
    open_ = sum(float(r["usd"]) for r in rows if r["option"] == "self_hosted")
    assert closed == pytest.approx(summary["closed_total_usd"], rel=1e-9)
    assert open_ == pytest.approx(summary["open_total_usd"], rel=1e-9)
    assert page.inner_text("#kpi-closed-total") == compact_usd(closed)
    assert "downloaded tco_monthly.csv" in page.inner_text("#action-status")


def test_the_html_report_downloads_with_the_verdict(page, live):
    open_dashboard(page, live.url)
    verdict = page.inner_text("#verdict")
    with page.expect_download() as dl_info:
        page.click("#btn-report")
    download = dl_info.value
    assert download.suggested_filename == "tco_report.html"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html")
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    assert verdict in " ".join(plain.split())


def test_a_saved_scenario_reopens_after_a_restart(shared_page, tmp_path, catalog):
    pg, database, name = shared_page, tmp_path / "saved.sqlite3", "Q3 budget: Claude at 7.5B"

    with LiveServer(database, catalog) as first:
        port = first.port
        g = PageGuard(first.origin).attach(pg)
        try:
            open_dashboard(pg, first.url)
            pg.fill(TOKENS, "7.5B")
            pg.select_option("#f-closed-model", "claude-sonnet-4-5")
            assert settle(pg) == "ready"
            saved_kpis = kpis(pg)
            pg.fill("#f-ui-save-name", name)
            pg.click("#btn-save")
            pg.locator("#saved-list button.link", has_text=name).wait_for()
            assert name in pg.inner_text("#action-status")
            pg.goto("about:blank")
        finally:
            g.detach(pg)
        g.check()

    # a new app on the same database file (and port: the browser keeps nothing of the old one)
    with LiveServer(database, catalog, port=port) as second:
        g = PageGuard(second.origin).attach(pg)
        try:
            open_dashboard(pg, second.url)           # the default view, nothing in the URL
            assert pg.input_value(TOKENS) == "2.5B"
            assert pg.input_value("#f-closed-model") == "gpt-4o"
            entry = pg.locator("#saved-list button.link", has_text=name)
            entry.wait_for()
            entry.click()
            pg.wait_for_function(f"document.querySelector('{TOKENS}').value === '7.5B'")
            assert settle(pg) == "ready"
            assert pg.input_value("#f-closed-model") == "claude-sonnet-4-5"
            assert pg.input_value("#f-ui-save-name") == name
            assert kpis(pg) == saved_kpis
            pg.goto("about:blank")
        finally:
            g.detach(pg)
        g.check()


def test_no_request_leaves_the_test_server(page, guard, live):
    open_dashboard(page, live.url)
    page.click("summary:has-text('Where each number comes from')")
    page.click("details.assumptions summary")
    page.select_option("#f-ui-mode", "requests")
    assert settle(page) == "ready"
    page.check("input[name='open.hosting'][value='owned']")
    assert settle(page) == "ready"
    with page.expect_download():
        page.click("#btn-report")
    assert any(u.endswith("/api/v1/charts") for u in guard.requests)
    assert any("/static/vendor/plotly-" in u for u in guard.requests)
    assert guard.foreign_requests() == []


@pytest.mark.parametrize("width,height", [(1280, 800), (1440, 900)])
def test_no_console_errors_and_nothing_overflows(page, live, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_dashboard(page, live.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # every KPI value and its caption fit in their card
    clipped = page.evaluate("""() => [...document.querySelectorAll('.kpi .v, .kpi .s, .kpi .k')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.id || e.textContent)""")
    assert clipped == []
    # the charts fill their boxes
    for name in CHARTS:
        box = page.locator(f"#chart-{name}").bounding_box()
        svg = page.locator(f"#chart-{name} .main-svg").first.bounding_box()
        assert svg["width"] == pytest.approx(box["width"], abs=2), name
    for mode in ("seats", "requests", "tokens"):
        page.select_option("#f-ui-mode", mode)
        assert settle(page) == "ready", mode


def test_the_charts_offer_no_upload_to_plotly_cloud(page, live):
    open_dashboard(page, live.url)
    titles = page.evaluate("() => [...document.querySelectorAll('.modebar-btn')].map(b => b.dataset.title)")
    assert "Download plot as a PNG" in titles
    assert not [t for t in titles if "share" in t.lower() or "cloud" in t.lower() or "studio" in t.lower()], titles


def test_every_control_is_labelled_and_keyboard_focus_is_visible(page, live):
    open_dashboard(page, live.url)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
        .map(el => el.id || el.outerHTML.slice(0, 80))""")
    assert unlabelled == []

    page.click("details.assumptions summary")    # open it, so its fields are in the tab order
    page.focus("header.top a")                  # start from the top of the page
    seen, invisible = set(), []
    for _ in range(200):
        page.keyboard.press("Tab")
        info = page.evaluate("""async () => {
            // plotly fades a chart's toolbar in (0.3 s) when one of its buttons gets the focus
            await Promise.all(document.getAnimations().map(a => a.finished));
            const el = document.activeElement, cs = getComputedStyle(el);
            return {id: el.id || el.tagName + '.' + el.className.baseVal + el.className + ':'
                        + (el.getAttribute('data-title') || el.textContent.trim().slice(0, 30)),
                    tag: el.tagName,
                    // the calendar button inside a date input has the focus: chromium draws its own ring
                    inner: el.type === 'date' && !el.matches(':focus'),
                    ring: (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none',
                    shown: el.checkVisibility({opacityProperty: true, visibilityProperty: true})}; }""")
        info["visible"] = info.pop("inner") or (info.pop("ring") and info["shown"])
        if info["tag"] == "BODY":
            break
        seen.add(info["id"])
        if not info["visible"]:
            invisible.append(info)
    assert invisible == []
    assert len(seen) > 40 and {"btn-csv", "btn-save", "f-closed-discount"} <= seen, sorted(seen)
    assert {"f-workload-tokens_per_month", "f-closed-model", "f-open-gpu", "f-horizon_months"} <= seen


def test_screenshot_of_the_default_view(page, live, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    open_dashboard(page, live.url)
    page.wait_for_timeout(300)               # plotly's responsive resize
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 20_000
    if UPDATE_SCREENSHOT:
        target = REPO / "docs" / "dashboard.png"
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(shot.read_bytes())
