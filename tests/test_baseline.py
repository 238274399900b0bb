"""The closed option priced as a known current spend (issue 17): closed.baseline_usd_per_month,
filled from a FOCUS export or from OpenAI's / Anthropic's cost exports."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tco.bills import closed_costs
from tco.breakeven import steady_costs
from tco.cli import main
from tco.components import total
from tco.engine import evaluate
from tco.focus import baseline_field, forecast_focus, read_baseline, write_focus
from tco.fleet import fleet
from tco.resolve import resolve
from tco.scenario import Scenario, ScenarioError
from tco.selfhosted import open_costs
from tco.sweep import sweep
from tco.usage_readers import ReaderError, read_cost_baseline

EXPORTS = Path(__file__).resolve().parent / "data" / "usage_exports"

OPEN = {"usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 1000, "staff_fte_base": 0,
        "fte_usd_per_year": 0, "setup_engineer_months": 0, "overhead_share": 0}


def scenario(closed, growth=0.0, horizon=4, **workload):
    return Scenario.from_dict({"horizon_months": horizon,
                               "workload": {"tokens_per_month": 1e9, "monthly_growth": growth, **workload},
                               "closed": closed, "open": OPEN, "finance": {"discount_rate_annual": 0}})


def closed_by_month(result):
    m = result.monthly
    return m[m["option"] == "closed"].groupby("month")["usd"].sum().tolist()


# ------------------------------------------------------------------ the engine's rule

def test_baseline_times_growth_last_value_carried(catalog):
    # 1000, 1000, 1200 USD at today's volume, 10% growth a month, 5 months:
    # m0 1000 x 1 = 1000; m1 1000 x 1.1 = 1100; m2 1200 x 1.21 = 1452;
    # m3 1200 (carried) x 1.331 = 1597.2; m4 1200 x 1.4641 = 1756.92.
    r = evaluate(scenario({"baseline_usd_per_month": [1000, 1000, 1200]}, growth=0.1, horizon=5), catalog)
    assert closed_by_month(r) == pytest.approx([1000, 1100, 1452, 1597.2, 1756.92], rel=1e-12)
    assert set(r.monthly.loc[r.monthly["option"] == "closed", "component"]) == {"closed_baseline"}
    assert r.summary["closed_total_usd"] == pytest.approx(6906.12)        # the five months added


def test_baseline_adds_fees_and_ignores_discount(catalog):
    # 500 USD/month flat + 40 fixed, 100 set-up in month 0; the 50% discount is not applied to a
    # billed spend: 640, 540, 540.
    r = evaluate(scenario({"baseline_usd_per_month": [500], "fixed_usd_per_month": 40, "setup_usd": 100,
                           "discount": 0.5, "price_change_annual": -0.5}, horizon=3), catalog)
    assert closed_by_month(r) == pytest.approx([640, 540, 540])


@pytest.mark.parametrize("closed, fragment", [
    ({"baseline_usd_per_month": []}, "1 to 4 values"),
    ({"baseline_usd_per_month": [1, 2, 3, 4, 5]}, "1 to 4 values .*, got 5"),
    ({"baseline_usd_per_month": [1, -2]}, "month 1: must be a number >= 0"),
    ({"baseline_usd_per_month": [1, float("nan")]}, "month 1"),
    ({"baseline_usd_per_month": [float("inf")]}, "month 0"),
    ({"baseline_usd_per_month": [1, "x"]}, "month 1: must be a number"),
    ({"baseline_usd_per_month": "100"}, "must be a list"),
    ({"baseline_usd_per_month": [100], "model": "gpt-4o"}, "leave out closed.model"),
    ({"baseline_usd_per_month": [100], "input_usd_per_mtok": 1, "output_usd_per_mtok": 2},
     "closed.input_usd_per_mtok, closed.output_usd_per_mtok"),
])
def test_bad_baseline_names_the_field(catalog, closed, fragment):
    with pytest.raises(ScenarioError, match=fragment) as err:
        resolve(scenario(closed), catalog)
    assert err.value.field == "closed.baseline_usd_per_month"


# ------------------------------------------------------------------ fast paths give the component totals

def test_sweep_fast_path_equals_components_with_a_baseline(catalog):
    R = evaluate(scenario({"baseline_usd_per_month": [1000, 800, 1200], "fixed_usd_per_month": 50,
                           "setup_usd": 300}, growth=0.05, horizon=12), catalog).resolved
    scale, price = np.array([1.0, 2.5]), np.array([1.0, 0.8])
    res = sweep(R, volume_scale=scale, closed_price_scale=price)
    for i in range(2):
        parts = closed_costs(R, scale[i])
        parts["closed_baseline"] = parts["closed_baseline"] * price[i]
        np.testing.assert_allclose(res["closed"][i], total(parts), rtol=1e-12)
        np.testing.assert_allclose(res["open"][i], total(open_costs(R, scale[i])), rtol=1e-12)
    # by hand, month 2 of sample 1: 1200 x 1.05^2 x 2.5 x 0.8 + 50 = 2696
    assert res["closed"][1][2] == pytest.approx(1200 * 1.05 ** 2 * 2.5 * 0.8 + 50)


def test_steady_fast_path_equals_components_with_a_baseline(catalog):
    R = resolve(scenario({"baseline_usd_per_month": [900, 1500], "fixed_usd_per_month": 20}, growth=0.1), catalog)
    vols = np.geomspace(1e6, 1e12, 13)
    c, o, reps = steady_costs(R, vols)
    scale = (vols / R.volumes.tokens_month0)[:, None]
    np.testing.assert_allclose(c, total(closed_costs(R, scale, steady=True))[:, 0], rtol=1e-12)
    np.testing.assert_allclose(c, 900 * scale[:, 0] + 20, rtol=1e-12)      # month 0's spend, scaled, + fees
    fl = fleet(R, scale, steady=True)
    np.testing.assert_allclose(o, total(open_costs(R, scale, steady=True, fl=fl))[:, 0], rtol=1e-12)


# ------------------------------------------------------------------ FOCUS in, priced

@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_focus_round_trip_prices_a_scenario(tmp_path, catalog, suffix):
    # A FOCUS file of three months' spend (1000, 1000, 1200 USD), written by tco, read back as a
    # baseline and priced at 10% growth: 1000, 1100, 1452 (as in the engine test).
    wide = pd.DataFrame({"closed": [1000.0, 1000.0, 1200.0]}, index=pd.RangeIndex(3, name="month"))
    path = write_focus(forecast_focus(wide, start="2026-01"), tmp_path / f"spend{suffix}")
    base = read_baseline(path)
    assert base.to_dict() == {"2026-01": 1000.0, "2026-02": 1000.0, "2026-03": 1200.0}
    r = evaluate(scenario(baseline_field(base), growth=0.1, horizon=3), catalog)
    assert closed_by_month(r) == pytest.approx([1000, 1100, 1452])


def test_focus_gap_month_is_zero(tmp_path):
    (tmp_path / "f.csv").write_text("BilledCost,ChargePeriodStart,BillingCurrency\n"
                                    "10,2026-01-15T00:00:00Z,USD\n4,2026-03-02T00:00:00Z,USD\n")
    base = read_baseline(tmp_path / "f.csv", service_category=None)
    assert baseline_field(base) == {"baseline_usd_per_month": [10.0, 0.0, 4.0]}


# ------------------------------------------------------------------ OpenAI and Anthropic cost exports

def test_openai_costs_export():
    # Sep: 12.50 + 7.25 (1 Sep) + 0.25 (30 Sep) = 20.00; Oct: 30.00 (an empty bucket on 2 Oct);
    # Nov: no bucket, 0; Dec: 5.00.
    base = read_cost_baseline(EXPORTS / "openai_costs.json", "openai-costs")
    assert base.to_dict() == pytest.approx({"2026-09": 20.0, "2026-10": 30.0, "2026-11": 0.0, "2026-12": 5.0})


def test_anthropic_cost_report_in_cents():
    # Amounts are cents as decimal strings, two pages a line: Sep 1234.5 + 500 + 65.5 = 1800 cents
    # = 18.00 USD; Oct 10000 cents = 100.00 USD.
    base = read_cost_baseline(EXPORTS / "anthropic_cost_report.jsonl", "anthropic-costs")
    assert base.to_dict() == pytest.approx({"2026-09": 18.0, "2026-10": 100.0})


def test_flattened_cost_rows(tmp_path):
    # Rows already flattened (CSV): 1.5 + 2.5 in Jan, 3 in Feb.
    (tmp_path / "c.csv").write_text("start_time,amount.value,amount.currency,line_item\n"
                                    "1767225600,1.5,usd,a\n1767312000,2.5,usd,b\n1769904000,3,usd,a\n")
    base = read_cost_baseline(tmp_path / "c.csv", "openai-costs")
    assert base.to_dict() == pytest.approx({"2026-01": 4.0, "2026-02": 3.0})


@pytest.mark.parametrize("reader, text, message", [
    ("openai-costs", '{"data": [{"start_time": 1767225600, "results": [{"amount": {"value": 1, "currency": "eur"}}]}]}',
     "amount.currency: only USD"),
    ("openai-costs", '{"data": [{"start_time": "soon", "results": [{"amount": {"value": 1, "currency": "usd"}}]}]}',
     "row 1: start_time"),
    ("anthropic-costs", '{"data": [{"starting_at": "2026-01-01T00:00:00Z", "results": [{"amount": "lots"}]}]}',
     "row 1: amount"),
    ("anthropic-costs", '{"data": [{"results": [{"amount": "1"}]}]}', "starting_at: column missing"),
    ("anthropic-costs", '{"data": [{"starting_at": "2026-01-01T00:00:00Z"}]}', "results: missing"),
    ("openai-costs", "{nope", "not JSON"),
    ("litellm", "{}", "not a cost export"),
])
def test_bad_cost_export_is_named(tmp_path, reader, text, message):
    (tmp_path / "c.json").write_text(text)
    with pytest.raises(ReaderError, match=message):
        read_cost_baseline(tmp_path / "c.json", reader)


# ------------------------------------------------------------------ CLI and API

def test_cli_json_is_the_closed_field(catalog):
    res = CliRunner().invoke(main, ["focus", "baseline", str(EXPORTS / "openai_costs.json"),
                                    "--reader", "openai-costs", "--json"])
    assert res.exit_code == 0, res.output
    field = json.loads(res.stdout)
    assert field == {"baseline_usd_per_month": [20.0, 30.0, 0.0, 5.0]}
    r = evaluate(scenario(field), catalog)                  # no growth: the four months as billed
    assert closed_by_month(r) == pytest.approx([20, 30, 0, 5])
    res = CliRunner().invoke(main, ["focus", "baseline", str(EXPORTS / "anthropic_cost_report.jsonl"),
                                    "--reader", "anthropic-costs", "--format", "csv"])
    assert res.exit_code == 0 and res.output.strip().splitlines() == ["month,usd", "2026-09,18.0", "2026-10,100.0"]
    res = CliRunner().invoke(main, ["focus", "baseline", str(EXPORTS / "openai_costs.json"),
                                    "--reader", "openai-costs", "--provider", "openai"])
    assert res.exit_code == 2 and "FOCUS files only" in res.output


API_BODY = {"horizon_months": 3, "workload": {"tokens_per_month": 1e9, "monthly_growth": 0.1},
            "closed": {"baseline_usd_per_month": [1000, 1000, 1200]}, "open": OPEN,
            "finance": {"discount_rate_annual": 0}}


@pytest.fixture
def client(catalog):
    from tco.settings import Settings
    from tco.web import create_app
    app = create_app(Settings(), catalog=catalog)
    app.testing = True
    return app.test_client()


def test_api_prices_and_round_trips_the_baseline(client):
    res = client.post("/api/v1/tco", json=API_BODY)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["summary"]["closed_total_usd"] == pytest.approx(1000 + 1100 + 1452)
    res = client.post("/api/v1/scenarios", json={"name": "baseline", "scenario": API_BODY})
    if res.status_code == 404:
        pytest.skip("no saved-scenario endpoint")
    assert res.status_code in (200, 201), res.get_json()
    sid = res.get_json()["id"]
    got = client.get(f"/api/v1/scenarios/{sid}").get_json()
    assert got["scenario"]["closed"]["baseline_usd_per_month"] == [1000, 1000, 1200]


@pytest.mark.parametrize("value, path", [
    ([1000, -1], "closed.baseline_usd_per_month.1"),
    ([1000, "x"], "closed.baseline_usd_per_month.1"),
    ([1.0] * 241, "closed.baseline_usd_per_month"),
    ([1.0] * 4, "closed.baseline_usd_per_month"),          # longer than the 3-month horizon
    ("1000", "closed.baseline_usd_per_month"),
])
def test_api_bad_baseline_is_422_naming_it(client, value, path):
    body = copy.deepcopy(API_BODY)
    body["closed"]["baseline_usd_per_month"] = value
    res = client.post("/api/v1/tco", json=body)
    assert res.status_code == 422, res.get_json()
    assert path in [e["path"] for e in res.get_json()["errors"]], res.get_json()
