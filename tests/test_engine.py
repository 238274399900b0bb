"""The cost engine against hand arithmetic, component by component.

Conventions used in the arithmetic: a month is 730 h = 2,628,000 s.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from tco import Scenario, ScenarioError, evaluate
from tco.bills import closed_costs
from tco.breakeven import breakeven_month, steady_costs
from tco.fleet import fleet
from tco.resolve import resolve
from tco.selfhosted import open_costs

SECONDS = 730 * 3600  # 2,628,000 s in a month

#: A self-hosted option whose people, one-off and overhead costs are zero, so that
#: infrastructure components can be checked alone (and no spare replica: N+0).
LEAN = dict(staff_fte_base=0, redundancy_replicas=0, replicas_per_fte=1e12, setup_engineer_months=0, overhead_share=0,
            min_replicas=1, target_utilisation=0.7)


def scenario(workload=None, closed=None, open_=None, **kw):
    return Scenario.from_dict({
        "horizon_months": kw.pop("horizon_months", 36),
        "workload": workload or {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
        "closed": closed or {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
        "open": {**LEAN, "usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 1000,
                 "gpus_per_replica": 2, **(open_ or {})},
        **kw,
    })


def month(result, option, component, m=0):
    df = result.monthly
    sel = df[(df.option == option) & (df.component == component) & (df.month == m)]
    return float(sel["usd"].sum())


# ---------------------------------------------------------------- closed option

def test_api_bill_llmtco_case(catalog):
    # published_cases.md case 5, "API bill": 1M input at $3 + 0.5M output at $15 = $10.50.
    r = evaluate(scenario({"input_tokens_per_month": 1e6, "output_tokens_per_month": 5e5}), catalog)
    assert month(r, "closed", "api_input") == pytest.approx(3.0)
    assert month(r, "closed", "api_output") == pytest.approx(7.5)
    assert r.totals_by_month()["closed"].iloc[0] == pytest.approx(10.50)


def test_cached_input_and_cache_writes(catalog):
    # 10M input: 50% cache reads at $0.30, 10% cache writes at $3.75, 40% plain at $3.
    # plain 4M x 3 = 12.00; reads 5M x 0.30 = 1.50; writes 1M x 3.75 = 3.75.
    r = evaluate(scenario({"input_tokens_per_month": 1e7, "output_tokens_per_month": 0,
                           "cached_input_share": 0.5, "cache_write_share": 0.1},
                          {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15, "cached_input_usd_per_mtok": 0.3,
                           "cache_write_usd_per_mtok": 3.75}), catalog)
    assert month(r, "closed", "api_input") == pytest.approx(12.0)
    assert month(r, "closed", "api_cached_input") == pytest.approx(1.5)
    assert month(r, "closed", "api_cache_write") == pytest.approx(3.75)


def test_batch_share(catalog):
    # Half the traffic through the batch API at half price:
    # input 10M x (0.5 x 3 + 0.5 x 1.5) = 22.5; output 2M x (0.5 x 15 + 0.5 x 7.5) = 22.5.
    r = evaluate(scenario({"input_tokens_per_month": 1e7, "output_tokens_per_month": 2e6, "batch_share": 0.5},
                          {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15, "batch_input_usd_per_mtok": 1.5,
                           "batch_output_usd_per_mtok": 7.5}), catalog)
    assert month(r, "closed", "api_input") == pytest.approx(22.5)
    assert month(r, "closed", "api_output") == pytest.approx(22.5)


def test_batch_discounts_cache_reads_at_the_batch_cache_price(catalog):
    # 10M input, half read from the cache, 40% of requests through the batch API, no output:
    # uncached 5M x (0.6 x 3 + 0.4 x 1.5) = 5 x 2.40 = 12.00
    # cached   5M x (0.6 x 0.3 + 0.4 x 0.15) = 5 x 0.24 = 1.20  (without a batch cache price: 5 x 0.3 = 1.50)
    wl = {"input_tokens_per_month": 1e7, "output_tokens_per_month": 0, "cached_input_share": 0.5,
          "batch_share": 0.4}
    closed = {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15, "cached_input_usd_per_mtok": 0.3,
              "batch_input_usd_per_mtok": 1.5, "batch_output_usd_per_mtok": 7.5}
    r = evaluate(scenario(wl, {**closed, "batch_cached_input_usd_per_mtok": 0.15}), catalog)
    assert month(r, "closed", "api_input") == pytest.approx(12.0)
    assert month(r, "closed", "api_cached_input") == pytest.approx(1.2)
    r = evaluate(scenario(wl, closed), catalog)
    assert month(r, "closed", "api_cached_input") == pytest.approx(1.5)


def test_batch_cache_price_from_the_catalog(catalog):
    # claude-sonnet-4-6 (row of 2026-03-13): input 3, cache read 0.30, batch input 1.50, batch cache read
    # 0.15 [USD/1M]. 1B input, 20% cache reads, all batch:
    # cached 200M x 0.15 = 30.00; uncached 800M x 1.50 = 1,200.00.
    wl = {"input_tokens_per_month": 1e9, "output_tokens_per_month": 0, "cached_input_share": 0.2,
          "batch_share": 1.0}
    r = evaluate(scenario(wl, {"model": "claude-sonnet-4-6"}, horizon_months=1), catalog)
    assert month(r, "closed", "api_cached_input") == pytest.approx(30.0)
    assert month(r, "closed", "api_input") == pytest.approx(1200.0)
    assert r.resolved.assumptions["closed.batch_cached_input_usd_per_mtok"].value == 0.15


def test_batch_discounts_cache_writes_and_the_usage_log_agrees(catalog, tmp_path):
    # claude-sonnet-4-6 (row of 2026-03-13): input 3, cache read 0.30, cache write 3.75, output 15,
    # batch input 1.50, batch output 7.50, batch cache read 0.15 [USD/1M]. Anthropic's batch prices
    # every token kind at half, cache writes included (the cache multipliers apply to the batch price):
    # 1B input (20% read, 10% written), 100M output, 40% through the batch API (1 - b = 0.6, b = 0.4):
    #   uncached 700M x (0.6 x 3    + 0.4 x 1.50)  = 700 x 2.40  = 1,680.00
    #   reads    200M x (0.6 x 0.30 + 0.4 x 0.15)  = 200 x 0.24  =    48.00
    #   writes   100M x (0.6 x 3.75 + 0.4 x 1.875) = 100 x 3.00  =   300.00  (not 375: the write is discounted)
    #   output   100M x (0.6 x 15   + 0.4 x 7.50)  = 100 x 12.00 = 1,200.00        total 3,228.00
    import pandas as pd
    from tco.usage import price_usage
    from tco.usage_stream import price_usage_files
    wl = {"input_tokens_per_month": 1e9, "output_tokens_per_month": 1e8, "cached_input_share": 0.2,
          "cache_write_share": 0.1, "batch_share": 0.4}
    r = evaluate(scenario(wl, {"model": "claude-sonnet-4-6"}, horizon_months=1), catalog)
    parts = {k: month(r, "closed", k) for k in ("api_input", "api_cached_input", "api_cache_write", "api_output")}
    assert parts == pytest.approx({"api_input": 1680.0, "api_cached_input": 48.0, "api_cache_write": 300.0,
                                   "api_output": 1200.0})
    # The same month as a log: a list-price row with 60% of the tokens and a batch row with 40%.
    rows = [{"timestamp": "2026-12-01", "model": "claude-sonnet-4-6", "input_tokens": 1e9 * f,
             "cached_input_tokens": 2e8 * f, "cache_write_tokens": 1e8 * f, "output_tokens": 1e8 * f,
             "batch": b, "requests": 1e5 * f} for f, b in ((0.6, False), (0.4, True))]
    log = price_usage(pd.DataFrame(rows), catalog)
    assert log.total_usd == pytest.approx(3228.0)
    assert log.rows["usd_cache_write"].sum() == pytest.approx(300.0)
    pd.DataFrame(rows).to_csv(tmp_path / "log.csv", index=False)
    assert price_usage_files(tmp_path / "log.csv", catalog).total_usd == pytest.approx(3228.0)
    # the steady view (break-even) bills the same blend: the folded path and the components agree
    steady, _, _ = steady_costs(r.resolved, np.array([1.1e9]))
    assert float(steady[0]) == pytest.approx(3228.0)


def test_batch_cache_reads_of_a_model_without_cache_discount_are_batch_input(catalog):
    # gpt-5.5-pro has no cache-read price (reads cost input, 30) and batch input 15 [USD/1M]: on a
    # batch request a read token is an input token at the batch price (LiteLLM and genai-prices agree).
    # 1B input, 40% reads, all batch, 10k-token prompts (below 272k): 600M x 15 + 400M x 15 = 15,000.
    import pandas as pd
    from tco.usage import price_usage
    wl = {"input_tokens_per_month": 1e9, "output_tokens_per_month": 0, "cached_input_share": 0.4,
          "batch_share": 1.0, "input_tokens_per_request": 10_000}
    r = evaluate(scenario(wl, {"model": "gpt-5.5-pro"}, horizon_months=1), catalog)
    assert month(r, "closed", "api_input") == pytest.approx(9000.0)
    assert month(r, "closed", "api_cached_input") == pytest.approx(6000.0)
    log = pd.DataFrame([{"timestamp": "2026-12-01", "model": "gpt-5.5-pro", "input_tokens": 1e9,
                         "cached_input_tokens": 4e8, "output_tokens": 0, "batch": True, "requests": 1e5}])
    assert price_usage(log, catalog).total_usd == pytest.approx(15000.0)


def test_batch_share_without_batch_price_is_an_error(catalog):
    with pytest.raises(ScenarioError) as err:
        evaluate(scenario({"input_tokens_per_month": 1e7, "output_tokens_per_month": 2e6, "batch_share": 0.5}),
                 catalog)
    assert err.value.field == "workload.batch_share"


def test_long_context_tier_bills_whole_request(catalog):
    # gpt-5.4 style tier: prompts above 272k tokens pay 5 / 22.5 instead of 2.5 / 15.
    # 300k-token prompts: 30M input x 5 = 150; 1M output x 22.5 = 22.5.
    closed = {"input_usd_per_mtok": 2.5, "output_usd_per_mtok": 15, "long_context_threshold_tokens": 272000,
              "input_long_usd_per_mtok": 5, "output_long_usd_per_mtok": 22.5}
    wl = {"input_tokens_per_month": 3e7, "output_tokens_per_month": 1e6, "input_tokens_per_request": 300000}
    r = evaluate(scenario(wl, closed), catalog)
    assert month(r, "closed", "api_input") == pytest.approx(150.0)
    assert month(r, "closed", "api_output") == pytest.approx(22.5)
    # Below the threshold the plain prices apply: 30M x 2.5 = 75.
    r2 = evaluate(scenario({**wl, "input_tokens_per_request": 100000}, closed), catalog)
    assert month(r2, "closed", "api_input") == pytest.approx(75.0)


def test_discount_and_yearly_price_change(catalog):
    # 20% negotiated discount, prices falling 30% a year: month 12 pays 0.8 x 0.7 = 0.56 of list.
    # List bill: 2,000M x 3 + 500M x 15 = 6,000 + 7,500 = 13,500 USD.
    r = evaluate(scenario(closed={"input_usd_per_mtok": 3, "output_usd_per_mtok": 15, "discount": 0.2,
                                  "price_change_annual": -0.3}), catalog)
    tot = r.totals_by_month()["closed"]
    assert tot.iloc[0] == pytest.approx(13500 * 0.8)
    assert tot.iloc[12] == pytest.approx(13500 * 0.56)
    assert tot.iloc[6] == pytest.approx(13500 * 0.8 * 0.7 ** 0.5)


def test_seats_with_growth(catalog):
    # 100 seats at $30 growing 10% a month: month 0 = 3,000; month 2 = 3,000 x 1.21 = 3,630.
    r = evaluate(scenario({"seats": 100, "tokens_per_seat_month": 1e6, "monthly_growth": 0.1},
                          {"usd_per_seat_month": 30}), catalog)
    assert month(r, "closed", "seats") == pytest.approx(3000)
    assert month(r, "closed", "seats", 2) == pytest.approx(3630)


def test_seat_product_from_catalog(catalog):
    row = catalog.seat_price("github-copilot-business", "monthly") if (
        (catalog.seat_prices["product_id"] == "github-copilot-business")
        & (catalog.seat_prices["billing_term"] == "monthly")).any() else catalog.seat_prices.iloc[0]
    pid, term, price = row["product_id"], row["billing_term"], row["usd_per_seat_month"]
    r = evaluate(scenario({"seats": 50, "tokens_per_seat_month": 2e6}, {"seat_product": pid, "billing_term": term}),
                 catalog)
    assert month(r, "closed", "seats") == pytest.approx(50 * price)
    assert r.assumptions["closed.usd_per_seat_month"]["source"].startswith("catalog: seat_prices")


def test_images(catalog):
    # 10,000 images at $0.04 = $400 a month; self-hosted at 0.5 images/s per GPU.
    r = evaluate(scenario({"images_per_month": 10000}, {"usd_per_image": 0.04},
                          {"images_per_second_per_replica": 0.5, "gpus_per_replica": 1}), catalog)
    assert month(r, "closed", "images") == pytest.approx(400)
    assert r.summary["unit"] == "image"
    assert r.summary["closed_levelised_usd_per_unit"] == pytest.approx(0.04)


def test_requests_per_day_workload(catalog):
    # 10,000 requests/day x 30.4167 days x (800 + 200) tokens = 304.17M tokens; 80% input.
    r = evaluate(scenario({"requests_per_day": 10000, "input_tokens_per_request": 800,
                           "output_tokens_per_request": 200}), catalog)
    tokens = 10000 * 365 / 12 * 1000
    assert r.summary["total_tokens"] / 36 == pytest.approx(tokens)
    assert month(r, "closed", "api_input") == pytest.approx(tokens * 0.8 * 3 / 1e6)


def test_explicit_monthly_volumes(catalog):
    vols = [1e9] * 12 + [2e9] * 12
    r = evaluate(scenario({"tokens_per_month": 1e9, "input_share": 0.75, "monthly_volumes": vols},
                          horizon_months=24), catalog)
    tot = r.totals_by_month()["closed"]
    # 1e9 tokens: 750M x 3 + 250M x 15 = 2,250 + 3,750 = 6,000 USD; doubled in year two.
    assert tot.iloc[0] == pytest.approx(6000) and tot.iloc[23] == pytest.approx(12000)


# ---------------------------------------------------------------- capacity and cloud

def test_replicas_from_peak_load(catalog):
    # 2e9 input tokens at 1,000 per request = 2e6 requests/month = 0.76104 req/s on average, peak x2 = 1.52207.
    # Output per request: 1000 x 0.5e9/2e9 = 250 tokens.  100 tok/s per replica = 0.4 req/s, x 0.7 = 0.28.
    # 1.52207 / 0.28 = 5.44 -> 6 replicas = 12 GPUs; always on: 12 x 730 h x $2 = $17,520.
    r = evaluate(scenario(open_={"output_tokens_per_second_per_replica": 100}), catalog)
    assert r.summary["peak_replicas"] == 6 and r.summary["peak_gpus"] == 12
    assert month(r, "self_hosted", "gpu_rental") == pytest.approx(17520)
    assert "always-on" in r.summary["billing_label"]


def test_redundancy_and_min_replicas(catalog):
    r = evaluate(scenario(open_={"output_tokens_per_second_per_replica": 100, "redundancy_replicas": 1}), catalog)
    assert r.summary["peak_replicas"] == 7
    r = evaluate(scenario(open_={"min_replicas": 3}), catalog)   # 1,000 tok/s: load needs 1, floor 3
    assert r.summary["peak_replicas"] == 3


def test_autoscaled_billing_follows_average_load(catalog):
    # Billed replicas = 0.76104 / 0.28 = 2.7180; x 2 GPUs x 730 h x $2 = 7,936.5 USD.
    r = evaluate(scenario(open_={"output_tokens_per_second_per_replica": 100, "billing": "autoscaled"}), catalog)
    assert month(r, "self_hosted", "gpu_rental") == pytest.approx(2e6 / SECONDS / 0.28 * 2 * 730 * 2)
    assert "autoscaled" in r.summary["billing_label"]


def test_rented_gpu_month_llmtco_case(catalog):
    # published_cases.md case 5, "Rented GPU month": $1.50/h x 730 h x 30% utilisation = $328.50,
    # under the site's convention that utilisation scales the bill (autoscaled, pay for busy hours).
    # 1 GPU serving 1,000 tok/s at 250 output tokens per request = 4 req/s; 30% busy = 1.2 req/s
    # = 1.2 x 2,628,000 = 3,153,600 requests x 1,000 input tokens.
    r = evaluate(scenario({"input_tokens_per_month": 3.1536e9, "output_tokens_per_month": 7.884e8},
                          open_={"usd_per_gpu_hour": 1.5, "gpus_per_replica": 1, "billing": "autoscaled",
                                 "min_replicas": 0, "target_utilisation": 1.0}), catalog)
    assert month(r, "self_hosted", "gpu_rental") == pytest.approx(328.50)


def test_growth_adds_replicas(catalog):
    # 10% growth a month: month 12 volume = 1.1^12 = 3.138 x; peak 1.52207 x 3.138 = 4.777 req/s;
    # 1,000 tok/s per replica = 4 req/s x 0.7 = 2.8 -> ceil(1.706) = 2 replicas.
    r = evaluate(scenario({"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "monthly_growth": 0.1}),
                 catalog)
    reps = r.monthly[(r.monthly.option == "self_hosted")].groupby("month")["replicas"].first()
    assert reps.iloc[0] == 1 and reps.iloc[12] == 2
    assert (np.diff(reps.to_numpy()) >= 0).all()


# ---------------------------------------------------------------- owned hardware

OWNED = {"hosting": "owned", "output_tokens_per_second_per_replica": 100, "gpus_per_server": 8,
         "server_usd": 240000, "tdp_watts": 700, "cost_of_capital_annual": 0, "residual_value_share": 0,
         "useful_life_months": 48, "server_power_factor": 1.4, "colocation_usd_per_kw_month": 150}


def test_owned_amortised_power_colocation_support(catalog):
    # 6 replicas x 2 GPUs = 12 GPUs -> 2 servers of 8 (16 GPUs installed).
    # Hardware at zero cost of capital, no residual: 2 x 240,000 / 48 = 10,000 USD/month.
    # Provisioned power 16 x 700 W x 1.4 = 15.68 kW.
    # Power: 15.68 kW x 0.7 load x 1.3 PUE x 730 h x $0.12 = 1,249.95 USD.
    # Colocation: 15.68 kW x $150 = 2,352 USD.  Support: 480,000 x 8% / 12 = 3,200 USD.
    r = evaluate(scenario(open_=OWNED), catalog)
    assert month(r, "self_hosted", "hardware") == pytest.approx(10000)
    assert month(r, "self_hosted", "power") == pytest.approx(15.68 * 0.7 * 1.3 * 730 * 0.12)
    assert month(r, "self_hosted", "colocation") == pytest.approx(2352)
    assert month(r, "self_hosted", "support") == pytest.approx(3200)


def test_owned_amortised_with_cost_of_capital(catalog):
    # 12%/yr -> r = 1.12^(1/12) - 1 = 0.0094888; annuity over 48 months
    # = r (1+r)^48 / ((1+r)^48 - 1) = 0.0094888 x 1.57352 / 0.57352 = 0.026034 -> 2 x 240,000 x that.
    r_m = 1.12 ** (1 / 12) - 1
    ann = r_m * (1 + r_m) ** 48 / ((1 + r_m) ** 48 - 1)
    r = evaluate(scenario(open_={**OWNED, "cost_of_capital_annual": 0.12}), catalog)
    assert month(r, "self_hosted", "hardware") == pytest.approx(480000 * ann)
    assert ann == pytest.approx(0.026034, abs=1e-6)


def test_owned_server_over_36_months_llmtco_case(catalog):
    # published_cases.md case 5, "Owned hardware": $15,000 server over 36 months = $416.67/month.
    r = evaluate(scenario(open_={**OWNED, "server_usd": 15000, "gpus_per_server": 1, "gpus_per_replica": 1,
                                 "useful_life_months": 36, "output_tokens_per_second_per_replica": 1e6}), catalog)
    assert month(r, "self_hosted", "hardware") == pytest.approx(416.67, abs=0.005)


def test_owned_cash_and_residual_value(catalog):
    # Cash: both servers bought in month 0 = 480,000.  After 36 of 48 months, straight-line value
    # to a 10% residual = 1 - 0.9 x 36/48 = 0.325 of the price -> 156,000 credited in month 35.
    r = evaluate(scenario(open_={**OWNED, "capex_mode": "cash", "residual_value_share": 0.1}), catalog)
    assert month(r, "self_hosted", "hardware", 0) == pytest.approx(480000)
    assert month(r, "self_hosted", "hardware", 1) == 0
    assert month(r, "self_hosted", "residual_value", 35) == pytest.approx(-156000)


def test_owned_fleet_is_bought_when_needed_and_never_sold(catalog):
    # Volume doubles in month 6 then halves: servers bought in month 6 stay.
    vols = [2.5e9] * 6 + [10e9] * 6 + [2.5e9] * 12
    r = evaluate(scenario({"tokens_per_month": 2.5e9, "input_share": 0.8, "monthly_volumes": vols},
                          open_={**OWNED, "capex_mode": "cash"}, horizon_months=24), catalog)
    hw = r.monthly[(r.monthly.component == "hardware")].set_index("month")["usd"]
    assert hw[0] > 0 and hw[6] > 0 and hw[12] == 0 and hw[1] == 0
    # 10e9 tokens: 4x the month-0 load -> 4 x 1.52207 / 0.28 = 21.7 -> 22 replicas = 44 GPUs = 6 servers.
    assert (hw[0] + hw[6]) == pytest.approx(6 * 240000)


# ---------------------------------------------------------------- people and one-offs

def test_staff_setup_overhead(catalog):
    # Staff: 0.5 + 6 replicas / 20 = 0.8 FTE x 200,000 / 12 = 13,333.33 USD/month.
    # Setup in month 0: 3 engineer-months x 200,000 / 12 = 50,000 + migration 20,000 + fine-tuning 5,000.
    # Overhead: 10% of the rental 17,520 = 1,752.  Evaluation 1,000/month.
    r = evaluate(scenario(open_={"output_tokens_per_second_per_replica": 100, "staff_fte_base": 0.5,
                                 "replicas_per_fte": 20, "setup_engineer_months": 3, "migration_usd": 20000,
                                 "fine_tuning_usd": 5000, "overhead_share": 0.1,
                                 "evaluation_usd_per_month": 1000, "fte_usd_per_year": 200000}), catalog)
    assert month(r, "self_hosted", "staff") == pytest.approx(0.8 * 200000 / 12)
    assert month(r, "self_hosted", "open_setup", 0) == pytest.approx(75000)
    assert month(r, "self_hosted", "open_setup", 1) == 0
    assert month(r, "self_hosted", "overhead") == pytest.approx(1752)
    assert month(r, "self_hosted", "evaluation") == pytest.approx(1000)


def test_people_costs_are_on_by_default(catalog):
    s = Scenario.from_dict({"workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
                            "closed": {"model": "gpt-6.1-sol"},
                            "open": {"usd_per_gpu_hour": 2, "output_tokens_per_second_per_replica": 1000}})
    r = evaluate(s, catalog)
    comps = set(r.monthly.loc[r.monthly.option == "self_hosted", "component"])
    assert {"staff", "open_setup", "overhead"} <= comps


# ---------------------------------------------------------------- over time

def test_npv_and_levelised_cost(catalog):
    # Flat $13,500/month for 12 months at 0% -> NPV = 162,000; levelised = 13,500 / 2,500M x 1e6 = 5.4.
    r = evaluate(scenario(horizon_months=12, finance={"discount_rate_annual": 0.0}), catalog)
    assert r.summary["closed_npv_usd"] == pytest.approx(162000)
    assert r.summary["closed_levelised_usd_per_unit"] == pytest.approx(5.4)
    # At 12%/yr month m is worth 1.12^(-m/12): sum over m=0..11 of 13,500 x that.
    r12 = evaluate(scenario(horizon_months=12, finance={"discount_rate_annual": 0.12}), catalog)
    expected = sum(13500 * 1.12 ** (-m / 12) for m in range(12))
    assert r12.summary["closed_npv_usd"] == pytest.approx(expected)


def test_breakeven_month_interpolates():
    # Closed 10/month; self-hosted 25 in month 0 then 0: cumulative difference 15 at t=1, 5 at t=2,
    # -5 at t=3 -> crosses zero half-way through month 2: t = 2 + 5/10 = 2.5.
    assert breakeven_month(np.array([10., 10., 10.]), np.array([25., 0., 0.])) == pytest.approx(2.5)
    assert math.isnan(breakeven_month(np.array([1., 1.]), np.array([2., 2.])))
    assert breakeven_month(np.array([10., 10.]), np.array([5., 5.])) == 0.0


def test_breakeven_volume_llmtco_case(catalog):
    # published_cases.md case 5, "Break-even volume": $320/month self-hosted vs $3/M blended
    # -> 320 / 3 x 1e6 = 106,666,667 tokens/month.  A fixed $320/month: one always-on GPU at 320/730 $/h.
    r = evaluate(scenario({"input_tokens_per_month": 1e6, "output_tokens_per_month": 1e6},
                          {"input_usd_per_mtok": 3, "output_usd_per_mtok": 3},
                          {"usd_per_gpu_hour": 320 / 730, "gpus_per_replica": 1,
                           "output_tokens_per_second_per_replica": 1e7}), catalog)
    assert r.summary["breakeven_volume_per_month"] == pytest.approx(106_666_667, rel=1e-6)


def test_cost_curve_default_llmtco_case(catalog):
    # published_cases.md case 5, "Cost curve default": 10M input + 2M output at $3/$15 -> blended
    # (30 + 30) / 12 = $5.00/M, $60/month; A100 $1.59/h x 730 x 30% = $348.21/month (the site bills
    # busy hours only; here a fixed always-on rate of 1.59 x 0.3 $/h gives the same month);
    # break-even 348.21 / 5 x 1e6 = 69.64M tokens/month; at 12M the API is cheaper.
    r = evaluate(scenario({"input_tokens_per_month": 1e7, "output_tokens_per_month": 2e6}, None,
                          {"usd_per_gpu_hour": 1.59 * 0.3, "gpus_per_replica": 1,
                           "output_tokens_per_second_per_replica": 1e7}), catalog)
    assert r.summary["closed_levelised_usd_per_unit"] == pytest.approx(5.00)
    assert month(r, "self_hosted", "gpu_rental") == pytest.approx(348.21)
    assert r.summary["breakeven_volume_per_month"] == pytest.approx(69.642e6, rel=1e-4)
    assert month(r, "closed", "api_input") + month(r, "closed", "api_output") < 348.21


def test_breakeven_none_when_self_hosting_never_wins(catalog):
    # Self-hosted marginal cost: $2/h x 2 GPUs / (0.1 tok/s ...) is far above $3-15/M at any volume.
    r = evaluate(scenario(open_={"output_tokens_per_second_per_replica": 1}), catalog)
    assert r.summary["breakeven_volume_per_month"] is None
    assert "stays dearer at every volume" in r.summary["breakeven_volume_reason"]
    assert r.summary["breakeven_month"] is None


def test_breakeven_volume_agrees_with_time_breakeven(catalog):
    # Without one-offs or growth, a volume above the break-even volume is cheaper self-hosted
    # from month 0; a volume below never breaks even in time.
    base = scenario({"input_tokens_per_month": 1e9, "output_tokens_per_month": 2.5e8})
    v = evaluate(base, catalog).summary["breakeven_volume_per_month"]
    above = evaluate(scenario({"tokens_per_month": v * 1.05, "input_share": 0.8}), catalog)
    below = evaluate(scenario({"tokens_per_month": v * 0.95, "input_share": 0.8}), catalog)
    assert above.summary["breakeven_month"] == 0.0
    assert below.summary["breakeven_month"] is None


# ---------------------------------------------------------------- catalog-driven scenario and errors

def test_catalog_scenario_end_to_end(catalog):
    s = Scenario.from_dict({
        "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "monthly_growth": 0.05},
        "closed": {"model": "gpt-6.1-sol"},
        "open": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8",
                 "provider": "aws", "term": "on_demand"}})
    r = evaluate(s, catalog)
    a = r.assumptions
    assert a["closed.input_usd_per_mtok"]["value"] == 2.0       # OpenAI's model page: $2 in / $10 out per 1M
    assert a["closed.input_usd_per_mtok"]["source"].startswith("catalog: api_prices gpt-6.1-sol")
    rate = catalog.gpu_rate("aws", "h100-sxm", "on_demand")["usd_per_gpu_hour"]
    assert a["open.usd_per_gpu_hour"]["value"] == rate
    assert a["open.output_tokens_per_second_per_replica"]["value"] > 0
    # Closed month 0: 2,000M x 2 + 500M x 10 = 4,000 + 5,000 = 9,000 USD.
    assert r.totals_by_month()["closed"].iloc[0] == pytest.approx(9000)
    assert set(r.monthly.columns) >= {"month", "option", "component", "usd", "tokens", "replicas", "gpus",
                                      "utilisation"}


def test_as_of_uses_older_prices(catalog):
    s = Scenario.from_dict({"workload": {"input_tokens_per_month": 1e6, "output_tokens_per_month": 1e6},
                            "closed": {"model": "gpt-4o"}, "as_of": "2024-06-01",
                            "open": {"usd_per_gpu_hour": 2, "output_tokens_per_second_per_replica": 1000}})
    r = evaluate(s, catalog)
    # gpt-4o at launch (2024-05-13): $5 in / $15 out -> 5 + 15 = 20 USD.
    assert r.totals_by_month()["closed"].iloc[0] == pytest.approx(20.0)


@pytest.mark.parametrize("patch,field,fragment", [
    ({"open": {"model": "llama-3.1-405b", "gpu": "h100-sxm", "gpus_per_replica": 2,
               "output_tokens_per_second_per_replica": None}}, "open.gpus_per_replica", "GiB"),
    ({"closed": {"model": "gpt-4"}}, "closed.model", "gpt-4o"),
    ({"open": {"gpu": "h100", "model": "llama-3.1-8b", "output_tokens_per_second_per_replica": None}},
     "open.gpu", "h100-sxm"),
    ({"horizon_months": 241}, "horizon_months", "<= 240"),
    ({"workload": {"input_tokens_per_month": -5, "output_tokens_per_month": 1}}, "workload.input_tokens_per_month",
     ">= 0"),
    ({"workload": {"input_tokens_per_month": float("nan"), "output_tokens_per_month": 1}},
     "workload.input_tokens_per_month", "finite"),
    ({"open": {"target_utilisation": 1.5}}, "open.target_utilisation", "<= 1"),
    ({"open": {"hosting": "basement"}}, "open.hosting", "cloud, owned"),
    ({"open": {"precision": "fp7"}}, "open.precision", "bf16"),
    ({"open": {"kv_precision": "fp7"}}, "open.kv_precision", "fp8"),
    ({"open": {"attention_parallel": "ep"}}, "open.attention_parallel", "tp, dp"),
    ({"workload": {"bogus": 1}}, "workload.bogus", "unknown field"),
    ({"workload": {"cached_input_share": 2, "input_tokens_per_month": 1, "output_tokens_per_month": 1}},
     "workload.cached_input_share", "<= 1"),
])
def test_bad_input_names_the_field(catalog, patch, field, fragment):
    base = {"workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
            "closed": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
            "open": {"usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 1000}}
    for k, v in patch.items():
        if isinstance(v, dict):
            base[k] = {kk: vv for kk, vv in {**base.get(k, {}), **v}.items() if vv is not None}
        else:
            base[k] = v
    with pytest.raises(ScenarioError) as err:
        evaluate(Scenario.from_dict(base), catalog)
    assert err.value.field == field
    assert fragment in err.value.message, err.value.message


def test_steady_costs_vectorised_matches_single(catalog):
    R = resolve(scenario(), catalog)
    vols = np.geomspace(1e6, 1e12, 50)
    c, o, reps = steady_costs(R, vols)
    for i in (0, 17, 49):
        c1, o1, _ = steady_costs(R, np.array([vols[i]]))
        assert c[i] == pytest.approx(c1[0]) and o[i] == pytest.approx(o1[0])
    assert c.shape == o.shape == reps.shape == (50,)


def test_image_workload_from_the_catalog(catalog):
    # SDXL on one H100 in fp8: the benchmarks table's images/s (MLPerf, per GPU); 10M images a month.
    ips = float(catalog.throughput_benchmarks.query(
        "model_id == 'sdxl' and gpu_id == 'h100-sxm' and gpu_count == 1 and precision == 'fp8'")
        ["images_per_second"].iloc[0])
    # gpt-image-1 shut down 2026-10-23; OpenAI names gpt-image-2.6-sunburst as the current model.
    price = catalog.image_price("gpt-image-2.6-sunburst", "1024x1024", "medium")["usd_per_image"]
    s = Scenario.from_dict({
        "workload": {"images_per_month": 1e7, "peak_to_average": 2.0},
        "closed": {"image_model": "gpt-image-2.6-sunburst", "image_size": "1024x1024", "image_quality": "medium"},
        "open": {"model": "sdxl", "gpu": "h100-sxm", "precision": "fp8", **LEAN}})
    r = evaluate(s, catalog)
    assert r.assumptions["open.images_per_second_per_replica"]["value"] == pytest.approx(ips)
    assert r.assumptions["open.images_per_second_per_replica"]["source"].startswith("catalog: throughput_benchmarks")
    # Closed: 10M images x price.  Replicas: 1e7 / 2,628,000 s x 2 (peak) / (ips x 0.7), rounded up.
    assert month(r, "closed", "images") == pytest.approx(1e7 * price)
    assert r.summary["peak_replicas"] == math.ceil(1e7 / SECONDS * 2 / (ips * 0.7))
    assert r.summary["unit"] == "image"


@pytest.mark.parametrize("billing", ["always_on", "autoscaled"])
def test_steady_fast_path_equals_components(catalog, billing):
    """steady_costs' folded path for rented GPUs gives what closed_costs + open_costs give."""
    from tco.components import total as _total
    R = resolve(scenario({"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "cached_input_share": 0.3,
                          "batch_share": 0.25},
                         {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15, "cached_input_usd_per_mtok": 0.3,
                          "batch_input_usd_per_mtok": 1.5, "batch_output_usd_per_mtok": 7.5,
                          "batch_cached_input_usd_per_mtok": 0.15,
                          "price_change_annual": -0.2, "setup_usd": 500, "fixed_usd_per_month": 40},
                         {"billing": billing, "staff_fte_base": 0.5, "fte_usd_per_year": 150000,
                          "setup_engineer_months": 2, "overhead_share": 0.1, "redundancy_replicas": 1}), catalog)
    vols = np.geomspace(1e6, 1e12, 37)
    c, o, reps = steady_costs(R, vols)
    base = R.volumes.tokens_month0
    scale = (vols / base)[:, None]
    np.testing.assert_allclose(c, _total(closed_costs(R, scale, steady=True))[:, 0], rtol=1e-12)
    fl = fleet(R, scale, steady=True)
    np.testing.assert_allclose(o, _total(open_costs(R, scale, steady=True, fl=fl))[:, 0], rtol=1e-12)
    np.testing.assert_array_equal(reps, fl["replicas"][:, 0])


# ---------------------------------------------------------------- the verdict's arithmetic (issue 12)

def test_breakeven_inside_the_first_month_is_its_fraction(catalog):
    # A 2,000 USD server bought in cash against a 6,000 USD/month API bill, nothing else:
    # the server is paid at the start of month 0 and the API bill accrues evenly, so the
    # cumulative costs meet at 2,000 / 6,000 = 0.333 months (not 0).
    r = evaluate(scenario(
        {"input_tokens_per_month": 1e9, "output_tokens_per_month": 2e8},
        closed={"input_usd_per_mtok": 3.6, "output_usd_per_mtok": 12},      # 1,000 x 3.6 + 200 x 12 = 6,000
        open_={"hosting": "owned", "capex_mode": "cash", "server_usd": 2000, "gpus_per_server": 2,
               "gpus_per_replica": 2, "tdp_watts": 1, "power_usd_per_kwh": 0, "colocation_usd_per_kw_month": 0,
               "support_share_annual": 0, "residual_value_share": 0, "useful_life_months": 600,
               "output_tokens_per_second_per_replica": 1e6},
        horizon_months=3), catalog)
    assert month(r, "closed", "api_input") + month(r, "closed", "api_output") == pytest.approx(6000)
    assert r.summary["breakeven_month"] == pytest.approx(1 / 3, rel=1e-9)


def test_breakeven_month_with_one_offs_at_the_start_of_their_month():
    # Closed 10 a month. Self-hosted 12 in month 0 (running), then 3 in month 1, all of it a
    # one-off paid on day one of month 1, then nothing. After month 0 self-hosting is 2 above;
    # month 1 starts 2 + 3 = 5 above and closes 10 during the month (10 vs 0 running): 1 + 5/10.
    closed, opened = np.array([10.0, 10.0, 10.0]), np.array([12.0, 3.0, 0.0])
    assert breakeven_month(closed, opened, 0.0, np.array([0.0, 3.0, 0.0])) == pytest.approx(1.5)
    # Spread evenly through month 1 instead, the same 3 closes at 10 - 3 = 7 a month: 1 + 2/7.
    assert breakeven_month(closed, opened) == pytest.approx(1 + 2 / 7)


def test_output_only_workload_is_valid(catalog):
    # input_tokens_per_month 0: no prompts. 5e8 output tokens / 500 per request = 1e6 requests a month;
    # at 1,000 output tokens/s per replica = 2 requests/s, 0.7 target utilisation, peak x2 (default):
    # 1e6 / 2,628,000 s x 2 / (2 x 0.7) = 0.54 -> 1 replica.
    r = evaluate(scenario({"input_tokens_per_month": 0, "output_tokens_per_month": 5e8,
                           "output_tokens_per_request": 500}), catalog)
    assert month(r, "closed", "api_output") == pytest.approx(500 * 15)
    assert r.summary["peak_replicas"] == 1
    assert r.summary["breakeven_volume_per_month"] is not None


def test_output_tokens_per_request_that_contradicts_the_input_share_names_both_fields(catalog):
    # 1,000-token prompts with 500-token answers are 1000 / 1500 = 66.7 % input, not the 80 % given.
    with pytest.raises(ScenarioError) as exc:
        evaluate(scenario({"tokens_per_month": 3e9, "input_share": 0.8, "output_tokens_per_request": 500}), catalog)
    assert exc.value.field == "workload.output_tokens_per_request"
    assert "workload.input_share" in exc.value.message and "66.7 %" in exc.value.message
    # 250-token answers make exactly 80 %: accepted.
    evaluate(scenario({"tokens_per_month": 3e9, "input_share": 0.8, "output_tokens_per_request": 250}), catalog)


# ---------------------------------------------------------------- prices over time in the bill (issue 13)

def _lifecycle_catalog(rows):
    from test_lifecycle import make_catalog    # tests/ is on the path (conftest.py)
    return make_catalog(rows)


def test_a_promotion_ending_in_month_3_bills_list_price_from_month_3():
    from test_lifecycle import api
    # A promotion at 1/4 USD until 2027-03-15 (inside month 3 from 2026-12-01), then the list
    # price 2/8 USD.  1e9 input + 1e9 output tokens a month: promotion 1e3 x 1 + 1e3 x 4 = 5,000 USD,
    # list 1e3 x 2 + 1e3 x 8 = 10,000 USD; a month is billed at the row in force on its last day.
    cat = _lifecycle_catalog({"api_prices": [
        api("m", 1, 4, "2026-11-01", promotion="true", effective_until="2027-03-15"),
        api("m", 2, 8, "2027-03-15")]})
    r = evaluate(scenario({"input_tokens_per_month": 1e9, "output_tokens_per_month": 1e9}, {"model": "m"},
                          horizon_months=6), cat)
    closed = r.totals_by_month()["closed"].round(6).tolist()
    assert closed == [5000.0, 5000.0, 5000.0, 10000.0, 10000.0, 10000.0]
    assert any("promotion ends" in e for e in r.summary["price_events"])


def test_a_shutdown_in_month_1_bills_the_successor_from_month_1():
    from test_lifecycle import api, life
    # old (3/15) shuts down 2027-01-10, inside month 1; its successor new costs 1/5.
    # 1e9 in + 1e8 out: old 3,000 + 1,500 = 4,500 USD; new 1,000 + 500 = 1,500 USD.
    cat = _lifecycle_catalog({"api_prices": [api("old", 3, 15, "2026-01-01", effective_until="2027-01-10"),
                                             api("new", 1, 5, "2026-06-01")],
                              "model_lifecycle": [life("old", shutdown="2027-01-10", successor="new")]})
    r = evaluate(scenario({"input_tokens_per_month": 1e9, "output_tokens_per_month": 1e8}, {"model": "old"},
                          horizon_months=4), cat)
    assert r.totals_by_month()["closed"].round(6).tolist() == [4500.0, 1500.0, 1500.0, 1500.0]
    assert any("priced at new" in e and "old shuts down 2027-01-10" in e for e in r.summary["price_events"])
    assert r.summary["price_flagged_months"] == []
    # the same switch, structured for the dashboard's chart marker: month 1 (2027-01-01..01-31)
    (sw,) = [e for e in r.summary["price_switches"] if e["kind"] == "shutdown"]
    assert (sw["month"], sw["date"], sw["model_id"]) == (1, "2027-01-10", "old")
    assert sw["message"] in r.summary["price_events"]


def test_a_shutdown_without_successor_is_flagged():
    from test_lifecycle import api, life
    cat = _lifecycle_catalog({"api_prices": [api("old", 3, 15, "2026-01-01", effective_until="2027-01-10")],
                              "model_lifecycle": [life("old", shutdown="2027-01-10")]})
    r = evaluate(scenario({"input_tokens_per_month": 1e9, "output_tokens_per_month": 1e8}, {"model": "old"},
                          horizon_months=3), cat)
    # the last price is kept (4,500 USD a month) and months 1-2 are flagged: the user must choose
    assert r.totals_by_month()["closed"].round(6).tolist() == [4500.0, 4500.0, 4500.0]
    assert r.summary["price_flagged_months"] == [1, 2]


def test_steady_views_price_the_successor_that_bills_most_months():
    from test_lifecycle import api, life
    from tco.breakeven import breakeven_curve
    # old (3/15) shuts down 2027-01-10, inside month index 1 of 36; new (1/5) bills months 2-36 as
    # the page counts them, 35 of 36 months: the steady views price new, not month 0's old.
    # Input only (1e9 tokens a month): closed steady cost at V tokens = V x 1 / 1e6 USD (3 x at old).
    # Self-hosted: one always-on replica of 1 GPU at 1 USD/h that never fills up = 730 USD/month,
    # so the break-even volume is 730 / 1 x 1e6 = 730M tokens a month (243.3M at old's price of 3).
    cat = _lifecycle_catalog({"api_prices": [api("old", 3, 15, "2026-01-01", effective_until="2027-01-10"),
                                             api("new", 1, 5, "2026-06-01")],
                              "model_lifecycle": [life("old", shutdown="2027-01-10", successor="new")]})
    wl = {"input_tokens_per_month": 1e9, "output_tokens_per_month": 0}
    open_ = {"usd_per_gpu_hour": 1.0, "gpus_per_replica": 1, "output_tokens_per_second_per_replica": 1e12,
             "redundancy_replicas": 0}
    r = evaluate(scenario(wl, {"model": "old"}, open_, horizon_months=36), cat)
    assert r.totals_by_month()["closed"].iloc[:2].round(6).tolist() == [3000.0, 1000.0]     # the bill itself
    assert (r.resolved.closed.steady_month, r.resolved.closed.steady_note) == \
        (1, "at new's price, in force from month 2 (35 of 36 months)")
    c, o, _ = steady_costs(r.resolved, np.array([1e9, 2e9]))
    assert c.tolist() == pytest.approx([1000.0, 2000.0]) and o.tolist() == pytest.approx([730.0, 730.0])
    assert r.summary["breakeven_volume_per_month"] == pytest.approx(730e6, rel=1e-6)
    assert r.summary["breakeven_volume_reason"] == ("self-hosting is cheaper from 7.3e+08 tokens/month on, "
                                                   "at new's price, in force from month 2 (35 of 36 months)")
    assert r.summary["breakeven_price_note"] == "at new's price, in force from month 2 (35 of 36 months)"
    curve = breakeven_curve(r.resolved, volumes=[1e9])
    assert curve["closed_usd_per_mtok"].tolist() == pytest.approx([1.0])
    from tco.charts import cost_vs_volume
    fig = cost_vs_volume(r, n=20)
    (closed,) = [t for t in fig.data if t.meta == {"option": "closed", "kind": "cost"}]
    assert closed.name.endswith(", at new's price, in force from month 2")
    assert fig.layout.meta["closed_price"] == r.resolved.closed.steady_note
    # A shutdown late in the horizon (2029-06-10, inside index 30): old bills indices 0-29, 30 of 36
    # months, so the steady views keep it.
    late = _lifecycle_catalog({"api_prices": [api("old", 3, 15, "2026-01-01"), api("new", 1, 5, "2026-06-01")],
                               "model_lifecycle": [life("old", shutdown="2029-06-10", successor="new")]})
    r = evaluate(scenario(wl, {"model": "old"}, open_, horizon_months=36), late)
    assert r.resolved.closed.steady_month == 0
    assert r.summary["breakeven_volume_per_month"] == pytest.approx(730e6 / 3, rel=1e-6)
    assert r.summary["breakeven_volume_reason"].endswith("at old's price, in force from month 1 (30 of 36 months)")


def test_a_successor_without_batch_price_is_an_error_naming_the_month():
    from test_lifecycle import api, life
    # old has batch prices; it shuts down 2027-01-10 (inside month index 1) and new has none: with
    # batch_share 0.5, months 2-4 (as the page counts) would be billed NaN -> a clear error instead.
    cat = _lifecycle_catalog({"api_prices": [api("old", 3, 15, "2026-01-01", usd_per_mtok_batch_input="1.5",
                                                 usd_per_mtok_batch_output="7.5"),
                                             api("new", 1, 5, "2026-06-01")],
                              "model_lifecycle": [life("old", shutdown="2027-01-10", successor="new")]})
    with pytest.raises(ScenarioError) as err:
        evaluate(scenario({"input_tokens_per_month": 1e9, "output_tokens_per_month": 1e8, "batch_share": 0.5},
                          {"model": "old"}, horizon_months=4), cat)
    assert err.value.field == "workload.batch_share"
    assert "old has no batch price from month 2 on" in str(err.value)


def test_steady_views_with_every_price_inline_name_no_catalog_price():
    from test_lifecycle import api, life
    # old shuts down inside month index 1, but every token price is given inline (2 / 8 [USD/1M]):
    # the schedule prices nothing, so the steady views use the inline price and name no successor.
    cat = _lifecycle_catalog({"api_prices": [api("old", 3, 15, "2026-01-01"), api("new", 1, 5, "2026-06-01")],
                              "model_lifecycle": [life("old", shutdown="2027-01-10", successor="new")]})
    inline = {"input_usd_per_mtok": 2, "cached_input_usd_per_mtok": 2, "cache_write_usd_per_mtok": 2,
              "output_usd_per_mtok": 8, "batch_input_usd_per_mtok": 1, "batch_output_usd_per_mtok": 4,
              "batch_cached_input_usd_per_mtok": 1, "long_context_threshold_tokens": 1_000_000,
              "input_long_usd_per_mtok": 4, "cached_input_long_usd_per_mtok": 4, "output_long_usd_per_mtok": 16}
    r = evaluate(scenario({"input_tokens_per_month": 1e9, "output_tokens_per_month": 0},
                          {"model": "old", **inline}, horizon_months=6), cat)
    assert (r.resolved.closed.steady_month, r.summary["breakeven_price_note"]) == (0, "")
    c, _, _ = steady_costs(r.resolved, np.array([1e9]))
    assert float(c[0]) == pytest.approx(2000.0)                              # 1,000M x 2
# ---------------------------------------------------------------- break-even in the product's own unit

def test_seat_breakeven_in_seats(catalog):
    # Seats at $39/month against one always-on replica costing 3,900 USD/month (1 GPU x 730 h x
    # 3,900 / 730 $/h) with capacity to spare (1e7 tokens/s): 39 x N = 3,900 -> 100 seats.
    r = evaluate(scenario({"seats": 40, "tokens_per_seat_month": 1e5}, {"usd_per_seat_month": 39},
                          {"usd_per_gpu_hour": 3900 / 730, "gpus_per_replica": 1,
                           "output_tokens_per_second_per_replica": 1e7}), catalog)
    s = r.summary
    assert s["breakeven_volume_unit"] == "seats"
    assert s["breakeven_volume_per_month"] == pytest.approx(100, rel=1e-6)
    assert "from 100 seats on" in s["breakeven_volume_reason"]
    # 40 seats x 39 = 1,560 < 3,900: the API stays cheaper at this size, and the sentence does not say otherwise
    assert s["savings_usd"] < 0 and "dearer" not in s["breakeven_volume_reason"].split(";")[0]


def test_seat_breakeven_with_growth_says_when_it_pays_off(catalog):
    # The same prices, 80 seats growing 5% a month: 80 x 1.05^m passes 100 seats in month 5
    # (80 x 1.05^5 = 102.1); over 36 months self-hosting saves money, and the sentence explains
    # that at month 0 it is dearer.
    r = evaluate(scenario({"seats": 80, "tokens_per_seat_month": 1e5, "monthly_growth": 0.05},
                          {"usd_per_seat_month": 39},
                          {"usd_per_gpu_hour": 3900 / 730, "gpus_per_replica": 1,
                           "output_tokens_per_second_per_replica": 1e7}), catalog)
    s = r.summary
    assert s["breakeven_volume_per_month"] == pytest.approx(100, rel=1e-6) and s["savings_usd"] > 0
    assert "month-0 volume (80 seats) it is dearer" in s["breakeven_volume_reason"]
    assert "pays off as volume grows" in s["breakeven_volume_reason"]


def test_token_and_image_units(catalog):
    assert evaluate(scenario(), catalog).summary["breakeven_volume_unit"] == "tokens/month"
    r = evaluate(scenario({"images_per_month": 1e5}, {"usd_per_image": 0.04},
                          {"usd_per_gpu_hour": 2.0, "gpus_per_replica": 1, "images_per_second_per_replica": 1.0,
                           "output_tokens_per_second_per_replica": None}), catalog)
    # 0.04 x V = one GPU at 1,460 USD/month -> V = 36,500 images/month
    assert r.summary["breakeven_volume_unit"] == "images/month"
    assert r.summary["breakeven_volume_per_month"] == pytest.approx(36_500, rel=1e-6)


def test_never_is_not_said_beside_savings_when_api_prices_rise(catalog):
    # A replica of 2 GPUs x 730 h x $2 = 2,920 USD/month serving 40 tok/s = 0.16 req/s of 250
    # output tokens, planned at 0.7 x 0.16 for a peak twice the average: 0.056 req/s on average
    # x 2.628e6 s x 1,250 tokens = 184M tokens/month -> 15.87 USD per 1M tokens, against the API's
    # blended 0.8 x 3 + 0.2 x 15 = 5.40: dearer at every volume at month-0 prices.  With API
    # prices tripling each year (+200%) it saves money over 36 months all the same.
    open_ = {"output_tokens_per_second_per_replica": 40}
    flat = evaluate(scenario(open_=open_), catalog).summary
    assert flat["breakeven_volume_per_month"] is None and flat["savings_usd"] < 0
    s = evaluate(scenario(closed={"input_usd_per_mtok": 3, "output_usd_per_mtok": 15, "price_change_annual": 2.0},
                          open_=open_), catalog).summary
    assert s["savings_usd"] > 0 and s["breakeven_volume_per_month"] is None
    reason = s["breakeven_volume_reason"]
    assert reason.startswith("in the steady view") and "saves" in reason and "prices change" in reason
    assert f"in month {int(s['breakeven_month']) + 1}" in reason


def test_a_first_token_target_out_of_reach_is_said_and_does_not_shrink_the_fleet_to_batch_one(catalog):
    # Llama 3.3 70B FP8 on 2 H100 at the interactive use (450 ms to the first token): an 8,000-token prompt
    # takes longer than that to prefill on 2 GPUs, so no batch meets the target
    from conftest import TTFT_OUT_OF_REACH as body
    r = evaluate(Scenario.from_dict(body), catalog)
    d = r.resolved.open.throughput_detail
    assert d["prefill_s"] > 0.45 and not d["ttft_reachable"] and not d["latency_target_met"]
    assert d["batch_size"] > 1 and d["time_per_output_token_s"] <= 0.040      # sized for the 40 ms per token
    note = r.summary["latency_note"]
    assert "450 ms target to the first token is out of reach on 2 GPU(s)" in note and "8,000-token prompt" in note
    # the replica it names meets the target: prefill + one step within 450 ms
    more = int(note.rsplit(";", 1)[1].split()[0])
    r4 = evaluate(Scenario.from_dict({**body, "open": {**body["open"], "gpus_per_replica": more}}), catalog)
    d4 = r4.resolved.open.throughput_detail
    assert d4["ttft_reachable"] and d4["time_to_first_token_s"] <= 0.45 and r4.summary["latency_note"] is None
    # a short prompt meets both targets: no note
    short = evaluate(Scenario.from_dict({**body, "workload": {**body["workload"], "input_tokens_per_request": 1000}}),
                     catalog)
    assert short.summary["latency_note"] is None


def test_a_per_token_target_out_of_reach_names_the_replica_that_meets_it(catalog):
    # Llama 3.1 405B FP8 on 8 H100 asked for 10 ms per output token: one sequence alone reads ~405 GB of
    # weights per token from 8 x 3.35 TB/s = 26.8 TB/s, at least 15 ms: out of reach at any batch, and no
    # replica of up to 8 GPUs meets it, so the note names none
    body = {"horizon_months": 12, "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
            "closed": {"model": "gpt-6.1-sol"},
            "open": {"model": "llama-3.1-405b", "gpu": "h100-sxm", "gpus_per_replica": 8, "precision": "fp8",
                     "max_time_per_output_token_s": 0.010}}
    r = evaluate(Scenario.from_dict(body), catalog)
    d = r.resolved.open.throughput_detail
    assert d["batch_size"] == 1 and not d["latency_target_met"] and d["time_per_output_token_s"] > 0.015
    note = r.summary["latency_note"]
    assert note.startswith("The 10 ms per-token target is out of reach on 8 GPU(s)") and "would meet it" not in note
    # 70B FP8 on one H100 at 30 ms per token: one GPU reads ~70.6 GB of weights per token from 3.35 TB/s,
    # 21 ms at the full bandwidth and ~34 ms at vLLM's fitted share of it (0.73 x 0.84 = 0.62): out of reach; two
    # GPUs halve the weights each reads (~18 ms at the tensor-parallel efficiency, plus two all-reduces a layer,
    # ~7 ms: ~25 ms), and the note names that replica, which meets it
    small = {**body, "open": {"model": "llama-3.3-70b", "gpu": "h100-sxm", "gpus_per_replica": 1, "precision": "fp8",
                              "max_time_per_output_token_s": 0.030}}
    r = evaluate(Scenario.from_dict(small), catalog)
    note = r.summary["latency_note"]
    assert "per-token target is out of reach on 1 GPU(s)" in note and note.endswith("; 2 GPUs per replica would meet it")
    r2 = evaluate(Scenario.from_dict({**small, "open": {**small["open"], "gpus_per_replica": 2}}), catalog)
    assert r2.resolved.open.throughput_detail["latency_target_met"] and r2.summary["latency_note"] is None


def test_the_kv_cache_precision_and_attention_split_are_levers_of_the_deployment(catalog):
    # Llama 3.1 70B in fp8 on 2 H100, batch use (no latency target: the KV cache sizes the batch).  Its cache
    # in bf16 holds 80 layers x 2 x 8 KV heads x 128 x 2 bytes = 327,680 bytes a token, twice fp8's (the
    # default for fp8 weights), so the same free memory holds floor(x / 2) sequences where fp8 holds floor(x):
    # exactly half of fp8's batch, rounded down.
    def run(**open_):
        s = scenario(open_={"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8",
                            "serving_use": "batch", "output_tokens_per_second_per_replica": None,
                            "usd_per_gpu_hour": 2.0, **open_})
        return evaluate(s, catalog)
    default, fp8, bf16 = run(), run(kv_precision="fp8"), run(kv_precision="bf16")
    assert default.summary["batch_size"] == fp8.summary["batch_size"]
    assert bf16.summary["batch_size"] == fp8.summary["batch_size"] // 2
    assert bf16.summary["output_tokens_per_second_per_replica"] < fp8.summary["output_tokens_per_second_per_replica"]
    src = bf16.assumptions["open.output_tokens_per_second_per_replica"]["source"]
    assert "KV cache bf16" in src and "KV cache" not in default.assumptions[
        "open.output_tokens_per_second_per_replica"]["source"]
    # Data-parallel attention holds the attention weights on both GPUs: less room for the cache, a smaller batch
    dp = run(attention_parallel="dp")
    assert dp.summary["batch_size"] < default.summary["batch_size"]
    assert "dp attention" in dp.assumptions["open.output_tokens_per_second_per_replica"]["source"]
