"""Shared fixtures: the shipped tables are loaded once per test session."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tco.catalog import load_catalog
from tco.tables import TABLES

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

#: Llama 3.3 70B FP8 on 2 H100 at the interactive use (450 ms to the first token, 40 ms per token) with
#: 8,000-token prompts: the prompt's prefill alone takes longer than 450 ms on 2 GPUs, so no batch meets
#: the first-token target (tests/test_engine.py checks the prefill time): 2 x 70.6e9 x 8,000 = 1.13e15 FLOP
#: at 2 x 1,979 TFLOP/s x 0.97 (TP) x 0.43 (prefill MFU) x 0.87 (vLLM) = 1.44e15 FLOP/s is 0.79 s
TTFT_OUT_OF_REACH = {
    "horizon_months": 12,
    "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 2e8, "input_tokens_per_request": 8000},
    "closed": {"model": "gpt-6.1-sol"},
    "open": {"model": "llama-3.3-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8",
             "serving_use": "interactive"}}


@pytest.fixture(scope="session")
def catalog():
    """The shipped pricing tables, as of the test run's date (no env overlay)."""
    return load_catalog(use_env=False)


@pytest.fixture(autouse=True)
def _no_env_overlay(monkeypatch):
    """Tests never pick up an analyst's TCO_* settings from the environment."""
    import os
    for k in list(os.environ):
        if k.startswith("TCO_"):
            monkeypatch.delenv(k)


def usage_catalog(folder: Path, extra_rows: list[dict] = ()):
    """Self-contained API prices for the usage tests: ``m`` with a history (2/8 until 1 March
    2026, then 1/6 [USD/1M tokens]), batch prices and a 200k long-context tier; ``plain`` at
    3/15 with nothing else; plus ``extra_rows`` (provider, names and source filled in)."""
    base = dict(provider="v", display_name="x", open_weights="false", source_url="https://example.com/p")
    write_csv(folder / "api_prices.csv", "api_prices", [
        {**base, "model_id": "m", "usd_per_mtok_input": "2", "usd_per_mtok_cached_input": "0.5",
         "usd_per_mtok_output": "8", "usd_per_mtok_batch_input": "1", "usd_per_mtok_batch_output": "4",
         "long_context_threshold_tokens": "200000", "usd_per_mtok_input_long": "4",
         "usd_per_mtok_output_long": "12", "effective_date": "2026-01-01"},
        # a price cut on 1 March: 2/8 -> 1/6
        {**base, "model_id": "m", "usd_per_mtok_input": "1", "usd_per_mtok_cached_input": "0.25",
         "usd_per_mtok_output": "6", "usd_per_mtok_batch_input": "0.5", "usd_per_mtok_batch_output": "3",
         "long_context_threshold_tokens": "200000", "usd_per_mtok_input_long": "2",
         "usd_per_mtok_output_long": "9", "effective_date": "2026-03-01"},
        {**base, "model_id": "plain", "usd_per_mtok_input": "3", "usd_per_mtok_output": "15",
         "effective_date": "2026-01-01"},
        *({**base, **r} for r in extra_rows),
    ])
    return load_catalog(base_dir=folder, use_env=False)


def write_csv(path: Path, table: str, rows: list[dict]) -> Path:
    """Write ``rows`` as a CSV of ``table`` (missing columns left blank)."""
    cols = TABLES[table].column_names
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})
    return path


# ------------------------------------------------------------------ database back-ends

@pytest.fixture(scope="session")
def postgres_cluster():
    """A private PostgreSQL cluster on 127.0.0.1 for the whole session (stopped after).

    Skipped with the reason when Debian's PostgreSQL is not installed, except in CI, where
    ``make test`` installs it and its absence is a failure.
    """
    import os

    from pgcluster import PostgresCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: `make test` installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                    "`apt-get install postgresql`, or run `make test`, which does")
    cluster = PostgresCluster(bindir).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh empty scenario database on each back-end: a SQLite file path, a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "saved.sqlite3")
    return request.getfixturevalue("postgres_cluster").new_database()


def lifecycle_log():
    """A usage log crossing a shutdown and two promotion ends in the shipped catalog, and its
    hand-computed bill [USD] (the tests of tco.usage, usage_stream and usage_dask share it).

    gpt-4o: 2.50 input / 1.25 cache read / 10 output [USD/1M] until its shutdown on 2027-01-14
    (model_lifecycle): a row on 2027-01-13 is 0.8M x 2.50 + 0.2M x 1.25 + 0.1M x 10 = 3.25; rows
    on 2027-01-14 and 2027-02-03 (batch) are refused, so unpriced, never billed.
    gemini-4-argon: launch promotion 2 / 10 until 2026-12-01, list 4 / 20 from then; batch 1 / 5
    during the promotion, 2 / 10 after: 2026-11-30: 1 x 2 + 0.1 x 10 = 3.00; 2026-12-01: 4 + 2 = 6.00;
    2026-12-02 batch: 1 x 2 + 0.1 x 10 = 3.00.
    gemini-3.6-flash: half-price promotion 0.75 until 2027-01-01, list 1.50 from then (input only):
    2026-12-31: 0.75; 2027-01-01: 1.50.          Priced total 3.25 + 3 + 6 + 3 + 0.75 + 1.5 = 17.50.
    """
    import pandas as pd

    def row(day, model, tin, cached=0, out=0, batch=False):
        return {"timestamp": day, "model": model, "input_tokens": tin, "cached_input_tokens": cached,
                "output_tokens": out, "batch": batch, "requests": 1}
    log = pd.DataFrame([
        row("2027-01-13", "gpt-4o", 1_000_000, 200_000, 100_000), row("2027-01-14", "gpt-4o", 1_000_000, 200_000, 100_000),
        row("2027-02-03", "gpt-4o", 1_000_000, 0, 100_000, batch=True),
        row("2026-11-30", "gemini-4-argon", 1_000_000, 0, 100_000), row("2026-12-01", "gemini-4-argon", 1_000_000, 0, 100_000),
        row("2026-12-02", "gemini-4-argon", 1_000_000, 0, 100_000, batch=True),
        row("2026-12-31", "gemini-3.6-flash", 1_000_000), row("2027-01-01", "gemini-3.6-flash", 1_000_000)])
    by_month = {"2026-11": 3.0, "2026-12": 6.0 + 3.0 + 0.75, "2027-01": 3.25 + 1.5}
    unpriced = [{"model": "gpt-4o", "rows": 2, "reason": "model shut down on 2027-01-14", "closest": ""}]
    return log, 17.5, by_month, unpriced


def run_readme_python(needle: str) -> dict:
    """Run the README's first ```python block containing ``needle``, as written; its names."""
    import re
    block = next(b for b in re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
                 if needle in b)
    scope: dict = {}
    exec(block, scope)                                      # noqa: S102  (the repository's own README)
    return scope
