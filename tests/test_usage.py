"""Pricing usage logs: each rule by hand, history, unknown models, validation, projection, doors."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO, SHARED, usage_catalog
from tco.catalog import load_catalog
from tco.cli import main
from tco.settings import Settings
from tco.usage import UsageError, fit_growth, price_usage, read_usage_csv, usage_workload, validate_usage
from tco.web import create_app

SRC = "https://example.com/p"


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    """Self-contained prices with a history, a batch price and a long-context tier."""
    return usage_catalog(tmp_path_factory.mktemp("prices"))


def priced(cat, rows):
    return price_usage(pd.DataFrame(rows), cat)


def one(cat, **row):
    # 100 requests per row keep prompts under the 200k long-context threshold unless a test says otherwise
    base = {"timestamp": "2026-02-10", "model": "m", "input_tokens": 0, "output_tokens": 0, "requests": 100}
    r = priced(cat, [{**base, **row}])
    return float(r.rows["usd"].iloc[0])


def test_plain_row(cat):
    # 1M input x $2 + 0.5M output x $8 = 2 + 4 = $6.
    assert one(cat, input_tokens=1e6, output_tokens=5e5) == pytest.approx(6.0)


def test_cached_input(cat):
    # 1M input of which 400k cached: 600k x $2 + 400k x $0.50 = 1.2 + 0.2 = $1.40.
    assert one(cat, input_tokens=1e6, cached_input_tokens=4e5) == pytest.approx(1.4)


def test_cache_price_missing_falls_back_to_input(cat):
    # "plain" has no cached price: cached tokens pay the input price, 1M x $3.
    assert one(cat, model="plain", input_tokens=1e6, cached_input_tokens=1e6) == pytest.approx(3.0)


def test_batch_row(cat):
    # Batch: 1M input x $1 + 1M output x $4 = $5.
    assert one(cat, input_tokens=1e6, output_tokens=1e6, batch=True) == pytest.approx(5.0)


def test_long_context_tier_is_per_request(cat):
    # One 300k-token request: above the 200k threshold, the whole request at $4 / $12:
    # 0.3M x 4 + 0.01M x 12 = 1.2 + 0.12 = $1.32.
    assert one(cat, input_tokens=3e5, output_tokens=1e4, requests=1) == pytest.approx(1.32)
    # The same tokens as 3 requests of 100k each: below the threshold, $2 / $8:
    # 0.3M x 2 + 0.01M x 8 = 0.6 + 0.08 = $0.68.
    assert one(cat, input_tokens=3e5, output_tokens=1e4, requests=3) == pytest.approx(0.68)


def test_price_change_mid_log(cat):
    # 28 Feb at $2 + $8 = $10 per 1M+1M; 1 March at $1 + $6 = $7.
    r = priced(cat, [{"timestamp": d, "model": "m", "input_tokens": 1e6, "output_tokens": 1e6, "requests": 100}
                     for d in ("2026-02-28", "2026-03-01T00:30:00Z", "2026-03-15")])
    assert r.rows["usd"].tolist() == pytest.approx([10.0, 7.0, 7.0])
    assert r.rows["price_date"].astype(str).tolist() == ["2026-01-01", "2026-03-01", "2026-03-01"]
    months = r.by_month()
    assert months["month"].astype(str).tolist() == ["2026-02", "2026-03"]
    assert months["usd"].tolist() == pytest.approx([10.0, 14.0])


def test_row_before_first_price_is_priced_at_it_and_flagged(cat):
    r = priced(cat, [{"timestamp": "2025-06-01", "model": "m", "input_tokens": 1e6, "output_tokens": 0,
                      "requests": 100}])
    assert r.rows["usd"].iloc[0] == pytest.approx(2.0) and bool(r.rows["price_assumed"].iloc[0])
    assert "priced at that price" in r.summary()


def test_unknown_model_is_reported_never_zero(cat):
    r = priced(cat, [{"timestamp": "2026-02-01", "model": "mm", "input_tokens": 5, "output_tokens": 5}] * 3
               + [{"timestamp": "2026-02-01", "model": "m", "input_tokens": 1e6, "output_tokens": 0, "requests": 100}])
    assert np.isnan(r.rows["usd"].iloc[0]) and not r.rows["priced"].iloc[0]
    assert r.total_usd == pytest.approx(2.0)
    (row,) = r.unpriced.to_dict("records")
    assert row["model"] == "mm" and row["rows"] == 3 and row["reason"] == "unknown model"
    assert "m" in row["closest"].split(", ")


def test_batch_without_batch_price_is_reported(cat):
    r = priced(cat, [{"timestamp": "2026-02-01", "model": "plain", "input_tokens": 1, "output_tokens": 1,
                      "batch": True}])
    assert r.unpriced["reason"].tolist() == ["batch rows but the model has no batch price"]


def test_validation_names_line_and_column():
    text = ("timestamp,model,input_tokens,output_tokens,cached_input_tokens,batch\n"
            "2026-01-01,m,10,5,0,false\n"
            "yesterday,m,-3,x,0,maybe\n"
            "2026-01-02,,10,5,20,true\n")
    with pytest.raises(UsageError) as err:
        read_usage_csv(text, name="log.csv")
    assert sorted(err.value.errors) == sorted([
        "log.csv:3: timestamp: not a date or date-time (use ISO, e.g. 2026-03-01 or 2026-03-01T12:00:00Z)",
        "log.csv:3: input_tokens: must be >= 0",
        "log.csv:3: output_tokens: not a finite number",
        "log.csv:3: batch: use true or false",
        "log.csv:4: model: empty",
        "log.csv:4: cached_input_tokens: more than input_tokens (input_tokens counts cached tokens too)",
    ])


def test_missing_column_and_aliases():
    with pytest.raises(UsageError, match="input_tokens: required column missing"):
        validate_usage(pd.DataFrame({"timestamp": ["2026-01-01"], "model": ["m"], "output_tokens": [1]}))
    rows = validate_usage(pd.DataFrame({"date": ["2026-01-01"], "model_id": ["m"], "prompt_tokens": ["1,000"],
                                        "completion_tokens": [5]}))
    assert rows["input_tokens"].tolist() == [1000.0] and rows["requests"].tolist() == [1.0]


def test_fit_growth_and_workload(cat):
    # Months Jan..Apr at 1.0, 1.1, 1.21, 1.331 M tokens: 10% growth a month.
    rows = [{"timestamp": f"2026-0{i + 1}-15", "model": "plain", "input_tokens": 0.8e6 * 1.1 ** i,
             "output_tokens": 0.2e6 * 1.1 ** i, "requests": 100} for i in range(4)]
    r = priced(cat, rows)
    w = usage_workload(r, months=6)
    assert w["monthly_growth"] == pytest.approx(0.1, abs=1e-9)
    assert w["input_tokens_per_month"] == pytest.approx(0.8e6 * 1.331)
    assert w["output_tokens_per_month"] == pytest.approx(0.2e6 * 1.331)
    # Prompt per request: all input tokens / 400 requests.
    assert w["input_tokens_per_request"] == pytest.approx(sum(0.8e6 * 1.1 ** i for i in range(4)) / 400)
    assert fit_growth([]) == 0.0


def test_litellm_prices_give_the_per_token_arithmetic(tmp_path):
    """Rows priced from the LiteLLM-format fixture equal tokens x that file's per-token prices."""
    from tco.litellm import import_litellm

    src = REPO / "tests" / "data" / "litellm_small.json"
    raw = json.loads(src.read_text())
    res = import_litellm(src, effective_date="2026-01-01")
    d = tmp_path / "imported"
    d.mkdir()
    from tco.catalog import write_table
    write_table(res.api_prices, d / "api_prices.csv", "api_prices")
    cat = load_catalog(base_dir=d, use_env=False)
    checked = 0
    for _, row in cat.api_prices.iterrows():            # display_name keeps the original LiteLLM key
        mid, entry = row["model_id"], raw[row["display_name"]]
        tin, tout = 123_456, 7_890
        r = price_usage(pd.DataFrame([{"timestamp": "2026-02-01", "model": mid, "input_tokens": tin,
                                       "output_tokens": tout, "requests": 1000}]), cat)
        expected = tin * entry["input_cost_per_token"] + tout * entry["output_cost_per_token"]
        assert r.rows["usd"].iloc[0] == pytest.approx(expected, rel=1e-12), row["display_name"]
        checked += 1
    assert checked >= 2


def test_shared_litellm_file_prices_gpt_4o(tmp_path):
    src = SHARED / "data" / "litellm_model_prices.json"
    if not src.exists():
        pytest.skip("shared LiteLLM price file absent")
    from tco.catalog import write_table
    from tco.litellm import import_litellm
    res = import_litellm(src, effective_date="2026-01-01")
    write_table(res.api_prices, tmp_path / "api_prices.csv", "api_prices")
    cat = load_catalog(base_dir=tmp_path, use_env=False)
    raw = json.loads(src.read_text())["gpt-4o"]
    r = price_usage(pd.DataFrame([{"timestamp": "2026-05-01", "model": "gpt-4o", "input_tokens": 2e6,
                                   "cached_input_tokens": 5e5, "output_tokens": 3e5}]), cat)
    expected = (1.5e6 * raw["input_cost_per_token"] + 5e5 * raw["cache_read_input_token_cost"]
                + 3e5 * raw["output_cost_per_token"])
    assert r.rows["usd"].iloc[0] == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ doors

def test_cli_usage_price(tmp_path):
    f = tmp_path / "log.csv"
    f.write_text("timestamp,model,input_tokens,output_tokens\n2026-09-01,gpt-4o,1000000,100000\n"
                 "2026-10-01,gpt-4o,2000000,200000\n")
    res = CliRunner().invoke(main, ["usage", "price", str(f), "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    # Sept: 1M x 2.50 + 0.1M x 10 = 3.50; Oct: twice that = 7.00.
    assert lines[0].startswith("month,") and [float(l.split(",")[-2]) for l in lines[1:]] == [3.5, 7.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,model,input_tokens,output_tokens\n2026-09-01,gpt-4o,x,1\n")
    res = CliRunner().invoke(main, ["usage", "price", str(bad)])
    assert res.exit_code == 1 and f"{bad}:2: input_tokens: not a finite number" in res.output


def test_api_usage_csv_and_json(catalog, tmp_path):
    client = create_app(Settings(database=str(tmp_path / "db.sqlite3")), catalog=catalog).test_client()
    csv = "timestamp,model,input_tokens,output_tokens\n2026-09-01,gpt-4o,1000000,100000\n2026-09-02,gpt-4,1,1\n"
    body = client.post("/api/v1/usage", data=csv, content_type="text/csv").get_json()
    assert body["total_usd"] == pytest.approx(3.5) and body["priced_rows"] == 1
    assert body["unpriced"][0]["model"] == "gpt-4" and "gpt-4o" in body["unpriced"][0]["closest"]
    assert body["by_month"][0]["key"] == "2026-09"
    j = client.post("/api/v1/usage", json={"rows": [{"timestamp": "2026-09-01", "model": "gpt-4o",
                                                     "input_tokens": 1e6, "output_tokens": 1e5}]}).get_json()
    assert j["total_usd"] == pytest.approx(3.5)
    # The workload it returns runs as is.
    scen = {"workload": j["workload"], "closed": {"model": "gpt-4o"},
            "open": {"usd_per_gpu_hour": 2, "output_tokens_per_second_per_replica": 1000}}
    assert client.post("/api/v1/tco", json=scen).status_code == 200


def test_api_usage_errors(catalog, tmp_path):
    client = create_app(Settings(database=str(tmp_path / "db.sqlite3"), max_body_bytes=10_000),
                        catalog=catalog).test_client()
    res = client.post("/api/v1/usage", data="timestamp,model,input_tokens,output_tokens\n2026-01-01,gpt-4o,-1,2\n",
                      content_type="text/csv")
    assert res.status_code == 422
    assert res.get_json()["errors"] == [{"path": "csv.2.input_tokens", "message": "must be >= 0"}]
    res = client.post("/api/v1/usage", json={"rows": [{"timestamp": "2026-01-01", "model": "gpt-4o",
                                                       "input_tokens": 1, "output_tokens": "x"}]})
    assert res.status_code == 422 and res.get_json()["errors"][0]["path"].startswith("rows.0.output_tokens")
    big = "timestamp,model,input_tokens,output_tokens\n" + "2026-01-01,gpt-4o,1,1\n" * 1000
    assert client.post("/api/v1/usage", data=big, content_type="text/csv").status_code == 413
    assert client.post("/api/v1/usage", data="a", content_type="text/plain").status_code == 415


# ------------------------------------------------------------------ dated rows and their ends (issue 13)

def test_rows_priced_on_their_own_date_and_after_shutdown_reported():
    # gpt-4o in the shipped catalog: launch 5 / 15 from 2024-05-13, 2.50 / 10 from 2024-10-01
    # [USD/1M]; model_lifecycle shuts it down on 2027-01-14. Each row 1M in + 0.1M out:
    #   2024-06-01: 1 x 5.00 + 0.1 x 15 = 6.50
    #   2024-10-15: 1 x 2.50 + 0.1 x 10 = 3.50
    #   2027-02-01: after the shutdown, requests fail -> unpriced, never billed at the old price.
    rows = [{"timestamp": d, "model": "gpt-4o", "input_tokens": 1_000_000, "output_tokens": 100_000}
            for d in ("2024-06-01", "2024-10-15", "2027-02-01")]
    r = price_usage(pd.DataFrame(rows), load_catalog())
    assert r.rows["usd"].iloc[0] == pytest.approx(6.5)
    assert r.rows["usd"].iloc[1] == pytest.approx(3.5)
    assert np.isnan(r.rows["usd"].iloc[2]) and not r.rows["priced"].iloc[2]
    assert r.total_usd == pytest.approx(10.0)
    assert r.unpriced.to_dict("records") == [{"model": "gpt-4o", "rows": 1, "reason": "model shut down on 2027-01-14",
                                              "closest": ""}]


def test_row_after_effective_until_without_later_price_is_reported(tmp_path):
    # "gone" is priced 2 / 8 [USD/1M] from 2026-01-01 until 2026-02-01 and has no later row:
    # 2026-01-31 (last day in force): 1M x 2 = 2.00; 2026-02-01 (first day after): unpriced.
    cat = usage_catalog(tmp_path, [{"model_id": "gone", "usd_per_mtok_input": "2", "usd_per_mtok_output": "8",
                                    "effective_date": "2026-01-01", "effective_until": "2026-02-01"}])
    r = priced(cat, [{"timestamp": d, "model": "gone", "input_tokens": 1_000_000, "output_tokens": 0}
                     for d in ("2026-01-31", "2026-02-01")])
    assert r.rows["usd"].iloc[0] == pytest.approx(2.0)
    assert not r.rows["priced"].iloc[1]
    (row,) = r.unpriced.to_dict("records")
    assert row["rows"] == 1 and row["reason"].startswith("price ended on 2026-02-01")


def test_batch_cache_reads_at_the_batch_cache_price():
    # claude-sonnet-4-6 from 2026-03-13: input 3, cache read 0.30, batch input 1.50, batch cache read 0.15
    # [USD/1M]. A batch row of 1M input, 0.4M of it read from the cache, 10 requests:
    # 0.6M x 1.50 + 0.4M x 0.15 = 0.90 + 0.06 = 0.96 (0.6 x 1.5 + 0.4 x 0.30 = 1.02 without it).
    r = price_usage(pd.DataFrame([{"timestamp": "2026-04-01", "model": "claude-sonnet-4-6", "input_tokens": 1e6,
                                   "cached_input_tokens": 4e5, "output_tokens": 0, "batch": True,
                                   "requests": 10}]), load_catalog())
    assert r.rows["usd"].iloc[0] == pytest.approx(0.96)


def test_azure_batch_cache_reads_at_azures_batch_cache_meter():
    # azure/gpt-5.4 (global), Azure retail prices API meters [USD/1M]: '5.4 Batch inp Gl' 1.25,
    # '5.4 Batch cd inp Gl' 0.13, '5.4 Batch opt Gl' 7.5 (cache read on standard requests 0.25).
    # A batch row of 5 requests, 1M input in all (200k each, under the 272k long-context threshold),
    # 0.5M of it read from the cache, 0.1M output:
    # 0.5M x 1.25 + 0.5M x 0.13 + 0.1M x 7.5 = 0.625 + 0.065 + 0.75 = 1.44
    # (the cache reads at the 0.25 list price would make it 0.625 + 0.125 + 0.75 = 1.50).
    r = price_usage(pd.DataFrame([{"timestamp": "2026-11-15", "model": "azure/gpt-5.4", "input_tokens": 1e6,
                                   "cached_input_tokens": 5e5, "output_tokens": 1e5, "batch": True,
                                   "requests": 5}]), load_catalog())
    assert r.rows["usd"].iloc[0] == pytest.approx(1.44)


def test_gemini_batch_cache_reads_by_model():
    # Gemini API on 2026-11-15 [USD/1M]; each row one batch request of 1M input, 0.6M of it read from the
    # cache, 0.2M output (no long-context tier on either model):
    # gemini-3.8-flash (promotional list 0.75 / 0.075 cache / 3.75; Batch tab: 0.375 / 0.0375 / 1.875):
    #   0.4M x 0.375 + 0.6M x 0.0375 + 0.2M x 1.875 = 0.15 + 0.0225 + 0.375 = 0.5475
    # gemini-2.5-flash (0.30 / 0.03 cache / 2.50; Batch 0.15 / 1.25, cache reads at the standard 0.03):
    #   0.4M x 0.15 + 0.6M x 0.03 + 0.2M x 1.25 = 0.06 + 0.018 + 0.25 = 0.328
    rows = [{"timestamp": "2026-11-15", "model": m, "input_tokens": 1e6, "cached_input_tokens": 6e5,
             "output_tokens": 2e5, "batch": True} for m in ("gemini-3.8-flash", "gemini-2.5-flash")]
    r = price_usage(pd.DataFrame(rows), load_catalog())
    assert r.rows["usd"].tolist() == pytest.approx([0.5475, 0.328])
