"""Invariants of the engine, checked with hypothesis over random scenarios."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco import Scenario, evaluate
from tco.bills import closed_costs
from tco.breakeven import steady_costs
from tco.resolve import resolve
from tco.selfhosted import open_costs
from tco.finance import npv

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

prices = st.floats(0.01, 100)
volumes = st.floats(1e5, 1e12)


def make(input_price=3.0, output_price=15.0, volume=1e9, share=0.8, rate=2.0, tps=1000.0, gpus=1,
         util=0.7, billing="always_on", hosting="cloud", staff=0.5, min_replicas=1, **open_kw):
    return Scenario.from_dict({
        "workload": {"tokens_per_month": volume, "input_share": share},
        "closed": {"input_usd_per_mtok": input_price, "output_usd_per_mtok": output_price},
        "open": {"usd_per_gpu_hour": rate, "output_tokens_per_second_per_replica": tps, "gpus_per_replica": gpus,
                 "target_utilisation": util, "billing": billing, "hosting": hosting, "staff_fte_base": staff,
                 "min_replicas": min_replicas, **open_kw},
    })


@SETTINGS
@given(pin=prices, pout=prices, v=volumes, share=st.floats(0.05, 0.95), k=st.floats(0.001, 1000))
def test_closed_cost_is_linear_in_volume(catalog, pin, pout, v, share, k):
    R = resolve(make(pin, pout, v, share), catalog)
    one = sum(closed_costs(R, 1.0).values())
    scaled = sum(closed_costs(R, k).values())
    np.testing.assert_allclose(scaled, k * one, rtol=1e-9)


@SETTINGS
@given(rate=st.floats(0.1, 20), tps=st.floats(10, 1e5), gpus=st.integers(1, 8), util=st.floats(0.1, 1),
       hosting=st.sampled_from(["cloud", "owned"]), billing=st.sampled_from(["always_on", "autoscaled"]),
       staff=st.floats(0, 3))
def test_self_hosted_cost_is_non_decreasing_in_volume(catalog, rate, tps, gpus, util, hosting, billing, staff):
    s = make(rate=rate, tps=tps, gpus=gpus, util=util, hosting=hosting, billing=billing, staff=staff,
             gpus_per_server=8, server_usd=200000, tdp_watts=700)
    R = resolve(s, catalog)
    vols = np.geomspace(1e5, 1e13, 400)
    _, opened, _ = steady_costs(R, vols)
    assert np.all(np.diff(opened) >= -1e-9 * opened[1:])


@SETTINGS
@given(pin=st.floats(0.1, 30), rate=st.floats(0.5, 10), tps=st.floats(100, 2e4), gpus=st.integers(1, 8),
       staff=st.floats(0, 2))
def test_breakeven_volume_costs_agree_within_one_replica_step(catalog, pin, rate, tps, gpus, staff):
    s = make(input_price=pin, output_price=pin * 4, rate=rate, tps=tps, gpus=gpus, staff=staff)
    r = evaluate(s, catalog)
    v = r.summary["breakeven_volume_per_month"]
    if v is None:
        return
    R = r.resolved
    closed, opened, reps = steady_costs(R, np.array([v]))
    # One replica step: its GPUs for a month, its share of staff, and the overhead on the rental.
    o = R.scenario.open          # resolved: the defaults table's loaded cost per FTE filled in
    step = gpus * 730 * rate * (1 + o.overhead_share) + o.fte_usd_per_year / 12 / o.replicas_per_fte
    assert abs(opened[0] - closed[0]) <= step * (1 + 1e-9)
    # ... and self-hosting is not dearer anywhere above it.
    c2, o2, _ = steady_costs(R, v * np.geomspace(1.0001, 1e4, 300))
    assert np.all(o2 <= c2 * (1 + 1e-9))


@SETTINGS
@given(v=volumes, rate=st.floats(0.1, 20), tps=st.floats(10, 1e5), util=st.floats(0.05, 1))
def test_unit_cost_at_utilisation_u_is_full_load_cost_over_u(catalog, v, rate, tps, util):
    # Autoscaled rental with no floor: billed GPU-hours = load / (capacity x U).
    base = dict(volume=v, rate=rate, tps=tps, billing="autoscaled", staff=0, min_replicas=0, redundancy_replicas=0,
                fte_usd_per_year=0, setup_engineer_months=0, overhead_share=0)
    at_u = sum(open_costs(resolve(make(util=util, **base), catalog)).values())
    at_1 = sum(open_costs(resolve(make(util=1.0, **base), catalog)).values())
    np.testing.assert_allclose(at_u, at_1 / util, rtol=1e-9)


@SETTINGS
@given(cf=st.lists(st.floats(-1e6, 1e7), min_size=1, max_size=60))
def test_zero_discount_rate_makes_npv_the_plain_sum(cf):
    assert npv(cf, 0.0) == pytest.approx(sum(cf), rel=1e-12, abs=1e-6)


@SETTINGS
@given(v=st.floats(1e7, 1e11), growth=st.floats(0, 0.1))
def test_npv_in_summary_is_sum_at_zero_rate(catalog, v, growth):
    s = make(volume=v).replace(finance={"discount_rate_annual": 0.0}, workload={"monthly_growth": growth})
    r = evaluate(s, catalog)
    assert r.summary["closed_npv_usd"] == pytest.approx(r.summary["closed_total_usd"], rel=1e-12)
    assert r.summary["open_npv_usd"] == pytest.approx(r.summary["open_total_usd"], rel=1e-12)
