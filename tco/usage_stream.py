"""Price usage logs too big for memory: CSV, JSON Lines and Parquet read in chunks.

The in-memory path (:func:`tco.usage.price_usage` on a DataFrame) keeps every row; this one
keeps only totals per calendar month, model and any grouping column (team, API key), so
memory stays constant however long the log: a chunk of ``batch_rows`` rows is read with
pyarrow, typed, priced with the same :class:`~tco.usage.PriceTable` arithmetic, added to
the totals and dropped.  Optionally each priced row is written to a Parquet file.

Sources: a file (``.csv``, ``.csv.gz``, ``.jsonl``/``.ndjson``, ``.parquet``/``.pq``) or a
folder of them (read in name order, recursively).  Columns are the usage-log columns of
:mod:`tco.usage` (or their aliases); other layouts go through a reader of
:mod:`tco.usage_readers` (LiteLLM, OpenAI, Anthropic, OpenRouter, or a column mapping).

Errors name the file and the line (CSV: the header is line 1; JSON Lines and Parquet: the
first row is line 1), as :func:`tco.usage.validate_usage` does for a whole file.

>>> import os, tempfile
>>> from tco.catalog import load_catalog
>>> with tempfile.TemporaryDirectory() as d:
...     path = os.path.join(d, "log.csv")
...     with open(path, "w") as fh:
...         _ = fh.write("timestamp,model,input_tokens,output_tokens,team\\n"
...                      "2026-01-05,gpt-4o,1000000,100000,search\\n2026-01-06,gpt-4o,1000000,0,ads\\n")
...     s = price_usage_files(path, load_catalog(), by=["team"])
>>> round(s.total_usd, 2)    # (1M x 2.50 + 0.1M x 10.00) + 1M x 2.50 [USD]
6.0
>>> s.groups[["month", "model", "team", "usd"]].round(2).to_dict("records")
[{'month': '2026-01', 'model': 'gpt-4o', 'team': 'ads', 'usd': 2.5}, {'month': '2026-01', 'model': 'gpt-4o', 'team': 'search', 'usd': 3.5}]
"""
from __future__ import annotations

import functools
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tco import usage
from tco.catalog import Catalog
from tco.usage_readers import SUFFIXES, _kind, files_of, get_reader  # noqa: F401  (files_of is re-exported)
from tco.usage import (_NO_END, ALIASES, EXTRA_TOKENS, FALSE, TRUE, PriceTable, UsageError, _unpriced_table,
                       ended_reason, token_arrays, validate_usage)

#: Rows per chunk: ~30 MB of arrays at a time, large enough that numpy's per-call cost vanishes,
#: small enough that a few chunks in flight stay well under 1 GiB.
BATCH_ROWS = 1 << 19
TOKEN_COLUMNS = ("input_tokens", "cached_input_tokens", *EXTRA_TOKENS, "output_tokens")
#: Totals kept per group; ``usd_cache_write`` covers 5-minute and 1-hour writes [tokens], [USD].
SUMS = ("rows", "requests", *TOKEN_COLUMNS, "batch_tokens", "long_context_rows", "price_assumed_rows",
        "cache_write_1h_at_5m_price_tokens", "usd_input", "usd_cached_input", "usd_cache_write", "usd_output", "usd")
UNPRICED_REASONS = ("unknown", "batch", "long")


# --------------------------------------------------------------------------- sources

@dataclass(frozen=True)
class Chunk:
    """Raw rows of one file: ``batch`` (pyarrow), where they start, and the file they are from.

    ``batch`` may be a function that reads the rows (a Parquet row group), so that the
    thread that prices them reads them too, and reading runs on every core.
    """

    batch: pa.RecordBatch | Callable[[], pa.Table]
    first_line: int
    source: str
    done_bytes: int = 0            # of the whole run, for a progress bar

    def batches(self, batch_rows: int) -> Iterator["Chunk"]:
        """The chunk's rows in record batches of ``batch_rows`` at most, read now if they were deferred."""
        if not callable(self.batch):
            yield self
            return
        line = self.first_line
        for b in self.batch().to_batches(max_chunksize=batch_rows):
            yield Chunk(b, line, self.source, self.done_bytes)
            line += b.num_rows


def read_chunks(source, batch_rows: int = BATCH_ROWS, columns: Sequence[str] | None = None,
                numeric: Iterable[str] = ()) -> Iterator[Chunk]:
    """Every chunk of every file of ``source``, ``batch_rows`` rows at most each.

    ``columns``: read only these (Parquet; text formats are parsed whole) when given;
    ``numeric``: more CSV columns to read as numbers (a reader's token columns).
    """
    numeric = frozenset(numeric)
    paths = files_of(source)
    sizes = [p.stat().st_size for p in paths]
    before = 0
    for path, size in zip(paths, sizes):
        for chunk in _file_chunks(path, _kind(path), batch_rows, columns, numeric):
            yield Chunk(chunk.batch, chunk.first_line, chunk.source, before + min(chunk.done_bytes, size))
        before += size


def _file_chunks(path: Path, kind: str, batch_rows: int, columns, numeric=frozenset()) -> Iterator[Chunk]:
    label = str(path)
    try:
        if kind == "parquet":
            yield from _parquet_chunks(path, batch_rows, columns)
        elif kind == "csv":
            yield from _csv_chunks(path, batch_rows, numeric)
        else:
            yield from _jsonl_chunks(path, batch_rows, numeric)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise UsageError([f"{label}: not a readable {kind.upper()} file ({exc})"], label) from None
    except OSError as exc:
        raise UsageError([f"{label}: cannot read ({exc})"], label) from None


def _parquet_chunks(path: Path, batch_rows: int, columns) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    # without pre-buffering, whole row groups decode fastest (several times
    # iter_batches' speed); a row group much larger than a chunk is read in batches instead.
    f = pq.ParquetFile(path, memory_map=False, pre_buffer=False)
    names = set(f.schema_arrow.names)
    wanted = [c for c in columns if c in names] if columns else None
    meta = f.metadata
    total, line = max(meta.num_rows, 1), 1
    size = path.stat().st_size
    for g in range(meta.num_row_groups):
        n = meta.row_group(g).num_rows
        if n <= 4 * batch_rows:                              # read by the thread that prices it
            read = functools.partial(_read_row_group, path, g, wanted)
            yield Chunk(read, line, str(path), int(size * (line - 1 + n) / total))
            line += n
            continue
        for batch in f.iter_batches(batch_size=batch_rows, row_groups=[g], columns=wanted, use_threads=True):
            yield Chunk(batch, line, str(path), int(size * (line - 1 + batch.num_rows) / total))
            line += batch.num_rows


def _read_row_group(path: Path, group: int, columns) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path, memory_map=False, pre_buffer=False).read_row_group(group, columns=columns)


#: Spellings of true and false that pyarrow parses in a CSV's boolean columns (validate_usage's, in 3 cases).
_BOOL_TEXT = ({v for t in TRUE for v in (t, t.title(), t.upper())},
              {v for f in FALSE - {""} for v in (f, f.title(), f.upper())})
_NUMERIC = ("input_tokens", "output_tokens", "cached_input_tokens", *EXTRA_TOKENS, "requests")


def _csv_types(path: Path, numeric=frozenset()) -> dict:
    """pyarrow types for a CSV's columns by header name: numbers as float64, text as dictionaries.

    Typing them up front keeps every block alike (pyarrow infers types from the first block
    only); the timestamp column is left to pyarrow's inference (dates, date-times, text).
    """
    import csv

    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        first = next(csv.reader(_first_line(fh)), [])
    types = {}
    for raw in first:
        name = ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if name in _NUMERIC or raw in numeric:
            types[raw] = pa.float64()
        elif name == "batch":
            types[raw] = pa.bool_()
        elif name != "timestamp" and not _datelike(name):
            types[raw] = pa.dictionary(pa.int32(), pa.string())
    return types


def _datelike(name: str) -> bool:
    """A column whose name says it holds dates (``startTime``, ``created_at``): left to inference."""
    return "time" in name or "date" in name or name.endswith("_at")


def _first_line(fh):
    line = fh.readline()
    return [line] if line else []


def _csv_chunks(path: Path, batch_rows: int, numeric=frozenset()) -> Iterator[Chunk]:
    """pyarrow's streaming CSV reader; from a block it cannot convert on, pandas reading text
    (so that :func:`tco.usage.validate_usage` names each bad value with its line)."""
    import pyarrow.csv as pcsv

    if path.suffix.lower() == ".gz" or path.stat().st_size == 0:
        yield from _csv_text_chunks(path, batch_rows, 2)
        return
    stream = pa.input_stream(path, compression="detect")
    convert = pcsv.ConvertOptions(column_types=_csv_types(path, numeric), strings_can_be_null=False,
                                  true_values=sorted(_BOOL_TEXT[0]), false_values=sorted(_BOOL_TEXT[1]))
    line = 2
    try:
        reader = pcsv.open_csv(stream, read_options=pcsv.ReadOptions(block_size=1 << 24),
                               parse_options=pcsv.ParseOptions(), convert_options=convert)
        for batch in reader:
            for start in range(0, batch.num_rows, batch_rows):
                part = batch.slice(start, batch_rows)
                yield Chunk(part, line, str(path), _tell(stream))
                line += part.num_rows
    except pa.ArrowInvalid:
        yield from _csv_text_chunks(path, batch_rows, line)


def _csv_text_chunks(path: Path, batch_rows: int, from_line: int) -> Iterator[Chunk]:
    """The CSV from line ``from_line`` on, as text columns (the slow, exact path)."""
    try:
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                             skiprows=range(1, from_line - 1), chunksize=batch_rows)
        line = from_line
        for df in reader:
            yield Chunk(pa.RecordBatch.from_pandas(df, preserve_index=False), line, str(path), 0)
            line += len(df)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError([f"{path}: not a readable CSV ({exc})"], str(path)) from None


def _jsonl_chunks(path: Path, batch_rows: int, numeric=frozenset()) -> Iterator[Chunk]:
    """pyarrow's streaming JSON reader, the token fields of the first line typed as float64
    (so a block of whole numbers and a later block with 1.5 agree)."""
    import json

    import pyarrow.json as pj

    import gzip

    with (gzip.open if path.suffix.lower() == ".gz" else open)(path, "rt", encoding="utf-8", errors="replace") as fh:
        first = fh.readline()
    try:
        keys = [k for k, v in json.loads(first).items() if not isinstance(v, (dict, list))] if first.strip() else []
    except (ValueError, AttributeError):
        keys = []
    fields = [(k, pa.float64()) for k in keys
              if ALIASES.get(k.strip().lower(), k.strip().lower()) in _NUMERIC or k in numeric]
    parse = pj.ParseOptions(explicit_schema=pa.schema(fields), unexpected_field_behavior="infer") if fields else None
    stream = pa.input_stream(path, compression="detect")
    reader = pj.open_json(stream, read_options=pj.ReadOptions(block_size=1 << 24), parse_options=parse)
    line = 1
    for batch in reader:
        for start in range(0, batch.num_rows, batch_rows):
            part = batch.slice(start, batch_rows)
            yield Chunk(part, line, str(path), _tell(stream))
            line += part.num_rows


def _tell(stream) -> int:
    try:
        return stream.tell()
    except (OSError, pa.ArrowException):
        return 0


# --------------------------------------------------------------------------- typing one chunk

@dataclass
class Typed:
    """One chunk as arrays: model codes into ``models`` (its distinct names), days, tokens, groups."""

    models: np.ndarray             # distinct model names of the chunk
    model: np.ndarray              # index into models per row
    day: np.ndarray                # days since 1970-01-01 (UTC) per row
    values: dict                   # column -> numpy array [tokens] / [requests] / bool (batch)
    groups: dict                   # grouping column -> (labels, codes)
    requests_given: bool


def rename(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Column names stripped, lower case and with the usage log's aliases applied."""
    names = [ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) for c in batch.schema.names]
    return batch.rename_columns(names) if names != batch.schema.names else batch


def type_chunk(chunk: Chunk, by: Sequence[str] = ()) -> Typed:
    """Check and type a chunk of usage-log columns (already renamed); :class:`UsageError` if bad.

    The fast path takes pyarrow's own types (integers, floats, timestamps, dates, booleans)
    as they are; anything else (numbers as text, odd dates) goes through
    :func:`tco.usage.validate_usage`, which also writes the error messages.
    """
    batch = chunk.batch
    names = set(batch.schema.names)
    missing = [c for c in ("timestamp", "model", "input_tokens", "output_tokens") if c not in names]
    absent_groups = [c for c in by if c not in names]
    if missing or absent_groups:
        errs = [f"{chunk.source}:1: {c}: required column missing (columns: timestamp, model, input_tokens, "
                f"output_tokens; optional: cached_input_tokens, batch, requests, {', '.join(EXTRA_TOKENS)})"
                for c in missing]
        errs += [f"{chunk.source}:1: {c}: grouping column missing (columns: {', '.join(batch.schema.names)})"
                 for c in absent_groups]
        raise UsageError(errs, chunk.source)
    typed = _fast_types(batch, by)
    if typed is None or not _plausible(typed):
        typed = _checked_types(chunk, by)             # raises UsageError with line numbers when bad
    return typed


def _model_codes(col: pa.ChunkedArray | pa.Array):
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    labels = col.dictionary.to_numpy(zero_copy_only=False).astype(object)
    return labels, col.indices.to_numpy(zero_copy_only=False)


def _days(col: pa.Array) -> np.ndarray | None:
    if pa.types.is_dictionary(col.type):
        col = col.cast(pa.string())
    t = col.type
    if col.null_count:
        return None
    if pa.types.is_timestamp(t):
        if t.tz in (None, "UTC", "+00:00", "Z"):                               # pyarrow's cast: ~3x numpy's division
            return pc.cast(col, pa.date32()).cast(pa.int32()).to_numpy().astype(np.int64)
        per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[t.unit]
        return np.floor_divide(col.cast(pa.int64()).to_numpy(), per_day)       # the UTC day, whatever the zone
    if pa.types.is_date32(t):
        return col.cast(pa.int32()).to_numpy().astype(np.int64)
    if pa.types.is_date64(t):
        return np.floor_divide(col.cast(pa.int64()).to_numpy(), 86_400_000)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
            try:
                return _days(pc.cast(col, target))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
    return None


def _fast_types(batch: pa.RecordBatch, by) -> Typed | None:
    day = _days(batch.column("timestamp"))
    if day is None:
        return None
    values = {}
    for name in ("input_tokens", "output_tokens", "cached_input_tokens", *EXTRA_TOKENS, "requests"):
        if name not in batch.schema.names:
            continue
        col = batch.column(name)
        if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)) or col.null_count:
            return None
        values[name] = col.to_numpy()
    for flag in ("batch", "long_context"):
        if flag in batch.schema.names:
            col = batch.column(flag)
            if not pa.types.is_boolean(col.type) or col.null_count:
                return None
            values[flag] = col.to_numpy(zero_copy_only=False)
    model = batch.column("model")
    if model.null_count:
        return None
    labels, codes = _model_codes(model)
    stripped = np.array([str(m).strip() for m in labels], dtype=object)
    if (stripped == "").any():
        return None
    groups = {g: _model_codes(batch.column(g).cast(pa.string()) if not _stringy(batch.column(g)) else
                              batch.column(g)) for g in by}
    return Typed(stripped, codes, day, values, groups, "requests" in values)


def _stringy(col) -> bool:
    t = col.type
    return pa.types.is_dictionary(t) or pa.types.is_string(t) or pa.types.is_large_string(t)


def _plausible(t: Typed) -> bool:
    """Every fast-typed value within the rules (else the slow path words the errors)."""
    v = t.values
    for name, arr in v.items():
        if name == "batch":
            continue
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            return False
        if len(arr) and arr.min() < 0:
            return False
    if "requests" in v and len(v["requests"]) and v["requests"].min() <= 0:
        return False
    parts = v.get("cached_input_tokens")
    for w in ("cache_write_tokens", "cache_write_1h_tokens"):
        if w in v:
            parts = v[w] if parts is None else parts + v[w]
    if parts is not None and (parts > v["input_tokens"]).any():
        return False
    if "reasoning_tokens" in v and (v["reasoning_tokens"] > v["output_tokens"]).any():
        return False
    return True


def _checked_types(chunk: Chunk, by) -> Typed:
    df = chunk.batch.to_pandas()
    keep = {c: df[c] for c in by}
    for c in ("input_tokens", "output_tokens", "cached_input_tokens", *EXTRA_TOKENS, "requests", "batch"):
        if c in df.columns and not pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype(str).where(df[c].notna(), "")
    if "timestamp" in df.columns and not pd.api.types.is_datetime64_any_dtype(df["timestamp"]):
        df["timestamp"] = df["timestamp"].astype(str).where(df["timestamp"].notna(), "")
    if df["model"].isna().any():
        df["model"] = df["model"].astype(str).where(df["model"].notna(), "")
    rows = validate_usage(df, chunk.source, first_line=chunk.first_line)
    if "long_context" in df.columns:                            # a reader's own tier flag
        rows["long_context"] = df["long_context"].fillna(False).astype(bool).to_numpy()
    codes, labels = pd.factorize(rows["model"], sort=False)
    values = {c: rows[c].to_numpy() for c in ("input_tokens", "output_tokens", "cached_input_tokens", "requests",
                                               "batch", "long_context", *EXTRA_TOKENS) if c in rows.columns}
    groups = {}
    for g, s in keep.items():
        gc, gl = pd.factorize(s.astype(str).where(s.notna(), ""), sort=False)
        groups[g] = (np.asarray(gl, dtype=object), gc)
    day = rows["date"].to_numpy("datetime64[D]").astype(np.int64)
    return Typed(np.asarray(labels, dtype=object), codes, day, values, groups, rows.attrs["requests_given"])


# --------------------------------------------------------------------------- pricing one chunk

@dataclass
class Partial:
    """Totals of some rows, as arrays: one row of ``sums`` per ``keys`` row (month, model, groups).

    ``keys[:, 0]`` is the month (months since 1970-01), ``keys[:, 1]`` an index into
    ``models``, ``keys[:, 2 + i]`` one into ``labels[i]`` (the values of grouping column
    ``i``); ``sums`` has the :data:`SUMS` columns. A key may repeat (rows billed at several
    prices): :meth:`total` adds them up. Arrays only, so partials add up fast and travel
    cheaply from Dask workers.
    """

    keys: np.ndarray
    sums: np.ndarray
    models: np.ndarray
    labels: tuple = ()
    #: model -> [unknown, batch, long, ended] row counts, then the first end day of the ended rows
    #: [days since 1970-01-01, _NO_END = none] and 1 when a shutdown ended them (see :func:`_add_unpriced`)
    unpriced: dict = field(default_factory=dict)
    rows: int = 0
    requests_given: bool = True

    @classmethod
    def empty(cls, n_groups: int = 0) -> "Partial":
        return cls(np.zeros((0, 2 + n_groups), dtype=np.int64), np.zeros((0, len(SUMS))),
                   np.zeros(0, dtype=object), tuple(np.zeros(0, dtype=object) for _ in range(n_groups)))

    @classmethod
    def total(cls, parts: Iterable["Partial"], every: int = 32) -> "Partial":
        """The totals of several partials (chunks, Dask partitions), merged ``every`` at a time."""
        done: Partial | None = None
        batch: list[Partial] = []
        for p in parts:
            batch.append(p)
            if len(batch) >= every:
                done = _merge([done, *batch] if done is not None else batch)
                batch = []
        rest = [done, *batch] if done is not None else batch
        return _merge(rest) if rest else cls.empty()

    def frame(self, by: Sequence[str] = ()) -> pd.DataFrame:
        """The totals as a table: month (``YYYY-MM``), model, the grouping columns, then :data:`SUMS`."""
        data = {"month": np.datetime_as_string(self.keys[:, 0].astype("datetime64[M]"), unit="M"),
                "model": self.models[self.keys[:, 1]].astype(str) if len(self.keys) else np.zeros(0, dtype=str)}
        for i, g in enumerate(by):
            data[g] = self.labels[i][self.keys[:, 2 + i]] if len(self.keys) else np.zeros(0, dtype=object)
        for j, name in enumerate(SUMS):
            data[name] = self.sums[:, j]
        df = pd.DataFrame(data)
        df["rows"] = df["rows"].astype(np.int64)
        return df


def _merge(parts: Sequence[Partial]) -> Partial:
    """Partials added up: their dictionaries merged, their keys re-coded, equal keys summed."""
    unpriced: dict = {}
    for p in parts:
        for m, c in p.unpriced.items():
            unpriced[m] = _add_unpriced(unpriced[m], c) if m in unpriced else list(c)
    n_groups = parts[0].keys.shape[1] - 2

    def merged(labels_of):
        index = pd.Index(pd.unique(np.concatenate([np.asarray(labels_of(p), dtype=object) for p in parts])))
        return np.asarray(index, dtype=object), [index.get_indexer(np.asarray(labels_of(p), dtype=object))
                                                 for p in parts]

    models, model_maps = merged(lambda p: p.models)
    group_dicts = [merged(lambda p, i=i: p.labels[i]) for i in range(n_groups)]
    keys = []
    for k, p in enumerate(parts):
        cols = [p.keys[:, 0], model_maps[k][p.keys[:, 1]] if len(p.keys) else p.keys[:, 1]]
        for i, (_, maps) in enumerate(group_dicts):
            cols.append(maps[k][p.keys[:, 2 + i]] if len(p.keys) else p.keys[:, 2 + i])
        keys.append(np.stack(cols, axis=1) if cols else p.keys)
    keys = np.concatenate(keys) if keys else np.zeros((0, 2 + n_groups), dtype=np.int64)
    sums = np.concatenate([p.sums for p in parts])
    uniq, inverse = _unique_rows(keys, [len(models), *(len(d) for d, _ in group_dicts)])
    out = np.stack([np.bincount(inverse, weights=sums[:, j], minlength=len(uniq)) for j in range(sums.shape[1])],
                   axis=1) if len(uniq) else np.zeros((0, len(SUMS)))
    return Partial(uniq, out, models, tuple(d for d, _ in group_dicts), unpriced, sum(p.rows for p in parts),
                   all(p.requests_given for p in parts))


def _add_unpriced(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """Two :attr:`Partial.unpriced` entries of one model added up: the counts summed, the earliest
    end day kept, shut when either was.

    >>> _add_unpriced([1, 0, 0, 2, 20100, 0], [0, 1, 0, 1, 20090, 1])
    [1, 1, 0, 3, 20090, 1]
    """
    return [*(x + y for x, y in zip(a[:4], b[:4])), min(a[4], b[4]), max(a[5], b[5])]


def _unique_rows(keys: np.ndarray, sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct key rows and each row's index among them (one packed integer per row when it fits)."""
    if not len(keys):
        return keys, np.zeros(0, dtype=np.int64)
    m0 = int(keys[:, 0].min())
    dims = [int(keys[:, 0].max()) - m0 + 1, *(max(s, 1) for s in sizes)]
    if float(np.prod(dims, dtype=np.float64)) < 2.0 ** 62:
        packed = keys[:, 0] - m0
        for size, j in zip(dims[1:], range(1, keys.shape[1])):
            packed = packed * np.int64(size) + keys[:, j]
        uniq, inverse = np.unique(packed, return_inverse=True)
        cols = np.unravel_index(uniq, dims)
        rows = np.stack([cols[0] + m0, *cols[1:]], axis=1).astype(np.int64)
        return rows, inverse.reshape(-1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    return uniq, inverse.reshape(-1)


def price_typed(table: PriceTable, t: Typed, want_rows: bool = False):
    """Price a typed chunk: its :class:`Partial` totals, and (``want_rows``) a table of priced rows.

    Long because the per-chunk arithmetic (price row per date, each token kind, the totals per
    group) stays in one vectorised pass, step by commented step.

    Each row belongs to a *cell* (its model and day), which fixes its month and price row;
    tokens are added up per (cell-group, grouping values, variant) -- one ``bincount`` per
    token kind -- and the USD computed on those sums. The bill is linear in tokens at a
    given price, so this equals the sum of per-row bills (to rounding) while touching each
    row only a few times.  Rows on or after their model's shutdown, or after their price's
    ``effective_until`` with no later row, are not billed and are counted in ``unpriced`` with
    the day, as :func:`tco.usage.price_usage` does (:meth:`~tco.usage.PriceTable.ended`, per cell).
    """
    n = len(t.day)
    v = t.values
    reqs, batch = v.get("requests"), v.get("batch")
    model_code = table.codes(t.models)                          # per distinct name: a few
    cells = _cells(table, model_code, t.model, t.day)
    tin = v["input_tokens"]
    if "long_context" in v:                                     # the export says which tier billed it
        long = v["long_context"] & np.isfinite(cells.threshold[cells.of_row])
    else:
        long = (tin / reqs if reqs is not None else tin) > cells.threshold[cells.of_row]
    variant = long.view(np.int8) * np.int8(2)
    if batch is not None:
        variant = variant + batch.view(np.int8)
    dims = [cells.n_keys, *(len(lab) for lab, _ in t.groups.values()), 4]
    key, uniq = _compose([cells.key[cells.of_row], *(c for _, c in t.groups.values()), variant], dims, n)
    nbins = len(uniq) if uniq is not None else int(np.prod(dims, dtype=np.float64))
    rows = np.bincount(key, minlength=nbins)
    live = np.flatnonzero(rows)
    codes = uniq[live] if uniq is not None else live
    idx = np.unravel_index(codes, dims) if len(codes) else [np.zeros(0, dtype=np.int64)] * len(dims)
    sums = {"rows": rows[live]}
    for name in ("requests", *TOKEN_COLUMNS):
        if name in v:
            sums[name] = np.bincount(key, weights=v[name], minlength=nbins)[live]
    if "requests" not in sums:
        sums["requests"] = sums["rows"].astype(float)

    # per bin: its month, model, price row and variant, and so its rates
    b_month, b_model, b_price, b_assumed, b_end, b_shut = (
        a[idx[0]] for a in (cells.key_month, cells.key_model, cells.key_price, cells.key_assumed, cells.key_end,
                            cells.key_shut))
    b_var = idx[-1]
    flat = b_price * 4 + b_var
    ok = table.ok[flat] & (b_end < 0)             # after a shutdown or a price's end, as tco.usage: not billed
    zero = np.zeros(len(live))
    parts = table.cost(flat, token_arrays(lambda c: sums.get(c, zero if c == "cached_input_tokens" else None)))
    derived = {
        "batch_tokens": np.where(b_var % 2 == 1, sums["input_tokens"] + sums["output_tokens"], 0.0),
        "long_context_rows": np.where(b_var >= 2, sums["rows"], 0),
        "price_assumed_rows": np.where(b_assumed, sums["rows"], 0),
        "cache_write_1h_at_5m_price_tokens": np.where(table.has_1h_price[b_price], 0.0,
                                                      sums.get("cache_write_1h_tokens", zero)),
        "usd_input": parts["input"], "usd_cached_input": parts["cached_input"],
        "usd_cache_write": parts.get("cache_write", zero) + parts.get("cache_write_1h", zero),
        "usd_output": parts["output"],
    }
    derived["usd"] = derived["usd_input"] + derived["usd_cached_input"] + derived["usd_cache_write"] + \
        derived["usd_output"]
    # the bins of one (month, model, groups) added up: one row each, priced bins only
    m0 = int(b_month.min()) if len(b_month) else 0
    coarse = [b_month[ok] - m0, b_model[ok], *(gi[ok] for gi in idx[1:-1])]
    cdims = [int(b_month.max()) - m0 + 1 if len(b_month) else 1, len(t.models), *dims[1:-1]]
    ckey, cuniq = _compose(coarse, cdims, len(coarse[0]))
    c_n = len(cuniq) if cuniq is not None else int(np.prod(cdims, dtype=np.float64))
    c_rows = np.bincount(ckey, minlength=c_n)
    c_live = np.flatnonzero(c_rows)
    matrix = np.stack([np.bincount(ckey, weights=np.asarray(sums[name] if name in sums else derived.get(name, zero),
                                                              dtype=float)[ok], minlength=c_n)[c_live]
                       for name in SUMS], axis=1)
    c_idx = np.unravel_index(cuniq[c_live] if cuniq is not None else c_live, cdims)
    keys = np.stack([c_idx[0] + m0, *c_idx[1:]], axis=1).astype(np.int64)

    unpriced = {}
    if not ok.all():
        bad = ~ok
        reason = np.where(b_price[bad] == table.n, 0, np.where(b_end[bad] >= 0, 3, np.where(b_var[bad] % 2 == 1, 1, 2)))
        counts = np.bincount(b_model[bad] * 4 + reason, weights=sums["rows"][bad],
                             minlength=4 * len(t.models)).reshape(-1, 4).astype(np.int64)
        gone = bad & (b_end >= 0)
        first_end = np.full(len(t.models), _NO_END)
        np.minimum.at(first_end, b_model[gone], b_end[gone])
        shut = np.zeros(len(t.models), np.int64)
        np.maximum.at(shut, b_model[gone], b_shut[gone].astype(np.int64))
        unpriced = {str(t.models[i]): [*counts[i].tolist(), int(first_end[i]), int(shut[i])]
                    for i in np.flatnonzero(counts.sum(axis=1))}
    partial = Partial(keys, matrix, np.asarray(t.models, dtype=object),
                      tuple(np.asarray(labels, dtype=object) for labels, _ in t.groups.values()), unpriced, n,
                      t.requests_given)
    if not want_rows:
        return partial, None
    key_of_row = cells.key[cells.of_row]
    return partial, _priced_rows(table, t, model_code, cells.key_price[key_of_row] * 4 + variant,
                                 cells.key_assumed[key_of_row], long, cells.key_end[key_of_row] >= 0)


def _priced_rows(table: PriceTable, t: Typed, model_code, flat, assumed, long, gone) -> pa.RecordBatch:
    """Every row of a chunk with its prices and USD [USD] (the per-row output file); ``gone``: the row
    is dated after its model's shutdown or its price's end (not billed)."""
    v = t.values
    row_code = model_code[t.model]
    zeros = np.zeros(len(t.day))
    parts = table.cost(flat, token_arrays(lambda c: v.get(c, zeros if c == "cached_input_tokens" else None)))
    priced = table.ok[flat] & ~gone
    out = {"date": t.day.astype("datetime64[D]"), "model": t.models[t.model],
           "model_id": np.array([*table.ids, None], dtype=object)[np.where(row_code >= 0, row_code, len(table.ids))]}
    for g, (labels, codes) in t.groups.items():
        out[g] = labels[codes]
    out.update({c: v[c] for c in (*TOKEN_COLUMNS, "requests", "batch") if c in v})
    out.update({"price_date": table.price_date[flat // 4], "long_context": long, "price_assumed": assumed & priced,
                **{f"usd_{k}": np.where(priced, p, np.nan) for k, p in parts.items()},
                "usd": np.where(priced, sum(parts.values()), np.nan), "priced": priced})
    return pa.RecordBatch.from_pydict({k: pa.array(a, from_pandas=True) for k, a in out.items()})


def _compose(codes: Sequence[np.ndarray], dims: Sequence[int], n: int):
    """One integer key per row from several codes (``codes[i] < dims[i]``): dense when the grid is small.

    Returns ``(key, uniq)``: ``uniq`` is ``None`` when ``key`` is the dense index itself,
    else the sorted distinct dense indices that ``key`` indexes (a sparse grid).
    """
    key = np.asarray(codes[0], dtype=np.int64)
    for size, c in zip(dims[1:], codes[1:]):
        key = key * np.int64(size) + c
    if float(np.prod(dims, dtype=np.float64)) <= 4 * n + 65536:
        return key, None
    uniq, inverse = np.unique(key, return_inverse=True)
    return inverse.reshape(-1), uniq


@dataclass
class _Cells:
    """The (model, day) cells of a chunk: ``of_row`` per row; per cell its threshold and key.

    A cell's key stands for (month, model, price row, assumed, ended): the cells that share all
    five are billed alike. ``key_*`` decode a key; ``key_end`` is the day the price ended for
    ended keys (the shutdown day, else the row's ``effective_until``; -1 while in force, as
    :meth:`tco.usage.PriceTable.ended`) and ``key_shut`` whether a shutdown ended it.
    """

    of_row: np.ndarray
    threshold: np.ndarray
    key: np.ndarray
    key_month: np.ndarray
    key_model: np.ndarray
    key_price: np.ndarray
    key_assumed: np.ndarray
    key_end: np.ndarray
    key_shut: np.ndarray

    @property
    def n_keys(self) -> int:
        return len(self.key_month)


def _cells(table: PriceTable, model_code: np.ndarray, codes: np.ndarray, day: np.ndarray) -> _Cells:
    """The cells of a chunk: a dense (distinct model x day) grid gathered per row, one read per
    row instead of a binary search; distinct (model, day) pairs when the days spread too wide."""
    codes = codes.astype(np.int64)
    if not len(day):
        e, no = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        return _Cells(e, np.zeros(0), e, e, e, e, no, e, no)
    d0, d1 = int(day.min()), int(day.max())
    span = d1 - d0 + 1
    if span * len(model_code) <= 4 * len(day) + 1_000_000:
        cell_model = np.repeat(np.arange(len(model_code)), span)
        cell_day = np.tile(np.arange(d0, d1 + 1, dtype=np.int64), len(model_code))
        of_row = codes * span + (day - d0)
    else:                                                        # dates spread too wide: distinct pairs
        uniq, of_row = np.unique(codes * _DAY_RANGE + (day - d0), return_inverse=True)
        cell_model, cell_day = uniq // _DAY_RANGE, uniq % _DAY_RANGE + d0
        of_row = of_row.reshape(-1)
    mc = model_code[cell_model]
    price = table.rows(mc, cell_day)
    assumed = (price < table.n) & (cell_day < table.first_day[np.maximum(mc, 0)])
    shut, end_day = table.ended(mc, cell_day, price)              # per cell (model x day), not per row
    gone = end_day >= 0
    month = cell_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    m0 = int(month.min())
    dims = (int(month.max()) - m0 + 1, len(model_code), table.n + 1, 2, 2)
    packed = ((((month - m0) * dims[1] + cell_model) * dims[2] + price) * 2 + assumed) * 2 + gone
    uniq, key = np.unique(packed, return_inverse=True)
    key = key.reshape(-1)
    k_month, k_model, k_price, k_assumed, _ = np.unravel_index(uniq, dims)
    k_end = np.full(len(uniq), _NO_END)
    np.minimum.at(k_end, key, np.where(gone, end_day, _NO_END))
    k_shut = np.zeros(len(uniq), bool)
    np.logical_or.at(k_shut, key, gone & shut)
    return _Cells(of_row, table.threshold[price], key, k_month + m0, k_model, k_price, k_assumed.astype(bool),
                  np.where(k_end == _NO_END, -1, k_end), k_shut)


_DAY_RANGE = np.int64(1) << np.int64(32)


# --------------------------------------------------------------------------- the run

@dataclass
class UsageSummary:
    """A streamed usage log priced: totals per month, model and grouping column.

    ``groups``: one row per (month, model, *by) of priced rows with the :data:`SUMS`
    columns [requests], [tokens], [USD]; ``unpriced``: one row per model with rows that
    could not be priced, why, and the closest known ids (as :class:`tco.usage.UsageResult`).
    """

    groups: pd.DataFrame
    unpriced: pd.DataFrame
    rows: int
    by: tuple = ()
    requests_given: bool = True
    output: str | None = None

    @property
    def total_usd(self) -> float:
        return float(self.groups["usd"].sum())

    @property
    def priced_rows(self) -> int:
        return int(self.groups["rows"].sum())

    def by_month(self) -> pd.DataFrame:
        """Per calendar month: requests, tokens and USD (as :meth:`tco.usage.UsageResult.by_month`)."""
        return self.totals("month")

    def by_model(self) -> pd.DataFrame:
        """Per model: requests, tokens and USD."""
        return self.totals("model")

    def totals(self, *keys: str) -> pd.DataFrame:
        """Totals per any of ``month``, ``model`` and the grouping columns, sorted by them."""
        cols = ["requests", "input_tokens", "cached_input_tokens", "output_tokens", "usd"]
        if self.groups.empty:
            return pd.DataFrame(columns=[*keys, *cols, "usd_per_mtok"])
        out = self.groups.groupby(list(keys), sort=True, observed=True)[cols].sum()
        out["usd_per_mtok"] = out["usd"] / (out["input_tokens"] + out["output_tokens"]) * 1e6
        return out.reset_index()

    def summary(self) -> str:
        g = self.groups
        lines = [f"{self.rows:,} rows, {self.priced_rows:,} priced, total ${self.total_usd:,.2f}"]
        assumed = int(g["price_assumed_rows"].sum())
        if assumed:
            lines.append(f"{assumed:,} rows dated before their model's first known price were priced at that price")
        long_rows = int(g["long_context_rows"].sum())
        if long_rows and not self.requests_given:
            lines.append(f"{long_rows:,} rows billed at long-context prices as single requests: add a requests "
                         "column if rows add up several requests")
        one_h = float(g["cache_write_1h_at_5m_price_tokens"].sum())
        if one_h:
            lines.append(f"{one_h:,.0f} 1-hour cache-write tokens priced at the cache-write price: the catalog "
                         "has no 1-hour cache-write price for their models")
        for _, r in self.unpriced.iterrows():
            near = f" (closest: {r['closest']})" if r["closest"] else ""
            lines.append(f"not priced: {r['model']} ({r['rows']:,} rows): {r['reason']}{near}")
        if self.output:
            lines.append(f"priced rows written to {self.output}")
        return "\n".join(lines)

    def monthly(self) -> pd.DataFrame:
        """Per month: tokens, batch tokens and requests, as :func:`tco.usage.usage_workload` needs."""
        cols = ["requests", "input_tokens", "cached_input_tokens", "output_tokens", "batch_tokens", "usd"]
        return self.groups.groupby("month", sort=True)[cols].sum().reset_index()


def finish(partial: Partial, table: PriceTable, by=(), output=None) -> UsageSummary:
    """The :class:`UsageSummary` of the totals of a whole run."""
    if partial.keys.shape[1] != 2 + len(by):                   # nothing was read: no chunk said its groups
        partial = Partial.empty(len(by))
    groups = partial.frame(by).sort_values(["month", "model", *by], kind="stable").reset_index(drop=True)
    models = sorted(partial.unpriced)
    counts = np.array([partial.unpriced[m] for m in models], dtype=np.int64).reshape(-1, 6)
    ended = [ended_reason(first, shut) for first, shut in counts[:, 4:]]
    unpriced = _unpriced_table(models, counts[:, :4].sum(axis=1), counts[:, 0], counts[:, 1], table.ids, ended)
    return UsageSummary(groups, unpriced, partial.rows, tuple(by), partial.requests_given,
                        str(output) if output else None)


def price_chunks(chunks: Iterable[Chunk], table: PriceTable, by: Sequence[str] = (), reader=None,
                 output: str | os.PathLike | None = None, threads: int = 2,
                 progress: Callable[[int], None] | None = None, batch_rows: int = BATCH_ROWS) -> Partial:
    """Price chunks, ``threads`` at a time (numpy releases the GIL), keeping only their totals.

    ``reader``: turns a raw chunk into usage-log columns (:mod:`tco.usage_readers`);
    ``output``: a Parquet file every priced row is written to, in order; ``progress``:
    called with the bytes read so far.
    """
    by = tuple(by)
    convert = reader.convert if reader is not None else rename
    writer = None

    def work(chunk: Chunk):
        partials, rows = [], []
        for part in chunk.batches(batch_rows):
            canonical = Chunk(convert(part.batch), part.first_line, part.source)
            p, r = price_typed(table, type_chunk(canonical, by), want_rows=output is not None)
            partials.append(p)
            rows.append(r)
        return (partials[0] if len(partials) == 1 else Partial.total(partials)), rows, chunk.done_bytes

    def results() -> Iterator[Partial]:
        nonlocal writer
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            pending: deque = deque()
            chunk_iter = iter(chunks)
            while True:
                while len(pending) <= threads:                  # bounded read-ahead: constant memory
                    chunk = next(chunk_iter, None)
                    if chunk is None:
                        break
                    pending.append(pool.submit(work, chunk))
                if not pending:
                    return
                partial, row_batches, done = pending.popleft().result()
                for rows in row_batches:
                    if rows is None:
                        continue
                    if writer is None:
                        import pyarrow.parquet as pq
                        Path(output).parent.mkdir(parents=True, exist_ok=True)
                        writer = pq.ParquetWriter(output, rows.schema)
                    writer.write_batch(rows.cast(writer.schema) if rows.schema != writer.schema else rows)
                if progress is not None:
                    progress(done)
                yield partial

    try:
        return Partial.total(results())
    finally:
        if writer is not None:
            writer.close()


def price_usage_files(source: str | os.PathLike, catalog: Catalog | PriceTable, by: Sequence[str] = (),
                      output: str | os.PathLike | None = None, reader=None, batch_rows: int = BATCH_ROWS,
                      threads: int = 2, progress: Callable[[int], None] | None = None) -> UsageSummary:
    """Price a usage log file or folder in chunks (constant memory); totals per month, model and ``by``.

    Parameters
    ----------
    source : a ``.csv``, ``.csv.gz``, ``.jsonl``, ``.parquet`` file or a folder of them.
    catalog : the pricing catalog (or a :class:`~tco.usage.PriceTable` made from one).
    by : grouping columns of the log (``team``, ``api_key``, ...) kept in the totals.
    output : write every priced row to this Parquet file (date, model, resolved ``model_id``,
        tokens, ``price_date``, ``usd_*`` [USD], ``priced``).
    reader : a :class:`tco.usage_readers.Reader` (or its name) for logs in another layout.
    batch_rows : rows per chunk (memory is a few times this times the columns).
    threads : chunks priced at once.
    progress : called with the bytes read so far (for a progress bar; see :func:`source_bytes`).
    """
    table = catalog if isinstance(catalog, PriceTable) else PriceTable.from_catalog(catalog)
    if isinstance(reader, str):
        reader = get_reader(reader)
    numeric = reader.numeric_sources() if reader is not None else ()
    partial = price_chunks(read_chunks(source, batch_rows, None, numeric), table, by, reader, output, threads,
                           progress, batch_rows)
    return finish(partial, table, by, output)


def source_bytes(source: str | os.PathLike) -> int:
    """Bytes of every file of ``source`` (the length of a progress bar)."""
    return sum(p.stat().st_size for p in files_of(source))


__all__ = ["BATCH_ROWS", "Chunk", "Partial", "UsageSummary", "files_of", "finish", "price_chunks",
           "price_typed", "price_usage", "price_usage_files", "read_chunks", "rename", "source_bytes", "type_chunk"]


def price_usage(log, catalog: Catalog):
    """Price a usage log: a DataFrame in memory (:func:`tco.usage.price_usage`, every row kept),
    or a CSV / JSON Lines / Parquet file or folder streamed in chunks (:func:`price_usage_files`)."""
    if isinstance(log, (str, os.PathLike)):
        return price_usage_files(log, catalog)
    return usage.price_usage(log, catalog)
