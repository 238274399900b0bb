"""The dashboard's exports in Debian's chromium: the PDF report, the XLSX workbook, the currency
picker and the page on paper. Loopback only; every test is guarded as in test_dashboard_browser."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pypdf
import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import CHROMIUM, chromium_available
from test_dashboard_browser import (guard, live, open_dashboard, page, playwright_browser, post_json,  # noqa: F401
                                    settle, shared_page)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason=f"no chromium at {CHROMIUM}")]

#: fx_rates.csv: ECB 2026-04-13 (the row in force), 1 EUR = 1.1684 USD -> 1 / 1.1684 = 0.85587128 EUR per USD.
EUR_PER_USD = 0.85587128


def _download(page, button: str, request_path: str):
    """Click ``button``; return (the scenario it sent, the downloaded file's bytes, its name)."""
    with page.expect_request(lambda r: request_path in r.url) as req_info:
        with page.expect_download(timeout=30_000) as dl_info:
            page.click(button)
    dl = dl_info.value
    return req_info.value.post_data_json, Path(dl.path()).read_bytes(), dl.suggested_filename


def _component_total(tco: dict, component: str) -> float:
    return sum(r["usd"] for r in tco["monthly"] if r["component"] == component)


def test_the_pdf_report_downloads_with_the_people_costs(page, live):
    open_dashboard(page, live.url)
    sent, data, name = _download(page, "#btn-pdf", "/api/v1/report.pdf")
    assert name == "tco_report.pdf" and data.startswith(b"%PDF") and len(data) < 1_000_000
    # the report takes the guide's body: the scenario and the guide panel's answers (the metric at least)
    assert "metric" in sent["questions"]
    scenario = {k: v for k, v in sent.items() if k not in ("questions", "effort", "hosted_model", "user_scores_csv")}
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    tco = post_json(live, "/api/v1/tco", scenario)
    staff = _component_total(tco, "staff")
    setup = _component_total(tco, "open_setup")
    assert staff > 0 and setup > 0            # the default deployment has staff and a one-off setup
    assert "People and one-off costs" in text and "MLOps staff" in text
    assert f"${staff:,.2f}" in text and f"${setup:,.2f}" in text
    assert "Assumptions and their sources" in text
    assert "downloaded tco_report.pdf" in page.inner_text("#action-status")


def test_the_workbook_downloads_and_its_wide_sheet_sums_to_the_totals(page, live):
    open_dashboard(page, live.url)
    hostile = "=HYPERLINK(\"http://evil.example\")"          # a scenario name that would run as a formula
    page.fill("#f-ui-save-name", hostile)
    scenario, data, name = _download(page, "#btn-xlsx", "/api/v1/tco.xlsx")
    assert name == "tco.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    title = book["Summary"]["A1"]
    assert title.value == hostile and title.data_type == "s" and title.quotePrefix
    sheet = book["Monthly"]
    head = [c.value for c in sheet[1]]
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    summary = post_json(live, "/api/v1/tco", scenario)["summary"]
    assert len(body) == summary["horizon_months"]
    for option, key in (("Closed API", "closed_total_usd"), ("Self-hosted", "open_total_usd")):
        cols = [j for j, h in enumerate(head) if h.startswith(f"{option}: ")]
        assert cols, head
        assert round(sum(row[j] for row in body for j in cols), 2) == round(summary[key], 2), option


def _compact(x: float, symbol: str) -> str:
    """en-US compact currency with at most two decimals: 141,920 -> 141.92K, 1,234,567 -> 1.23M."""
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= div:
            return f"{symbol}{x / div:,.2f}".rstrip("0").rstrip(".") + suffix
    return f"{symbol}{x:,.2f}"


def test_the_currency_picker_shows_amounts_in_euro_with_the_rate(page, live):
    open_dashboard(page, live.url)
    with page.expect_request(lambda r: "/api/v1/charts?hybrid=" in r.url) as req_info:
        page.select_option("#f-ui-currency", "EUR")
    assert settle(page) == "ready", page.inner_text("#banner")
    scenario = req_info.value.post_data_json
    assert scenario["currency"] == "EUR"
    usd = post_json(live, "/api/v1/tco", {k: v for k, v in scenario.items() if k != "currency"})["summary"]
    closed_eur = usd["closed_total_usd"] * EUR_PER_USD          # the KPI: the USD total times the rate
    assert page.inner_text("#kpi-closed-total") == _compact(closed_eur, "€")
    assert "€" in page.inner_text("#verdict")
    note = page.inner_text("#currency-rate")
    assert "0.8559 EUR" in note and "2026-04-13" in note
    # and the exports follow: the workbook's closed total is in euro
    _, data, _ = _download(page, "#btn-xlsx", "/api/v1/tco.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Monthly"]
    head = [c.value for c in sheet[1]]
    j = head.index("Closed API total [EUR]")
    total = sum(r[j] for r in sheet.iter_rows(min_row=2, values_only=True))
    assert round(total, 2) == round(closed_eur, 2)
    page.select_option("#f-ui-currency", "USD")
    assert settle(page) == "ready"
    assert page.inner_text("#kpi-closed-total").startswith("$")


def test_the_page_prints_the_verdict_kpis_and_charts_without_the_form(page, live):
    open_dashboard(page, live.url)
    page.emulate_media(media="print")
    try:
        page.set_viewport_size({"width": 718, "height": 1000})     # A4's 186 mm printable width at 96 dpi
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert not page.is_visible("#scenario-form")
        assert not page.is_visible("#btn-pdf") and not page.is_visible("#f-ui-currency")
        assert page.is_visible("#verdict") and page.is_visible("#kpi-closed-total")
        assert page.is_visible("#chart-cumulative_cost")
        wide = page.evaluate("""() => [...document.querySelectorAll('.verdict-box, .kpis, .charts figure')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(e => e.className || e.tagName)""")
        assert wide == []
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        page.emulate_media(media="screen")
