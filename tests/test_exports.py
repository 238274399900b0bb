"""Exports a finance team opens: currencies, the CSV layouts, the XLSX workbook, the HTML and PDF report."""
from __future__ import annotations

import copy
import csv
import io
import re

import openpyxl
import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.currency import CODES, USD, Currency, currency, fmt_money
from tco.scenario import ScenarioError
from tco.settings import Settings
from tco.web import create_app
from tco.workbook import formula_like

from test_api import INLINE, assert_error_shape

#: INLINE with people and one-off costs known by hand: one replica (12M tokens a month is far
#: below one replica of 1,000 tokens/s), staff (0.5 + 1 replica / 20) FTE x $120,000 / 12 = $5,500
#: a month = $66,000 over 12 months; setup 2 engineer-months x $120,000 / 12 + $1,234.56 migration
#: = $21,234.56 once.
PEOPLE = copy.deepcopy(INLINE)
PEOPLE["open"].update({"staff_fte_base": 0.5, "replicas_per_fte": 20, "fte_usd_per_year": 120_000,
                       "setup_engineer_months": 2, "migration_usd": 1234.56})
STAFF_USD, SETUP_USD = 66_000.0, 21_234.56
#: fx_rates.csv: the ECB's 2026-04-13 reference rate 1 EUR = 1.1684 USD (the newest row, in force today),
#: so EUR per USD = 1 / 1.1684 = 0.855871277... (stored to eight significant digits: 0.85587128).
EUR_PER_USD = 0.85587128


@pytest.fixture(scope="module")
def app(catalog):
    app = create_app(Settings(heavy_isolation="thread"), catalog=catalog)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


# ---------------------------------------------------------------- currencies

def test_rates_are_the_ecb_cross_rates_through_the_euro(catalog):
    # ECB 2026-04-13, per EUR: USD 1.1684, GBP 0.87058, JPY 186.75, INR 109.047 -> X per USD = X / 1.1684
    assert currency(catalog, "EUR").units_per_usd == pytest.approx(1 / 1.1684, rel=1e-6)
    assert currency(catalog, "gbp").units_per_usd == pytest.approx(0.87058 / 1.1684, rel=1e-6)
    assert currency(catalog, "JPY").units_per_usd == pytest.approx(186.75 / 1.1684, rel=1e-6)
    assert currency(catalog, "INR").units_per_usd == pytest.approx(109.047 / 1.1684, rel=1e-6)
    assert currency(catalog, "EUR").effective_date == "2026-04-13"
    # the older set stays as history: priced as of 2025-06-01, the 2025-02-28 rates are in force
    old = catalog.at("2025-06-01")
    assert currency(old, "EUR").units_per_usd == pytest.approx(1 / 1.0411, rel=1e-6)
    assert currency(old, "EUR").effective_date == "2025-02-28"
    rows = catalog.fx_rates
    assert set(rows["currency"]) == set(CODES) - {"USD"}
    assert (rows["source_url"].str.startswith("https://www.ecb.europa.eu/")).all()
    assert currency(catalog, None) is USD and currency(catalog, "usd") is USD


def test_an_unknown_currency_names_the_valid_codes(catalog, client):
    with pytest.raises(ScenarioError, match="one of USD, EUR, GBP, JPY, CHF, CAD, AUD, INR, CNY"):
        currency(catalog, "XYZ")
    for url in ("/api/v1/tco", "/api/v1/tco.csv", "/api/v1/tco.xlsx", "/api/v1/report.pdf", "/api/v1/report",
                "/api/v1/charts"):
        err = assert_error_shape(client.post(url, json={**INLINE, "currency": "XYZ"}), 422)
        assert err["errors"][0]["path"] == "currency", url
        assert "EUR" in err["errors"][0]["message"] and "CNY" in err["errors"][0]["message"], url


def test_money_to_the_cent():
    assert fmt_money(1931.6830615816352) == "$1,931.68"
    assert fmt_money(-0.004) == "$0.00"                      # no "-$0.00"
    eur = Currency("EUR", "Euro", "€", EUR_PER_USD, "2026-04-13", None)
    assert fmt_money(100, eur) == "€85.59"                  # 100 x 0.85587128 = 85.587128
    jpy = Currency("JPY", "Japanese yen", "¥", 150.764, "2025-02-28", None)
    assert fmt_money(1000, jpy) == "¥150,764"               # no cents in yen


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.sampled_from([0.5, 0.96052252, 150.76362]))
def test_money_text_reads_back_as_the_rounded_amount(x, rate):
    cur = Currency("EUR" if rate < 100 else "JPY", "-", "€" if rate < 100 else "¥", rate, None, None)
    text = fmt_money(x, cur)
    value = float(text.replace(cur.symbol, "").replace(",", ""))
    assert value == pytest.approx(round(x * rate, cur.decimals), abs=10 ** -cur.decimals * 0.51)


def test_tco_answer_states_the_currency_and_keeps_usd_fields(client):
    usd = client.post("/api/v1/tco", json=INLINE).get_json()
    eur = client.post("/api/v1/tco", json={**INLINE, "currency": "eur"}).get_json()
    assert usd["currency"] == {"code": "USD", "units_per_usd": 1.0, "effective_date": None, "source_url": None}
    assert eur["currency"]["code"] == "EUR" and eur["currency"]["effective_date"] == "2026-04-13"
    assert eur["currency"]["units_per_usd"] == pytest.approx(EUR_PER_USD)
    assert eur["summary"] == usd["summary"]             # fields named usd* stay USD


# ---------------------------------------------------------------- CSV layouts

def _csv(res):
    assert res.status_code == 200 and res.mimetype == "text/csv", res.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))


def test_long_csv_counts_the_volume_once(client):
    rows = _csv(client.post("/api/v1/tco.csv", json=INLINE))
    # INLINE: 10M input + 2M output = 12M tokens a month x 12 months = 144M tokens.
    assert sum(float(r["tokens"]) for r in rows if r["tokens"]) == 144e6
    vol = [r for r in rows if r["component"] == "volume"]
    assert len(vol) == 12 and {r["option"] for r in vol} == {"workload"} and {r["usd"] for r in vol} == {""}
    cost = [r for r in rows if r["component"] != "volume"]
    assert {r["tokens"] for r in cost} == {""}
    # closed: (10 x $3 + 2 x $15) = $60 a month x 12 = $720.
    assert sum(float(r["usd"]) for r in cost if r["option"] == "closed") == pytest.approx(720)


def test_wide_csv_a_row_per_month_summing_to_the_totals(client):
    summary = client.post("/api/v1/tco", json=PEOPLE).get_json()["summary"]
    rows = _csv(client.post("/api/v1/tco.csv?layout=wide", json=PEOPLE))
    assert [int(r["month"]) for r in rows] == list(range(12))
    assert sum(float(r["tokens"]) for r in rows) == 144e6
    staff = sum(float(r["Self-hosted: MLOps staff [USD]"]) for r in rows)
    assert staff == pytest.approx(STAFF_USD)
    for option, key in (("Closed API", "closed_total_usd"), ("Self-hosted", "open_total_usd")):
        parts = [c for c in rows[0] if c.startswith(f"{option}: ")]
        assert sum(float(r[c]) for r in rows for c in parts) == pytest.approx(summary[key], abs=0.005)
        assert sum(float(r[f"{option} total [USD]"]) for r in rows) == pytest.approx(summary[key], abs=0.005)


def test_csv_in_a_currency_states_the_rate(client):
    rows = _csv(client.post("/api/v1/tco.csv", json={**INLINE, "currency": "EUR"}))
    r = next(r for r in rows if r["component"] == "api_input")
    # month 0 input: 10M x $3 = $30 -> 30 x 0.85587128 = 25.6761384 EUR
    assert float(r["usd"]) == 30 and float(r["amount"]) == pytest.approx(25.6761384)
    assert (r["currency"], r["rate_effective_date"]) == ("EUR", "2026-04-13")
    wide = _csv(client.post("/api/v1/tco.csv?layout=wide", json={**INLINE, "currency": "EUR"}))
    assert float(wide[0]["Closed API: API input tokens [EUR]"]) == pytest.approx(25.6761384)


def test_csv_layout_is_checked(client):
    err = assert_error_shape(client.post("/api/v1/tco.csv?layout=tall", json=INLINE), 422)
    assert err["errors"][0]["path"] == "query.layout"


# ---------------------------------------------------------------- XLSX

HOSTILE = "=HYPERLINK(\"http://evil.example\",\"click\")"


def test_workbook_opens_and_its_wide_sheet_sums_to_the_totals_to_the_cent(client):
    summary = client.post("/api/v1/tco", json=PEOPLE).get_json()["summary"]
    res = client.post("/api/v1/tco.xlsx", json={**PEOPLE, "currency": "EUR"})
    assert res.status_code == 200 and res.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(res.data))
    assert book.sheetnames == ["Summary", "Monthly", "Assumptions"]
    sheet = book["Monthly"]
    head = [c.value for c in sheet[1]]
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(body) == 12
    for option, key in (("Closed API", "closed_total_usd"), ("Self-hosted", "open_total_usd")):
        cols = [j for j, h in enumerate(head) if h.startswith(f"{option}: ")]
        total = sum(row[j] for row in body for j in cols)
        assert round(total, 2) == round(summary[key] * EUR_PER_USD, 2), option
    staff = head.index("Self-hosted: MLOps staff [EUR]")
    assert round(sum(r[staff] for r in body), 2) == 56_487.50          # 66,000 x 0.85587128 = 56,487.504
    assert sheet.cell(2, staff + 1).number_format == '"€"#,##0.00'
    tokens = head.index("tokens")
    assert sum(r[tokens] for r in body) == 144e6
    ass = list(book["Assumptions"].iter_rows(values_only=True))
    assert ass[0][:5] == ("input", "value", "unit", "source_url", "effective_date")


def test_workbook_cites_the_defaults_sources(client):
    # a default the scenario leaves to the defaults table (the BLS engineer salary) carries that table's
    # source_url and effective_date into the Assumptions sheet, not a blank
    body = {"workload": {"tokens_per_month": 2.5e9}, "closed": {"model": "gpt-6.1-sol"},
            "open": {"model": "llama-3.3-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8"}}
    book = openpyxl.load_workbook(io.BytesIO(client.post("/api/v1/tco.xlsx", json=body).data))
    rows = {r[0]: r for r in book["Assumptions"].iter_rows(min_row=2, values_only=True)}
    salary = rows["defaults.staff_base_salary_usd_per_year"]
    assert salary[3] == "https://www.bls.gov/oes/2024/may/oes151252.htm" and salary[4] == "2024-05-01"
    # an assumption whose source names its URL in the text keeps it
    assert rows["closed.input_usd_per_mtok"][3].startswith("https://developers.openai.com/")


def test_workbook_cells_are_safe_from_formula_injection(client):
    res = client.post("/api/v1/tco.xlsx", query_string={"title": HOSTILE}, json=INLINE)
    book = openpyxl.load_workbook(io.BytesIO(res.data))
    cell = book["Summary"]["A1"]
    assert cell.value == HOSTILE and cell.data_type == "s" and cell.quotePrefix
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    assert formula_like("@SUM(A1)") and formula_like("\tx") and not formula_like("a=b")


# ---------------------------------------------------------------- report: HTML and PDF

def test_html_report_is_small_and_written_in_money(client):
    res = client.post("/api/v1/report", json=PEOPLE)
    page = res.get_data(as_text=True)
    assert len(res.data) < 100_000 and "<script" not in page
    assert "$66,000.00" in page and "$21,234.56" in page
    assert not re.search(r"\d\.\d{5,}", re.sub(r"<svg.*?</svg>", "", page, flags=re.S)), "a raw float in the text"


def test_pdf_report_carries_the_people_costs_in_the_currency(client):
    res = client.post("/api/v1/report.pdf", json={**PEOPLE, "currency": "EUR"})
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert res.data.startswith(b"%PDF") and len(res.data) < 1_000_000
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(res.data)).pages)
    # staff $66,000 x 0.85587128 = 56,487.504 EUR; setup $21,234.56 x 0.85587128 = 18,174.050 EUR
    assert "€56,487.50" in text and "€18,174.05" in text
    assert "MLOps staff" in text and "Hybrid plan" in text and "Assumptions and their sources" in text
    assert "0.855871 EUR per USD" in text and "2026-04-13" in text      # the rate, to six digits


# ---------------------------------------------------------------- CLI

def test_cli_report_writes_the_workbook_and_the_pdf(tmp_path):
    import json

    from click.testing import CliRunner

    from tco.cli import main
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({**PEOPLE, "currency": "EUR"}))
    runner = CliRunner()
    res = runner.invoke(main, ["report", str(scenario), "--format", "xlsx", "-o", str(tmp_path / "t.xlsx")])
    assert res.exit_code == 0, res.output
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["Monthly"]
    head = [c.value for c in sheet[1]]
    j = head.index("Self-hosted: MLOps staff [EUR]")
    assert round(sum(r[j] for r in sheet.iter_rows(min_row=2, values_only=True)), 2) == 56_487.50   # 66,000 x 0.85587128
    res = runner.invoke(main, ["report", str(scenario), "--format", "pdf", "--currency", "usd", "-o",
                               str(tmp_path / "t.pdf")])
    assert res.exit_code == 0, res.output
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "t.pdf").pages)
    assert "$66,000.00" in text and "$21,234.56" in text
    res = runner.invoke(main, ["report", str(scenario), "--currency", "XYZ"])
    assert res.exit_code == 2 and "one of USD, EUR" in res.output
