"""Tests of tco.litellm: importing LiteLLM's JSON price list into api_prices / image_prices.

The small fixture tests/data/litellm_small.json is handwritten; the expected numbers
below are worked out by hand in the comments.  The real LiteLLM file is used when it is
present next to the repository (../shared/data/litellm_model_prices.json).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from tco import litellm
from tco.litellm import LITELLM_SOURCE_URL, ImportResult, import_litellm
from tco.tables import TABLES

SMALL = Path(__file__).parent / "data" / "litellm_small.json"
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "litellm_model_prices.json"
DATE = "2026-01-15"


@pytest.fixture(scope="module")
def small() -> ImportResult:
    return import_litellm(SMALL, effective_date=DATE)


@pytest.fixture(scope="module")
def real() -> ImportResult:
    if not REAL.is_file():
        pytest.skip(f"real LiteLLM file not found at {REAL}")
    return import_litellm(REAL, effective_date=DATE)


def api_row(result: ImportResult, model_id: str) -> pd.Series:
    rows = result.api_prices[result.api_prices["model_id"] == model_id]
    assert len(rows) == 1, f"expected one api_prices row for {model_id}, found {len(rows)}"
    return rows.iloc[0]


def image_row(result: ImportResult, model_id: str, size: str, quality: str) -> pd.Series:
    df = result.image_prices
    rows = df[(df["model_id"] == model_id) & (df["size"] == size) & (df["quality"] == quality)]
    assert len(rows) == 1, f"expected one image_prices row for {model_id} {size} {quality}, found {len(rows)}"
    return rows.iloc[0]


# --------------------------------------------------------------------------- small fixture: totals

def test_small_every_entry_is_accounted_for(small):
    n_entries = len(json.loads(SMALL.read_text()))
    assert n_entries == 15
    # 5 token-priced rows + 3 image rows + 7 skipped entries = 15 entries.
    assert len(small.api_prices) == 5
    assert len(small.image_prices) == 3
    assert sum(small.skipped.values()) == 7
    assert len(small.api_prices) + len(small.image_prices) + sum(small.skipped.values()) == n_entries
    assert small.n_entries == n_entries


def test_small_skip_reasons(small):
    assert small.skipped == {
        "sample_spec": 1,               # the documentation entry
        "duplicate id": 1,              # vertex_ai/claude-haiku-20241022 collides with ...Claude-Haiku@20241022
        "negative price": 1,            # broken/negative-price-model
        "no output token price": 1,     # no-output-price-model
        "mode embedding": 1,            # text-embedding-test
        "alias": 1,                     # claude-test-latest
        "image priced per token": 1,    # gpt-image-token-test
    }
    assert small.skipped_keys["duplicate id"] == ["vertex_ai/claude-haiku-20241022"]
    assert small.skipped_keys["negative price"] == ["broken/negative-price-model"]


def test_small_columns_match_schema(small):
    assert list(small.api_prices.columns) == TABLES["api_prices"].column_names
    assert list(small.image_prices.columns) == TABLES["image_prices"].column_names
    api = small.api_prices
    assert api["usd_per_mtok_input"].dtype == "float64"
    assert api["context_window_tokens"].dtype == "Int64"
    assert api["long_context_threshold_tokens"].dtype == "Int64"
    assert api["open_weights"].dtype == bool
    assert small.image_prices["usd_per_image"].dtype == "float64"
    for df in (small.api_prices, small.image_prices):
        assert (df["effective_date"] == DATE).all()
        assert (df["source_url"] == LITELLM_SOURCE_URL).all()
        assert df["notes"].str.startswith("imported from LiteLLM").all()


def test_small_ids_are_valid(small):
    pattern = r"^[a-z0-9][a-z0-9._:/-]*$"
    for df in (small.api_prices, small.image_prices):
        assert df["model_id"].str.match(pattern).all()
        assert df["provider"].str.match(pattern).all()
    assert small.image_prices["quality"].str.match(pattern).all()


# --------------------------------------------------------------------------- small fixture: api_prices

def test_chat_model_with_cache_and_batch_prices(small):
    row = api_row(small, "claude-sonnet-test")
    assert row["provider"] == "anthropic"
    assert row["display_name"] == "claude-sonnet-test"
    assert row["usd_per_mtok_input"] == 3.0            # 3e-06 USD/token x 1e6 = 3.0 USD/1M
    assert row["usd_per_mtok_output"] == 15.0          # 1.5e-05 x 1e6 = 15.0
    assert row["usd_per_mtok_cached_input"] == 0.3     # 3e-07 x 1e6 = 0.3
    assert row["usd_per_mtok_cache_write"] == 3.75     # 3.75e-06 x 1e6 = 3.75
    assert row["usd_per_mtok_batch_input"] == 1.5      # 1.5e-06 x 1e6 = 1.5
    assert row["usd_per_mtok_batch_output"] == 7.5     # 7.5e-06 x 1e6 = 7.5
    assert row["context_window_tokens"] == 200000
    assert pd.isna(row["long_context_threshold_tokens"])
    assert math.isnan(row["usd_per_mtok_input_long"])
    assert row["region"] == "global"
    assert not row["open_weights"]
    assert row["notes"] == "imported from LiteLLM"
    # Columns of issue 13: 1-hour cache write and batch cache read, and the estimate flag (the row
    # was read from LiteLLM's file, not the vendor's page; the note says so).
    assert row["usd_per_mtok_cache_write_1h"] == 6.0         # 6e-06 x 1e6
    assert row["usd_per_mtok_batch_cached_input"] == 0.15    # 1.5e-07 x 1e6
    assert row["is_estimate"] and not row["promotion"]
    assert pd.isna(row["effective_until"])


def test_deprecation_dates_become_lifecycle_rows(small):
    # Only claude-sonnet-test carries a valid deprecation_date; gemini's "soon" is not a date.
    life = small.model_lifecycle
    assert list(life.columns) == TABLES["model_lifecycle"].column_names
    assert life[["model_id", "deprecation_date", "effective_date", "source_url"]].values.tolist() == [
        ["claude-sonnet-test", "2027-06-30", DATE, "https://docs.example.com/model-deprecations"]]
    assert pd.isna(life["shutdown_date"].iloc[0]) and "deprecation_date" in life["notes"].iloc[0]
    assert "model_lifecycle: 1 rows" in small.summary()


def test_long_context_tier_above_200k(small):
    row = api_row(small, "gemini/gemini-pro-test")
    assert row["provider"] == "gemini"
    assert row["usd_per_mtok_input"] == 1.25               # 1.25e-06 x 1e6
    assert row["usd_per_mtok_output"] == 10.0              # 1e-05 x 1e6
    assert row["usd_per_mtok_cached_input"] == 0.125       # 1.25e-07 x 1e6
    assert row["long_context_threshold_tokens"] == 200000  # "_above_200k_tokens" -> 200 x 1000
    assert row["usd_per_mtok_input_long"] == 2.5           # 2.5e-06 x 1e6 (the _priority variant is ignored)
    assert row["usd_per_mtok_output_long"] == 15.0         # 1.5e-05 x 1e6
    assert row["usd_per_mtok_cached_input_long"] == 0.25   # 2.5e-07 x 1e6
    assert row["context_window_tokens"] == 1048576
    assert math.isnan(row["usd_per_mtok_cache_write"])     # no cache_creation_input_token_cost
    assert math.isnan(row["usd_per_mtok_batch_input"])


def test_lowest_of_several_tiers_is_imported_and_noted(small):
    row = api_row(small, "gpt-test-two-tiers")             # mode "responses"
    assert row["usd_per_mtok_input"] == 1.1                # 1.1e-06 x 1e6
    assert row["usd_per_mtok_output"] == 4.4               # 4.4e-06 x 1e6
    assert row["long_context_threshold_tokens"] == 128000  # lowest of 128k and 256k
    assert row["usd_per_mtok_input_long"] == 2.2           # 2.2e-06 x 1e6
    assert row["usd_per_mtok_output_long"] == 6.6          # 6.6e-06 x 1e6 (naively 6.6000000000000005)
    assert math.isnan(row["usd_per_mtok_cached_input_long"])
    assert "256k" in row["notes"]


def test_region_open_weights_and_one_sided_batch(small):
    row = api_row(small, "eu.meta.llama3-test-v1:0")
    assert row["provider"] == "bedrock"
    assert row["region"] == "eu"                           # "eu." prefix
    assert row["open_weights"]                             # "llama" in the name
    assert row["usd_per_mtok_input"] == 0.2                # 2e-07 x 1e6 (naively 0.19999999999999998)
    assert row["usd_per_mtok_output"] == 0.8               # 8e-07 x 1e6 (naively 0.7999999999999999)
    # Only an input batch price: our table wants both or neither, so neither is kept.
    assert math.isnan(row["usd_per_mtok_batch_input"])
    assert math.isnan(row["usd_per_mtok_batch_output"])
    assert "batch" in row["notes"]
    assert pd.isna(row["context_window_tokens"])           # no max_input_tokens


def test_odd_characters_are_normalised_and_first_key_wins(small):
    row = api_row(small, "vertex_ai/claude-haiku-20241022")
    assert row["display_name"] == "vertex_ai/Claude-Haiku@20241022"   # upper case and "@" -> id
    assert row["provider"] == "vertex_ai-anthropic_models"
    assert row["usd_per_mtok_input"] == 0.8                # 8e-07 x 1e6, from the first of the two keys
    assert row["usd_per_mtok_output"] == 4.0               # 4e-06 x 1e6


# --------------------------------------------------------------------------- small fixture: image_prices

def test_image_with_per_image_price(small):
    row = image_row(small, "stability/sd-test", "any", "any")
    assert row["provider"] == "stability"
    assert row["usd_per_image"] == 0.04                    # output_cost_per_image


def test_image_with_quality_and_size_in_key(small):
    row = image_row(small, "gpt-image-test", "1024x1024", "low")
    assert row["display_name"] == "low/1024-x-1024/gpt-image-test"
    assert row["usd_per_image"] == 0.011                   # input_cost_per_image (LiteLLM's slot for it)


def test_image_priced_per_pixel(small):
    row = image_row(small, "azure/dall-e-test", "1024x1792", "hd")
    # 7.19343e-08 USD/pixel x (1024 x 1792 = 1,835,008 pixels) = 0.13200002 -> 0.132 USD/image
    assert row["usd_per_image"] == 0.132
    assert row["provider"] == "azure"


# --------------------------------------------------------------------------- helpers

@pytest.mark.parametrize("usd_per_token, usd_per_mtok", [
    (2.5e-06, 2.5), (6.6e-06, 6.6), (2e-07, 0.2), (1.6e-06, 1.6), (1.3e-10, 0.00013),
    (1.6666667e-07, 0.16666667), (0.0, 0.0), (3.0, 3_000_000.0), (None, None),
])
def test_per_token_to_per_million_is_exact(usd_per_token, usd_per_mtok):
    assert litellm._per_mtok(usd_per_token) == usd_per_mtok


@pytest.mark.parametrize("key, expected", [
    ("gpt-4o", ("gpt-4o", "any", "any", None)),
    ("high/1536-x-1024/gpt-image-1", ("gpt-image-1", "1536x1024", "high", 1572864)),
    ("fal_ai/medium/1920-x-1080/openai/gpt-image-2", ("fal_ai/openai/gpt-image-2", "1920x1080", "medium", 2073600)),
    ("512-x-512/50-steps/stability.sd-v0", ("stability.sd-v0", "512x512", "50-steps", 262144)),
    ("fal_ai/fal-ai/imagen4/preview/fast", ("fal_ai/fal-ai/imagen4/preview/fast", "any", "any", None)),
])
def test_parse_image_key(key, expected):
    assert litellm._parse_image_key(key) == expected


@pytest.mark.parametrize("key, region", [
    ("azure/eu/gpt-4o", "eu"), ("eu.anthropic.claude-x", "eu"), ("bedrock/eu-central-1/anthropic.claude-v1", "eu"),
    ("us.anthropic.claude-x", "us"), ("bedrock/us-gov-west-1/meta.llama3", "us"), ("azure/us/gpt-5", "us"),
    ("jp.anthropic.claude-x", "apac"), ("bedrock/ap-northeast-1/anthropic.claude-v1", "apac"),
    ("gpt-4o", "global"), ("global.anthropic.claude-x", "global"), ("eu_jev/eu-jeff-1.0.0", "global"),
])
def test_region(key, region):
    assert litellm._region(key) == region


@pytest.mark.parametrize("key, is_open", [
    ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", True), ("groq/openai/gpt-oss-120b", True),
    ("mistral/open-mixtral-8x22b", True), ("deepseek/deepseek-chat", True), ("gemini/gemma-3-27b-it", True),
    ("dashscope/qwen3-235b-a22b", True), ("dashscope/qwen-max", False), ("dashscope/qwen3-coder-plus", False),
    ("gpt-4o", False), ("claude-sonnet-4-5", False), ("gemini/gemini-2.5-pro", False),
    ("llamagate/gpt-4o", False),  # provider names do not count, only the model name
])
def test_open_weights_heuristic(key, is_open):
    assert litellm._is_open_weights(key) is is_open


# --------------------------------------------------------------------------- arguments and output

def test_effective_date_defaults_to_today():
    result = import_litellm(SMALL)
    assert (result.api_prices["effective_date"] == dt.date.today().isoformat()).all()


def test_effective_date_accepts_a_date_and_rejects_garbage():
    result = import_litellm(SMALL, effective_date=dt.date(2025, 7, 1))
    assert (result.image_prices["effective_date"] == "2025-07-01").all()
    with pytest.raises(ValueError, match="effective_date"):
        import_litellm(SMALL, effective_date="1 July 2025")


def test_source_url_argument():
    url = "https://example.org/litellm-fork/prices.json"
    result = import_litellm(SMALL, effective_date=DATE, source_url=url)
    assert (result.api_prices["source_url"] == url).all()
    with pytest.raises(ValueError, match="source_url"):
        import_litellm(SMALL, source_url="not a url")


def test_file_must_hold_a_json_object(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match="JSON object"):
        import_litellm(path)


def test_invalid_prices_are_skipped(tmp_path):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({
        "text-price": {"mode": "chat", "litellm_provider": "x", "input_cost_per_token": "1e-6",
                       "output_cost_per_token": 1e-06},
        "nan-price": {"mode": "chat", "litellm_provider": "x", "input_cost_per_token": float("nan"),
                      "output_cost_per_token": 1e-06},
        "no-provider": {"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
        "not-a-dict": 42,
        "free-model": {"mode": "chat", "litellm_provider": "ollama", "input_cost_per_token": 0,
                       "output_cost_per_token": 0.0},
    }))
    result = import_litellm(path, effective_date=DATE)
    assert result.skipped == {"invalid price": 2, "no provider": 1, "not an object": 1}
    assert api_row(result, "free-model")["usd_per_mtok_input"] == 0.0   # free is a valid price


def test_summary_reports_rows_and_skips(small):
    text = small.summary()
    assert "15 entries read" in text
    assert "api_prices: 5 rows" in text
    assert "image_prices: 3 rows" in text
    assert "skipped: 7 entries" in text
    for reason in small.skipped:
        assert reason in text


def test_output_with_lifecycle_loads_as_an_overlay(small, tmp_path):
    from tco.catalog import load_catalog, write_table
    for name in ("api_prices", "image_prices", "model_lifecycle"):
        write_table(getattr(small, name), tmp_path / f"{name}.csv", name)
    cat = load_catalog(base_dir=tmp_path, use_env=False, as_of=DATE)
    assert cat.model_lifecycle["deprecation_date"].iloc[0] == pd.Timestamp("2027-06-30")
    assert cat.api_price("claude-sonnet-test")["is_estimate"] is True


def test_output_loads_as_catalog_tables(small, tmp_path):
    """The imported frames, written as CSV, pass the catalog's own validation."""
    catalog = pytest.importorskip("tco.catalog")
    for name, df in (("api_prices", small.api_prices), ("image_prices", small.image_prices)):
        path = tmp_path / f"{name}.csv"
        catalog.write_table(df, path, name)
        rows, errors = catalog.read_table_file(path, TABLES[name])
        assert errors == []
        assert len(rows.records) == len(df)


# --------------------------------------------------------------------------- the real LiteLLM file

def test_real_file_totals_add_up(real):
    n_entries = len(json.loads(REAL.read_text()))
    assert len(real.api_prices) + len(real.image_prices) + sum(real.skipped.values()) == n_entries
    assert real.skipped["sample_spec"] == 1
    assert all(count > 0 for count in real.skipped.values())


def test_real_file_imports_most_chat_models(real):
    assert len(real.api_prices) >= 3000
    assert len(real.image_prices) >= 100
    assert real.api_prices["model_id"].is_unique
    assert not real.image_prices.duplicated(["model_id", "size", "quality"]).any()
    assert (real.api_prices["usd_per_mtok_input"] >= 0).all()
    assert (real.image_prices["usd_per_image"] >= 0).all()


def test_real_file_gpt_4o(real):
    row = api_row(real, "gpt-4o")
    assert row["provider"] == "openai"
    assert row["usd_per_mtok_input"] == 2.5     # 2.5e-06 USD/token
    assert row["usd_per_mtok_output"] == 10.0   # 1e-05 USD/token


def test_real_file_loads_as_catalog_tables(real, tmp_path):
    catalog = pytest.importorskip("tco.catalog")
    for name, df in (("api_prices", real.api_prices), ("image_prices", real.image_prices)):
        path = tmp_path / f"{name}.csv"
        catalog.write_table(df, path, name)
        rows, errors = catalog.read_table_file(path, TABLES[name])
        assert errors[:5] == []
        assert len(rows.records) == len(df)
