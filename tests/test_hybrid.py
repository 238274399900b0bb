"""Hybrid plans: load shapes, overflow by hand, the plan against brute force."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from tco import Scenario, ScenarioError, evaluate
from tco.bills import closed_costs
from tco.hybrid import _parts, plan
from tco.workload import PRESETS, load_profile, overflow_share

LEAN = dict(staff_fte_base=0, fte_usd_per_year=0, setup_engineer_months=0, overhead_share=0, min_replicas=1,
            target_utilisation=1.0)


def scen(wl=None, open_=None, closed=None, H=12):
    return Scenario.from_dict({
        "horizon_months": H,
        "workload": wl or {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
        "closed": closed or {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
        "open": {**LEAN, "usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 1000, **(open_ or {})},
    })


def test_presets_have_mean_one_and_their_peak():
    for name in PRESETS:
        w = load_profile(name)
        assert w.shape == (24,) and w.mean() == pytest.approx(1.0)
    assert load_profile("flat").max() == 1.0
    with pytest.raises(ValueError, match="presets: flat, business_hours"):
        load_profile("weekend")
    with pytest.raises(ValueError, match="24 finite hourly weights"):
        load_profile([1.0] * 23)


def test_two_level_profile_overflow_by_hand():
    # 12 hours at 1.5 and 12 at 0.5 (mean 1).  Own capacity = the average load (k = 1):
    # the API takes (1.5 - 1) x 12 h / 24 h = 0.25 of the day's load.
    w = load_profile([1.5] * 12 + [0.5] * 12)
    assert overflow_share(w, 1.0) == pytest.approx(0.25)
    # k = 0.5: (1.0 x 12 + 0 x 12) / 24 = 0.5; k = 1.5: nothing above.
    assert overflow_share(w, [0.5, 1.5]).tolist() == pytest.approx([0.5, 0.0])


def test_flat_profile_with_capacity_above_peak_sends_nothing_to_the_api(catalog):
    # Average load 2e9 / 1000 tokens per request / 2,628,000 s = 0.761 req/s; one replica
    # serves 1000 tok/s / 250 tokens = 4 req/s, far above the (flat) peak.
    s = scen({"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "load_profile": "flat"})
    r = evaluate(s, catalog, hybrid=True)
    p = r.hybrid
    on = p.replicas > 0
    assert on.any() and np.all(p.api_share[on] == 0.0)


def test_zero_replicas_is_pure_closed(catalog):
    # A setup far above any saving: the plan never switches, and costs what the API costs.
    s = scen(open_={"migration_usd": 1e9})
    r = evaluate(s, catalog, hybrid=True)
    assert r.hybrid.switch_month is None and np.all(r.hybrid.replicas == 0)
    assert r.summary["hybrid_total_usd"] == pytest.approx(r.summary["closed_total_usd"])


def test_hybrid_month_cost_by_hand(catalog):
    # Two-level day (1.5 / 0.5); 1 replica serving exactly the average load (k = 1):
    # average load 0.76104 req/s, so capacity 0.76104 req/s = 190.26 tok/s at 250 output tokens.
    # API: 25% of the closed bill (2,000M x 3 + 500M x 15 = 13,500) = 3,375 USD.
    # Own: 1 replica x 1 GPU x 730 h x $2 = 1,460 USD.  Hybrid month = 4,835 < 13,500.
    avg = 2e9 / 1000 / (730 * 3600)
    s = scen({"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8,
              "load_profile": [1.5] * 12 + [0.5] * 12},
             {"output_tokens_per_second_per_replica": avg * 250, "gpus_per_replica": 1})
    R = evaluate(s, catalog).resolved
    own, api, share, setup = _parts(R, load_profile([1.5] * 12 + [0.5] * 12), 2)
    assert share[1, 0] == pytest.approx(0.25)
    assert api[1, 0] == pytest.approx(3375.0)
    assert own[1, 0] == pytest.approx(1460.0)
    assert own[0, 0] == 0.0 and api[0, 0] == pytest.approx(13500.0)


def brute_force(own, api, setup, n_min, committed):
    N, H = own.shape
    best = np.inf
    for seq in itertools.product(range(N), repeat=H):
        seq = np.array(seq)
        on = seq > 0
        if on.any():
            s = int(np.argmax(on))
            if np.any(seq[s:] < n_min):          # once switched on, at least n_min
                continue
            if committed and np.any(np.diff(seq[s:]) < 0):
                continue
            if np.any(seq[:s] != 0):
                continue
        total = sum(own[n, m] + api[n, m] for m, n in enumerate(seq)) + (setup if on.any() else 0.0)
        best = min(best, total)
    return best


@pytest.mark.parametrize("committed", [False, True])
def test_plan_matches_brute_force(catalog, committed):
    # Volumes that rise then fall, so the free plan can shed replicas and the committed one cannot.
    vols = [1e9, 3e9, 6e9, 6e9, 2e9, 1e9]
    s = scen({"tokens_per_month": 1e9, "input_share": 0.8, "monthly_volumes": vols, "load_profile": "business_hours"},
             {"setup_engineer_months": 0.2, "fte_usd_per_year": 120000, "output_tokens_per_second_per_replica": 1500},
             H=6)
    R = evaluate(s, catalog).resolved
    p = plan(R, "business_hours", committed=committed, n_max=3)
    own, api, _, setup = _parts(R, load_profile("business_hours"), 3)
    assert p.total_usd == pytest.approx(brute_force(own, api, setup, 1, committed), rel=1e-9)
    if committed:
        on = p.replicas[p.replicas > 0]
        assert np.all(np.diff(on) >= 0)


def test_hybrid_in_result_and_charts(catalog):
    from tco.charts import all_figures
    s = scen({"input_tokens_per_month": 2e10, "output_tokens_per_month": 5e9, "monthly_growth": 0.05,
              "load_profile": "consumer_evening"}, {"staff_fte_base": 0.5, "fte_usd_per_year": 200000,
                                                    "setup_engineer_months": 3}, H=36)
    r = evaluate(s, catalog, hybrid=True)
    tot = r.totals_by_month()
    assert tot["hybrid"].sum() == pytest.approx(r.summary["hybrid_total_usd"])
    assert r.summary["hybrid_total_usd"] <= min(r.summary["closed_total_usd"], r.summary["open_total_usd"]) + 1e-6 \
        or r.summary["hybrid_committed"]
    assert set(r.monthly["option"]) == {"closed", "self_hosted", "hybrid"}
    all_figures(r)   # the charts accept a result with a hybrid option


def test_bad_profile_names_the_field(catalog):
    with pytest.raises(ScenarioError) as err:
        evaluate(scen({"input_tokens_per_month": 1e9, "output_tokens_per_month": 1e8, "load_profile": "lunch"}),
                 catalog)
    assert err.value.field == "workload.load_profile"


def test_closed_costs_unchanged_by_profile(catalog):
    a = evaluate(scen(), catalog).resolved
    b = evaluate(scen({"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "load_profile": "flat"}),
                 catalog).resolved
    np.testing.assert_allclose(sum(closed_costs(a).values()), sum(closed_costs(b).values()))


def test_no_hybrid_for_seat_products(catalog, tmp_path):
    from tco.settings import Settings
    from tco.web import create_app
    s = Scenario.from_dict({"workload": {"seats": 200, "tokens_per_seat_month": 2e6},
                            "closed": {"usd_per_seat_month": 19},
                            "open": {"usd_per_gpu_hour": 2, "output_tokens_per_second_per_replica": 1000}})
    r = evaluate(s, catalog, hybrid=True)
    assert r.hybrid is None and "hybrid_total_usd" not in r.summary
    client = create_app(Settings(database=str(tmp_path / "db.sqlite3")), catalog=catalog).test_client()
    res = client.post("/api/v1/plan", json={"workload": {"seats": 200, "tokens_per_seat_month": 2e6},
                                            "closed": {"usd_per_seat_month": 19},
                                            "open": {"usd_per_gpu_hour": 2,
                                                     "output_tokens_per_second_per_replica": 1000}})
    assert res.status_code == 422 and res.get_json()["errors"][0]["path"] == "closed.seat_product"


def test_a_plan_for_a_huge_fleet_compares_a_bounded_grid(catalog):
    # 1e15 tokens a month need ~150,000 replicas at the peak: the plan compares at most
    # MAX_PLAN_CANDIDATES replica counts (steps of ceil(n_max / 2000)), so its arrays stay
    # (2001 x months) instead of (150,000 x months), and its answer is within a step of the fleet.
    from tco.fleet import fleet
    from tco.hybrid import MAX_PLAN_CANDIDATES
    from tco.resolve import resolve
    R = resolve(scen({"tokens_per_month": 1e15}), catalog)
    p = plan(R)
    peak = float(fleet(R)["replicas"].max())
    assert peak > 100_000
    step = int(np.ceil(peak / (MAX_PLAN_CANDIDATES - 1)))
    assert abs(p.replicas.max() - peak) <= 2 * step           # the API takes at most a step's overflow
    own, _, _, _ = _parts(R, load_profile(None, 2.0), int(peak), step)
    assert own.shape[0] <= MAX_PLAN_CANDIDATES + 1
