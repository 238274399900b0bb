"""Price real API usage logs, and turn them into the start of a projection.

A usage log has one row per request or per day:

=====================  ========  ==========================================================
column                 required  meaning
=====================  ========  ==========================================================
timestamp              yes       when (ISO date or date-time; the price in force that day)
model                  yes       model id as in ``api_prices`` (``gpt-4o``, ...)
input_tokens           yes       prompt tokens, cached ones included [tokens]
output_tokens          yes       generated tokens [tokens]
cached_input_tokens    no        the part of ``input_tokens`` read from the prompt cache [tokens]
cache_write_tokens     no        the part of ``input_tokens`` written to the prompt cache (5-minute
                                 writes, or all writes when the log does not tell them apart) [tokens]
cache_write_1h_tokens  no        the part of ``input_tokens`` written to the 1-hour cache [tokens]
reasoning_tokens       no        the part of ``output_tokens`` spent reasoning (billed as output) [tokens]
batch                  no        true when sent through the batch API
requests               no        requests the row adds up (a daily row); default 1 [requests]:
                                 without it every row is one request, so a daily total above a
                                 long-context threshold would be billed at long-context prices
=====================  ========  ==========================================================

Pricing rules, per row, as vendors bill: uncached input x input price + cached input x
cached price + cache writes x cache-write price + output x output price [USD/1M tokens]
(reasoning tokens are output tokens); batch rows at the batch prices (cache reads at the
batch cache-read price where the table has one, else at their price -- the batch input
price for a model without a cache discount; cache writes get the batch discount); when the prompt per request
(``input_tokens / requests``) is above the model's long-context threshold, the whole
request is billed at the long-context prices.  A model without a cache-write price writes
at its input price (the table's rule); 1-hour writes use ``usd_per_mtok_cache_write_1h``
where the table has one, else the cache-write price (and are counted in the summary).  Each row uses the price in force on its date (``effective_date`` <=
the row's date < ``effective_until``); a row on or after its model's ``shutdown_date``
(``model_lifecycle``), or after its price ended with no later row, is not priced (the
vendor refuses such requests) and is listed in ``unpriced`` with the date.  Everything is vectorised: a merge by model and date, then array
arithmetic; no loop over rows.

>>> import pandas as pd
>>> from tco.catalog import load_catalog
>>> log = pd.DataFrame({"timestamp": ["2026-01-05"], "model": ["gpt-4o"],
...                     "input_tokens": [1_000_000], "output_tokens": [100_000]})
>>> round(float(price_usage(log, load_catalog()).rows["usd"].iloc[0]), 2)   # 1M x 2.50 + 0.1M x 10.00
3.5
"""
from __future__ import annotations

import io
import math
import os
import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from tco.catalog import Catalog, closest

REQUIRED = ("timestamp", "model", "input_tokens", "output_tokens")
OPTIONAL = ("cached_input_tokens", "batch", "requests")
#: Optional token columns that, unlike OPTIONAL, appear in the typed log only when the input has them.
EXTRA_TOKENS = ("cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens")
#: Column names other tools export, accepted as aliases.
ALIASES = {"date": "timestamp", "time": "timestamp", "model_id": "model", "prompt_tokens": "input_tokens",
           "completion_tokens": "output_tokens", "cached_tokens": "cached_input_tokens",
           "cache_read_input_tokens": "cached_input_tokens", "num_requests": "requests", "is_batch": "batch",
           "cache_creation_input_tokens": "cache_write_tokens"}
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f", ""}


class UsageError(ValueError):
    """Rows of a usage log are invalid; ``errors`` holds ``line: column: message`` strings."""

    def __init__(self, errors: list[str], source: str = "usage log"):
        self.errors = errors
        super().__init__(f"{len(errors)} invalid row(s) in {source}:\n" + "\n".join(errors[:50]))


@dataclass
class UsageResult:
    """A priced usage log.

    ``rows``: the input rows with ``date``, ``month``, the prices used and ``usd`` (NaN for
    rows whose model is unknown or unpriced on that date; they are listed in ``unpriced``).
    """

    rows: pd.DataFrame
    unpriced: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def total_usd(self) -> float:
        return float(self.rows["usd"].sum(skipna=True))

    def by_month(self) -> pd.DataFrame:
        """Per calendar month: requests, tokens and USD (priced rows only)."""
        return _aggregate(self.rows, "month")

    def by_model(self) -> pd.DataFrame:
        """Per model: requests, tokens and USD (priced rows only)."""
        return _aggregate(self.rows, "model")

    @property
    def requests_given(self) -> bool:
        """Whether the log said how many requests each row adds up (else each row is one)."""
        return self.rows.attrs.get("requests_given", True)

    def monthly(self) -> pd.DataFrame:
        """Per month (priced rows): requests, tokens, batch tokens and USD, as :func:`usage_workload` needs."""
        priced = self.rows[self.rows["priced"]]
        tokens = priced["input_tokens"] + priced["output_tokens"]
        df = priced[["month", "requests", "input_tokens", "cached_input_tokens", "output_tokens", "usd"]].assign(
            batch_tokens=tokens.where(priced["batch"], 0.0))
        return df.groupby("month", sort=True, observed=True).sum().reset_index()

    def summary(self) -> str:
        lines = [f"{len(self.rows):,} rows, {self.rows['priced'].sum():,} priced, total ${self.total_usd:,.2f}"]
        assumed = int(self.rows["price_assumed"].sum())
        if assumed:
            lines.append(f"{assumed:,} rows dated before their model's first known price were priced at that price")
        long_rows = int(self.rows["long_context"].sum())
        if long_rows and not self.rows.attrs.get("requests_given", True):
            lines.append(f"{long_rows:,} rows billed at long-context prices as single requests: add a requests "
                         "column if rows add up several requests")
        for _, r in self.unpriced.iterrows():
            near = f" (closest: {r['closest']})" if r["closest"] else ""
            lines.append(f"not priced: {r['model']} ({r['rows']:,} rows): {r['reason']}{near}")
        return "\n".join(lines)


def _aggregate(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    priced = rows[rows["priced"]]
    g = priced.groupby(by, sort=True, observed=True)
    out = pd.DataFrame({
        "requests": g["requests"].sum(),
        "input_tokens": g["input_tokens"].sum(),
        "cached_input_tokens": g["cached_input_tokens"].sum(),
        "output_tokens": g["output_tokens"].sum(),
        "usd": g["usd"].sum(),
    })
    out["usd_per_mtok"] = out["usd"] / (out["input_tokens"] + out["output_tokens"]) * 1e6
    return out.reset_index()


# --------------------------------------------------------------------------- reading and checking

def read_usage_csv(source, name: str | None = None) -> pd.DataFrame:
    """Read a usage CSV (path, text or file object) and check it; raises :class:`UsageError`."""
    label = name or (str(source) if isinstance(source, (str, os.PathLike)) and not str(source).count("\n") else
                     "usage log")
    if isinstance(source, str) and "\n" in source:
        source = io.StringIO(source)
    try:
        df = pd.read_csv(source, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError([f"{label}: not a readable CSV ({exc})"], label) from None
    return validate_usage(df, label)


def validate_usage(df: pd.DataFrame, source: str = "usage log", first_line: int = 2) -> pd.DataFrame:
    """Check and type a usage log; every bad value is reported as ``source:line: column: message``.

    Line numbers count the header as line 1, as in the CSV file: the first row is
    ``first_line`` (a later chunk of a streamed file starts further on).
    """
    df = df.rename(columns={c: ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) for c in df.columns})
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise UsageError([f"{source}:1: {c}: required column missing (columns: {', '.join(REQUIRED)}"
                          f"; optional: {', '.join(OPTIONAL + EXTRA_TOKENS)})" for c in missing], source)
    if len(df) == 0:
        raise UsageError([f"{source}:2: -: the log has no rows"], source)
    errors: list[str] = []
    lines = np.arange(len(df)) + first_line
    out = pd.DataFrame(index=df.index)

    def bad(mask, column, message):
        for ln in lines[np.asarray(mask)][:20]:
            errors.append(f"{source}:{ln}: {column}: {message}")
        extra = int(np.asarray(mask).sum()) - 20
        if extra > 0:
            errors.append(f"{source}: {column}: ... and {extra} more rows")

    out["date"] = _dates(df["timestamp"])
    bad(out["date"].isna(), "timestamp", "not a date or date-time (use ISO, e.g. 2026-03-01 or 2026-03-01T12:00:00Z)")
    model = df["model"].astype(str)
    if not model.empty and (model.str.len() != model.str.strip().str.len()).any():
        model = model.str.strip()
    bad(model == "", "model", "empty")
    out["model"] = model
    extra_cols = [(c, False) for c in EXTRA_TOKENS if c in df.columns]
    for col, required in (("input_tokens", True), ("output_tokens", True), ("cached_input_tokens", False),
                          ("requests", False), *extra_cols):
        if col not in df.columns:
            out[col] = 1.0 if col == "requests" else 0.0
            continue
        if pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            arr = df[col].to_numpy(dtype=float, na_value=np.nan)       # already numbers: no text parsing
            if not required:                                            # a row without the value: the default
                arr = np.where(np.isnan(arr), 1.0 if col == "requests" else 0.0, arr)
        else:
            raw = df[col].astype(str).str.strip().str.replace(",", "", regex=False)
            blank = "1" if col == "requests" else ("0" if not required else None)
            arr = pd.to_numeric(raw.where(raw != "", blank), errors="coerce").to_numpy(dtype=float)
        bad(~np.isfinite(arr), col, "not a finite number")
        bad(np.isfinite(arr) & (arr < 0), col, "must be >= 0")
        if col == "requests":
            bad(np.isfinite(arr) & (arr == 0), col, "must be > 0")
        out[col] = arr
    if "batch" in df.columns and pd.api.types.is_bool_dtype(df["batch"]):
        out["batch"] = df["batch"].to_numpy(dtype=bool)
    elif "batch" in df.columns:
        b = df["batch"].astype(str).str.strip().str.lower()
        bad(~b.isin(TRUE | FALSE), "batch", "use true or false")
        out["batch"] = b.isin(TRUE).to_numpy()
    else:
        out["batch"] = False
    over = (np.isfinite(out["cached_input_tokens"]) & (out["input_tokens"] >= 0)
            & (out["cached_input_tokens"] > out["input_tokens"]))
    bad(over.to_numpy(), "cached_input_tokens", "more than input_tokens (input_tokens counts cached tokens too)")
    writes = [c for c, _ in extra_cols if c.startswith("cache_write")]
    if writes:
        parts = out["cached_input_tokens"] + sum(out[c] for c in writes)
        bad((np.isfinite(parts) & (parts > out["input_tokens"])).to_numpy(), writes[0],
            "cache reads and writes add up to more than input_tokens (input_tokens counts them too)")
    if "reasoning_tokens" in out.columns:
        bad((out["reasoning_tokens"] > out["output_tokens"]).to_numpy(), "reasoning_tokens",
            "more than output_tokens (output_tokens counts reasoning tokens too)")
    if errors:
        raise UsageError(errors, source)
    out["line"] = lines
    out = out.reset_index(drop=True)
    out.attrs["requests_given"] = "requests" in df.columns   # without it, each row is one request
    return out


def _dates(col: pd.Series) -> pd.Series:
    """Calendar day (UTC) of each timestamp; NaT where it is not a date."""
    if pd.api.types.is_datetime64_any_dtype(col):
        ts = col if col.dt.tz is None else col.dt.tz_convert("UTC").dt.tz_localize(None)
        return ts.dt.normalize()
    text = col.astype(str).str.strip()
    ts = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")      # the fast path
    retry = ts.isna() & (text != "")
    if retry.any():                                                             # other spellings, row by row
        ts[retry] = pd.to_datetime(text[retry], errors="coerce", utc=True, format="mixed")
    return ts.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()


# --------------------------------------------------------------------------- pricing

PRICE_COLUMNS = ("usd_per_mtok_input", "usd_per_mtok_cached_input", "usd_per_mtok_output", "usd_per_mtok_batch_input",
                 "usd_per_mtok_batch_output", "long_context_threshold_tokens", "usd_per_mtok_input_long",
                 "usd_per_mtok_cached_input_long", "usd_per_mtok_output_long", "usd_per_mtok_batch_cached_input")
#: No end: the ``row_until`` and ``shutdown_day`` of a row or model that has none [days since 1970-01-01].
_NO_END = np.iinfo(np.int64).max
#: The rate arrays of a :class:`PriceTable`, one per token kind [USD/token].
RATES = ("input", "cached_input", "cache_write", "cache_write_1h", "output")
#: An Anthropic-style dated snapshot suffix (``-20250929``): the same model as the alias.
_SNAPSHOT = re.compile(r"-\d{8}$")
_DAY_SHIFT = np.int64(1) << np.int64(40)


def resolve_model(name: str, ids) -> str | None:
    """The catalog id a log's model name means, or ``None``.

    Tried in turn: the name as written, lower case, without leading provider segments
    (``openrouter/openai/gpt-4o`` -> ``openai/gpt-4o`` -> ``gpt-4o``; the catalog's own
    prefixed ids such as ``bedrock/...`` match before stripping), without a dated snapshot
    suffix of 8 digits, and with dots for dashes (OpenRouter's ``claude-sonnet-4.5``).

    >>> ids = {"gpt-4o", "claude-sonnet-4-5", "bedrock/claude-sonnet-4-6", "gpt-4.1"}
    >>> [resolve_model(m, ids) for m in ("openai/gpt-4o", "anthropic/claude-sonnet-4.5",
    ...  "claude-sonnet-4-5-20250929", "bedrock/claude-sonnet-4-6", "GPT-4.1", "gpt-4")]
    ['gpt-4o', 'claude-sonnet-4-5', 'claude-sonnet-4-5', 'bedrock/claude-sonnet-4-6', 'gpt-4.1', None]
    """
    name = str(name).strip()
    parts = name.lower().split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    for candidate in (name, *tails, *(_SNAPSHOT.sub("", t) for t in tails), *(t.replace(".", "-") for t in tails)):
        if candidate in ids:
            return candidate
    return None


@dataclass(frozen=True)
class PriceTable:
    """The catalog's price history prepared for array lookups (built once per catalog).

    Price row ``r`` (sorted by model, then date) has four variants ``v = batch + 2 x long``;
    ``rates[k][4 r + v]`` is the price of a token of kind ``k`` [USD/token] (already divided
    by 1e6) for that variant, NaN where the model lacks the price the variant needs (a batch
    price, a long-context tier). One extra row at the end (``r = n``) stands for "no price":
    all NaN, so unknown models need no special case in the arithmetic.
    """

    ids: tuple                      # catalog model ids, index = model code
    code_of: dict                   # id -> model code
    row_model: np.ndarray           # model code of each price row [n]
    row_day: np.ndarray             # effective day of each price row [days since 1970-01-01]
    row_hist: np.ndarray            # row of catalog.history["api_prices"] [n]
    first_day: np.ndarray           # first effective day per model code
    threshold: np.ndarray           # long-context threshold per price row, inf = none [tokens] [n + 1]
    rates: dict                     # kind -> [4 (n + 1)] [USD/token]
    ok: np.ndarray                  # every rate of the variant is known [4 (n + 1)]
    has_1h_price: np.ndarray        # the 1-hour cache-write price is the table's own [n + 1]
    price_date: np.ndarray          # effective date of each price row, NaT for the extra row [n + 1]
    row_until: np.ndarray           # first day each price row no longer applies, _NO_END = open [n + 1]
    shutdown_day: np.ndarray        # the model's shutdown day per model code, _NO_END = none [len(ids) + 1]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> "PriceTable":
        hist = catalog.history["api_prices"]
        ids = tuple(sorted(set(hist["model_id"].astype(str))))
        code_of = {m: i for i, m in enumerate(ids)}
        model = hist["model_id"].astype(str).map(code_of).to_numpy(np.int64)
        day = hist["effective_date"].to_numpy("datetime64[D]").astype(np.int64)
        order = np.lexsort((day, model))
        n = len(order)

        def price(name):
            if name not in hist.columns:
                return np.full(n + 1, np.nan)
            return np.append(hist[name].to_numpy(dtype=float, na_value=np.nan)[order], np.nan)

        p = {c: price(c) for c in (*PRICE_COLUMNS, "usd_per_mtok_cache_write", "usd_per_mtok_cache_write_1h")}
        with np.errstate(divide="ignore", invalid="ignore"):
            inp, out = p["usd_per_mtok_input"], p["usd_per_mtok_output"]
            long_ratio = p["usd_per_mtok_input_long"] / inp             # long-context uplift of input
            cached = np.where(np.isnan(p["usd_per_mtok_cached_input"]), inp, p["usd_per_mtok_cached_input"])
            cached_long = np.where(np.isnan(p["usd_per_mtok_cached_input_long"]), cached * long_ratio,
                                   p["usd_per_mtok_cached_input_long"])
            write = np.where(np.isnan(p["usd_per_mtok_cache_write"]), inp, p["usd_per_mtok_cache_write"])
            has_1h = ~np.isnan(p["usd_per_mtok_cache_write_1h"])
            write_1h = np.where(has_1h, p["usd_per_mtok_cache_write_1h"], write)
            # the batch discount (batch price / list price), 1 for a free list price
            b_in = np.where(inp == 0, 1.0, p["usd_per_mtok_batch_input"] / inp)
            b_out = np.where(out == 0, 1.0, p["usd_per_mtok_batch_output"] / out)
            # cache reads on batch requests: the vendor's batch cache-read price where it has one; a
            # model without a cache discount (cache reads at the input price) bills them as input
            b_cached = np.where(np.isnan(p["usd_per_mtok_batch_cached_input"]) | ~(cached > 0),
                                np.where(cached == inp, b_in, 1.0), p["usd_per_mtok_batch_cached_input"] / cached)
            variants = {   # kind -> (plain, batch, long, long + batch) per price row [USD/1M tokens]
                "input": (inp, inp * b_in, p["usd_per_mtok_input_long"], p["usd_per_mtok_input_long"] * b_in),
                "cached_input": (cached, cached * b_cached, cached_long, cached_long * b_cached),
                "cache_write": (write, write * b_in, write * long_ratio, write * long_ratio * b_in),
                "cache_write_1h": (write_1h, write_1h * b_in, write_1h * long_ratio, write_1h * long_ratio * b_in),
                "output": (out, out * b_out, p["usd_per_mtok_output_long"], p["usd_per_mtok_output_long"] * b_out),
            }
        rates = {k: np.stack(v, axis=1).ravel() / 1e6 for k, v in variants.items()}
        ok = np.logical_and.reduce([np.isfinite(r) for r in rates.values()])
        threshold = np.where(np.isnan(p["long_context_threshold_tokens"]), np.inf, p["long_context_threshold_tokens"])
        first_day = np.full(len(ids), np.iinfo(np.int64).max)
        np.minimum.at(first_day, model[order], day[order])
        if "effective_until" in hist.columns:
            until = hist["effective_until"].to_numpy("datetime64[D]")[order]
            until = np.where(np.isnat(until), _NO_END, until.astype(np.int64))
        else:
            until = np.full(n, _NO_END)
        return cls(ids=ids, code_of=code_of, row_model=model[order], row_day=day[order], row_hist=order,
                   first_day=first_day, threshold=threshold, rates=rates, ok=ok, has_1h_price=has_1h,
                   price_date=np.append(day[order].astype("datetime64[D]"), np.datetime64("NaT", "D")),
                   row_until=np.append(until, _NO_END), shutdown_day=_shutdown_days(catalog, code_of))

    @property
    def n(self) -> int:
        """Price rows (the "no price" row is ``n``)."""
        return len(self.row_model)

    def codes(self, names) -> np.ndarray:
        """Model code of each name (:func:`resolve_model`), -1 for unknown models."""
        return np.array([self.code_of.get(resolve_model(m, self.code_of), -1) for m in names], dtype=np.int64)

    def rows(self, code: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Price row in force for models ``code`` on days ``day``; ``n`` where there is none.

        The newest row on or before the day; before the model's first known price, that
        first price (the caller flags it as assumed: ``day < first_day[code]``).
        """
        key = np.where(code >= 0, code, len(self.ids)) * _DAY_SHIFT + day
        p_key = self.row_model * _DAY_SHIFT + self.row_day
        idx = np.searchsorted(p_key, key, side="right") - 1
        n = self.n
        if n == 0:
            return np.zeros(len(code), dtype=np.int64)
        safe, nxt = np.clip(idx, 0, n - 1), np.clip(idx + 1, 0, n - 1)
        in_force = (idx >= 0) & (self.row_model[safe] == code)
        earliest = ~in_force & (self.row_model[nxt] == code)
        return np.where(in_force, safe, np.where(earliest, nxt, n))

    def ended(self, code: np.ndarray, day: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Why a log row dated after its price's end gets no price.

        Parameters
        ----------
        code, day, row : model code, day [days since 1970-01-01] and :meth:`rows` of each log row.

        Returns
        -------
        shut : the row is on or after its model's ``shutdown_date`` (requests fail from then on).
        end_day : the day the price ended [days since 1970-01-01] -- the shutdown day, else the
            ``effective_until`` of the newest row on or before the day when no later row took over;
            -1 where the price is in force.
        """
        mc = np.where(code >= 0, code, len(self.ids))
        shut_day = self.shutdown_day[mc]
        shut = day >= shut_day
        started = self.price_date[row].astype(np.int64) <= day          # not a first price used early (NaT < 0)
        until = self.row_until[row]
        lapsed = ~shut & started & (row < self.n) & (day >= until)
        return shut, np.where(shut, shut_day, np.where(lapsed, until, -1))

    def variant(self, row: np.ndarray, input_tokens, requests, batch) -> tuple[np.ndarray, np.ndarray]:
        """Index into ``rates`` of each log row, and whether it is billed at long-context prices."""
        with np.errstate(divide="ignore", invalid="ignore"):
            long = (input_tokens / requests) > self.threshold[row]             # [tokens/request]
        return row * 4 + batch + 2 * long, long

    def cost(self, flat: np.ndarray, tokens: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """USD of each kind of token (``uncached`` = input less cache reads and writes) [USD]."""
        out = {}
        for kind in RATES:
            t = tokens.get("uncached" if kind == "input" else kind)
            if t is not None:
                out[kind] = t * self.rates[kind][flat]
        return out


def _shutdown_days(catalog: Catalog, code_of: Mapping[str, int]) -> np.ndarray:
    """Shutdown day per model code from ``model_lifecycle`` (as of the catalog's date); the extra last
    entry is for unknown models [days since 1970-01-01, _NO_END = none]."""
    out = np.full(len(code_of) + 1, _NO_END)
    lc = catalog.tables.get("model_lifecycle")
    if lc is None or not len(lc):
        return out
    shut = lc["shutdown_date"].to_numpy("datetime64[D]")
    for mid, d in zip(lc["model_id"].astype(str), shut):      # one per lifecycle row (a few dozen), not per log row
        if mid in code_of and not np.isnat(d):
            out[code_of[mid]] = d.astype(np.int64)
    return out


def token_arrays(column) -> dict[str, np.ndarray]:
    """The token counts a :class:`PriceTable` prices, from ``column(name)`` (an array or ``None``).

    ``uncached`` is input less cache reads and writes [tokens]; kinds the log lacks are left out.
    """
    tin, cached = column("input_tokens"), column("cached_input_tokens")
    tokens = {"cached_input": cached, "output": column("output_tokens")}
    uncached = tin - cached
    for kind in ("cache_write", "cache_write_1h"):
        t = column(kind + "_tokens")
        if t is not None:
            tokens[kind] = t
            uncached = uncached - t
    tokens["uncached"] = uncached
    return tokens


def price_usage(log: pd.DataFrame, catalog: Catalog) -> UsageResult:
    """Price every row of a usage log with the catalog prices in force on its date.

    Long because the whole vectorised join (codes per model, the price row in force per
    date, tiers, cache and batch per row) reads best in one place, step by commented step.

    Parameters
    ----------
    log : a usage log (see the module docstring); checked with :func:`validate_usage`
        unless it already has the typed ``date`` and ``line`` columns that function adds.
        A path (CSV, JSON Lines, Parquet, or a folder of them) is streamed instead: see
        :func:`tco.usage_stream.price_usage_files`, which this hands it to.
    catalog : the pricing catalog; its full ``history`` of ``api_prices`` is used.

    Returns
    -------
    UsageResult
        ``rows`` with ``usd`` [USD] per row.  A row dated before the model's first known
        price is priced at that first price and flagged ``price_assumed`` (the catalog's
        history does not reach back that far).  Rows of unknown models, or needing a batch
        or long-context price the model lacks, are not priced (``usd`` NaN, ``priced``
        False) and are listed with their row counts, the reason and the closest known ids
        in ``unpriced`` -- never priced at zero in silence.  So are rows on or after the
        model's shutdown ("model shut down on D") or after a price's ``effective_until`` with
        no later row: the vendor no longer bills (nor serves) them.

    Notes
    -----
    The lookup is one sorted search (:meth:`PriceTable.rows`): keys ``model code x 2^40 +
    day`` of the price rows, searched for every log row (``numpy.searchsorted``), then one
    gather per token kind, so 1M rows take a fraction of a second.
    """
    rows = log if "date" in log.columns and "line" in log.columns else validate_usage(log)
    table = PriceTable.from_catalog(catalog)
    codes, uniques = pd.factorize(rows["model"].astype(str), sort=False)
    model = table.codes(uniques)[codes] if len(uniques) else np.zeros(0, dtype=np.int64)
    day = rows["date"].to_numpy("datetime64[D]").astype(np.int64)
    price_row = table.rows(model, day)
    known = price_row < table.n
    earliest = known & (day < table.first_day[np.maximum(model, 0)])
    reqs = rows["requests"].to_numpy(float)
    batch = rows["batch"].to_numpy(bool)
    tin = rows["input_tokens"].to_numpy(float)
    flat, long = table.variant(price_row, tin, reqs, batch)

    def column(name):
        return rows[name].to_numpy(float) if name in rows.columns else None

    usd_parts = table.cost(flat, token_arrays(column))
    shut, end_day = table.ended(model, day, price_row)
    priced = table.ok[flat] & (end_day < 0)           # after a shutdown or a price's end, requests are not billed
    usd = sum(usd_parts.values())

    # Month labels as a categorical: integer month codes, one string per distinct month.
    m_int = rows["date"].to_numpy("datetime64[M]").astype(np.int64)
    m0 = int(m_int.min()) if len(m_int) else 0
    span = np.arange(m0, (int(m_int.max()) if len(m_int) else m0) + 1).astype("datetime64[M]")
    month = pd.Categorical.from_codes(m_int - m0, categories=np.datetime_as_string(span, unit="M"))
    columns = {c: rows[c].to_numpy() for c in rows.columns}
    columns.update({
        "month": month,
        "price_date": table.price_date[price_row],
        "price_assumed": earliest & priced,
        "long_context": long,
        "usd_input": np.where(priced, usd_parts["input"], np.nan),
        "usd_cached_input": np.where(priced, usd_parts["cached_input"], np.nan),
    })
    writes = [usd_parts[k] for k in ("cache_write", "cache_write_1h") if k in usd_parts]
    if writes:
        columns["usd_cache_write"] = np.where(priced, sum(writes), np.nan)
    columns.update({
        "usd_output": np.where(priced, usd_parts["output"], np.nan),
        "usd": np.where(priced, usd, np.nan),
        "priced": priced,
    })
    out = pd.DataFrame(columns, copy=False)
    out.attrs["requests_given"] = rows.attrs.get("requests_given", True)
    return UsageResult(rows=out, unpriced=_unpriced(codes, uniques, known, batch, long, priced, catalog,
                                                    shut, end_day))


def _unpriced(codes, uniques, known, batch, long, priced, catalog: Catalog, shut, end_day) -> pd.DataFrame:
    """One line per model with unpriced rows: how many, why, and the closest known ids."""
    bad = ~priced
    n = len(uniques)
    count = np.bincount(codes[bad], minlength=n)
    unknown = np.bincount(codes[bad & ~known], minlength=n)
    batched = np.bincount(codes[bad & known & batch], minlength=n)
    gone = end_day >= 0
    first_end = np.full(n, _NO_END)
    np.minimum.at(first_end, codes[gone], end_day[gone])
    any_shut = np.bincount(codes[gone & shut], minlength=n) > 0
    keep = np.flatnonzero(count)                           # one entry per unpriced model (a few), not per row
    ended = [ended_reason(first_end[i], any_shut[i]) for i in keep]
    return _unpriced_table([str(uniques[i]) for i in keep], count[keep], unknown[keep], batched[keep],
                           catalog.history["api_prices"]["model_id"].astype(str), ended)


def ended_reason(first_end: int, shut: bool) -> str | None:
    """Why a model's rows dated after its price's end are not priced (None when none are).

    ``first_end``: the earliest end day of those rows [days since 1970-01-01, _NO_END = none];
    ``shut``: a shutdown ended (some of) them.

    >>> ended_reason(20819, True)                        # 2027-01-01
    'model shut down on 2027-01-01'
    >>> ended_reason(_NO_END, False) is None
    True
    """
    if first_end == _NO_END:
        return None
    day = np.datetime64(int(first_end), "D")
    return (f"model shut down on {day}" if shut else
            f"price ended on {day} (effective_until) and the catalog has no later price")


def _unpriced_table(models, count, unknown, batched, ids, ended=None) -> pd.DataFrame:
    """The ``unpriced`` table from row counts per model: all unpriced, of an unknown model, batch rows;
    ``ended`` (one reason or None per model) names rows dated after a shutdown or a price's end."""
    cols = ["model", "rows", "reason", "closest"]
    ids = set(ids)
    records = []
    for model, n, n_unknown, n_batch, gone in zip(models, count, unknown, batched, ended or [None] * len(models)):
        if n_unknown:
            reason, near = "unknown model", closest(model, ids)
        elif gone:
            reason, near = gone, []
        elif n_batch:
            reason, near = "batch rows but the model has no batch price", []
        else:
            reason, near = "long-context rows but the model has no long-context price", []
        records.append({"model": model, "rows": int(n), "reason": reason, "closest": ", ".join(near)})
    return pd.DataFrame.from_records(records, columns=cols)


# --------------------------------------------------------------------------- projection

def fit_growth(monthly_tokens) -> float:
    """Compound monthly growth fitted to monthly volumes (least squares on the log) [1/month].

    >>> round(fit_growth([100, 110, 121, 133.1]), 6)
    0.1
    >>> fit_growth([5.0])
    0.0
    """
    v = np.asarray(monthly_tokens, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if len(v) < 2:
        return 0.0
    slope = np.polyfit(np.arange(len(v), dtype=float), np.log(v), 1)[0]
    return float(math.exp(slope) - 1.0)


def usage_workload(result, months: int = 6) -> dict:
    """The last ``months`` full months of a priced log as a scenario workload.

    ``result``: a :class:`UsageResult` or a streamed :class:`tco.usage_stream.UsageSummary`.
    The projection starts from the last month's volume; growth is fitted on those months;
    cached and batch shares and the prompt length are the log's own.  Returns a dict for
    ``Scenario.from_dict({"workload": ...})``.
    """
    m = result.monthly().tail(int(months))
    if len(m) == 0:
        raise ValueError("no priced rows to build a workload from")
    last = m.iloc[-1]
    tin, total = float(m["input_tokens"].sum()), float((m["input_tokens"] + m["output_tokens"]).sum())
    workload = {
        "input_tokens_per_month": float(last["input_tokens"]),
        "output_tokens_per_month": float(last["output_tokens"]),
        "cached_input_share": float(m["cached_input_tokens"].sum() / tin) if tin > 0 else 0.0,
        "batch_share": round(float(m["batch_tokens"].sum()) / max(total, 1.0), 6),
        "monthly_growth": round(fit_growth((m["input_tokens"] + m["output_tokens"]).to_numpy()), 6),
    }
    if result.requests_given:           # a log of aggregated rows says nothing of prompt length
        workload["input_tokens_per_request"] = max(1.0, tin / max(float(m["requests"].sum()), 1.0))
    return workload
