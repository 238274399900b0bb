"""A client generated from /openapi.json by openapi-python-client calls every operation.

The generator runs without network into a temporary folder and must not warn; the client talks
to the app in-process (httpx's WSGI transport), and every answer must parse into its typed model.
"""
from __future__ import annotations

import copy
import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tco.settings import Settings
from tco.web import create_app
from tco.web.api.scenarios.schemas import EXAMPLE

from test_api import INLINE

PACKAGE = "tco_api_client"
#: The generator knows no text/csv request body, nor PDF or XLSX answers: it is told to take them as
#: bytes (its documented option).
CONFIG = ("post_hooks: []\ncontent_type_overrides:\n  text/csv: application/octet-stream\n"
          "  application/pdf: application/octet-stream\n"
          "  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream\n")


@pytest.fixture(scope="module")
def app(tmp_path_factory, catalog):
    db = tmp_path_factory.mktemp("client-db") / "saved.sqlite3"
    app = create_app(Settings(database=str(db), heavy_isolation="thread"), catalog=catalog)
    app.testing = True
    return app


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


@pytest.fixture(scope="module")
def generated(tmp_path_factory, spec):
    out = tmp_path_factory.mktemp("client")
    (out / "spec.json").write_text(json.dumps(spec))
    (out / "config.yml").write_text(CONFIG)
    tool = Path(sys.executable).with_name("openapi-python-client")
    run = subprocess.run([str(tool), "generate", "--path", str(out / "spec.json"), "--config", str(out / "config.yml"),
                          "--meta", "none", "--output-path", str(out / PACKAGE)],
                         capture_output=True, text=True, timeout=300)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "warning" not in log.lower() and "error" not in log.lower(), log
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def client(generated, app):
    return generated.Client(base_url="http://localhost", httpx_args={"transport": httpx.WSGITransport(app=app)},
                            raise_on_unexpected_status=True)


def op(package, tag: str, name: str):
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")


def model(package, name: str):
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_every_operation_has_an_operation_id_and_declared_errors(spec):
    seen = set()
    for path, ops in spec["paths"].items():
        for method, o in ops.items():
            if method == "parameters":          # the path's own parameters, not an operation
                continue
            assert o.get("operationId"), (method, path)
            assert o["operationId"] not in seen
            seen.add(o["operationId"])
            codes = set(o["responses"])
            assert {"400", "405", "414", "422", "500"} <= codes, (path, codes)
            if method in ("post", "put"):
                assert {"408", "413", "415"} <= codes, (path, codes)
            if "{" in path:
                assert "404" in codes, path
    assert "``" not in json.dumps(spec), "descriptions are Markdown, not RST"
    # No free-form object left in the answers of the catalog, Monte Carlo, plan and usage operations.
    schemas = spec["components"]["schemas"]
    for name, field in [("CatalogPage", "rows"), ("CatalogItem", "rows"), ("TableInfo", "columns"),
                        ("MonteCarloResponse", "breakeven_histogram")]:
        assert "$ref" in schemas[name]["properties"][field]["items"], (name, field)
    for name, field in [("MonteCarloResponse", "summary"), ("PlanResponse", "hybrid"), ("UsageResponse", "workload"),
                        ("CompareResponse", "options"), ("CompareResponse", "bands"), ("CompareRequest", "options")]:
        prop = schemas[name]["properties"][field]
        assert "$ref" in json.dumps(prop), (name, field, prop)


def test_generated_client_calls_every_operation(generated, client, spec):
    P, M = generated, lambda name: model(generated, name)
    called = set()

    def call(tag, name, expected, **kwargs):
        res = op(P, tag, name).sync_detailed(client=client, **kwargs)
        assert res.status_code < 300, (name, res.status_code, res.content[:300])
        if expected is not None:
            assert isinstance(res.parsed, M(expected)), (name, type(res.parsed))
        called.add(name)
        return res

    health = call("health", "health", "Health").parsed
    assert health.status == "ok" and health.rows.additional_properties["api_prices"] >= 40
    assert call("system", "api_health", "Health").parsed.version == health.version

    tables = call("catalog", "list_catalog_tables", "TableList").parsed
    gpus = next(t for t in tables.tables if t.name == "gpus")
    assert isinstance(gpus.columns[0], M("ColumnInfo")) and gpus.columns[0].name
    page = call("catalog", "list_catalog_rows", "CatalogPage", table="gpus", page_size=2).parsed
    assert len(page.rows) == 2 and isinstance(page.rows[0], M("CatalogRow"))
    assert isinstance(page.rows[0].memory_gb, float)
    csv_res = call("catalog", "list_catalog_rows_csv", None, table="gpus")
    assert csv_res.headers["content-type"].startswith("text/csv") and csv_res.content.startswith(b"gpu_id,")
    item = call("catalog", "get_catalog_item", "CatalogItem", table="api_prices", item_id="azure/gpt-5.4").parsed
    assert item.rows[0].provider == "azure"
    report = call("catalog", "check_catalog_health", "CatalogHealth", horizon_months=36).parsed
    assert report.ok is True and report.horizon_months == 36     # the shipped tables hold no problem

    Scenario = M("Scenario")
    scenario = Scenario.from_dict(copy.deepcopy(EXAMPLE))
    inline = Scenario.from_dict(copy.deepcopy(INLINE))
    tco = call("scenarios", "price_scenario", "TcoResponse", body=inline).parsed
    # INLINE: closed 10M x $3 + 2M x $15 = $60/month x 12 = $720 (see test_api.test_tco_inline_numbers).
    assert tco.summary.closed_total_usd == pytest.approx(720)
    assert isinstance(tco.monthly[0], M("MonthlyRow"))
    assert isinstance(tco.assumptions.additional_properties["closed.input_usd_per_mtok"], M("Assumption"))
    csv_res = call("scenarios", "price_scenario_csv", None, body=inline)
    assert csv_res.content.startswith(b"month,option,component")
    charts = call("scenarios", "scenario_charts", "ChartsResponse", body=inline).parsed
    assert set(charts.figures.additional_properties) >= {"cost_vs_volume", "cumulative_cost"}
    assert isinstance(charts.figures.additional_properties["cumulative_cost"], M("Figure"))
    # the reports take the guide's body: the scenario, and the guide panel's answers when given
    asked = M("GuideRequest").from_dict({**copy.deepcopy(INLINE), "questions": {"on_premises": True}})
    report = call("scenarios", "scenario_report", None, body=asked)
    assert report.content.startswith(b"<!DOCTYPE html>") or b"<html" in report.content[:200]
    assert b"data may not leave your premises" in report.content
    pdf = call("exports", "scenario_report_pdf", None, body=asked, title="client test")
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) < 1_000_000
    xlsx = call("exports", "price_scenario_xlsx", None, body=inline)
    assert xlsx.content.startswith(b"PK")          # an XLSX is a zip archive
    be = call("scenarios", "breakeven", "BreakevenResponse",
              body=M("BreakevenRequest").from_dict({**copy.deepcopy(INLINE), "curve": {"points": 5}})).parsed
    assert len(be.curve) == 5
    tp = call("scenarios", "replica_throughput", "ThroughputResponse", body=M("ThroughputRequest").from_dict(
        {"model": "llama-3.1-8b", "gpu": "h100-sxm", "precision": "fp8"})).parsed
    assert tp.fits is True
    plan = call("scenarios", "hybrid_plan", "PlanResponse", body=M("PlanRequest").from_dict(copy.deepcopy(EXAMPLE)))
    assert isinstance(plan.parsed.hybrid, M("HybridSummary")) and len(plan.parsed.months) == 36
    guide = call("guide", "guide_table", "GuideResponse", body=M("GuideRequest").from_dict(
        {**copy.deepcopy(EXAMPLE), "questions": {"on_premises": True}})).parsed
    assert [r.key for r in guide.rows][:3] == ["transparency", "customization", "setup_effort"]
    assert isinstance(guide.rows[0].cells.additional_properties["closed"], M("GuideCell"))
    assert guide.recommended == "self_hosted" and guide.removed[0].question == "on_premises"
    sens = call("scenarios", "sensitivity_tornado", "SensitivityResponse",
                body=M("SensitivityRequest").from_dict(copy.deepcopy(INLINE))).parsed
    assert len(sens.rows) == 9
    mc = call("scenarios", "monte_carlo", "MonteCarloResponse",
              body=M("MonteCarloRequest").from_dict({**copy.deepcopy(INLINE), "samples": 200, "seed": 3})).parsed
    assert mc.summary.samples == 200 and isinstance(mc.summary.savings_npv_usd, M("Percentiles"))
    assert sum(b.samples for b in mc.breakeven_histogram) + mc.breakeven_never == 200

    both = {k: v for k, v in copy.deepcopy(INLINE).items() if k not in ("closed", "open")}
    half = {"input_usd_per_mtok": 1.5, "output_usd_per_mtok": 7.5}
    cmp = call("compare", "compare_options", "CompareResponse", body=M("CompareRequest").from_dict({
        **both, "curve": {"points": 5}, "options": [
            {"kind": "closed", "name": "list", "closed": INLINE["closed"]},
            {"kind": "closed", "name": "half", "closed": half},
            {"kind": "self_hosted", "name": "own", "open": INLINE["open"]}]})).parsed
    # half price: 10M x $1.5 + 2M x $7.5 = $30/month x 12 = $360, the cheapest; the list price $720; own
    # replica: 1 x 730 h x $2 = $1,460/month x 12 = $17,520
    assert [o.name for o in cmp.options] == ["half", "list", "own"] and cmp.ranking == [1, 0, 2]
    assert cmp.options[0].total_usd == pytest.approx(360) and cmp.options[2].total_usd == pytest.approx(17520)
    assert isinstance(cmp.options[0], M("ComparedOption")) and isinstance(cmp.bands[0], M("VolumeBand"))
    assert len(cmp.curve_volumes) == 5 and len(cmp.options[1].monthly_usd) == 12

    File = importlib.import_module(f"{PACKAGE}.types").File
    log = Path(__file__).resolve().parents[1].joinpath("examples", "usage.csv").read_bytes()
    usage = call("usage", "price_usage_log", "UsageResponse", body=File(payload=log, mime_type="text/csv")).parsed
    assert usage.rows > 0 and isinstance(usage.workload, M("UsageWorkload"))
    usage_json = call("usage", "price_usage_log", "UsageResponse", body=M("UsageJson").from_dict(
        {"rows": [{"timestamp": "2026-10-01", "model": "gpt-4o", "input_tokens": 1e6, "output_tokens": 1e5}]})).parsed
    # gpt-4o: 1M input x $2.50/1M + 0.1M output x $10/1M = $3.50 (api_prices, in force today).
    assert usage_json.total_usd == pytest.approx(3.5)

    saved = call("saved", "save_scenario", "SavedScenario",
                 body=M("SaveScenario").from_dict({"name": "client test", "scenario": copy.deepcopy(EXAMPLE)})).parsed
    assert isinstance(call("saved", "list_saved_scenarios", "SavedScenarioList").parsed.scenarios[0],
                      M("SavedScenarioSummary"))
    assert call("saved", "get_saved_scenario", "SavedScenario", scenario_id=saved.id).parsed.name == "client test"
    replaced = call("saved", "replace_saved_scenario", "SavedScenario", scenario_id=saved.id,
                    body=M("SaveScenario").from_dict({"name": "renamed", "scenario": copy.deepcopy(EXAMPLE)})).parsed
    assert replaced.name == "renamed"
    call("saved", "delete_saved_scenario", None, scenario_id=saved.id)
    missing = op(P, "saved", "get_saved_scenario").sync_detailed(client=client, scenario_id=saved.id)
    assert missing.status_code == 404 and isinstance(missing.parsed, M("Error"))
    assert scenario.workload.input_tokens_per_month == EXAMPLE["workload"]["input_tokens_per_month"]

    every = {o["operationId"] for ops in spec["paths"].values() for m, o in ops.items() if m != "parameters"}
    assert called == every, every - called


def test_generated_client_parses_errors(generated, client):
    res = op(generated, "scenarios", "price_scenario").sync_detailed(
        client=client, body=model(generated, "Scenario").from_dict({"workload": {"input_tokens_per_month": -1}}))
    assert res.status_code == 422
    err = res.parsed
    assert isinstance(err, model(generated, "Error")) and err.errors[0].path == "workload.input_tokens_per_month"
    assert err.error_count == len(err.errors)
