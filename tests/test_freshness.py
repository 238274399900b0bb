"""Freshness of the catalog: tco.freshness.check_catalog, `tco catalog check` and GET /api/v1/catalog/health."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import write_csv
from tco.catalog import load_catalog
from tco.cli import main
from tco.freshness import check_catalog
from tco.settings import Settings
from tco.web import create_app

SRC = "https://example.com/pricing"


def api(model_id, date, **kw):
    return {**dict(provider="vendor", model_id=model_id, display_name=model_id, usd_per_mtok_input="2.5",
                   usd_per_mtok_output="10", open_weights="false", effective_date=date, source_url=SRC), **kw}


def gpu(gpu_id):
    return dict(gpu_id=gpu_id, display_name=gpu_id, vendor="nvidia", memory_gb="80", memory_bandwidth_tbps="3.35",
                bf16_dense_tflops="989", tdp_watts="700", interconnect="nvlink", gpus_per_server="8",
                purchase_usd="30000", purchase_usd_is_estimate="true", effective_date="2026-11-01", source_url=SRC)


@pytest.fixture
def tables(tmp_path):
    """As of 2026-12-01: one of each finding the check knows."""
    d = tmp_path / "t"
    write_csv(d / "api_prices.csv", "api_prices", [
        api("retired", "2025-01-01"),                                    # shut down 2026-10-23, still in force
        api("old-model", "2024-06-01"),                                  # 183 + 365 + 365 = 913 days old
        api("promo", "2026-10-01", usd_per_mtok_input="1.25", promotion="true", effective_until="2026-12-31"),
        api("promo", "2026-12-31"),                                      # list price after it
        api("promo-orphan", "2026-10-01", promotion="true", effective_until="2027-02-01"),
        api("going", "2026-06-01"), api("successor", "2026-06-01"),
        api("rising", "2026-01-01"), api("rising", "2027-03-01", usd_per_mtok_input="3"),
        api("together/llama-q-70b-instruct-turbo", "2026-11-01", open_weights="true"),
    ])
    write_csv(d / "model_lifecycle.csv", "model_lifecycle", [
        dict(provider="vendor", model_id="retired", shutdown_date="2026-10-23", effective_date="2026-04-01",
             source_url=SRC),
        dict(provider="vendor", model_id="going", deprecation_date="2026-11-01", shutdown_date="2027-01-14",
             successor_model_id="successor", effective_date="2026-11-01", source_url=SRC),
    ])
    write_csv(d / "gpus.csv", "gpus", [gpu("gpu-a"), gpu("gpu-b")])
    write_csv(d / "gpu_rates.csv", "gpu_rates", [dict(provider="cloud", gpu_id="gpu-a", term="on_demand",
                                                      usd_per_gpu_hour="2", effective_date="2026-11-01",
                                                      source_url=SRC)])
    return d


def kinds(report):
    return sorted((f.severity, f.kind, f.id) for f in report.findings)


def test_each_finding(tables):
    report = check_catalog(load_catalog(base_dir=tables, use_env=False, as_of="2026-12-01"), horizon_months=6)
    assert report.horizon_end == "2027-05-31"
    assert kinds(report) == [
        ("info", "scheduled_change", "promo"),                           # the list-price row of 2026-12-31
        ("info", "scheduled_change", "rising"),                          # 2027-03-01, inside 6 months
        ("problem", "past_shutdown", "retired"),
        ("problem", "promotion_without_list_price", "promo-orphan"),
        ("warning", "deprecated", "going"),
        ("warning", "gpu_without_rate", "gpu-b"),
        ("warning", "hosted_model_without_architecture", "together/llama-q-70b-instruct-turbo"),
        ("warning", "promotion_ends", "promo"),
        ("warning", "shutdown_ahead", "going"),
        ("warning", "stale", "old-model"),
        ("warning", "stale", "retired"),                                 # 2025-01-01: 334 + 365 = 699 days
    ]
    by = {(f.kind, f.id): f for f in report.findings}
    assert by[("stale", "old-model")].message == ("old-model: row dated 2024-06-01 is 913 days old (threshold 365); "
                                                  "re-read its source")
    assert by[("shutdown_ahead", "going")].message == "going shuts down 2027-01-14 (in 44 days); successor successor"
    assert by[("promotion_ends", "promo")].message == "promo: promotional price ends 2026-12-30; list price from 2026-12-31"
    assert by[("past_shutdown", "retired")].message.startswith(
        "retired is in force on 2026-12-01 but shut down 2026-10-23: give its last row effective_until 2026-10-23")
    assert report.counts == {"problem": 2, "warning": 7, "info": 2} and not report.ok
    assert report.oldest_price_date == "2024-06-01"


def test_a_row_checked_since_it_took_effect_is_as_old_as_its_check(tmp_path):
    d = tmp_path / "t"
    write_csv(d / "api_prices.csv", "api_prices", [
        api("confirmed", "2024-06-01", checked_date="2026-06-01"),   # checked 183 days before 2026-12-01: fresh
        api("checked-long-ago", "2024-06-01", checked_date="2025-06-01"),   # 183 + 365 = 548 days since the check
        api("checked-later", "2024-06-01", checked_date="2027-01-01"),      # a check after as_of does not count
    ])
    report = check_catalog(load_catalog(base_dir=d, use_env=False, as_of="2026-12-01"), horizon_months=1)
    by = {f.id: f for f in report.findings if f.kind == "stale"}
    assert sorted(by) == ["checked-later", "checked-long-ago"]
    assert by["checked-long-ago"].message == ("checked-long-ago: row dated 2024-06-01, last checked 2025-06-01, is "
                                              "548 days old (threshold 365); re-read its source")
    assert by["checked-later"].message.startswith("checked-later: row dated 2024-06-01 is 913 days old")


def test_a_check_before_the_row_took_effect_is_refused(tmp_path):
    from tco.catalog import CatalogError
    d = tmp_path / "t"
    write_csv(d / "api_prices.csv", "api_prices", [api("x", "2026-06-01", checked_date="2026-05-31")])
    with pytest.raises(CatalogError) as exc:
        load_catalog(base_dir=d, use_env=False, as_of="2026-12-01")
    assert "checked_date: Must be on or after effective_date" in str(exc.value)


def test_horizon_and_threshold_change_what_is_listed(tables):
    cat = load_catalog(base_dir=tables, use_env=False, as_of="2026-12-01")
    short = check_catalog(cat, horizon_months=1, max_age_days=800)
    found = {(f.kind, f.id) for f in short.findings}
    # 2027-01-14 and 2027-03-01 are past a one-month horizon (to 2026-12-31); 699 days < 800 < 913.
    assert ("shutdown_ahead", "going") not in found and ("scheduled_change", "rising") not in found
    assert ("promotion_ends", "promo") in found and ("stale", "retired") not in found
    assert ("stale", "old-model") in found


def test_an_alias_and_a_successor_without_prices(tables):
    write_csv(tables / "api_prices.csv", "api_prices", [api("a", "2025-01-01"), api("b", "2027-06-01"),
                                                        api("c", "2025-01-01", effective_until="2026-06-01")])
    write_csv(tables / "model_lifecycle.csv", "model_lifecycle", [dict(
        provider="vendor", model_id="a", shutdown_date="2027-01-14", successor_model_id="b",
        effective_date="2026-11-01", source_url=SRC)])
    write_csv(tables / "model_aliases.csv", "model_aliases", [dict(alias="vendor/c", model_id="c",
                                                                   namespace="litellm", source_url=SRC)])
    report = check_catalog(load_catalog(base_dir=tables, use_env=False, as_of="2026-12-01"))
    by = {(f.kind, f.id): f for f in report.findings}
    assert by[("successor_not_priced", "a")].message == "a's successor b has no price in force on 2027-01-14"
    assert by[("alias_to_retired_model", "vendor/c")].severity == "warning"


def test_check_rejects_bad_arguments(tables):
    cat = load_catalog(base_dir=tables, use_env=False)
    with pytest.raises(ValueError, match="horizon_months: must be a whole number from 1 to 1200"):
        check_catalog(cat, horizon_months=0)
    with pytest.raises(ValueError, match="max_age_days: must be a whole number >= 1"):
        check_catalog(cat, max_age_days=0)


def test_shipped_tables_have_no_problem_on_2026_12_01(catalog):
    # The rule: no row in force on 2026-12-01 that its vendor had retired before that date.
    report = check_catalog(catalog, as_of="2026-12-01")
    assert report.ok, "\n".join(report.lines())


# ------------------------------------------------------------------ command line

def test_cli_strict_passes_on_the_shipped_tables_over_36_months():
    # The shipped tables on 2026-12-01: nothing in force past its shutdown, every promotion followed by its
    # list price, every successor needed within three years priced. Warnings (stale rows, gaps) are allowed.
    res = CliRunner().invoke(main, ["catalog", "check", "--strict", "--horizon-months", "36", "--as-of", "2026-12-01"])
    assert res.exit_code == 0, res.output
    head = res.output.splitlines()[0]
    assert head.startswith("catalog check as of 2026-12-01 (horizon to 2029-11-30") and " 0 problem(s)" in head


def test_cli_strict_fails_on_a_row_past_its_shutdown(tmp_path):
    # An overlay on the shipped tables: a model whose vendor shut it down on 2026-10-23 still has a
    # row in force on 2026-12-01 (no effective_until).
    d = tmp_path / "overlay"
    write_csv(d / "api_prices.csv", "api_prices", [api("my-retired-model", "2025-04-23")])
    write_csv(d / "model_lifecycle.csv", "model_lifecycle", [dict(
        provider="vendor", model_id="my-retired-model", shutdown_date="2026-10-23", effective_date="2026-04-01",
        source_url=SRC)])
    runner = CliRunner()
    args = ["catalog", "check", "--dir", str(d), "--as-of", "2026-12-01"]
    res = runner.invoke(main, args + ["--strict"])
    assert res.exit_code == 1, res.output
    assert "problem  past_shutdown" in res.output and "my-retired-model is in force on 2026-12-01" in res.output
    assert "--strict: 1 problem(s)" in res.output
    assert runner.invoke(main, args).exit_code == 0                     # reported, not failed, without --strict
    # The same model ended properly on its shutdown day: no problem left, --strict passes.
    write_csv(d / "api_prices.csv", "api_prices", [api("my-retired-model", "2025-04-23",
                                                       effective_until="2026-10-23")])
    res = runner.invoke(main, args + ["--strict"])
    assert res.exit_code == 0, res.output
    assert "0 problem(s)" in res.output.splitlines()[0]


def test_cli_json_and_bad_options(tables):
    runner = CliRunner()
    res = runner.invoke(main, ["catalog", "check", "--dir", str(tables), "--as-of", "2026-12-01",
                               "--horizon-months", "6", "--format", "json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output)
    # The folder is overlaid on the shipped tables: the same report as the library gives for that overlay.
    expected = check_catalog(load_catalog(extra_dirs=[tables], use_env=False, as_of="2026-12-01"), horizon_months=6)
    assert body == json.loads(json.dumps(expected.to_dict()))
    assert body["counts"]["problem"] == 2
    res = runner.invoke(main, ["catalog", "check", "--horizon-months", "0"])
    assert res.exit_code == 2 and "--horizon-months" in res.output
    res = runner.invoke(main, ["catalog", "check", "--as-of", "someday"])
    assert res.exit_code == 2 and "as_of: not a valid date" in res.output


# ------------------------------------------------------------------ REST API

@pytest.fixture
def client(tables):
    app = create_app(Settings(), catalog=load_catalog(base_dir=tables, use_env=False, as_of="2026-12-01"))
    app.testing = True
    return app.test_client()


def test_api_health(client):
    res = client.get("/api/v1/catalog/health?horizon_months=6")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert (body["as_of"], body["horizon_end"], body["ok"]) == ("2026-12-01", "2027-05-31", False)
    assert body["counts"] == {"problem": 2, "warning": 7, "info": 2}
    assert {"severity": "problem", "kind": "past_shutdown", "table": "api_prices", "id": "retired",
            "date": "2026-10-23"}.items() <= next(f for f in body["findings"] if f["kind"] == "past_shutdown").items()
    # Judged on another date: before the shutdown the retired model is fine.
    earlier = client.get("/api/v1/catalog/health?as_of=2026-10-01&horizon_months=1").get_json()
    assert "past_shutdown" not in {f["kind"] for f in earlier["findings"]}
    assert {"shutdown_ahead"} <= {f["kind"] for f in earlier["findings"]}


@pytest.mark.parametrize("query,path", [
    ("horizon_months=0", "query.horizon_months"), ("horizon_months=x", "query.horizon_months"),
    ("max_age_days=0", "query.max_age_days"), ("as_of=2026-02-30", "query.as_of"), ("as_of=9999-01-01", "query.as_of"),
    ("colour=blue", "query.colour"),
])
def test_api_health_bad_query_is_422(client, query, path):
    res = client.get(f"/api/v1/catalog/health?{query}")
    assert res.status_code == 422
    body = res.get_json()
    assert set(body) == {"status", "error", "message", "errors", "error_count"} and body["errors"][0]["path"] == path
