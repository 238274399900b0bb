"""Loading, validation rules, overlay, as_of, lookups of the pricing catalog."""
from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from conftest import REPO, write_csv
from tco.catalog import CatalogError, load_catalog
from tco.tables import TABLES

SRC = "https://example.com/pricing"


def gpu_row(**kw):
    row = dict(gpu_id="gpu-a", display_name="GPU A", vendor="nvidia", memory_gb="80",
               memory_bandwidth_tbps="3.35", bf16_dense_tflops="989", fp8_dense_tflops="1979",
               tdp_watts="700", interconnect="nvlink", gpus_per_server="8", purchase_usd="30000",
               purchase_usd_is_estimate="true", effective_date="2025-01-01", source_url=SRC)
    row.update(kw)
    return row


def rate_row(**kw):
    row = dict(provider="cloud-x", gpu_id="gpu-a", term="on_demand", usd_per_gpu_hour="2.5",
               effective_date="2025-01-01", source_url=SRC)
    row.update(kw)
    return row


def life_row(**kw):
    row = dict(provider="vendor", model_id="model-a", shutdown_date="2027-01-14", successor_model_id="model-b",
               effective_date="2026-11-01", source_url=SRC)
    row.update(kw)
    return row


def alias_row(**kw):
    row = dict(alias="vendor/model-a", model_id="model-a", namespace="litellm", source_url=SRC)
    row.update(kw)
    return row


def api_row(**kw):
    row = dict(provider="vendor", model_id="model-a", display_name="Model A", usd_per_mtok_input="2.5",
               usd_per_mtok_output="10", open_weights="false", effective_date="2025-01-01", source_url=SRC)
    row.update(kw)
    return row


@pytest.fixture
def mini(tmp_path):
    """A tiny, valid, self-contained set of tables (no shipped base)."""
    d = tmp_path / "mini"
    write_csv(d / "gpus.csv", "gpus", [gpu_row(), gpu_row(gpu_id="gpu-b", display_name="GPU B")])
    write_csv(d / "gpu_rates.csv", "gpu_rates", [rate_row(), rate_row(gpu_id="gpu-b", usd_per_gpu_hour="1.0")])
    write_csv(d / "api_prices.csv", "api_prices", [api_row()])
    return d


def load(d, **kw):
    return load_catalog(base_dir=d, use_env=False, **kw)


# ------------------------------------------------------------------ shipped tables

def test_shipped_tables_load_and_cover_the_brief(catalog):
    counts = catalog.row_counts()
    assert counts["api_prices"] >= 40
    providers = set(catalog.api_prices["provider"])
    for p in ("openai", "anthropic", "azure", "mistral"):
        assert p in providers, p
    assert any(p.startswith("google") for p in providers)
    # Hosted open models: Llama from at least two hosts.
    llama_hosts = set(catalog.api_prices.loc[
        catalog.api_prices["model_id"].str.contains("llama") & catalog.api_prices["open_weights"], "provider"])
    assert len(llama_hosts) >= 2, llama_hosts
    for g in ("h100-sxm", "h100-pcie", "h200", "b200", "a100-80gb", "a100-40gb", "l40s", "l4", "a10g",
              "mi300x", "rtx-4090"):
        catalog.gpu(g)
    for m in ("llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "llama-3.3-70b", "mistral-7b", "mixtral-8x7b",
              "mixtral-8x22b", "mistral-small-24b", "qwen2.5-72b", "deepseek-v3", "gpt-oss-20b", "gpt-oss-120b",
              "sdxl", "sd-3.5-large"):
        catalog.open_model(m)
    assert counts["seat_prices"] >= 6 and counts["image_prices"] >= 5
    assert counts["gpu_rates"] >= 15 and counts["throughput_benchmarks"] >= 20


def test_every_shipped_row_is_dated_and_sourced(catalog):
    for name, df in catalog.history.items():
        if TABLES[name].dated:
            assert df["effective_date"].notna().all(), name
        sourced = df["source_url"].str.match(r"^https?://").fillna(False).astype(bool)
        if "is_estimate" in df:   # or flagged as an estimate, the reason in notes (checked on load)
            sourced = sourced | df["is_estimate"].fillna(False).astype(bool)
        assert sourced.all(), name


#: The vendor's own sites per provider (API, seat, image and rate rows) or GPU maker (gpus): a row whose
#: source is anywhere else (a reseller, a tracker, a transcription) must be flagged is_estimate.
VENDOR_SITES = {
    "openai": ("openai.com",), "anthropic": ("claude.com", "anthropic.com"), "google": ("google.dev", "google.com"),
    "google-vertex": ("cloud.google.com",), "azure": ("azure.com", "microsoft.com"), "microsoft": ("microsoft.com",),
    "bedrock": ("aws.amazon.com",), "amazon": ("aws.amazon.com",), "aws": ("aws.amazon.com",),
    "aws-capacity-blocks": ("aws.amazon.com",), "mistral": ("mistral.ai",), "deepseek": ("deepseek.com",),
    "alibaba": ("alibabacloud.com",), "cohere": ("cohere.com",), "moonshot": ("kimi.ai", "moonshot.ai", "moonshot.cn"),
    "xai": ("x.ai",), "together": ("together.ai",), "fireworks": ("fireworks.ai",), "deepinfra": ("deepinfra.com",),
    "nebius": ("nebius.com",), "groq": ("groq.com",), "cerebras": ("cerebras.ai",), "github": ("github.com",),
    "fal": ("fal.ai",), "black-forest-labs": ("bfl.ai",), "stability": ("stability.ai",),
    "nvidia": ("nvidia.com", "nvdam.widen.net"), "amd": ("amd.com",), "gcp": ("cloud.google.com",),
    "lambda": ("lambda.ai",), "coreweave": ("coreweave.com",), "runpod": ("runpod.io",),
    "runpod-community": ("runpod.io",), "crusoe": ("crusoe.ai",), "hyperstack": ("hyperstack.cloud",),
    "oracle": ("oracle.com",), "tensorwave": ("tensorwave.com",), "vultr": ("vultr.com",), "vast": ("vast.ai",),
}


@pytest.mark.parametrize("table", ["api_prices", "seat_prices", "image_prices", "gpus", "gpu_rates"])
def test_every_shipped_price_row_has_a_source_and_an_estimate_flag(catalog, table):
    # The rule: every API, seat, image, GPU and rate row has a vendor source or is flagged
    # as an estimate with the reason -- so is_estimate is never left blank in the shipped tables.
    df = catalog.history[table]
    assert df["source_url"].str.match(r"^https?://\S+$").all()
    blank = df.loc[df["is_estimate"].isna(), df.columns[:2]]
    assert blank.empty, f"rows with a blank is_estimate:\n{blank}"
    flagged = df["is_estimate"].fillna(False).astype(bool)
    assert df.loc[flagged, "notes"].str.len().gt(0).all(), "an estimate without its reason in notes"
    # A row not flagged as an estimate cites its vendor's own site.
    who = df["vendor" if table == "gpus" else "provider"]
    unknown = set(who) - set(VENDOR_SITES)
    assert not unknown, f"add the vendor's sites of {sorted(unknown)} to VENDOR_SITES"
    host = df["source_url"].str.extract(r"^https?://([^/:]+)", expand=False).str.lower()
    own = [any(h == d or h.endswith("." + d) for d in VENDOR_SITES[w]) for w, h in zip(who, host)]
    elsewhere = df.loc[~flagged & ~pd.Series(own, index=df.index), [df.columns[1], "source_url"]]
    assert elsewhere.empty, f"rows citing a third party without is_estimate:\n{elsewhere}"


def test_shipped_tables_cover_the_december_2026_lineup(catalog):
    # Issue 13's lists: the GPUs and open-model architectures users pick now, rates beyond on demand.
    for g in ("b300", "gb200-nvl72", "gb300-nvl72", "mi325x", "mi355x", "rtx-5090", "rtx-pro-6000"):
        catalog.gpu(g)
    for m in ("llama-4-scout", "llama-4-maverick", "qwen3-8b", "qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b",
              "qwen3.6-35b-a3b", "deepseek-v3.1", "deepseek-v3.2-exp", "deepseek-r1", "kimi-k2"):
        catalog.open_model(m)
    assert {"on_demand", "reserved_1y", "spot"} <= set(catalog.gpu_rates["term"])
    # A rack-scale NVLink domain is one "server" of 72 GPUs (tables.py allows 1 to 72).
    assert catalog.gpu("gb200-nvl72")["gpus_per_server"] == 72
    # Every GPU row says how much memory the device really has, in binary GiB.
    assert catalog.history["gpus"]["memory_gib"].notna().all()


def test_rtx_4090_tensor_tflops_are_the_ada_whitepapers_dense_figures(catalog):
    # NVIDIA Ada GPU architecture whitepaper, RTX 4090 column: peak FP16/BF16 tensor TFLOPS with FP32
    # accumulate 165.2 (330.4 with sparsity), peak FP8 tensor TFLOPS with FP32 accumulate 330.3 (660.6).
    gpu = catalog.gpu("rtx-4090")
    assert (gpu["bf16_dense_tflops"], gpu["fp8_dense_tflops"]) == (165.2, 330.3)


def test_a_retired_models_last_row_ends_on_its_shutdown_day(catalog):
    # Old prices stay as history; the newest row of a model with a shutdown date ends on that date.
    life = catalog.history["model_lifecycle"].sort_values("effective_date").drop_duplicates("model_id", keep="last")
    shut = life.dropna(subset=["shutdown_date"]).set_index("model_id")["shutdown_date"]
    checked = 0
    for table in ("api_prices", "image_prices"):
        hist = catalog.history[table]
        last = hist[hist["effective_date"] == hist.groupby("model_id")["effective_date"].transform("max")]
        last = last[last["model_id"].isin(shut.index)]
        wrong = last[last["effective_until"].to_numpy() != shut.loc[last["model_id"]].to_numpy()]
        assert wrong.empty, wrong[["model_id", "effective_date", "effective_until"]]
        checked += len(last)
    assert checked >= 50


def test_gpt_4o_price_until_its_shutdown(catalog):
    # OpenAI's pricing page: $2.50 / $10 per 1M tokens since 2024-10-01; its deprecations page: shut down on
    # 2027-01-14, replacement gpt-6-luna. The row ends on the shutdown day, after which no price is in force.
    row = catalog.at("2026-12-01").api_price("gpt-4o")
    assert (row["usd_per_mtok_input"], row["usd_per_mtok_output"]) == (2.5, 10.0)
    assert row["effective_until"] == "2027-01-14"
    with pytest.raises(KeyError, match="shut down 2027-01-14, successor gpt-6-luna"):
        catalog.at("2027-01-14").api_price("gpt-4o")


# ------------------------------------------------------------------ validation rules

def test_valid_minimal_tables_load(mini):
    cat = load(mini)
    assert cat.row_counts()["gpus"] == 2
    assert cat.gpu_rates["usd_per_gpu_hour"].dtype == float
    assert cat.gpus["gpus_per_server"].dtype == "Int64"


@pytest.mark.parametrize("table,row,column,fragment", [
    ("api_prices", api_row(usd_per_mtok_input="-1"), "usd_per_mtok_input", "greater than or equal to 0"),
    ("api_prices", api_row(usd_per_mtok_output="ten"), "usd_per_mtok_output", "Not a valid number"),
    ("api_prices", api_row(usd_per_mtok_output="nan"), "usd_per_mtok_output", ""),
    ("api_prices", api_row(effective_date="2025-13-01"), "effective_date", "Not a valid date"),
    ("api_prices", api_row(source_url="example.com"), "source_url", "Not a valid URL"),
    ("api_prices", api_row(source_url=""), "source_url", "Missing data"),
    ("api_prices", api_row(model_id="Model A"), "model_id", "Not a valid id"),
    ("api_prices", api_row(long_context_threshold_tokens="200000"), "usd_per_mtok_input_long", "Required when"),
    ("api_prices", api_row(usd_per_mtok_batch_input="1"), "usd_per_mtok_batch_output", "both batch prices"),
    ("gpus", gpu_row(interconnect="infiniband"), "interconnect", "Must be one of"),
    ("gpus", gpu_row(gpus_per_server="2.5"), "gpus_per_server", "Not a valid integer"),
    ("gpu_rates", rate_row(term="weekly"), "term", "Must be one of"),
    ("gpu_rates", rate_row(usd_per_gpu_hour="5000"), "usd_per_gpu_hour", "less than or equal to 1000"),
    # lifecycle columns
    ("api_prices", api_row(effective_until="2025-01-01"), "effective_until", "Must be after effective_date"),
    ("api_prices", api_row(effective_until="2024-12-31"), "effective_until", "Must be after effective_date"),
    ("api_prices", api_row(promotion="true"), "effective_until", "Required when promotion is true"),
    ("api_prices", api_row(promotion="maybe"), "promotion", "Not a valid boolean"),
    ("api_prices", api_row(is_estimate="true"), "notes", "Required when is_estimate is true"),
    ("api_prices", api_row(usd_per_mtok_cache_write_1h="-6"), "usd_per_mtok_cache_write_1h", "greater than or equal"),
    ("gpus", gpu_row(platform="metal"), "platform", "Must be one of: cuda, rocm"),
    ("gpus", gpu_row(memory_gib="0.5"), "memory_gib", "greater than or equal to 1"),
    ("gpu_rates", rate_row(effective_until="2024-06-01"), "effective_until", "Must be after effective_date"),
])
def test_each_bad_value_is_reported_with_file_line_and_column(mini, table, row, column, fragment):
    base_rows = {"api_prices": [api_row(model_id="ok-model")], "gpus": [gpu_row(gpu_id="gpu-c")],
                 "gpu_rates": [rate_row(provider="cloud-y")]}[table]
    path = write_csv(mini / f"{table}.csv", table, base_rows + [row] +
                     ([gpu_row(), gpu_row(gpu_id="gpu-b")] if table == "gpus" else []))
    with pytest.raises(CatalogError) as err:
        load(mini)
    # The bad row is the second data row: line 3 (line 1 is the header).
    expected_prefix = f"{path}:3: {column}: "
    lines = [e for e in err.value.errors if e.startswith(expected_prefix)]
    assert lines, err.value.errors
    assert fragment in lines[0]


def test_unknown_gpu_in_gpu_rates_names_closest(mini):
    path = write_csv(mini / "gpu_rates.csv", "gpu_rates", [rate_row(), rate_row(gpu_id="gpu-z")])
    with pytest.raises(CatalogError) as err:
        load(mini)
    (line,) = err.value.errors
    assert line.startswith(f"{path}:3: gpu_id: unknown gpu_id 'gpu-z' (not in gpus.csv); closest: ")
    assert "gpu-a" in line and "gpu-b" in line


def test_duplicate_key_is_an_error(mini):
    path = write_csv(mini / "gpu_rates.csv", "gpu_rates", [rate_row(), rate_row(usd_per_gpu_hour="3")])
    with pytest.raises(CatalogError) as err:
        load(mini)
    assert len(err.value.errors) == 1
    assert err.value.errors[0].startswith(f"{path}:3: provider: duplicate key")
    assert "first seen on line 2" in err.value.errors[0]


def test_all_errors_of_one_load_are_reported_together(mini):
    write_csv(mini / "api_prices.csv", "api_prices",
              [api_row(usd_per_mtok_input="-1"), api_row(model_id="b", effective_date="yesterday")])
    write_csv(mini / "gpu_rates.csv", "gpu_rates", [rate_row(gpu_id="nope")])
    with pytest.raises(CatalogError) as err:
        load(mini)
    cols = sorted(e.split(": ")[1] for e in err.value.errors)
    assert cols == ["effective_date", "gpu_id", "usd_per_mtok_input"]


def test_unknown_and_missing_columns(mini):
    path = mini / "gpu_rates.csv"
    path.write_text("provider,gpu_id,term,usd_per_gpu_hr,effective_date,source_url\n")
    with pytest.raises(CatalogError) as err:
        load(mini)
    assert f"{path}:1: usd_per_gpu_hr: unknown column (did you mean 'usd_per_gpu_hour'?)" in err.value.errors
    assert f"{path}:1: usd_per_gpu_hour: required column missing" in err.value.errors


def test_unknown_table_file_and_ragged_row(mini):
    (mini / "gpu.csv").write_text("x\n")
    with open(mini / "gpu_rates.csv", "a") as fh:
        fh.write("cloud-z,gpu-a\n")
    with pytest.raises(CatalogError) as err:
        load(mini)
    text = "\n".join(err.value.errors)
    assert "gpu.csv:0: -: unknown table (did you mean gpus.csv?)" in text
    assert "gpu_rates.csv:4: -: expected 12 fields, found 2" in text  # 9 columns + effective_until, is_estimate, checked_date


def test_open_model_rules(tmp_path):
    row = dict(model_id="m", display_name="M", modality="text", total_params_b="7", active_params_b="8",
               license="x", effective_date="2025-01-01", source_url=SRC)
    path = write_csv(tmp_path / "open_models.csv", "open_models", [row])
    with pytest.raises(CatalogError) as err:
        load(tmp_path)
    cols = {e.split(": ")[1] for e in err.value.errors}
    # active > total, and a text model without its architecture numbers
    assert {"active_params_b", "layers", "hidden_size", "attention_heads", "context_length_tokens", "kv_heads"} <= cols
    assert all(e.startswith(f"{path}:2: ") for e in err.value.errors)


# ------------------------------------------------------------------ overlay, history

def test_overlay_replaces_same_key_and_adds_new(mini, tmp_path):
    extra = tmp_path / "mine"
    write_csv(extra / "gpu_rates.csv", "gpu_rates",
              [rate_row(usd_per_gpu_hour="1.75"), rate_row(provider="my-cloud", usd_per_gpu_hour="0.9")])
    cat = load(mini, extra_dirs=[extra])
    rates = cat.gpu_rates.set_index(["provider", "gpu_id"])["usd_per_gpu_hour"]
    assert rates[("cloud-x", "gpu-a")] == 1.75     # replaced
    assert rates[("cloud-x", "gpu-b")] == 1.0      # kept from the base
    assert rates[("my-cloud", "gpu-a")] == 0.9     # added
    assert len(rates) == 3


def test_overlay_from_env(mini, tmp_path, monkeypatch):
    extra = tmp_path / "env"
    write_csv(extra / "api_prices.csv", "api_prices", [api_row(model_id="env-model")])
    monkeypatch.setenv("TCO_PRICING_DIR", str(extra))
    cat = load_catalog(base_dir=mini)
    assert cat.api_price("env-model")["usd_per_mtok_input"] == 2.5


def test_overlay_rows_are_checked_against_base_foreign_keys(mini, tmp_path):
    extra = tmp_path / "mine"
    write_csv(extra / "gpu_rates.csv", "gpu_rates", [rate_row(gpu_id="gpu-b", provider="p2")])
    assert load(mini, extra_dirs=[extra]).gpu_rate("p2", "gpu-b")["usd_per_gpu_hour"] == 2.5


def test_as_of_picks_the_row_in_force(mini):
    write_csv(mini / "gpu_rates.csv", "gpu_rates", [
        rate_row(usd_per_gpu_hour="12.29", effective_date="2024-01-01"),
        rate_row(usd_per_gpu_hour="6.88", effective_date="2025-06-01"),
        rate_row(gpu_id="gpu-b", usd_per_gpu_hour="1.0", effective_date="2030-01-01"),
    ])
    assert load(mini, as_of="2025-05-31").gpu_rate("cloud-x", "gpu-a")["usd_per_gpu_hour"] == 12.29
    assert load(mini, as_of="2025-06-01").gpu_rate("cloud-x", "gpu-a")["usd_per_gpu_hour"] == 6.88
    cat = load(mini, as_of=dt.date(2026, 1, 1))
    assert cat.gpu_rate("cloud-x", "gpu-a")["usd_per_gpu_hour"] == 6.88
    # Not yet in force: absent at that date, present later; history keeps every row.
    assert len(cat.gpu_rates) == 1 and len(cat.history["gpu_rates"]) == 3
    assert cat.at("2030-06-01").gpu_rate("cloud-x", "gpu-b")["usd_per_gpu_hour"] == 1.0
    with pytest.raises(KeyError, match="no row for gpu-b/on_demand"):
        cat.gpu_rate("cloud-x", "gpu-b")


def test_as_of_rejects_bad_date(mini):
    with pytest.raises(ValueError, match="as_of: not a valid date"):
        load(mini, as_of="last tuesday")


def test_shipped_history_aws_h100_price_cut(catalog):
    before = catalog.at("2025-05-01").gpu_rate("aws", "h100-sxm", "on_demand")["usd_per_gpu_hour"]
    after = catalog.at("2025-07-01").gpu_rate("aws", "h100-sxm", "on_demand")["usd_per_gpu_hour"]
    # p5.48xlarge: $98.32/h / 8 GPUs = 12.29 before the June 2025 cut; $55.04 / 8 = 6.88 after.
    assert (before, after) == (12.29, 6.88)


# ------------------------------------------------------------------ lookups

def test_lookup_names_closest_ids(catalog):
    with pytest.raises(KeyError) as err:
        catalog.api_price("gpt-4")
    assert "gpt-4o" in str(err.value)
    with pytest.raises(KeyError) as err:
        catalog.gpu("h100")
    assert "h100-sxm" in str(err.value)
    with pytest.raises(KeyError, match="valid tables: api_prices"):
        catalog["gpu"]


def test_lookup_returns_plain_python_values(mini):
    row = load(mini).gpu("gpu-a")
    assert row["effective_date"] == "2025-01-01"
    assert row["purchase_usd_is_estimate"] is True
    assert row["fp4_dense_tflops"] is None
    assert isinstance(row["gpus_per_server"], int)


def test_pricing_readme_documents_every_column():
    text = (REPO / "tco" / "pricing" / "README.md").read_text()
    for name, table in TABLES.items():
        assert f"## {name}" in text, name
        section = text.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        documented = [line.split("|")[1].strip().strip("`") for line in section.splitlines()
                      if line.startswith("| ") and not line.startswith("| column") and "---" not in line]
        assert documented == table.column_names, name


def test_broken_copy_of_shipped_tables_fails(tmp_path):
    copy = tmp_path / "pricing"
    shutil.copytree(REPO / "tco" / "pricing", copy)
    df = pd.read_csv(copy / "gpu_rates.csv", dtype=str, keep_default_na=False)
    df.loc[3, "usd_per_gpu_hour"] = "-2"
    df.to_csv(copy / "gpu_rates.csv", index=False)
    with pytest.raises(CatalogError) as err:
        load_catalog(base_dir=copy, use_env=False)
    assert err.value.errors == [f"{copy / 'gpu_rates.csv'}:5: usd_per_gpu_hour: Must be greater than or equal to 0.0 and less than or equal to 1000.0."]


# ------------------------------------------------------------------ lifecycle and aliases: validation

def test_seat_overage_needs_its_unit(tmp_path):
    row = dict(provider="github", product_id="seat-a", display_name="Seat A", usd_per_seat_month="19",
               billing_term="monthly", min_seats="1", usd_per_overage_unit="0.04", effective_date="2026-06-01",
               source_url=SRC)
    path = write_csv(tmp_path / "seat_prices.csv", "seat_prices", [row])
    with pytest.raises(CatalogError) as err:
        load(tmp_path)
    assert err.value.errors == [f"{path}:2: overage_unit: Required with included_units_per_seat_month or "
                                f"usd_per_overage_unit."]
    write_csv(path, "seat_prices", [dict(row, overage_unit="premium request", included_units_per_seat_month="300")])
    assert load(tmp_path).seat_price("seat-a", "monthly")["included_units_per_seat_month"] == 300.0


def test_lifecycle_successor_must_exist(mini):
    write_csv(mini / "api_prices.csv", "api_prices", [api_row(), api_row(model_id="model-b")])
    path = write_csv(mini / "model_lifecycle.csv", "model_lifecycle",
                     [life_row(), life_row(model_id="model-b", successor_model_id="model-c")])
    with pytest.raises(CatalogError) as err:
        load(mini)
    (line,) = err.value.errors
    assert line.startswith(f"{path}:3: successor_model_id: unknown model_id 'model-c' "
                           f"(not in api_prices.csv or image_prices.csv); closest: ")


@pytest.mark.parametrize("row,column,fragment", [
    (life_row(model_id="model-z"), "model_id", "unknown model_id 'model-z'"),
    (life_row(shutdown_date="", successor_model_id=""), "shutdown_date", "Give a deprecation_date"),
    (life_row(deprecation_date="2027-02-01"), "shutdown_date", "on or after deprecation_date"),
    (life_row(successor_model_id="model-a"), "successor_model_id", "Must differ from model_id"),
])
def test_lifecycle_row_rules(mini, row, column, fragment):
    write_csv(mini / "api_prices.csv", "api_prices", [api_row(), api_row(model_id="model-b")])
    path = write_csv(mini / "model_lifecycle.csv", "model_lifecycle", [row])
    with pytest.raises(CatalogError) as err:
        load(mini)
    (line,) = err.value.errors
    assert line.startswith(f"{path}:2: {column}: ") and fragment in line, line


@pytest.mark.parametrize("row,column,fragment", [
    (alias_row(model_id="model-z"), "model_id",
     "unknown model_id 'model-z' (not in api_prices.csv or open_models.csv or image_prices.csv)"),
    (alias_row(alias="model-a", model_id="model-a"), "model_id", "Must differ from alias"),
    (alias_row(namespace="huggingface"), "namespace", "Must be one of: litellm"),
    (alias_row(alias="OpenAI/Model-A"), "alias", "Not a valid id"),
])
def test_alias_row_rules(mini, row, column, fragment):
    path = write_csv(mini / "model_aliases.csv", "model_aliases", [row])
    with pytest.raises(CatalogError) as err:
        load(mini)
    (line,) = err.value.errors
    assert line.startswith(f"{path}:2: {column}: ") and fragment in line, line


def test_alias_may_not_shadow_a_catalog_id(mini):
    write_csv(mini / "api_prices.csv", "api_prices", [api_row(), api_row(model_id="model-b")])
    path = write_csv(mini / "model_aliases.csv", "model_aliases", [alias_row(alias="model-b")])
    with pytest.raises(CatalogError) as err:
        load(mini)
    assert err.value.errors == [f"{path}:2: alias: 'model-b' is itself a catalog model_id; an alias must be a name "
                                f"the catalog does not already use"]


# ------------------------------------------------------------------ effective_until and promotions

def test_promotion_then_list_price(mini):
    # Launch promotion at half price (1.25 in / 5 out) from 2026-10-01 until 2026-12-01 (exclusive),
    # then the list price 2.5 / 10 from a row dated 2026-12-01.
    write_csv(mini / "api_prices.csv", "api_prices", [
        api_row(usd_per_mtok_input="1.25", usd_per_mtok_output="5", effective_date="2026-10-01",
                effective_until="2026-12-01", promotion="true"),
        api_row(effective_date="2026-12-01"),
    ])
    cat = load(mini, as_of="2026-11-30")
    row = cat.api_price("model-a")
    assert (row["usd_per_mtok_input"], row["promotion"], row["effective_until"]) == (1.25, True, "2026-12-01")
    assert cat.at("2026-12-01").api_price("model-a")["usd_per_mtok_input"] == 2.5
    assert cat.at("2026-09-30").api_prices.empty


def test_row_past_its_effective_until_is_not_in_force(mini):
    # A model priced until 2026-10-23 with no later row: in force on 10-22, gone on 10-23.
    write_csv(mini / "api_prices.csv", "api_prices", [
        api_row(effective_date="2025-04-23", effective_until="2026-10-23"), api_row(model_id="model-b")])
    cat = load(mini, as_of="2026-10-22")
    assert cat.api_price("model-a")["usd_per_mtok_input"] == 2.5
    later = cat.at("2026-10-23")
    assert list(later.api_prices["model_id"]) == ["model-b"]
    assert len(later.history["api_prices"]) == 2
    with pytest.raises(KeyError, match=r"'model-a' has no price in force on 2026-10-23 \(its last row ended "
                                       r"2026-10-23\)"):
        later.api_price("model-a")


def test_not_in_force_message_names_shutdown_and_successor(mini):
    write_csv(mini / "api_prices.csv", "api_prices", [
        api_row(effective_until="2027-01-14"), api_row(model_id="model-b")])
    write_csv(mini / "model_lifecycle.csv", "model_lifecycle", [life_row()])
    with pytest.raises(KeyError, match="shut down 2027-01-14, successor model-b"):
        load(mini, as_of="2027-02-01").api_price("model-a")


def test_lifecycle_in_force_is_the_latest_announcement(mini):
    write_csv(mini / "api_prices.csv", "api_prices", [api_row(), api_row(model_id="model-b")])
    write_csv(mini / "model_lifecycle.csv", "model_lifecycle", [
        life_row(effective_date="2026-06-01", shutdown_date="2026-12-01"),
        life_row(effective_date="2026-09-01", shutdown_date="2027-01-14")])    # postponed
    lc = load(mini, as_of="2026-10-01").model_lifecycle
    assert len(lc) == 1 and lc["shutdown_date"].iloc[0] == pd.Timestamp("2027-01-14")
    assert load(mini, as_of="2026-07-01").model_lifecycle["shutdown_date"].iloc[0] == pd.Timestamp("2026-12-01")


# ------------------------------------------------------------------ names users have

@pytest.fixture
def named(mini):
    write_csv(mini / "api_prices.csv", "api_prices", [
        api_row(model_id="gpt-x"), api_row(model_id="bedrock/claude-y", provider="bedrock"),
        api_row(model_id="claude-y", provider="anthropic"), api_row(model_id="vertex/claude-y", provider="vertex"),
        api_row(model_id="gpt-x-2024-05-13", usd_per_mtok_input="5"),
        api_row(model_id="claude-z-4-5", provider="anthropic")])
    write_csv(mini / "open_models.csv", "open_models", [dict(
        model_id="llama-z-70b", display_name="Llama Z 70B", modality="text", total_params_b="70",
        active_params_b="70", layers="80", hidden_size="8192", attention_heads="64", kv_heads="8", head_dim="128",
        context_length_tokens="131072", license="x", effective_date="2025-01-01", source_url=SRC)])
    write_csv(mini / "model_aliases.csv", "model_aliases", [
        alias_row(alias="chatgpt-x-latest", model_id="gpt-x", namespace="vendor-snapshot"),
        alias_row(alias="meta-llama/llama-z-70b-instruct", model_id="llama-z-70b", namespace="openrouter")])
    return load(mini)


@pytest.mark.parametrize("name,table,expected,via", [
    ("gpt-x", "api_prices", "gpt-x", "exact"),
    ("GPT-X", "api_prices", "gpt-x", "exact"),
    ("openai/gpt-x", "api_prices", "gpt-x", "provider prefix dropped"),
    ("openrouter/openai/gpt-x", "api_prices", "gpt-x", "provider prefix dropped"),
    ("chatgpt-x-latest", "api_prices", "gpt-x", "alias (vendor-snapshot)"),
    ("openai/chatgpt-x-latest", "api_prices", "gpt-x", "alias (vendor-snapshot), provider prefix dropped"),
    # a dated snapshot with its own row keeps it; one without a row drops its date
    ("gpt-x-2024-05-13", "api_prices", "gpt-x-2024-05-13", "exact"),
    ("gpt-x-2025-08-07", "api_prices", "gpt-x", "snapshot date dropped"),
    ("claude-y-20250929", "api_prices", "claude-y", "snapshot date dropped"),
    ("anthropic/claude-y", "api_prices", "claude-y", "provider prefix dropped"),
    # cloud ids go to the catalog's cloud deployment first
    ("anthropic.claude-y-v1:0", "api_prices", "bedrock/claude-y", "Bedrock id"),
    ("bedrock/us.anthropic.claude-y-v1:0", "api_prices", "bedrock/claude-y", "Bedrock id"),
    ("vertex_ai/claude-y", "api_prices", "vertex/claude-y", "cloud id"),
    ("vertex_ai/claude-y@20250929", "api_prices", "vertex/claude-y", "snapshot date dropped"),
    ("anthropic/claude-z-4.5", "api_prices", "claude-z-4-5", "version dots as dashes"),     # OpenRouter's spelling
    ("meta-llama/llama-z-70b-instruct", "open_models", "llama-z-70b", "alias (openrouter)"),
    ("together/llama-z-70b-instruct-turbo", "open_models", "llama-z-70b", "hosted name: suffix dropped"),
])
def test_resolve_model(named, name, table, expected, via):
    res = named.resolve_model(name, table)
    assert (res.model_id, res.via) == (expected, via)


def test_lookups_take_names_users_have(named):
    assert named.api_price("openrouter/openai/gpt-x")["model_id"] == "gpt-x"
    assert named.api_price("gpt-x-2024-05-13")["usd_per_mtok_input"] == 5.0
    assert named.open_model("meta-llama/llama-z-70b-instruct")["model_id"] == "llama-z-70b"
    assert named.resolve_model_id("meta-llama/llama-z-70b-instruct") == "llama-z-70b"   # any table
    res = named.resolve_model_ids(["openai/gpt-x", "nope", "openai/gpt-x"])
    assert list(res) == ["openai/gpt-x", "nope"] and res["nope"] is None


def test_unknown_name_lists_closest_ids_and_aliases(named):
    with pytest.raises(KeyError) as err:
        named.resolve_model_id("chatgpt-x-lates", "api_prices")
    assert "closest: chatgpt-x-latest" in str(err.value)
    with pytest.raises(KeyError, match="unknown API model 'openai/gpt-q'; closest: .*gpt-x"):
        named.api_price("openai/gpt-q")


def test_image_price_through_an_alias(mini):
    write_csv(mini / "image_prices.csv", "image_prices", [dict(
        provider="vendor", model_id="img-a", display_name="Img A", size="1024x1024", quality="any",
        usd_per_image="0.04", effective_date="2025-01-01", source_url=SRC)])
    write_csv(mini / "model_aliases.csv", "model_aliases", [alias_row(alias="vendor/img-a-1", model_id="img-a")])
    assert load(mini).image_price("vendor/img-a-1")["usd_per_image"] == 0.04


def test_pricing_readme_schema_tables_are_the_schema():
    """Each table's section of tco/pricing/README.md shows exactly its file, key and columns."""
    from tco.tables import schema_markdown
    text = (REPO / "tco" / "pricing" / "README.md").read_text()
    for name, table in TABLES.items():
        assert schema_markdown(table) in text, name


def test_grouped_rows_are_the_rows_in_force_by_key(catalog):
    groups = catalog.grouped("throughput_benchmarks", ("model_id", "gpu_id"))
    rows = catalog.records("throughput_benchmarks")
    assert sum(len(v) for v in groups.values()) == len(rows)          # every row once
    key, members = next(iter(groups.items()))
    assert members == [r for r in rows if (r["model_id"], r["gpu_id"]) == key]
    assert catalog.grouped("throughput_benchmarks", ("model_id", "gpu_id")) is groups   # cached
