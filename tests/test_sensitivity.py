"""Tornado and Monte Carlo against the deterministic engine."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco import Scenario, evaluate
from tco.bills import closed_costs
from tco.components import total as _total
from tco.selfhosted import open_costs
from tco.sweep import sweep
from tco.sensitivity import (INPUTS, SCALE, Distribution, base_values, default_ranges, monte_carlo, skewed_inputs,
                             tornado)

BODY = {"horizon_months": 36,
        "workload": {"input_tokens_per_month": 6e9, "output_tokens_per_month": 1.5e9, "monthly_growth": 0.05},
        "closed": {"model": "gpt-6.1-sol"},
        # TensorRT-LLM serving batch work at this volume: a deployment that pays off within the horizon
        "open": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8",
                 "serving_engine": "trt-llm", "serving_use": "batch"},
        "finance": {"discount_rate_annual": 0.08}}


@pytest.fixture(scope="module")
def result(catalog):
    return evaluate(Scenario.from_dict(BODY), catalog)


def fixed_all(R):
    b = base_values(R)
    return {k: Distribution("fixed", value=1.0 if k in SCALE else b[k]) for k in INPUTS}


def test_zero_width_monte_carlo_equals_deterministic(result):
    mc = monte_carlo(result.resolved, samples=500, seed=3, distributions=fixed_all(result.resolved))
    assert np.allclose(mc.savings_npv_usd, result.summary["savings_npv_usd"], rtol=1e-12)
    assert np.allclose(mc.savings_usd, result.summary["savings_usd"], rtol=1e-12)
    assert np.allclose(mc.breakeven_month, result.summary["breakeven_month"], rtol=1e-12)
    # zero-width triangular and lognormal do the same
    b = base_values(result.resolved)
    d = {k: Distribution("triangular", low=v, mode=v, high=v) for k, v in
         ((k, 1.0 if k in SCALE else b[k]) for k in INPUTS)}
    d["volume"] = Distribution("lognormal", median=1.0, sigma=0.0)
    mc2 = monte_carlo(result.resolved, samples=50, seed=1, distributions=d)
    assert np.allclose(mc2.savings_npv_usd, result.summary["savings_npv_usd"], rtol=1e-12)


def test_narrow_symmetric_inputs_put_p50_on_the_deterministic_value(result):
    b = base_values(result.resolved)
    d = {}
    for k in INPUTS:
        v = 1.0 if k in SCALE else b[k]
        # +-0.01 %: wide enough to be a real sample, narrow enough that no month's replica count flips (at
        # +-0.1 % a month whose need sits within 0.1 % of a whole replica bills one more in half the samples,
        # a step the median follows, not a bias)
        w = 1e-4 * (abs(v) if v else 1.0)
        d[k] = Distribution("triangular", low=v - w, mode=v, high=v + w)
    mc = monte_carlo(result.resolved, samples=20_000, seed=7, distributions=d)
    assert mc.percentiles()["p50"] == pytest.approx(result.summary["savings_npv_usd"], rel=0.01)


def test_seeded_and_reproducible(result):
    a = monte_carlo(result.resolved, samples=2000, seed=11)
    b = monte_carlo(result.resolved, samples=2000, seed=11)
    c = monte_carlo(result.resolved, samples=2000, seed=12)
    assert np.array_equal(a.savings_npv_usd, b.savings_npv_usd)
    assert not np.array_equal(a.savings_npv_usd, c.savings_npv_usd)
    s = a.summary()
    assert s["savings_npv_usd"]["p10"] <= s["savings_npv_usd"]["p50"] <= s["savings_npv_usd"]["p90"]
    assert 0.0 <= s["probability_self_hosting_cheaper"] <= 1.0
    hist = a.breakeven_histogram()
    assert hist["samples"].sum() + hist.attrs["never"] == 2000


def test_cumulative_bands_are_ordered(result):
    mc = monte_carlo(result.resolved, samples=3000, seed=5)
    bands = mc.cumulative_bands
    assert set(bands["option"]) == {"closed", "self_hosted"} and len(bands) == 2 * 36
    assert (bands["p10"] <= bands["p50"]).all() and (bands["p50"] <= bands["p90"]).all()


def test_tornado_rows_match_the_engine(catalog, result):
    t = tornado(result.resolved).set_index("input")
    assert t["base_savings_npv"].iloc[0] == pytest.approx(result.summary["savings_npv_usd"])
    assert list(t["swing_usd"]) == sorted(t["swing_usd"], reverse=True)
    # Each end re-evaluated through the ordinary engine with the scenario changed by hand.
    rate = result.assumptions["open.usd_per_gpu_hour"]["value"]
    fte = result.assumptions["open.fte_usd_per_year"]["value"]      # the defaults table's loaded cost
    checks = {
        ("gpu_rate", "high"): {"open": {**BODY["open"], "usd_per_gpu_hour": rate * 1.3}},
        ("growth", "low"): {"workload": {**BODY["workload"], "monthly_growth": 0.03}},
        ("discount_rate", "high"): {"finance": {"discount_rate_annual": 0.08 + 0.05}},
        ("staff_cost", "low"): {"open": {**BODY["open"], "fte_usd_per_year": fte * 0.7}},
        # by ratio: 0.7 x (0.7 + 0.15) / 0.7 = 0.85 above, 0.7 / (0.85 / 0.7) = 0.49 / 0.85 = 0.5765 below
        ("utilisation", "low"): {"open": {**BODY["open"], "target_utilisation": 0.49 / 0.85}},
        ("utilisation", "high"): {"open": {**BODY["open"], "target_utilisation": 0.85}},
        ("api_price_change", "low"): {"closed": {"model": "gpt-6.1-sol", "price_change_annual": 0.0 - 0.2}},
    }
    for (name, end), patch in checks.items():
        r = evaluate(Scenario.from_dict({**BODY, **patch}), catalog)
        assert t.loc[name, f"savings_npv_{end}"] == pytest.approx(r.summary["savings_npv_usd"], rel=1e-9), name
        be = r.summary["breakeven_month"]
        got = t.loc[name, f"breakeven_month_{end}"]
        assert (be is None and np.isnan(got)) or got == pytest.approx(be), name


SET = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SET
@given(scale=st.floats(0.1, 10), growth=st.floats(-0.05, 0.2), price=st.floats(0.3, 3), change=st.floats(-0.5, 0.2),
       rate=st.floats(0.5, 10), eff=st.floats(0.2, 3), util=st.floats(0.2, 0.98), billing=st.sampled_from(
           ["always_on", "autoscaled"]), cached=st.floats(0, 0.5), batch=st.floats(0, 0.5))
def test_fast_sweep_equals_component_path(catalog, scale, growth, price, change, rate, eff, util, billing, cached,
                                          batch):
    """The folded cloud path of sweep() gives the same totals as closed_costs + open_costs."""
    s = Scenario.from_dict({"horizon_months": 24,
                            "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8,
                                         "cached_input_share": cached, "batch_share": batch},
                            "closed": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15,
                                       "cached_input_usd_per_mtok": 0.3, "batch_input_usd_per_mtok": 1.5,
                                       "batch_output_usd_per_mtok": 7.5, "batch_cached_input_usd_per_mtok": 0.15,
                                       "setup_usd": 1000,
                                       "fixed_usd_per_month": 50},
                            "open": {"usd_per_gpu_hour": 2, "output_tokens_per_second_per_replica": 900,
                                     "billing": billing, "redundancy_replicas": 1, "evaluation_usd_per_month": 70}})
    R = evaluate(s, catalog).resolved
    arr = lambda x: np.array([x, x * 1.01])  # noqa: E731
    res = sweep(R, volume_scale=arr(scale), monthly_growth=arr(growth), closed_price_scale=arr(price),
                closed__price_change_annual=arr(change), open__usd_per_gpu_hour=arr(rate),
                open__capacity_per_replica=R.open.capacity_per_replica * arr(eff), open__target_utilisation=arr(util))
    for i in range(2):
        f = 1.0 if i == 0 else 1.01
        s2 = Scenario.from_dict({**s.to_dict(),
                                 "workload": {**s.to_dict()["workload"], "monthly_growth": growth * f},
                                 "closed": {**s.to_dict()["closed"], "price_change_annual": change * f,
                                            **{k: v * price * f for k, v in s.to_dict()["closed"].items()
                                               if k.endswith("usd_per_mtok") and v is not None}},
                                 "open": {**s.to_dict()["open"], "usd_per_gpu_hour": rate * f,
                                          "output_tokens_per_second_per_replica": 900 * eff * f,
                                          "target_utilisation": util * f}})
        R2 = evaluate(s2, catalog).resolved
        closed = _total(closed_costs(R2, scale * f))
        opened = _total(open_costs(R2, scale * f))
        np.testing.assert_allclose(res["closed"][i], closed, rtol=1e-9)
        np.testing.assert_allclose(res["open"][i], opened, rtol=1e-9)


# ---------------------------------------------------------------- what each default does to the verdict

from tco.sensitivity import defaults_tornado  # noqa: E402

LEAN_DEFAULTS = {"horizon_months": 12,
                 "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
                 "closed": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
                 "open": {"usd_per_gpu_hour": 2.0, "gpus_per_replica": 2, "output_tokens_per_second_per_replica": 500,
                          "staff_fte_base": 0.5, "replicas_per_fte": 20, "overhead_share": 0},
                 "finance": {"discount_rate_annual": 0.0}}


def test_defaults_tornado_by_hand(catalog):
    # 2e9 input tokens / 1,000 per request = 2e6 requests a month = 0.761 req/s, peak x2 = 1.522;
    # a replica serves 500 tok/s / 250 output tokens = 2 req/s, x 0.7 = 1.4 -> 2 replicas for the
    # load + 1 spare (the default N+1) = 3 replicas x 2 GPUs x 730 h x $2 = 8,760 USD/month.
    r = evaluate(Scenario.from_dict(LEAN_DEFAULTS), catalog)
    t = defaults_tornado(r.resolved, catalog).set_index("name")
    assert r.summary["peak_replicas"] == 3
    base = t["base_savings"].iloc[0]
    assert base == pytest.approx(r.summary["savings_usd"])
    rental = 3 * 2 * 730 * 2.0 * 12
    spare = t.loc["redundancy_replicas"]
    # N+0 removes one replica of three: the GPU cost falls by exactly 1/3, and so do its staff (1/20 FTE each).
    fte = 133080 * 1.4245
    assert spare["savings_low"] - base == pytest.approx(rental / 3 + 12 * fte / 12 / 20)
    assert base - spare["savings_high"] == pytest.approx(rental / 3 + 12 * fte / 12 / 20)   # N+2: one more
    # Salary at the 25th percentile (103,050 instead of 133,080), x 1.4245 loaded, for
    # (0.5 + 3 / 20) FTE over 12 months, plus the 3 setup engineer-months in month 0.
    staff_months = 0.65 * 12 + 3
    assert t.loc["staff_base_salary_usd_per_year", "savings_low"] - base == pytest.approx(
        (133080 - 103050) * 1.4245 / 12 * staff_months)
    # Setup 1 engineer-month instead of 3: two months of the loaded cost saved, once.
    assert t.loc["setup_engineer_months", "savings_low"] - base == pytest.approx(2 * fte / 12)
    # staff_fte_base given with the table's own value (0.5) is on it, as a form sends its defaults;
    # rented GPUs: no power or colocation.
    assert "staff_fte_base" in t.index and "colocation_usd_per_kw_month" not in t.index
    # A value of the user's own is not a default: 0.75 FTE is not moved to the table's 0.25 .. 1.
    other = Scenario.from_dict({**LEAN_DEFAULTS, "open": {**LEAN_DEFAULTS["open"], "staff_fte_base": 0.75}})
    assert "staff_fte_base" not in defaults_tornado(evaluate(other, catalog).resolved, catalog)["name"].tolist()
    # Throughput given inline: FP8 or bf16 changes nothing here.
    assert t.loc["precision", "savings_low"] == pytest.approx(base)
    assert t["swing_usd"].is_monotonic_decreasing


def test_defaults_tornado_fp8_against_bf16(catalog):
    # The roofline model: bf16 weights read twice the bytes of FP8 per decode step, so fewer
    # tokens/s per replica and more replicas: the savings fall when FP8 is turned off.
    body = {**BODY, "open": {k: v for k, v in BODY["open"].items() if k != "precision"}}   # FP8 by default
    r = evaluate(Scenario.from_dict(body), catalog)
    assert r.resolved.scenario.open.precision == "fp8"
    t = defaults_tornado(r.resolved, catalog).set_index("name")
    assert t.loc["precision", "savings_npv_low"] < t.loc["precision", "base_savings_npv"]
    assert t.loc["precision", "source_url"].startswith("https://docs.vllm.ai/")


def test_the_fleet_divisors_range_by_ratio(result):
    # throughput x1/1.3..x1.3 and utilisation 0.7 / k..0.7 x k with k = 0.85 / 0.7: the replicas they
    # imply (proportional to 1 / input) move by the same ratio either way, so neither is "skewed"
    lo, hi = default_ranges(result.resolved)["throughput_efficiency"]
    assert (lo, hi) == (pytest.approx(1 / 1.3), 1.3)
    ulo, uhi = default_ranges(result.resolved)["utilisation"]
    assert (0.7 / ulo) == pytest.approx(uhi / 0.7) and uhi == pytest.approx(0.85)
    assert skewed_inputs(result.resolved) == []


def test_an_end_that_misses_the_latency_target_is_priced_on_the_replica_that_meets_it(catalog):
    # bf16 weights read twice FP8's bytes per token. A per-token target halfway between the two
    # batch-1 times on 2 GPUs (both from the model, so the test holds whatever the fit) is met by
    # FP8 and missed by bf16 even at batch 1, where the replica would serve one sequence at a
    # time. A team without FP8 would deploy a larger replica: the end is priced on it, and says so.
    from tco.serving import modelled_throughput
    body = {"horizon_months": 36, "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
            "closed": {"model": "gpt-6.1-sol"},
            "open": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "provider": "aws"}}
    model, gpu = catalog.open_model("llama-3.1-70b"), catalog.gpu("h100-sxm")
    base = evaluate(Scenario.from_dict(body), catalog).resolved
    vol = base.volumes

    def batch1_tpot(precision, g):
        o = dataclasses.replace(base.scenario.open, precision=precision, serving_use="batch")
        return modelled_throughput(model, gpu, o, g, vol.input_tokens_per_request, vol.output_tokens_per_request,
                                   concurrency=1)["time_per_output_token_s"]

    fp8, bf16, bf16_on_4 = batch1_tpot("fp8", 2), batch1_tpot("bf16", 2), batch1_tpot("bf16", 4)
    target = (fp8 + bf16) / 2
    assert bf16_on_4 < target < bf16           # 4 GPUs halve the weights' time per GPU: they meet it
    body["open"]["max_time_per_output_token_s"] = target
    r = evaluate(Scenario.from_dict(body), catalog).resolved
    assert r.scenario.open.precision == "fp8" and not r.open.throughput_detail.get("latency_note")
    row = defaults_tornado(r, catalog).set_index("name").loc["precision"]
    assert "out of reach on 2 GPU(s), so it is priced on 4 GPUs per replica" in row["note"]
    # The low end is exactly the scenario with bf16 on 4 GPUs per replica ...
    on_4 = Scenario.from_dict({**body, "open": {**body["open"], "precision": "bf16", "gpus_per_replica": 4}})
    assert row["savings_npv_low"] == pytest.approx(evaluate(on_4, catalog).summary["savings_npv_usd"])
    # ... and costs less than serving one sequence at a time on 2 GPUs would.
    on_2 = Scenario.from_dict({**body, "open": {**body["open"], "precision": "bf16"}})
    assert row["savings_npv_low"] > evaluate(on_2, catalog).summary["savings_npv_usd"]
