"""Readers for the usage logs teams have: LiteLLM, OpenAI, Anthropic, OpenRouter, or a column mapping.

Each reader maps a vendor's export onto the usage-log columns of :mod:`tco.usage`
(``timestamp, model, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
cache_write_1h_tokens, reasoning_tokens, requests, batch``), chunk by chunk on pyarrow
record batches.  Every other column is kept under its own (lower-case) name, so it can be
a grouping column (``--group team_id``).  Layouts, as published by each vendor:

==============  ==========================================================================
reader          layout
==============  ==========================================================================
``litellm``     LiteLLM proxy spend logs (``LiteLLM_SpendLogs``: ``startTime``, ``model``,
                ``prompt_tokens``, ``completion_tokens``, ``spend``, ``api_key``, ``team_id``,
                ``user``, ``end_user``) and its daily spend tables (``date``, ``api_requests``,
                ``cache_read_input_tokens``, ``cache_creation_input_tokens``).  Prompt tokens
                count cached ones, as in OpenAI's usage.
``openai``      OpenAI's Usage API, completions buckets flattened to rows (``start_time`` in
                Unix seconds, ``input_tokens`` counting cached ones, ``input_cached_tokens``,
                ``output_tokens`` counting reasoning, ``num_model_requests``, ``batch``,
                ``project_id``, ``api_key_id``, ``user_id``).
``anthropic``   Anthropic's Usage API (``usage_report/messages``) rows: ``starting_at``,
                ``uncached_input_tokens``, ``cache_read_input_tokens``,
                ``cache_creation.ephemeral_5m_input_tokens`` and ``..._1h_...`` (nested or
                flattened with ``.`` or ``_``), ``output_tokens``, ``service_tier``
                (``batch`` = the Batch API), ``context_window`` (``200k-1M`` = long-context
                prices), ``api_key_id``, ``workspace_id``.  Input tokens here exclude cache
                reads and writes: the reader adds them up.
``openrouter``  OpenRouter's activity (``date``, ``model`` or ``model_permaslug``,
                ``prompt_tokens``, ``completion_tokens`` counting ``reasoning_tokens``,
                ``requests``, ``usage`` [USD], ``provider_name``); model ids carry the
                provider (``openai/gpt-4.1``), resolved by :func:`tco.usage.resolve_model`.
``tco``         tco's own columns and their aliases.
==============  ==========================================================================

``auto`` picks one from the columns of the first file; :func:`mapping_reader` builds one
from ``COLUMN=SOURCE`` pairs for anything else (``input_tokens=prompt+context``).

>>> import pyarrow as pa
>>> b = pa.RecordBatch.from_pydict({"starting_at": ["2026-01-01T00:00:00Z"], "model": ["claude-sonnet-4-5"],
...     "uncached_input_tokens": [100], "cache_read_input_tokens": [50],
...     "cache_creation": [{"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 5}],
...     "output_tokens": [10], "service_tier": ["batch"], "context_window": ["0-200k"]})
>>> out = get_reader("anthropic").convert(b).to_pydict()
>>> [out[c][0] for c in ("input_tokens", "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens",
...                      "batch", "long_context")]
[175, 50, 20, 5, True, False]
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tco.usage import ALIASES, EXTRA_TOKENS, UsageError

#: Usage-log columns that are numbers (added up from one or more source columns).
NUMERIC = ("input_tokens", "output_tokens", "cached_input_tokens", *EXTRA_TOKENS, "requests")
CANONICAL = ("timestamp", "model", *NUMERIC, "batch", "long_context")


class ReaderError(ValueError):
    """An unknown reader name or a bad column mapping."""


@dataclass(frozen=True)
class Reader:
    """How one layout maps onto the usage-log columns.

    ``columns``: usage-log column -> alternatives, each a tuple of source columns; the
    first alternative with a column present is used, a number being the sum of its
    columns present (a missing value counts 0).  ``flags``: ``batch``/``long_context`` ->
    (source column, the values meaning true).
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    flags: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    detect: tuple[str, ...] = ()        # source columns that, all present, identify the layout
    source_url: str = ""

    def numeric_sources(self) -> set[str]:
        """Source columns read as numbers (so a CSV's blocks all get the same type)."""
        return {s for c in NUMERIC for alt in self.columns.get(c, ()) for s in alt}

    def convert(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The batch with usage-log columns built from the source ones; the others kept."""
        batch = _flatten(batch)
        names = batch.schema.names
        out: dict[str, pa.Array] = {}
        used: set[str] = set()
        for col, alternatives in self.columns.items():
            present = next(([s for s in alt if s in names] for alt in alternatives if any(s in names for s in alt)),
                           None)
            if not present:
                continue
            used.update(present)
            if col in NUMERIC:
                arrays = [_number(batch.column(s), s) for s in present]
                total = arrays[0]
                for a in arrays[1:]:
                    total = pc.add(total, a)
                out[col] = total
            elif col == "timestamp":
                out[col] = _timestamp(batch.column(present[0]))
            else:
                out[col] = batch.column(present[0])
        for col, (source, true_values) in self.flags.items():
            if source in names:
                text = pc.utf8_lower(batch.column(source).cast(pa.string()))
                out[col] = pc.fill_null(pc.is_in(text, pa.array(true_values)), False)
        if "batch" in out and not pa.types.is_boolean(out["batch"].type):
            out["batch"] = out["batch"].cast(pa.string())
        elif "batch" in out:
            out["batch"] = pc.fill_null(out["batch"], False)
        for s in names:                                            # everything else, for grouping
            key = s.strip().lower()
            if s not in used and key not in out:
                out[key] = batch.column(s)
        return pa.RecordBatch.from_pydict(out)


def _flatten(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Nested records (JSON objects) as ``parent.child`` columns."""
    if not any(pa.types.is_struct(t) for t in batch.schema.types):
        return batch
    return pa.Table.from_batches([batch]).flatten().combine_chunks().to_batches()[0]


def _number(col: pa.Array, name: str) -> pa.Array:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        col = pc.replace_substring(col, ",", "")
        try:
            col = pc.cast(pc.if_else(pc.equal(col, ""), None, col), pa.float64())
        except pa.ArrowInvalid:
            raise UsageError([f"{name}: not a number in every row"], name) from None
    return pc.fill_null(col, 0)


def _timestamp(col: pa.Array) -> pa.Array:
    """Dates as given; Unix times (integers) as UTC timestamps, in seconds or milliseconds."""
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        seconds = col.cast(pa.float64())
        top = pc.max(seconds).as_py() or 0
        unit_ms = top > 1e11                                        # after 5138 in seconds: milliseconds
        ints = pc.cast(pc.floor(seconds), pa.int64())
        return ints.cast(pa.timestamp("ms" if unit_ms else "s", tz="UTC"))
    return col


def _alts(*names: str) -> tuple[tuple[str, ...], ...]:
    """Alternatives of one source column each."""
    return tuple((n,) for n in names)


def _tco_reader() -> Reader:
    cols = {c: _alts(c, *(a for a, t in ALIASES.items() if t == c)) for c in ("timestamp", "model", *NUMERIC, "batch")}
    return Reader("tco", cols)


READERS: dict[str, Reader] = {r.name: r for r in (
    Reader("litellm", {
        "timestamp": _alts("startTime", "starttime", "start_time", "date"),
        "model": _alts("model", "model_group"),
        "input_tokens": _alts("prompt_tokens"),
        "output_tokens": _alts("completion_tokens"),
        "cached_input_tokens": _alts("cache_read_input_tokens"),
        "cache_write_tokens": _alts("cache_creation_input_tokens"),
        "requests": _alts("api_requests"),
    }, detect=("spend", "prompt_tokens", "completion_tokens"),
        source_url="https://docs.litellm.ai/docs/proxy/cost_tracking"),
    Reader("openai", {
        "timestamp": _alts("start_time", "start_time_iso", "date"),
        "model": _alts("model"),
        "input_tokens": _alts("input_tokens"),
        "cached_input_tokens": _alts("input_cached_tokens"),
        "output_tokens": _alts("output_tokens"),
        "requests": _alts("num_model_requests"),
        "batch": _alts("batch"),
    }, detect=("num_model_requests",),
        source_url="https://platform.openai.com/docs/api-reference/usage/completions"),
    Reader("anthropic", {
        "timestamp": _alts("starting_at", "date"),
        "model": _alts("model"),
        "input_tokens": (("uncached_input_tokens", "cache_read_input_tokens",
                          "cache_creation.ephemeral_5m_input_tokens", "cache_creation_ephemeral_5m_input_tokens",
                          "cache_creation.ephemeral_1h_input_tokens", "cache_creation_ephemeral_1h_input_tokens"),),
        "cached_input_tokens": _alts("cache_read_input_tokens"),
        "cache_write_tokens": _alts("cache_creation.ephemeral_5m_input_tokens",
                                    "cache_creation_ephemeral_5m_input_tokens"),
        "cache_write_1h_tokens": _alts("cache_creation.ephemeral_1h_input_tokens",
                                       "cache_creation_ephemeral_1h_input_tokens"),
        "output_tokens": _alts("output_tokens"),
    }, flags={"batch": ("service_tier", ("batch",)), "long_context": ("context_window", ("200k-1m",))},
        detect=("uncached_input_tokens",),
        source_url="https://docs.anthropic.com/en/api/usage-cost-api"),
    Reader("openrouter", {
        "timestamp": _alts("created_at", "date"),
        "model": _alts("model_permaslug", "model"),
        "input_tokens": _alts("prompt_tokens", "tokens_prompt"),
        "output_tokens": _alts("completion_tokens", "tokens_completion"),
        "reasoning_tokens": _alts("reasoning_tokens", "tokens_reasoning"),
        "requests": _alts("requests"),
    }, detect=("model_permaslug",),
        source_url="https://openrouter.ai/docs/api-reference/analytics/get-activity"),
    _tco_reader(),
)}


def get_reader(name: str) -> Reader:
    """The reader called ``name``; :class:`ReaderError` naming the known ones otherwise."""
    try:
        return READERS[name]
    except KeyError:
        raise ReaderError(f"reader: unknown {name!r}; use auto, {', '.join(READERS)} or --map") from None


def detect_reader(columns: Sequence[str]) -> Reader:
    """The reader whose identifying columns the log has (the ``tco`` one when none match)."""
    have = {c.strip() for c in columns} | {c.strip().lower() for c in columns}
    for name in ("anthropic", "openai", "openrouter", "litellm"):
        r = READERS[name]
        if all(c in have for c in r.detect):
            return r
    return READERS["tco"]


def mapping_reader(pairs: Sequence[str], base: Reader | None = None) -> Reader:
    """A reader from ``COLUMN=SOURCE`` pairs (``SOURCE`` may add columns: ``a+b``), over ``base``.

    >>> mapping_reader(["model=engine", "input_tokens=prompt+context"]).columns["input_tokens"]
    (('prompt', 'context'),)
    >>> mapping_reader(["tokens=x"])
    Traceback (most recent call last):
    ...
    tco.usage_readers.ReaderError: --map tokens=x: unknown column 'tokens'; map one of timestamp, model, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, requests, batch, long_context
    """
    columns = dict((base or READERS["tco"]).columns)
    for pair in pairs:
        col, sep, src = pair.partition("=")
        col = col.strip()
        if not sep or not src.strip():
            raise ReaderError(f"--map {pair}: use COLUMN=SOURCE, e.g. input_tokens=prompt_tokens")
        if col not in CANONICAL:
            raise ReaderError(f"--map {pair}: unknown column {col!r}; map one of {', '.join(CANONICAL)}")
        sources = tuple(s.strip() for s in src.split("+") if s.strip())
        if len(sources) > 1 and col not in NUMERIC:
            raise ReaderError(f"--map {pair}: only token and request columns can add several sources up")
        columns[col] = (sources,)
    return Reader("mapping", columns, (base.flags if base else {}))


#: Log file kinds by suffix.
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".parquet": "parquet", ".pq": "parquet"}


def files_of(source: str | os.PathLike) -> list[Path]:
    """The log files of ``source``: the file itself, or a folder's readable files in name order."""
    path = Path(source)
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p) and not p.name.startswith((".", "_")))
        if not found:
            raise UsageError([f"{path}: no .csv, .jsonl or .parquet files in this folder"], str(path))
        return found
    if not path.exists():
        raise UsageError([f"{path}: no such file or folder"], str(path))
    if _kind(path) is None:
        raise UsageError([f"{path}: unknown file type; use .csv, .jsonl, .ndjson (or either .gz) or .parquet"],
                         str(path))
    return [path]


def _kind(path: Path) -> str | None:
    """csv, jsonl or parquet by the suffix (a gzipped ``.csv.gz``/``.jsonl.gz`` by the one before)."""
    suffixes = [x.lower() for x in path.suffixes]
    if suffixes[-1:] == [".gz"]:
        return {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffixes[-2] if len(suffixes) > 1 else "")
    return SUFFIXES.get(path.suffix.lower())


def choose_reader(source, name: str = "auto", mapping: Sequence[str] = ()) -> Reader | None:
    """The reader for ``source``: by name, detected from its first file (``auto``), then ``mapping``.

    ``None`` for tco's own columns without a mapping (the stream renames aliases itself).
    """
    if name == "auto":
        first = files_of(source)[0]
        try:
            base = detect_reader(_columns_of(first))
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
            raise UsageError([f"{first}: cannot read its columns ({exc})"], str(first)) from None
    else:
        base = get_reader(name)
    if mapping:
        return mapping_reader(mapping, base)
    return None if base.name == "tco" else base


def _columns_of(path: Path) -> list[str]:
    """Column names of a log file without reading it whole (flattened for nested JSON)."""
    import gzip

    suffixes = [x.lower() for x in path.suffixes]
    zipped = suffixes[-1:] == [".gz"]
    suffix = (suffixes[-2] if len(suffixes) > 1 else "") if zipped else path.suffix.lower()
    opener = gzip.open if zipped else open
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq
        return pq.ParquetFile(path).schema_arrow.names
    if suffix in (".jsonl", ".ndjson", ".json"):
        import json
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        try:
            row = json.loads(first) if first.strip() else {}
        except ValueError:
            return []
        return _flat_keys(row)
    import csv
    with opener(path, "rt", newline="", encoding="utf-8", errors="replace") as fh:
        return next(csv.reader([fh.readline()]), [])


def _flat_keys(row: dict, prefix: str = "") -> list[str]:
    keys = []
    for k, v in row.items():
        if isinstance(v, dict):
            keys += _flat_keys(v, f"{prefix}{k}.")
        else:
            keys.append(prefix + k)
    return keys


# --------------------------------------------------------------------------- cost exports (money, not tokens)

@dataclass(frozen=True)
class CostLayout:
    """Where a vendor's cost export keeps the bucket start, the amount and its currency.

    ``usd_per_unit`` turns the amount into USD (Anthropic reports cents).
    """

    name: str
    time: str
    amount: tuple[str, ...]
    currency: tuple[str, ...]
    usd_per_unit: float
    unix_seconds: bool


#: Cost exports as published: OpenAI's Costs API (``GET /v1/organization/costs``: pages of daily
#: buckets with ``start_time`` [Unix s] and results carrying ``amount.value`` [USD],
#: ``amount.currency`` ("usd"), ``line_item``, ``project_id``) and Anthropic's Admin API cost
#: report (``GET /v1/organizations/cost_report``: buckets with ``starting_at`` [RFC 3339] and
#: results carrying ``amount``, a decimal string in cents, ``currency`` ("USD"), ``cost_type``,
#: ``description``, ``model``, ``service_tier``, ``token_type``, ``workspace_id``).
COST_LAYOUTS = {
    "openai-costs": CostLayout("openai-costs", "start_time", ("amount.value", "amount_value", "amount"),
                               ("amount.currency", "amount_currency", "currency"), 1.0, True),
    "anthropic-costs": CostLayout("anthropic-costs", "starting_at", ("amount",), ("currency",), 0.01, False),
}


def monthly_usd(when: pd.Series, usd: pd.Series) -> pd.Series:
    """Amounts [USD] summed per calendar month (UTC) of ``when``, indexed ``YYYY-MM``, every month
    from the first to the last (a month without rows is 0).

    >>> w = pd.Series(pd.to_datetime(["2026-01-05", "2026-03-01", "2026-01-20"], utc=True))
    >>> monthly_usd(w, pd.Series([1.0, 2.0, 3.0])).to_dict()
    {'2026-01': 4.0, '2026-02': 0.0, '2026-03': 2.0}
    """
    month = when.dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
    out = usd.groupby(month.to_numpy()).sum().sort_index()
    if len(out):
        out = out.reindex(pd.period_range(out.index.min(), out.index.max(), freq="M"), fill_value=0.0)
    out.index = out.index.astype(str)
    out.index.name, out.name = "month", "usd"
    return out


def _cost_rows(path: Path) -> pd.DataFrame:
    """The result rows of a cost export: the API's JSON page(s) (one page, a list of pages or one
    page per line), or rows already flattened (CSV, JSON Lines)."""
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, low_memory=False)
    text = path.read_text(encoding="utf-8")
    try:
        docs = json.loads(text)
    except json.JSONDecodeError:
        try:
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]   # one page or row a line
        except json.JSONDecodeError as exc:
            raise ReaderError(f"{path}: line {exc.lineno}: not JSON ({exc.msg})") from None
    docs = docs if isinstance(docs, list) else [docs]
    if not all(isinstance(d, dict) for d in docs):
        raise ReaderError(f"{path}: expected JSON objects (cost report pages or result rows)")
    if docs and all("data" in d for d in docs):                  # API pages: data -> buckets -> results
        buckets = pd.json_normalize(docs, record_path="data")
        if "results" not in buckets.columns:
            raise ReaderError(f"{path}: data[].results: missing (not a cost report page)")
        buckets = buckets.explode("results").dropna(subset=["results"]).reset_index(drop=True)
        results = pd.json_normalize(buckets.pop("results").tolist())
        return pd.concat([buckets, results], axis=1)
    return pd.json_normalize(docs)


def read_cost_baseline(path: str | os.PathLike, reader: str) -> pd.Series:
    """Monthly spend [USD] of an OpenAI or Anthropic cost export (``reader``: a key of
    :data:`COST_LAYOUTS`), indexed ``YYYY-MM``: the current-spend baseline.

    Raises :class:`ReaderError` naming the column when one is missing or holds a bad value,
    and when an amount is not in USD.
    """
    try:
        lay = COST_LAYOUTS[reader]
    except KeyError:
        raise ReaderError(f"--reader: {reader!r} is not a cost export; choose one of "
                          f"{', '.join(COST_LAYOUTS)}") from None
    path = Path(path)
    df = _cost_rows(path)
    amount = next((c for c in lay.amount if c in df.columns), None)
    for col, what in ((lay.time, "the bucket start"), (amount, "the amount")):
        if col is None or col not in df.columns:
            raise ReaderError(f"{path}: {col or lay.amount[0]}: column missing ({what} of a {lay.name} export)")
    cur = next((c for c in lay.currency if c in df.columns and c != amount), None)
    if cur is not None:
        found = set(df[cur].dropna().astype(str).str.upper())
        if found - {"USD"}:
            raise ReaderError(f"{path}: {cur}: only USD is supported, found {', '.join(sorted(found))}")
    raw = df[lay.time]
    if lay.unix_seconds:
        when = pd.to_datetime(pd.to_numeric(raw, errors="coerce"), unit="s", utc=True)
    else:
        when = pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601")
    usd = pd.to_numeric(df[amount], errors="coerce") * lay.usd_per_unit
    bad = when.isna() | usd.isna() | ~np.isfinite(usd.fillna(0.0))
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        col = lay.time if when.isna().iloc[first] else amount
        raise ReaderError(f"{path}: row {first + 1}: {col}: not a {'time' if col == lay.time else 'number'} "
                          f"({df[col].iloc[first]!r}; {int(bad.sum())} such row(s))")
    return monthly_usd(when, usd)
