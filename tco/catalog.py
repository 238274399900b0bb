"""Load, validate, overlay and look up the pricing tables.

A :class:`Catalog` holds one pandas DataFrame per table of :data:`tco.tables.TABLES`.
Every row of every file is validated with a marshmallow schema derived from the
table's column list; all errors of one load are gathered and raised together as a
:class:`CatalogError` whose lines read ``file:line: column: message``.

Overlay
    Folders given in ``extra_dirs`` (or ``TCO_PRICING_DIR``) hold tables of the same
    schema, possibly only some of them.  Their rows replace shipped rows with the same
    key and add the others.

Price history
    Several rows may share a key but differ in ``effective_date``.  ``as_of`` picks, per
    key, the newest row whose ``effective_date`` is on or before that date (default:
    today).  :attr:`Catalog.history` keeps every row.

>>> cat = load_catalog()
>>> cat.gpu("h100-sxm")["memory_gb"]
80.0
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from marshmallow import Schema, ValidationError, fields, validate

from tco.tables import FINE_TUNING_ROUTES, TABLE_NAMES, TABLES, Column, Table

#: The tables shipped with the project.
DEFAULT_PRICING_DIR = Path(__file__).resolve().parent / "pricing"

ID_PATTERN = r"^[a-z0-9][a-z0-9._:/-]*$"


class CatalogError(ValueError):
    """One or more rows of the pricing tables are invalid.

    ``errors`` holds one ``file:line: column: message`` string per problem.
    """

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        head = f"{len(self.errors)} error(s) in the pricing tables:\n"
        super().__init__(head + "\n".join(self.errors))


# --------------------------------------------------------------------------- schemas

def _field_for(col: Column) -> fields.Field:
    validators: list = []
    kw: dict = {"required": col.required, "metadata": {"description": col.description, "unit": col.unit}}
    if col.type in ("float", "int") and (col.min is not None or col.max is not None):
        validators.append(validate.Range(min=col.min, max=col.max))
    if col.type == "str":
        if col.required:
            validators.append(validate.Length(min=1))
        return fields.String(validate=validators, **kw)
    if col.type == "id":
        validators.append(validate.Regexp(
            ID_PATTERN, error="Not a valid id: use lower-case letters, digits and . _ : / -"))
        return fields.String(validate=validators, **kw)
    if col.type == "choice":
        validators.append(validate.OneOf(col.choices))
        return fields.String(validate=validators, **kw)
    if col.type == "float":
        return fields.Float(allow_nan=False, validate=validators, **kw)
    if col.type == "int":
        return fields.Integer(validate=validators, **kw)
    if col.type == "bool":
        return fields.Boolean(**kw)
    if col.type == "date":
        return fields.Date(format="%Y-%m-%d", **kw)
    if col.type == "url":
        return fields.Url(schemes={"http", "https"}, **kw)
    raise ValueError(f"unknown column type {col.type!r} for {col.name}")


def row_schema(table: Table) -> Schema:
    """A marshmallow schema validating one row (a dict of strings) of ``table``."""
    attrs = {c.name: _field_for(c) for c in table.columns}
    return Schema.from_dict(attrs, name=f"{table.name}_row")()


_SCHEMAS: dict[str, Schema] = {}


def _schema(name: str) -> Schema:
    if name not in _SCHEMAS:
        _SCHEMAS[name] = row_schema(TABLES[name])
    return _SCHEMAS[name]


def _row_rules(table: str, row: Mapping) -> list[tuple[str, str]]:
    """Cross-column rules a single-field schema cannot express: (column, message) pairs."""
    errs: list[tuple[str, str]] = []
    get = row.get
    if get("effective_until") is not None and get("effective_date") is not None \
            and get("effective_until") <= get("effective_date"):
        errs.append(("effective_until", "Must be after effective_date (it is the first day the row no longer "
                                        "applies)."))
    if get("checked_date") is not None and get("effective_date") is not None \
            and get("checked_date") < get("effective_date"):
        errs.append(("checked_date", "Must be on or after effective_date (a check confirms a row already in force)."))
    if get("is_estimate") and not get("notes"):
        errs.append(("notes", "Required when is_estimate is true: say why the numbers are an estimate."))
    if table == "defaults" and get("source_url") is None and not get("is_estimate"):
        errs.append(("source_url", "Required unless is_estimate is true (the reason then goes in notes)."))
    if table == "api_prices" and get("promotion") and get("effective_until") is None:
        errs.append(("effective_until", "Required when promotion is true: the day the list price returns."))
    if table == "seat_prices" and get("overage_unit") is None and (
            get("included_units_per_seat_month") is not None or get("usd_per_overage_unit") is not None):
        errs.append(("overage_unit", "Required with included_units_per_seat_month or usd_per_overage_unit."))
    if table == "model_lifecycle":
        if all(get(c) is None for c in ("deprecation_date", "shutdown_date", "successor_model_id")):
            errs.append(("shutdown_date", "Give a deprecation_date, a shutdown_date or a successor_model_id."))
        if get("shutdown_date") is not None and get("deprecation_date") is not None \
                and get("shutdown_date") < get("deprecation_date"):
            errs.append(("shutdown_date", "Must be on or after deprecation_date."))
        if get("successor_model_id") is not None and get("successor_model_id") == get("model_id"):
            errs.append(("successor_model_id", "Must differ from model_id."))
    if table == "model_aliases" and get("alias") == get("model_id"):
        errs.append(("model_id", "Must differ from alias."))
    if table == "api_prices":
        long_cols = ("usd_per_mtok_input_long", "usd_per_mtok_output_long")
        has_threshold = get("long_context_threshold_tokens") is not None
        if has_threshold and any(get(c) is None for c in long_cols):
            missing = [c for c in long_cols if get(c) is None]
            errs.append((missing[0], "Required when long_context_threshold_tokens is set."))
        if not has_threshold and any(get(c) is not None for c in long_cols + ("usd_per_mtok_cached_input_long",)):
            errs.append(("long_context_threshold_tokens", "Required when long-context prices are given."))
        if (get("usd_per_mtok_batch_input") is None) != (get("usd_per_mtok_batch_output") is None):
            errs.append(("usd_per_mtok_batch_output", "Give both batch prices or neither."))
    elif table == "open_models":
        if get("active_params_b") is not None and get("total_params_b") is not None \
                and get("active_params_b") > get("total_params_b") + 1e-9:
            errs.append(("active_params_b", "Must be less than or equal to total_params_b."))
        if get("modality") == "text":
            for c in ("layers", "hidden_size", "attention_heads", "context_length_tokens"):
                if get(c) is None:
                    errs.append((c, "Required for text models."))
            if get("kv_values_per_token_layer") is None and (get("kv_heads") is None or get("head_dim") is None):
                errs.append(("kv_heads", "Give kv_heads and head_dim, or kv_values_per_token_layer."))
        if (get("experts") is None) != (get("experts_per_token") is None):
            errs.append(("experts_per_token", "Give experts and experts_per_token together."))
        elif get("experts") is not None and get("experts_per_token") > get("experts"):
            errs.append(("experts_per_token", "Must be less than or equal to experts."))
    elif table == "model_quality_join" and get("quality_model_id") is None and not get("notes"):
        errs.append(("notes", "Required when quality_model_id is blank: say why the model has no score."))
    elif table == "model_control" and get("fine_tuning") is not None:
        routes = str(get("fine_tuning")).split("+")
        bad = [r for r in routes if r not in FINE_TUNING_ROUTES]
        if bad or ("none" in routes and len(routes) > 1):
            errs.append(("fine_tuning", f"Routes joined with +, from: {', '.join(FINE_TUNING_ROUTES)} "
                                        f"('none' alone); got {get('fine_tuning')!r}."))
    elif table == "throughput_benchmarks":
        if get("output_tokens_per_second") is None and get("images_per_second") is None:
            errs.append(("output_tokens_per_second", "Give output_tokens_per_second or images_per_second."))
    return errs


# --------------------------------------------------------------------------- reading

@dataclass
class _Rows:
    """Validated rows of one table from one file, with their origin for messages."""

    records: list[dict] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # "file:line"


def read_table_file(path: Path, table: Table) -> tuple[_Rows, list[str]]:
    """Read and validate one CSV file; returns (rows, errors).  Never raises on bad data."""
    rows, errors = _Rows(), []
    schema = _schema(table.name)
    known = set(table.column_names)
    try:
        fh = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        return rows, [f"{path}:0: -: cannot read file ({exc.strerror})"]
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return rows, [f"{path}:1: -: empty file; expected header {','.join(table.column_names)}"]
        except (csv.Error, UnicodeDecodeError) as exc:
            return rows, [f"{path}:1: -: {exc}"]
        header = [h.strip() for h in header]
        for h in header:
            if h not in known:
                close = difflib.get_close_matches(h, table.column_names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                errors.append(f"{path}:1: {h}: unknown column{hint}")
        for c in table.columns:
            if c.required and c.name not in header:
                errors.append(f"{path}:1: {c.name}: required column missing")
        if errors:
            return rows, errors
        seen: dict[tuple, int] = {}
        line = reader.line_num
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                errors.append(f"{path}:{start}: -: {exc}")
                break
            line = start
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                errors.append(f"{path}:{line}: -: expected {len(header)} fields, found {len(values)}")
                continue
            raw = {h: v.strip() for h, v in zip(header, values) if v.strip() != ""}
            try:
                rec = schema.load(raw)
            except ValidationError as exc:
                for col, msgs in sorted(exc.messages.items()):
                    for msg in (msgs if isinstance(msgs, list) else [str(msgs)]):
                        errors.append(f"{path}:{line}: {col}: {msg}")
                continue
            rule_errors = _row_rules(table.name, rec)
            for col, msg in rule_errors:
                errors.append(f"{path}:{line}: {col}: {msg}")
            if rule_errors:
                continue
            key = tuple(rec.get(k) for k in table.key)
            if key in seen:
                errors.append(f"{path}:{line}: {table.key[0]}: duplicate key "
                              f"({', '.join(f'{k}={v}' for k, v in zip(table.key, key))}) first seen on line {seen[key]}")
                continue
            seen[key] = line
            rows.records.append(rec)
            rows.origins.append(f"{path}:{line}")
    return rows, errors


def _frame(table: Table, records: list[dict]) -> pd.DataFrame:
    """Turn validated records into a typed DataFrame with the table's columns in order."""
    data: dict[str, object] = {}
    for c in table.columns:
        vals = [r.get(c.name) for r in records]
        if c.type == "float":
            data[c.name] = np.array([np.nan if v is None else float(v) for v in vals], dtype=float)
        elif c.type == "int":
            data[c.name] = pd.array(vals, dtype="Int64")
        elif c.type == "bool":
            data[c.name] = pd.array(vals, dtype="boolean")
        elif c.type == "date":
            data[c.name] = pd.to_datetime(pd.Series(vals, dtype="object"))
        else:
            data[c.name] = pd.array(vals, dtype="str")
    return pd.DataFrame(data, columns=table.column_names)


# --------------------------------------------------------------------------- catalog

def _to_date(value) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"as_of: not a valid date {value!r}; use YYYY-MM-DD") from None


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The ``n`` candidates most similar to ``name`` (for 'did you mean' messages)."""
    cands = sorted(set(str(c) for c in candidates))
    found = difflib.get_close_matches(name, cands, n=n, cutoff=0.4)
    if not found:
        found = [c for c in cands if name.lower() in c.lower()][:n]
    return found


def _not_found(what: str, name: str, candidates: Iterable[str]) -> KeyError:
    cands = list(candidates)
    near = closest(name, cands)
    hint = f"; closest: {', '.join(near)}" if near else ""
    return KeyError(f"unknown {what} {name!r}{hint} ({len(set(cands))} valid ids)")


# --------------------------------------------------------------------------- names users have

#: Tables whose rows are looked up by a model id, in the order ``resolve_model`` tries them.
MODEL_TABLES = ("api_prices", "open_models", "image_prices")

#: Leading path segments naming the vendor itself or a router that passes the vendor's price
#: through (LiteLLM and OpenRouter spellings); dropped to reach the vendor's own id.
VENDOR_PREFIXES = frozenset({
    "openai", "anthropic", "gemini", "google", "google-ai-studio", "models", "mistral", "mistralai", "deepseek",
    "deepseek-ai", "xai", "x-ai", "cohere", "moonshotai", "openrouter", "meta", "meta-llama", "qwen", "alibaba",
    "amazon", "vertex_ai", "vertex_ai-language-models", "vertex", "bedrock", "bedrock_converse", "azure", "azure_ai",
})
# Cloud prefixes whose catalog deployments have their own ids (bedrock/..., vertex/...).
_CLOUD_NAMESPACE = {"bedrock": "bedrock", "bedrock_converse": "bedrock", "vertex_ai": "vertex",
                    "vertex_ai-language-models": "vertex", "vertex": "vertex", "azure": "azure", "azure_ai": "azure"}
# Bedrock model ids: optional geography, vendor, model, optional version ("us.anthropic.claude-...-v1:0").
_BEDROCK_ID = re.compile(r"^(?:(us|eu|apac|jp|au|global|us-gov)\.)?"
                         r"(?:anthropic|meta|amazon|mistral|cohere|deepseek|openai|qwen|ai21|moonshotai|zai|writer)\."
                         r"(.+?)(?:-v\d+(?::\d+)?|:\d+)?$")
# Dated snapshots: "-2024-08-06", "-20250929", "@20241022" (Vertex).
_SNAPSHOT_DATE = re.compile(r"(?:[-@](?:20\d{2}-\d{2}-\d{2}|20\d{6}))$")
_VERSION_DOT = re.compile(r"(?<=\d)\.(?=\d)")
# What hosts append to an open model's name (for finding its architecture in open_models).
_HOSTING_SUFFIX = re.compile(r"(?:-instruct|-chat|-it|-hf|-turbo|-versatile|-fp8|-fp4|-bf16|-awq|-maas|-free|:free"
                             r"|-v\d+(?:\.\d+)*)$")


@dataclass(frozen=True)
class ModelResolution:
    """How a name given by a user was matched to a catalog id.

    ``via`` is ``"exact"`` or a short account (``"alias (openrouter)"``, ``"provider prefix
    dropped"``, ``"snapshot date dropped"``, ...) for messages and flags.
    """

    name: str
    model_id: str
    table: str
    via: str


def _name_variants(name: str, table: str) -> list[tuple[str, str]]:
    """Candidate catalog ids for ``name``, most literal first: (candidate, how it was derived)."""
    n = name.strip().lower()
    out = [(n, "exact")]
    segments = n.split("/")
    # Cloud ids first map to the catalog's own cloud deployments (vertex/..., bedrock/...).
    if len(segments) > 1 and segments[0] in _CLOUD_NAMESPACE:
        out.append((f"{_CLOUD_NAMESPACE[segments[0]]}/{segments[-1]}", "cloud id"))
    bedrock = _BEDROCK_ID.match(segments[-1])
    if bedrock:
        geo, core = bedrock.group(1), bedrock.group(2)
        if geo and geo != "global":
            out.append((f"bedrock-{geo}/{core}", "Bedrock id"))
        out.append((f"bedrock/{core}", "Bedrock id"))
        out.append((core, "Bedrock id: priced at the vendor's own id"))
    while len(segments) > 1 and segments[0] in VENDOR_PREFIXES:
        segments = segments[1:]
        out.append(("/".join(segments), "provider prefix dropped"))
    for cand, _ in list(out):
        undated = _SNAPSHOT_DATE.sub("", cand)
        if undated != cand:
            out.append((undated, "snapshot date dropped"))
    # OpenRouter writes versions with dots where the vendor uses dashes (claude-sonnet-4.5).
    for cand, _ in list(out):
        dashed = _VERSION_DOT.sub("-", cand)
        if dashed != cand:
            out.append((dashed, "version dots as dashes"))
    if table == "open_models":
        base = segments[-1]
        base = re.sub(r"^(?:meta-|mistralai-)", "", base)
        while True:
            stripped = _HOSTING_SUFFIX.sub("", base)
            if stripped == base:
                break
            base = stripped
            out.append((base, "hosted name: suffix dropped"))
    return out


def resolve_name(name: str, table: str, ids: set[str], aliases: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    """Match ``name`` to one of ``ids`` directly, through ``aliases`` or by its usual spellings.

    Parameters
    ----------
    name : the name as the user has it (any case; ``openai/gpt-4o``, ``gpt-4o-2024-08-06``, ...).
    table : the table ``ids`` belong to (open_models also tries the hosted-name suffixes).
    ids : the catalog ids of that table.
    aliases : alias -> (catalog id, namespace).

    Returns
    -------
    (model_id, via) or None when nothing matches.

    >>> resolve_name("OpenRouter/OpenAI/gpt-4o", "api_prices", {"gpt-4o"}, {})
    ('gpt-4o', 'provider prefix dropped')
    >>> resolve_name("us.anthropic.claude-sonnet-4-6-v1:0", "api_prices", {"bedrock/claude-sonnet-4-6"}, {})
    ('bedrock/claude-sonnet-4-6', 'Bedrock id')
    >>> resolve_name("claude-3-5-haiku@20241022", "api_prices", {"claude-3-5-haiku"}, {})
    ('claude-3-5-haiku', 'snapshot date dropped')
    >>> resolve_name("gpt-4", "api_prices", {"gpt-4o"}, {}) is None
    True
    """
    for cand, how in _name_variants(name, table):
        if cand in ids:
            return cand, how
        hit = aliases.get(cand)
        if hit is not None and hit[0] in ids:
            return hit[0], f"alias ({hit[1]})" if how == "exact" else f"alias ({hit[1]}), {how}"
    return None


class Catalog:
    """The pricing tables in force at ``as_of``, as pandas DataFrames.

    Tables are reached by name, ``catalog["gpus"]`` or ``catalog.gpus``; every row of every
    date is in ``catalog.history[name]``.  Lookup methods return one row as a ``dict`` and
    raise ``KeyError`` naming the closest valid ids.
    """

    def __init__(self, history: dict[str, pd.DataFrame], as_of: dt.date, sources: tuple[str, ...] = ()):
        self.history = history
        self.as_of = as_of
        self.sources = sources
        self.tables = {name: _in_force(TABLES[name], df, as_of) for name, df in history.items()}
        self._indexes: dict[tuple, dict] = {}
        self._records: dict[str, list[dict]] = {}

    # -- access by name
    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise KeyError(f"unknown table {name!r}; valid tables: {', '.join(TABLE_NAMES)}")
        return self.tables[name]

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(v)}" for k, v in self.tables.items())
        return f"<Catalog as_of={self.as_of} {counts}>"

    def at(self, as_of) -> "Catalog":
        """The same tables resolved at another date."""
        return Catalog(self.history, _to_date(as_of), self.sources)

    def row_counts(self) -> dict[str, int]:
        return {k: int(len(v)) for k, v in self.tables.items()}

    def newest_price_date(self) -> str | None:
        """Newest ``effective_date`` over all dated tables in force [ISO date]."""
        dates = [df["effective_date"].max() for name, df in self.tables.items() if len(df) and TABLES[name].dated]
        return max(dates).date().isoformat() if dates else None

    # -- names users have
    def _alias_map(self) -> dict[str, tuple[str, str]]:
        if "_aliases" not in self.__dict__:
            df = self.tables.get("model_aliases")
            self._aliases = {} if df is None else dict(zip(
                df["alias"].astype(str), zip(df["model_id"].astype(str), df["namespace"].astype(str))))
        return self._aliases

    def _model_ids(self, table: str) -> set[str]:
        """Every id of ``table`` in its history (a retired model still resolves, then reports its end)."""
        key = ("_ids", table)
        if key not in self._indexes:
            self._indexes[key] = set(self.history[table]["model_id"].dropna().astype(str))
        return self._indexes[key]

    def resolve_model(self, name: str, table: str | None = None) -> ModelResolution:
        """Match a model name as users write it to a catalog id.

        Tried in order: the id itself; the ``model_aliases`` table; the catalog's cloud deployments
        for cloud ids (``vertex_ai/x`` -> ``vertex/x``, Bedrock ids -> ``bedrock/x``); provider and
        router prefixes dropped (``openrouter/openai/gpt-4o`` -> ``gpt-4o``); a dated-snapshot suffix
        dropped (``-2024-08-06``, ``-20250929``, ``@20241022``); version dots as dashes
        (OpenRouter's ``claude-sonnet-4.5`` -> ``claude-sonnet-4-5``); for ``open_models`` also the
        suffixes hosts add (``-instruct``, ``-turbo``, ``-fp8``, ...).

        Parameters
        ----------
        name : the name as given.
        table : ``api_prices``, ``open_models`` or ``image_prices``; None tries them in that order.

        Raises
        ------
        KeyError
            naming the closest ids and aliases when nothing matches.
        """
        tables = MODEL_TABLES if table is None else (table,)
        for t in tables:
            hit = resolve_name(str(name), t, self._model_ids(t), self._alias_map())
            if hit is not None:
                return ModelResolution(str(name), hit[0], t, hit[1])
        what = {"api_prices": "API model", "open_models": "open model", "image_prices": "image model"}
        near = self.closest_model_names(str(name), table)
        hint = f"; closest: {', '.join(near)}" if near else ""
        raise KeyError(f"unknown {what.get(table, 'model')} {str(name)!r}{hint}")

    def closest_model_names(self, name: str, table: str | None = None, n: int = 3) -> list[str]:
        """Catalog ids and aliases most like ``name`` once its provider prefixes are dropped."""
        segments = name.strip().lower().split("/")
        while len(segments) > 1 and segments[0] in VENDOR_PREFIXES:
            segments = segments[1:]
        tables = MODEL_TABLES if table is None else (table,)
        cands = set().union(*(self._model_ids(t) for t in tables)) | set(self._alias_map())
        return closest("/".join(segments), cands, n=n)

    def resolve_model_id(self, name: str, table: str | None = None) -> str:
        """The catalog id ``name`` stands for (see :meth:`resolve_model`); KeyError names the closest."""
        return self.resolve_model(name, table).model_id

    def resolve_model_ids(self, names: Iterable[str], table: str = "api_prices") -> dict[str, ModelResolution | None]:
        """:meth:`resolve_model` for many names at once (each distinct name once): name -> result or None."""
        ids, aliases = self._model_ids(table), self._alias_map()
        out: dict[str, ModelResolution | None] = {}
        for name in dict.fromkeys(str(n) for n in names):
            hit = resolve_name(name, table, ids, aliases)
            out[name] = None if hit is None else ModelResolution(name, hit[0], table, hit[1])
        return out

    def _not_in_force(self, table: str, what: str, model_id: str) -> KeyError | None:
        """A message for an id that has rows in the history but none in force at ``as_of``."""
        hist = self.history[table]
        rows = hist[hist["model_id"] == model_id]
        if not len(rows):
            return None
        first = rows["effective_date"].min()
        day = pd.Timestamp(self.as_of)
        if first > day:
            why = f"its first row starts {first.date().isoformat()}"
        else:
            ended = rows.loc[rows["effective_date"] <= day, "effective_until"].max()
            why = f"its last row ended {ended.date().isoformat()}" if pd.notna(ended) else "no row in force"
        lc = self.tables["model_lifecycle"]
        life = lc[lc["model_id"] == model_id]
        if len(life) and pd.notna(life["shutdown_date"].iloc[0]):
            succ = life["successor_model_id"].iloc[0]
            why += f"; shut down {life['shutdown_date'].iloc[0].date().isoformat()}"
            why += f", successor {succ}" if isinstance(succ, str) else ", no successor named"
        return KeyError(f"{what} {model_id!r} has no price in force on {self.as_of.isoformat()} ({why})")

    # -- lookups
    def records(self, table: str) -> list[dict]:
        """The rows in force of ``table`` as plain dicts (cached; do not modify)."""
        if table not in self._records:
            self._records[table] = [_row_dict(r) for _, r in self[table].iterrows()]
        return self._records[table]

    def grouped(self, table: str, cols: tuple[str, ...]) -> dict[tuple, list[dict]]:
        """The rows in force of ``table`` grouped by the values of ``cols`` (cached; do not modify)."""
        key = ("grouped", table, cols)
        if key not in self._indexes:
            groups: dict[tuple, list[dict]] = {}
            for r in self.records(table):
                groups.setdefault(tuple(r[c] for c in cols), []).append(r)
            self._indexes[key] = groups
        return self._indexes[key]

    def _index(self, table: str, cols: tuple[str, ...]) -> dict[tuple, dict]:
        key = (table, cols)
        if key not in self._indexes:
            self._indexes[key] = {tuple(r[c] for c in cols): r for r in self.records(table)}
        return self._indexes[key]

    def _one(self, table: str, what: str, mask_cols: dict[str, str]) -> dict:
        hit = self._index(table, tuple(mask_cols)).get(tuple(mask_cols.values()))
        if hit is not None:
            return dict(hit)
        df = self[table]
        mask = np.ones(len(df), dtype=bool)
        for col, val in mask_cols.items():
            mask &= (df[col] == val).to_numpy()
        hits = df[mask]
        if len(hits) == 0:
            first_col, first_val = next(iter(mask_cols.items()))
            if (df[first_col] == first_val).any() and len(mask_cols) > 1:
                sub = df[df[first_col] == first_val]
                combos = sorted({"/".join(str(r[c]) for c in list(mask_cols)[1:]) for _, r in sub.iterrows()})
                raise KeyError(f"{what} {first_val!r} has no row for {'/'.join(list(mask_cols.values())[1:])}; "
                               f"available: {', '.join(combos)}")
            raise _not_found(what, str(first_val), df[first_col])
        return _row_dict(hits.iloc[0])

    def _model_row(self, table: str, what: str, name: str) -> str:
        """The catalog id for ``name`` in ``table``; KeyError (closest names / not in force) otherwise."""
        model_id = self.resolve_model_id(name, table)
        if (model_id,) not in self._index(table, ("model_id",)):
            raise self._not_in_force(table, what, model_id) or _not_found(what, name, self[table]["model_id"])
        return model_id

    def api_price(self, model_id: str) -> dict:
        """The per-token price row of a closed (or hosted) model; ``model_id`` may be any name
        :meth:`resolve_model` knows (``openai/gpt-4o``, a Bedrock id, a dated snapshot)."""
        return self._one("api_prices", "API model", {"model_id": self._model_row("api_prices", "API model", model_id)})

    def seat_price(self, product_id: str, billing_term: str = "annual") -> dict:
        return self._one("seat_prices", "seat product", {"product_id": product_id, "billing_term": billing_term})

    def image_price(self, model_id: str, size: str = "1024x1024", quality: str = "any") -> dict:
        """The per-image price of ``model_id`` at ``size``/``quality``, falling back to ``any`` rows."""
        model_id = self.resolve_model_id(model_id, "image_prices")
        df = self["image_prices"]
        sub = df[df["model_id"] == model_id]
        if len(sub) == 0:
            raise self._not_in_force("image_prices", "image model", model_id) or _not_found(
                "image model", model_id, df["model_id"])
        for s, q in ((size, quality), (size, "any"), ("any", quality), ("any", "any")):
            hit = sub[(sub["size"] == s) & (sub["quality"] == q)]
            if len(hit):
                return _row_dict(hit.iloc[0])
        combos = sorted(f"{r['size']}/{r['quality']}" for _, r in sub.iterrows())
        raise KeyError(f"image model {model_id!r} has no price for {size}/{quality}; available: {', '.join(combos)}")

    def gpu(self, gpu_id: str) -> dict:
        return self._one("gpus", "GPU", {"gpu_id": gpu_id})

    def open_model(self, model_id: str) -> dict:
        """The architecture row of an open model; hosted names (``together/llama-3.1-70b-instruct-turbo``)
        resolve through :meth:`resolve_model`."""
        return self._one("open_models", "open model",
                         {"model_id": self._model_row("open_models", "open model", model_id)})

    def gpu_rate(self, provider: str, gpu_id: str, term: str = "on_demand") -> dict:
        hit = self._index("gpu_rates", ("provider", "gpu_id", "term")).get((provider, gpu_id, term))
        if hit is not None:
            return dict(hit)
        df = self["gpu_rates"]
        if not (df["provider"] == provider).any():
            raise _not_found("GPU provider", provider, df["provider"])
        return self._one("gpu_rates", "GPU rate for provider", {"provider": provider, "gpu_id": gpu_id, "term": term})


def _row_dict(row: pd.Series) -> dict:
    out = {}
    for k, v in row.items():
        if isinstance(v, pd.Timestamp):
            out[k] = v.date().isoformat()
        elif v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            out[k] = None
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def _in_force(table: Table, df: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per key (without its date), the newest row with ``effective_date <= as_of``.

    That row is dropped when its ``effective_until`` is on or before ``as_of`` (it has ended and no
    later row took over).  Tables without ``effective_date`` (aliases) are in force whole.
    """
    if not table.dated:
        return df.reset_index(drop=True)
    day = pd.Timestamp(as_of)
    df = df[df["effective_date"] <= day]
    group = [k for k in table.key if k != "effective_date"]
    df = df.sort_values("effective_date", kind="stable")
    df = df.drop_duplicates(subset=group, keep="last")
    if "effective_until" in df.columns:
        df = df[~(df["effective_until"] <= day).fillna(False).to_numpy(bool)]
    return df.sort_index(kind="stable").reset_index(drop=True)


def _check_foreign_keys(history: dict[str, pd.DataFrame], origins: dict[str, list[str]]) -> list[str]:
    """Every referring value exists in one of the tables it may refer to (blanks are not checked)."""
    errors = []
    for name, table in TABLES.items():
        for col, refs in table.foreign_keys.items():
            valid = set().union(*(set(history[t][c].dropna().astype(str)) for t, c in refs))
            values = history[name][col]
            bad = values.notna().to_numpy(bool) & ~values.isin(valid).to_numpy(bool)
            where = " or ".join(f"{t}.csv" for t, _ in refs)
            for i in np.flatnonzero(bad):
                val = values.iloc[i]
                near = closest(str(val), valid)
                hint = f"; closest: {', '.join(near)}" if near else ""
                errors.append(f"{origins[name][i]}: {col}: unknown {refs[0][1]} {val!r} (not in {where}){hint}")
    # An alias equal to a catalog id would never be used: lookups try the id first.
    aliases = history["model_aliases"]["alias"].astype(str)
    ids = set().union(*(set(history[t][c].astype(str)) for t, c in TABLES["model_aliases"].foreign_keys["model_id"]))
    for i in np.flatnonzero(aliases.isin(ids).to_numpy(bool)):
        errors.append(f"{origins['model_aliases'][i]}: alias: {aliases.iloc[i]!r} is itself a catalog model_id; "
                      f"an alias must be a name the catalog does not already use")
    return errors


def load_catalog(extra_dirs: Iterable[str | os.PathLike] = (), as_of=None,
                 base_dir: str | os.PathLike | None = DEFAULT_PRICING_DIR,
                 use_env: bool = True) -> Catalog:
    """Load, validate and overlay the pricing tables.

    Parameters
    ----------
    extra_dirs : folders of tables overlaid, in order, on the shipped ones.  Each may hold
        any subset of the tables.  ``TCO_PRICING_DIR`` (os.pathsep-separated) is added
        before them unless ``use_env`` is False.
    as_of : date or ISO string; the date whose prices are in force [default: today].
    base_dir : the shipped tables (``tco/pricing/``); ``None`` starts from empty tables.

    Raises
    ------
    CatalogError
        with every ``file:line: column: message`` found, when any row is invalid.
    """
    as_of_date = _to_date(as_of)
    dirs: list[Path] = []
    if base_dir is not None:
        dirs.append(Path(base_dir))
    if use_env:
        dirs += [Path(p) for p in os.environ.get("TCO_PRICING_DIR", "").split(os.pathsep) if p]
    dirs += [Path(d) for d in extra_dirs]
    errors: list[str] = []
    for d in dirs:
        if not d.is_dir():
            errors.append(f"{d}:0: -: not a folder of pricing tables")
    history = {n: _frame(TABLES[n], []) for n in TABLE_NAMES}
    origins: dict[str, list[str]] = {n: [] for n in TABLE_NAMES}
    for d in dirs:
        if not d.is_dir():
            continue
        known = {t.filename for t in TABLES.values()}
        for p in sorted(d.glob("*.csv")):
            if p.name not in known:
                near = closest(p.stem, TABLE_NAMES, n=1)
                hint = f" (did you mean {near[0]}.csv?)" if near else ""
                errors.append(f"{p}:0: -: unknown table{hint}; valid tables: {', '.join(TABLE_NAMES)}")
        for name in TABLE_NAMES:
            table = TABLES[name]
            path = d / table.filename
            if not path.exists():
                continue
            rows, errs = read_table_file(path, table)
            errors += errs
            if rows.records:
                extra = _frame(table, rows.records)
                # Track origins through the overlay: same key -> replaced, new -> appended.
                combined_origins = origins[name] + rows.origins
                merged = pd.concat([history[name], extra], ignore_index=True)
                keep = ~merged.duplicated(subset=list(table.key), keep="last").to_numpy()
                history[name] = merged[keep].reset_index(drop=True)
                origins[name] = [o for o, k in zip(combined_origins, keep) if k]
    _drop_shadowed_aliases(history, origins)
    errors += _check_foreign_keys(history, origins)
    if errors:
        raise CatalogError(errors)
    return Catalog(history, as_of_date, tuple(str(d) for d in dirs))


def _folder(origin: str) -> str:
    """The folder a ``file:line`` origin comes from."""
    return str(Path(origin.rsplit(":", 1)[0]).parent)


def _drop_shadowed_aliases(history: dict[str, pd.DataFrame], origins: dict[str, list[str]]) -> None:
    """An id added by another folder (an overlay, an importer's output) shadows a shipped alias of
    the same name: the alias row goes, the id is used.  Within one folder the clash stays an error
    (:func:`_check_foreign_keys`)."""
    aliases = history["model_aliases"]["alias"].astype(str).to_numpy()
    if len(aliases) == 0:
        return
    id_folders: dict[str, set[str]] = {}
    for t, c in TABLES["model_aliases"].foreign_keys["model_id"]:
        for v, o in zip(history[t][c].astype(str), origins[t]):
            id_folders.setdefault(v, set()).add(_folder(o))
    drop = np.array([a in id_folders and _folder(o) not in id_folders[a]
                     for a, o in zip(aliases, origins["model_aliases"])], dtype=bool)
    if drop.any():
        history["model_aliases"] = history["model_aliases"][~drop].reset_index(drop=True)
        origins["model_aliases"] = [o for o, d in zip(origins["model_aliases"], drop) if not d]


def table_csv(df: pd.DataFrame, table: str) -> str:
    """Rows of ``table`` as CSV text the loader accepts (its columns in order, dates ISO, booleans
    ``true``/``false``, blanks for missing)."""
    return table_frame(df, table).to_csv(index=False, na_rep="")


def table_frame(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rows of ``table`` in the loader's text form: its columns in order, dates ISO, booleans
    ``true``/``false`` (missing values left missing)."""
    t = TABLES[table]
    out = df.reindex(columns=t.column_names).copy()
    for c in t.columns:
        if c.type == "date" and pd.api.types.is_datetime64_any_dtype(out[c.name]):
            out[c.name] = out[c.name].dt.strftime("%Y-%m-%d")
        elif c.type == "bool":
            out[c.name] = out[c.name].map(lambda v: "" if v is None or v is pd.NA or v != v else str(bool(v)).lower())
    return out


def write_table(df: pd.DataFrame, path: str | os.PathLike, table: str) -> None:
    """Write rows of ``table`` as a CSV file the loader accepts (see :func:`table_csv`)."""
    Path(path).write_text(table_csv(df, table), encoding="utf-8")
