"""The guide's head-to-head section of the dashboard, in Debian's chromium (playwright).

"Right below the KPIs" is checked as: on a 1440x900 viewport, without scrolling, the guide section
is the next element after the KPI cards in the results column, its top is below their bottom
(within 40 px of it) and the table's first two rows are inside the 900 px viewport.
"""
from __future__ import annotations

import csv
import os

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import CHROMIUM, PageGuard, chromium_available
from conftest import REPO
# the browser and the live server of the dashboard's own browser tests
from test_dashboard_browser import live, playwright_browser  # noqa: F401

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason=f"no chromium at {CHROMIUM}")]

VIEWPORT = {"width": 1440, "height": 900}
UPDATE_SCREENSHOT = os.environ.get("TCO_UPDATE_SCREENSHOT") == "1"


@pytest.fixture
def page(playwright_browser, live):  # noqa: F811
    guard = PageGuard(live.origin)
    ctx = playwright_browser.new_context(viewport=VIEWPORT)
    pg = ctx.new_page()
    guard.attach(pg)
    try:
        yield pg
    finally:
        guard.detach(pg)
        ctx.close()
    guard.check()


def _ready(page):
    page.wait_for_function("() => document.getElementById('guide').dataset.state === 'ready'", timeout=20_000)


def test_the_table_for_the_default_scenario_is_right_below_the_kpis(page, live):
    page.goto(live.origin + "/")
    _ready(page)
    box = page.evaluate("""() => {
        const kpis = document.querySelector('.results .kpis'), guide = document.getElementById('guide');
        const rows = document.querySelectorAll('#guide-table tbody tr');
        return {next: kpis.nextElementSibling.id, kpisBottom: kpis.getBoundingClientRect().bottom,
                guideTop: guide.getBoundingClientRect().top, row2Bottom: rows[1].getBoundingClientRect().bottom,
                rows: rows.length, scrollY: window.scrollY};
    }""")
    assert box["scrollY"] == 0 and box["next"] == "guide"
    assert box["kpisBottom"] <= box["guideTop"] <= box["kpisBottom"] + 40, box
    assert box["row2Bottom"] < VIEWPORT["height"], box
    assert box["rows"] == 6
    if UPDATE_SCREENSHOT:
        page.screenshot(path=str(REPO / "docs" / "dashboard_guide.png"))


def test_cells_link_their_sources_and_questions_change_the_recommendation(page, live):
    page.goto(live.origin + "/")
    _ready(page)
    heads = page.eval_on_selector_all("#guide-table thead th[data-option]", "els => els.map(e => e.dataset.option)")
    assert heads[:2] == ["closed", "self_hosted"]
    # the closed model's licence cell links the page model_control.csv names for it
    with open(REPO / "tco" / "pricing" / "model_control.csv", newline="", encoding="utf-8") as fh:
        control = {r["model_id"]: r for r in csv.DictReader(fh)}
    closed_id = page.input_value("#f-closed-model")
    want = control[closed_id]["licence_url"] or control[closed_id]["source_url"]
    href = page.get_attribute("#guide-table tr[data-row='transparency'] td:nth-child(2) a", "href")
    assert href == want
    before = page.inner_text("#guide-recommendation")
    page.check("#g-on_premises")
    page.wait_for_function("t => document.getElementById('guide').dataset.state === 'ready' && "
                           "document.getElementById('guide-recommendation').textContent !== t", arg=before)
    after = page.inner_text("#guide-recommendation")
    assert "data may not leave your premises" in after
    assert page.eval_on_selector("#guide-table thead th[data-option='closed']", "e => e.className") == "removed"
