"""Pricing 1,000,000 usage rows, against a per-row Python loop in the same run.

Target (issue #8): 1M rows priced in under 1 s.  The loop prices 50,000 rows (same prices,
same rules) and is scaled to 1M, so the bench stays short; the ratio is printed.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from tco.catalog import load_catalog
from tco.usage import price_usage, validate_usage

N = 1_000_000
LOOP_N = 50_000


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(use_env=False)


@pytest.fixture(scope="module")
def log(catalog):
    rng = np.random.default_rng(7)
    models = catalog.api_prices["model_id"].to_numpy()
    batchable = catalog.api_prices["usd_per_mtok_batch_input"].notna().to_numpy()
    pick = rng.integers(0, len(models), N)
    return validate_usage(pd.DataFrame({
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, N), unit="D"),
        "model": models[pick],
        "input_tokens": rng.integers(0, 400_000, N),
        "cached_input_tokens": 0,
        "output_tokens": rng.integers(0, 4_000, N),
        "batch": batchable[pick] & (rng.random(N) < 0.2),
    }))


def loop_price(rows: pd.DataFrame, catalog) -> list[float]:
    """The same rules, one row at a time: find the price in force, apply tier and batch."""
    hist = catalog.history["api_prices"]
    by_model: dict[str, list] = {}
    for r in hist.sort_values("effective_date").to_dict("records"):
        by_model.setdefault(r["model_id"], []).append(r)
    out = []
    for r in rows.to_dict("records"):
        cands = by_model.get(r["model"])
        if not cands:
            out.append(math.nan)
            continue
        p = cands[0]
        for c in cands:
            if c["effective_date"] <= r["date"]:
                p = c
        thr = p["long_context_threshold_tokens"]
        long = thr is not pd.NA and not pd.isna(thr) and r["input_tokens"] / r["requests"] > thr
        pin = p["usd_per_mtok_input_long"] if long else p["usd_per_mtok_input"]
        pout = p["usd_per_mtok_output_long"] if long else p["usd_per_mtok_output"]
        if r["batch"]:
            pin *= p["usd_per_mtok_batch_input"] / p["usd_per_mtok_input"]
            pout *= p["usd_per_mtok_batch_output"] / p["usd_per_mtok_output"]
        out.append((r["input_tokens"] * pin + r["output_tokens"] * pout) / 1e6)
    return out


def test_price_one_million_rows(benchmark, catalog, log):
    sample = log.iloc[:LOOP_N]
    t = time.perf_counter()
    expected = loop_price(sample, catalog)
    loop_s = (time.perf_counter() - t) * N / LOOP_N
    got = price_usage(sample, catalog).rows["usd"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
    res = benchmark.pedantic(price_usage, args=(log, catalog), rounds=3, iterations=1)
    ours = benchmark.stats.stats.median
    print(f"\n1M usage rows: vectorised {ours:.3f} s, per-row loop ~{loop_s:.1f} s (scaled from {LOOP_N:,}), "
          f"ratio {loop_s / ours:.0f}x; priced {res.rows['priced'].mean():.1%}")
    assert ours < 1.0
