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
batch                  no        true when sent through the batch API
requests               no        requests the row adds up (a daily row); default 1 [requests]:
                                 without it every row is one request, so a daily total above a
                                 long-context threshold would be billed at long-context prices
=====================  ========  ==========================================================

Pricing rules, per row, as vendors bill: uncached input x input price + cached input x
cached price + output x output price [USD/1M tokens]; batch rows at the batch prices
(cache reads keep their price); when the prompt per request (``input_tokens / requests``)
is above the model's long-context threshold, the whole request is billed at the
long-context prices.  Each row uses the price in force on its date (``effective_date`` <=
the row's date).  Everything is vectorised: a merge by model and date, then array
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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tco.catalog import Catalog, closest

REQUIRED = ("timestamp", "model", "input_tokens", "output_tokens")
OPTIONAL = ("cached_input_tokens", "batch", "requests")
#: Column names other tools export, accepted as aliases.
ALIASES = {"date": "timestamp", "time": "timestamp", "model_id": "model", "prompt_tokens": "input_tokens",
           "completion_tokens": "output_tokens", "cached_tokens": "cached_input_tokens",
           "cache_read_input_tokens": "cached_input_tokens", "num_requests": "requests", "is_batch": "batch"}
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


def validate_usage(df: pd.DataFrame, source: str = "usage log") -> pd.DataFrame:
    """Check and type a usage log; every bad value is reported as ``source:line: column: message``.

    Line numbers count the header as line 1, as in the CSV file.
    """
    df = df.rename(columns={c: ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) for c in df.columns})
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise UsageError([f"{source}:1: {c}: required column missing (columns: {', '.join(REQUIRED)}"
                          f"; optional: {', '.join(OPTIONAL)})" for c in missing], source)
    if len(df) == 0:
        raise UsageError([f"{source}:2: -: the log has no rows"], source)
    errors: list[str] = []
    lines = np.arange(len(df)) + 2
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
    for col, required in (("input_tokens", True), ("output_tokens", True), ("cached_input_tokens", False),
                          ("requests", False)):
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
                 "usd_per_mtok_cached_input_long", "usd_per_mtok_output_long")


def price_usage(log: pd.DataFrame, catalog: Catalog) -> UsageResult:
    """Price every row of a usage log with the catalog prices in force on its date.

    Long because the whole vectorised join (codes per model, the price row in force per
    date, tiers, cache and batch per row) reads best in one place, step by commented step.

    Parameters
    ----------
    log : a usage log (see the module docstring); checked with :func:`validate_usage`
        unless it already has the typed ``date`` and ``line`` columns that function adds.
    catalog : the pricing catalog; its full ``history`` of ``api_prices`` is used.

    Returns
    -------
    UsageResult
        ``rows`` with ``usd`` [USD] per row.  A row dated before the model's first known
        price is priced at that first price and flagged ``price_assumed`` (the catalog's
        history does not reach back that far).  Rows of unknown models, or needing a batch
        or long-context price the model lacks, are not priced (``usd`` NaN, ``priced``
        False) and are listed with their row counts, the reason and the closest known ids
        in ``unpriced`` -- never priced at zero in silence.

    Notes
    -----
    The lookup is one sorted search: keys ``model code x 2^40 + day`` of the price rows,
    searched for every log row (``numpy.searchsorted``), so 1M rows take a fraction of a
    second.
    """
    rows = log if "date" in log.columns and "line" in log.columns else validate_usage(log)
    hist = catalog.history["api_prices"]
    codes, uniques = pd.factorize(rows["model"].astype(str), sort=False)
    lookup = {m: i for i, m in enumerate(uniques)}
    p_code = hist["model_id"].astype(str).map(lookup).fillna(-1).to_numpy(np.int64)
    p_day = hist["effective_date"].to_numpy("datetime64[D]").astype(np.int64)
    r_day = rows["date"].to_numpy("datetime64[D]").astype(np.int64)
    SHIFT = np.int64(1) << np.int64(40)
    p_key = p_code * SHIFT + p_day
    order = np.argsort(p_key, kind="stable")
    p_key, p_code_sorted = p_key[order], p_code[order]
    r_key = codes.astype(np.int64) * SHIFT + r_day
    idx = np.searchsorted(p_key, r_key, side="right") - 1                 # newest price on or before the day
    safe = np.clip(idx, 0, len(p_key) - 1) if len(p_key) else np.zeros(len(rows), dtype=np.int64)
    in_force = (idx >= 0) & (p_code_sorted[safe] == codes) if len(p_key) else np.zeros(len(rows), dtype=bool)
    nxt = np.clip(idx + 1, 0, max(len(p_key) - 1, 0))
    earliest = ~in_force & (p_code_sorted[nxt] == codes) if len(p_key) else in_force
    pick = np.where(in_force, safe, nxt)
    known = in_force | earliest
    src = order[pick]                                                     # row of hist used by each log row

    def col(name):
        v = hist[name].to_numpy(dtype=float, na_value=np.nan)[src]
        return np.where(known, v, np.nan)

    p = {c: col(c) for c in PRICE_COLUMNS}
    tin = rows["input_tokens"].to_numpy(float)
    cached = rows["cached_input_tokens"].to_numpy(float)
    tout = rows["output_tokens"].to_numpy(float)
    reqs = rows["requests"].to_numpy(float)
    batch = rows["batch"].to_numpy(bool)
    prompt = tin / reqs                                                  # [tokens/request]
    threshold = np.where(np.isnan(p["long_context_threshold_tokens"]), np.inf, p["long_context_threshold_tokens"])
    long = prompt > threshold
    pin = np.where(long, p["usd_per_mtok_input_long"], p["usd_per_mtok_input"])
    pout = np.where(long, p["usd_per_mtok_output_long"], p["usd_per_mtok_output"])
    with np.errstate(divide="ignore", invalid="ignore"):
        pcached_plain = np.where(np.isnan(p["usd_per_mtok_cached_input"]), p["usd_per_mtok_input"],
                                 p["usd_per_mtok_cached_input"])
        pcached_long = np.where(np.isnan(p["usd_per_mtok_cached_input_long"]),
                                pcached_plain * p["usd_per_mtok_input_long"] / p["usd_per_mtok_input"],
                                p["usd_per_mtok_cached_input_long"])
        pcached = np.where(long, pcached_long, pcached_plain)
        # Batch rows: the batch discount (batch price / list price) on uncached input and on output.
        bin_ratio = np.where(batch, p["usd_per_mtok_batch_input"] / p["usd_per_mtok_input"], 1.0)
        bout_ratio = np.where(batch, p["usd_per_mtok_batch_output"] / p["usd_per_mtok_output"], 1.0)
    bin_ratio = np.where(batch & (p["usd_per_mtok_input"] == 0), 1.0, bin_ratio)
    bout_ratio = np.where(batch & (p["usd_per_mtok_output"] == 0), 1.0, bout_ratio)
    usd_in = (tin - cached) * pin * bin_ratio / 1e6
    usd_cached = cached * pcached / 1e6
    usd_out = tout * pout * bout_ratio / 1e6
    usd = usd_in + usd_cached + usd_out
    priced = np.isfinite(usd)

    # Month labels as a categorical: integer month codes, one string per distinct month.
    m_int = rows["date"].to_numpy("datetime64[M]").astype(np.int64)
    m0 = int(m_int.min()) if len(m_int) else 0
    span = np.arange(m0, (int(m_int.max()) if len(m_int) else m0) + 1).astype("datetime64[M]")
    month = pd.Categorical.from_codes(m_int - m0, categories=np.datetime_as_string(span, unit="M"))
    columns = {c: rows[c].to_numpy() for c in rows.columns}
    columns.update({
        "month": month,
        "price_date": np.where(known, hist["effective_date"].to_numpy("datetime64[D]")[src],
                               np.datetime64("NaT", "D")),
        "price_assumed": earliest & priced,
        "long_context": long,
        "usd_input": np.where(priced, usd_in, np.nan),
        "usd_cached_input": np.where(priced, usd_cached, np.nan),
        "usd_output": np.where(priced, usd_out, np.nan),
        "usd": np.where(priced, usd, np.nan),
        "priced": priced,
    })
    out = pd.DataFrame(columns, copy=False)
    out.attrs["requests_given"] = rows.attrs.get("requests_given", True)
    return UsageResult(rows=out, unpriced=_unpriced(codes, uniques, known, batch, long, priced, catalog))


def _unpriced(codes, uniques, known, batch, long, priced, catalog: Catalog) -> pd.DataFrame:
    """One line per model with unpriced rows: how many, why, and the closest known ids."""
    cols = ["model", "rows", "reason", "closest"]
    bad = ~priced
    if not bad.any():
        return pd.DataFrame(columns=cols)
    n = len(uniques)
    count = np.bincount(codes[bad], minlength=n)
    unknown = np.bincount(codes[bad & ~known], minlength=n)
    batched = np.bincount(codes[bad & known & batch], minlength=n)
    ids = set(catalog.history["api_prices"]["model_id"].astype(str))
    records = []
    for i in np.flatnonzero(count):                       # one entry per unpriced model (a few), not per row
        model = str(uniques[i])
        if unknown[i]:
            reason, near = "unknown model", closest(model, ids)
        elif batched[i]:
            reason, near = "batch rows but the model has no batch price", []
        else:
            reason, near = "long-context rows but the model has no long-context price", []
        records.append({"model": model, "rows": int(count[i]), "reason": reason, "closest": ", ".join(near)})
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


def usage_workload(result: UsageResult, months: int = 6) -> dict:
    """The last ``months`` full months of a priced log as a scenario workload.

    The projection starts from the last month's volume; growth is fitted on those months;
    cached and batch shares and the prompt length are the log's own.  Returns a dict for
    ``Scenario.from_dict({"workload": ...})``.
    """
    m = result.by_month()
    if len(m) == 0:
        raise ValueError("no priced rows to build a workload from")
    m = m.tail(int(months))
    last = m.iloc[-1]
    rows = result.rows[result.rows["priced"] & result.rows["month"].isin(m["month"])]
    tin = float(rows["input_tokens"].sum())
    batch_share = float((rows["input_tokens"] + rows["output_tokens"])[rows["batch"]].sum()
                        / max((rows["input_tokens"] + rows["output_tokens"]).sum(), 1.0))
    workload = {
        "input_tokens_per_month": float(last["input_tokens"]),
        "output_tokens_per_month": float(last["output_tokens"]),
        "cached_input_share": float(rows["cached_input_tokens"].sum() / tin) if tin > 0 else 0.0,
        "batch_share": round(batch_share, 6),
        "monthly_growth": round(fit_growth((m["input_tokens"] + m["output_tokens"]).to_numpy()), 6),
    }
    if result.rows.attrs.get("requests_given", True):   # a log of aggregated rows says nothing of prompt length
        workload["input_tokens_per_request"] = max(1.0, tin / max(float(rows["requests"].sum()), 1.0))
    return workload
