"""Streamed pricing of 20M usage rows from Parquet, against DuckDB and the Dask path, in the same run.

Targets (issue #17), on this machine's 2 cores:

- 20M generated rows read from Parquet and priced at >= 3M rows/s, peak RSS < 1 GiB
  (the pricing runs in a child process, so the RSS is its own, not the generator's);
- within 1.5x of DuckDB (2 threads) running one SQL join of the same file against the
  same prices (the price table's rows with their validity interval and the same four
  variants: plain, batch, long context, both), measured in the same run, same total to the cent;
- the Dask path (a LocalCluster of 2 workers) on the same data: its overhead is reported.

Each timing is the best of two runs (the machine is shared); ``benchmark`` times the child
processes whole (imports included), the printed figures are the pricing alone. The data is generated in a
temporary folder, never committed.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tco.catalog import load_catalog
from tco.usage import PriceTable

N = 20_000_000
GROUP = 1_000_000                   # rows per row group (and per generated slice)
RUNS = 2


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(use_env=False)


@pytest.fixture(scope="module")
def usage_file(tmp_path_factory, catalog):
    """20M rows in time order over 2 years (as logs are written): every shipped model, cached input,
    1-3 requests a row (some above long-context thresholds), 20% batch where offered, 40 teams."""
    path = tmp_path_factory.mktemp("bench") / "usage.parquet"
    rng = np.random.default_rng(17)
    prices = catalog.api_prices
    models = pa.array(prices["model_id"].astype(str).to_numpy())
    batchable = prices["usd_per_mtok_batch_input"].notna().to_numpy()
    teams = pa.array([f"team-{i:02d}" for i in range(40)])
    start = np.datetime64("2025-01-01T00:00:00", "us").astype(np.int64)
    schema = pa.schema([("timestamp", pa.timestamp("us")), ("model", pa.dictionary(pa.int32(), pa.string())),
                        ("team", pa.dictionary(pa.int32(), pa.string())), ("input_tokens", pa.int64()),
                        ("cached_input_tokens", pa.int64()), ("output_tokens", pa.int64()),
                        ("requests", pa.int64()), ("batch", pa.bool_())])
    with pq.ParquetWriter(path, schema) as w:
        span = 730 * 86_400 * 10**6 // (N // GROUP)            # a log in time order: each group ~36 days
        for k in range(N // GROUP):
            pick = rng.integers(0, len(models), GROUP).astype(np.int32)
            tin = rng.integers(0, 400_000, GROUP)
            when = start + k * span + np.sort(rng.integers(0, span, GROUP))
            w.write_table(pa.table({
                "timestamp": pa.array(when, pa.timestamp("us")),
                "model": pa.DictionaryArray.from_arrays(pa.array(pick), models),
                "team": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 40, GROUP).astype(np.int32)), teams),
                "input_tokens": tin, "cached_input_tokens": (tin * rng.random(GROUP) * 0.5).astype(np.int64),
                "output_tokens": rng.integers(0, 4_000, GROUP), "requests": rng.integers(1, 4, GROUP),
                "batch": batchable[pick] & (rng.random(GROUP) < 0.2)}, schema=schema), row_group_size=GROUP)
    return path


CHILD = """
import json, resource, sys, time
from tco.catalog import load_catalog
from tco.usage_stream import price_usage_files
cat = load_catalog(use_env=False)
t = time.perf_counter()
s = price_usage_files(sys.argv[1], cat, by=["team"], threads=2)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rows": s.rows, "usd": s.total_usd, "groups": len(s.groups),
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def tco_in_process(path) -> dict:
    """One streamed run in a child process: its time, total and peak RSS."""
    res = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=600,
                         check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def price_rows_table(catalog):
    """The prices as DuckDB sees them: per price row, its validity [from, to) and the 4 variants' rates."""
    t = PriceTable.from_catalog(catalog)
    day = t.row_day
    nxt = np.append(day[1:], np.iinfo(np.int64).max)
    last_of_model = np.append(t.row_model[1:] != t.row_model[:-1], True)
    first_of_model = np.insert(t.row_model[1:] != t.row_model[:-1], 0, True)
    valid_to = np.where(last_of_model, 10**6, nxt)             # the newest price holds on...
    # ...until its row's effective_until (a promotion or a price with no successor ends) or the model's
    # shutdown: rows on or after either are not billed (tco.usage's rule, restated here as a join bound;
    # the LEFT JOIN keeps them in the row count with no price)
    until = np.minimum(t.row_until[:-1], 10**6)
    shut = np.minimum(t.shutdown_day[t.row_model], 10**6)
    valid_to = np.minimum(np.minimum(valid_to, until), shut)
    valid_from = np.where(first_of_model, -10**6, day)         # the first price reaches back (as tco assumes)
    cols = {"model_id": np.array(t.ids, dtype=object)[t.row_model], "valid_from": valid_from, "valid_to": valid_to,
            "threshold": t.threshold[:-1]}
    for kind in ("input", "cached_input", "output"):
        r = t.rates[kind][:-4].reshape(-1, 4) * 1e6             # [USD/1M tokens]
        for v, name in enumerate(("plain", "batch", "long", "long_batch")):
            cols[f"{kind}_{name}"] = r[:, v]
    return pa.table(cols)


SQL = """
WITH u AS (
  SELECT model, team, input_tokens, cached_input_tokens, output_tokens, batch,
         date_diff('day', DATE '1970-01-01', CAST("timestamp" AS DATE)) AS day,
         date_trunc('month', "timestamp") AS month,
         input_tokens / requests AS prompt
  FROM read_parquet('{path}'))
SELECT month, u.model, team, count(*) AS n, sum(
    CASE WHEN prompt > p.threshold THEN
      CASE WHEN batch THEN (input_tokens - cached_input_tokens) * p.input_long_batch
                           + cached_input_tokens * p.cached_input_long_batch + output_tokens * p.output_long_batch
           ELSE (input_tokens - cached_input_tokens) * p.input_long + cached_input_tokens * p.cached_input_long
                + output_tokens * p.output_long END
    ELSE
      CASE WHEN batch THEN (input_tokens - cached_input_tokens) * p.input_batch
                           + cached_input_tokens * p.cached_input_batch + output_tokens * p.output_batch
           ELSE (input_tokens - cached_input_tokens) * p.input_plain + cached_input_tokens * p.cached_input_plain
                + output_tokens * p.output_plain END
    END) / 1e6 AS usd
FROM u LEFT JOIN prices p ON p.model_id = u.model AND u.day >= p.valid_from AND u.day < p.valid_to
GROUP BY ALL
"""


def duckdb_join(path, prices) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.register("prices", prices)
    t = time.perf_counter()
    out = con.execute(SQL.format(path=path)).fetchnumpy()
    seconds = time.perf_counter() - t
    usd = float(np.sum(out["usd"]))
    con.close()
    return {"seconds": seconds, "rows": int(np.sum(out["n"])), "usd": usd}


def dask_run(path, catalog) -> dict:
    from distributed import Client, LocalCluster

    from tco.usage_dask import price_usage_dask

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as lc, \
            Client(lc) as client:
        t = time.perf_counter()
        s = price_usage_dask(path, catalog, by=["team"], client=client)
        return {"seconds": time.perf_counter() - t, "rows": s.rows, "usd": s.total_usd}


def best(fn, *args) -> dict:
    runs = [fn(*args) for _ in range(RUNS)]
    return min(runs, key=lambda r: r["seconds"])


def test_twenty_million_rows_from_parquet(benchmark, usage_file, catalog):
    runs: list[dict] = []
    benchmark.pedantic(lambda: runs.append(tco_in_process(usage_file)), rounds=RUNS, iterations=1)
    ours = min(runs, key=lambda r: r["seconds"])         # timed inside the child: imports excluded
    duck = best(duckdb_join, usage_file, price_rows_table(catalog))
    dist = best(dask_run, usage_file, catalog)
    rate = ours["rows"] / ours["seconds"]
    print(f"\n20M usage rows from Parquet, 2 cores (best of {RUNS}):"
          f"\n  tco stream  {ours['seconds']:6.2f} s  {rate / 1e6:5.2f} M rows/s  peak RSS {ours['rss_mib']:.0f} MiB"
          f"  total ${ours['usd']:,.2f}  ({ours['groups']:,} month x model x team groups)"
          f"\n  DuckDB SQL  {duck['seconds']:6.2f} s  {duck['rows'] / duck['seconds'] / 1e6:5.2f} M rows/s"
          f"  total ${duck['usd']:,.2f}  -> tco / DuckDB = {ours['seconds'] / duck['seconds']:.2f}x"
          f"\n  Dask (2 workers, LocalCluster) {dist['seconds']:6.2f} s  total ${dist['usd']:,.2f}"
          f"  -> overhead vs in-process {dist['seconds'] / ours['seconds']:.2f}x")
    # the same work: every row priced by both (the shipped catalog prices every model), the same total
    assert ours["rows"] == duck["rows"] == dist["rows"] == N
    assert round(ours["usd"], 2) == round(duck["usd"], 2) == round(dist["usd"], 2)
    assert rate >= 3e6
    assert ours["rss_mib"] < 1024
    assert ours["seconds"] <= 1.5 * duck["seconds"]
