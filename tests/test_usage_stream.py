"""Streamed usage pricing: CSV, JSON Lines and Parquet in chunks, groups, per-row output, readers, CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, usage_catalog
from tco.cli import main
from tco.usage import UsageError, usage_workload
from tco.usage_readers import ReaderError, choose_reader, mapping_reader
from tco.usage_stream import price_usage, price_usage_files

EXPORTS = REPO / "tests" / "data" / "usage_exports"


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    """conftest's m and plain, and cw: Sonnet-like with a cache-write price (3 / 0.30 read / 3.75 write / 15)."""
    return usage_catalog(tmp_path_factory.mktemp("prices"), [
        {"model_id": "cw", "usd_per_mtok_input": "3", "usd_per_mtok_cached_input": "0.3",
         "usd_per_mtok_cache_write": "3.75", "usd_per_mtok_output": "15", "effective_date": "2026-01-01"}])


ROWS = [
    # Feb, m at 2/8: 1M x 2 + 0.5M x 8 = $6.00
    {"timestamp": "2026-02-10", "model": "m", "input_tokens": 1_000_000, "output_tokens": 500_000,
     "cached_input_tokens": 0, "cache_write_tokens": 0, "cache_write_1h_tokens": 0, "reasoning_tokens": 0,
     "requests": 100, "team": "a"},
    # Mar, m at 1/0.25/6: 0.6M x 1 + 0.4M x 0.25 + 0.1M x 6 = 0.6 + 0.1 + 0.6 = $1.30
    {"timestamp": "2026-03-05", "model": "m", "input_tokens": 1_000_000, "output_tokens": 100_000,
     "cached_input_tokens": 400_000, "cache_write_tokens": 0, "cache_write_1h_tokens": 0, "reasoning_tokens": 0,
     "requests": 100, "team": "b"},
    # Mar, cw: 0.6M x 3 + 0.2M read x 0.3 + 0.1M write x 3.75 + 0.1M 1-h write x 3.75 (no 1-h price)
    #          + 0.1M out x 15 (50k of them reasoning) = 1.8 + 0.06 + 0.375 + 0.375 + 1.5 = $4.11
    {"timestamp": "2026-03-06", "model": "cw", "input_tokens": 1_000_000, "output_tokens": 100_000,
     "cached_input_tokens": 200_000, "cache_write_tokens": 100_000, "cache_write_1h_tokens": 100_000,
     "reasoning_tokens": 50_000, "requests": 10, "team": "a"},
    # Mar, a provider prefix resolved: plain 1M x 3 = $3.00
    {"timestamp": "2026-03-07", "model": "vendor/plain", "input_tokens": 1_000_000, "output_tokens": 0,
     "cached_input_tokens": 0, "cache_write_tokens": 0, "cache_write_1h_tokens": 0, "reasoning_tokens": 0,
     "requests": 1, "team": "b"},
    # unknown: not priced, listed
    {"timestamp": "2026-03-08", "model": "nope", "input_tokens": 5, "output_tokens": 5,
     "cached_input_tokens": 0, "cache_write_tokens": 0, "cache_write_1h_tokens": 0, "reasoning_tokens": 0,
     "requests": 1, "team": "a"},
]


def write_log(path, rows=ROWS):
    df = pd.DataFrame(rows)
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("batch_rows", [1, 2, 1 << 20])
def test_every_format_in_any_chunking_gives_the_hand_totals(cat, tmp_path, suffix, batch_rows):
    s = price_usage_files(write_log(tmp_path / f"log{suffix}"), cat, by=["team"], batch_rows=batch_rows)
    assert s.rows == 5 and s.priced_rows == 4
    by_month = s.by_month()
    assert by_month["month"].tolist() == ["2026-02", "2026-03"]
    assert by_month["usd"].tolist() == pytest.approx([6.0, 1.30 + 4.11 + 3.0])
    assert s.totals("team").set_index("team")["usd"].to_dict() == pytest.approx({"a": 6.0 + 4.11, "b": 1.30 + 3.0})
    assert s.totals("model").set_index("model")["usd"].to_dict() == pytest.approx(
        {"m": 7.30, "cw": 4.11, "vendor/plain": 3.0})
    cw = s.groups[s.groups["model"] == "cw"].iloc[0]
    assert cw["usd_cache_write"] == pytest.approx(0.75)                  # 0.375 + 0.375
    assert cw["reasoning_tokens"] == 50_000 and cw["cache_write_1h_at_5m_price_tokens"] == 100_000
    assert s.unpriced.to_dict("records")[0] | {"closest": ""} == {"model": "nope", "rows": 1,
                                                                  "reason": "unknown model", "closest": ""}
    assert "100,000 1-hour cache-write tokens priced at the cache-write price" in s.summary()


def test_a_folder_of_mixed_files_adds_up(cat, tmp_path):
    d = tmp_path / "logs"
    (d / "sub").mkdir(parents=True)
    write_log(d / "a.csv", ROWS[:2])
    write_log(d / "sub" / "b.parquet", ROWS[2:4])
    write_log(d / "c.jsonl", ROWS[4:])
    s = price_usage_files(d, cat)
    assert s.total_usd == pytest.approx(6.0 + 1.30 + 4.11 + 3.0) and s.rows == 5


def test_same_totals_as_the_in_memory_path(catalog, tmp_path):
    """The streamed totals equal the in-memory per-row prices, on the shipped catalog (batch, long context)."""
    rng = np.random.default_rng(3)
    n = 20_000
    models = catalog.api_prices["model_id"].to_numpy()
    batchable = catalog.api_prices["usd_per_mtok_batch_input"].notna().to_numpy()
    pick = rng.integers(0, len(models), n)
    log = pd.DataFrame({
        "timestamp": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")),
        "model": np.where(rng.random(n) < 0.01, "not-a-model", models[pick]),
        "input_tokens": rng.integers(0, 400_000, n), "output_tokens": rng.integers(0, 4_000, n),
        "requests": rng.integers(1, 3, n), "batch": batchable[pick] & (rng.random(n) < 0.2)})
    log["cached_input_tokens"] = (log["input_tokens"] * rng.random(n) * 0.5).astype(np.int64)
    pq.write_table(pa.Table.from_pandas(log, preserve_index=False), tmp_path / "log.parquet")
    mem = price_usage(log, catalog)
    s = price_usage_files(tmp_path / "log.parquet", catalog, batch_rows=3_000)
    assert round(s.total_usd, 2) == round(mem.total_usd, 2)
    pd.testing.assert_frame_equal(s.by_month()[["month", "requests", "input_tokens", "output_tokens"]],
                                  mem.by_month()[["month", "requests", "input_tokens", "output_tokens"]]
                                  .assign(month=lambda d: d["month"].astype(str)), check_dtype=False)
    assert np.allclose(s.by_month()["usd"], mem.by_month()["usd"], rtol=0, atol=0.005)
    assert s.unpriced.sort_values("model").reset_index(drop=True).equals(
        mem.unpriced.sort_values("model").reset_index(drop=True))
    assert usage_workload(s) == pytest.approx(usage_workload(mem))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 120), st.sampled_from(["m", "cw", "plain", "zz"]), st.integers(0, 10**6),
                          st.integers(0, 10**5), st.booleans()), min_size=1, max_size=30),
       st.integers(1, 7))
def test_chunking_never_changes_the_totals(cat, tmp_path_factory, rows, batch_rows):
    df = pd.DataFrame(rows, columns=["day", "model", "input_tokens", "output_tokens", "batch"])
    df["timestamp"] = (pd.Timestamp("2025-12-01") + pd.to_timedelta(df.pop("day"), unit="D")).dt.strftime("%Y-%m-%d")
    df["batch"] = df["batch"] & (df["model"] == "m")                       # only m has batch prices
    path = tmp_path_factory.mktemp("h") / "log.csv"
    df.to_csv(path, index=False)
    whole = price_usage(df, cat)
    s = price_usage_files(path, cat, batch_rows=batch_rows)
    assert s.total_usd == pytest.approx(whole.total_usd, abs=1e-9)
    assert s.priced_rows == int(whole.rows["priced"].sum())


def test_per_row_output_to_parquet(cat, tmp_path):
    out = tmp_path / "out" / "priced.parquet"
    price_usage_files(write_log(tmp_path / "log.csv"), cat, by=["team"], output=out, batch_rows=2)
    rows = pq.read_table(out).to_pandas()
    assert rows["usd"].tolist()[:4] == pytest.approx([6.0, 1.30, 4.11, 3.0])
    assert rows["model_id"].tolist()[3] == "plain" and rows["team"].tolist() == ["a", "b", "a", "b", "a"]
    assert rows["priced"].tolist() == [True] * 4 + [False] and np.isnan(rows["usd"].iloc[4])
    assert rows["price_date"].astype(str).tolist()[:2] == ["2026-01-01", "2026-03-01"]


def test_long_context_and_batch_in_a_stream(cat, tmp_path):
    # One 300k-token request (above the 200k threshold) in March: 0.3M x 2 (long input) = $0.60;
    # a batch row: 1M x 0.5 + 1M x 3 = $3.50.
    rows = [{"timestamp": "2026-03-02", "model": "m", "input_tokens": 300_000, "output_tokens": 0, "requests": 1,
             "batch": False},
            {"timestamp": "2026-03-02", "model": "m", "input_tokens": 1_000_000, "output_tokens": 1_000_000,
             "requests": 100, "batch": True}]
    s = price_usage_files(write_log(tmp_path / "log.parquet", rows), cat)
    assert s.total_usd == pytest.approx(0.60 + 3.50)
    g = s.groups.iloc[0]
    assert g["long_context_rows"] == 1 and g["batch_tokens"] == 2_000_000


def test_errors_name_the_line_in_a_later_chunk(cat, tmp_path):
    rows = [dict(ROWS[0]) for _ in range(5)]
    rows[3]["input_tokens"] = "x"                                   # data row 4 = line 5 (header = line 1)
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(UsageError) as err:
        price_usage_files(path, cat, batch_rows=2)
    assert err.value.errors == [f"{path}:5: input_tokens: not a finite number"]
    neg = [dict(ROWS[0]) for _ in range(3)]
    neg[2]["output_tokens"] = -1
    with pytest.raises(UsageError, match=r"bad\.parquet:3: output_tokens: must be >= 0"):
        price_usage_files(write_log(tmp_path / "bad.parquet", neg), cat, batch_rows=2)
    with pytest.raises(UsageError, match="team: grouping column missing"):
        price_usage_files(write_log(tmp_path / "ok.csv", [{k: v for k, v in ROWS[0].items() if k != "team"}]),
                          cat, by=["team"])
    (tmp_path / "x.txt").write_text("a")
    with pytest.raises(UsageError, match="unknown file type"):
        price_usage_files(tmp_path / "x.txt", cat)


def test_price_usage_takes_a_path(cat, tmp_path):
    s = price_usage(str(write_log(tmp_path / "log.parquet")), cat)
    assert s.total_usd == pytest.approx(6.0 + 1.30 + 4.11 + 3.0)


# ------------------------------------------------------------------ readers of vendors' exports

def test_litellm_spend_logs(catalog):
    # 1M x 2.50 + 0.1M x 10 = 3.50; "openai/gpt-4o" resolved: 1000 x 2.50e-6 + 1000 x 10e-6 = 0.0125
    s = price_usage_files(EXPORTS / "litellm_spend_logs.csv", catalog, by=["team_id"],
                          reader=choose_reader(EXPORTS / "litellm_spend_logs.csv"))
    assert s.totals("team_id").set_index("team_id")["usd"].to_dict() == pytest.approx({"search": 3.5, "ads": 0.0125})
    assert s.unpriced.empty


def test_openai_usage_export(catalog):
    # The batch row: 1M x 1.25 + 1M x 5.00 (Batch API) = 6.25. The dated snapshot is not the alias
    # (gpt-4o-2024-05-13 was dearer), so it is listed as unpriced with gpt-4o as the closest id.
    path = EXPORTS / "openai_usage_completions.jsonl"
    s = price_usage_files(path, catalog, by=["project_id"], reader=choose_reader(path))
    assert s.total_usd == pytest.approx(6.25) and s.by_month()["month"].tolist() == ["2026-09"]
    assert s.groups["requests"].sum() == 10
    assert s.unpriced["model"].tolist() == ["gpt-4o-2024-08-06"] and "gpt-4o" in s.unpriced["closest"].iloc[0]


def test_anthropic_usage_report(catalog):
    # Row 1: 1M uncached x 3 + 0.5M read x 0.30 + 0.2M 5-min write x 3.75 + 0.1M out x 15
    #      = 3 + 0.15 + 0.75 + 1.5 = 5.40 (the dated snapshot id is the alias's model);
    # row 2, service_tier batch: 2M x 1.50 = 3.00.
    path = EXPORTS / "anthropic_usage_report.jsonl"
    s = price_usage_files(path, catalog, by=["api_key_id"], reader=choose_reader(path))
    assert s.totals("api_key_id").set_index("api_key_id")["usd"].to_dict() == pytest.approx(
        {"apikey_01": 5.40, "apikey_02": 3.00})
    assert s.groups["input_tokens"].sum() == 1_700_000 + 2_000_000


def test_openrouter_activity(catalog):
    # openai/gpt-4o: 1M x 2.50 + 0.1M x 10 = 3.50; google/gemini-2.5-pro: 20k prompt per request, under
    # the 200k tier: 0.1M x 1.25 + 0.09M x 10 (80k of them reasoning) = 1.025.
    path = EXPORTS / "openrouter_activity.csv"
    s = price_usage_files(path, catalog, reader=choose_reader(path))
    assert s.totals("model").set_index("model")["usd"].to_dict() == pytest.approx(
        {"openai/gpt-4o": 3.5, "google/gemini-2.5-pro": 1.025})
    assert s.groups["reasoning_tokens"].sum() == 80_000


def test_column_mapping_for_any_other_layout(catalog, tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("day,engine,prompt,context,completion,dept\n2026-09-01,gpt-4o,600000,400000,100000,x\n")
    reader = mapping_reader(["timestamp=day", "model=engine", "input_tokens=prompt+context",
                             "output_tokens=completion"])
    s = price_usage_files(path, catalog, by=["dept"], reader=reader)
    assert s.total_usd == pytest.approx(1.0 * 2.5 + 0.1 * 10)            # (0.6M + 0.4M) x 2.50 + 0.1M x 10
    for bad in (["tokens=x"], ["input_tokens"], ["model=a+b"]):
        with pytest.raises(ReaderError, match="--map"):
            mapping_reader(bad)


# ------------------------------------------------------------------ command line

def test_cli_groups_output_progress_and_readers(cat, tmp_path, monkeypatch, catalog):
    log = write_log(tmp_path / "log.csv")
    out = tmp_path / "priced.parquet"
    res = CliRunner().invoke(main, ["usage", "price", str(log), "--by", "team", "--format", "csv",
                                    "--output", str(out), "--no-progress"])
    assert res.exit_code == 3, res.output                      # the unknown model: priced what it could
    lines = [ln for ln in res.output.splitlines() if ln]
    assert lines[0].startswith("team,") and len(pq.read_table(out)) == 5
    path = EXPORTS / "openrouter_activity.csv"
    res = CliRunner().invoke(main, ["usage", "price", str(path), "--by", "model", "--progress"])
    assert res.exit_code == 0, res.output
    assert "total $4.53" in res.output and "openai/gpt-4o" in res.output
    res = CliRunner().invoke(main, ["usage", "price", str(path), "--reader", "nosuch"])
    assert res.exit_code == 2 and "reader: unknown 'nosuch'" in res.output


def test_cli_names_an_unreadable_file(tmp_path):
    (tmp_path / "empty.parquet").write_bytes(b"")
    res = CliRunner().invoke(main, ["usage", "price", str(tmp_path / "empty.parquet")])
    assert res.exit_code == 1 and f"{tmp_path / 'empty.parquet'}: cannot read its columns" in res.output


def test_json_lines_whose_numbers_change_type_between_blocks(cat, tmp_path):
    # 200k whole-number rows, then one with a fraction: pyarrow's blocks are typed alike (float64).
    # m in Feb at 2/8: 200,000 x (1,000 x 2 + 0 x 8) / 1e6 = $400, plus 1.5 x 2 / 1e6.
    row = '{"timestamp": "2026-02-01", "model": "m", "input_tokens": 1000, "output_tokens": 0}\n'
    path = tmp_path / "log.jsonl"
    path.write_text(row * 200_000 + row.replace('"input_tokens": 1000', '"input_tokens": 1.5'))
    s = price_usage_files(path, cat)
    assert s.rows == 200_001 and s.total_usd == pytest.approx(400 + 3e-6)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_gzipped_text_logs(cat, tmp_path, suffix):
    import gzip

    plain = write_log(tmp_path / f"log{suffix}")
    packed = tmp_path / f"log{suffix}.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert price_usage_files(packed, cat).total_usd == pytest.approx(6.0 + 1.30 + 4.11 + 3.0)


def test_a_gzipped_vendor_export_is_detected(catalog, tmp_path):
    import gzip

    packed = tmp_path / "anthropic.jsonl.gz"
    packed.write_bytes(gzip.compress((EXPORTS / "anthropic_usage_report.jsonl").read_bytes()))
    reader = choose_reader(packed)
    assert reader.name == "anthropic"
    assert price_usage_files(packed, catalog, reader=reader).total_usd == pytest.approx(5.40 + 3.00)


def test_rows_after_a_shutdown_and_a_promotion_end_as_in_memory(catalog, tmp_path):
    """The streamed path applies shutdowns and ends of prices like tco.usage: same total, months and
    unpriced list, by hand (conftest.lifecycle_log), in any chunking; the per-row file flags them."""
    from conftest import lifecycle_log
    log, total, by_month, unpriced = lifecycle_log()
    mem = price_usage(log, catalog)
    assert mem.total_usd == pytest.approx(total)
    assert mem.unpriced.to_dict("records") == unpriced
    log.to_csv(tmp_path / "log.csv", index=False)
    pq.write_table(pa.Table.from_pandas(log, preserve_index=False), tmp_path / "log.parquet")
    for path, rows in ((tmp_path / "log.csv", 3), (tmp_path / "log.parquet", 1_000)):
        s = price_usage_files(path, catalog, batch_rows=rows, output=tmp_path / f"rows-{path.suffix}.parquet")
        assert s.total_usd == pytest.approx(total)
        assert dict(zip(s.by_month()["month"], s.by_month()["usd"])) == pytest.approx(by_month)
        assert s.unpriced.to_dict("records") == unpriced
        assert s.priced_rows == 6
        per_row = pq.read_table(tmp_path / f"rows-{path.suffix}.parquet").to_pandas()
        assert per_row["priced"].tolist() == mem.rows["priced"].tolist() == [True, False, False] + [True] * 5
        assert np.allclose(per_row["usd"], mem.rows["usd"], equal_nan=True)
