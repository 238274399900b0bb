"""The cost engine: closed vs self-hosted, month by month, with break-even.

``evaluate(scenario, catalog) -> Result``.  The scenario is first *resolved*: every
number it needs is taken from the scenario (an inline override), the catalog (a dated,
sourced row) or a documented default, and recorded in ``Result.assumptions`` with where
it came from.  The cost functions then work on numpy arrays whose last axis is the
month, so one call prices one scenario, a 200-point volume sweep or 10,000 sampled
scenarios alike.

Conventions: a month has 730 hours; month ``m = 0..H-1``; one-off costs fall in month 0;
money in USD.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from tco import throughput as tp
from tco.catalog import Catalog
from tco.finance import HOURS_PER_MONTH, SECONDS_PER_MONTH, annuity, discount_factors, monthly_rate
from tco.scenario import ClosedOption, OpenOption, Scenario, ScenarioError
from tco.tables import PRECISIONS
from tco.workload import Volumes, resolve_volumes

MAX_HORIZON_MONTHS = 240

#: How provider ids read in labels and sentences.
PROVIDER_NAMES = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure", "lambda": "Lambda", "coreweave": "CoreWeave",
                  "runpod": "RunPod", "runpod-community": "RunPod community", "aws-capacity-blocks": "AWS Capacity Blocks"}

CLOSED_COMPONENTS = ("api_input", "api_cached_input", "api_cache_write", "api_output", "seats", "images",
                     "closed_fixed", "closed_setup")
OPEN_COMPONENTS = ("gpu_rental", "hardware", "residual_value", "power", "colocation", "support", "staff",
                   "evaluation", "overhead", "open_setup")

COMPONENT_LABELS = {
    "api_input": "API input tokens", "api_cached_input": "API cached input", "api_cache_write": "API cache writes",
    "api_output": "API output tokens", "seats": "Seats", "images": "Images", "closed_fixed": "Fixed fees",
    "closed_setup": "Integration (one-off)", "gpu_rental": "GPU rental", "hardware": "Hardware",
    "residual_value": "Residual value", "power": "Power", "colocation": "Colocation", "support": "Support contract",
    "staff": "MLOps staff", "evaluation": "Evaluation & guardrails", "overhead": "Monitoring, storage, network",
    "open_setup": "Setup, migration, fine-tuning (one-off)",
    "hybrid_self_hosted": "Hybrid: own replicas", "hybrid_api": "Hybrid: API overflow",
}


# --------------------------------------------------------------------------- resolved numbers

@dataclass
class Assumption:
    value: Any
    unit: str
    source: str  # "scenario", "default", or "catalog: table key (date) url"

    def as_dict(self) -> dict:
        return {"value": self.value, "unit": self.unit, "source": self.source}


@dataclass
class ClosedPrices:
    """Closed-option prices after overrides [USD/1M tokens, USD/seat-month, USD/image]."""

    input: float = 0.0
    cached_input: float = 0.0
    cache_write: float = 0.0
    output: float = 0.0
    batch_input: float = math.nan
    batch_output: float = math.nan
    long_threshold: float = math.inf
    input_long: float = math.nan
    cached_input_long: float = math.nan
    output_long: float = math.nan
    per_seat_month: float = 0.0
    per_image: float = 0.0
    priced_tokens: bool = False
    label: str = ""


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


def _cat_source(table: str, row: dict, key: str) -> str:
    return f"catalog: {table} {key} ({row['effective_date']}) {row['source_url']}"


def _check_number(path: str, value, lo: float = 0.0, hi: float = math.inf, integer: bool = False,
                  lo_open: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(path, f"must be a number, got {value!r}") from None
    bad = not math.isfinite(v) if hi != math.inf else (math.isnan(v) or v == math.inf)
    if bad or v < lo or v > hi or (lo_open and v == lo) or (integer and v != int(v)):
        kind = "a whole number" if integer else "a number"
        rng = f"{'>' if lo_open else '>='} {lo:g}" + ("" if hi == math.inf else f" and <= {hi:g}")
        raise ScenarioError(path, f"must be {kind} {rng}, got {value!r}")
    return v


def _unit_price(path: str, override, unit: str, id_path: str, lookup, table: str, key, column: str,
                A: dict, labels: list) -> float:
    """A per-unit closed price (seat, image): the inline ``override``, else the catalog row
    ``lookup()`` returns (an unknown id is a :class:`ScenarioError` at ``id_path``); recorded in ``A``."""
    if override is not None:
        value = _check_number(path, override)
        A[path] = Assumption(value, unit, "scenario")
        return value
    try:
        row = lookup()
    except KeyError as exc:
        raise ScenarioError(id_path, exc.args[0]) from None
    value = float(row[column])
    A[path] = Assumption(value, unit, _cat_source(table, row, key(row)))
    labels.append(row["display_name"])
    return value


def _resolve_closed(c: ClosedOption, catalog: Catalog, vol: Volumes, A: dict, batch_share: float) -> ClosedPrices:
    p = ClosedPrices()
    for name in ("discount",):
        _check_number(f"closed.{name}", getattr(c, name), 0, 1)
    _check_number("closed.price_change_annual", c.price_change_annual, -0.99, 10)
    _check_number("closed.setup_usd", c.setup_usd)
    _check_number("closed.fixed_usd_per_month", c.fixed_usd_per_month)
    labels = []
    row = None
    if c.model is not None:
        try:
            row = catalog.api_price(c.model)
        except KeyError as exc:
            raise ScenarioError("closed.model", exc.args[0]) from None
        labels.append(row["display_name"])
    mapping = [  # (scenario field, catalog column, ClosedPrices attr, unit)
        ("input_usd_per_mtok", "usd_per_mtok_input", "input"),
        ("cached_input_usd_per_mtok", "usd_per_mtok_cached_input", "cached_input"),
        ("cache_write_usd_per_mtok", "usd_per_mtok_cache_write", "cache_write"),
        ("output_usd_per_mtok", "usd_per_mtok_output", "output"),
        ("batch_input_usd_per_mtok", "usd_per_mtok_batch_input", "batch_input"),
        ("batch_output_usd_per_mtok", "usd_per_mtok_batch_output", "batch_output"),
        ("long_context_threshold_tokens", "long_context_threshold_tokens", "long_threshold"),
        ("input_long_usd_per_mtok", "usd_per_mtok_input_long", "input_long"),
        ("cached_input_long_usd_per_mtok", "usd_per_mtok_cached_input_long", "cached_input_long"),
        ("output_long_usd_per_mtok", "usd_per_mtok_output_long", "output_long"),
    ]
    any_token_price = False
    for fld, col, attr in mapping:
        unit = "tokens" if attr == "long_threshold" else "USD/1M tokens"
        override = getattr(c, fld)
        if override is not None:
            v = _check_number(f"closed.{fld}", override, lo=1 if attr == "long_threshold" else 0)
            setattr(p, attr, v)
            A[f"closed.{fld}"] = Assumption(v, unit, "scenario")
            any_token_price = True
        elif row is not None and row.get(col) is not None:
            setattr(p, attr, float(row[col]))
            A[f"closed.{fld}"] = Assumption(float(row[col]), unit, _cat_source("api_prices", row, c.model))
            any_token_price = True
    if row is None and c.input_usd_per_mtok is None and c.output_usd_per_mtok is not None:
        raise ScenarioError("closed.input_usd_per_mtok", "required with output_usd_per_mtok")
    if row is None and c.output_usd_per_mtok is None and c.input_usd_per_mtok is not None:
        raise ScenarioError("closed.output_usd_per_mtok", "required with input_usd_per_mtok")
    # Missing optional prices fall back to the plain ones (no discount assumed).
    if (c.cached_input_usd_per_mtok is None) and (row is None or row.get("usd_per_mtok_cached_input") is None):
        p.cached_input = p.input
    if (c.cache_write_usd_per_mtok is None) and (row is None or row.get("usd_per_mtok_cache_write") is None):
        p.cache_write = p.input
    if math.isnan(p.cached_input_long):
        p.cached_input_long = p.cached_input * (p.input_long / p.input) if p.input > 0 and not math.isnan(p.input_long) else math.nan
    p.priced_tokens = any_token_price
    token_bill = vol.kind == "tokens" and vol.tokens_month0 > 0
    if token_bill and not any_token_price and c.seat_product is None and c.usd_per_seat_month is None:
        raise ScenarioError("closed.model", "choose a closed model (or give input_usd_per_mtok and "
                                            "output_usd_per_mtok, or a seat product)")
    if token_bill and any_token_price:
        if vol.input_tokens_per_request > p.long_threshold and math.isnan(p.input_long):
            raise ScenarioError("closed.input_long_usd_per_mtok",
                                "required: the prompt is above the long-context threshold")
        if batch_share > 0 and (math.isnan(p.batch_input) or math.isnan(p.batch_output)):
            raise ScenarioError("workload.batch_share",
                                f"{c.model or 'this model'} has no batch price: set batch_share to 0 or give "
                                "closed.batch_input_usd_per_mtok and closed.batch_output_usd_per_mtok")
    # seats and images: an inline price, else the catalog row
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


def _resolve_open(o: OpenOption, catalog: Catalog, vol: Volumes, A: dict) -> OpenParams:
    P = "open"
    if o.hosting not in ("cloud", "owned"):
        raise ScenarioError(f"{P}.hosting", f"must be one of: cloud, owned; got {o.hosting!r}")
    if o.billing not in ("always_on", "autoscaled"):
        raise ScenarioError(f"{P}.billing", f"must be one of: always_on, autoscaled; got {o.billing!r}")
    if o.capex_mode not in ("amortised", "cash"):
        raise ScenarioError(f"{P}.capex_mode", f"must be one of: amortised, cash; got {o.capex_mode!r}")
    if o.precision not in PRECISIONS:
        raise ScenarioError(f"{P}.precision", f"must be one of: {', '.join(PRECISIONS)}; got {o.precision!r}")
    g = int(_check_number(f"{P}.gpus_per_replica", o.gpus_per_replica, 1, 64, integer=True))
    _check_number(f"{P}.target_utilisation", o.target_utilisation, 0, 1, lo_open=True)
    _check_number(f"{P}.min_replicas", o.min_replicas, 0, 10_000, integer=True)
    _check_number(f"{P}.redundancy_replicas", o.redundancy_replicas, 0, 10_000, integer=True)
    _check_number(f"{P}.serving_efficiency", o.serving_efficiency, 0, 10, lo_open=True)
    for name, hi in (("useful_life_months", 600), ("cost_of_capital_annual", 1), ("residual_value_share", 1),
                     ("power_usd_per_kwh", 10), ("pue", 5), ("load_factor", 1), ("server_power_factor", 10),
                     ("colocation_usd_per_kw_month", 10_000), ("support_share_annual", 1), ("staff_fte_base", 1000),
                     ("replicas_per_fte", 1e12), ("fte_usd_per_year", 1e7), ("setup_engineer_months", 1000),
                     ("migration_usd", 1e10), ("fine_tuning_usd", 1e10), ("evaluation_usd_per_month", 1e9),
                     ("overhead_share", 5)):
        _check_number(f"{P}.{name}", getattr(o, name), 0, hi,
                      lo_open=name in ("useful_life_months", "replicas_per_fte", "pue"))
    if o.max_time_per_output_token_s is not None:
        _check_number(f"{P}.max_time_per_output_token_s", o.max_time_per_output_token_s, 0, 10, lo_open=True)

    model = gpu = None
    if o.model is not None:
        try:
            model = catalog.open_model(o.model)
        except KeyError as exc:
            raise ScenarioError(f"{P}.model", exc.args[0]) from None
    if o.gpu is not None:
        try:
            gpu = catalog.gpu(o.gpu)
        except KeyError as exc:
            raise ScenarioError(f"{P}.gpu", exc.args[0]) from None
    labels = [model["display_name"] if model else (o.model or "open model"),
              f"{g}x {gpu['display_name'] if gpu else (o.gpu or 'GPU')}"]

    # -- throughput per replica
    image = vol.kind == "images" or (model is not None and model["modality"] == "image")
    detail: dict = {}
    if image:
        if o.images_per_second_per_replica is not None:
            cap = _check_number(f"{P}.images_per_second_per_replica", o.images_per_second_per_replica, lo_open=True)
            src = "scenario"
        else:
            bench = benchmark_row(catalog, o, g, None, None, image=True)
            if bench is None:
                raise ScenarioError(f"{P}.images_per_second_per_replica",
                                    f"no images/s benchmark for {o.model} on {g}x {o.gpu} in {o.precision}: give it inline")
            cap = float(bench["images_per_second"])
            src = _cat_source("throughput_benchmarks", bench, f"{o.model}/{o.gpu}x{g}/{o.precision}")
        cap *= o.serving_efficiency
        A["open.images_per_second_per_replica"] = Assumption(cap, "images/s", src)
        out_tps = math.nan
    else:
        in_len, out_len = vol.input_tokens_per_request, vol.output_tokens_per_request
        if model is not None and gpu is not None:
            detail = modelled_throughput(model, gpu, o, g, in_len, out_len)
        if o.output_tokens_per_second_per_replica is not None:
            out_tps = _check_number(f"{P}.output_tokens_per_second_per_replica",
                                    o.output_tokens_per_second_per_replica, lo_open=True)
            src = "scenario"
        else:
            if model is None or gpu is None:
                missing = "model" if model is None else "gpu"
                raise ScenarioError(f"{P}.{missing}", "required (or give output_tokens_per_second_per_replica)")
            bench = benchmark_row(catalog, o, g, in_len, out_len, image=False)
            if bench is not None:
                out_tps = float(bench["output_tokens_per_second"])
                src = _cat_source("throughput_benchmarks", bench,
                                  f"{o.model}/{o.gpu}x{g}/{o.precision}/{bench['input_tokens']}:{bench['output_tokens']}")
            else:
                out_tps = float(detail["output_tokens_per_s"])
                src = (f"roofline model (tco.throughput): batch {detail['batch_size']:.0f} limited by "
                       f"{detail['batch_limit']}, {detail['time_per_output_token_s'] * 1000:.1f} ms/token")
        out_tps *= o.serving_efficiency
        A["open.output_tokens_per_second_per_replica"] = Assumption(out_tps, "tokens/s", src)
        cap = out_tps / out_len
    if not cap > 0:
        raise ScenarioError(f"{P}.gpus_per_replica", "the deployment serves no traffic (zero throughput)")

    # -- prices of hosting
    rate = math.nan
    if o.hosting == "cloud":
        if o.usd_per_gpu_hour is not None:
            rate = _check_number(f"{P}.usd_per_gpu_hour", o.usd_per_gpu_hour, 0, 1000)
            A["open.usd_per_gpu_hour"] = Assumption(rate, "USD/GPU-hour", "scenario")
        else:
            if o.gpu is None:
                raise ScenarioError(f"{P}.gpu", "required (or give usd_per_gpu_hour)")
            try:
                rrow = catalog.gpu_rate(o.provider, o.gpu, o.term)
            except KeyError as exc:
                fld = "provider" if "provider" in exc.args[0] else "term"
                raise ScenarioError(f"{P}.{fld}", exc.args[0]) from None
            rate = float(rrow["usd_per_gpu_hour"])
            A["open.usd_per_gpu_hour"] = Assumption(rate, "USD/GPU-hour", _cat_source(
                "gpu_rates", rrow, f"{o.provider}/{o.gpu}/{o.term}"))
        who = PROVIDER_NAMES.get(o.provider, o.provider) if o.usd_per_gpu_hour is None else "cloud"
        labels.append(f"{who}, {o.term.replace('_', ' ').replace('reserved ', 'reserved ')}")
        labels.append("autoscaled" if o.billing == "autoscaled" else "always on")
    gps = o.gpus_per_server if o.gpus_per_server is not None else (gpu["gpus_per_server"] if gpu else None)
    srv = o.server_usd
    tdp = o.tdp_watts if o.tdp_watts is not None else (gpu["tdp_watts"] if gpu else None)
    if o.hosting == "owned":
        if gps is None or tdp is None or (srv is None and gpu is None):
            raise ScenarioError(f"{P}.gpu", "required for owned hardware (or give gpus_per_server, server_usd "
                                            "and tdp_watts)")
        gps = int(_check_number(f"{P}.gpus_per_server", gps, 1, 64, integer=True))
        if srv is None:
            srv = gps * float(gpu["purchase_usd"])
            est = " (estimate)" if gpu.get("purchase_usd_is_estimate") else ""
            A["open.server_usd"] = Assumption(srv, "USD/server", _cat_source("gpus", gpu, o.gpu) +
                                              f": {gps} x purchase_usd{est}")
        else:
            srv = _check_number(f"{P}.server_usd", srv)
            A["open.server_usd"] = Assumption(srv, "USD/server", "scenario")
        tdp = _check_number(f"{P}.tdp_watts", tdp, 0, 10_000, lo_open=True)
        A["open.tdp_watts"] = Assumption(tdp, "W/GPU", "scenario" if o.tdp_watts is not None else
                                         _cat_source("gpus", gpu, o.gpu))
        A["open.gpus_per_server"] = Assumption(gps, "GPUs/server", "scenario" if o.gpus_per_server is not None
                                               else _cat_source("gpus", gpu, o.gpu))
        labels.append(f"owned, {o.capex_mode}")
    label = f"{labels[0]} on {labels[1]} ({', '.join(labels[2:])})"
    return OpenParams(hosting=o.hosting, billing=o.billing, gpus_per_replica=g, capacity_per_replica=cap,
                      output_tokens_per_second=out_tps, usd_per_gpu_hour=rate, gpus_per_server=int(gps or 1),
                      server_usd=float(srv or 0.0), tdp_watts=float(tdp or 0.0), label=label,
                      throughput_source=A.get("open.output_tokens_per_second_per_replica",
                                              A.get("open.images_per_second_per_replica")).source,
                      throughput_detail=detail)


def modelled_throughput(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float, out_len: float) -> dict:
    """Fit check and roofline throughput of the deployment (raises ScenarioError when it cannot fit)."""
    key = (tuple(sorted(model.items())), tuple(sorted(gpu.items())), o.precision, o.max_time_per_output_token_s,
           g, float(in_len), float(out_len))
    hit = _THROUGHPUT_CACHE.get(key)
    if hit is None:
        hit = modelled_throughput_uncached(model, gpu, o, g, in_len, out_len)
        if len(_THROUGHPUT_CACHE) > 4096:
            _THROUGHPUT_CACHE.clear()
        _THROUGHPUT_CACHE[key] = hit
    return dict(hit)


_THROUGHPUT_CACHE: dict[tuple, dict] = {}


def modelled_throughput_uncached(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float,
                                  out_len: float) -> dict:
    def num(v):
        return np.nan if v is None else float(v)
    try:
        res = tp.replica_throughput(
            model["total_params_b"], model["active_params_b"], num(model["layers"]), num(model["kv_heads"]),
            num(model["head_dim"]), gpu["memory_gb"], gpu["memory_bandwidth_tbps"], gpu["bf16_dense_tflops"],
            gpus_per_replica=g, precision=o.precision, input_tokens=in_len, output_tokens=out_len,
            kv_values_per_token_layer=model.get("kv_values_per_token_layer"),
            experts=model.get("experts"), experts_per_token=model.get("experts_per_token"),
            fp8_dense_tflops=gpu.get("fp8_dense_tflops"), fp4_dense_tflops=gpu.get("fp4_dense_tflops"),
            interconnect=gpu["interconnect"], max_time_per_output_token_s=o.max_time_per_output_token_s,
            model_id=model["model_id"], gpu_id=gpu["gpu_id"])
    except tp.DoesNotFitError as exc:
        raise ScenarioError("open.gpus_per_replica", str(exc)) from None
    except ValueError as exc:
        raise ScenarioError("open.precision", str(exc)) from None
    out = {}
    for k, v in res.to_dict().items():
        a = np.asarray(v)
        out[k] = a.item() if a.ndim == 0 else a
    return out


def benchmark_row(catalog: Catalog, o: OpenOption, g: int, in_len, out_len, image: bool) -> dict | None:
    """The measured row matching model x GPU x GPUs x precision (and, for text, lengths within 2x)."""
    col = "images_per_second" if image else "output_tokens_per_second"
    hits = [r for r in catalog.records("throughput_benchmarks")
            if r["model_id"] == o.model and r["gpu_id"] == o.gpu and r["gpu_count"] == g
            and r["precision"] == o.precision and r[col] is not None]
    if not hits:
        return None
    if image:
        return hits[-1]
    # Distance in log-length space; a row counts as matching when both lengths are within 2x.
    best, best_d = None, math.inf
    for r in hits:
        di = abs(math.log(max(r["input_tokens"], 1) / max(in_len, 1)))
        do = abs(math.log(max(r["output_tokens"], 1) / max(out_len, 1)))
        if di <= math.log(2) and do <= math.log(2) and di + do < best_d:
            best, best_d = r, di + do
    return best


def resolve(scenario: Scenario, catalog: Catalog) -> Resolved:
    """Check every input and take each number from the scenario, the catalog or a default."""
    h = _check_number("horizon_months", scenario.horizon_months, 1, MAX_HORIZON_MONTHS, integer=True)
    if scenario.as_of is not None:
        try:
            catalog = catalog.at(scenario.as_of)
        except ValueError as exc:
            raise ScenarioError("as_of", str(exc).removeprefix("as_of: ")) from None
    w = scenario.workload
    vol = resolve_volumes(w, int(h))
    for name in ("cached_input_share", "cache_write_share", "batch_share"):
        _check_number(f"workload.{name}", getattr(w, name), 0, 1)
    if w.cached_input_share + w.cache_write_share > 1:
        raise ScenarioError("workload.cache_write_share", "cached_input_share + cache_write_share must be <= 1")
    _check_number("workload.peak_to_average", w.peak_to_average, 1, 24)
    if w.load_profile is not None:
        from tco.hybrid import load_profile
        try:
            weights = load_profile(w.load_profile)
        except (ValueError, TypeError) as exc:
            raise ScenarioError("workload.load_profile", str(exc)) from None
        scenario = replace(scenario, workload=replace(w, peak_to_average=float(weights.max())))
        w = scenario.workload
    _check_number("finance.discount_rate_annual", scenario.finance.discount_rate_annual, -0.5, 1)
    A: dict[str, Assumption] = {}
    closed = _resolve_closed(scenario.closed, catalog, vol, A, float(w.batch_share))
    open_ = _resolve_open(scenario.open, catalog, vol, A)
    A["workload.input_tokens_per_request"] = Assumption(vol.input_tokens_per_request, "tokens", "scenario")
    A["workload.output_tokens_per_request"] = Assumption(
        vol.output_tokens_per_request, "tokens",
        "scenario" if w.output_tokens_per_request is not None else "derived from the input/output split")
    A["catalog.as_of"] = Assumption(catalog.as_of.isoformat(), "date", "scenario" if scenario.as_of else "default: today")
    return Resolved(scenario=scenario, volumes=vol, closed=closed, open=open_, assumptions=A)


# --------------------------------------------------------------------------- cost arrays

def closed_costs(R: Resolved, volume_scale=1.0, steady: bool = False) -> dict[str, np.ndarray]:
    """Monthly cost of the closed option by component [USD/month].

    ``volume_scale`` multiplies the workload (scalar or array broadcasting against months,
    e.g. shape (N, 1) for a sweep).  ``steady`` prices one month at month-0 prices and
    volume, without one-offs (for the break-even volume).
    """
    w, vol, p = R.scenario.workload, R.volumes, R.closed
    c = R.scenario.closed
    growth = np.ones(1) if steady else vol.growth
    months = np.arange(growth.shape[-1], dtype=float)
    scale = np.asarray(volume_scale, dtype=float)
    change = np.asarray(c.price_change_annual, dtype=float)      # scalar, or (S, 1) in a sweep
    if steady or not change.any():
        factor = (1.0 - np.asarray(c.discount, dtype=float)) * np.ones_like(months)
    else:
        factor = (1.0 - np.asarray(c.discount, dtype=float)) * np.power(1.0 + change, months / 12.0)
    tokens = vol.tokens_month0 * growth * scale
    tin = tokens * vol.input_share
    tout = tokens - tin
    long = vol.input_tokens_per_request > p.long_threshold
    pin = p.input_long if long else p.input
    pcached = p.cached_input_long if long else p.cached_input
    pout = p.output_long if long else p.output
    pwrite = p.cache_write * (p.input_long / p.input if long and p.input > 0 else 1.0)
    b = w.batch_share
    # Batch discount applies to uncached input and to output; cache reads and writes keep their price.
    bin_ratio = (p.batch_input / p.input) if b > 0 and p.input > 0 else 1.0
    bout_ratio = (p.batch_output / p.output) if b > 0 and p.output > 0 else 1.0
    uncached = tin * (1.0 - w.cached_input_share - w.cache_write_share)
    out: dict[str, np.ndarray] = {}
    zeros = np.zeros(np.broadcast_shapes(tokens.shape, factor.shape))
    if p.priced_tokens:
        out["api_input"] = uncached * pin * ((1 - b) + b * bin_ratio) / 1e6 * factor
        out["api_cached_input"] = tin * w.cached_input_share * pcached / 1e6 * factor
        out["api_cache_write"] = tin * w.cache_write_share * pwrite / 1e6 * factor
        out["api_output"] = tout * pout * ((1 - b) + b * bout_ratio) / 1e6 * factor
    else:
        for k in ("api_input", "api_cached_input", "api_cache_write", "api_output"):
            out[k] = zeros
    out["seats"] = vol.seats_month0 * growth * scale * p.per_seat_month * factor
    out["images"] = vol.images_month0 * growth * scale * p.per_image * factor
    out["closed_fixed"] = zeros + c.fixed_usd_per_month
    setup = np.zeros_like(months)
    if not steady:
        setup[0] = c.setup_usd
    out["closed_setup"] = zeros + setup
    return {k: _full(v, zeros.shape) for k, v in out.items()}


def fleet(R: Resolved, volume_scale=1.0, steady: bool = False) -> dict[str, np.ndarray]:
    """Replicas, GPUs and utilisation needed each month [-].

    replicas = max(min_replicas, ceil(peak load / (capacity x target utilisation))) + redundancy.
    For autoscaled rental, ``billed_replicas`` follows the average load instead:
    max(min_replicas, average load / (capacity x target utilisation)) + redundancy.
    """
    vol, P, o = R.volumes, R.open, R.scenario.open
    growth = np.ones(1) if steady else vol.growth
    scale = np.asarray(volume_scale, dtype=float)
    if vol.kind == "images":
        avg = vol.images_month0 * growth * scale / SECONDS_PER_MONTH                        # images/s
    else:
        avg = vol.tokens_month0 * vol.input_share * growth * scale / vol.input_tokens_per_request / SECONDS_PER_MONTH
    peak = avg * R.scenario.workload.peak_to_average
    per_replica = P.capacity_per_replica * o.target_utilisation
    needed = np.ceil(np.round(peak / per_replica, 9))
    replicas = np.maximum(o.min_replicas, needed) + o.redundancy_replicas
    billed = replicas
    if o.hosting == "cloud" and o.billing == "autoscaled":
        billed = np.maximum(o.min_replicas, avg / per_replica) + o.redundancy_replicas
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(replicas > 0, avg / (replicas * P.capacity_per_replica), 0.0)
    return {"replicas": replicas, "billed_replicas": billed, "gpus": replicas * P.gpus_per_replica,
            "utilisation": util, "avg_load": avg, "peak_load": peak}


def open_costs(R: Resolved, volume_scale=1.0, steady: bool = False, fl: dict | None = None) -> dict[str, np.ndarray]:
    """Monthly cost of the self-hosted option by component [USD/month]."""
    P, o = R.open, R.scenario.open
    fl = fl if fl is not None else fleet(R, volume_scale, steady)
    replicas = fl["replicas"]
    shape = replicas.shape
    H = shape[-1]
    zeros = np.zeros(shape)
    out = {k: zeros for k in OPEN_COMPONENTS}
    if P.hosting == "cloud":
        out["gpu_rental"] = fl["billed_replicas"] * P.gpus_per_replica * HOURS_PER_MONTH * P.usd_per_gpu_hour
        infra = out["gpu_rental"]
    else:
        servers_needed = np.ceil(np.round(replicas * P.gpus_per_replica / P.gpus_per_server, 9))
        servers = np.maximum.accumulate(servers_needed, axis=-1)          # bought, never sold within the plan
        gpus_installed = servers * P.gpus_per_server
        r_m = float(monthly_rate(o.cost_of_capital_annual))
        life = float(o.useful_life_months)
        if o.capex_mode == "amortised" or steady:
            # Every installed server costs its annuity (net of the discounted residual) each month;
            # at the end of its life it is replaced, so the payment continues.
            net = P.server_usd * (1.0 - o.residual_value_share * (1.0 + r_m) ** (-life))
            out["hardware"] = servers * net * annuity(r_m, life)
        else:
            purchases = np.diff(servers, axis=-1, prepend=0.0)
            buys = purchases.copy()
            k = int(math.ceil(life)) if math.isfinite(life) else H + 1
            shift = k
            while shift < H:                                   # replacements at end of life (loop over cycles)
                buys[..., shift:] += purchases[..., : H - shift]
                shift += k
            out["hardware"] = buys * P.server_usd
            # Residual value of the fleet at the end of the horizon, credited in the last month:
            # straight-line from the price to residual_value_share x price over the useful life.
            bought_at = np.arange(H, dtype=float)
            age = (H - bought_at) % k if math.isfinite(life) else (H - bought_at)
            age = np.where(age == 0, k, age) if math.isfinite(life) else age
            value_share = np.maximum(o.residual_value_share, 1.0 - (1.0 - o.residual_value_share) * age / life) \
                if math.isfinite(life) else np.ones(H)
            credit = np.zeros(shape)
            credit[..., -1] = -(purchases * value_share).sum(axis=-1) * P.server_usd
            out["residual_value"] = credit
        kw_provisioned = gpus_installed * P.tdp_watts * o.server_power_factor / 1000.0
        out["power"] = kw_provisioned * o.load_factor * o.pue * HOURS_PER_MONTH * o.power_usd_per_kwh
        out["colocation"] = kw_provisioned * o.colocation_usd_per_kw_month
        out["support"] = servers * P.server_usd * o.support_share_annual / 12.0
        infra = out["hardware"] + out["power"] + out["colocation"] + out["support"]
    fte = o.staff_fte_base + replicas / o.replicas_per_fte
    out["staff"] = fte * o.fte_usd_per_year / 12.0
    out["evaluation"] = zeros + o.evaluation_usd_per_month
    out["overhead"] = infra * o.overhead_share
    setup = np.zeros(shape)
    if not steady:
        one_off = o.setup_engineer_months * np.asarray(o.fte_usd_per_year, dtype=float) / 12.0 + o.migration_usd \
            + o.fine_tuning_usd
        setup[..., 0] = np.reshape(one_off, np.shape(one_off)[:-1]) if np.ndim(one_off) > 1 else one_off
    out["open_setup"] = setup
    return {k: _full(v, shape) for k, v in out.items()}


def _full(v, shape) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v if v.shape == shape else np.broadcast_to(v, shape)


def _total(parts: dict[str, np.ndarray]) -> np.ndarray:
    it = iter(parts.values())
    total = np.array(next(it), dtype=float)
    for v in it:          # a handful of components, each a whole array
        total += v
    return total


# --------------------------------------------------------------------------- break-even

_ONE = np.ones(1)
_LOCATING_GRID = np.geomspace(1e3, 1e16, 261)   # 12% steps: it only locates the break-even crossing


def steady_costs(R: Resolved, volumes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steady monthly cost of each option at each volume, and the replicas [USD/month, -].

    ``volumes`` are monthly volumes (tokens, or images for image workloads) of any shape;
    month-0 prices, no growth, no one-off costs, capex amortised.
    """
    vol = R.volumes
    base = vol.images_month0 if vol.kind == "images" else vol.tokens_month0
    if base <= 0:
        raise ScenarioError("workload", "a break-even curve needs a volume > 0")
    v = np.asarray(volumes, dtype=float)
    scale = (v / base)[..., None]
    if R.open.hosting == "cloud" and vol.kind == "tokens":      # the folded path, as in sweep()
        steady = R if len(vol.growth) == 1 and vol.growth[0] == 1.0 else replace(R, volumes=replace(vol, growth=_ONE))
        closed, opened, replicas = _sweep_totals_cloud(steady, scale, None, steady=True)
        return closed[..., 0], opened[..., 0], replicas[..., 0]
    closed = _total(closed_costs(R, scale, steady=True))[..., 0]
    fl = fleet(R, scale, steady=True)
    opened = _total(open_costs(R, scale, steady=True, fl=fl))[..., 0]
    return closed, opened, fl["replicas"][..., 0]


def breakeven_curve(R: Resolved, volumes=None, n: int = 200, lo: float | None = None,
                    hi: float | None = None) -> pd.DataFrame:
    """Steady monthly cost of both options over log-spaced volumes [USD/month].

    Columns: volume (tokens or images per month), closed_usd, open_usd, replicas and, for
    token workloads, closed_usd_per_mtok and open_usd_per_mtok.  By default ``n`` volumes
    from 1/1000 to 1000 x the workload's month-0 volume.
    """
    vol = R.volumes
    base = vol.images_month0 if vol.kind == "images" else vol.tokens_month0
    if volumes is None:
        ref = base if base > 0 else 1e9
        volumes = np.geomspace(lo or ref / 1000.0, hi or ref * 1000.0, n)
    v = np.asarray(volumes, dtype=float)
    closed, opened, replicas = steady_costs(R, v)
    df = pd.DataFrame({"volume": v, "closed_usd": closed, "open_usd": opened, "replicas": replicas})
    if vol.kind == "tokens":
        df["closed_usd_per_mtok"] = closed / v * 1e6
        df["open_usd_per_mtok"] = opened / v * 1e6
    return df


@dataclass
class BreakEven:
    value: float | None
    reason: str


def breakeven_volume(R: Resolved) -> BreakEven:
    """The steady monthly volume from which self-hosting is, and stays, cheaper.

    Between two replica thresholds (volumes where one more replica is needed) every
    self-hosted cost is constant or linear in volume (autoscaled rental), and so is the
    closed cost: their difference is linear on each interval and can only turn dearer at a
    threshold, where self-hosting steps up.  A log grid over 10^3..10^16 locates the last
    dearer volume; the thresholds around it are then checked one by one (as arrays) and
    the crossing is solved exactly on the last interval where self-hosting is dearer.
    """
    vol = R.volumes
    unit = "images" if vol.kind == "images" else "tokens"
    if vol.kind == "tokens" and not R.closed.priced_tokens:
        return BreakEven(None, "the closed option is not priced per token")
    base = vol.images_month0 if vol.kind == "images" else vol.tokens_month0
    if base <= 0:
        return BreakEven(None, "the workload has no volume")
    grid = _LOCATING_GRID
    if len(vol.growth) != 1 or vol.growth[0] != 1.0:        # one steady view for the three passes below
        R = replace(R, volumes=replace(vol, growth=_ONE))
        vol = R.volumes
    closed, opened, _ = steady_costs(R, grid)
    d = opened - closed
    dearer = d > 1e-9 * closed
    if not dearer.any():
        return BreakEven(0.0, f"self-hosting is cheaper at every volume from {grid[0]:.0f} {unit}/month up")
    last = int(np.flatnonzero(dearer)[-1])
    if last == len(grid) - 1:
        per = 1e6 if unit == "tokens" else 1.0
        return BreakEven(None, f"self-hosting stays dearer at every volume: at scale it costs "
                               f"{opened[-1] / grid[-1] * per:.4g} USD per {'1M tokens' if unit == 'tokens' else 'image'}"
                               f" against the closed option's {closed[-1] / grid[-1] * per:.4g}")
    # Replica thresholds: volume V needs ceil(V x peak_per_volume / per_replica) replicas.
    fl = fleet(R, 1.0, steady=True)
    peak_per_volume = float(fl["peak_load"][0]) / base
    per_replica = R.open.capacity_per_replica * R.scenario.open.target_utilisation
    step_volume = per_replica / peak_per_volume                       # volume served per extra replica
    # How much one replica step can add: compare the cost just above and at a threshold.
    n_here = max(1.0, math.floor(grid[last] / step_volume))
    probe = np.array([n_here * step_volume, n_here * step_volume * (1 + 1e-9)])
    _, o_probe, _ = steady_costs(R, probe)
    step_cost = max(float(o_probe[1] - o_probe[0]), 0.0)
    # Beyond the first grid volume where self-hosting is cheaper by more than two steps, it stays cheaper.
    ahead = np.flatnonzero((np.arange(len(grid)) > last) & (-d > 2 * step_cost + 1e-9 * closed))
    v_safe = grid[ahead[0]] if len(ahead) else grid[-1]
    n_lo = max(0, math.floor(grid[max(last - 1, 0)] / step_volume) - 1)
    n_hi = math.ceil(v_safe / step_volume) + 1
    if n_hi - n_lo > 200_000:   # too many thresholds to list: keep the grid's answer
        return BreakEven(float(grid[last + 1]), f"self-hosting is cheaper from about {grid[last + 1]:,.4g} {unit}/month on")
    n = np.arange(n_lo, n_hi + 1, dtype=float)
    left = np.maximum(n * step_volume * (1 + 1e-9), grid[0])          # just above a threshold
    right = (n + 1) * step_volume                                     # the next threshold
    c_lr, o_lr, _ = steady_costs(R, np.concatenate([left, right]))      # both ends in one pass
    d_l, d_r = (o_lr - c_lr)[: len(n)], (o_lr - c_lr)[len(n):]
    c_l, c_r = c_lr[: len(n)], c_lr[len(n):]
    bad = (d_l > 1e-9 * c_l) | (d_r > 1e-9 * c_r)
    if not bad.any():
        value = float(left[0])
    else:
        i = int(np.flatnonzero(bad)[-1])
        if d_r[i] > 0:          # dearer up to the threshold itself (cannot happen with a cost step up)
            value = float(right[i])
        else:                   # linear on the interval: solve d = 0
            value = float(left[i] + d_l[i] * (right[i] - left[i]) / (d_l[i] - d_r[i]))
    return BreakEven(value, f"self-hosting is cheaper from {value:,.4g} {unit}/month on")


def breakeven_month(closed_monthly: np.ndarray, open_monthly: np.ndarray) -> np.ndarray:
    """First time, in months from the start, when cumulative self-hosted cost <= closed [months].

    Costs of month m accrue evenly through it, so the cumulative difference is piecewise
    linear between month ends and the crossing is interpolated within the month.
    NaN when it never happens within the horizon.  Works on (..., months) arrays.

    >>> float(breakeven_month(np.array([10., 10., 10.]), np.array([25., 0., 0.])))
    2.5
    """
    d = np.subtract(open_monthly, closed_monthly)
    np.cumsum(d, axis=-1, out=d)                                        # at the end of month m (t = m+1)
    below = d <= 0
    first = np.argmax(below, axis=-1)                                   # first month end at or below zero
    found = below.any(axis=-1)
    cur = np.take_along_axis(d, first[..., None], axis=-1)[..., 0]
    # The difference at the start of that month: 0 at t = 0, else the previous month end.
    prev = np.where(first > 0, np.take_along_axis(d, np.maximum(first - 1, 0)[..., None], axis=-1)[..., 0], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(prev > 0, prev / (prev - cur), 0.0)
    t = first + frac
    return np.where(found, t, np.nan)


def breakevens(R: Resolved, closed_total=None, open_total=None) -> dict:
    """Both break-evens of a resolved scenario, with a sentence saying why (or why not)."""
    if closed_total is None:
        closed_total, open_total = _total(closed_costs(R)), _total(open_costs(R))
    vol = breakeven_volume(R)
    month = float(breakeven_month(closed_total, open_total))
    H = len(closed_total)
    return {
        "breakeven_volume_per_month": vol.value,
        "breakeven_volume_reason": vol.reason,
        "breakeven_month": None if math.isnan(month) else month,
        "breakeven_month_reason": (f"cumulative self-hosted cost falls to the closed option's after {month:.1f} months"
                                   if not math.isnan(month) else
                                   f"cumulative self-hosted cost stays above the closed option's for all {H} months"),
    }


# --------------------------------------------------------------------------- sweeps

def sweep(R: Resolved, volume_scale=1.0, monthly_growth=None, closed_price_scale=None,
          **params) -> dict[str, np.ndarray]:
    """Evaluate many variants of one resolved scenario at once, as arrays (samples x months).

    Parameters
    ----------
    R : a resolved scenario (:func:`resolve`).
    volume_scale : array (S,) multiplying the workload's volume [-].
    monthly_growth : array (S,) replacing the compound growth [1/month]; None keeps the scenario's.
    closed_price_scale : array (S,) multiplying every closed price (tokens, seats, images) [-].
    **params : arrays (S,) replacing resolved numbers, named ``closed__<field>`` (a
        :class:`ClosedPrices` field such as ``closed__input`` [USD/1M tokens], or a
        :class:`~tco.scenario.ClosedOption` field such as ``closed__price_change_annual``) or
        ``open__<field>`` (an :class:`OpenParams` field such as ``open__usd_per_gpu_hour`` or
        ``open__capacity_per_replica``, or an :class:`~tco.scenario.OpenOption` field such as
        ``open__target_utilisation``).

    Returns
    -------
    dict with ``closed`` and ``open`` monthly totals (S, H) [USD/month], their ``*_total`` over
    the horizon [USD] and ``breakeven_month`` (S,) [months, NaN = never].
    """
    closed_p, closed_o, open_p, open_o = R.closed, R.scenario.closed, R.open, R.scenario.open
    col = lambda a: np.asarray(a, dtype=float)[..., None]  # noqa: E731  (S,) -> (S, 1) against months
    kw = {"cp": {}, "co": {}, "op": {}, "oo": {}}
    for name, arr in params.items():
        section, _, fld = name.partition("__")
        if section == "closed" and fld in ClosedPrices.__dataclass_fields__:
            kw["cp"][fld] = col(arr)
        elif section == "closed" and fld in ClosedOption.__dataclass_fields__:
            kw["co"][fld] = col(arr)
        elif section == "open" and fld in OpenParams.__dataclass_fields__:
            kw["op"][fld] = col(arr)
        elif section == "open" and fld in OpenOption.__dataclass_fields__:
            kw["oo"][fld] = col(arr)
        else:
            raise ValueError(f"sweep: unknown parameter {name!r}")
    scenario = replace(R.scenario, closed=replace(closed_o, **kw["co"]), open=replace(open_o, **kw["oo"]))
    volumes = R.volumes
    if monthly_growth is not None:
        months = np.arange(len(R.volumes.growth), dtype=float)
        volumes = replace(volumes, growth=np.power(1.0 + col(monthly_growth), months))
    R2 = replace(R, closed=replace(closed_p, **kw["cp"]), open=replace(open_p, **kw["op"]), scenario=scenario,
                 volumes=volumes)
    scale = col(volume_scale)
    if R2.open.hosting == "cloud" and R2.volumes.kind == "tokens":
        closed, opened = _sweep_totals_cloud(R2, scale, None if closed_price_scale is None else col(closed_price_scale))
    else:
        parts = closed_costs(R2, scale)
        if closed_price_scale is not None:
            ps = col(closed_price_scale)
            for k in ("api_input", "api_cached_input", "api_cache_write", "api_output", "seats", "images"):
                parts[k] = parts[k] * ps
        closed = _total(parts)
        opened = _total(open_costs(R2, scale))
    return {"closed": closed, "open": opened, "closed_total": closed.sum(axis=-1),
            "open_total": opened.sum(axis=-1), "breakeven_month": breakeven_month(closed, opened)}


def _sweep_totals_cloud(R: Resolved, scale, price_scale, steady: bool = False):
    """Monthly totals of both options for a token workload on rented GPUs, in few array passes.

    The same arithmetic as :func:`closed_costs` + :func:`open_costs` (a test holds them equal),
    folded so that every per-sample number is a (S, 1) coefficient and only a handful of
    operations touch the (S, H) arrays: the closed cost is volume x a blended price per token,
    the self-hosted cost is billed replicas x a per-replica rate + replicas x a staff share
    + a fixed part.  ``steady``: no price change, no one-off costs, and the replicas are
    returned too (for :func:`steady_costs`).
    """
    w, vol, p, c, P, o = R.scenario.workload, R.volumes, R.closed, R.scenario.closed, R.open, R.scenario.open
    H = vol.growth.shape[-1]
    months = np.arange(H, dtype=float)
    growth = vol.growth                                                  # (H,) or (S, H)
    change = np.asarray(c.price_change_annual, dtype=float)
    factor = np.power(1.0 + change, months / 12.0) if change.any() and not steady else None
    # closed: one blended price per token [USD/token]
    long = vol.input_tokens_per_request > p.long_threshold
    pin = p.input_long if long else p.input
    pcached = p.cached_input_long if long else p.cached_input
    pout = p.output_long if long else p.output
    pwrite = p.cache_write * (p.input_long / p.input if long and np.all(np.asarray(p.input) > 0) else 1.0)
    b, cs, ws = w.batch_share, w.cached_input_share, w.cache_write_share
    bin_ratio = p.batch_input / p.input if b > 0 else 1.0
    bout_ratio = p.batch_output / p.output if b > 0 else 1.0
    per_token = 0.0
    if p.priced_tokens:
        per_token = (vol.input_share * ((1 - cs - ws) * pin * ((1 - b) + b * bin_ratio) + cs * pcached + ws * pwrite)
                     + (1 - vol.input_share) * pout * ((1 - b) + b * bout_ratio)) / 1e6
    coef = (vol.tokens_month0 * per_token + vol.seats_month0 * p.per_seat_month) * scale \
        * (1.0 - np.asarray(c.discount, dtype=float))
    if price_scale is not None:
        coef = coef * price_scale
    # (S, H) arrays are written in place: at 100,000 x 60 each fresh array costs more than the arithmetic
    closed = np.multiply(growth, coef)
    if factor is not None:
        closed *= factor
    if c.fixed_usd_per_month:
        closed += c.fixed_usd_per_month
    if not steady:
        closed[..., 0] += c.setup_usd
    # self-hosted: replicas from the peak, billed hours, staff
    avg_coef = vol.tokens_month0 * vol.input_share / vol.input_tokens_per_request / SECONDS_PER_MONTH * scale
    per_replica = P.capacity_per_replica * o.target_utilisation
    replicas = np.multiply(growth, avg_coef * w.peak_to_average / per_replica)
    np.round(replicas, 9, out=replicas)
    np.ceil(replicas, out=replicas)
    np.maximum(replicas, o.min_replicas, out=replicas)
    if np.any(o.redundancy_replicas):
        replicas += o.redundancy_replicas
    fte_month = np.asarray(o.fte_usd_per_year, dtype=float) / 12.0
    rate = P.gpus_per_replica * HOURS_PER_MONTH * P.usd_per_gpu_hour * (1.0 + o.overhead_share)
    if o.billing == "autoscaled":
        opened = np.multiply(growth, avg_coef / per_replica)
        np.maximum(opened, o.min_replicas, out=opened)
        opened += o.redundancy_replicas
        opened *= rate
        opened += replicas * (fte_month / o.replicas_per_fte)
    else:   # always on: billed replicas are the replicas; rental and staff share one multiply
        opened = np.multiply(replicas, rate + fte_month / o.replicas_per_fte)
    opened += o.staff_fte_base * fte_month + o.evaluation_usd_per_month
    if steady:
        return closed, opened, replicas
    one_off = o.setup_engineer_months * fte_month + o.migration_usd + o.fine_tuning_usd
    opened[..., 0] += np.reshape(one_off, np.shape(one_off)[:-1]) if np.ndim(one_off) > 1 else one_off
    return closed, opened


# --------------------------------------------------------------------------- result

def records(columns) -> list[dict]:
    """Rows as dicts from named columns (a dict of arrays or a DataFrame), NaN as None (JSON-ready).

    Built column-wise with ``tolist``: fast for the few hundred rows of a monthly table.

    >>> records({"a": np.array([1.0, np.nan]), "b": np.array(["x", "y"])})
    [{'a': 1.0, 'b': 'x'}, {'a': None, 'b': 'y'}]
    """
    names = tuple(str(n) for n in columns)
    cols = []
    for name in columns:
        values = np.asarray(columns[name])
        if values.dtype.kind == "f" and np.isnan(values).any():
            obj = values.astype(object)
            obj[np.isnan(values)] = None
            cols.append(obj.tolist())
        else:
            cols.append(values.tolist())
    return _row_builder(names)(cols)


@functools.lru_cache(maxsize=64)
def _row_builder(names: tuple[str, ...]):
    """A function turning columns into row dicts with a dict display per row: about twice as fast
    as ``dict(zip(names, row))``, which matters for the API's monthly schedule.  The keys are
    inserted with ``repr``, so any column name is safe."""
    body = ", ".join(f"{name!r}: r[{i}]" for i, name in enumerate(names))
    return eval(f"lambda cols: [{{{body}}} for r in zip(*cols)]")  # noqa: S307  (keys are repr-quoted)


@dataclass
class Result:
    """What :func:`evaluate` returns.

    ``monthly``: tidy DataFrame with one row per month x option x component: month, option
    ('closed' | 'self_hosted'), component, label, usd, tokens, images, replicas, gpus,
    utilisation.  ``summary``: totals, NPV, unit costs, both break-evens, labels.
    ``assumptions``: every number used, with its unit and source.
    """

    scenario: Scenario
    columns: dict          # the monthly table as numpy columns (built into a DataFrame on first use)
    summary: dict
    assumptions: dict
    resolved: Resolved
    hybrid: object = None  # a tco.hybrid.HybridPlan when evaluate(..., hybrid=True)

    @functools.cached_property
    def monthly(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)

    def monthly_records(self) -> list[dict]:
        """The monthly table as a list of dicts, NaN as None (for JSON), without a DataFrame."""
        return records(self.columns)

    def totals_by_month(self) -> pd.DataFrame:
        """Wide table: month x option -> usd, plus cumulative columns."""
        wide = self.monthly.pivot_table(index="month", columns="option", values="usd", aggfunc="sum")
        options = ["closed", "self_hosted"] + (["hybrid"] if self.hybrid is not None else [])
        wide = wide.reindex(columns=options, index=range(self.summary["horizon_months"]))
        wide = wide.fillna(0.0)   # an option whose every component is zero has no rows
        for c in options:
            wide[f"{c}_cumulative"] = wide[c].cumsum()
        return wide

    def curve(self, n: int = 200, lo: float | None = None, hi: float | None = None) -> pd.DataFrame:
        """Steady monthly cost of both options over ``n`` log-spaced volumes (see :func:`breakeven_curve`)."""
        return breakeven_curve(self.resolved, n=n, lo=lo, hi=hi)


def hybrid_applies(R: Resolved) -> bool:
    """A hybrid split needs a closed option billed by usage (tokens or images), not per seat."""
    return not (R.volumes.seats_month0 > 0 and R.closed.per_seat_month > 0)


def evaluate(scenario: Scenario, catalog: Catalog, hybrid: bool = False,
             hybrid_committed: bool | None = None) -> Result:
    """Price both options month by month and find where they cross.

    With ``hybrid=True`` the cheapest mix (own replicas for the base load, the API for the
    overflow, :func:`tco.hybrid.plan`) is added beside them: option ``hybrid`` in
    ``monthly``, ``hybrid_*`` keys in ``summary`` and the plan in ``Result.hybrid``;
    ``hybrid_committed`` forces (True) or forbids (False) a never-falling number of replicas.

    Raises :class:`ScenarioError` naming the field for any invalid input, unknown id or a
    deployment that does not fit in memory.
    """
    R = resolve(scenario, catalog)
    H = int(scenario.horizon_months)
    vol = R.volumes
    closed = closed_costs(R)
    fl = fleet(R)
    opened = open_costs(R, fl=fl)
    closed_total = _total(closed)
    open_total = _total(opened)
    tokens = vol.total_tokens() if vol.kind == "tokens" else np.zeros(H)
    images = vol.images_month0 * vol.growth if vol.kind == "images" else np.zeros(H)

    plan = None
    sections = [("closed", closed), ("self_hosted", opened)]
    if hybrid and not hybrid_applies(R):
        hybrid = False            # a seat licence cannot hand only the peaks to the closed product
    if hybrid:
        from tco.hybrid import plan as hybrid_plan
        plan = hybrid_plan(R, scenario.workload.load_profile, committed=hybrid_committed)
        sections.append(("hybrid", {"hybrid_self_hosted": plan.self_hosted_usd, "hybrid_api": plan.api_usd}))
    names = [(o, c) for o, parts in sections for c in parts]
    lookup = dict(sections)
    usd = np.stack([np.asarray(lookup[o][c], dtype=float) for o, c in names])   # (components, months)
    keep = (usd != 0).any(axis=1)                                                 # drop all-zero components
    names = [n for n, k in zip(names, keep) if k]
    usd = usd[keep]
    k = len(names)
    is_open = np.repeat(np.array([o == "self_hosted" for o, _ in names]), H)
    fleet_rep = np.tile(fl["replicas"], k)
    if plan is not None:     # the hybrid rows carry the plan's own replicas
        is_hyb = np.repeat(np.array([o == "hybrid" for o, _ in names]), H)
        fleet_rep = np.where(is_hyb, np.tile(plan.replicas, k), fleet_rep)
        is_open = is_open | is_hyb
    monthly_columns = {
        "month": np.tile(np.arange(H), k),
        "option": np.repeat([o for o, _ in names], H),
        "component": np.repeat([c for _, c in names], H),
        "label": np.repeat([COMPONENT_LABELS[c] for _, c in names], H),
        "usd": usd.ravel(),
        "tokens": np.tile(tokens, k),
        "images": np.tile(images, k),
        "replicas": np.where(is_open, fleet_rep, np.nan),
        "gpus": np.where(is_open, fleet_rep * R.open.gpus_per_replica, np.nan),
        "utilisation": np.where(is_open, np.tile(fl["utilisation"], k), np.nan),
    }

    rate = scenario.finance.discount_rate_annual
    df = discount_factors(rate, H)
    units = tokens if vol.kind == "tokens" else images
    per = 1e6 if vol.kind == "tokens" else 1.0
    disc_units = float((units * df).sum())

    def unit_cost(total):
        return float((total * df).sum() / disc_units * per) if disc_units > 0 else None

    be = breakevens(R, closed_total, open_total)
    summary = {
        "horizon_months": H,
        "unit": "1M tokens" if vol.kind == "tokens" else "image",
        "closed_label": R.closed.label,
        "open_label": R.open.label,
        "billing_label": ("autoscaled rental: billed GPU-hours follow the average load"
                          if R.open.hosting == "cloud" and R.open.billing == "autoscaled" else
                          "always-on rental: every provisioned GPU billed 730 h/month"
                          if R.open.hosting == "cloud" else
                          f"owned hardware, capex {scenario.open.capex_mode}"),
        "closed_total_usd": float(closed_total.sum()),
        "open_total_usd": float(open_total.sum()),
        "savings_usd": float(closed_total.sum() - open_total.sum()),
        "closed_npv_usd": float((closed_total * df).sum()),
        "open_npv_usd": float((open_total * df).sum()),
        "savings_npv_usd": float(((closed_total - open_total) * df).sum()),
        "closed_levelised_usd_per_unit": unit_cost(closed_total),
        "open_levelised_usd_per_unit": unit_cost(open_total),
        "total_tokens": float(tokens.sum()),
        "total_images": float(images.sum()),
        **be,
        "peak_replicas": int(fl["replicas"].max()),
        "peak_gpus": int(fl["gpus"].max()),
        "mean_utilisation": float(fl["utilisation"].mean()),
        "output_tokens_per_second_per_replica": None if math.isnan(R.open.output_tokens_per_second)
        else R.open.output_tokens_per_second,
        "capacity_per_replica_per_s": R.open.capacity_per_replica,
        "throughput_source": R.open.throughput_source,
    }
    if plan is not None:
        hyb = plan.monthly_usd
        summary.update({
            "hybrid_total_usd": plan.total_usd,
            "hybrid_npv_usd": float((hyb * df).sum()),
            "hybrid_savings_vs_closed_usd": float(closed_total.sum() - plan.total_usd),
            "hybrid_savings_vs_self_hosted_usd": float(open_total.sum() - plan.total_usd),
            "hybrid_switch_month": plan.switch_month,
            "hybrid_peak_replicas": int(plan.replicas.max()),
            "hybrid_api_share_final": float(plan.api_share[-1]),
            "hybrid_levelised_usd_per_unit": unit_cost(hyb),
            "hybrid_committed": plan.committed,
        })
    assumptions = {k: v.as_dict() for k, v in R.assumptions.items()}
    return Result(scenario=scenario, columns=monthly_columns, summary=summary, assumptions=assumptions, resolved=R,
                  hybrid=plan)
