"""Import LiteLLM's public JSON price list into the ``api_prices`` and ``image_prices`` tables.

LiteLLM keeps one JSON object, ``model_prices_and_context_window.json``, that maps a
model key (``"gpt-4o"``, ``"bedrock/eu.anthropic.claude-..."``,
``"low/1024-x-1024/gpt-image-1"``) to a dict of facts about it.  The prices in it are
in USD per token [USD/token]; our tables use USD per million tokens [USD/1M tokens].

:func:`import_litellm` reads such a file and returns an :class:`ImportResult` with two
DataFrames whose columns are exactly those of :data:`tco.tables.TABLES` and a count of
the entries that were not imported, by reason.  Every entry of the file ends up in
exactly one place: a row of ``api_prices``, a row of ``image_prices`` or a skip count.

What is imported
----------------
* Entries whose ``mode`` is ``chat``, ``completion`` or ``responses`` become
  ``api_prices`` rows when they have both an input and an output token price.
* Entries whose ``mode`` is ``image_generation`` become ``image_prices`` rows when a
  per-image price can be found (see :func:`_image_price`).
* Everything else (embeddings, audio, video, rerank, aliases, the ``sample_spec``
  documentation entry, entries with missing or negative prices, ids that collide after
  normalisation) is counted in :attr:`ImportResult.skipped`.

Heuristics worth knowing
------------------------
* ``model_id`` is the LiteLLM key lower-cased, with every character outside
  ``a-z 0-9 . _ : / -`` replaced by ``-`` (``vertex_ai/claude-3-5-haiku@20241022`` ->
  ``vertex_ai/claude-3-5-haiku-20241022``).  When two keys end up with the same id the
  first one in the file wins and the others are skipped as ``duplicate id``.
* ``open_weights`` is guessed from the last segment of the key: llama, mixtral, the
  open Mistral models, qwen/qwq, gemma, deepseek, gpt-oss and a few other well-known
  open families (phi, olmo, kimi-k2, glm-4/5, minimax-m*, nemotron, granite), except
  the API-only max/plus/turbo/flash tiers of qwen and glm.  It is a guess: check it
  before relying on it.
* ``region`` is ``eu``/``us``/``apac`` when the key carries a geography (``azure/eu/...``,
  ``bedrock/eu-central-1/...``, ``eu.anthropic...``, ``jp.``/``au.``/``apac.`` prefixes),
  otherwise ``global``.
* LiteLLM may list several long-context tiers (``..._above_128k_tokens`` and
  ``..._above_256k_tokens``); our table holds one, so the lowest threshold is imported
  and the higher ones are mentioned in ``notes``.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from tco.tables import TABLES, Table

__all__ = ["ImportResult", "import_litellm", "LITELLM_SOURCE_URL"]

#: Where LiteLLM publishes the price file; the default ``source_url`` of imported rows.
LITELLM_SOURCE_URL = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"

#: Start of the ``notes`` of every imported row.
IMPORT_NOTE = "imported from LiteLLM"

#: LiteLLM modes priced per token that map onto ``api_prices``.
TOKEN_MODES = frozenset({"chat", "completion", "responses"})

#: LiteLLM modes priced per image that map onto ``image_prices``.
IMAGE_MODES = frozenset({"image_generation"})

_TOKENS_PER_MTOK_EXPONENT = 6  # 1M tokens = 10**6 tokens

# Characters allowed in our ids; anything else is replaced by "-".
_NOT_ID_CHAR = re.compile(r"[^a-z0-9._:/-]")
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._:/-]*$")

# "input_cost_per_token_above_200k_tokens" -> ("input_cost_per_token", "200").
# Variants such as "..._above_272k_tokens_priority" (priority tier) do not match on purpose.
_LONG_CONTEXT_FIELD = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost)_above_(\d+)k_tokens$")

# Image keys such as "azure/high/1024-x-1024/gpt-image-1" or "512-x-512/50-steps/stability...".
_SIZE_SEGMENT = re.compile(r"^(\d+)-x-(\d+)$")
_SIZE_LIKE_SEGMENT = re.compile(r"^[a-z0-9]+-x-[a-z0-9]+$")
_STEPS_SEGMENT = re.compile(r"^(\d+|max)-steps$")
_QUALITY_WORDS = frozenset({"low", "medium", "high", "xhigh", "max", "standard", "hd", "auto"})
# "output_cost_per_image_1K", "output_cost_per_image_0.5K", "output_cost_per_image_1024".
_RESOLUTION_TIER_FIELD = re.compile(r"^output_cost_per_image_[0-9.]+k?$", re.IGNORECASE)

# Geography in a key: a whole path segment ("azure/eu/...", "bedrock/us-gov-west-1/...")
# or a dotted prefix of the model name ("eu.anthropic.claude-...", "jp.anthropic...").
_REGION_SEGMENTS = {"eu": "eu", "us": "us", "apac": "apac"}
_AWS_REGION_SEGMENT = re.compile(r"^(eu|us|ap)-[a-z]+(?:-[a-z]+)?-\d+$")
_AWS_REGION_PREFIX = {"eu": "eu", "us": "us", "ap": "apac"}
_REGION_PREFIXES = {"eu": "eu", "us": "us", "us-gov": "us", "apac": "apac", "jp": "apac", "au": "apac",
                    "in": "apac"}

# Open-weight model families, matched against the last path segment of the key.
_OPEN_WEIGHT_NAME = re.compile(
    r"llama|mixtral|mistral-7b|mistral-nemo|open-mistral|codestral-mamba|qwen|qwq|gemma|deepseek"
    r"|mistral-(?:small|large)-3|gpt-oss|phi-[234]|olmo|kimi-k2|glm-[45]|minimax-m\d|nemotron|granite")
# Tiers of those families that are only sold as an API (their weights are not published).
_API_ONLY_TIER = re.compile(r"(qwen|glm).*-(max|plus|turbo|flash|flashx)(?![a-z])")


class _Skip(Exception):
    """Raised while converting one entry: the entry is not imported, for ``reason``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ImportResult:
    """What :func:`import_litellm` made of a LiteLLM price file.

    Attributes
    ----------
    api_prices : pandas.DataFrame
        One row per token-priced model, columns exactly
        ``TABLES['api_prices'].column_names``; prices in [USD/1M tokens].
    image_prices : pandas.DataFrame
        One row per (model, size, quality), columns exactly
        ``TABLES['image_prices'].column_names``; prices in [USD/image].
    skipped : dict of str to int
        Entries not imported: reason -> number of entries, most frequent first.
    skipped_keys : dict of str to list of str
        The same entries by LiteLLM key, for inspection.
    model_lifecycle : pandas.DataFrame
        Dates the source gives for retiring imported models (LiteLLM: ``deprecation_date``),
        columns exactly ``TABLES['model_lifecycle'].column_names``.  Not counted as entries.
    source : str
        Name of the source, for :meth:`summary`.
    entries : int, optional
        Entries read, when one entry may give several rows (genai-prices: models, each with its
        dated prices); None means one row per imported entry.
    """

    api_prices: pd.DataFrame
    image_prices: pd.DataFrame
    skipped: dict[str, int]
    skipped_keys: dict[str, list[str]] = field(default_factory=dict)
    model_lifecycle: pd.DataFrame = field(default_factory=lambda: _frame(TABLES["model_lifecycle"], []))
    source: str = "LiteLLM"
    entries: int | None = None

    @property
    def n_skipped(self) -> int:
        """Number of entries not imported [entries]."""
        return sum(self.skipped.values())

    @property
    def n_entries(self) -> int:
        """Number of entries read from the file: imported rows plus skipped entries [entries]."""
        if self.entries is not None:
            return self.entries
        return len(self.api_prices) + len(self.image_prices) + self.n_skipped

    def summary(self) -> str:
        """A short human-readable account of the import.

        Returns
        -------
        str
            Rows imported per table, then the skipped entries by reason (most frequent
            first), one per line.
        """
        lines = [
            f"{self.source} import: {self.n_entries} entries read",
            f"  api_prices: {len(self.api_prices)} rows",
            f"  image_prices: {len(self.image_prices)} rows",
            f"  model_lifecycle: {len(self.model_lifecycle)} rows",
            f"  skipped: {self.n_skipped} entries",
        ]
        width = max((len(reason) for reason in self.skipped), default=0)
        lines += [f"    {reason:<{width}}  {count}" for reason, count in self.skipped.items()]
        return "\n".join(lines)


# --------------------------------------------------------------------------- public API

def import_litellm(path: str | os.PathLike, effective_date: str | dt.date | None = None,
                   source_url: str = LITELLM_SOURCE_URL) -> ImportResult:
    """Read a LiteLLM price file into ``api_prices`` and ``image_prices`` rows.

    Parameters
    ----------
    path : str or os.PathLike
        LiteLLM ``model_prices_and_context_window.json`` (or a file in the same format).
    effective_date : str or datetime.date, optional
        ``effective_date`` of every imported row, ISO ``YYYY-MM-DD`` [date].
        Default: today's date.
    source_url : str, optional
        ``source_url`` of every imported row; default :data:`LITELLM_SOURCE_URL`.

    Returns
    -------
    ImportResult
        The two tables (prices converted from [USD/token] to [USD/1M tokens], images in
        [USD/image]) and the skipped entries by reason.  Rows are sorted by their table
        key.  ``len(api_prices) + len(image_prices) + sum(skipped.values())`` equals the
        number of entries in the file.

    Raises
    ------
    ValueError
        When the file is not a JSON object, ``effective_date`` is not an ISO date or
        ``source_url`` is not an ``http(s)://`` address.
    """
    date = _iso_date(effective_date)
    if not re.match(r"^https?://\S+$", str(source_url)):
        raise ValueError(f"source_url must be an http(s):// address, got {source_url!r}")
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)
    if not isinstance(entries, dict):
        raise ValueError(f"{path}: expected a JSON object mapping model keys to entries")

    common = {"effective_date": date, "source_url": str(source_url)}
    api_rows: dict[str, dict] = {}
    image_rows: dict[tuple[str, str, str], dict] = {}
    life_rows: dict[str, dict] = {}
    skipped_keys: dict[str, list[str]] = defaultdict(list)

    for key, entry in entries.items():
        try:
            kind = _entry_kind(key, entry)
            if kind == "api":
                row = _api_row(key, entry)
                table_key: object = row["model_id"]
                target: dict = api_rows
            else:
                row = _image_row(key, entry)
                table_key = (row["model_id"], row["size"], row["quality"])
                target = image_rows
            if table_key in target:
                raise _Skip("duplicate id")
        except _Skip as skip:
            skipped_keys[skip.reason].append(key)
            continue
        target[table_key] = {**row, **common}
        life = _lifecycle_row(entry, row, date, str(source_url))
        if life is not None and row["model_id"] not in life_rows:
            life_rows[row["model_id"]] = life

    counts = Counter({reason: len(keys) for reason, keys in skipped_keys.items()})
    return ImportResult(
        api_prices=_frame(TABLES["api_prices"], api_rows.values()),
        image_prices=_frame(TABLES["image_prices"], image_rows.values()),
        skipped=dict(counts.most_common()),
        skipped_keys={reason: skipped_keys[reason] for reason in counts},
        model_lifecycle=_frame(TABLES["model_lifecycle"], life_rows.values()),
    )


def _lifecycle_row(entry: dict, row: dict, date: str, source_url: str) -> dict | None:
    """A ``model_lifecycle`` row from LiteLLM's ``deprecation_date`` (with its ``deprecation_source``
    page when that is an address); None when the entry gives no valid date."""
    value = entry.get("deprecation_date")
    try:
        deprecation = dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return None
    page = entry.get("deprecation_source")
    page = page if isinstance(page, str) and re.match(r"^https?://\S+$", page) else source_url
    return {"provider": row["provider"], "model_id": row["model_id"], "deprecation_date": deprecation,
            "effective_date": date, "source_url": page,
            "notes": f"{IMPORT_NOTE}: its deprecation_date (LiteLLM gives no separate shutdown date)"}


# --------------------------------------------------------------------------- entries

def _entry_kind(key: str, entry: object) -> str:
    """``'api'`` or ``'image'`` for an entry we can import; raise :class:`_Skip` otherwise."""
    if key == "sample_spec":
        raise _Skip("sample_spec")
    if not isinstance(entry, dict):
        raise _Skip("not an object")
    if "alias_of" in entry:
        raise _Skip("alias")
    mode = entry.get("mode")
    if not isinstance(mode, str) or not mode:
        raise _Skip("mode missing")
    if mode in TOKEN_MODES:
        return "api"
    if mode in IMAGE_MODES:
        return "image"
    raise _Skip(f"mode {mode}")


def _api_row(key: str, entry: dict) -> dict:
    """One ``api_prices`` row (without date and source) from a token-priced entry."""
    input_price = _price(entry, "input_cost_per_token")
    output_price = _price(entry, "output_cost_per_token")
    if input_price is None and output_price is None:
        raise _Skip("no token prices")
    if input_price is None:
        raise _Skip("no input token price")
    if output_price is None:
        raise _Skip("no output token price")

    notes = [IMPORT_NOTE]
    batch_input = _price(entry, "input_cost_per_token_batches")
    batch_output = _price(entry, "output_cost_per_token_batches")
    if (batch_input is None) != (batch_output is None):
        # Our table wants both batch prices or neither.
        notes.append("one-sided batch price not imported")
        batch_input = batch_output = None

    threshold, long_prices, tier_note = _long_context_tier(entry)
    if tier_note:
        notes.append(tier_note)

    return {
        "provider": _provider(entry),
        "model_id": _normalise_id(key),
        "display_name": key,
        "usd_per_mtok_input": _per_mtok(input_price),
        "usd_per_mtok_cached_input": _per_mtok(_price(entry, "cache_read_input_token_cost")),
        "usd_per_mtok_cache_write": _per_mtok(_price(entry, "cache_creation_input_token_cost")),
        "usd_per_mtok_output": _per_mtok(output_price),
        "usd_per_mtok_batch_input": _per_mtok(batch_input),
        "usd_per_mtok_batch_output": _per_mtok(batch_output),
        "long_context_threshold_tokens": threshold,
        "usd_per_mtok_input_long": _per_mtok(long_prices.get("input_cost_per_token")),
        "usd_per_mtok_cached_input_long": _per_mtok(long_prices.get("cache_read_input_token_cost")),
        "usd_per_mtok_output_long": _per_mtok(long_prices.get("output_cost_per_token")),
        "context_window_tokens": _positive_int(entry.get("max_input_tokens")),
        "region": _region(key),
        "open_weights": _is_open_weights(key),
        "usd_per_mtok_cache_write_1h": _per_mtok(_price(entry, "cache_creation_input_token_cost_above_1hr")),
        "usd_per_mtok_batch_cached_input": _per_mtok(_price(entry, "cache_read_input_token_cost_batches")),
        "promotion": False,
        "is_estimate": True,            # read from LiteLLM's file, not the vendor's page (notes say so)
        "notes": "; ".join(notes),
    }


def _image_row(key: str, entry: dict) -> dict:
    """One ``image_prices`` row (without date and source) from an image-generation entry."""
    model, size, quality, pixels = _parse_image_key(key)
    usd_per_image = _image_price(entry, pixels)
    notes = [IMPORT_NOTE]
    if "output_cost_per_image" in entry and any(_RESOLUTION_TIER_FIELD.match(n) for n in entry):
        notes.append("default price imported; per-resolution prices not")
    return {
        "provider": _provider(entry),
        "model_id": _normalise_id(model),
        "display_name": key,
        "size": size,
        "quality": quality,
        "usd_per_image": usd_per_image,
        "is_estimate": True,
        "notes": "; ".join(notes),
    }


def _long_context_tier(entry: dict) -> tuple[int | None, dict[str, float], str]:
    """The lowest complete long-context tier of an entry.

    Returns
    -------
    threshold : int or None
        Prompt length above which the tier applies [tokens]; None without a tier.
    prices : dict of str to float
        LiteLLM base field name (``input_cost_per_token``, ...) -> price [USD/token].
    note : str
        Remark for ``notes`` when tiers were left out, else ``""``.
    """
    tiers: dict[int, dict[str, str]] = defaultdict(dict)  # threshold -> base field -> field
    for name in entry:
        match = _LONG_CONTEXT_FIELD.match(name)
        if match:
            tiers[int(match.group(2)) * 1000][match.group(1)] = name
    complete = sorted(t for t, fields in tiers.items()
                      if {"input_cost_per_token", "output_cost_per_token"} <= fields.keys())
    if not complete:
        return None, {}, ("incomplete long-context tier not imported" if tiers else "")
    threshold = complete[0]
    prices = {base: _price(entry, name) for base, name in tiers[threshold].items()}
    others = sorted(t for t in tiers if t != threshold)
    note = ""
    if others:
        listed = ", ".join(f"{t // 1000}k" for t in others)
        note = f"long-context tier above {threshold // 1000}k tokens imported; tiers above {listed} tokens not"
    return threshold, prices, note


def _image_price(entry: dict, pixels: int | None) -> float:
    """Price of one image [USD/image] from the fields LiteLLM uses for image models.

    In order of preference: ``output_cost_per_image``; ``input_cost_per_image`` (LiteLLM
    stores OpenAI's per-image price there); ``input_cost_per_pixel`` +
    ``output_cost_per_pixel`` times the pixel count read from the key.  Raises
    :class:`_Skip` when none applies.
    """
    per_image = _price(entry, "output_cost_per_image")
    if per_image is not None:
        return per_image
    if any(_RESOLUTION_TIER_FIELD.match(name) for name in entry):
        raise _Skip("image priced per resolution tier")
    per_image = _price(entry, "input_cost_per_image")
    if per_image is not None:
        return per_image
    pixel_prices = [_price(entry, name) for name in ("input_cost_per_pixel", "output_cost_per_pixel")]
    pixel_prices = [p for p in pixel_prices if p is not None]
    if pixel_prices:
        if pixels is None:
            raise _Skip("pixel price without size")
        # Per-pixel prices are per-image prices divided by the pixel count; round back to
        # micro-dollars to drop the division's residue (0.1669999... -> 0.167).
        return round(sum(pixel_prices) * pixels, 6)
    if any("token" in name and ("cost" in name) for name in entry):
        raise _Skip("image priced per token")
    raise _Skip("no per-image price")


def _parse_image_key(key: str) -> tuple[str, str, str, int | None]:
    """Split an image key into model part, size, quality and pixel count.

    ``"azure/high/1024-x-1536/gpt-image-1"`` -> ``("azure/gpt-image-1", "1024x1536",
    "high", 1572864)``; ``"512-x-512/50-steps/stability.sd-v0"`` ->
    ``("stability.sd-v0", "512x512", "50-steps", 262144)``; a key without a size segment
    -> ``(key, "any", "any", None)``.  The quality is the segment just before the size
    when it is a known quality word, or a ``<n>-steps`` segment just after it.
    """
    segments = key.split("/")
    lowered = [s.lower() for s in segments]
    size_at = next((i for i, s in enumerate(lowered) if _SIZE_LIKE_SEGMENT.match(s)), None)
    if size_at is None:
        return key, "any", "any", None
    size_match = _SIZE_SEGMENT.match(lowered[size_at])
    if size_match is None:
        raise _Skip("image size not WxH")
    width, height = int(size_match.group(1)), int(size_match.group(2))

    drop = {size_at}
    qualities = []
    if size_at > 0 and lowered[size_at - 1] in _QUALITY_WORDS:
        qualities.append(lowered[size_at - 1])
        drop.add(size_at - 1)
    if size_at + 1 < len(lowered) and _STEPS_SEGMENT.match(lowered[size_at + 1]):
        qualities.append(lowered[size_at + 1])
        drop.add(size_at + 1)
    model = "/".join(s for i, s in enumerate(segments) if i not in drop)
    if not model:
        raise _Skip("invalid id")
    return model, f"{width}x{height}", "-".join(qualities) or "any", width * height


# --------------------------------------------------------------------------- fields

def _price(entry: dict, name: str) -> float | None:
    """A price field of an entry [USD/unit], None when absent.

    Raises :class:`_Skip` for a price that is not a finite number or is negative: the
    entry as a whole is then not trusted.
    """
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Skip("invalid price")
    if value < 0:
        raise _Skip("negative price")
    return float(value)


def _per_mtok(usd_per_token: float | None) -> float | None:
    """Convert [USD/token] to [USD/1M tokens] without binary float residue.

    The decimal point of the number as written in the file is shifted by six places
    (``2.5e-06`` -> ``2.5``, where ``2.5e-06 * 1e6`` would give ``2.4999999999999996``).
    """
    if usd_per_token is None:
        return None
    return float(Decimal(repr(usd_per_token)).scaleb(_TOKENS_PER_MTOK_EXPONENT))


def _positive_int(value: object) -> int | None:
    """A whole number >= 1 (e.g. ``max_input_tokens`` [tokens]); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and value >= 1 else None


def _normalise_id(text: str) -> str:
    """Lower-case ``text`` and make it a valid id (``^[a-z0-9][a-z0-9._:/-]*$``).

    Disallowed characters become ``-``; leading characters that cannot start an id are
    dropped.  Raises :class:`_Skip` when nothing is left.
    """
    ident = _NOT_ID_CHAR.sub("-", str(text).strip().lower())
    ident = re.sub(r"^[^a-z0-9]+", "", ident)
    if not _ID_PATTERN.match(ident):
        raise _Skip("invalid id")
    return ident


def _provider(entry: dict) -> str:
    """Our ``provider`` id from ``litellm_provider``; :class:`_Skip` when absent."""
    provider = entry.get("litellm_provider")
    if not isinstance(provider, str) or not provider.strip():
        raise _Skip("no provider")
    return _normalise_id(provider)


def _region(key: str) -> str:
    """``eu``, ``us`` or ``apac`` when the key names a geography, else ``global``."""
    segments = key.lower().split("/")
    for segment in segments[:-1]:
        if segment in _REGION_SEGMENTS:
            return _REGION_SEGMENTS[segment]
        aws = _AWS_REGION_SEGMENT.match(segment)
        if aws:
            return _AWS_REGION_PREFIX[aws.group(1)]
    name = segments[-1]
    if "." in name:
        prefix = name.split(".", 1)[0]
        if prefix in _REGION_PREFIXES:
            return _REGION_PREFIXES[prefix]
    return "global"


def _is_open_weights(key: str) -> bool:
    """Guess from the model name whether its weights are public (see module docstring)."""
    name = key.lower().rsplit("/", 1)[-1]
    if _API_ONLY_TIER.search(name):
        return False
    return bool(_OPEN_WEIGHT_NAME.search(name))


def _iso_date(value: str | dt.date | None) -> str:
    """``value`` as an ISO date string ``YYYY-MM-DD``; today when None."""
    if value is None:
        return dt.date.today().isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(f"effective_date must be an ISO date YYYY-MM-DD, got {value!r}") from None


# --------------------------------------------------------------------------- frames

def _frame(table: Table, rows) -> pd.DataFrame:
    """Rows (dicts) as a DataFrame with ``table``'s columns in order, typed by column type.

    floats -> float64 (NaN for blank), ints -> nullable Int64, bools -> bool, everything
    else -> str.  Sorted by the table's key.
    """
    rows = list(rows)
    data: dict[str, object] = {}
    for column in table.columns:
        values = [row.get(column.name) for row in rows]
        if column.type == "float":
            data[column.name] = np.array([np.nan if v is None else v for v in values], dtype=float)
        elif column.type == "int":
            data[column.name] = pd.array(values, dtype="Int64")
        elif column.type == "bool":
            data[column.name] = np.array(values, dtype=bool)
        else:
            data[column.name] = pd.array(values, dtype="str")
    frame = pd.DataFrame(data, columns=table.column_names)
    return frame.sort_values(list(table.key), kind="stable").reset_index(drop=True)
