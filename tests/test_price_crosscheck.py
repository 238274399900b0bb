"""tco's token prices cross-checked against two independent calculators on generated requests.

A few thousand requests (seeded: models present in tco's ``api_prices`` and in the other
calculator; prompt lengths on both sides of the long-context thresholds; cache reads, cache
writes, batch or not; for genai-prices dates from each model's first tco price to 2026-12-01)
are priced by :func:`tco.usage.price_usage` and by

* LiteLLM's price table (``model_prices_and_context_window.json``, the shared copy next to the
  repository; the test skips without it and never commits one), with the calculator below:
  the table's per-token fields, ``_batches`` for the batch API and ``_above_<N>k_tokens`` when
  the prompt is above N thousand tokens;
* the ``genai-prices`` package (pinned in requirements-dev.txt), through its own
  ``calc_price`` with the request's date and ``{"processing": "batch"}`` for batch requests.
  Its batch variants carry a start date, 2026-10-14 for nearly every model of every vendor
  (the day its data began recording batch prices, not a vendor's change: OpenAI's and
  Anthropic's batch APIs billed half price long before); before that it bills a batch request
  at the list price.  Batch requests are therefore dated from that start, where its data has
  a batch price at all.

Where a request's price differs, the price per token of each kind the request has (input,
cache read, cache write, output; batch; long context) is read from both sides to name the
field.  Every such (calculator, model, field, tco value, other value) must be one of the rows of
``tests/data/price_crosscheck_disagreements.csv`` -- each a case where tco follows the vendor's
own page, with its address and the reason (a reason still marked "Doubtful" fails: the vendor's
page is to be read first) -- and every row there must still occur: the test fails on any other
disagreement and on a stale row.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from tco.catalog import load_catalog
from tco.usage import price_usage



def _shared(name: str) -> Path:
    """``../shared/data/<name>`` next to the repository; from a git worktree, next to the main one
    (its ``.git`` file names ``<main>/.git/worktrees/<name>``)."""
    roots = [REPO]
    git = REPO / ".git"
    if git.is_file() and git.read_text().startswith("gitdir:"):
        roots.append(Path(git.read_text().split(":", 1)[1].strip()).parents[2])
    paths = [r.parent / "shared" / "data" / name for r in roots]
    return next((p for p in paths if p.exists()), paths[0])


LITELLM = _shared("litellm_model_prices.json")
DISAGREEMENTS = REPO / "tests" / "data" / "price_crosscheck_disagreements.csv"
AS_OF = "2026-12-01"
N_REQUESTS = 3000
KINDS = ("input", "cached_input", "cache_write", "output")
#: Requests dated for genai-prices are sent at 07:00 UTC on a weekday: DeepSeek bills by the hour and
#: tco's ``deepseek-*`` rows are its peak rate (weekdays 01:00-04:00 and 06:00-10:00 UTC; the other
#: hours are the ``:off-peak`` rows), which genai-prices applies by the request's time.
PEAK_HOUR_UTC = 7
#: tco provider -> genai-prices provider id, for the vendors that sell their own models.
GENAI_PROVIDER = {"openai": "openai", "anthropic": "anthropic", "google": "google", "xai": "x-ai",
                  "moonshot": "moonshotai", "mistral": "mistral", "deepseek": "deepseek"}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(as_of=AS_OF)


def field_name(kind: str, batch: bool, long: bool) -> str:
    """The tco column a rate stands for (``usd_per_mtok_batch_cache_write`` is derived: the batch
    discount on the cache-write price; ``..._batch_*_long``: both at once)."""
    return f"usd_per_mtok_{'batch_' if batch else ''}{kind}{'_long' if long else ''}"


def sig(v) -> str:
    """A price as the table writes it: 6 significant digits, blank for none."""
    return "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{float(v):.6g}"


# --------------------------------------------------------------------------- the requests

def tco_models(catalog) -> pd.DataFrame:
    """Rows in force on AS_OF of models not shut down by then, with their first price date and end."""
    cur = catalog.api_prices
    hist = catalog.history["api_prices"]
    first = hist.groupby("model_id")["effective_date"].min()
    life = catalog.tables["model_lifecycle"].set_index("model_id")["shutdown_date"]
    out = cur[["provider", "model_id", "usd_per_mtok_batch_input", "context_window_tokens"]].copy()
    out["first_day"] = out["model_id"].map(first)
    out["shutdown"] = out["model_id"].map(life)
    keep = out["shutdown"].isna() | (out["shutdown"] > pd.Timestamp(AS_OF))
    return out[keep].reset_index(drop=True)


def generate(models: pd.DataFrame, batchable: np.ndarray, seed: int, dated: bool,
             batch_from: np.ndarray | None = None) -> pd.DataFrame:
    """N_REQUESTS single requests: a third with long prompts (100k-500k tokens, within the context
    window), half with cache reads, a third with cache writes, a third of batchable ones batch;
    ``dated``: a day from the model's first tco price (2025-01-01 at the earliest) to AS_OF, for
    batch requests from ``batch_from`` of the model on [datetime64[D] per model]."""
    rng = np.random.default_rng(seed)
    n = N_REQUESTS
    pick = rng.integers(0, len(models), n)
    window = models["context_window_tokens"].fillna(128_000).to_numpy(float)[pick]
    long = rng.random(n) < 0.35
    tin = np.where(long, rng.uniform(100_000, np.minimum(500_000, window)),
                   np.exp(rng.uniform(np.log(100), np.log(100_000), n))).astype(np.int64)
    cached = np.where(rng.random(n) < 0.5, tin * rng.uniform(0, 0.8, n), 0).astype(np.int64)
    write = np.where(rng.random(n) < 0.35, (tin - cached) * rng.uniform(0, 0.5, n), 0).astype(np.int64)
    out = np.exp(rng.uniform(0, np.log(20_000), n)).astype(np.int64)
    batch = batchable[pick] & (rng.random(n) < 0.35)
    end = pd.Timestamp(AS_OF)
    if dated:
        start = np.maximum(models["first_day"].to_numpy("datetime64[D]")[pick], np.datetime64("2025-01-01"))
        if batch_from is not None:
            start = np.where(batch, np.maximum(start, batch_from[pick]), start)
        span = (np.datetime64(AS_OF) - start).astype(np.int64)
        days = start + (rng.random(n) * (span + 1)).astype(np.int64)
        days = np.busday_offset(days, 0, roll="forward")           # weekdays (see PEAK_HOUR_UTC)
    else:
        days = np.full(n, np.datetime64(end, "D"))
    return pd.DataFrame({"timestamp": pd.to_datetime(days).strftime("%Y-%m-%d"),
                         "model": models["model_id"].to_numpy()[pick], "input_tokens": tin,
                         "cached_input_tokens": cached, "cache_write_tokens": write, "output_tokens": out,
                         "batch": batch, "requests": 1})


def tco_prices(log: pd.DataFrame, catalog) -> pd.DataFrame:
    rows = price_usage(log, catalog).rows.assign(timestamp=log["timestamp"].to_numpy())
    assert rows["priced"].all(), "every generated request is one tco prices"
    assert not rows["price_assumed"].any()
    return rows


# --------------------------------------------------------------------------- LiteLLM's table

def litellm_keys(catalog, table: dict) -> dict[str, str]:
    """tco id -> LiteLLM key: the same id, else an alias of namespace ``litellm`` the table has."""
    aliases = catalog.tables["model_aliases"]
    lit = aliases[aliases["namespace"] == "litellm"]
    out = {}
    for mid in catalog.api_prices["model_id"]:
        names = [mid, *lit.loc[lit["model_id"] == mid, "alias"]]
        hit = [k for k in names if isinstance(table.get(k), dict) and "input_cost_per_token" in table[k]
               and "output_cost_per_token" in table[k]]
        if hit:
            out[mid] = hit[0]
    return out


def litellm_threshold(entry: dict) -> float:
    """The first long-context threshold of a LiteLLM entry [tokens] (inf for none)."""
    ks = [int(k.split("_above_")[1].split("k_tokens")[0]) * 1000 for k in entry
          if k.startswith("input_cost_per_token_above_") and k.endswith("k_tokens")]
    return float(min(ks)) if ks else math.inf


def litellm_rates(entry: dict, batch: bool, long: bool) -> dict[str, float]:
    """Price per token of each kind for a request [USD/token], read from one LiteLLM entry.

    Blank cache prices fall back on the input price; a long-context price missing for a kind
    keeps the short one; a batch price missing for a cache kind keeps the list price (the
    table does not say it is discounted); a long batch price missing is the long price x the
    input's (or output's) batch/list ratio.
    """
    th = litellm_threshold(entry)
    tier = f"_above_{int(th) // 1000}k_tokens" if long else ""
    base = {"input": "input_cost_per_token", "cached_input": "cache_read_input_token_cost",
            "cache_write": "cache_creation_input_token_cost", "output": "output_cost_per_token"}

    def get(key):
        v = entry.get(key)
        return float(v) if isinstance(v, (int, float)) else None

    rates = {}
    for kind, key in base.items():
        r = get(key + tier) if long else None
        r = get(key) if r is None else r
        if r is None:                                             # blank cache price: the input price
            r = rates["input"]
        if batch:
            b = get(key + tier + "_batches") if long else get(key + "_batches")
            if b is None and long and get(key + "_batches") is not None and get(key):
                b = r * get(key + "_batches") / get(key)
            if b is None and kind == "cache_write" and get(key) is None:
                b = rates["input"]                                # written at the (batch) input price
            r = r if b is None else b
        rates[kind] = r
    return rates


def litellm_cost(entry: dict, req) -> tuple[float, dict, bool]:
    long = req.input_tokens > litellm_threshold(entry)
    rates = litellm_rates(entry, bool(req.batch), long)
    uncached = req.input_tokens - req.cached_input_tokens - req.cache_write_tokens
    tokens = {"input": uncached, "cached_input": req.cached_input_tokens, "cache_write": req.cache_write_tokens,
              "output": req.output_tokens}
    return sum(tokens[k] * rates[k] for k in KINDS), rates, long


# --------------------------------------------------------------------------- genai-prices

def genai_models(models: pd.DataFrame):
    """tco rows genai-prices knows under the vendor's own provider and the same id; and which
    of them have a batch variant there."""
    from genai_prices.data import providers
    by_provider = {p.id: {m.id: m for m in p.models} for p in providers}
    keep, batchable, batch_from = [], [], []
    for _, r in models.iterrows():
        gp = GENAI_PROVIDER.get(r["provider"])
        m = by_provider.get(gp, {}).get(r["model_id"])
        if m is None:
            continue
        keep.append(r)
        variants = [v for v in (m.price_variants or ()) if v.when.get("processing") == "batch"]
        batchable.append(bool(variants))
        starts = [v.constraint.start_date for v in variants if v.constraint is not None]
        batch_from.append(np.datetime64(min(starts), "D") if starts else np.datetime64("2000-01-01", "D"))
    return (pd.DataFrame(keep).reset_index(drop=True), np.array(batchable, dtype=bool),
            np.array(batch_from, dtype="datetime64[D]"))


def genai_call(model, provider, ts, batch, **tokens) -> Decimal:
    from genai_prices import Usage, calc_price
    ctx = {"processing": "batch"} if batch else None
    return calc_price(Usage(**tokens), model, provider_id=provider, genai_request_timestamp=ts,
                      price_context=ctx).total_price


def genai_threshold(model, provider, ts, batch) -> float:
    """The first tier start of the input price genai-prices uses [tokens] (inf for none)."""
    from genai_prices.data_snapshot import get_snapshot
    from genai_prices.types import TieredPrices
    prov = next(p for p in get_snapshot().providers if p.id == provider)
    m = next(m for m in prov.models if m.id == model)
    price = m.get_prices(ts, {"processing": "batch"} if batch else None).input_mtok
    return float(price.tiers[0].start) if isinstance(price, TieredPrices) and price.tiers else math.inf


def genai_rates(model, provider, ts, batch, tin) -> dict[str, float]:
    """Price per token of each kind at a prompt of ``tin`` tokens [USD/token], by pricing one
    kind at a time with genai-prices' calculator at the same prompt length (same tier)."""
    def call(**kw):
        return float(genai_call(model, provider, ts, batch, input_tokens=tin, **kw))
    plain = call()
    return {"input": plain / tin, "cached_input": call(cache_read_tokens=tin) / tin,
            "cache_write": call(cache_write_tokens=tin) / tin, "output": call(output_tokens=tin) / tin - plain / tin}


# --------------------------------------------------------------------------- comparing

def tco_rates(row) -> dict[str, float]:
    """tco's price per token of each kind the request has [USD/token] (from its per-kind bill)."""
    uncached = row.input_tokens - row.cached_input_tokens - row.cache_write_tokens
    parts = {"input": (row.usd_input, uncached), "cached_input": (row.usd_cached_input, row.cached_input_tokens),
             "cache_write": (row.usd_cache_write, row.cache_write_tokens), "output": (row.usd_output, row.output_tokens)}
    return {k: usd / n for k, (usd, n) in parts.items() if n > 0}


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-12)


def explain(library, row, other_total, other_rates, tco_threshold, other_threshold, other_long) -> set[tuple]:
    """The (library, model, field, tco value, other value) behind one request's different price."""
    if bool(row.long_context) != bool(other_long):
        return {(library, row.model, "long_context_threshold_tokens", sig(tco_threshold), sig(other_threshold))}
    mine = tco_rates(row)
    found = {(library, row.model, field_name(k, bool(row.batch), bool(row.long_context)), sig(mine[k] * 1e6),
              sig(other_rates[k] * 1e6)) for k in mine if not close(mine[k], other_rates[k])}
    assert found, (f"{library}: {row.model} on {row.timestamp} costs {row.usd} in tco and {other_total} there, "
                   f"yet every price per token agrees: the calculators differ in how they bill, not in a price")
    return found


def documented(library: str) -> set[tuple]:
    with DISAGREEMENTS.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        assert r["source_url"].startswith("https://") and len(r["reason"]) > 20, r
        assert "doubtful" not in r["reason"].lower(), f"an unresolved disagreement (check the vendor's page): {r}"
    return {(r["library"], r["model_id"], r["field"], r["tco_value"], r["other_value"]) for r in rows
            if r["library"] == library}


def compare(library: str, seen: set[tuple]) -> None:
    """Every disagreement seen is documented, and every documented one is seen."""
    doc = documented(library)
    new, stale = sorted(seen - doc), sorted(doc - seen)
    assert not new, f"{len(new)} undocumented disagreements with {library} (fix tco or document them):\n" + \
        "\n".join(",".join(t) for t in new)
    assert not stale, f"{len(stale)} documented disagreements with {library} no longer occur:\n" + \
        "\n".join(",".join(t) for t in stale)


# --------------------------------------------------------------------------- the tests

def test_tco_agrees_with_litellm_or_follows_the_vendor(catalog):
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM's price file absent ({LITELLM})")
    table = json.loads(LITELLM.read_text())
    keys = litellm_keys(catalog, table)
    models = tco_models(catalog)
    models = models[models["model_id"].isin(keys)].reset_index(drop=True)
    assert len(models) >= 40, "the cross-check covers most vendors' current models"
    batchable = models["usd_per_mtok_batch_input"].notna().to_numpy() & \
        np.array(["input_cost_per_token_batches" in table[keys[m]] for m in models["model_id"]])
    log = generate(models, batchable, seed=13, dated=False)
    rows = tco_prices(log, catalog)
    hist = catalog.api_prices.set_index("model_id")
    seen, agree = set(), 0
    for row in rows.itertuples(index=False):
        entry = table[keys[row.model]]
        other, rates, long = litellm_cost(entry, row)
        if close(row.usd, other):
            agree += 1
            continue
        th = hist.loc[row.model, "long_context_threshold_tokens"]
        seen |= explain("litellm", row, other, rates, th, litellm_threshold(entry), long)
    assert agree > N_REQUESTS // 2
    compare("litellm", seen)


def test_tco_agrees_with_genai_prices_or_follows_the_vendor(catalog):
    pytest.importorskip("genai_prices")
    models, batchable, batch_from = genai_models(tco_models(catalog))
    assert len(models) >= 40
    batchable &= models["usd_per_mtok_batch_input"].notna().to_numpy()
    log = generate(models, batchable, seed=29, dated=True, batch_from=batch_from)
    rows = tco_prices(log, catalog)
    provider = dict(zip(models["model_id"], models["provider"].map(GENAI_PROVIDER)))
    hist = catalog.history["api_prices"]
    seen, agree = set(), 0
    for row in rows.itertuples(index=False):
        ts = dt.datetime.fromisoformat(row.timestamp).replace(hour=PEAK_HOUR_UTC, tzinfo=dt.timezone.utc)
        gp = provider[row.model]
        other = float(genai_call(row.model, gp, ts, row.batch, input_tokens=row.input_tokens,
                                 cache_read_tokens=row.cached_input_tokens, cache_write_tokens=row.cache_write_tokens,
                                 output_tokens=row.output_tokens))
        if close(row.usd, other):
            agree += 1
            continue
        th_other = genai_threshold(row.model, gp, ts, row.batch)
        price = hist[(hist["model_id"] == row.model) & (hist["effective_date"] == row.price_date)]
        th = price["long_context_threshold_tokens"].iloc[0]
        seen |= explain("genai-prices", row, other, genai_rates(row.model, gp, ts, row.batch, row.input_tokens),
                        th, th_other, row.input_tokens > th_other)
    assert agree > N_REQUESTS // 2
    compare("genai-prices", seen)
