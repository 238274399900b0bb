"""The defaults table: scenario defaults come from it, the result cites them, the tornado moves them."""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from tco import Scenario, evaluate
from tco.catalog import CatalogError, load_catalog
from tco.defaults import DEFAULTED, shipped_rows, supported_precision
from tco.scenario import ScenarioError

REPO = Path(__file__).resolve().parents[1]

BODY = {"horizon_months": 12,
        "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
        "closed": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
        "open": {"usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 1000, "gpus_per_replica": 2}}


def run(catalog, open_=None, hosting_owned=False):
    o = {**BODY["open"], **(open_ or {})}
    if hosting_owned:
        o.update(hosting="owned", gpus_per_server=8, server_usd=240000, tdp_watts=700)
    return evaluate(Scenario.from_dict({**BODY, "open": o}), catalog)


def overlay(tmp_path, **values) -> Path:
    """An overlay folder whose defaults.csv is the shipped one with some values changed."""
    src = (REPO / "tco" / "pricing" / "defaults.csv").read_text().splitlines()
    head, rows = src[0], src[1:]
    out = [head]
    for line in rows:
        name = line.split(",", 1)[0]
        if name in values:
            parts = line.split(",")
            parts[1] = str(values[name])
            line = ",".join(parts)
        out.append(line)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "defaults.csv").write_text("\n".join(out) + "\n")
    return folder


def test_every_row_is_sourced_or_an_estimate_with_its_reason():
    rows = shipped_rows()
    assert {n for names in DEFAULTED.values() for n in names} <= set(rows)
    for name, r in rows.items():
        assert r["rationale"], name
        assert r["source_url"] or (r["is_estimate"] and r["notes"]), name


def test_shipped_values_are_the_published_numbers():
    rows = shipped_rows()
    # BLS OEWS May 2024, software developers (15-1252): median 133,080; 25th / 75th percentiles.
    s = rows["staff_base_salary_usd_per_year"]
    assert (float(s["value"]), float(s["low"]), float(s["high"])) == (133080, 103050, 169000)
    # BLS ECEC June 2025: wages 70.2% of private-industry compensation -> x 1 / 0.702.
    assert float(rows["staff_loaded_cost_multiplier"]["value"]) == pytest.approx(1 / 0.702, abs=5e-5)
    # DGX H100: 10.2 kW max over 8 x 700 W of GPU TDP.
    assert float(rows["server_power_factor"]["value"]) == pytest.approx(10.2 / 5.6, abs=5e-5)
    # CBRE H2 2024: 184.06 USD/kW/month for 250-500 kW.
    assert float(rows["colocation_usd_per_kw_month"]["value"]) == 184.06


def test_defaults_fill_the_scenario_and_are_cited(catalog):
    r = run(catalog)
    a = r.assumptions
    # Loaded cost: 133,080 x 1.4245 = 189,572.46 USD/year.
    assert a["open.fte_usd_per_year"]["value"] == pytest.approx(133080 * 1.4245)
    assert a["open.redundancy_replicas"]["value"] == 1
    for path in ("open.fte_usd_per_year", "open.redundancy_replicas", "open.staff_fte_base",
                 "open.setup_engineer_months"):
        assert a[path]["is_default"] is True, path
        assert a[path]["effective_date"] and "defaults table" in a[path]["source"], path
    assert a["open.fte_usd_per_year"]["source_url"] == "https://www.bls.gov/oes/2024/may/oes151252.htm"
    # the loaded cost is as recent as its newest part (ECEC, 2025-09-12), and both parts are cited
    assert a["open.fte_usd_per_year"]["effective_date"] == "2025-09-12"
    assert a["defaults.staff_loaded_cost_multiplier"]["source_url"] == "https://www.bls.gov/news.release/ecec.nr0.htm"
    # an estimate has no URL and says it is one
    assert a["open.redundancy_replicas"]["source_url"] is None and "estimate" in a["open.redundancy_replicas"]["source"]
    # rented GPUs: the owned-hardware defaults are not used, so not cited
    assert "open.colocation_usd_per_kw_month" not in a and "open.server_power_factor" not in a
    # Staff: (0.5 + 2 replicas / 20) FTE x 189,572.46 / 12 (2e9 in / 1000 = 0.761 req/s x 2 peak /
    # (4 req/s x 0.7) = 0.54 -> 1 replica + 1 spare).
    staff = r.monthly.query("option == 'self_hosted' and component == 'staff' and month == 0")["usd"].sum()
    assert staff == pytest.approx((0.5 + 2 / 20) * 133080 * 1.4245 / 12)


def test_a_user_input_is_not_a_default(catalog):
    r = run(catalog, {"redundancy_replicas": 1, "fte_usd_per_year": 150000})
    for path in ("open.redundancy_replicas", "open.fte_usd_per_year"):
        assert "is_default" not in r.assumptions.get(path, {}), path
    assert r.resolved.scenario.open.fte_usd_per_year == 150000


def test_owned_hardware_cites_power_envelope_and_colocation(catalog):
    r = run(catalog, hosting_owned=True)
    a = r.assumptions
    assert a["open.server_power_factor"]["source_url"].startswith("https://docs.nvidia.com/dgx/")
    assert a["open.colocation_usd_per_kw_month"]["value"] == 184.06
    # 2 replicas x 2 GPUs = 4 GPUs in one server of 8: 8 x 700 W x 1.8214 = 10.2 kW provisioned
    # (the DGX H100's envelope); colocation 10.2 x 184.06 = 1,877.4 USD/month.
    colo = r.monthly.query("component == 'colocation' and month == 0")["usd"].sum()
    assert colo == pytest.approx(8 * 0.7 * 1.8214 * 184.06)


def test_changing_the_table_changes_the_default(tmp_path):
    folder = overlay(tmp_path, redundancy_replicas=3, staff_base_salary_usd_per_year=100000)
    cat = load_catalog(extra_dirs=[folder], use_env=False)
    r = run(cat)
    # 1 replica for the load + 3 spares = 4 replicas x 2 GPUs x 730 h x $2 = 11,680 USD/month.
    assert r.summary["peak_replicas"] == 4
    rental = r.monthly.query("component == 'gpu_rental' and month == 0")["usd"].sum()
    assert rental == pytest.approx(4 * 2 * 730 * 2.0)
    assert r.assumptions["open.fte_usd_per_year"]["value"] == pytest.approx(100000 * 1.4245)


def test_fp8_where_the_gpu_has_it(catalog):
    assert supported_precision("fp8", catalog.gpu("h100-sxm")) == "fp8"
    assert supported_precision("fp8", catalog.gpu("a100-80gb")) == "bf16"     # Ampere: no FP8 tensor cores
    body = {**BODY, "open": {"model": "llama-3.1-8b", "gpu": "a100-80gb", "usd_per_gpu_hour": 2.0}}
    r = evaluate(Scenario.from_dict(body), catalog)
    assert r.resolved.scenario.open.precision == "bf16"
    assert "no fp8 tensor cores" in r.assumptions["open.precision"]["source"]
    body["open"]["gpu"] = "h100-sxm"
    assert evaluate(Scenario.from_dict(body), catalog).resolved.scenario.open.precision == "fp8"


def test_a_pinned_past_date_still_has_defaults(catalog):
    # as_of before every row's date: the first row stated is used (a default is not a price of the day).
    r = evaluate(Scenario.from_dict({**BODY, "as_of": "2024-06-01"}), catalog)
    assert r.assumptions["open.redundancy_replicas"]["value"] == 1


def test_bad_default_rows_are_refused(tmp_path):
    folder = overlay(tmp_path, redundancy_replicas=1.5)
    cat = load_catalog(extra_dirs=[folder], use_env=False)
    with pytest.raises(ScenarioError) as exc:
        run(cat)
    assert exc.value.field == "open.redundancy_replicas" and "whole number" in exc.value.message
    # a row with neither a source nor the estimate flag does not load
    bad = tmp_path / "bad"
    bad.mkdir()
    lines = (REPO / "tco" / "pricing" / "defaults.csv").read_text().splitlines()
    row = next(line for line in lines if line.startswith("colocation_usd_per_kw_month"))
    (bad / "defaults.csv").write_text(lines[0] + "\n" + row.replace(
        "https://www.cbre.com/insights/reports/north-america-data-center-trends-h2-2024", "") + "\n")
    with pytest.raises(CatalogError) as exc:
        load_catalog(extra_dirs=[bad], use_env=False)
    assert "source_url" in str(exc.value)


def test_api_reports_defaults(catalog):
    from tco.settings import Settings
    from tco.web import create_app
    client = create_app(Settings(), catalog=catalog).test_client()
    res = client.post("/api/v1/tco", json=BODY)
    assert res.status_code == 200, res.get_json()
    a = res.get_json()["assumptions"]["open.staff_fte_base"]
    assert a["is_default"] is True and a["effective_date"] == "2026-12-01" and a["source_url"] is None
    assert not math.isnan(a["value"])
    # the throughput endpoint takes the same default: FP8 on an H100, bf16 on an A100 (no FP8 tensor cores)
    for gpu, want in (("h100-sxm", "fp8"), ("a100-80gb", "bf16")):
        res = client.post("/api/v1/throughput", json={"model": "llama-3.1-8b", "gpu": gpu})
        assert res.status_code == 200 and res.get_json()["precision"] == want, (gpu, res.get_json())


def test_copy_of_shipped_tables_without_defaults_falls_back_on_the_shipped_rows(tmp_path):
    copy = tmp_path / "pricing"
    shutil.copytree(REPO / "tco" / "pricing", copy)
    (copy / "defaults.csv").unlink()
    cat = load_catalog(base_dir=copy, use_env=False)
    assert run(cat).assumptions["open.redundancy_replicas"]["value"] == 1


# ---------------------------------------------------------------- the summary agrees with itself

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tco.report import verdict as report_verdict  # noqa: E402


@pytest.fixture(scope="module")
def api(catalog):
    from tco.settings import Settings
    from tco.web import create_app
    return create_app(Settings(), catalog=catalog).test_client()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seats=st.booleans(), volume=st.floats(1e7, 1e11), growth=st.floats(-0.05, 0.15),
       change=st.floats(-0.5, 2.0), setup=st.sampled_from([0.0, 50_000.0]), tps=st.floats(20, 20_000),
       rate=st.floats(0.5, 8.0), owned=st.booleans(), cash=st.booleans(), horizon=st.integers(6, 48))
def test_savings_breakevens_and_sentences_agree(api, catalog, seats, volume, growth, change, setup, tps, rate, owned, cash,
                                                horizon):
    """Over generated scenarios, through the API: the sign of the savings, both break-evens and the
    sentences never contradict each other ("never" beside savings, "cheaper" beside a loss)."""
    workload = ({"seats": max(1.0, volume / 1e6), "tokens_per_seat_month": 1e6, "input_share": 0.8} if seats
                else {"tokens_per_month": volume, "input_share": 0.8})
    workload["monthly_growth"] = growth
    closed = ({"usd_per_seat_month": 39.0} if seats else {"input_usd_per_mtok": 3.0, "output_usd_per_mtok": 15.0})
    closed.update(price_change_annual=change, setup_usd=setup)
    open_ = {"usd_per_gpu_hour": rate, "output_tokens_per_second_per_replica": tps}
    if owned:
        open_.update(hosting="owned", gpus_per_server=8, server_usd=8 * rate * 20_000, tdp_watts=700,
                     capex_mode="cash" if cash else "amortised")
    scenario = {"horizon_months": horizon, "workload": workload, "closed": closed, "open": open_}
    res = api.post("/api/v1/tco", json=scenario)
    assert res.status_code in (200, 422), res.get_json()
    if res.status_code == 422:                     # a fleet above the GPU limit: refused, named
        assert res.get_json()["errors"][0]["path"] == "workload"
        return
    body = res.get_json()
    s = body["summary"]
    verdict = report_verdict(evaluate(Scenario.from_dict(scenario), catalog))   # the page's sentence (/charts)
    v, reason, unit = s["breakeven_volume_per_month"], s["breakeven_volume_reason"], s["breakeven_volume_unit"]
    assert unit == ("seats" if seats else "tokens/month")
    saves = s["savings_usd"] > 1e-6
    if saves:
        # cumulative self-hosted cost ends below the closed option's: it crossed at some month
        assert s["breakeven_month"] is not None
        assert "saves" in verdict and "stays cheaper" not in verdict
        if v is None:                               # the steady view says no volume; the sentence says why it pays
            assert reason.startswith("in the steady view") and "saves" in reason, reason
    if s["breakeven_month"] is None:
        assert not saves
    if v is None and not saves:
        assert "saves" not in reason
    v0 = workload["seats"] if seats else volume
    if v is not None and s["savings_usd"] < -1e-6 and v0 >= v:
        assert "costs" in reason and "more" in reason, reason
    if v is not None and saves and v0 < v:
        assert "pays off as volume grows" in reason, reason


def test_a_model_published_below_8_bits_is_served_as_published(catalog):
    """gpt-oss ships its experts in MXFP4 (native_precision in open_models.csv); OpenAI's model card
    (https://openai.com/index/introducing-gpt-oss/) says gpt-oss-120b runs within one 80 GB GPU.
    In FP8 its 116.8B parameters alone take 116.8e9 bytes = 108.8 GiB > 80 GiB, so widening it to
    FP8 would refuse the deployment the vendor documents."""
    from tco import Scenario, evaluate
    body = {"workload": {"tokens_per_month": 3e9}, "closed": {"model": "gpt-6.1-sol"},
            "open": {"model": "gpt-oss-120b", "gpu": "h100-sxm", "gpus_per_replica": 1, "provider": "aws"}}
    r = evaluate(Scenario.from_dict(body), catalog)
    assert r.resolved.scenario.open.precision == "mxfp4"
    assert r.assumptions["open.precision"]["value"] == "mxfp4"
    # a model published in bf16 still takes FP8 on a GPU with FP8 tensor cores
    llama = {**body, "open": {**body["open"], "model": "llama-3.1-8b"}}
    assert evaluate(Scenario.from_dict(llama), catalog).resolved.scenario.open.precision == "fp8"


def test_scenario_defaults_looks_the_gpu_up_for_the_engine_and_the_guide(catalog):
    """One function fills a scenario's defaults for both tco.resolve and tco.guide: the A100 has no
    FP8 tensor cores (gpus.csv fp8_dense_tflops blank), so bf16; an unknown GPU id is treated as no
    GPU (the table's fp8 kept), for the engine to name; gpt-oss-20b is published in MXFP4, kept so."""
    from tco.defaults import scenario_defaults
    base = {**BODY, "open": {"model": "llama-3.1-8b", "gpu": "a100-80gb", "usd_per_gpu_hour": 2.0}}
    filled, uses = scenario_defaults(Scenario.from_dict(base), catalog)
    assert filled.open.precision == "bf16"
    assert {u.path for u in uses} == set(DEFAULTED)          # the body gives none of the defaulted fields
    unknown = {**base, "open": {**base["open"], "gpu": "no-such-gpu"}}
    assert scenario_defaults(Scenario.from_dict(unknown), catalog)[0].open.precision == "fp8"
    oss = {**base, "open": {**base["open"], "model": "gpt-oss-20b"}}
    assert scenario_defaults(Scenario.from_dict(oss), catalog)[0].open.precision == "mxfp4"
    with pytest.raises(ScenarioError, match="open.gpu"):
        evaluate(Scenario.from_dict(unknown), catalog)
