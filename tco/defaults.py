"""Defaults a production team would sign, read by name from the ``defaults`` table.

A scenario field left at ``None`` takes its value from ``tco/pricing/defaults.csv`` (or an
overlay of it): FP8 where the GPU has it, one spare replica (N+1), the loaded cost of an
engineer from public salary data, setup months, the power envelope of a server and the
colocation rent per kW.  Each field is made of one row, or of several (the loaded cost per FTE
is the base salary times the loaded-cost multiplier).  The result cites every default it used:
:func:`fill_defaults` (:func:`scenario_defaults` when the scenario's GPU is to be looked up) returns
the filled scenario and one :class:`DefaultUse` per field, which
:mod:`tco.resolve` records as an assumption flagged ``is_default`` with the row's
``source_url`` and ``effective_date``.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tco.catalog import Catalog, read_table_file
from tco.scenario import Scenario, ScenarioError
from tco.tables import TABLES

#: Scenario field -> the defaults-table rows it is made of (a product of numbers when several).
DEFAULTED: dict[str, tuple[str, ...]] = {
    "open.precision": ("precision",),
    "open.redundancy_replicas": ("redundancy_replicas",),
    "open.staff_fte_base": ("staff_fte_base",),
    "open.fte_usd_per_year": ("staff_base_salary_usd_per_year", "staff_loaded_cost_multiplier"),
    "open.setup_engineer_months": ("setup_engineer_months",),
    "open.server_power_factor": ("server_power_factor",),
    "open.colocation_usd_per_kw_month": ("colocation_usd_per_kw_month",),
}

#: Fields that only matter for owned hardware.
OWNED_ONLY = ("open.server_power_factor", "open.colocation_usd_per_kw_month")

#: Units of the fields (the rows' own units are in the table).
FIELD_UNITS = {"open.precision": "-", "open.redundancy_replicas": "replicas", "open.staff_fte_base": "FTE",
               "open.fte_usd_per_year": "USD/year", "open.setup_engineer_months": "engineer-months",
               "open.server_power_factor": "-", "open.colocation_usd_per_kw_month": "USD/kW/month"}

#: Formats that need a GPU's FP8 or FP4 tensor cores (a ``gpus`` column), and what serves instead.
_NEEDS = {"fp8": "fp8_dense_tflops", "fp4": "fp4_dense_tflops", "nvfp4": "fp4_dense_tflops",
          "mxfp4": "fp4_dense_tflops"}
_FALLBACK = "bf16"


@dataclass(frozen=True)
class DefaultUse:
    """One scenario field filled from the defaults table: its value and the rows behind it."""

    path: str                 # "open.redundancy_replicas"
    value: object
    rows: tuple[dict, ...]    # the defaults rows used, in DEFAULTED order

    @property
    def source_url(self) -> str | None:
        return self.rows[0].get("source_url")

    @property
    def effective_date(self) -> str:
        """The newest effective date among its rows (the default is as recent as its newest part)."""
        return max(str(r["effective_date"]) for r in self.rows)

    @property
    def source(self) -> str:
        text = "default: defaults table, " + " x ".join(_row_text(r) for r in self.rows)
        if self.path == "open.precision" and self.value != self.rows[0]["value"]:
            text += f"; the GPU has no {self.rows[0]['value']} tensor cores: {self.value}"
        return text


def _row_text(r: dict) -> str:
    unit = "" if r["unit"] in ("-", "", None) else f" {r['unit']}"
    return f"{r['name']} = {r['value']}{unit} ({r['effective_date']}{', estimate' if r.get('is_estimate') else ''})"


def row_source(r: dict) -> str:
    """How an assumption taken from one defaults row names its source.

    >>> row_source({"name": "staff_fte_base", "value": "0.5", "unit": "FTE", "effective_date": "2026-12-01",
    ...             "is_estimate": True})
    'default: defaults table, staff_fte_base = 0.5 FTE (2026-12-01, estimate)'
    """
    return f"default: defaults table, {_row_text(r)}"


def default_row(catalog: Catalog, name: str, path: str = "open") -> dict:
    """The defaults row ``name`` in force at the catalog's date; if every row of that name is dated
    later, the first of them (a default is an assumption, not a price of the day); for a catalog
    without the table, the shipped row; else a :class:`ScenarioError` at ``path``."""
    for row in catalog.records("defaults"):       # the rows in force: one per name
        if row["name"] == name:
            return row
    hist = catalog.history["defaults"]
    later = hist[hist["name"] == name].sort_values("effective_date")
    if len(later):                                  # every row dated after as_of: the first one stated
        return {k: _plain(v) for k, v in later.iloc[0].items()}
    shipped = shipped_rows().get(name)
    if shipped is not None:                         # a catalog without the table: the shipped row
        return shipped
    raise ScenarioError(path, f"no value given and no '{name}' row in the defaults table (tco/pricing/"
                              "defaults.csv or an overlay): give the value")


def _plain(v):
    """A table cell as plain Python: dates as ISO text, blanks as None."""
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if not isinstance(v, str) and pd.isna(v):
        return None
    return v.item() if isinstance(v, np.generic) else v


def row_number(row: dict, key: str = "value") -> float:
    """A defaults row's number (``value``, ``low`` or ``high``) as a float.

    >>> row_number({"name": "staff_fte_base", "value": "0.5"})
    0.5
    >>> row_number({"name": "staff_fte_base", "value": "half"})
    Traceback (most recent call last):
    ...
    ValueError: defaults table: staff_fte_base: value must be a number, got 'half'
    """
    try:
        v = float(row[key])
    except (TypeError, ValueError):
        raise ValueError(f"defaults table: {row['name']}: {key} must be a number, got {row[key]!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"defaults table: {row['name']}: {key} must be finite, got {row[key]!r}")
    return v


def supported_precision(want: str, gpu: dict | None) -> str:
    """``want`` if the GPU has the tensor cores it needs (or the GPU is unknown), else bf16.

    >>> supported_precision("fp8", {"fp8_dense_tflops": 1979.0}), supported_precision("fp8", {"fp8_dense_tflops": None})
    ('fp8', 'bf16')
    """
    need = _NEEDS.get(want)
    if gpu is None or need is None or gpu.get(need) is not None:
        return want
    return _FALLBACK


def field_value(path: str, rows: tuple[dict, ...], gpu: dict | None, key: str = "value"):
    """The value of scenario field ``path`` made of defaults ``rows`` (at their ``key``: value, low or high)."""
    if path == "open.precision":
        return supported_precision(str(rows[0][key]), gpu)
    product = math.prod(row_number(r, key if r.get(key) is not None else "value") for r in rows)
    if path == "open.redundancy_replicas":
        if product != int(product) or product < 0:
            raise ValueError(f"defaults table: {rows[0]['name']}: must be a whole number >= 0, got {product!r}")
        return int(product)
    return product


#: Weight formats below 8 bits: a model published in one is served as published (gpt-oss ships
#: its experts in MXFP4 and runs so on GPUs without FP4 tensor cores), not widened to FP8.
BELOW_8_BITS = ("mxfp4", "nvfp4", "fp4", "int4")


def published_below_8_bits(catalog: Catalog, model_id: str | None) -> str | None:
    """The open model's ``native_precision`` when it is below 8 bits, else None (unknown model too)."""
    if model_id is None:
        return None
    try:
        native = catalog.open_model(model_id).get("native_precision")
    except (KeyError, ValueError):
        return None
    return native if native in BELOW_8_BITS else None


def table_precision(catalog: Catalog, gpu: dict | None) -> str:
    """The precision the defaults table gives weights published in 8 bits or more on ``gpu`` (its
    ``gpus`` row): the ``precision`` row (fp8) where the GPU has its tensor cores, else bf16.  With
    :func:`published_below_8_bits` it is :func:`fill_defaults`' rule for ``open.precision``, which
    the dashboard's precision select follows (``tco.web.dashboard`` ships both halves to the page)."""
    return field_value("open.precision", (default_row(catalog, "precision", "open.precision"),), gpu)


def fill_defaults(scenario: Scenario, catalog: Catalog, gpu: dict | None = None) -> tuple[Scenario, list[DefaultUse]]:
    """The scenario with every field of :data:`DEFAULTED` left at None taken from the defaults
    table, and the uses (one per field filled).  ``gpu`` is the GPU's ``gpus`` row (FP8 where it has it)."""
    changes: dict[str, dict] = {}
    uses = []
    for path, names in DEFAULTED.items():
        section, fld = path.split(".")
        if getattr(getattr(scenario, section), fld) is not None:
            continue
        rows = tuple(default_row(catalog, n, path) for n in names)
        try:
            value = field_value(path, rows, gpu)
        except ValueError as exc:
            raise ScenarioError(path, str(exc)) from None
        if path == "open.precision":
            value = published_below_8_bits(catalog, scenario.open.model) or value
        changes.setdefault(section, {})[fld] = value
        uses.append(DefaultUse(path, value, rows))
    if not changes:
        return scenario, uses
    return scenario.replace(**changes), uses


def scenario_defaults(scenario: Scenario, catalog: Catalog) -> tuple[Scenario, list[DefaultUse]]:
    """:func:`fill_defaults` with the scenario's own GPU looked up in the catalog (FP8 where it has
    it); an unknown GPU id counts as no GPU here, for the caller to name (:mod:`tco.resolve` does).
    The one place the engine and the guide take the scenario's defaults from."""
    gpu = None
    if scenario.open.gpu is not None:
        try:
            gpu = catalog.gpu(scenario.open.gpu)
        except KeyError:
            gpu = None
    return fill_defaults(scenario, catalog, gpu)


@functools.lru_cache(maxsize=1)
def shipped_rows() -> dict[str, dict]:
    """The shipped defaults table's rows by name (newest first wins), read once; for documentation
    (API field descriptions, the dashboard's form) where no catalog is at hand."""
    path = Path(__file__).parent / "pricing" / TABLES["defaults"].filename
    rows, errors = read_table_file(path, TABLES["defaults"])
    if errors:
        raise ValueError("; ".join(errors))
    out: dict[str, dict] = {}
    cols = TABLES["defaults"].column_names
    for r in sorted(rows.records, key=lambda r: str(r["effective_date"])):
        out[r["name"]] = {c: (r[c].isoformat() if hasattr(r.get(c), "isoformat") else r.get(c)) for c in cols}
    return out


def shipped_values() -> dict[str, object]:
    """Each defaulted field's value from the shipped table, by field name (``redundancy_replicas``:
    1, ``fte_usd_per_year``: 189,572.46, ...); precision as the table says it (fp8), before the GPU check."""
    rows = shipped_rows()
    out = {}
    for path, names in DEFAULTED.items():
        out[path.split(".")[1]] = field_value(path, tuple(rows[n] for n in names), None)
    return out

