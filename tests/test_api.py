"""REST API v1: every endpoint, CSV output, the one error shape, limits."""
from __future__ import annotations

import copy
import csv
import io

import pytest

from tco.settings import Settings
from tco.web import create_app
from tco.web.api.scenarios.schemas import EXAMPLE

#: The issue's example request (also the OpenAPI example): gpt-4o vs Llama 3.1 70B on 2x H100.
BODY = copy.deepcopy(EXAMPLE)

#: A self-contained scenario: every number inline, so results are known by hand.
INLINE = {
    "horizon_months": 12,
    "workload": {"input_tokens_per_month": 1e7, "output_tokens_per_month": 2e6},
    "closed": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
    "open": {"usd_per_gpu_hour": 2.0, "output_tokens_per_second_per_replica": 1000, "staff_fte_base": 0,
             "fte_usd_per_year": 0, "setup_engineer_months": 0, "overhead_share": 0, "redundancy_replicas": 0},
    "finance": {"discount_rate_annual": 0},
}


@pytest.fixture(scope="module")
def app(catalog):
    app = create_app(Settings(max_body_bytes=200_000), catalog=catalog)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def assert_error_shape(res, status):
    """The one documented error body: exactly these keys, errors as {path, message}, at most 100 listed."""
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.mimetype == "application/json"
    body = res.get_json()
    assert set(body) == {"status", "error", "message", "errors", "error_count"}
    assert body["status"] == status and isinstance(body["message"], str) and body["message"]
    assert len(body["errors"]) <= 100 and body["error_count"] >= len(body["errors"])
    for e in body["errors"]:
        assert set(e) == {"path", "message"}
    return body


# ------------------------------------------------------------------ scenario endpoints

def test_tco_inline_numbers(client):
    res = client.post("/api/v1/tco", json=INLINE)
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    s = body["summary"]
    # Closed: 10M x $3 + 2M x $15 = $60/month x 12 months = $720.
    assert s["closed_total_usd"] == pytest.approx(720)
    # Self-hosted: one always-on GPU at $2/h x 730 h = $1,460/month x 12 = $17,520.
    assert s["open_total_usd"] == pytest.approx(17520)
    assert s["savings_usd"] == pytest.approx(720 - 17520)
    assert s["breakeven_month"] is None and "stays above" in s["breakeven_month_reason"]
    months = {r["month"] for r in body["monthly"]}
    assert months == set(range(12))
    assert body["assumptions"]["closed.input_usd_per_mtok"] == {"value": 3.0, "unit": "USD/1M tokens",
                                                                 "source": "scenario"}


def test_tco_catalog_scenario_cites_sources(client):
    res = client.post("/api/v1/tco", json=BODY)
    assert res.status_code == 200
    a = res.get_json()["assumptions"]
    assert a["closed.input_usd_per_mtok"]["source"].startswith("catalog: api_prices gpt-4o")
    assert "https://" in a["open.usd_per_gpu_hour"]["source"]


def test_tco_csv_schedule(client):
    res = client.post("/api/v1/tco?format=csv", json=INLINE)
    assert res.status_code == 200 and res.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    assert set(rows[0]) >= {"month", "option", "component", "usd", "tokens", "replicas"}
    closed = [r for r in rows if r["option"] == "closed"]
    # Two closed components (input, output) x 12 months; input = 10M x $3 = $30 each month.
    assert len(closed) == 24
    assert {float(r["usd"]) for r in closed if r["component"] == "api_input"} == {30.0}
    assert sum(float(r["usd"]) for r in rows if r["option"] == "self_hosted") == pytest.approx(17520)


def test_breakeven_endpoint(client):
    res = client.post("/api/v1/breakeven", json={**INLINE, "curve": {"points": 50, "min_volume": 1e6,
                                                                      "max_volume": 1e10}})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert len(body["curve"]) == 50
    assert body["curve"][0]["volume"] == pytest.approx(1e6) and body["curve"][-1]["volume"] == pytest.approx(1e10)
    # Blended closed price (30 + 30) / 12M = $5/1M; one GPU $1,460/month; it serves 1,000 tok/s = 4 req/s
    # x 0.7 / 2 (peak) = 1.4 req/s average = 3.68M requests of 1,000 + 200 tokens = 4.415e9 tokens/month,
    # so within one replica the break-even is 1,460 / 5 x 1e6 = 292M tokens/month.
    assert body["breakeven_volume_per_month"] == pytest.approx(292e6, rel=1e-6)
    point = body["curve"][10]
    assert point["closed_usd"] == pytest.approx(point["volume"] * 5 / 1e6)


def test_breakeven_rejects_inverted_range(client):
    body = assert_error_shape(client.post("/api/v1/breakeven", json={
        **INLINE, "curve": {"min_volume": 1e9, "max_volume": 1e6}}), 422)
    assert body["errors"][0]["path"] == "curve.max_volume"


def test_throughput_endpoint(client, catalog):
    # TensorRT-LLM at maximum throughput: the measured row of NVIDIA's table matches.
    res = client.post("/api/v1/throughput", json={"model": "llama-3.1-8b", "gpu": "h100-sxm",
                                                  "precision": "fp8", "input_tokens": 1000, "output_tokens": 1000,
                                                  "serving_engine": "trt-llm", "serving_use": "batch"})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["fits"] is True
    # Llama 3.1 8B: 32 layers x 2 x 8 KV heads x 128 x 1 byte (fp8 KV) = 65,536 bytes per token.
    assert body["kv_bytes_per_token"] == 65536
    assert body["weight_gb"] == pytest.approx(8.03)
    assert body["measured_output_tokens_per_second"] is not None
    assert body["measured_source"].startswith("throughput_benchmarks llama-3.1-8b/h100-sxmx1/fp8/1000:1000")


def test_throughput_reproduces_an_offline_benchmark_as_the_calibration_models_it(client, catalog):
    # NVIDIA's trtllm-bench row for Llama 3.1 8B FP8 on one H100 (1000/1000): run offline, the endpoint models it
    # the way tco calibrate does (every request at once, prompts prefilled in waves, no server); served through
    # the OpenAI-compatible server instead, the prefill chunks ride in the decode steps and the number differs
    from tco import calibration as cal
    frame = cal.fitted_rows(cal.catalog_measurements(catalog))
    row = frame[(frame["model_id"] == "llama-3.1-8b") & (frame["gpu_id"] == "h100-sxm") & (frame["precision"] == "fp8")
                & (frame["input_tokens"] == 1000) & (frame["output_tokens"] == 1000) & (frame["engine"] == "trt-llm")
                & (frame["source_id"] == "trtllm-1.0-perf-overview")]
    assert len(row) == 1 and row["measurement"].iloc[0] == "offline_max" and row["harness"].iloc[0] == "offline"
    req = {"model": "llama-3.1-8b", "gpu": "h100-sxm", "precision": "fp8", "input_tokens": 1000, "output_tokens": 1000,
           "serving_engine": "trt-llm", "serving_use": "batch"}
    offline = client.post("/api/v1/throughput", json={**req, "run": "offline"}).get_json()
    served = client.post("/api/v1/throughput", json=req).get_json()
    assert offline["run"] == "offline" and served["run"] == "serving"
    assert offline["output_tokens_per_second"] == pytest.approx(float(cal.modelled(row)[0]), rel=1e-9)
    assert served["output_tokens_per_second"] != pytest.approx(offline["output_tokens_per_second"], rel=1e-3)


def test_throughput_models_a_finite_offline_run_as_the_calibration_does(client, catalog):
    # LMSYS's SGLang run of Qwen3-8B on one H200, 256 prompts of 4096 in and 4096 out submitted at once: the KV
    # cache holds fewer than 256, so the run ends on a partial wave (tco.throughput.finite_run_tokens_per_s), and
    # the endpoint given num_prompts returns what tco calibrate models for that row
    from tco import calibration as cal
    frame = cal.fitted_rows(cal.catalog_measurements(catalog))
    row = frame[(frame["source_id"] == "lmsys-blog-2025-09-deterministic") & (frame["input_tokens"] == 4096)]
    assert len(row) == 1 and row["num_prompts"].iloc[0] == 256 and row["harness"].iloc[0] == "offline"
    req = {"model": "qwen3-8b", "gpu": "h200", "precision": "bf16", "input_tokens": 4096, "output_tokens": 4096,
           "serving_engine": "sglang", "serving_use": "batch", "run": "offline"}
    finite = client.post("/api/v1/throughput", json={**req, "num_prompts": 256}).get_json()
    endless = client.post("/api/v1/throughput", json=req).get_json()
    assert finite["num_prompts"] == 256 and endless["num_prompts"] is None
    assert finite["batch_size"] < 256                                       # a partial last wave
    assert finite["output_tokens_per_second"] == pytest.approx(float(cal.modelled(row)[0]), rel=1e-9)
    assert finite["output_tokens_per_second"] < endless["output_tokens_per_second"]   # the partial wave costs
    assert finite["requests_per_second"] == pytest.approx(finite["output_tokens_per_second"] / 4096, rel=1e-12)
    # a served load has no end: num_prompts is for offline runs only
    body = assert_error_shape(client.post("/api/v1/throughput", json={**req, "run": "serving", "num_prompts": 256}),
                              422)
    assert body["errors"][0]["path"] == "num_prompts" and "offline" in body["errors"][0]["message"]
    body = assert_error_shape(client.post("/api/v1/throughput", json={**req, "num_prompts": 0}), 422)
    assert body["errors"][0]["path"] == "num_prompts"


def test_throughput_takes_the_kv_precision_and_the_attention_split(client):
    # Llama 3.1 70B with a bf16 cache: 80 layers x 2 x 8 KV heads x 128 x 2 bytes = 327,680 bytes per token
    # (fp8, the default for fp8 weights: 163,840)
    base = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8"}
    fp8 = client.post("/api/v1/throughput", json=base).get_json()
    bf16 = client.post("/api/v1/throughput", json={**base, "kv_precision": "bf16"}).get_json()
    assert (fp8["kv_precision"], fp8["kv_bytes_per_token"]) == ("fp8", 163_840)
    assert (bf16["kv_precision"], bf16["kv_bytes_per_token"]) == ("bf16", 327_680)
    # Qwen3-235B-A22B (94 layers, 4 KV heads of 128) in fp8 on 8 H200: tensor-parallel attention holds 8 heads'
    # worth, 94 x 2 x 8 x 128 = 192,512 bytes a token; data-parallel the model's 4, 96,256
    moe = {"model": "qwen3-235b-a22b", "gpu": "h200", "gpus_per_replica": 8, "precision": "fp8"}
    tp_ = client.post("/api/v1/throughput", json={**moe, "attention_parallel": "tp"}).get_json()
    dp = client.post("/api/v1/throughput", json={**moe, "attention_parallel": "dp"}).get_json()
    assert (tp_["kv_bytes_per_token"], dp["kv_bytes_per_token"]) == (192_512, 96_256)
    assert dp["attention_parallel"] == "dp" and tp_["attention_parallel"] == "tp"
    for field, bad in (("kv_precision", "fp7"), ("attention_parallel", "ep"), ("run", "fast")):
        body = assert_error_shape(client.post("/api/v1/throughput", json={**base, field: bad}), 422)
        assert body["errors"][0]["path"] == field


def test_throughput_does_not_fit(client):
    body = assert_error_shape(client.post("/api/v1/throughput", json={
        "model": "llama-3.1-405b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "bf16"}), 422)
    assert body["errors"][0]["path"] == "gpus_per_replica"
    assert "756.0 GiB of weights" in body["message"]     # 405.85e9 x 2 B = 811.7e9 B / 2**30


# ------------------------------------------------------------------ catalog

def test_catalog_tables(client, catalog):
    body = client.get("/api/v1/catalog").get_json()
    assert [t["name"] for t in body["tables"]][:2] == ["api_prices", "seat_prices"]
    gpus = next(t for t in body["tables"] if t["name"] == "gpus")
    assert gpus["rows"] == len(catalog.gpus)
    assert {"name": "memory_gb", "type": "float", "unit": "GB"}.items() <= gpus["columns"][3].items()


def test_catalog_filter_and_pages(client, catalog):
    aws = catalog.gpu_rates[catalog.gpu_rates["provider"] == "aws"]
    res = client.get("/api/v1/catalog/gpu_rates?provider=aws&page_size=2&page=1")
    body = res.get_json()
    assert body["total"] == len(aws) and len(body["rows"]) == min(2, len(aws))
    assert all(r["provider"] == "aws" for r in body["rows"])
    last = client.get(f"/api/v1/catalog/gpu_rates?provider=aws&page_size=2&page={(len(aws) + 1) // 2}").get_json()
    assert len(last["rows"]) == len(aws) - 2 * ((len(aws) + 1) // 2 - 1)


def test_catalog_history_and_as_of(client):
    now = client.get("/api/v1/catalog/api_prices?model=gpt-4o&as_of=2026-12-01").get_json()["rows"]
    assert [r["usd_per_mtok_input"] for r in now] == [2.5]
    then = client.get("/api/v1/catalog/api_prices?model=gpt-4o&as_of=2024-06-01").get_json()["rows"]
    assert [r["usd_per_mtok_input"] for r in then] == [5.0]
    hist = client.get("/api/v1/catalog/api_prices?model=gpt-4o&history=true").get_json()
    assert hist["total"] == 2


def test_catalog_csv(client, catalog):
    res = client.get("/api/v1/catalog/gpus?format=csv")
    assert res.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    assert len(rows) == len(catalog.gpus) and rows[0]["effective_date"].count("-") == 2


def test_catalog_item_and_closest(client):
    body = client.get("/api/v1/catalog/api_prices/azure/gpt-5.4").get_json()
    assert body["id"] == "azure/gpt-5.4" and body["rows"][0]["provider"] == "azure"
    err = assert_error_shape(client.get("/api/v1/catalog/gpus/h100"), 404)
    assert "h100-sxm" in err["message"]
    err = assert_error_shape(client.get("/api/v1/catalog/gpu"), 404)
    assert "valid tables: api_prices" in err["message"]


def test_catalog_item_by_the_names_users_have(client):
    body = client.get("/api/v1/catalog/api_prices/openrouter/openai/gpt-6.1-sol").get_json()
    # openrouter/ is dropped, and model_aliases maps the rest (LiteLLM's openai/gpt-6.1-sol) to gpt-6.1-sol.
    assert (body["id"], body["model_id"], body["via"]) == ("openrouter/openai/gpt-6.1-sol", "gpt-6.1-sol",
                                                           "alias (litellm), provider prefix dropped")
    assert [r["usd_per_mtok_input"] for r in body["rows"]] == [2.0]      # OpenAI's model page: $2 per 1M input
    exact = client.get("/api/v1/catalog/api_prices/gpt-6.1-sol").get_json()
    assert (exact["model_id"], exact["via"]) == ("gpt-6.1-sol", "exact")
    err = assert_error_shape(client.get("/api/v1/catalog/api_prices/openai/gpt-4"), 404)
    assert "closest: gpt-4o" in err["message"]


def test_catalog_new_columns_and_tables(client):
    row = client.get("/api/v1/catalog/api_prices?model=gpt-6.1-sol").get_json()["rows"][0]
    # OpenAI's list price since launch, no end date: not a promotion, read off the vendor's page.
    assert (row["promotion"], row["is_estimate"], row["effective_until"]) == (False, False, None)
    names = [t["name"] for t in client.get("/api/v1/catalog").get_json()["tables"]]
    assert {"model_lifecycle", "model_aliases"} <= set(names)
    # The alias table has no effective_date: its CSV is still the loader's format.
    res = client.get("/api/v1/catalog/model_aliases?format=csv")
    assert res.status_code == 200 and res.get_data(as_text=True).splitlines()[0] == \
        "alias,model_id,namespace,source_url,notes"


def test_catalog_filter_on_missing_column(client):
    err = assert_error_shape(client.get("/api/v1/catalog/gpus?term=spot"), 422)
    assert err["errors"] == [{"path": "query.term", "message": "table gpus has no column term"}]


def test_catalog_unknown_query_parameter(client):
    err = assert_error_shape(client.get("/api/v1/catalog/gpus?pagesize=3"), 422)
    assert err["errors"][0]["path"] == "query.pagesize"


# ------------------------------------------------------------------ errors and limits

@pytest.mark.parametrize("patch,path,fragment", [
    ({"workload": {"input_tokens_per_month": -1, "output_tokens_per_month": 1}}, "workload.input_tokens_per_month",
     "greater than or equal to 0"),
    ({"workload": {"input_tokens_per_month": "many", "output_tokens_per_month": 1}},
     "workload.input_tokens_per_month", "Not a valid number"),
    ({"horizon_months": 241}, "horizon_months", "less than or equal to 240"),
    ({"open": {"gpu": "h100", "model": "llama-3.1-70b"}}, "open.gpu", "h100-sxm"),
    ({"closed": {"model": "gpt-4"}}, "closed.model", "gpt-4o"),
    ({"open": {"model": "llama-3.1-405b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "bf16"}},
     "open.gpus_per_replica", "GiB of weights"),
    ({"open": {"target_utilisation": 0}}, "open.target_utilisation", "greater than 0"),
    ({"open": {"precision": "fp7"}}, "open.precision", "Must be one of"),
    ({"open": {"kv_precision": "fp7"}}, "open.kv_precision", "Must be one of"),
    ({"open": {"attention_parallel": "ep"}}, "open.attention_parallel", "Must be one of"),
    ({"workload": {"monthly_volumes": [1, 2, "x"], "tokens_per_month": 1}}, "workload.monthly_volumes.2",
     "Not a valid number"),
    ({"wrkload": {}}, "wrkload", "Unknown field"),
])
def test_bad_input_is_422_naming_the_field(client, patch, path, fragment):
    body = copy.deepcopy(BODY)
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(body.get(k), dict):
            body[k] = {**body[k], **v} if k != "workload" or "input_tokens_per_month" not in v else v
        else:
            body[k] = v
    err = assert_error_shape(client.post("/api/v1/tco", json=body), 422)
    hits = [e for e in err["errors"] if e["path"] == path]
    assert hits, err
    assert fragment in hits[0]["message"], hits


def test_non_finite_number_is_rejected(client):
    raw = '{"workload": {"input_tokens_per_month": NaN, "output_tokens_per_month": 1}}'
    err = assert_error_shape(client.post("/api/v1/tco", data=raw, content_type="application/json"), 422)
    assert err["errors"][0]["path"] == "workload.input_tokens_per_month"


def test_malformed_json(client):
    err = assert_error_shape(client.post("/api/v1/tco", data="{nope", content_type="application/json"), 400)
    assert err["message"] == "malformed JSON body"


def test_wrong_content_type(client):
    err = assert_error_shape(client.post("/api/v1/tco", data="a=1", content_type="text/plain"), 415)
    assert err["errors"][0]["path"] == "header.Content-Type"


def test_body_over_the_limit_is_413(client):
    big = {"workload": {"tokens_per_month": 1, "monthly_volumes": [1.0] * 100_000}}
    assert_error_shape(client.post("/api/v1/tco", json=big), 413)


def test_405_keeps_allow_header(client):
    # flask-smorest's own handler drops the Allow header; TcoApi keeps it.
    res = client.delete("/api/v1/tco")
    assert_error_shape(res, 405)
    assert set(res.headers["Allow"].replace(" ", "").split(",")) >= {"POST", "OPTIONS"}


def test_unknown_route_is_404_json(client):
    assert_error_shape(client.get("/api/v1/nothing"), 404)


def test_unexpected_error_is_500_in_the_same_shape(app, monkeypatch):
    import tco.web.api.scenarios.resources as res_mod

    def boom(*a, **k):
        raise RuntimeError("bug")
    monkeypatch.setattr(res_mod, "evaluate", boom)
    res = app.test_client().post("/api/v1/tco", json=INLINE)
    body = assert_error_shape(res, 500)
    assert "bug" not in body["message"]


# ------------------------------------------------------------------ spec and docs

def test_openapi_spec_documents_fields_and_errors(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/tco", "/api/v1/breakeven", "/api/v1/throughput", "/api/v1/catalog/{table}",
                 "/api/v1/catalog/{table}/{item_id}", "/api/v1/catalog/health", "/api/v1/healthz", "/healthz", "/api/v1/tco.csv",
                 "/api/v1/catalog/{table}.csv"):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert set(schemas["Error"]["properties"]) == {"status", "error", "message", "errors", "error_count"}
    # Every request field carries a description with its unit in brackets or its choices.
    for name in ("Workload", "Closed", "Open", "Finance"):
        for field, prop in schemas[name]["properties"].items():
            assert prop.get("description"), f"{name}.{field}"
    assert "[tokens/month]" in schemas["Workload"]["properties"]["input_tokens_per_month"]["description"]
    assert "Range: >= 1 and <= 240" in schemas["Scenario"]["properties"]["horizon_months"]["description"]


def test_openapi_examples_run(client):
    spec = client.get("/openapi.json").get_json()
    ran = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            example = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
            if example is None:
                continue
            with client.open(path, method=method.upper(), json=example) as res:
                assert res.status_code in (200, 201), (path, res.get_data(as_text=True)[:300])
            ran += 1
    assert ran >= 5   # tco, breakeven, throughput, charts, report (and saved scenarios)


def test_docs_page_serves_its_own_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in html and "http" not in html.split("<body>")[1].split("url:")[0]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        with client.get(f"/api/docs/assets/{asset}") as res:   # closes the file it streams
            assert res.status_code == 200 and len(res.data) > 1000
    with client.get("/api/docs/assets/../../__init__.py") as res:
        assert res.status_code == 404


def test_healthz_both_paths(client, catalog):
    for url in ("/healthz", "/api/v1/healthz"):
        body = client.get(url).get_json()
        assert body["rows"] == catalog.row_counts()


# ------------------------------------------------------------------ hybrid plan and uncertainty

def test_plan_endpoint(client):
    body = {**BODY, "workload": {**BODY["workload"], "load_profile": "business_hours"}}
    res = client.post("/api/v1/plan", json=body)
    assert res.status_code == 200, res.get_json()
    data = res.get_json()
    months = data["months"]
    assert len(months) == 36 and len(data["profile"]) == 24
    total = sum(m["hybrid_usd"] for m in months)
    assert total == pytest.approx(data["hybrid"]["hybrid_total_usd"])
    assert sum(m["closed_usd"] for m in months) == pytest.approx(data["summary"]["closed_total_usd"])
    # a free plan is never dearer than either pure option
    assert total <= min(data["summary"]["closed_total_usd"], data["summary"]["open_total_usd"]) + 1e-6
    assert data["verdict"]
    committed = client.post("/api/v1/plan", json={**body, "plan": {"committed": True}}).get_json()
    reps = [m["replicas"] for m in committed["months"] if m["replicas"] > 0]
    assert reps == sorted(reps)


def test_plan_rejects_a_bad_profile(client):
    body = {**BODY, "workload": {**BODY["workload"], "load_profile": [1, 2, 3]}}
    err = assert_error_shape(client.post("/api/v1/plan", json=body), 422)
    assert err["errors"][0]["path"] == "workload.load_profile" and "24" in err["errors"][0]["message"]


def test_sensitivity_endpoint(client):
    res = client.post("/api/v1/sensitivity", json={**INLINE, "ranges": {"gpu_rate": {"low": 0.5, "high": 1.5}}})
    assert res.status_code == 200, res.get_json()
    data = res.get_json()
    rows = {r["input"]: r for r in data["rows"]}
    assert set(rows) == {"volume", "growth", "api_price", "api_price_change", "gpu_rate", "throughput_efficiency",
                         "utilisation", "staff_cost", "discount_rate"}
    # INLINE: one GPU at $2/h always on, 12 months at 0%: rental 12 x 1,460 = 17,520; at 0.5x it is 8,760,
    # so the savings rise by 8,760; at 1.5x they fall by 8,760.
    g = rows["gpu_rate"]
    assert g["savings_npv_low"] - data["base_savings_npv_usd"] == pytest.approx(8760)
    assert data["base_savings_npv_usd"] - g["savings_npv_high"] == pytest.approx(8760)
    swings = [r["swing_usd"] for r in data["rows"]]
    assert swings == sorted(swings, reverse=True)


def test_montecarlo_endpoint(client):
    body = {**INLINE, "samples": 2000, "seed": 5}
    a = client.post("/api/v1/montecarlo", json=body).get_json()
    b = client.post("/api/v1/montecarlo", json=body).get_json()
    assert a == b                      # seeded
    s = a["summary"]
    assert s["samples"] == 2000 and 0 <= s["probability_self_hosting_cheaper"] <= 1
    assert s["savings_npv_usd"]["p10"] <= s["savings_npv_usd"]["p50"] <= s["savings_npv_usd"]["p90"]
    assert len(a["cumulative_bands"]) == 24
    assert sum(h["samples"] for h in a["breakeven_histogram"]) + a["breakeven_never"] == 2000


def test_montecarlo_limits_and_distribution_errors(client):
    err = assert_error_shape(client.post("/api/v1/montecarlo", json={**INLINE, "samples": 100_001}), 422)
    assert err["errors"][0]["path"] == "samples"
    err = assert_error_shape(client.post("/api/v1/montecarlo", json={
        **INLINE, "distributions": {"volume": {"kind": "triangular", "low": 2, "mode": 1, "high": 3}}}), 422)
    assert err["errors"] == [{"path": "distributions.volume.mode", "message": "Must lie between low and high."}]
