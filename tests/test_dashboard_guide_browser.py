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
def guard(live):  # noqa: F811
    return PageGuard(live.origin)


@pytest.fixture
def page(playwright_browser, live, guard):  # noqa: F811
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


def _csv(name):
    with open(REPO / "tco" / "pricing" / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _in_force(rows, today):
    return [r for r in rows if r["effective_date"] <= today and (not r["effective_until"] or r["effective_until"] > today)]


def _redrawn(page, selector, before):
    """Wait until the guide is ready again and ``selector``'s text is no longer ``before``."""
    page.wait_for_function("([s, t]) => document.getElementById('guide').dataset.state === 'ready' && "
                           "document.querySelector(s) && document.querySelector(s).textContent !== t",
                           arg=[selector, before], timeout=20_000)


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


def test_the_hosted_picker_offers_the_same_open_weights_and_adds_their_column(page, live):
    page.goto(live.origin + "/")
    _ready(page)
    open_id = page.input_value("#f-open-model")
    join = {r["model_id"]: r["quality_model_id"] for r in _csv("model_quality_join")}
    hosted = {r["model_id"]: r for r in _in_force(_csv("api_prices"), str(live.app.config["TCO_CATALOG"].as_of))
              if r["open_weights"] == "true" and join.get(r["model_id"]) == join[open_id]}
    offered = page.eval_on_selector_all("#g-hosted option", "els => els.map(e => e.value)")
    assert offered[0] == "" and sorted(offered[1:]) == sorted(hosted) and hosted
    pick = offered[1]
    page.select_option("#g-hosted", pick)
    page.wait_for_selector("#guide-table thead th[data-option='hosted']", timeout=20_000)
    _ready(page)
    assert page.inner_text("#guide-table thead th[data-option='hosted']") == hosted[pick]["display_name"]
    # its cost cell quotes the row's prices and links its page; its licence cell is model_control's
    row = hosted[pick]
    cost = page.locator("#guide-table tr[data-row='cost_structure'] td").nth(2)
    assert f"USD {float(row['usd_per_mtok_input']):g} / 1M input" in cost.inner_text()
    assert cost.locator("a").get_attribute("href") == row["source_url"]
    control = {r["model_id"]: r for r in _csv("model_control")}[pick]
    licence = page.locator("#guide-table tr[data-row='transparency'] td").nth(2).locator("a")
    assert licence.get_attribute("href") == (control["licence_url"] or control["source_url"])
    # the same weights score the same: the hosted cell shows the self-hosted one's score
    perf = page.locator("#guide-table tr[data-row='performance'] td")
    assert perf.nth(1).inner_text().split(" on ")[0] == perf.nth(2).inner_text().split(" on ")[0]


def test_the_metric_picker_lists_the_scored_metrics_and_a_trailing_option_is_said_in_words(page, live):
    page.goto(live.origin + "/")
    _ready(page)
    join = {r["model_id"]: r["quality_model_id"] for r in _csv("model_quality_join")}
    quality = {}
    for r in _csv("model_quality"):
        quality.setdefault((r["model_id"], r["metric"]), r)        # one row per model and metric here
    page.select_option("#g-hosted", index=1)                     # cheaper than GPT-6.1 Sol, and it trails on HLE
    page.wait_for_selector("#guide-table thead th[data-option='hosted']", timeout=20_000)
    _ready(page)
    ids = [page.input_value("#f-closed-model"), page.input_value("#f-open-model"), page.input_value("#g-hosted")]
    qids = [join[m] for m in ids]
    want = {metric for q, metric in quality if q in qids}
    listed = page.eval_on_selector_all("#g-metric option", "els => els.map(e => [e.value, e.textContent])")
    assert {v for v, _ in listed} == want
    for value, text in listed:
        assert text.endswith(f"{sum((q, value) in quality for q in qids)} of 3 scored"), text
    # HLE: the hosted open model (cheapest) trails the closed one by their two rows' difference
    closed, own = float(quality[(qids[0], "hle")]["score"]), float(quality[(qids[2], "hle")]["score"])
    note = page.locator("#guide-notes")
    assert note.is_visible() and f"({own:g} vs {closed:g})" in note.inner_text()
    assert f"scores {closed - own:.0f} points below" in note.inner_text()
    # another metric: the performance row follows it
    other = next(v for v, t in listed if v != "hle" and t.endswith("3 of 3 scored"))
    before = page.inner_text("#guide-table tr[data-row='performance'] td:nth-child(2)")
    page.select_option("#g-metric", other)
    _redrawn(page, "#guide-table tr[data-row='performance'] td:nth-child(2)", before)
    cell = page.inner_text("#guide-table tr[data-row='performance'] td:nth-child(2)")
    assert cell.startswith(f"{float(quality[(qids[0], other)]['score']):g} on ")


def test_uploaded_scores_take_precedence_and_a_bad_file_is_explained_by_line_and_column(page, live, guard):
    guard.allow_console.append(r"status of 422")      # chromium logs the API's 422 answer to the bad file
    page.goto(live.origin + "/")
    _ready(page)
    open_id = page.input_value("#f-open-model")
    before = page.inner_text("#guide-table tr[data-row='performance'] td:nth-child(3)")
    bad = f"model,task,score\n{open_id},hle,40\nno-such-model,hle,3\n{open_id},support_tickets,abc\n".encode()
    page.set_input_files("#g-scores", files=[{"name": "evals.csv", "mimeType": "text/csv", "buffer": bad}])
    page.wait_for_function("() => document.getElementById('g-scores-error').children.length > 0", timeout=20_000)
    _ready(page)
    errors = page.eval_on_selector_all("#g-scores-error li", "els => els.map(e => e.textContent)")
    assert errors[0] == "evals.csv was not used:"
    assert errors[1].startswith("Line 3, column model: unknown model 'no-such-model'")
    assert errors[2] == "Line 4, column score: must be a finite number, got 'abc'"
    assert page.inner_text("#guide-table tr[data-row='performance'] td:nth-child(3)") == before   # left out
    good = f"model,task,score\n{open_id},hle,40\n{open_id},support_tickets,71.5\n".encode()
    page.set_input_files("#g-scores", files=[{"name": "evals.csv", "mimeType": "text/csv", "buffer": good}])
    _redrawn(page, "#guide-table tr[data-row='performance'] td:nth-child(3)", before)
    assert page.inner_text("#g-scores-error") == ""
    assert "2 score(s) in use" in page.inner_text("#g-scores-status")
    cell = page.locator("#guide-table tr[data-row='performance'] td:nth-child(3)")
    assert cell.inner_text().startswith("40 on Humanity's Last Exam (your score)")
    assert cell.get_attribute("class") == "yours"
    # the user's own task is offered, scored for one option of two, and prices its point
    listed = dict(page.eval_on_selector_all("#g-metric option", "els => els.map(e => [e.value, e.textContent])"))
    assert listed["support_tickets"] == "support_tickets (your score) · 1 of 2 scored"
    page.select_option("#g-metric", "support_tickets")
    _redrawn(page, "#guide-table tr[data-row='performance'] td:nth-child(3)", cell.inner_text())
    assert cell.inner_text().startswith("71.5 on support_tickets (your score)")
    assert page.inner_text("#guide-table tr[data-row='performance'] td:nth-child(2)").startswith(
        "not scored on support_tickets")
    # removed: the published score is back
    page.click("#g-scores-clear")
    page.wait_for_function("() => document.getElementById('g-scores-status').textContent === ''", timeout=20_000)
    _ready(page)
    page.select_option("#g-metric", "hle")
    _redrawn(page, "#guide-table tr[data-row='performance'] td:nth-child(3)", cell.inner_text())
    assert cell.inner_text() == before


def test_an_image_workload_fills_the_table_with_its_reasons(page, live):
    """Images per month: an image API against a self-hosted diffusion model.  Text benchmarks do not
    apply (model_quality_join says so), so no metric is offered and the cells say why."""
    page.goto(live.origin + "/")
    _ready(page)
    before = page.inner_text("#guide-recommendation")
    page.select_option("#f-ui-mode", "images")
    page.wait_for_function("t => document.body.dataset.state === 'ready' && "
                           "document.getElementById('guide').dataset.state === 'ready' && "
                           "document.getElementById('guide-recommendation').textContent !== t", arg=before,
                           timeout=30_000)
    assert page.locator("#guide-table tbody tr").count() == 6
    image_api = page.input_value("#f-closed-image_model").split("|")[0]      # model|size|quality
    cost = page.inner_text("#guide-table tr[data-row='cost_structure'] td:nth-child(2)")
    assert cost.startswith("pay per image: USD ")
    perf = page.inner_text("#guide-table tr[data-row='performance'] td:nth-child(2)")
    assert perf.startswith(f"not scored on Humanity's Last Exam: {image_api}: image model: text benchmarks")
    assert page.eval_on_selector_all("#g-metric option", "els => els.map(e => e.textContent)") == \
        ["hle · no option scored"]
    assert page.inner_text("#g-hosted") == "none for this open model"
    assert page.inner_text("#guide-recommendation").startswith(("Choose: ", "A mix, the hybrid plan: "))
    # the image API's licence, fine-tuning and data-terms cells are its model_control row, linked to its pages
    control = {r["model_id"]: r for r in _csv("model_control")}[image_api]
    for row, urls in (("transparency", ("licence_url",)), ("customization", ("fine_tuning_source_url", "licence_url")),
                      ("control", ("data_terms_url",))):
        cell = page.locator(f"#guide-table tr[data-row='{row}'] td").nth(0)
        assert not cell.inner_text().startswith("n/a"), row
        want = next((control[u] for u in urls if control[u]), control["source_url"])
        assert cell.locator("a").get_attribute("href") == want, row


def _download(page, button: str, request_path: str):
    """Click ``button``; return (the JSON body it sent, the downloaded file's bytes)."""
    from pathlib import Path
    with page.expect_request(lambda r: request_path in r.url) as req_info:
        with page.expect_download(timeout=30_000) as dl_info:
            page.click(button)
    return req_info.value.post_data_json, Path(dl_info.value.path()).read_bytes()


def test_the_reports_carry_the_panels_answers_and_recommend_what_it_does(page, live):
    """The HTML report and the PDF are asked for with the guide panel's answers, hosted choice and metric,
    and the HTML report's guide section states the recommendation the panel shows."""
    import html

    page.goto(live.origin + "/")
    _ready(page)
    before = page.inner_text("#guide-recommendation")
    page.check("#g-on_premises")
    page.fill("#g-live_in_weeks", "30")
    page.dispatch_event("#g-live_in_weeks", "change")
    page.wait_for_function("t => document.getElementById('guide').dataset.state === 'ready' && "
                           "document.getElementById('guide-recommendation').textContent !== t", arg=before,
                           timeout=20_000)
    _ready(page)
    shown = page.inner_text("#guide-recommendation")
    assert "data may not leave your premises" in shown
    sent, data = _download(page, "#btn-report", "/api/v1/report")
    assert sent["questions"]["on_premises"] is True and sent["questions"]["live_in_weeks"] == 30
    assert sent["questions"]["metric"] == page.input_value("#g-metric")
    assert html.escape(shown) in data.decode()
    sent, data = _download(page, "#btn-pdf", "/api/v1/report.pdf")
    assert data.startswith(b"%PDF")
    assert sent["questions"]["on_premises"] is True and sent["questions"]["live_in_weeks"] == 30
    # the workbook has no guide section: it is sent the scenario alone
    sent, _ = _download(page, "#btn-xlsx", "/api/v1/tco.xlsx")
    assert "questions" not in sent
