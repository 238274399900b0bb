"""Resolve a scenario against the catalog: every number the cost modules need, with its source.

``resolve(scenario, catalog) -> Resolved``.  Each number is taken from the scenario (an
inline override), the catalog (a dated, sourced row) or a documented default, and recorded
as an :class:`Assumption` (value, unit, where it came from).  Every input is checked here,
so the cost modules below work on plain numbers and never raise for bad input: an invalid
value, an unknown id or a deployment that does not fit is a :class:`~tco.scenario.ScenarioError`
naming the field.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from tco.catalog import Catalog
from tco.defaults import FIELD_UNITS, OWNED_ONLY, row_number, row_source, scenario_defaults
from tco.lifecycle import price_schedule, steady_price
from tco.scenario import (MAX_HORIZON_MONTHS, ClosedOption, OpenOption, Scenario, ScenarioError,
                          check_number)
from tco.serving import (USES, benchmark_row, latency_targets, modelled_images, modelled_throughput,
                         tpot_out_of_reach, ttft_out_of_reach)
from tco.throughput import ATTENTION_PARALLEL, ENGINES, PLATFORMS
from tco.tables import PRECISIONS
from tco.workload import Volumes, average_load, load_profile, resolve_volumes

#: How provider ids read in labels and sentences.
PROVIDER_NAMES = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure", "lambda": "Lambda", "coreweave": "CoreWeave",
                  "runpod": "RunPod", "runpod-community": "RunPod community", "aws-capacity-blocks": "AWS Capacity Blocks",
                  "crusoe": "Crusoe", "hyperstack": "Hyperstack", "nebius": "Nebius", "oracle": "Oracle Cloud",
                  "tensorwave": "TensorWave", "vast": "Vast.ai", "vultr": "Vultr"}


@dataclass
class Assumption:
    value: Any
    unit: str
    source: str  # "scenario", "default...", or "catalog: table key (date) url"
    #: True when the value came from the defaults table (not the user's input nor a catalog row).
    is_default: bool = False
    source_url: str | None = None
    effective_date: str | None = None

    def as_dict(self) -> dict:
        out = {"value": self.value, "unit": self.unit, "source": self.source}
        if self.is_default:
            out.update(is_default=True, source_url=self.source_url, effective_date=self.effective_date)
        return out


@dataclass
class ClosedPrices:
    """Closed-option prices after overrides [USD/1M tokens, USD/seat-month, USD/image]."""

    input: float = 0.0
    cached_input: float = 0.0
    cache_write: float = 0.0
    output: float = 0.0
    batch_input: float = math.nan
    batch_output: float = math.nan
    #: Cache-read price on batch requests; NaN = batch does not discount cache reads.
    batch_cached_input: float = math.nan
    long_threshold: float = math.inf
    input_long: float = math.nan
    cached_input_long: float = math.nan
    output_long: float = math.nan
    per_seat_month: float = 0.0
    per_image: float = 0.0
    priced_tokens: bool = False
    label: str = ""
    #: Named switches of the monthly prices (promotions ending, changes, shutdowns to successors).
    events: tuple = ()
    #: The same switches as :class:`tco.lifecycle.PriceEvent` (month, date, kind, model_id, message).
    switches: tuple = ()
    #: Months priced at a price not in force then (no successor after a shutdown), shape (H,).
    flagged: Any = None
    #: Month whose prices the steady views use (break-even volume, cost-vs-volume curve): the price
    #: in force for the most months of the horizon (:func:`tco.lifecycle.steady_price`) [month, 0-based].
    steady_month: int = 0
    #: That choice in words ("at gpt-6-luna's price, in force from month 2 (35 of 36 months)"); "" when
    #: the price holds all along.
    steady_note: str = ""
    #: Known current spend of each month at month-0 volume [USD/month], shape (H,), or None
    #: (priced from the price list); see :func:`resolve_baseline`.
    baseline: Any = None

    def at_month(self, m: int = 0) -> "ClosedPrices":
        """The prices of month ``m`` as scalars (a price vector over months keeps month ``m``)."""
        out = replace(self)
        for name in ("input", "cached_input", "cache_write", "output", "batch_input", "batch_output",
                     "batch_cached_input", "long_threshold", "input_long", "cached_input_long", "output_long"):
            v = np.asarray(getattr(self, name), dtype=float)
            if v.ndim == 1 and v.shape[0] > 1:
                setattr(out, name, float(v[m]))
        return out

    def steady(self) -> "ClosedPrices":
        """The prices the steady views use: those of :attr:`steady_month`."""
        return self.at_month(self.steady_month)


@dataclass
class OpenParams:
    """Self-hosted numbers after overrides and the throughput model."""

    hosting: str
    billing: str
    gpus_per_replica: int
    capacity_per_replica: float       # requests/s (tokens) or images/s (images) at 100% load
    output_tokens_per_second: float   # per replica [tokens/s] (nan for image models)
    usd_per_gpu_hour: float
    gpus_per_server: int
    server_usd: float
    tdp_watts: float
    label: str = ""
    throughput_source: str = ""
    throughput_detail: dict = field(default_factory=dict)


@dataclass
class Resolved:
    scenario: Scenario
    volumes: Volumes
    closed: ClosedPrices
    open: OpenParams
    assumptions: dict[str, Assumption]


def cat_source(table: str, row: dict, key: str) -> str:
    """How an assumption taken from a catalog row names its source."""
    return f"catalog: {table} {key} ({row['effective_date']}) {row['source_url']}"


# --------------------------------------------------------------------------- the whole scenario

def resolve(scenario: Scenario, catalog: Catalog) -> Resolved:
    """Check every input and take each number from the scenario, the catalog or a default."""
    h = check_number("horizon_months", scenario.horizon_months, 1, MAX_HORIZON_MONTHS, integer=True)
    if scenario.as_of is not None:
        try:
            catalog = catalog.at(scenario.as_of)
        except ValueError as exc:
            raise ScenarioError("as_of", str(exc).removeprefix("as_of: ")) from None
    w = scenario.workload
    vol = resolve_volumes(w, int(h))
    for name in ("cached_input_share", "cache_write_share", "batch_share"):
        check_number(f"workload.{name}", getattr(w, name), 0, 1)
    if w.cached_input_share + w.cache_write_share > 1:
        raise ScenarioError("workload.cache_write_share", "cached_input_share + cache_write_share must be <= 1")
    check_number("workload.peak_to_average", w.peak_to_average, 1, 24)
    if w.load_profile is not None:
        try:
            weights = load_profile(w.load_profile)
        except (ValueError, TypeError) as exc:
            raise ScenarioError("workload.load_profile", str(exc)) from None
        scenario = replace(scenario, workload=replace(w, peak_to_average=float(weights.max())))
        w = scenario.workload
    check_number("finance.discount_rate_annual", scenario.finance.discount_rate_annual, -0.5, 1)
    A: dict[str, Assumption] = {}
    scenario = _fill_defaults(scenario, catalog, A)
    closed = resolve_closed(scenario.closed, catalog, vol, A, float(w.batch_share))
    open_ = resolve_open(scenario.open, catalog, vol, A, float(w.cached_input_share))
    A["workload.input_tokens_per_request"] = Assumption(vol.input_tokens_per_request, "tokens", "scenario")
    A["workload.output_tokens_per_request"] = Assumption(
        vol.output_tokens_per_request, "tokens",
        "scenario" if w.output_tokens_per_request is not None else "derived from the input/output split")
    A["catalog.as_of"] = Assumption(catalog.as_of.isoformat(), "date", "scenario" if scenario.as_of else "default: today")
    _check_fleet(scenario, vol, open_)
    return Resolved(scenario=scenario, volumes=vol, closed=closed, open=open_, assumptions=A)


def _fill_defaults(scenario: Scenario, catalog: Catalog, A: dict) -> Scenario:
    """The scenario with the fields it leaves at None taken from the defaults table
    (:mod:`tco.defaults`), each recorded in ``A`` flagged ``is_default`` with its source and date."""
    scenario, uses = scenario_defaults(scenario, catalog)     # an unknown GPU: resolve_open names it
    for use in uses:
        if use.path in OWNED_ONLY and scenario.open.hosting != "owned":
            continue                        # filled, but rented GPUs never use it
        A[use.path] = Assumption(use.value, FIELD_UNITS[use.path], use.source, is_default=True,
                                 source_url=use.source_url, effective_date=use.effective_date)
        if len(use.rows) > 1:               # a product of rows: each row cited too
            for r in use.rows:
                A[f"defaults.{r['name']}"] = Assumption(row_number(r), r["unit"], row_source(r), is_default=True,
                                                        source_url=r.get("source_url"),
                                                        effective_date=str(r["effective_date"]))
    return scenario


#: Most GPUs a self-hosted fleet may need in its peak month [GPUs]: the largest clusters built
#: hold a few hundred thousand; past a million the answer is "not a deployment", and the fleet,
#: the owned servers and the hybrid plan's arrays all grow with it.
MAX_FLEET_GPUS = 1_000_000


def _check_fleet(scenario: Scenario, vol: Volumes, P: OpenParams) -> None:
    """Refuse a workload whose peak month needs more than :data:`MAX_FLEET_GPUS`, saying how many."""
    o = scenario.open
    peak = float(average_load(vol).max()) * scenario.workload.peak_to_average
    replicas = math.ceil(round(peak / (P.capacity_per_replica * o.target_utilisation), 9)) + o.redundancy_replicas
    gpus = max(replicas, o.min_replicas) * P.gpus_per_replica
    if gpus > MAX_FLEET_GPUS:
        month = int(np.argmax(average_load(vol)))
        raise ScenarioError("workload", f"self-hosting this volume needs {gpus:,.0f} GPUs in month {month} "
                                        f"(0-based), above the limit of {MAX_FLEET_GPUS:,} GPUs: lower the volume "
                                        "or compare at a smaller scale")


# --------------------------------------------------------------------------- the closed option

#: (scenario field, catalog column, ClosedPrices attribute) of every per-token price.
_TOKEN_PRICES = (
    ("input_usd_per_mtok", "usd_per_mtok_input", "input"),
    ("cached_input_usd_per_mtok", "usd_per_mtok_cached_input", "cached_input"),
    ("cache_write_usd_per_mtok", "usd_per_mtok_cache_write", "cache_write"),
    ("output_usd_per_mtok", "usd_per_mtok_output", "output"),
    ("batch_input_usd_per_mtok", "usd_per_mtok_batch_input", "batch_input"),
    ("batch_output_usd_per_mtok", "usd_per_mtok_batch_output", "batch_output"),
    ("batch_cached_input_usd_per_mtok", "usd_per_mtok_batch_cached_input", "batch_cached_input"),
    ("long_context_threshold_tokens", "long_context_threshold_tokens", "long_threshold"),
    ("input_long_usd_per_mtok", "usd_per_mtok_input_long", "input_long"),
    ("cached_input_long_usd_per_mtok", "usd_per_mtok_cached_input_long", "cached_input_long"),
    ("output_long_usd_per_mtok", "usd_per_mtok_output_long", "output_long"),
)


def resolve_closed(c: ClosedOption, catalog: Catalog, vol: Volumes, A: dict, batch_share: float) -> ClosedPrices:
    """The closed option's prices: per token, per seat and per image, checked against the workload."""
    check_number("closed.discount", c.discount, 0, 1)
    check_number("closed.price_change_annual", c.price_change_annual, -0.99, 10)
    check_number("closed.setup_usd", c.setup_usd)
    check_number("closed.fixed_usd_per_month", c.fixed_usd_per_month)
    if c.baseline_usd_per_month is not None:
        return resolve_baseline(c, len(vol.growth), A)
    labels: list[str] = []
    row = None
    if c.model is not None:
        try:
            row = catalog.api_price(c.model)
        except KeyError as exc:
            raise ScenarioError("closed.model", exc.args[0]) from None
        labels.append(row["display_name"])
    p = _token_prices(c, row, A)
    if row is not None:
        _price_over_time(c, p, catalog, len(vol.growth), A)
    _check_token_bill(c, p, vol, batch_share)
    if c.seat_product is not None or c.usd_per_seat_month is not None:
        p.per_seat_month = _unit_price(
            "closed.usd_per_seat_month", c.usd_per_seat_month, "USD/seat/month", "closed.seat_product",
            lambda: catalog.seat_price(c.seat_product, c.billing_term), "seat_prices",
            lambda row: f"{c.seat_product}/{c.billing_term}", "usd_per_seat_month", A, labels)
        if vol.seats_month0 <= 0:
            raise ScenarioError("workload.seats", "required with a per-seat closed product")
    if c.image_model is not None or c.usd_per_image is not None:
        p.per_image = _unit_price(
            "closed.usd_per_image", c.usd_per_image, "USD/image", "closed.image_model",
            lambda: catalog.image_price(c.image_model, c.image_size, c.image_quality), "image_prices",
            lambda row: f"{c.image_model}/{row['size']}/{row['quality']}", "usd_per_image", A, labels)
    elif vol.kind == "images":
        raise ScenarioError("closed.image_model", "required for an image workload (or give usd_per_image)")
    p.label = " + ".join(labels) if labels else "closed API (inline prices)"
    return p


#: Closed-option fields that set a price, which a current-spend baseline replaces.
_PRICE_FIELDS = ("model", "seat_product", "image_model", "usd_per_seat_month", "usd_per_image") \
    + tuple(f for f, _, _ in _TOKEN_PRICES)


def baseline_series(values, horizon: int) -> np.ndarray:
    """A monthly baseline over ``horizon`` months, the last value carried forward [USD/month].

    >>> baseline_series([1000.0, 1200.0], 4).tolist()
    [1000.0, 1200.0, 1200.0, 1200.0]
    """
    b = np.asarray(values, dtype=float)
    return b[np.minimum(np.arange(horizon), b.size - 1)]


def resolve_baseline(c: ClosedOption, horizon: int, A: dict) -> ClosedPrices:
    """The closed option priced as a known spend: ``baseline_usd_per_month`` checked and carried
    forward over the horizon (finite, >= 0, 1 to ``horizon`` values; no price list beside it).

    >>> resolve_baseline(ClosedOption(baseline_usd_per_month=[10.0]), 2, {}).baseline.tolist()
    [10.0, 10.0]
    >>> resolve_baseline(ClosedOption(baseline_usd_per_month=[1.0, -1.0]), 2, {})
    Traceback (most recent call last):
    ...
    tco.scenario.ScenarioError: closed.baseline_usd_per_month: month 1: must be a number >= 0, got -1.0
    """
    path = "closed.baseline_usd_per_month"
    values = c.baseline_usd_per_month
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__"):
        raise ScenarioError(path, f"must be a list of monthly amounts [USD/month], got {values!r}")
    if not 1 <= len(values) <= horizon:
        raise ScenarioError(path, f"must hold 1 to {horizon} values (one per month of the horizon), "
                                  f"got {len(values)}")
    try:
        b = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        b = None
    if b is None or b.ndim != 1 or not np.isfinite(b).all() or (b < 0).any():
        for m, v in enumerate(values):           # only on bad input: name the first bad month
            try:
                check_number(f"{path}: month {m}", v)
            except ScenarioError as exc:
                raise ScenarioError(path, f"month {m}: {exc.message}") from None
    given = [f"closed.{f}" for f in _PRICE_FIELDS if getattr(c, f) is not None]
    if given:
        raise ScenarioError(path, f"replaces the price list: leave out {', '.join(given)}")
    A[path] = Assumption(float(b[0]), "USD/month", f"scenario ({len(b)} month(s), last carried forward)")
    return ClosedPrices(baseline=baseline_series(b, horizon), label="closed API (current-spend baseline)")


def _token_prices(c: ClosedOption, row: dict | None, A: dict) -> ClosedPrices:
    """Per-token prices: each inline override, else the catalog row's column; missing optional
    prices fall back to the plain ones (no discount assumed)."""
    p = ClosedPrices()
    for fld, col, attr in _TOKEN_PRICES:
        unit = "tokens" if attr == "long_threshold" else "USD/1M tokens"
        override = getattr(c, fld)
        if override is not None:
            v = check_number(f"closed.{fld}", override, lo=1 if attr == "long_threshold" else 0)
            setattr(p, attr, v)
            A[f"closed.{fld}"] = Assumption(v, unit, "scenario")
            p.priced_tokens = True
        elif row is not None and row.get(col) is not None:
            setattr(p, attr, float(row[col]))
            A[f"closed.{fld}"] = Assumption(float(row[col]), unit, cat_source("api_prices", row, c.model))
            p.priced_tokens = True
    if row is None and c.input_usd_per_mtok is None and c.output_usd_per_mtok is not None:
        raise ScenarioError("closed.input_usd_per_mtok", "required with output_usd_per_mtok")
    if row is None and c.output_usd_per_mtok is None and c.input_usd_per_mtok is not None:
        raise ScenarioError("closed.output_usd_per_mtok", "required with input_usd_per_mtok")
    if (c.cached_input_usd_per_mtok is None) and (row is None or row.get("usd_per_mtok_cached_input") is None):
        p.cached_input = p.input
    if (c.cache_write_usd_per_mtok is None) and (row is None or row.get("usd_per_mtok_cache_write") is None):
        p.cache_write = p.input
    if math.isnan(p.cached_input_long):
        p.cached_input_long = p.cached_input * (p.input_long / p.input) \
            if p.input > 0 and not math.isnan(p.input_long) else math.nan
    return p


_SCHEDULES: dict[tuple, object] = {}


def _schedule(catalog: Catalog, model: str, months: int):
    """:func:`tco.lifecycle.price_schedule` of ``model`` from the catalog's date, cached per catalog
    history; None when the model has a single dated row that never ends and no lifecycle row
    (its price holds all along, nothing to build)."""
    prices, life = catalog.history["api_prices"], catalog.history["model_lifecycle"]
    key = (id(prices), len(prices), id(life), model, catalog.as_of, months)
    if key in _SCHEDULES:
        return _SCHEDULES[key]
    model_id = catalog.api_price(model)["model_id"]
    rows = prices[prices["model_id"] == model_id]
    simple = len(rows) == 1 and rows["effective_until"].isna().all() and not (life["model_id"] == model_id).any()
    sched = None if simple else price_schedule(catalog, model, catalog.as_of, months)
    if len(_SCHEDULES) > 512:
        _SCHEDULES.clear()
    _SCHEDULES[key] = sched
    return sched


def _price_over_time(c: ClosedOption, p: ClosedPrices, catalog: Catalog, months: int, A: dict) -> None:
    """Each catalog price as a vector over the horizon, from the dated rows in force month by month
    (:func:`tco.lifecycle.price_schedule`): a promotion ends, a scheduled change starts, a shutdown
    moves to the successor's prices.  Inline prices stay as given; the switches are recorded."""
    sched = _schedule(catalog, c.model, months)
    if sched is None or (len(sched.events) == 0 and len(set(sched.model_id)) == 1 and not sched.flagged.any()):
        return            # one row all along: the scalar prices hold
    from_catalog = 0
    for fld, col, attr in _TOKEN_PRICES:
        if getattr(c, fld) is not None or col not in sched.prices:
            continue
        from_catalog += 1
        v = np.asarray(sched.prices[col], dtype=float)
        if attr == "long_threshold":
            v = np.where(np.isnan(v), math.inf, v)
        setattr(p, attr, v)
    # blank optional prices fall back month by month, as for a single row
    if c.cached_input_usd_per_mtok is None:
        p.cached_input = np.where(np.isnan(p.cached_input), p.input, p.cached_input)
    if c.cache_write_usd_per_mtok is None:
        p.cache_write = np.where(np.isnan(p.cache_write), p.input, p.cache_write)
    if c.cached_input_long_usd_per_mtok is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            derived = np.where(p.input > 0, p.cached_input * p.input_long / p.input, np.nan)
        p.cached_input_long = np.where(np.isnan(p.cached_input_long), derived, p.cached_input_long)
    p.switches = tuple(sched.events)
    p.events = tuple(e.message for e in sched.events)
    p.flagged = np.asarray(sched.flagged, dtype=bool)
    if from_catalog:                  # with every price given inline the schedule prices nothing
        p.steady_month, p.steady_note = steady_price(sched)
    A["closed.price_schedule"] = Assumption("; ".join(p.events), "-", f"catalog: api_prices and model_lifecycle "
                                            f"rows of {c.model} from {catalog.as_of.isoformat()}")


def _check_token_bill(c: ClosedOption, p: ClosedPrices, vol: Volumes, batch_share: float) -> None:
    """A token workload needs token prices, a long-context price above the threshold and a
    batch price when part of it goes through the batch API."""
    token_bill = vol.kind == "tokens" and vol.tokens_month0 > 0
    if token_bill and not p.priced_tokens and c.seat_product is None and c.usd_per_seat_month is None:
        raise ScenarioError("closed.model", "choose a closed model (or give input_usd_per_mtok and "
                                            "output_usd_per_mtok, or a seat product)")
    if token_bill and p.priced_tokens:
        # every month's price (a vector over months after a switch): a successor may lack a tier
        long_gap = _first_month((vol.input_tokens_per_request > np.asarray(p.long_threshold))
                                & np.isnan(np.asarray(p.input_long, dtype=float)))
        if long_gap is not None:
            raise ScenarioError("closed.input_long_usd_per_mtok",
                                "required: the prompt is above the long-context threshold" + _from(long_gap))
        batch_gap = _first_month(np.isnan(np.asarray(p.batch_input, dtype=float))
                                 | np.isnan(np.asarray(p.batch_output, dtype=float)))
        if batch_share > 0 and batch_gap is not None:
            raise ScenarioError("workload.batch_share",
                                f"{c.model or 'this model'} has no batch price{_from(batch_gap)}: set batch_share "
                                "to 0 or give closed.batch_input_usd_per_mtok and closed.batch_output_usd_per_mtok")


def _first_month(mask) -> int | None:
    """First month index where ``mask`` (a scalar or one value per month) holds; None when none."""
    hit = np.flatnonzero(np.atleast_1d(mask))
    return int(hit[0]) if len(hit) else None


def _from(month: int) -> str:
    """" from month N on (the price in force then)" for a gap after month index 0, as the user counts."""
    return "" if month == 0 else f" from month {month + 1} on (the price in force then, see closed.price_schedule)"


def _unit_price(path: str, override, unit: str, id_path: str, lookup, table: str, key, column: str,
                A: dict, labels: list) -> float:
    """A per-unit closed price (seat, image): the inline ``override``, else the catalog row
    ``lookup()`` returns (an unknown id is a :class:`ScenarioError` at ``id_path``); recorded in ``A``."""
    if override is not None:
        value = check_number(path, override)
        A[path] = Assumption(value, unit, "scenario")
        return value
    try:
        row = lookup()
    except KeyError as exc:
        raise ScenarioError(id_path, exc.args[0]) from None
    value = float(row[column])
    A[path] = Assumption(value, unit, cat_source(table, row, key(row)))
    labels.append(row["display_name"])
    return value


# --------------------------------------------------------------------------- the self-hosted option

#: (OpenOption field, upper bound) of the plain numbers of the self-hosted option.
_OPEN_BOUNDS = (("useful_life_months", 600), ("cost_of_capital_annual", 1), ("residual_value_share", 1),
                ("power_usd_per_kwh", 10), ("pue", 5), ("load_factor", 1), ("server_power_factor", 10),
                ("colocation_usd_per_kw_month", 10_000), ("support_share_annual", 1), ("staff_fte_base", 1000),
                ("replicas_per_fte", 1e12), ("fte_usd_per_year", 1e7), ("setup_engineer_months", 1000),
                ("migration_usd", 1e10), ("fine_tuning_usd", 1e10), ("evaluation_usd_per_month", 1e9),
                ("overhead_share", 5))
_OPEN_LO_OPEN = ("useful_life_months", "replicas_per_fte", "pue")


def resolve_open(o: OpenOption, catalog: Catalog, vol: Volumes, A: dict, cached_share: float = 0.0) -> OpenParams:
    """The self-hosted option: GPUs per replica, capacity per replica and the price of hosting."""
    g = _check_open_inputs(o)
    model, gpu = _open_rows(o, catalog)
    labels = [model["display_name"] if model else (o.model or "open model"),
              f"{g}x {gpu['display_name'] if gpu else (o.gpu or 'GPU')}"]
    cap, out_tps, detail = _replica_capacity(o, catalog, vol, model, gpu, g, A, cached_share)
    tpot, ttft = latency_targets(o)
    A["open.max_time_per_output_token_s"] = Assumption(tpot, "s", "scenario" if o.max_time_per_output_token_s
                                                       is not None else f"default for {o.serving_use} use (MLPerf)")
    A["open.max_time_to_first_token_s"] = Assumption(ttft, "s", "scenario" if o.max_time_to_first_token_s
                                                     is not None else f"default for {o.serving_use} use (MLPerf)")
    rate = math.nan
    if o.hosting == "cloud":
        rate = _cloud_rate(o, catalog, A, labels)
    gps, srv, tdp = _owned_hardware(o, gpu, A, labels)
    label = f"{labels[0]} on {labels[1]} ({', '.join(labels[2:])})"
    return OpenParams(hosting=o.hosting, billing=o.billing, gpus_per_replica=g, capacity_per_replica=cap,
                      output_tokens_per_second=out_tps, usd_per_gpu_hour=rate, gpus_per_server=int(gps or 1),
                      server_usd=float(srv or 0.0), tdp_watts=float(tdp or 0.0), label=label,
                      throughput_source=A.get("open.output_tokens_per_second_per_replica",
                                              A.get("open.images_per_second_per_replica")).source,
                      throughput_detail=detail)


def _check_open_inputs(o: OpenOption) -> int:
    """Check the self-hosted option's choices and plain numbers; return the GPUs per replica."""
    P = "open"
    if o.hosting not in ("cloud", "owned"):
        raise ScenarioError(f"{P}.hosting", f"must be one of: cloud, owned; got {o.hosting!r}")
    if o.billing not in ("always_on", "autoscaled"):
        raise ScenarioError(f"{P}.billing", f"must be one of: always_on, autoscaled; got {o.billing!r}")
    if o.capex_mode not in ("amortised", "cash"):
        raise ScenarioError(f"{P}.capex_mode", f"must be one of: amortised, cash; got {o.capex_mode!r}")
    if o.precision not in PRECISIONS:
        raise ScenarioError(f"{P}.precision", f"must be one of: {', '.join(PRECISIONS)}; got {o.precision!r}")
    g = int(check_number(f"{P}.gpus_per_replica", o.gpus_per_replica, 1, 64, integer=True))
    check_number(f"{P}.target_utilisation", o.target_utilisation, 0, 1, lo_open=True)
    check_number(f"{P}.min_replicas", o.min_replicas, 0, 10_000, integer=True)
    check_number(f"{P}.redundancy_replicas", o.redundancy_replicas, 0, 10_000, integer=True)
    check_number(f"{P}.serving_efficiency", o.serving_efficiency, 0, 10, lo_open=True)
    for name, hi in _OPEN_BOUNDS:
        check_number(f"{P}.{name}", getattr(o, name), 0, hi, lo_open=name in _OPEN_LO_OPEN)
    for name in ("max_time_per_output_token_s", "max_time_to_first_token_s"):
        if getattr(o, name) is not None:
            check_number(f"{P}.{name}", getattr(o, name), 0, 600, lo_open=True)
    for name, allowed in (("serving_use", tuple(USES)), ("serving_engine", ENGINES)):
        if getattr(o, name) not in allowed:
            raise ScenarioError(f"{P}.{name}", f"must be one of: {', '.join(allowed)}; got {getattr(o, name)!r}")
    for name, allowed in (("platform", PLATFORMS), ("kv_precision", PRECISIONS),
                          ("attention_parallel", ATTENTION_PARALLEL)):
        if getattr(o, name) is not None and getattr(o, name) not in allowed:
            raise ScenarioError(f"{P}.{name}", f"must be one of: {', '.join(allowed)} (or null: the default); "
                                              f"got {getattr(o, name)!r}")
    return g


def _open_rows(o: OpenOption, catalog: Catalog) -> tuple[dict | None, dict | None]:
    """The ``open_models`` and ``gpus`` rows the option names (None where it gives none)."""
    model = gpu = None
    if o.model is not None:
        try:
            model = catalog.open_model(o.model)
        except KeyError as exc:
            raise ScenarioError("open.model", exc.args[0]) from None
    if o.gpu is not None:
        try:
            gpu = catalog.gpu(o.gpu)
        except KeyError as exc:
            raise ScenarioError("open.gpu", exc.args[0]) from None
    return model, gpu


def _replica_capacity(o: OpenOption, catalog: Catalog, vol: Volumes, model, gpu, g: int,
                      A: dict, cached_share: float = 0.0) -> tuple[float, float, dict]:
    """Capacity of one replica [requests/s or images/s], its output tokens/s and the roofline detail."""
    image = vol.kind == "images" or (model is not None and model["modality"] == "image")
    if image:
        cap = _images_per_second(o, catalog, g, A)
        out_tps, detail = math.nan, {}
    else:
        out_tps, detail = _output_tokens_per_second(o, catalog, vol, model, gpu, g, A, cached_share)
        cap = out_tps / vol.output_tokens_per_request
    if not cap > 0:
        raise ScenarioError("open.gpus_per_replica", "the deployment serves no traffic (zero throughput)")
    return cap, out_tps, detail


def _images_per_second(o: OpenOption, catalog: Catalog, g: int, A: dict) -> float:
    """Images/s of one replica: inline, else a measured row; times the serving efficiency."""
    if o.images_per_second_per_replica is not None:
        cap = check_number("open.images_per_second_per_replica", o.images_per_second_per_replica, lo_open=True)
        src = "scenario"
    else:
        bench = benchmark_row(catalog, o, g, None, None, image=True)
        if bench is not None:
            cap = float(bench["images_per_second"])
            src = cat_source("throughput_benchmarks", bench, f"{o.model}/{o.gpu}x{g}/{o.precision}")
        else:
            if o.gpu is None:
                raise ScenarioError("open.gpu", "required (or give images_per_second_per_replica)")
            m = modelled_images(o.model, catalog.gpu(o.gpu), o, g)
            cap = m["images_per_second"]
            src = (f"modelled, not measured (tco.throughput diffusion compute model): {m['steps']} steps at "
                   f"{m['width']}x{m['height']}, {m['flops_per_image'] / 1e12:,.0f} TFLOP per image at "
                   f"{m['efficiency']:.0%} of {g} GPU(s)' BF16 peak")
    cap *= o.serving_efficiency
    A["open.images_per_second_per_replica"] = Assumption(cap, "images/s", src)
    return cap


def _output_tokens_per_second(o: OpenOption, catalog: Catalog, vol: Volumes, model, gpu, g: int,
                              A: dict, cached_share: float = 0.0) -> tuple[float, dict]:
    """Output tokens/s of one replica: inline, else a measured row, else the roofline model;
    times the serving efficiency.  The roofline detail is computed whenever model and GPU are known."""
    in_len, out_len = vol.input_tokens_per_request, vol.output_tokens_per_request
    detail: dict = {}
    if model is not None and gpu is not None:
        detail = modelled_throughput(model, gpu, o, g, in_len, out_len, cached_share)
    if o.output_tokens_per_second_per_replica is not None:
        out_tps = check_number("open.output_tokens_per_second_per_replica",
                               o.output_tokens_per_second_per_replica, lo_open=True)
        src = "scenario"
    else:
        if model is None or gpu is None:
            missing = "model" if model is None else "gpu"
            raise ScenarioError(f"open.{missing}", "required (or give output_tokens_per_second_per_replica)")
        bench = benchmark_row(catalog, o, g, in_len, out_len, image=False)
        if bench is not None:
            out_tps = float(bench["output_tokens_per_second"])
            src = cat_source("throughput_benchmarks", bench,
                             f"{o.model}/{o.gpu}x{g}/{o.precision}/{bench['input_tokens']}:{bench['output_tokens']}")
        else:
            out_tps = float(detail["output_tokens_per_s"])
            setup = "".join((f", KV cache {o.kv_precision}" if o.kv_precision else "",
                             f", {o.attention_parallel} attention" if o.attention_parallel else ""))
            src = (f"roofline model (tco.throughput, {o.serving_engine}, {o.serving_use} use{setup}): batch "
                   f"{detail['batch_size']:.0f} limited by {detail['batch_limit']}, "
                   f"{detail['time_per_output_token_s'] * 1000:.1f} ms/token, "
                   f"{detail['time_to_first_token_s'] * 1000:.0f} ms to the first token")
            if not detail["ttft_reachable"]:
                note = ttft_out_of_reach(model, gpu, o, g, in_len, out_len, cached_share, detail)
            elif not detail["latency_target_met"]:
                note = tpot_out_of_reach(model, gpu, o, g, in_len, out_len, cached_share, detail)
            else:
                note = None
            if note:
                detail["latency_note"] = note[0].upper() + note[1:]
                src += f" ({note})"
    out_tps *= o.serving_efficiency
    A["open.output_tokens_per_second_per_replica"] = Assumption(out_tps, "tokens/s", src)
    return out_tps, detail


def _cloud_rate(o: OpenOption, catalog: Catalog, A: dict, labels: list) -> float:
    """The rental rate [USD/GPU-hour]: inline, else the catalog's for provider x GPU x term."""
    if o.usd_per_gpu_hour is not None:
        rate = check_number("open.usd_per_gpu_hour", o.usd_per_gpu_hour, 0, 1000)
        A["open.usd_per_gpu_hour"] = Assumption(rate, "USD/GPU-hour", "scenario")
    else:
        if o.gpu is None:
            raise ScenarioError("open.gpu", "required (or give usd_per_gpu_hour)")
        try:
            rrow = catalog.gpu_rate(o.provider, o.gpu, o.term)
        except KeyError as exc:
            if not (catalog["gpu_rates"]["provider"] == o.provider).any():    # an id the catalog does not know
                raise ScenarioError("open.provider", exc.args[0]) from None
            raise _no_rate(o, catalog) from None
        rate = float(rrow["usd_per_gpu_hour"])
        A["open.usd_per_gpu_hour"] = Assumption(rate, "USD/GPU-hour", cat_source(
            "gpu_rates", rrow, f"{o.provider}/{o.gpu}/{o.term}"))
    who = PROVIDER_NAMES.get(o.provider, o.provider) if o.usd_per_gpu_hour is None else "cloud"
    labels.append(f"{who}, {o.term.replace('_', ' ')}")
    labels.append("autoscaled" if o.billing == "autoscaled" else "always on")
    return rate


def _no_rate(o: OpenOption, catalog: Catalog) -> ScenarioError:
    """The error for a provider x GPU x term the catalog has no rate for, in the words of the user's
    own pick, with what the catalog does rent that GPU on (the field: the term when the provider
    rents the GPU on another term, else the provider)."""
    df = catalog["gpu_rates"]
    here = df[df["gpu_id"] == o.gpu]
    name = PROVIDER_NAMES.get(o.provider, o.provider)
    own_terms = sorted(here.loc[here["provider"] == o.provider, "term"].astype(str).unique())
    others = sorted({f"{PROVIDER_NAMES.get(p, p)} ({t.replace('_', ' ')})"
                     for p, t in zip(here["provider"].astype(str), here["term"].astype(str))})
    if own_terms:
        return ScenarioError("open.term", f"{name} has no {o.term.replace('_', ' ')} rate for {o.gpu}; it rents "
                                          f"it on: {', '.join(t.replace('_', ' ') for t in own_terms)}")
    where = (f"; rented by: {', '.join(others)}" if others
             else "; no provider in the catalog rents it (buy servers, or give usd_per_gpu_hour)")
    return ScenarioError("open.provider", f"{name} has no rate for {o.gpu}{where}")


def _owned_hardware(o: OpenOption, gpu: dict | None, A: dict, labels: list):
    """GPUs per server, server price [USD] and board power [W/GPU]; checked and recorded for owned hardware."""
    gps = o.gpus_per_server if o.gpus_per_server is not None else (gpu["gpus_per_server"] if gpu else None)
    srv = o.server_usd
    tdp = o.tdp_watts if o.tdp_watts is not None else (gpu["tdp_watts"] if gpu else None)
    if o.hosting != "owned":
        return gps, srv, tdp
    if gps is None or tdp is None or (srv is None and gpu is None):
        raise ScenarioError("open.gpu", "required for owned hardware (or give gpus_per_server, server_usd "
                                        "and tdp_watts)")
    # a rack-scale NVLink domain counts as one server: the catalog's GB200/GB300 NVL72 hold 72
    gps = int(check_number("open.gpus_per_server", gps, 1, 576, integer=True))
    if srv is None:
        srv = gps * float(gpu["purchase_usd"])
        est = " (estimate)" if gpu.get("purchase_usd_is_estimate") else ""
        A["open.server_usd"] = Assumption(srv, "USD/server", cat_source("gpus", gpu, o.gpu) +
                                          f": {gps} x purchase_usd{est}")
    else:
        srv = check_number("open.server_usd", srv)
        A["open.server_usd"] = Assumption(srv, "USD/server", "scenario")
    tdp = check_number("open.tdp_watts", tdp, 0, 10_000, lo_open=True)
    A["open.tdp_watts"] = Assumption(tdp, "W/GPU", "scenario" if o.tdp_watts is not None else
                                     cat_source("gpus", gpu, o.gpu))
    A["open.gpus_per_server"] = Assumption(gps, "GPUs/server", "scenario" if o.gpus_per_server is not None
                                           else cat_source("gpus", gpu, o.gpu))
    labels.append(f"owned, {o.capex_mode}")
    return gps, srv, tdp
