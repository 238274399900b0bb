"""Import pydantic's genai-prices data (``data.json``) into ``api_prices`` rows, with its dated changes.

genai-prices publishes one JSON array of providers, each with ``models``.  A model's ``prices``
is either one price object or a list of *conditional prices*: the first usually has no
constraint, later ones start on a ``constraint.start_date`` (``YYYY-MM-DD``); the last one
whose constraint holds is in force.  Prices are in USD per million tokens already
(``input_mtok``, ``output_mtok``, ``cache_read_mtok``, ``cache_write_mtok``,
``cache_write_5m_mtok``, ``cache_write_1h_mtok``), each a number or a tiered price
``{"base": b, "tiers": [{"start": tokens, "price": p}, ...]}`` where a prompt above ``start``
tokens bills all its tokens at ``p``.  ``price_variants`` override some prices for a request
context: ``{"when": {"processing": "batch"}, "prices": {...}, "constraint": {...}}`` is the
batch API.

:func:`import_genai_prices` keeps those dates: every start date of a conditional price or of
a batch variant begins a new row, and each row's ``effective_until`` is the next row's date.
A price the source gives no start date for is dated the day it was read, or the day before
the source's first dated change when that is earlier (a usage row before it is then priced at
it and flagged as assumed).  Without a path it reads the data bundled with the installed
``genai-prices`` package.

What does not fit one ``api_prices`` row is left out and said in ``notes``: tiers above the
first long-context threshold, a tiered cache-write price, time-of-day prices (DeepSeek's
off-peak hours), request variants other than batch (service tiers, fast mode, regions) and
non-token prices (web search, audio, images).  Models without both an input and an output
token price (embeddings, speech, image-only) are skipped and counted by reason.

Ids: a vendor's own models keep their id (``openai`` ``gpt-4o`` -> ``gpt-4o``), so the rows
extend the shipped history; models sold by a host or cloud get its prefix (``aws`` ->
``bedrock/<id>``, ``azure/<id>``, ``google``'s non-Gemini models -> ``vertex/<id>``,
``openrouter/<id>``, ``together/<id>``, ...).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from collections import Counter, defaultdict
from decimal import Decimal

from tco.litellm import ImportResult, _frame, _is_open_weights, _iso_date, _normalise_id, _positive_int, _region, _Skip
from tco.tables import TABLES

__all__ = ["import_genai_prices", "bundled_providers", "GENAI_PRICES_SOURCE_URL"]

#: Where genai-prices publishes its data; the default ``source_url`` of imported rows.
GENAI_PRICES_SOURCE_URL = "https://github.com/pydantic/genai-prices/blob/main/prices/data.json"

#: Start of the ``notes`` of every imported row.
IMPORT_NOTE = "imported from genai-prices"

#: Providers selling their own models: ids are kept as they are.
FIRST_PARTY = frozenset({"openai", "anthropic", "google", "mistral", "deepseek", "x-ai", "cohere", "moonshotai",
                         "zai", "zhipuai", "minimax", "meta", "perplexity", "voyageai", "arcee", "elevenlabs"})
#: Hosts whose catalog ids use another prefix than their genai-prices id: provider -> (provider, prefix).
HOSTS = {"aws": ("bedrock", "bedrock/"), "azure": ("azure", "azure/")}
# Google's own model families; its other models (Claude, Llama, ...) are Vertex AI deployments.
_GOOGLE_OWN = re.compile(r"^(gemini|gemma|imagen|veo|learnlm|text-embedding|embedding)")

_TOKEN_KEYS = {"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_5m_mtok",
               "cache_write_1h_mtok"}
_BATCH = {"processing": "batch"}


# --------------------------------------------------------------------------- reading

def bundled_providers() -> list[dict]:
    """The data bundled with the installed ``genai-prices`` package, as the JSON structure.

    Raises
    ------
    ImportError
        when the package is not installed.
    """
    from genai_prices.data import providers

    return [{"id": p.id, "name": p.name, "pricing_urls": list(p.pricing_urls or []),
             "models": [_raw({f.name: getattr(m, f.name) for f in dataclasses.fields(m)
                              if f.name in ("id", "name", "context_window", "deprecated", "prices",
                                            "price_variants")}) for m in p.models]}
            for p in providers]


def _raw(obj):
    """Package objects (dataclasses, price objects, dates) as plain JSON-like values; None dropped."""
    if obj is None or isinstance(obj, (str, bool, int, Decimal)):
        return obj
    if isinstance(obj, float):
        return Decimal(repr(obj))
    if isinstance(obj, (dt.date, dt.time)):
        return obj.isoformat()
    if isinstance(obj, (list, tuple)):
        return [_raw(x) for x in obj]
    if isinstance(obj, dict):
        items = obj.items()
    elif dataclasses.is_dataclass(obj):
        items = ((f.name.rstrip("_"), getattr(obj, f.name)) for f in dataclasses.fields(obj))
    else:                                           # genai-prices' price object keeps its prices as attributes
        items = vars(obj).items()
    return {k: _raw(v) for k, v in items if v is not None and not k.startswith("_")}


# --------------------------------------------------------------------------- public API

def import_genai_prices(path: str | os.PathLike | None = None, effective_date: str | dt.date | None = None,
                        source_url: str = GENAI_PRICES_SOURCE_URL) -> ImportResult:
    """Read genai-prices data into dated ``api_prices`` rows.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A genai-prices ``data.json`` (a JSON array of providers).  Default: the data bundled
        with the installed ``genai-prices`` package.
    effective_date : str or datetime.date, optional
        The day the data was read, ISO ``YYYY-MM-DD`` [date]: the ``effective_date`` of prices the
        source gives no start date for.  Default: today.
    source_url : str, optional
        ``source_url`` of every row; default :data:`GENAI_PRICES_SOURCE_URL`.

    Returns
    -------
    ImportResult
        ``api_prices`` rows (several per model when its price changed, [USD/1M tokens]), an
        empty ``image_prices``, and the skipped models by reason.  ``n_entries`` counts models.

    Raises
    ------
    ValueError
        when the file is not a JSON array of providers, ``effective_date`` is not an ISO date or
        ``source_url`` is not an ``http(s)://`` address.
    """
    read_day = dt.date.fromisoformat(_iso_date(effective_date))
    if not re.match(r"^https?://\S+$", str(source_url)):
        raise ValueError(f"source_url must be an http(s):// address, got {source_url!r}")
    if path is None:
        providers = bundled_providers()
    else:
        with open(path, encoding="utf-8") as f:
            providers = json.load(f, parse_float=Decimal)
    if not isinstance(providers, list) or not all(isinstance(p, dict) and "models" in p for p in providers):
        raise ValueError(f"{path or 'genai-prices data'}: expected a JSON array of providers, each with 'models'")

    rows: dict[tuple[str, str], dict] = {}
    seen: set[str] = set()
    skipped_keys: dict[str, list[str]] = defaultdict(list)
    n_models = 0
    for provider in providers:
        for model in provider.get("models") or []:
            n_models += 1
            name = f"{provider.get('id')}/{model.get('id') if isinstance(model, dict) else model}"
            try:
                model_rows = _model_rows(provider, model, read_day, str(source_url))
                if model_rows[0]["model_id"] in seen:
                    raise _Skip("duplicate id")
            except _Skip as skip:
                skipped_keys[skip.reason].append(name)
                continue
            seen.add(model_rows[0]["model_id"])
            rows.update({(r["model_id"], r["effective_date"]): r for r in model_rows})

    counts = Counter({reason: len(keys) for reason, keys in skipped_keys.items()})
    return ImportResult(
        api_prices=_frame(TABLES["api_prices"], rows.values()),
        image_prices=_frame(TABLES["image_prices"], []),
        skipped=dict(counts.most_common()),
        skipped_keys={reason: skipped_keys[reason] for reason in counts},
        source="genai-prices", entries=n_models,
    )


# --------------------------------------------------------------------------- one model

def _ids(provider_id: str, model_id: str) -> tuple[str, str]:
    """(our provider id, our model id) for a genai-prices provider and model id."""
    provider = _normalise_id(provider_id)
    if provider_id in HOSTS:
        ours, prefix = HOSTS[provider_id]
        return ours, _normalise_id(prefix + model_id)
    if provider_id == "google" and not _GOOGLE_OWN.match(model_id.lower()):
        return "google-vertex", _normalise_id("vertex/" + model_id)
    if provider_id in FIRST_PARTY:
        return provider, _normalise_id(model_id)
    return provider, _normalise_id(f"{provider}/{model_id}")


def _start(constraint) -> dt.date | None | str:
    """A constraint's start date; None without a constraint; ``"time"`` for a time-of-day constraint."""
    if not constraint:
        return None
    if "start_date" in constraint:
        try:
            return dt.date.fromisoformat(str(constraint["start_date"]))
        except ValueError:
            raise _Skip("invalid start date") from None
    return "time"


def _model_rows(provider: dict, model: dict, read_day: dt.date, source_url: str) -> list[dict]:
    """The dated ``api_prices`` rows of one model, oldest first; :class:`_Skip` when none can be made."""
    if not isinstance(model, dict) or not isinstance(model.get("id"), str):
        raise _Skip("not a model object")
    prices = model.get("prices")
    conditions = [{"prices": prices}] if isinstance(prices, dict) else prices
    if not isinstance(conditions, list) or not conditions or not all(
            isinstance(c, dict) and isinstance(c.get("prices"), dict) for c in conditions):
        raise _Skip("no prices")
    variants = [v for v in model.get("price_variants") or [] if isinstance(v, dict)]
    batch = [v for v in variants if v.get("when") == _BATCH and isinstance(v.get("prices"), dict)]
    starts = [_start(c.get("constraint")) for c in conditions]
    v_starts = [_start(v.get("constraint")) for v in batch]
    dates = sorted({d for d in starts + v_starts if isinstance(d, dt.date)})

    notes = [IMPORT_NOTE]
    if "time" in starts:
        notes.append("time-of-day prices not imported")
    others = sorted({json.dumps(v.get("when"), sort_keys=True) for v in variants if v.get("when") != _BATCH})
    if others:
        notes.append("request variants not imported: " + ", ".join(o.strip("{}").replace('"', "") for o in others))
    if model.get("deprecated"):
        notes.append("genai-prices marks the model deprecated")
    pages = provider.get("pricing_urls") or []
    if pages:
        notes.append(f"genai-prices cites {pages[0]}")

    ours, model_id = _ids(str(provider.get("id")), model["id"])
    base = {"provider": ours, "model_id": model_id, "display_name": str(model.get("name") or model["id"]),
            "context_window_tokens": _positive_int(model.get("context_window")), "region": _region(model["id"]),
            "open_weights": _is_open_weights(model["id"]), "promotion": False, "is_estimate": True,
            "source_url": source_url}

    # One segment before the first dated change, then one from each date on.
    segments: list[tuple[dt.date | None, dict]] = []
    for day in [None, *dates]:
        std = _standard(conditions, starts, day)
        over = _batch(batch, v_starts, day)
        row = _prices(std, over)
        if segments and segments[-1][1]["prices"] == row["prices"]:
            continue
        segments.append((day, row))
    out = []
    for i, (day, row) in enumerate(segments):
        if day is None:
            first_change = segments[1][0] if len(segments) > 1 else None
            if first_change is not None and first_change <= read_day:
                day = first_change - dt.timedelta(days=1)
                dated = "no start date in genai-prices: dated the day before its first dated change"
            else:
                day = read_day
                dated = "no start date in genai-prices: dated the day it was read"
            row_notes = notes + [dated] + row["notes"]
        else:
            row_notes = notes + row["notes"]
        until = segments[i + 1][0] if i + 1 < len(segments) else None
        out.append({**base, **row["prices"], "effective_date": day.isoformat(),
                    "effective_until": until.isoformat() if until else None,
                    "notes": "; ".join(dict.fromkeys(row_notes))})
    return out


def _standard(conditions: list[dict], starts: list, day: dt.date | None) -> dict:
    """The standard prices in force on ``day`` (None: before every dated change): the last condition
    that holds, else the first (time-of-day conditions never hold here)."""
    for cond, start in zip(reversed(conditions), reversed(starts)):
        if start is None or (isinstance(start, dt.date) and day is not None and start <= day):
            return cond["prices"]
    return conditions[0]["prices"]


def _batch(variants: list[dict], starts: list, day: dt.date | None) -> dict:
    """Batch overrides in force on ``day``: per price, the first variant that holds."""
    out: dict = {}
    for v, start in zip(variants, starts):
        if start is None or (isinstance(start, dt.date) and day is not None and start <= day):
            for k, val in v["prices"].items():
                out.setdefault(k, val)
    return out


def _number(value) -> float:
    """A price [USD/1M tokens] as float; :class:`_Skip` for anything but a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise _Skip("invalid price")
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not d.is_finite() or d < 0:
        raise _Skip("invalid price")
    return float(d)


def _flat(value, notes: list[str], what: str) -> float | None:
    """A flat price; a tiered one gives its base price (and a note)."""
    if value is None:
        return None
    if isinstance(value, dict):
        notes.append(f"tiered {what} price: base imported")
        return _number(value.get("base"))
    return _number(value)


def _tiers(value) -> list[tuple[int, float]]:
    """[(start tokens, price)] of a tiered price, [] for a flat one."""
    if not isinstance(value, dict):
        return []
    tiers = value.get("tiers")
    if not isinstance(tiers, list) or not all(isinstance(t, dict) for t in tiers):
        raise _Skip("invalid price")
    out = []
    for t in tiers:
        start = t.get("start")
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise _Skip("invalid price")
        out.append((start, _number(t.get("price"))))
    return sorted(out)


def _at(value, tokens: int) -> float | None:
    """The price a prompt of ``tokens`` tokens pays (a tier applies above its start)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return _number(value)
    price = _number(value.get("base"))
    for start, p in _tiers(value):
        if tokens > start:
            price = p
    return price


def _prices(std: dict, batch: dict) -> dict:
    """``{"prices": {column: value}, "notes": [...]}`` for one segment's standard and batch prices."""
    notes: list[str] = []
    if std.get("input_mtok") is None and std.get("output_mtok") is None:
        raise _Skip("no token prices")
    if std.get("input_mtok") is None:
        raise _Skip("no input token price")
    if std.get("output_mtok") is None:
        raise _Skip("no output token price")
    skipped = sorted(k for k, v in std.items() if k not in _TOKEN_KEYS and v is not None)
    if skipped:
        notes.append("other prices not imported: " + ", ".join(skipped))

    tiered = {k: _tiers(std.get(k)) for k in ("input_mtok", "output_mtok", "cache_read_mtok")}
    starts = sorted({s for t in tiered.values() for s, _ in t})
    threshold = starts[0] if starts else None
    if len(starts) > 1:
        notes.append(f"long-context tier above {threshold} tokens imported; tiers above "
                     f"{', '.join(str(s) for s in starts[1:])} tokens not")
    cache_write = std.get("cache_write_mtok", std.get("cache_write_5m_mtok"))
    if isinstance(cache_write, dict) or isinstance(std.get("cache_write_1h_mtok"), dict):
        notes.append("long-context cache-write price not imported")
    row = {
        "usd_per_mtok_input": _at(std["input_mtok"], 0),
        "usd_per_mtok_output": _at(std["output_mtok"], 0),
        "usd_per_mtok_cached_input": _at(std.get("cache_read_mtok"), 0),
        "usd_per_mtok_cache_write": _at(cache_write, 0),
        "usd_per_mtok_cache_write_1h": _at(std.get("cache_write_1h_mtok"), 0),
        "long_context_threshold_tokens": threshold,
        "usd_per_mtok_input_long": None if threshold is None else _at(std["input_mtok"], threshold + 1),
        "usd_per_mtok_output_long": None if threshold is None else _at(std["output_mtok"], threshold + 1),
        "usd_per_mtok_cached_input_long": None if threshold is None else _at(std.get("cache_read_mtok"),
                                                                              threshold + 1),
        "usd_per_mtok_batch_input": None, "usd_per_mtok_batch_output": None,
        "usd_per_mtok_batch_cached_input": None,
    }
    if batch.get("input_mtok") is not None or batch.get("output_mtok") is not None:
        # A variant overrides only the prices it names: the others stay at the standard price.
        row["usd_per_mtok_batch_input"] = _flat(batch.get("input_mtok", std["input_mtok"]), notes, "batch input")
        row["usd_per_mtok_batch_output"] = _flat(batch.get("output_mtok", std["output_mtok"]), notes,
                                                 "batch output")
        row["usd_per_mtok_batch_cached_input"] = _flat(batch.get("cache_read_mtok"), notes, "batch cache-read")
    return {"prices": row, "notes": notes}
