"""Charts of a Result, checked against numbers worked out by hand.

The scenario is self-contained (inline prices, people costs zeroed), so every number is
known without the catalog:

closed:  10M input x $3/1M + 2M output x $15/1M = 30 + 30 = $60/month,
         $60 / 12M tokens = $5.00 per 1M tokens, 36 months x $60 = $2,160.
open:    tokens per request 1000 in, 1000 x 2M/10M = 200 out; a replica at 100 output
         tokens/s serves 100/200 = 0.5 requests/s, planned at 70% = 0.35 requests/s at the
         peak hour.  The load, 10M/1000 = 10,000 requests/month = 0.0038 requests/s (x2 at
         the peak), needs 1 replica: 1 GPU x 730 h x $2 = $1,460/month; 36 x = $52,560;
         $1,460 / 12M tokens = $121.67 per 1M tokens.
break-even volume: one replica covers up to 0.35 / 2 x 2,628,000 s x 1000 tokens / (10/12)
         = 551.88M tokens/month.  On that step $1,460 = volume x $5/1M at 292M, but from
         551.88M two replicas ($2,920) cost more than the API ($2,759) again; on the second
         step $2,920 = volume x $5/1M at 584M, and from there self-hosting stays cheaper
         (k replicas cost $1,460 k, the API at the step's start $2,759 (k - 1), k >= 3).
break-even month: never ($1,460 > $60 every month).
"""
from __future__ import annotations

import json
import math
import os

import numpy as np
import plotly.graph_objects as go
import pytest

from tco import Scenario, evaluate
from tco import charts
from tco.charts import CLOSED_COLOR, OPEN_COLOR, all_figures, cost_vs_volume, cumulative_cost, \
    monthly_breakdown, unit_cost

NO_PEOPLE = {"staff_fte_base": 0, "replicas_per_fte": 1e6, "fte_usd_per_year": 0, "setup_engineer_months": 0,
             "overhead_share": 0, "redundancy_replicas": 0}   # and no spare replica (N+0)
BASE = {
    "workload": {"input_tokens_per_month": 10e6, "output_tokens_per_month": 2e6},
    "closed": {"input_usd_per_mtok": 3.0, "output_usd_per_mtok": 15.0},
    "open": {"usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 100.0, **NO_PEOPLE},
}
CLOSED_USD_MONTH = 10 * 3 + 2 * 15            # 60
OPEN_USD_MONTH = 1 * 730 * 2.0                # 1460
BREAKEVEN_VOLUME = 2 * OPEN_USD_MONTH / 5.0 * 1e6  # 584M tokens/month: the volume from which it *stays* cheaper


def _eval(catalog, base=BASE, **sections):
    s = Scenario.from_dict(base)
    return evaluate(s.replace(**sections) if sections else s, catalog)


@pytest.fixture(scope="module")
def result(catalog):
    return _eval(catalog)


@pytest.fixture(scope="module")
def figs(result):
    return all_figures(result)


def _traces(fig, **meta):
    return [t for t in fig.data if all((t.meta or {}).get(k) == v for k, v in meta.items())]


def _one(fig, **meta):
    found = _traces(fig, **meta)
    assert len(found) == 1, (meta, [t.name for t in fig.data])
    return found[0]


def _by_name(items, name):
    return [x for x in items if x.name == name]


# --------------------------------------------------------------------------- the scenario itself

def test_hand_numbers(result):
    s = result.summary
    assert s["closed_total_usd"] == pytest.approx(36 * CLOSED_USD_MONTH)
    assert s["open_total_usd"] == pytest.approx(36 * OPEN_USD_MONTH)
    assert s["breakeven_volume_per_month"] == pytest.approx(BREAKEVEN_VOLUME)
    assert s["breakeven_month"] is None
    assert s["unit"] == "1M tokens"


# --------------------------------------------------------------------------- all figures

def test_all_figures_keys_look_and_json(figs, result):
    assert list(figs) == ["cost_vs_volume", "cumulative_cost", "monthly_breakdown", "unit_cost", "fleet"]
    for name, fig in figs.items():
        assert isinstance(fig, go.Figure)
        assert fig.layout.meta["chart"] == name
        assert fig.layout.title.text
        if name == "monthly_breakdown":   # two legend groups: a column beside the bars
            assert fig.layout.legend.orientation == "v" and fig.layout.legend.x > 1
        else:
            assert fig.layout.legend.orientation == "h" and fig.layout.legend.y > 1
        assert fig.layout.template.layout.paper_bgcolor == "white"      # plotly_white
        data = json.loads(fig.to_json())
        assert len(data["data"]) == len(fig.data)
        # one colour per option, everywhere
        for t in _traces(fig, kind="cost") + _traces(fig, kind="total"):
            assert t.line.color == {"closed": CLOSED_COLOR, "self_hosted": OPEN_COLOR}[t.meta["option"]]
    closed_name = f"Closed: {result.summary['closed_label']}"
    # the legend says what is billed: the model, then "N replicas x G <GPU> = N*G GPUs"
    model = result.summary["open_label"].partition(" on ")[0]
    s = result.summary
    g = result.resolved.open.gpus_per_replica
    assert s["fleet_label"].endswith(f" = {s['peak_gpus']} GPU{'s' if s['peak_gpus'] != 1 else ''}")
    assert f"{s['peak_replicas']} replica" in s["fleet_label"] and f" x {g} " in s["fleet_label"]
    open_name = f"Self-hosted: {model}, {s['fleet_label']}"
    for name in ("cost_vs_volume", "cumulative_cost", "unit_cost"):
        assert [t.name for t in _traces(figs[name], kind="cost")] == [closed_name, open_name]


def test_hover_shows_dollars(figs):
    for name in ("cost_vs_volume", "cumulative_cost", "monthly_breakdown"):
        for t in figs[name].data:
            assert "$%{y:,.0f}" in t.hovertemplate, (name, t.name)
    for t in _traces(figs["unit_cost"], kind="cost"):
        assert "$%{y:" in t.hovertemplate


# --------------------------------------------------------------------------- cost vs volume

def test_cost_vs_volume_axes_and_curves(figs, result):
    fig = figs["cost_vs_volume"]
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.title.text == "Monthly volume [tokens]"
    assert fig.layout.yaxis.title.text == "Monthly cost [USD]"
    closed = _one(fig, option="closed", kind="cost")
    opened = _one(fig, option="self_hosted", kind="cost")
    assert opened.line.shape == "hv"
    v = np.asarray(closed.x)
    assert len(v) == 200
    assert v.min() == pytest.approx(12e6 / 1000) and v.max() == pytest.approx(12e6 * 1000)
    np.testing.assert_allclose(closed.y, v * 5.0 / 1e6)                   # $5 per 1M tokens, linear
    # self-hosting: one replica ($1,460) up to 551.88M tokens/month, whole replicas above
    per_replica = 0.35 / 2 * 2_628_000 * 1000 / (10 / 12)
    replicas = np.maximum(1, np.ceil(np.round(v / per_replica, 9)))
    np.testing.assert_allclose(opened.customdata, replicas)
    np.testing.assert_allclose(opened.y, replicas * OPEN_USD_MONTH)


def test_cost_vs_volume_marks_breakeven_and_current_volume(figs, result):
    fig = figs["cost_vs_volume"]
    be = result.summary["breakeven_volume_per_month"]
    assert fig.layout.meta["breakeven_volume_per_month"] == be
    (shape,) = _by_name(fig.layout.shapes, "breakeven")
    assert shape.x0 == shape.x1 == be == pytest.approx(BREAKEVEN_VOLUME)
    (note,) = _by_name(fig.layout.annotations, "breakeven")
    assert note.x == pytest.approx(math.log10(be))                        # annotations on log axes take log10
    assert "584M tokens/month" in note.text
    # current (month-0) volume: 12M tokens/month, priced at $60 and $1,460
    (shape,) = _by_name(fig.layout.shapes, "current_volume")
    assert shape.x0 == pytest.approx(12e6) == fig.layout.meta["current_volume_per_month"]
    assert _one(fig, option="closed", kind="current").y == (pytest.approx(CLOSED_USD_MONTH),)
    assert _one(fig, option="self_hosted", kind="current").y == (pytest.approx(OPEN_USD_MONTH),)


def test_cost_vs_volume_without_breakeven_explains_why(catalog):
    # closed at $1/1M everywhere, self-hosting at scale $1,460 / 551.88M = $2.65/1M: never cheaper
    r = _eval(catalog, closed={"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 1.0})
    assert r.summary["breakeven_volume_per_month"] is None
    fig = cost_vs_volume(r)
    assert not _by_name(fig.layout.shapes, "breakeven")
    (note,) = _by_name(fig.layout.annotations, "breakeven")
    assert r.summary["breakeven_volume_reason"] in note.text.replace("<br>", " ")
    assert fig.layout.meta["breakeven_volume_per_month"] is None


def test_cost_vs_volume_widens_to_show_a_far_breakeven(catalog):
    # at 12k tokens/month the default curve ends at 12M; the break-even (584M) must be in view
    r = _eval(catalog, workload={"input_tokens_per_month": 10e3, "output_tokens_per_month": 2e3})
    fig = cost_vs_volume(r, n=50)
    x = np.asarray(_one(fig, option="closed", kind="cost").x)
    assert len(x) == 50
    assert x.min() <= BREAKEVEN_VOLUME <= x.max()


def test_cost_vs_volume_n_checked(result):
    with pytest.raises(ValueError, match="n"):
        cost_vs_volume(result, n=1)


# --------------------------------------------------------------------------- cumulative

def test_cumulative_cost_hand_totals(figs):
    fig = figs["cumulative_cost"]
    closed = _one(fig, option="closed", kind="cost")
    opened = _one(fig, option="self_hosted", kind="cost")
    assert list(closed.x) == list(range(37))                              # months from start, 0..36
    assert closed.y[0] == 0 and opened.y[0] == 0
    assert closed.y[-1] == pytest.approx(36 * 60)                         # 2,160
    assert opened.y[-1] == pytest.approx(36 * 1460)                       # 52,560
    assert closed.y[12] == pytest.approx(12 * 60)
    assert fig.layout.meta["breakeven_month"] is None
    assert not _traces(fig, kind="breakeven")
    (note,) = _by_name(fig.layout.annotations, "breakeven")
    assert "stays above" in note.text.replace("<br>", " ")


def test_cumulative_cost_marks_breakeven_month(catalog):
    # 500M in + 100M out: closed 500 x 3 + 100 x 15 = $3,000/month; peak 0.38 requests/s > 0.35
    # needs 2 replicas = $2,920/month, plus $800 migration in month 0.  Month 0 ends $720 behind,
    # each month after saves $80: even after 1 + 720/80 = 10 months, both at $30,000.
    r = _eval(catalog, workload={"input_tokens_per_month": 500e6, "output_tokens_per_month": 100e6},
              open={"migration_usd": 800.0})
    assert r.summary["breakeven_month"] == pytest.approx(10.0)
    fig = cumulative_cost(r)
    assert fig.layout.meta["breakeven_month"] == r.summary["breakeven_month"]
    (shape,) = _by_name(fig.layout.shapes, "breakeven")
    assert shape.x0 == r.summary["breakeven_month"]
    marker = _one(fig, kind="breakeven")
    assert marker.x[0] == pytest.approx(10.0) and marker.y[0] == pytest.approx(30_000)
    closed = _one(fig, option="closed", kind="cost")
    opened = _one(fig, option="self_hosted", kind="cost")
    assert closed.y[10] == pytest.approx(30_000) == opened.y[10]          # the lines cross at the marker


def test_cumulative_cost_marks_a_price_switch(catalog):
    from test_lifecycle import api, life, make_catalog
    # "old" (3/15 USD per 1M) shuts down 2027-01-10, inside month 1 from 2026-12-01; "new" costs 1/5.
    # 1e9 in + 1e8 out a month: month 0 = 3,000 + 1,500 = 4,500; from month 1 1,000 + 500 = 1,500,
    # so the closed line bends at t = 1: 0, 4,500, 6,000, 7,500.
    cat = make_catalog({"api_prices": [api("old", 3, 15, "2026-01-01", effective_until="2027-01-10"),
                                       api("new", 1, 5, "2026-06-01")],
                        "model_lifecycle": [life("old", shutdown="2027-01-10", successor="new")]})
    r = _eval(cat, base={**BASE, "horizon_months": 3,
                         "workload": {"input_tokens_per_month": 1e9, "output_tokens_per_month": 1e8},
                         "closed": {"model": "old"}})
    fig = cumulative_cost(r)
    assert _one(fig, option="closed", kind="cost").y.tolist() == pytest.approx([0, 4500, 6000, 7500])
    (shape,) = _by_name(fig.layout.shapes, "price_switch")
    assert shape.x0 == shape.x1 == 1 and shape.line.color == CLOSED_COLOR
    (label,) = _by_name(fig.layout.annotations, "price_switch")
    assert label.text == "old shuts down" and "old shuts down 2027-01-10" in label.hovertext
    assert fig.layout.meta["price_switch_months"] == [1]


def test_cumulative_cost_without_price_switches_draws_none(figs):
    fig = figs["cumulative_cost"]
    assert not _by_name(fig.layout.shapes, "price_switch") and fig.layout.meta["price_switch_months"] == []


# --------------------------------------------------------------------------- breakdown

def _check_breakdown_sums(fig, result):
    tot = result.totals_by_month()
    for opt in ("closed", "self_hosted"):
        bars = _traces(fig, option=opt, kind="component")
        assert bars and all(isinstance(b, go.Bar) for b in bars)
        stacked = np.sum([np.asarray(b.y, dtype=float) for b in bars], axis=0)
        np.testing.assert_allclose(stacked, tot[opt].to_numpy())
        np.testing.assert_allclose(_one(fig, option=opt, kind="total").y, tot[opt].to_numpy())


def test_monthly_breakdown_components_sum_to_totals(figs, result):
    fig = figs["monthly_breakdown"]
    assert fig.layout.barmode == "relative"
    assert [t.name for t in _traces(fig, kind="component")] == ["API input tokens", "API output tokens", "GPU rental"]
    assert list(_one(fig, component="api_input").y) == pytest.approx([30.0] * 36)     # 10M x $3
    assert list(_one(fig, component="api_output").y) == pytest.approx([30.0] * 36)    # 2M x $15
    assert list(_one(fig, component="gpu_rental").y) == pytest.approx([1460.0] * 36)
    _check_breakdown_sums(fig, result)
    # two rows sharing the month axis and the cost scale
    assert {t.yaxis for t in _traces(fig, option="closed")} == {"y"}
    assert {t.yaxis for t in _traces(fig, option="self_hosted")} == {"y2"}
    assert fig.layout.yaxis2.matches == "y"
    assert fig.layout.yaxis.title.text == "Closed API [USD]"
    assert fig.layout.yaxis2.title.text == "Self-hosted [USD]"
    # the legend: one group per option, a click hides one component only
    assert {t.legendgroup for t in fig.data} == {"closed", "self_hosted"}
    assert fig.layout.legend.groupclick == "toggleitem"


def test_monthly_breakdown_shows_negative_residual_value(catalog):
    # owned, paid cash: a $10,000 server per replica; at the end of 36 months of a 48-month life
    # it is worth 10,000 x (1 - 0.9 x 36/48) = $3,250, credited in the last month
    r = _eval(catalog, open={"hosting": "owned", "capex_mode": "cash", "gpus_per_server": 1, "server_usd": 10_000.0,
                             "tdp_watts": 700.0, "usd_per_gpu_hour": None})
    fig = monthly_breakdown(r)
    residual = _one(fig, component="residual_value")
    assert residual.name == "Residual value"
    assert residual.y[-1] == pytest.approx(-3250.0)
    assert all(y == 0 for y in residual.y[:-1])
    assert _one(fig, component="hardware").y[0] == pytest.approx(10_000.0)
    _check_breakdown_sums(fig, r)


# --------------------------------------------------------------------------- unit cost

def test_unit_cost_per_million_tokens(figs, result):
    fig = figs["unit_cost"]
    closed = _one(fig, option="closed", kind="cost")
    opened = _one(fig, option="self_hosted", kind="cost")
    assert list(closed.x) == list(range(36))
    np.testing.assert_allclose(closed.y, (10 * 3 + 2 * 15) / 12)            # 5.00 USD/1M tokens
    np.testing.assert_allclose(opened.y, 1460 / 12)                        # 121.67 USD/1M tokens
    assert fig.layout.yaxis.title.text == "Unit cost [USD per 1M tokens]"
    assert fig.layout.meta["unit"] == "1M tokens"
    assert _one(fig, option="closed", kind="levelised").y[0] == pytest.approx(5.0)


def test_unit_cost_gap_in_a_month_without_volume(catalog):
    r = _eval(catalog, horizon_months=3, workload={"monthly_volumes": [12e6, 0.0, 24e6]})
    y = _one(unit_cost(r), option="closed", kind="cost").y
    assert y[0] == pytest.approx(5.0) and math.isnan(y[1]) and y[2] == pytest.approx(5.0)
    def no_nan(name):
        raise AssertionError(f"{name} in the JSON")
    json.loads(unit_cost(r).to_json(), parse_constant=no_nan)             # NaN travels as a typed array


# --------------------------------------------------------------------------- images, no volume

def test_image_workload(catalog):
    # 1,000 images/month at $0.04 = $40/month; one replica at 1 image/s on a $2 GPU-hour = $1,460/month
    r = evaluate(Scenario.from_dict({
        "workload": {"images_per_month": 1000},
        "closed": {"usd_per_image": 0.04},
        "open": {"images_per_second_per_replica": 1.0, "usd_per_gpu_hour": 2.0, **NO_PEOPLE}}), catalog)
    figs = all_figures(r)
    cv = figs["cost_vs_volume"]
    assert cv.layout.xaxis.title.text == "Monthly volume [images]"
    assert cv.layout.meta["current_volume_per_month"] == 1000
    # break-even: $1,460 / $0.04 = 36,500 images/month (one replica covers 0.7 / 2 x 2,628,000 = 919,800)
    (shape,) = _by_name(cv.layout.shapes, "breakeven")
    assert shape.x0 == pytest.approx(36_500)
    uc = figs["unit_cost"]
    assert uc.layout.yaxis.title.text == "Unit cost [USD per image]"
    np.testing.assert_allclose(_one(uc, option="closed", kind="cost").y, 0.04)
    np.testing.assert_allclose(_one(uc, option="self_hosted", kind="cost").y, 1.46)


def test_zero_volume_does_not_fail(catalog):
    r = _eval(catalog, workload={"input_tokens_per_month": 0.0, "output_tokens_per_month": 0.0})
    figs = all_figures(r)
    for fig in figs.values():
        fig.to_json()
    assert _by_name(figs["cost_vs_volume"].layout.annotations, "no_volume")
    # the free closed option has no cost rows at all: still drawn, as zeros
    closed = _one(figs["cumulative_cost"], option="closed", kind="cost")
    assert closed.y[-1] == 0


# --------------------------------------------------------------------------- static export

@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium for kaleido")
def test_static_export(figs):
    svg = figs["cost_vs_volume"].to_image(format="svg", width=800, height=500)
    assert b"<svg" in svg[:500]


def test_module_exports():
    assert set(charts.__all__) >= {"cost_vs_volume", "cumulative_cost", "monthly_breakdown", "unit_cost",
                                   "all_figures"}


# ------------------------------------------------------------------ hybrid and uncertainty charts

def _uncertain_result(catalog):
    from tco import Scenario, evaluate
    return evaluate(Scenario.from_dict({
        "horizon_months": 24,
        "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "monthly_growth": 0.05,
                     "load_profile": "business_hours"},
        "closed": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
        "open": {"usd_per_gpu_hour": 2, "output_tokens_per_second_per_replica": 1000}}), catalog, hybrid=True)


def test_cumulative_cost_draws_the_hybrid_plan(catalog):
    from tco.charts import cumulative_cost
    r = _uncertain_result(catalog)
    (trace,) = [t for t in cumulative_cost(r).data if (t.meta or {}).get("option") == "hybrid"]
    assert trace.y[0] == 0 and trace.y[-1] == pytest.approx(r.summary["hybrid_total_usd"])


def test_tornado_bars_end_at_the_savings(catalog):
    from tco.charts import tornado as tornado_chart
    from tco.sensitivity import tornado
    r = _uncertain_result(catalog)
    rows = tornado(r.resolved)
    fig = tornado_chart(rows)
    low, high = ([t for t in fig.data if t.meta["kind"] == k][0] for k in ("low", "high"))
    base = rows["base_savings_npv"].iloc[0]
    # bars are drawn bottom-up, so the largest swing (first row) is the last bar
    assert np.asarray(low.x)[::-1] + base == pytest.approx(rows["savings_npv_low"].to_numpy())
    assert np.asarray(high.x)[::-1] + base == pytest.approx(rows["savings_npv_high"].to_numpy())
    assert fig.layout.meta["base"] == pytest.approx(base)
    # each bar names its range: throughput's, symmetric by ratio (1 / 1.3 .. 1.3), reads x1/1.3, not x0.769231
    labels = list(low.y)
    assert "Throughput efficiency (x1/1.3 / x1.3)" in labels and "Monthly volume (x0.7 / x1.3)" in labels


def test_fan_bands_and_median(catalog):
    from tco.charts import fan
    from tco.sensitivity import monte_carlo
    r = _uncertain_result(catalog)
    mc = monte_carlo(r.resolved, 2000, seed=4)
    fig = fan(mc.cumulative_bands, r)
    kinds = [(t.meta["option"], t.meta["kind"]) for t in fig.data]
    assert ("closed", "band") in kinds and ("self_hosted", "p50") in kinds and ("closed", "deterministic") in kinds
    p50 = [t for t in fig.data if t.meta == {"option": "closed", "kind": "p50"}][0]
    bands = mc.cumulative_bands[mc.cumulative_bands["option"] == "closed"]
    assert np.asarray(p50.y) == pytest.approx(bands["p50"].to_numpy())


# ------------------------------------------------------------------ the fleet

def test_the_fleet_chart_shows_replicas_gpus_and_utilisation(catalog):
    from tco import Scenario, evaluate
    from tco.charts import fleet_chart
    r = evaluate(Scenario.from_dict({
        "horizon_months": 6,
        "workload": {"tokens_per_month": 1e8, "input_share": 0.8},
        "closed": {"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0},
        "open": {"usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 5000.0, "gpus_per_replica": 2,
                 "redundancy_replicas": 1}}), catalog)
    fig = fleet_chart(r)
    # 1e8 tokens = 8e7 input + 2e7 output; 1,000 prompt tokens a request -> 250 output, 1,250 in all:
    # 80,000 requests a month / 2,628,000 s = 0.030441 requests/s. One replica serves 5,000 / 250 = 20/s
    # (14/s at 70%): the peak (x2) needs 1 replica, + 1 spare = 2 replicas = 4 GPUs;
    # utilisation 0.030441 / (2 x 20) = 0.0761 %.
    assert list(_one(fig, kind="replicas").y) == [2.0] * 6
    assert list(_one(fig, kind="gpus").y) == [4.0] * 6
    assert list(_one(fig, kind="utilisation").y) == pytest.approx([100 * 80_000 / 2_628_000 / 40] * 6, rel=1e-9)
    assert not _traces(fig, kind="servers")                     # renting: no servers
    assert fig.layout.title.text.startswith("Fleet: 2 replicas x 2 GPU = 4 GPUs")
    assert fig.layout.meta["peak_gpus"] == 4
    # the utilisation axis reads 0, 20, .. 100 %, not ticks synced to the replicas axis (0, 15.8, 31.7, ..)
    y2 = fig.layout.yaxis2
    assert (y2.tickmode, y2.tick0, y2.dtick, tuple(y2.range)) == ("linear", 0, 20, (0, 100))


def test_the_fleet_chart_counts_owned_servers(catalog):
    from tco import Scenario, evaluate
    from tco.charts import fleet_chart
    r = evaluate(Scenario.from_dict({
        "horizon_months": 3,
        "workload": {"tokens_per_month": 1e8},
        "closed": {"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0},
        "open": {"hosting": "owned", "server_usd": 100_000, "gpus_per_server": 8, "tdp_watts": 700,
                 "output_tokens_per_second_per_replica": 5000.0, "gpus_per_replica": 4, "min_replicas": 3}}), catalog)
    # 3 replicas x 4 GPUs = 12 GPUs -> ceil(12 / 8) = 2 servers
    assert list(_one(fleet_chart(r), kind="servers").y) == [2.0] * 3
    assert r.summary["peak_servers"] == 2


# --------------------------------------------------------------------------- currency

def test_charts_in_another_currency_scale_amounts_and_name_it(result):
    """At a made-up rate of 0.5 EUR per USD every amount halves, volumes and the fleet stay, and the
    axes and hovers name the currency: closed 36 x $60 = $2,160 -> EUR 1,080; a month of GPU $1,460 -> 730;
    closed $5.00 per 1M tokens -> 2.50."""
    from tco.currency import Currency
    eur = Currency("EUR", "Euro", "€", 0.5, "2026-11-30", "https://example.org/rate")
    figs = all_figures(result, eur)
    cum = figs["cumulative_cost"]
    assert _one(cum, option="closed", kind="cost").y[-1] == pytest.approx(1080.0)
    assert cum.layout.yaxis.title.text == "Cumulative cost [EUR]" and cum.layout.yaxis.tickprefix == "€"
    assert _one(cum, option="closed", kind="cost").hovertemplate.startswith("€%{y:,.0f}")
    bars = figs["monthly_breakdown"]
    assert list(_one(bars, component="gpu_rental").y) == pytest.approx([730.0] * 36)
    assert bars.layout.yaxis2.title.text == "Self-hosted [EUR]"
    unit = figs["unit_cost"]
    assert np.asarray(_one(unit, option="closed", kind="cost").y) == pytest.approx(np.full(36, 2.5))
    assert unit.layout.yaxis.title.text == "Unit cost [EUR per 1M tokens]"
    cvv = figs["cost_vs_volume"]
    assert _one(cvv, option="closed", kind="current").y == (pytest.approx(30.0),)    # $60 x 0.5
    assert list(_one(cvv, option="closed", kind="cost").x) == list(_one(all_figures(result)["cost_vs_volume"],
                                                                        option="closed", kind="cost").x)
    assert figs["fleet"].layout.meta["peak_replicas"] == 1
    chf = Currency("CHF", "Swiss franc", "CHF", 0.9, "2026-11-30", None)
    assert cumulative_cost(result, chf).layout.yaxis.tickprefix == "CHF\u00a0"       # a letter symbol takes a space


def test_the_fleet_chart_says_a_latency_target_out_of_reach_as_the_fleet_card_does(catalog):
    from tco import Scenario, evaluate
    from tco.charts import fleet_chart
    # 8,000-token prompts whose prefill alone takes longer than the 450 ms target (conftest)
    from conftest import TTFT_OUT_OF_REACH as body
    r = evaluate(Scenario.from_dict(body), catalog)
    note = r.summary["latency_note"]
    title = fleet_chart(r).layout.title.text
    assert note and "<br><sup>The 450 ms target to the first token is out of reach on 2 GPU(s)</sup>" in title
    assert note.startswith(title.split("<sup>")[1].removesuffix("</sup>"))
    # 1,000-token prompts meet both targets: no second line
    short = evaluate(Scenario.from_dict({**body, "workload": {**body["workload"], "input_tokens_per_request": 1000}}),
                     catalog)
    assert short.summary["latency_note"] is None and "<sup>" not in fleet_chart(short).layout.title.text
    # the title writes the reached latencies to three significant digits, trailing zeros kept, as the fleet card
    # does: a number between 10 and 100 ms with one decimal (39.97 -> "40.0", never a bare "40" that reads as the
    # 40 ms target), one from 100 to 1,000 with none
    tpot_ms, ttft_ms = (1000 * short.summary[k] for k in ("time_per_output_token_s", "time_to_first_token_s"))
    assert 10 <= tpot_ms < 100 and 100 <= ttft_ms < 1000
    assert f" · {tpot_ms:.1f} ms per output token, {ttft_ms:.0f} ms to the first" in fleet_chart(short).layout.title.text
