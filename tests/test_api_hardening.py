"""Issue 16, case by case: hostile input gets a 4xx in the one error shape, work is bounded, answers are safe.

Each test names the case of the issue it pins down.  The cases that need a bound inside the
engine (fleet size, growth overflow, the hybrid plan's allocation) are at the end, marked
answered by the engine with a 422.
"""
from __future__ import annotations

import copy
import csv
import io
import json
import threading
import time

import numpy as np
import pytest
from werkzeug.test import EnvironBuilder

from conftest import write_csv
from tco.catalog import load_catalog
from tco.settings import Settings
from tco.web import create_app
from tco.web.guard import CONTENT_SECURITY_POLICY
from tco.web.heavy import HeavyPool

from test_api import BODY, INLINE, assert_error_shape


@pytest.fixture(scope="module")
def app(tmp_path_factory, catalog):
    db = tmp_path_factory.mktemp("hardening") / "saved.sqlite3"
    app = create_app(Settings(database=str(db), max_body_bytes=200_000, max_sample_months=1_000,
                              heavy_isolation="thread"), catalog=catalog)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


# ------------------------------------------------------------------ security headers

@pytest.mark.parametrize("method,url,body,status", [
    ("GET", "/", None, 200),
    ("GET", "/healthz", None, 200),
    ("GET", "/api/docs", None, 200),
    ("GET", "/openapi.json", None, 200),
    ("POST", "/api/v1/tco", INLINE, 200),
    ("GET", "/api/v1/nothing", None, 404),
    ("DELETE", "/api/v1/tco", None, 405),
    ("POST", "/api/v1/tco", {"workload": {"tokens_per_month": -1}}, 422),
])
def test_every_answer_carries_the_security_headers(client, method, url, body, status):
    res = client.open(url, method=method, json=body)
    assert res.status_code == status
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Referrer-Policy"] == "no-referrer"
    csp = res.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"          # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["frame-ancestors"] == "'none'"
    res.close()


def test_pages_have_no_inline_script(client):
    import re
    for url in ("/", "/api/docs"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            # every script is a file of the service, or a JSON data block (not executed)
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", html), url      # no inline event handlers


# ------------------------------------------------------------------ Host allow-list (DNS rebinding)

def test_a_page_rebinding_its_name_to_the_service_cannot_delete_a_saved_scenario(client):
    saved = client.post("/api/v1/scenarios", json={"name": "keep me", "scenario": BODY}).get_json()
    url = f"/api/v1/scenarios/{saved['id']}"
    err = assert_error_shape(client.delete(url, headers={"Host": "attacker.example:8000"}), 400)
    assert err["errors"] == [{"path": "header.Host", "message": "host name not allowed"}]
    assert "TCO_ALLOWED_HOSTS" in err["message"]
    assert client.get(url, headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get(url, headers={"Host": "[::1]:8000"}).status_code == 200
    assert client.delete(url, headers={"Host": "localhost:8000"}).status_code == 204


def test_the_allow_list_is_a_setting(catalog):
    only = create_app(Settings(allowed_hosts="tco.example.org", heavy_isolation="thread"), catalog=catalog)
    c = only.test_client()
    assert c.get("/healthz", headers={"Host": "tco.example.org"}).status_code == 200
    assert c.get("/healthz", headers={"Host": "TCO.example.org.:443"}).status_code == 200
    assert_error_shape(c.get("/healthz", headers={"Host": "localhost"}), 400)
    anyhost = create_app(Settings(allowed_hosts="*", heavy_isolation="thread"), catalog=catalog).test_client()
    assert anyhost.get("/healthz", headers={"Host": "whatever.example"}).status_code == 200


# ------------------------------------------------------------------ names and ids

@pytest.mark.parametrize("method,url,body,path", [
    ("POST", "/api/v1/scenarios", {"name": "a\x00b", "scenario": BODY}, "name"),
    ("POST", "/api/v1/tco", {**BODY, "closed": {"model": "gpt-4o\x00"}}, "closed.model"),
    ("POST", "/api/v1/tco", {**BODY, "open": {**BODY["open"], "gpu": "h100\x1b[2J"}}, "open.gpu"),
    ("POST", "/api/v1/throughput", {"model": "llama-3.1-8b\u2028", "gpu": "h100-sxm"}, "model"),
    ("GET", "/api/v1/catalog/api_prices/gpt-4o%00", None, "path.item_id"),
    ("GET", "/api/v1/catalog/api_prices?model=gpt-4o%0A", None, "query.model"),
    ("POST", "/api/v1/usage", {"rows": [{"timestamp": "2026-10-01", "model": "gpt\x7f", "input_tokens": 1,
                                         "output_tokens": 1}]}, "rows.0.model"),
])
def test_control_characters_in_names_and_ids_are_422_naming_the_field(client, method, url, body, path):
    err = assert_error_shape(client.open(url, method=method, json=body), 422)
    assert path in [e["path"] for e in err["errors"]], err


def test_control_characters_in_a_csv_usage_log_name_its_line(client):
    text = "timestamp,model,input_tokens,output_tokens\n2026-10-01,gpt-4o,1,1\n2026-10-02,gpt\x01,1,1\n"
    err = assert_error_shape(client.post("/api/v1/usage", data=text, content_type="text/csv"), 422)
    assert err["errors"] == [{"path": "csv.3.model", "message": "must be one line of text without control characters"}]


# ------------------------------------------------------------------ CSV formula cells

def test_csv_exports_neutralise_formula_cells_from_an_overlay(tmp_path):
    formulas = ['=HYPERLINK("http://attacker.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
                "\tpadded", "\rcarriage"]
    write_csv(tmp_path / "api_prices.csv", "api_prices", [
        {"provider": "acme", "model_id": f"acme-{i}", "display_name": text, "usd_per_mtok_input": 1,
         "usd_per_mtok_output": 2, "open_weights": "false", "effective_date": "2026-01-01",
         "source_url": "https://example.com/prices", "notes": "@note"} for i, text in enumerate(formulas)])
    cat = load_catalog(extra_dirs=[tmp_path], use_env=False)
    c = create_app(Settings(heavy_isolation="thread"), catalog=cat).test_client()
    res = c.get("/api/v1/catalog/api_prices.csv?provider=acme")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    # the JSON rows are the data as the catalog holds it (its loader strips surrounding blanks)
    stored = [r["display_name"] for r in c.get("/api/v1/catalog/api_prices?provider=acme").get_json()["rows"]]
    assert stored == [f.strip() for f in formulas]
    assert [r["display_name"] for r in rows] == ["'" + v if v[0] in "=+-@" else v for v in stored]
    assert [r["display_name"][:2] for r in rows][:4] == ["'=", "'+", "'-", "'@"]
    assert {r["notes"] for r in rows} == {"'@note"}
    assert {r["usd_per_mtok_input"] for r in rows} == {"1.0"}       # numbers stay numbers


def test_tab_and_carriage_return_cells_are_neutralised_too():
    import pandas as pd
    from tco.web.text import csv_text
    out = list(csv.reader(io.StringIO(csv_text(pd.DataFrame({"label": ["\tx", "\ry", "ok", "a=b"]})), newline="")))
    assert out == [["label"], ["'\tx"], ["'\ry"], ["ok"], ["a=b"]]


def test_legacy_format_csv_urls_still_answer_csv(client):
    res = client.post("/api/v1/tco?format=csv", json=INLINE)
    assert res.status_code == 200 and res.mimetype == "text/csv"
    res = client.get("/api/v1/catalog/gpus?format=csv&vendor=nvidia")
    assert res.mimetype == "text/csv" and all(r["vendor"] == "nvidia"
                                              for r in csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    assert client.post("/api/v1/tco?format=json", json=INLINE).mimetype == "application/json"
    err = assert_error_shape(client.get("/api/v1/catalog/gpus?format=xml"), 422)
    assert err["errors"][0]["path"] == "query.format"


# ------------------------------------------------------------------ hostile bodies

def test_json_nested_10000_deep_is_400_naming_the_limit(client):
    raw = "[" * 10_000 + "]" * 10_000
    err = assert_error_shape(client.post("/api/v1/tco", data=raw, content_type="application/json"), 400)
    assert err["message"] == "JSON nested 10000 levels deep; the limit is 32 (TCO_MAX_JSON_DEPTH)"
    # 32 levels pass the depth check (and are then a 422: not a scenario); 33 do not
    assert client.post("/api/v1/tco", data="[" * 32 + "]" * 32, content_type="application/json").status_code == 422
    assert_error_shape(client.post("/api/v1/tco", data="[" * 33 + "]" * 33, content_type="application/json"), 400)


def test_brackets_inside_strings_do_not_count_as_nesting(client):
    body = {**BODY, "closed": {"model": "[" * 150 + "{" * 40}}
    err = assert_error_shape(client.post("/api/v1/tco", json=body), 422)     # an unknown model, not too deep
    assert err["errors"][0]["path"] == "closed.model"


def test_numbers_beyond_a_float_are_422_not_500(client):
    huge = "1" + "0" * 5000
    raw = '{"workload": {"tokens_per_month": %s}}' % huge
    err = assert_error_shape(client.post("/api/v1/tco", data=raw, content_type="application/json"), 422)
    assert err["errors"][0]["path"] == "workload.tokens_per_month"
    raw = '{"workload": {"tokens_per_month": 1e400}}'
    assert_error_shape(client.post("/api/v1/tco", data=raw, content_type="application/json"), 422)


def _chunked_environ(raw: bytes) -> dict:
    """A WSGI environ as a server passes a chunked request (no Content-Length, the stream dechunked)."""
    env = EnvironBuilder(path="/api/v1/tco", method="POST", content_type="application/json",
                         headers={"Host": "localhost", "Transfer-Encoding": "chunked"}).get_environ()
    env.pop("CONTENT_LENGTH", None)
    env["wsgi.input"] = io.BytesIO(raw)
    env["wsgi.input_terminated"] = True
    return env


def _call(app, environ) -> tuple[int, dict]:
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"], out["headers"] = int(status.split()[0]), dict(headers)
    body = b"".join(app.wsgi_app(environ, start_response))
    return out["status"], json.loads(body)


def test_a_chunked_body_over_the_limit_is_413_never_cut_and_priced(app):
    # The first 200,000 bytes are a valid-looking prefix; cut there, the old service priced a scenario.
    volumes = ", ".join(["1e9"] * 60_000)
    raw = json.dumps({**INLINE, "horizon_months": 12}).encode()[:-1] + b', "x": [' + volumes.encode() + b"]}"
    assert len(raw) > 200_000
    status, body = _call(app, _chunked_environ(raw))
    assert status == 413 and body["status"] == 413 and "TCO_MAX_BODY_BYTES" in body["message"]
    status, body = _call(app, _chunked_environ(raw[:200_001]))           # one byte over: refused too
    assert status == 413


def test_a_chunked_body_under_the_limit_is_read_whole(app):
    raw = json.dumps(INLINE).encode()
    status, body = _call(app, _chunked_environ(raw))
    assert status == 200
    # INLINE: closed 10M x $3 + 2M x $15 = $60/month over 12 months = $720
    assert body["summary"]["closed_total_usd"] == pytest.approx(720)


def test_a_body_cut_short_is_400(app):
    env = EnvironBuilder(path="/api/v1/tco", method="POST", content_type="application/json", data=b"{}",
                         headers={"Host": "localhost"}).get_environ()
    env["CONTENT_LENGTH"] = "5000"                                      # announces more than it sends
    status, body = _call(app, env)
    assert status == 400 and body["errors"][0]["path"] == "body"


def test_error_lists_are_capped_with_the_total_count(client):
    body = {**INLINE, "horizon_months": 240, "workload": {"tokens_per_month": 1, "monthly_volumes": ["x"] * 240}}
    err = assert_error_shape(client.post("/api/v1/tco", json=body), 422)
    assert len(err["errors"]) == 100 and err["error_count"] == 240
    assert err["message"].startswith("240 invalid fields: workload.monthly_volumes.0")


def test_225k_empty_usage_rows_answer_a_short_error_quickly(catalog):
    big = create_app(Settings(heavy_isolation="thread"), catalog=catalog).test_client()
    text = "timestamp,model,input_tokens,output_tokens\n" + ",,,\n" * 225_000        # 900 kB
    t0 = time.perf_counter()
    res = big.post("/api/v1/usage", data=text, content_type="text/csv")
    elapsed = time.perf_counter() - t0
    err = assert_error_shape(res, 422)
    assert len(res.data) < 20_000 and elapsed < 5, (len(res.data), elapsed)
    assert err["errors"][0] == {"path": "csv.2.timestamp", "message": err["errors"][0]["message"]}
    rows = json.dumps({"rows": [{}] * 225_000})                                       # 675 kB of empty rows
    t0 = time.perf_counter()
    res = big.post("/api/v1/usage", data=rows, content_type="application/json")
    assert time.perf_counter() - t0 < 5
    err = assert_error_shape(res, 422)
    assert {e["message"].split(" (")[0] for e in err["errors"]} == {"required column missing"}


def test_wrong_method_and_long_url_are_json(client):
    res = client.put("/api/v1/catalog")
    assert_error_shape(res, 405)
    assert "GET" in res.headers["Allow"]
    err = assert_error_shape(client.get("/api/v1/catalog/gpus?vendor=" + "x" * 5000), 414)
    assert "TCO_MAX_URL_BYTES" in err["message"]


# ------------------------------------------------------------------ bounded work

def test_monte_carlo_budget_is_samples_times_months(client):
    # Budget 1,000 sample-months (this app): 100 samples x 12 months = 1,200 is over; at 12 months, 83 at most.
    err = assert_error_shape(client.post("/api/v1/montecarlo", json={**INLINE, "samples": 100}), 422)
    assert err["errors"][0]["path"] == "samples"
    assert "1,200 sample-months" in err["message"] and "at most 83 samples" in err["message"]
    ok = client.post("/api/v1/montecarlo", json={**INLINE, "samples": 83})
    assert ok.status_code == 200 and ok.get_json()["summary"]["samples"] == 83
    err = assert_error_shape(client.post("/api/v1/charts?uncertainty=true&samples=100", json=INLINE), 422)
    assert err["errors"][0]["path"] == "query.samples"


def test_the_default_budget_refuses_the_issue_case(catalog):
    # 100,000 samples x 240 months = 24,000,000 sample-months > 6,000,000: at 240 months, 25,000 samples at most.
    c = create_app(Settings(heavy_isolation="thread"), catalog=catalog).test_client()
    err = assert_error_shape(c.post("/api/v1/montecarlo", json={**BODY, "horizon_months": 240, "samples": 100_000}),
                             422)
    assert "at most 25,000 samples" in err["message"]


def test_output_without_prompts_is_priced_not_500(client):
    # Issue 16's "zero input volume gives a 500"; issue 12: output without input is a valid workload.
    # 5e8 output tokens at 500 per request are 1e6 requests a month; the closed bill is output only.
    for workload in ({"input_tokens_per_month": 0, "output_tokens_per_month": 5e8, "output_tokens_per_request": 500},
                     {"tokens_per_month": 5e8, "input_share": 0, "output_tokens_per_request": 500}):
        for url in ("/api/v1/tco", "/api/v1/plan", "/api/v1/breakeven"):
            res = client.post(url, json={**BODY, "workload": workload})
            assert res.status_code == 200, (url, res.get_json())


def _slow(catalog, seconds):
    time.sleep(seconds)
    return b"{}"


def _wait_for(catalog, event_name):
    EVENTS[event_name].wait(10)
    return b"{}"


def _allocate(catalog, gib):
    return np.ones(int(gib * 2**30 // 8)).sum()


EVENTS: dict[str, threading.Event] = {}


def test_a_full_pool_answers_503_with_retry_after(catalog):
    from tco.web.errors import ApiError
    pool = HeavyPool(catalog, slots=1, wait_s=0.1, isolation="thread")
    EVENTS["hold"] = threading.Event()
    holder = threading.Thread(target=pool.run, args=(_wait_for, "hold"))
    holder.start()
    time.sleep(0.2)
    try:
        with pytest.raises(ApiError) as exc:
            pool.run(_slow, 0)
        assert exc.value.status == 503 and exc.value.headers["Retry-After"] == "1"
    finally:
        EVENTS["hold"].set()
        holder.join(10)
    assert pool.run(_slow, 0) == b"{}"                      # the slot is free again


def test_a_computation_over_the_time_limit_is_stopped(catalog):
    from tco.web.errors import ApiError
    pool = HeavyPool(catalog, slots=1, wait_s=1, timeout_s=1.0, isolation="process")
    try:
        t0 = time.perf_counter()
        with pytest.raises(ApiError) as exc:
            pool.run(_slow, 30)
        assert exc.value.status == 503 and "TCO_HEAVY_TIMEOUT_S" in exc.value.message
        assert time.perf_counter() - t0 < 5
        assert pool.run(_slow, 0) == b"{}"                  # a fresh process took the slot
        with pytest.raises(ApiError) as exc:                # 8 GiB: over the child's 2 GiB address space
            pool.run(_allocate, 8)
        assert exc.value.status == 422 and "memory" in exc.value.message
    finally:
        pool.close()


# ------------------------------------------------------------------ bounds the engine has to give (issue 16)

def test_a_workload_needing_an_absurd_fleet_is_422(client):
    res = client.post("/api/v1/tco", json={**BODY, "workload": {"tokens_per_month": 1e18}})
    assert res.status_code == 422 and "GPUs" in res.get_json()["message"]


def test_growth_that_overflows_within_the_horizon_is_422(client):
    res = client.post("/api/v1/tco", json={**BODY, "horizon_months": 240,
                                           "workload": {"tokens_per_month": 1e9, "monthly_growth": 10}})
    assert res.status_code == 422 and "month" in res.get_json()["message"]


def test_a_hybrid_plan_with_growth_at_the_maximum_is_422(client):
    res = client.post("/api/v1/plan", json={**BODY, "horizon_months": 240,
                                            "workload": {"tokens_per_month": 1e9, "monthly_growth": 10}})
    assert res.status_code == 422


@pytest.mark.parametrize("url,workload", [
    ("/api/v1/tco", {"input_tokens_per_month": 5e-324, "output_tokens_per_month": 5e8}),
    ("/api/v1/breakeven", {"tokens_per_month": 5e-324}),
])
def test_a_subnormal_volume_is_priced_or_refused(client, url, workload):
    assert client.post(url, json={**BODY, "workload": workload}).status_code < 500


def test_a_load_profile_of_subnormal_weights_is_422(client):
    # found by schemathesis: [5e-324, 0, ..., 0] has a mean that underflows, so the weights became inf
    body = {**BODY, "workload": {**BODY["workload"], "load_profile": [5e-324] + [0.0] * 23}}
    err = assert_error_shape(client.post("/api/v1/tco", json=body), 422)
    assert err["errors"][0]["path"] == "workload.load_profile" and "too small" in err["errors"][0]["message"]


def test_file_slots_are_shared_by_processes_and_freed_when_one_dies(tmp_path):
    """The slots of `tco serve` count for all its workers: a slot held in another process is not free here."""
    import subprocess
    import sys
    from tco.web.heavy import FileSlots
    slots = FileSlots(str(tmp_path), 1)
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time; "
                               f"fd = os.open({slots.paths[0]!r}, os.O_RDWR | os.O_CREAT); "
                               "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert slots.acquire(0.2) is None                   # busy: held by the other process
        holder.kill()
        holder.wait(10)
        token = slots.acquire(1.0)                          # the kernel freed the dead process's lock
        assert token is not None
        assert FileSlots(str(tmp_path), 1).acquire(0.1) is None     # and now this one holds it
        slots.release(token)
    finally:
        holder.kill()
        holder.wait(10)
        holder.stdout.close()
