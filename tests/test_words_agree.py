"""The words agree with the numbers: the verdict, the hybrid line, the break-even reasons and the
cumulative chart's note say what the summary's numbers say, on many generated scenarios.

Checked through the API (``POST /api/v1/charts?hybrid=true``), as the dashboard asks it: the sign of
the savings decides which option the verdict calls cheaper; a break-even month is told the same
way ("month N", with the fraction in the first months) in the verdict, the reason and the chart;
a break-even volume is never "never" in a verdict that says self-hosting saves money; the hybrid
line never claims "$0.00 below".  The dashboard's own KPI words are checked in the browser
(tests/test_dashboard_levers_browser.py).
"""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco.breakeven import months_text
from tco.report import fmt_usd, fmt_volume
from tco.settings import Settings
from tco.web import create_app

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def client(catalog):
    app = create_app(Settings(), catalog=catalog)
    app.testing = True
    return app.test_client()


def _charts(client, body):
    res = client.post("/api/v1/charts?hybrid=true", json=body)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


# Self-contained scenarios (inline prices and throughput): every draw can be priced.
scenarios = st.fixed_dictionaries({
    "horizon_months": st.integers(1, 60),
    "workload": st.fixed_dictionaries({
        "tokens_per_month": st.floats(1e6, 1e11).map(lambda x: float(f"{x:.3g}")),
        "monthly_growth": st.sampled_from([-0.05, 0.0, 0.03, 0.1]),   # at most ~1e6 GPUs by month 60
    }),
    "closed": st.fixed_dictionaries({
        "input_usd_per_mtok": st.sampled_from([0.1, 1.0, 2.5, 15.0]),
        "output_usd_per_mtok": st.sampled_from([0.4, 5.0, 10.0, 75.0]),
        "price_change_annual": st.sampled_from([-0.3, 0.0, 0.1]),
    }),
    "open": st.fixed_dictionaries({
        "usd_per_gpu_hour": st.sampled_from([0.5, 2.0, 6.88, 12.0]),
        "output_tokens_per_second_per_replica": st.sampled_from([100.0, 750.0, 5000.0]),
        "gpus_per_replica": st.sampled_from([1, 2, 4]),
        "redundancy_replicas": st.integers(0, 2),
        "staff_fte_base": st.sampled_from([0.0, 0.5, 2.0]),
        "setup_engineer_months": st.sampled_from([0.0, 0.1, 3.0]),
    }),
})


@SETTINGS
@given(body=scenarios)
def test_verdict_reasons_and_chart_note_agree_with_the_numbers(client, body):
    data = _charts(client, body)
    s, verdict = data["summary"], data["verdict"]
    saving, be_m, be_v = s["savings_usd"], s["breakeven_month"], s["breakeven_volume_per_month"]
    v0 = body["workload"]["tokens_per_month"]
    # which option is cheaper: the sign of closed minus self-hosted
    assert math.isclose(saving, s["closed_total_usd"] - s["open_total_usd"], rel_tol=1e-9, abs_tol=1e-6)
    if saving > 0:
        assert "self-hosting" in verdict and " is cheaper " in verdict and "stays cheaper" not in verdict
        assert be_m is not None            # ahead by the end: the cumulative lines crossed
        assert f"from {months_text(be_m)}" in verdict
        assert fmt_usd(saving) in verdict
        assert "never" not in verdict
    else:
        assert "stays cheaper" in verdict and fmt_usd(-saving) in verdict
        if be_m is not None:               # ahead for a while, behind by the end: both said
            assert months_text(be_m) in verdict and "ends above it" in verdict
    # one way to say a break-even month, everywhere
    note = [a["text"] for a in data["figures"]["cumulative_cost"]["layout"].get("annotations", [])
            if a.get("name") == "breakeven"]
    if be_m is None:
        assert "stays above" in s["breakeven_month_reason"]
        assert note and note[0].startswith("No break-even")
    else:
        assert months_text(be_m) in s["breakeven_month_reason"]
        assert note == [f"break-even in {months_text(be_m)}"]
        assert "0.0 months" not in s["breakeven_month_reason"]
    # the break-even volume: a number with its sentence, or a reason
    if be_v is not None:
        assert f"{be_v:,.4g}" in s["breakeven_volume_reason"]
        if saving <= 0:
            assert (fmt_volume(be_v) in verdict) if be_v > v0 else ("month by month" in verdict)
    # the hybrid line: a saving it names is the smaller of the two, and never "$0.00 below"
    hv = data.get("hybrid_verdict") or ""
    assert "$0.00 below" not in hv and "$0 below" not in hv
    if " below " in hv:
        best = min(s["hybrid_savings_vs_closed_usd"], s["hybrid_savings_vs_self_hosted_usd"])
        assert best >= 0.5 and f"{fmt_usd(best)} below" in hv


def test_a_crossing_in_the_first_month_is_told_as_its_fraction(client):
    # Setup 0.1 engineer-months x $200,000/year / 12 = $1,666.67, paid at the start. The API bills
    # 0.8e9 x $5/1M + 0.2e9 x $10/1M = $6,000 a month. Self-hosting: 1 replica (the load needs far less
    # than 5,000 tokens/s) = 1 GPU x $0.5/h x 730 h = $365, overhead 10% = $36.50, staff
    # (0 + 1/20 replicas per FTE) x $200,000 / 12 = $833.33: $1,234.83 a month. Cumulative difference
    # -1,666.67 + (6,000 - 1,234.83) t = 0 at t = 1,666.67 / 4,765.17 = 0.3498 months:
    # "month 1 (0.35 months in)", not "0.0 months" nor "from the start".
    body = {"horizon_months": 12,
            "workload": {"tokens_per_month": 1e9, "input_share": 0.8},
            "closed": {"input_usd_per_mtok": 5.0, "output_usd_per_mtok": 10.0},
            "open": {"usd_per_gpu_hour": 0.5, "output_tokens_per_second_per_replica": 5000.0,
                     "staff_fte_base": 0.0, "setup_engineer_months": 0.1, "min_replicas": 1,
                     "fte_usd_per_year": 200_000, "redundancy_replicas": 0}}
    data = _charts(client, body)
    s = data["summary"]
    assert s["breakeven_month"] == pytest.approx(1666.6667 / 4765.1667, rel=1e-4)
    assert "month 1 (0.35 months in)" in data["verdict"]
    assert "month 1 (0.35 months in)" in s["breakeven_month_reason"]


def test_the_fleet_label_says_what_is_billed(client):
    # 2 GPUs per replica; 1 replica for the load (min 1) + 1 spare = 2 replicas = 4 GPUs, all months.
    body = {"workload": {"tokens_per_month": 1e8},
            "closed": {"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0},
            "open": {"usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 5000.0, "gpus_per_replica": 2,
                     "redundancy_replicas": 1}}
    s = _charts(client, body)["summary"]
    assert s["fleet_label"] == "2 replicas x 2 GPU = 4 GPUs"
    assert "on 2 replicas x 2 GPU = 4 GPUs" in s["open_label"]
    assert s["peak_gpus"] == 4 and s["peak_replicas"] == 2


def test_a_gpu_the_provider_does_not_rent_is_refused_in_the_words_of_the_pick(client, catalog):
    rates = catalog["gpu_rates"]
    gpu = "l4"
    renters = set(rates.loc[rates["gpu_id"] == gpu, "provider"])
    other = next(p for p in sorted(set(rates["provider"])) if p not in renters)
    body = {"workload": {"tokens_per_month": 1e9}, "closed": {"model": "gpt-5.4"},
            "open": {"model": "llama-3.1-8b", "gpu": gpu, "provider": other}}
    res = client.post("/api/v1/tco", json=body)
    assert res.status_code == 422
    err = res.get_json()["errors"][0]
    from tco.resolve import PROVIDER_NAMES
    assert err["path"] == "open.provider"
    assert PROVIDER_NAMES.get(other, other) in err["message"] and gpu in err["message"]
    for p in renters:                      # and who does rent it
        assert PROVIDER_NAMES.get(p, p) in err["message"]
