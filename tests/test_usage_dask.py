"""The Dask path: a LocalCluster of 2 workers prices a generated Parquet dataset like the in-process path."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tco.usage import UsageError
from tco.usage_stream import price_usage_files

pytest.importorskip("distributed")


def _dataset(folder, catalog, files=4, rows=25_000, seed=11):
    """Generated usage: every shipped model (some batch), 2 years of days, a team column, 1% unknown models."""
    rng = np.random.default_rng(seed)
    models = catalog.api_prices["model_id"].to_numpy()
    batchable = catalog.api_prices["usd_per_mtok_batch_input"].notna().to_numpy()
    folder.mkdir()
    for k in range(files):
        pick = rng.integers(0, len(models), rows)
        tin = rng.integers(0, 300_000, rows)
        df = pd.DataFrame({
            "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 730, rows), unit="D"),
            "model": np.where(rng.random(rows) < 0.01, "no-such-model", models[pick]),
            "team": rng.choice(["search", "ads", "support"], rows),
            "input_tokens": tin, "cached_input_tokens": (tin * rng.random(rows) * 0.3).astype(np.int64),
            "output_tokens": rng.integers(0, 5_000, rows), "requests": rng.integers(1, 4, rows),
            "batch": batchable[pick] & (rng.random(rows) < 0.2)})
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), folder / f"part-{k}.parquet",
                       row_group_size=10_000)
    return folder


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as lc, \
            Client(lc) as client:
        yield client


def test_dask_totals_equal_in_process_to_the_cent(tmp_path, catalog, cluster):
    from tco.usage_dask import price_usage_dask

    data = _dataset(tmp_path / "ds", catalog)
    local = price_usage_files(data, catalog, by=["team"])
    dist = price_usage_dask(data, catalog, by=["team"], client=cluster)
    assert dist.rows == local.rows == 100_000
    assert round(dist.total_usd, 2) == round(local.total_usd, 2) and local.total_usd > 0
    a = local.totals("month", "model", "team")
    b = dist.totals("month", "model", "team")
    assert a[["month", "model", "team"]].equals(b[["month", "model", "team"]])
    assert np.abs(a["usd"] - b["usd"]).max() < 0.005
    assert (a["input_tokens"] == b["input_tokens"]).all()
    assert dist.unpriced.equals(local.unpriced)


def test_dask_with_its_own_local_cluster_and_the_scheduler_setting(tmp_path, catalog, cluster, monkeypatch):
    from tco.usage_dask import price_usage_dask

    data = _dataset(tmp_path / "ds", catalog, files=1, rows=2_000)
    own = price_usage_dask(data / "part-0.parquet", catalog)                 # a LocalCluster made and closed
    monkeypatch.setenv("TCO_DASK_SCHEDULER", cluster.scheduler.address)     # an existing cluster, by address
    by_address = price_usage_dask(data, catalog)
    assert round(own.total_usd, 2) == round(by_address.total_usd, 2) == round(
        price_usage_files(data, catalog).total_usd, 2)


def test_dask_reads_parquet_only(tmp_path, catalog):
    from tco.usage_dask import price_usage_dask

    (tmp_path / "log.csv").write_text("timestamp,model,input_tokens,output_tokens\n2026-01-01,gpt-4o,1,1\n")
    with pytest.raises(UsageError, match="--engine dask reads Parquet"):
        price_usage_dask(tmp_path / "log.csv", catalog)


def test_cli_engine_dask_prints_what_in_process_prints(tmp_path, catalog):
    from click.testing import CliRunner

    from tco.cli import main

    data = _dataset(tmp_path / "ds", catalog, files=2, rows=3_000)
    args = ["usage", "price", str(data), "--by", "month", "--by", "team", "--format", "csv"]
    inproc = CliRunner().invoke(main, args)
    dist = CliRunner().invoke(main, [*args, "--engine", "dask"])
    assert inproc.exit_code == dist.exit_code == 3                # the unknown model is listed, not priced
    a, b = (pd.read_csv(io.StringIO(r.stdout)) for r in (inproc, dist))
    assert a[["month", "team", "input_tokens"]].equals(b[["month", "team", "input_tokens"]])
    assert np.abs(a["usd"] - b["usd"]).max() < 0.005


def test_cli_refuses_per_row_output_on_dask(tmp_path):
    from click.testing import CliRunner

    from tco.cli import main

    (tmp_path / "log.parquet").write_bytes(b"")
    res = CliRunner().invoke(main, ["usage", "price", str(tmp_path / "log.parquet"), "--engine", "dask",
                                    "--output", str(tmp_path / "rows.parquet")])
    assert res.exit_code == 2 and "--output: per-row output is written by the in-process engine only" in res.output


def test_dask_applies_shutdowns_and_promotion_ends_like_the_other_paths(tmp_path, catalog, cluster):
    """Rows after gpt-4o's shutdown unpriced, promotions ended on their dates: the hand totals of
    conftest.lifecycle_log, as tco.usage and the streamed path give them."""
    from conftest import lifecycle_log
    from tco.usage import price_usage as price_in_memory
    from tco.usage_dask import price_usage_dask

    log, total, by_month, unpriced = lifecycle_log()
    (tmp_path / "ds").mkdir()
    for k, part in enumerate((log.iloc[:4], log.iloc[4:])):                    # two files, two partitions
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), tmp_path / "ds" / f"part-{k}.parquet")
    dist = price_usage_dask(tmp_path / "ds", catalog, client=cluster, partition_rows=1)
    assert dist.total_usd == pytest.approx(total)
    assert dict(zip(dist.by_month()["month"], dist.by_month()["usd"])) == pytest.approx(by_month)
    assert dist.unpriced.to_dict("records") == unpriced
    assert dist.priced_rows == 6 and dist.rows == 8
    mem = price_in_memory(log, catalog)
    stream = price_usage_files(tmp_path / "ds", catalog)
    assert mem.total_usd == pytest.approx(total) and stream.total_usd == pytest.approx(total)
    assert mem.unpriced.equals(dist.unpriced) and stream.unpriced.equals(dist.unpriced)
