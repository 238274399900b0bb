"""The genai-prices importer (tco.genai_prices): a small fixture in its data.json format, then the
data bundled with the installed package, cross-checked against that package's own calculator."""
from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO
from tco import genai_prices as gp
from tco.catalog import load_catalog, write_table
from tco.cli import main
from tco.lifecycle import price_schedule
from tco.tables import TABLES

SMALL = REPO / "tests" / "data" / "genai_prices_small.json"
READ = "2026-12-01"


@pytest.fixture(scope="module")
def small():
    return gp.import_genai_prices(SMALL, effective_date=READ)


def rows(result, model_id):
    return result.api_prices[result.api_prices["model_id"] == model_id].reset_index(drop=True)


def dates(df, col):
    return [None if pd.isna(v) else v for v in df[col]]


# ------------------------------------------------------------------ the small fixture

def test_counts_and_columns(small):
    # 11 models; 2 skipped (an embedding without output price, a negative price); the others give
    # 12 rows: gpt-test has 3 dated rows, gpt-future 2, the other seven 1 each.
    assert small.n_entries == 11 and len(small.api_prices) == 12
    assert small.skipped == {"no output token price": 1, "invalid price": 1}
    assert small.skipped_keys == {"no output token price": ["openai/text-embedding-test"],
                                  "invalid price": ["broken/negative"]}
    assert list(small.api_prices.columns) == TABLES["api_prices"].column_names
    assert small.image_prices.empty
    assert small.api_prices["is_estimate"].all() and not small.api_prices["promotion"].any()
    assert (small.api_prices["source_url"] == gp.GENAI_PRICES_SOURCE_URL).all()
    assert small.api_prices["notes"].str.startswith("imported from genai-prices").all()
    assert "genai-prices import: 11 entries read" in small.summary()


def test_dated_price_changes_become_dated_rows(small):
    # gpt-test: 10 / 40 (cache 2.5) until the 2025-06-10 cut to 2 / 8 (cache 0.5); the batch variant
    # (1 / 4) starts 2026-10-14.  The first price has no start date: dated the day before the cut.
    r = rows(small, "gpt-test")
    assert r["effective_date"].tolist() == ["2025-06-09", "2025-06-10", "2026-10-14"]
    assert dates(r, "effective_until") == ["2025-06-10", "2026-10-14", None]
    assert r["usd_per_mtok_input"].tolist() == [10.0, 2.0, 2.0]
    assert r["usd_per_mtok_output"].tolist() == [40.0, 8.0, 8.0]
    assert r["usd_per_mtok_cached_input"].tolist() == [2.5, 0.5, 0.5]
    assert r["usd_per_mtok_batch_input"].tolist()[2] == 1.0 and r["usd_per_mtok_batch_output"].tolist()[2] == 4.0
    assert r["usd_per_mtok_batch_input"].isna().tolist() == [True, True, False]
    assert r["context_window_tokens"].tolist() == [200000] * 3
    assert "dated the day before its first dated change" in r["notes"][0]
    assert "request variants not imported: service_tier: flex" in r["notes"][0]


def test_a_change_after_the_read_day_is_a_scheduled_row(small):
    r = rows(small, "gpt-future")
    assert r["effective_date"].tolist() == [READ, "2027-03-01"]
    assert dates(r, "effective_until") == ["2027-03-01", None]
    assert r["usd_per_mtok_input"].tolist() == [1.0, 1.5]
    assert "genai-prices marks the model deprecated" in r["notes"][0]


def test_tiers_cache_writes_and_batch_cache_reads(small):
    (row,) = rows(small, "claude-test").to_dict("records")
    assert (row["usd_per_mtok_input"], row["usd_per_mtok_output"], row["usd_per_mtok_cached_input"]) == (3, 15, 0.3)
    assert (row["usd_per_mtok_cache_write"], row["usd_per_mtok_cache_write_1h"]) == (3.75, 6.0)
    # One tier starting at 200k tokens: a prompt above it bills every token at 6 / 22.5 / 0.6.
    assert row["long_context_threshold_tokens"] == 200000
    assert (row["usd_per_mtok_input_long"], row["usd_per_mtok_output_long"],
            row["usd_per_mtok_cached_input_long"]) == (6.0, 22.5, 0.6)
    # Batch halves input, output and cache reads.
    assert (row["usd_per_mtok_batch_input"], row["usd_per_mtok_batch_output"],
            row["usd_per_mtok_batch_cached_input"]) == (1.5, 7.5, 0.15)
    assert "other prices not imported: web_searches_kcount" in row["notes"]
    assert row["effective_date"] == READ and "dated the day it was read" in row["notes"]


def test_ids_of_vendors_hosts_and_clouds(small):
    ids = dict(zip(small.api_prices["model_id"], small.api_prices["provider"]))
    assert ids["gpt-flat"] == "openai" and ids["claude-test"] == "anthropic" and ids["gemini-test"] == "google"
    assert ids["bedrock/anthropic.claude-test-v1:0"] == "bedrock"
    assert ids["vertex/claude-test"] == "google-vertex"                  # Google's Claude is a Vertex deployment
    assert ids["together/meta-llama/llama-3.3-70b-instruct-turbo"] == "together"
    assert rows(small, "together/meta-llama/llama-3.3-70b-instruct-turbo")["open_weights"].all()


def test_time_of_day_prices_are_left_out_and_said(small):
    (row,) = rows(small, "deepseek-test").to_dict("records")
    assert (row["usd_per_mtok_input"], row["usd_per_mtok_output"]) == (0.27, 1.1)
    assert "time-of-day prices not imported" in row["notes"]


def test_output_loads_and_prices_by_date(small, tmp_path):
    write_table(small.api_prices, tmp_path / "api_prices.csv", "api_prices")
    cat = load_catalog(base_dir=tmp_path, use_env=False, as_of=READ)
    assert cat.at("2025-06-09").api_price("gpt-test")["usd_per_mtok_input"] == 10.0
    assert cat.at("2025-06-10").api_price("gpt-test")["usd_per_mtok_input"] == 2.0
    # The scheduled change is named when priced over time: from 2027-01-01, March is month 2.
    s = price_schedule(cat, "openai/gpt-future", "2027-01-01", 4)
    assert s.prices["usd_per_mtok_input"].tolist() == [1.0, 1.0, 1.5, 1.5]
    assert [e.kind for e in s.events] == ["price_change"]


@pytest.mark.parametrize("text,fragment", [
    ('{"providers": []}', "expected a JSON array of providers"),
    ('[{"id": "x"}]', "expected a JSON array of providers"),
])
def test_bad_files(tmp_path, text, fragment):
    path = tmp_path / "data.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=fragment):
        gp.import_genai_prices(path)


def test_malformed_models_are_skipped_by_reason(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"id": "p", "name": "P", "api_pattern": "x", "models": [
        {"id": "no-prices", "match": {"equals": "a"}},
        {"id": "bad-date", "match": {"equals": "b"}, "prices": [
            {"prices": {"input_mtok": 1, "output_mtok": 1}},
            {"constraint": {"start_date": "2026-02-30"}, "prices": {"input_mtok": 1, "output_mtok": 2}}]},
        {"id": "bad-tier", "match": {"equals": "c"}, "prices": {
            "input_mtok": {"base": 1, "tiers": [{"start": "lots", "price": 2}]}, "output_mtok": 1}},
        {"id": "string-price", "match": {"equals": "d"}, "prices": {"input_mtok": "1", "output_mtok": 1}},
        {"id": "free", "match": {"equals": "e"}, "prices": {"input_mtok": 0, "output_mtok": 0}},
    ]}]))
    res = gp.import_genai_prices(path, effective_date=READ)
    assert res.skipped == {"invalid price": 2, "no prices": 1, "invalid start date": 1}
    assert res.api_prices["model_id"].tolist() == ["p/free"]


def test_cli_import_then_validate(tmp_path):
    runner = CliRunner()
    out = tmp_path / "genai"
    res = runner.invoke(main, ["catalog", "import-genai-prices", str(SMALL), "-o", str(out),
                               "--effective-date", READ])
    assert res.exit_code == 0, res.output
    assert "genai-prices import: 11 entries read" in res.output and (out / "api_prices.csv").exists()
    assert runner.invoke(main, ["catalog", "validate", str(out)]).exit_code == 0
    bad = runner.invoke(main, ["catalog", "import-genai-prices", str(SMALL), "-o", str(out),
                               "--effective-date", "2026-13-01"])
    assert bad.exit_code == 2 and "effective_date must be an ISO date" in bad.output


# ------------------------------------------------------------------ the package's bundled data

@pytest.fixture(scope="module")
def bundled():
    pytest.importorskip("genai_prices.data", reason="genai-prices is not installed")
    return gp.import_genai_prices(effective_date=READ)


def test_bundled_data_imports_and_loads(bundled, tmp_path):
    from genai_prices.data import providers
    assert bundled.n_entries == sum(len(p.models) for p in providers)
    assert len(bundled.api_prices) > 1000 and bundled.n_skipped < bundled.n_entries / 4
    write_table(bundled.api_prices, tmp_path / "api_prices.csv", "api_prices")
    cat = load_catalog(extra_dirs=[tmp_path], use_env=False, as_of=READ)     # on top of the shipped tables
    assert len(cat.history["api_prices"]) >= len(bundled.api_prices)


def _ref_cost(model, provider, day, context=None, **usage):
    """The package's own price of a request to ``model`` (its ModelInfo) on ``day`` [USD]."""
    from genai_prices import Usage
    ts = dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc)
    return float(model.calc_price(Usage(**usage), provider, genai_request_timestamp=ts,
                                  price_context=context).total_price)


def test_bundled_rows_agree_with_the_packages_calculator(bundled):
    """Every first-party row, on its first day and its last day, bills a small request as genai-prices'
    own calculator does: 1,000 input + 1,000 output tokens cost (input + output) / 1,000 USD; with
    batch, at the batch prices; a 300k-token prompt at the long-context prices (one tier only)."""
    from genai_prices.data import providers
    checked = 0
    by_id = {k: g for k, g in bundled.api_prices.groupby("model_id")}
    for p in providers:
        if p.id not in ("openai", "anthropic", "google", "mistral", "x-ai"):
            continue
        for m in p.models:
            _, mid = gp._ids(p.id, m.id)
            if mid not in by_id:
                continue
            for r in by_id[mid].to_dict("records"):
                first = dt.date.fromisoformat(r["effective_date"])
                last = first if pd.isna(r["effective_until"]) else (
                    dt.date.fromisoformat(r["effective_until"]) - dt.timedelta(days=1))
                for day in {first, last}:
                    ours = (r["usd_per_mtok_input"] + r["usd_per_mtok_output"]) / 1000
                    ref = _ref_cost(m, p, day, input_tokens=1000, output_tokens=1000)
                    assert ours == pytest.approx(ref, rel=1e-9, abs=1e-12), (mid, day)
                    if not math.isnan(r["usd_per_mtok_batch_input"]):
                        ours = (r["usd_per_mtok_batch_input"] + r["usd_per_mtok_batch_output"]) / 1000
                        ref = _ref_cost(m, p, day, {"processing": "batch"},
                                        input_tokens=1000, output_tokens=1000)
                        assert ours == pytest.approx(ref, rel=1e-9, abs=1e-12), (mid, day, "batch")
                    thr = r["long_context_threshold_tokens"]
                    if pd.notna(thr) and thr < 300_000 and "tiers above" not in r["notes"]:
                        ours = (300_000 * r["usd_per_mtok_input_long"] + 1000 * r["usd_per_mtok_output_long"]) / 1e6
                        ref = _ref_cost(m, p, day, input_tokens=300_000, output_tokens=1000)
                        assert ours == pytest.approx(ref, rel=1e-9), (mid, day, "long")
                    checked += 1
    assert checked > 200


def test_bundled_o3_price_cut_is_dated(bundled):
    # OpenAI cut o3 from 10 / 40 to 2 / 8 USD per 1M tokens on 2025-06-10.
    r = rows(bundled, "o3")
    cut = r[r["effective_date"] == "2025-06-10"]
    before = r[r["effective_until"] == "2025-06-10"]
    if cut.empty:
        pytest.skip("this genai-prices release does not date the o3 cut")
    assert (before["usd_per_mtok_input"].iloc[0], before["usd_per_mtok_output"].iloc[0]) == (10.0, 40.0)
    assert (cut["usd_per_mtok_input"].iloc[0], cut["usd_per_mtok_output"].iloc[0]) == (2.0, 8.0)
    assert np.all(r["effective_date"].to_numpy() < r["effective_until"].fillna("9999").to_numpy())
