"""tco.compare: many options on one workload, by hand and against the two-option engine."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco import Scenario, ScenarioError, compare, evaluate

# A flat, steady workload: 1e9 tokens/month, 80 % input, 1,000-token prompts (so 250 output
# tokens per request), 12 months, no discounting, no growth.
WORKLOAD = {"tokens_per_month": 1e9, "input_share": 0.8, "peak_to_average": 1.0}
BASE = {"horizon_months": 12, "workload": WORKLOAD, "finance": {"discount_rate_annual": 0.0}}
# A: 0.8e9 x 2 / 1e6 + 0.2e9 x 8 / 1e6 = 1,600 + 1,600 = 3,200 USD/month
A = {"kind": "closed", "name": "A", "closed": {"input_usd_per_mtok": 2, "output_usd_per_mtok": 8}}
# B: 0.8e9 x 1 / 1e6 + 0.2e9 x 10 / 1e6 = 800 + 2,000 = 2,800 USD/month
B = {"kind": "closed", "name": "B", "closed": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 10}}
LEAN = {"staff_fte_base": 0, "fte_usd_per_year": 0, "setup_engineer_months": 0, "overhead_share": 0,
        "redundancy_replicas": 0,                     # no spare replica (the production default is N+1)
        "target_utilisation": 1.0}
# S: one replica of 2 GPUs at 2 USD/GPU-hour.  Load: 0.8e9 / 1,000 = 8e5 requests/month = 0.304 req/s;
# a replica serves 1,000 tok/s / 250 tokens = 4 req/s, so 1 replica: 2 GPUs x 730 h x 2 = 2,920 USD/month.
S = {"kind": "self_hosted", "name": "S", "open": {**LEAN, "usd_per_gpu_hour": 2.0, "gpus_per_replica": 2,
                                                  "output_tokens_per_second_per_replica": 1000}}


def names(c):
    return [o["name"] for o in c.options]


def test_two_closed_models_and_a_rented_deployment_by_hand(catalog):
    c = compare(BASE, [A, B, S], catalog)
    by = {o["name"]: o for o in c.options}
    assert by["A"]["total_usd"] == pytest.approx(12 * 3200)
    assert by["B"]["total_usd"] == pytest.approx(12 * 2800)
    assert by["S"]["total_usd"] == pytest.approx(12 * 2920)
    assert by["S"]["components_usd"] == pytest.approx({"gpu_rental": 12 * 2920})
    assert names(c) == ["B", "S", "A"] and c.ranking == [1, 2, 0] and c.cheapest == 1
    assert [o["rank"] for o in c.options] == [1, 2, 3]
    assert by["A"]["npv_usd"] == pytest.approx(by["A"]["total_usd"])          # rate 0: NPV = total
    assert by["A"]["npv_above_cheapest_usd"] == pytest.approx(12 * 400)
    assert by["S"]["levelised_usd_per_unit"] == pytest.approx(2.92)            # 2,920 USD / 1,000 M tokens
    assert by["S"]["billed"] == "1 replica x 2 GPU = 2 GPUs, each GPU 730 h/month"
    assert by["A"]["monthly_usd"] == pytest.approx([3200] * 12)
    assert by["A"]["cumulative_usd"][-1] == pytest.approx(38400)
    # B is cheaper every month than both: the cheapest is below them from the start
    assert by["A"]["breakeven_month"] == 0.0 and by["S"]["breakeven_month"] == 0.0
    assert by["B"]["breakeven_month"] is None and by["B"]["breakeven_month_reason"] == "the cheapest option"
    # A and B are both proportional to volume: A is dearer at every volume, no crossing
    assert by["A"]["breakeven_volume_per_month"] is None
    assert by["A"]["breakeven_volume_reason"].startswith("never cheaper than B")
    # S stays at 2,920 USD up to 4 req/s x 2,628,000 s x 1,000 / 0.8 = 1.314e10 tokens/month; B costs
    # 2.8e-6 USD/token: they cross at 2,920 / 2.8e-6 = 1.042857e9 tokens/month, S cheaper above
    assert by["S"]["breakeven_volume_per_month"] == pytest.approx(2920 / 2.8e-6, rel=1e-9)
    assert by["S"]["breakeven_volume_direction"] == "above"
    # bands: B below the crossing, S above (at scale S costs 2,920 / 1.314e10 = 2.2e-7 USD/token)
    assert [b["name"] for b in c.bands] == ["B", "S"]
    assert c.bands[0]["to_volume"] < 2920 / 2.8e-6 < c.bands[1]["from_volume"]
    assert c.bands[0]["from_volume"] == pytest.approx(1e6) and c.bands[-1]["to_volume"] == pytest.approx(1e12)


def test_breakeven_month_against_a_cheapest_option_with_setup(catalog):
    # S2 = S + one engineer-month at 12,000 USD/year: 1,000 USD paid at the start of month 0, staff
    # negligible (replicas_per_fte 1e12).  Over 12 months S2 = 12 x 2,920 + 1,000 = 36,040 < A's 38,400.
    # A saves nothing up front: A - S2 = 280 USD/month, so S2's 1,000 are caught up after
    # 1,000 / 280 = 3.5714 months (start of month 3: 1,000 - 3 x 280 = 160; 160 / 280 = 0.5714 into it).
    s2 = {**S, "name": "S2", "open": {**S["open"], "setup_engineer_months": 1, "fte_usd_per_year": 12_000,
                                      "replicas_per_fte": 1e12}}
    c = compare(BASE, [A, s2], catalog)
    assert names(c) == ["S2", "A"]
    assert c.options[0]["total_usd"] == pytest.approx(12 * 2920 + 1000 + 12 * 1e-12 * 1000, rel=1e-9)
    assert c.options[1]["breakeven_month"] == pytest.approx(1000 / 280, rel=1e-6)
    assert "in month 4" in c.options[1]["breakeven_month_reason"]         # 3.57 months: the 4th month


def test_label_says_what_is_billed(catalog):
    # 2 replicas (min_replicas) x 4 H100 = 8 GPUs x 730 h x 3 USD = 17,520 USD/month
    s = {"kind": "self_hosted", "open": {**LEAN, "gpu": "h100-sxm", "gpus_per_replica": 4, "min_replicas": 2,
                                         "usd_per_gpu_hour": 3.0, "output_tokens_per_second_per_replica": 1000}}
    c = compare(BASE, [s], catalog)
    o = c.options[0]
    gpu = catalog.gpu("h100-sxm")["display_name"]
    assert o["billed"] == f"2 replicas x 4 {gpu} = 8 GPUs, each GPU 730 h/month"
    assert o["total_usd"] == pytest.approx(12 * 8 * 730 * 3.0)
    assert c.options[0]["breakeven_month"] is None and len(c.bands) == 1


def test_seats_against_tokens_need_the_workload_in_both_units(catalog):
    seats_wl = {"seats": 100, "tokens_per_seat_month": 1e7, "input_share": 0.8, "peak_to_average": 1.0}
    seat = {"kind": "seats", "name": "seat", "closed": {"usd_per_seat_month": 30}}
    # 100 seats x 30 = 3,000 USD/month; A on the same 100 x 1e7 = 1e9 tokens: 3,200 USD/month
    c = compare({**BASE, "workload": seats_wl}, [A, seat], catalog)
    assert names(c) == ["seat", "A"]
    assert c.options[0]["total_usd"] == pytest.approx(12 * 3000)
    assert c.options[0]["billed"] == "100 seats x $30.00/seat-month"
    assert c.options[1]["total_usd"] == pytest.approx(12 * 3200)
    with pytest.raises(ScenarioError) as e:              # the token workload has no seats
        compare(BASE, [A, seat], catalog)
    assert e.value.field == "options.1" and "workload.seats" in e.value.message
    with pytest.raises(ScenarioError) as e:
        compare(BASE, [A, {"kind": "image", "closed": {"usd_per_image": 0.04}}], catalog)
    assert e.value.field == "options.1" and "images_per_month" in e.value.message
    with pytest.raises(ScenarioError) as e:              # a hybrid with a seat product has no plan
        compare({**BASE, "workload": seats_wl}, [{"kind": "hybrid", "closed": seat["closed"], "open": S["open"]}],
                catalog)
    assert e.value.field == "options.0.closed.seat_product"


def test_image_options_by_hand(catalog):
    # 10,000 images/month: API at 0.04 USD/image = 400 USD/month; a replica at 1 image/s (2.628M/month)
    # rented at 1 USD/GPU-hour = 730 USD/month, so the API is cheaper; they cross at 730 / 0.04 = 18,250.
    wl = {"images_per_month": 10_000, "peak_to_average": 1.0}
    api = {"kind": "image", "name": "api", "closed": {"usd_per_image": 0.04}}
    own = {"kind": "self_hosted", "name": "own", "open": {**LEAN, "usd_per_gpu_hour": 1.0,
                                                         "images_per_second_per_replica": 1.0}}
    c = compare({**BASE, "workload": wl}, [own, api], catalog)
    assert names(c) == ["api", "own"] and c.unit == "image" and c.volume_unit == "images/month"
    assert c.options[0]["total_usd"] == pytest.approx(12 * 400) and c.options[1]["total_usd"] == pytest.approx(12 * 730)
    assert c.options[1]["breakeven_volume_per_month"] == pytest.approx(730 / 0.04, rel=1e-9)
    with pytest.raises(ScenarioError) as e:
        compare({**BASE, "workload": wl}, [A], catalog)
    assert e.value.field == "options.0"


def test_hybrid_option_matches_the_engine(catalog):
    scen = {"horizon_months": 12, "workload": {"tokens_per_month": 2e10, "input_share": 0.8,
                                               "load_profile": "business_hours"}}
    hyb = {"kind": "hybrid", "closed": A["closed"], "open": S["open"]}
    c = compare(scen, [hyb, A, S], catalog)
    r = evaluate(Scenario.from_dict({**scen, "closed": A["closed"], "open": S["open"]}), catalog, hybrid=True)
    by = {o["index"]: o for o in c.options}
    assert by[0]["total_usd"] == pytest.approx(r.summary["hybrid_total_usd"], rel=1e-12)
    assert by[1]["total_usd"] == pytest.approx(r.summary["closed_total_usd"], rel=1e-12)
    assert by[2]["total_usd"] == pytest.approx(r.summary["open_total_usd"], rel=1e-12)
    # the hybrid's steady cost is never above either pure option's on the grid
    assert np.all(c.curve_usd[0] <= np.minimum(c.curve_usd[1], c.curve_usd[2]) * (1 + 1e-9))


def test_option_errors_name_the_option(catalog):
    bad_gpu = {"kind": "self_hosted", "open": {"model": "llama-3.1-8b", "gpu": "h100-sx"}}
    with pytest.raises(ScenarioError) as e:
        compare(BASE, [A, B, bad_gpu], catalog)
    assert e.value.field == "options.2.open.gpu" and "h100-sxm" in e.value.message
    with pytest.raises(ScenarioError, match="options: give 1 to 12 options, got 13"):
        compare(BASE, [A] * 13, catalog)
    with pytest.raises(ScenarioError, match="options.0.kind: must be one of"):
        compare(BASE, [{"kind": "api"}], catalog)
    with pytest.raises(ScenarioError, match="options.0.open: a closed option has no open side"):
        compare(BASE, [{**A, "open": {}}], catalog)
    with pytest.raises(ScenarioError, match="options.1.closed.bogus: unknown field"):
        compare(BASE, [A, {"kind": "closed", "closed": {"bogus": 1}}], catalog)
    with pytest.raises(ScenarioError) as e:           # a workload error keeps its own path
        compare({**BASE, "workload": {"tokens_per_month": -1}}, [A], catalog)
    assert e.value.field == "workload.tokens_per_month"


prices = st.floats(0.01, 100)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pin=prices, pout=prices, rate=st.floats(0.1, 20), tps=st.floats(100, 1e5), tokens=st.floats(1e6, 1e12),
       growth=st.floats(-0.05, 0.2), disc=st.floats(0, 0.3), gpus=st.integers(1, 8))
def test_compare_of_a_pair_equals_evaluate(catalog, pin, pout, rate, tps, tokens, growth, disc, gpus):
    scen = {"horizon_months": 24, "workload": {"tokens_per_month": tokens, "monthly_growth": growth},
            "finance": {"discount_rate_annual": disc}}
    closed = {"input_usd_per_mtok": pin, "output_usd_per_mtok": pout}
    open_ = {"usd_per_gpu_hour": rate, "output_tokens_per_second_per_replica": tps, "gpus_per_replica": gpus}
    c = compare(scen, [{"kind": "closed", "closed": closed}, {"kind": "self_hosted", "open": open_}], catalog)
    r = evaluate(Scenario.from_dict({**scen, "closed": closed, "open": open_}), catalog).summary
    by = {o["index"]: o for o in c.options}
    assert by[0]["total_usd"] == pytest.approx(r["closed_total_usd"], rel=1e-12)
    assert by[1]["total_usd"] == pytest.approx(r["open_total_usd"], rel=1e-12)
    assert by[0]["npv_usd"] == pytest.approx(r["closed_npv_usd"], rel=1e-12)
    assert by[1]["npv_usd"] == pytest.approx(r["open_npv_usd"], rel=1e-12)
    npvs = [o["npv_usd"] for o in c.options]
    assert npvs == sorted(npvs)
    # the pair's break-even month is the same crossing, seen from whichever is cheaper
    if c.cheapest == 1:
        be = r["breakeven_month"]
        got = by[0]["breakeven_month"]
        assert (be is None and got is None) or got == pytest.approx(be, rel=1e-9, abs=1e-9)


def test_the_readme_compare_example_runs():
    """The Python example of the README's "Many options at once" section, as written."""
    import re

    from conftest import REPO
    readme = (REPO / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "compare(" in b)
    scope: dict = {}
    exec(block, scope)                                      # noqa: S102  (the repository's own README)
    c = scope["c"]
    assert len(c.options) == 5 and [o["rank"] for o in c.options] == [1, 2, 3, 4, 5]
    assert c.monthly_usd.shape == (5, 36) and c.bands


def test_hybrid_steady_cost_is_the_best_of_every_replica_count(catalog):
    """The kink candidates of hybrid.steady_costs find the same minimum as trying every N from 0 up."""
    from tco.bills import closed_costs
    from tco.components import USAGE_COMPONENTS
    from tco.hybrid import _candidate_costs, steady_costs
    from tco.resolve import resolve
    from tco.workload import average_load, load_profile
    s = Scenario.from_dict({"horizon_months": 12, "workload": {"tokens_per_month": 2e10, "input_share": 0.8,
                                                               "load_profile": "business_hours"},
                            "closed": A["closed"], "open": {**S["open"], "staff_fte_base": 0.5,
                                                            "fte_usd_per_year": 150_000, "min_replicas": 2}})
    R = resolve(s, catalog)
    vols = np.geomspace(1e8, 1e12, 9)
    got, reps = steady_costs(R, vols)
    scale = vols / R.volumes.tokens_month0
    closed = closed_costs(R, scale[:, None], steady=True)
    variable = sum(closed[k] for k in USAGE_COMPONENTS)[:, 0]
    avg = average_load(R.volumes, np.ones(1), scale)
    n = np.arange(0, 6000, dtype=float)[:, None]                       # more than any volume here needs
    own, api, _ = _candidate_costs(R, load_profile("business_hours"), n, variable, closed["closed_fixed"][:, 0], avg)
    cost = own + api
    cost[1:2] = np.inf                                                  # N = 1 is below min_replicas
    np.testing.assert_allclose(got, cost.min(axis=0), rtol=1e-12)
    assert reps[0] == 0 and reps[-1] > 2                                 # all API at 1e8, own replicas at 1e12


def test_a_workload_without_volume_is_priced_not_nan(catalog):
    """No tokens: the closed options and a hybrid (all on the API, nothing used) cost 0; the deployment
    still pays its replica: 1 x 1 GPU x 730 h x 2 USD = 1,460 USD/month x 12 = 17,520 USD (LEAN: no staff)."""
    s = {"kind": "self_hosted", "name": "S", "open": {**LEAN, "usd_per_gpu_hour": 2.0,
                                                      "output_tokens_per_second_per_replica": 1000}}
    hyb = {"kind": "hybrid", "name": "H", "closed": A["closed"], "open": s["open"]}
    c = compare({**BASE, "workload": {"tokens_per_month": 0}}, [s, A, hyb], catalog)
    assert names(c) == ["A", "H", "S"]
    assert [o["total_usd"] for o in c.options] == [0.0, 0.0, pytest.approx(17520)]
    assert c.bands == [] and c.options[0]["levelised_usd_per_unit"] is None
    r = evaluate(Scenario.from_dict({**BASE, "workload": {"tokens_per_month": 0}, "closed": A["closed"],
                                     "open": s["open"]}), catalog, hybrid=True)
    assert r.summary["hybrid_total_usd"] == 0.0
