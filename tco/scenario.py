"""What a user asks: the scenario, as plain dataclasses.

A :class:`Scenario` is a workload, a closed option, an open (self-hosted) option and
finance settings over a horizon.  Every catalog-derived number has an inline override
(``None`` = take it from the catalog), so a scenario can be fully self-contained.

Names carry their units: ``*_usd_per_mtok`` [USD/1M tokens], ``*_per_month`` [1/month],
``*_share`` [fraction 0..1], ``*_annual`` [fraction per year].
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

#: Longest horizon a scenario may ask for [months].
MAX_HORIZON_MONTHS = 240


class ScenarioError(ValueError):
    """An input of the scenario is invalid; ``field`` is its dotted path (``open.gpu``)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def check_number(path: str, value, lo: float = 0.0, hi: float = math.inf, integer: bool = False,
                 lo_open: bool = False) -> float:
    """``value`` as a float within [lo, hi] (``lo_open``: lo excluded), else a :class:`ScenarioError` at ``path``.

    >>> check_number("open.pue", 1.4, 1, 5, lo_open=True)
    1.4
    >>> check_number("open.pue", 1, 1, 5, lo_open=True)
    Traceback (most recent call last):
    ...
    tco.scenario.ScenarioError: open.pue: must be a number > 1 and <= 5, got 1
    """
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


@dataclass
class Workload:
    """How much is asked of the model, per month.

    Give exactly one of: ``input_tokens_per_month`` and ``output_tokens_per_month``;
    ``tokens_per_month`` (with ``input_share``); ``requests_per_day`` (with the tokens per
    request); ``seats`` (with ``tokens_per_seat_month`` and ``input_share``); or, for image
    workloads, ``images_per_month``.
    """

    input_tokens_per_month: float | None = None
    output_tokens_per_month: float | None = None
    tokens_per_month: float | None = None
    input_share: float = 0.8
    requests_per_day: float | None = None
    seats: float | None = None
    tokens_per_seat_month: float | None = None
    images_per_month: float | None = None
    #: Prompt tokens per request [tokens]; sets the throughput model's input length and the long-context tier.
    input_tokens_per_request: float = 1000.0
    #: Output tokens per request [tokens]; None = derived from the input/output split.
    output_tokens_per_request: float | None = None
    cached_input_share: float = 0.0
    cache_write_share: float = 0.0
    batch_share: float = 0.0
    #: Compound growth of the volume per month [1/month].
    monthly_growth: float = 0.0
    #: Explicit volume of each month (total tokens, or images for image workloads); overrides growth.
    monthly_volumes: list[float] | None = None
    #: Peak hourly load over the average [-]; sizes the self-hosted fleet.
    peak_to_average: float = 2.0
    #: Hourly load shape for the hybrid plan: a preset (flat, business_hours, consumer_evening) or
    #: 24 weights; when given, its peak over average replaces ``peak_to_average``.
    load_profile: str | list[float] | None = None


@dataclass
class ClosedOption:
    """The closed model bought by the unit: per token, per seat or per image."""

    model: str | None = None
    seat_product: str | None = None
    billing_term: str = "annual"
    image_model: str | None = None
    image_size: str = "1024x1024"
    image_quality: str = "any"
    input_usd_per_mtok: float | None = None
    cached_input_usd_per_mtok: float | None = None
    cache_write_usd_per_mtok: float | None = None
    output_usd_per_mtok: float | None = None
    batch_input_usd_per_mtok: float | None = None
    batch_output_usd_per_mtok: float | None = None
    #: Cache-read price on batch requests (None: the catalog's, else no batch discount on cache reads).
    batch_cached_input_usd_per_mtok: float | None = None
    long_context_threshold_tokens: float | None = None
    input_long_usd_per_mtok: float | None = None
    cached_input_long_usd_per_mtok: float | None = None
    output_long_usd_per_mtok: float | None = None
    usd_per_seat_month: float | None = None
    usd_per_image: float | None = None
    #: Negotiated discount off list prices [fraction].
    discount: float = 0.0
    #: Yearly change of API prices, e.g. -0.3 for prices falling 30% a year [fraction/year].
    price_change_annual: float = 0.0
    #: One-off integration cost [USD].
    setup_usd: float = 0.0
    #: Recurring cost besides usage (support plan, gateway) [USD/month].
    fixed_usd_per_month: float = 0.0
    #: Known current spend instead of a price list [USD/month], e.g. from a FOCUS or cost export
    #: (``tco focus baseline FILE --json``): one value per month of the horizon, or fewer and the
    #: last one carried forward; month m is billed value(m) x the workload's growth of month m
    #: over month 0 (component ``closed_baseline``).  Excludes model, seat, image and inline prices;
    #: the discount and the yearly price change do not apply (the spend is what was billed).
    baseline_usd_per_month: list[float] | None = None


@dataclass
class OpenOption:
    """The open model run on GPUs rented or bought."""

    model: str | None = None
    gpu: str | None = None
    gpus_per_replica: int = 1
    #: Weight precision; None = the defaults table's (FP8 where the GPU has it, else bf16).
    precision: str | None = None
    hosting: str = "cloud"            # cloud | owned
    provider: str = "aws"
    term: str = "on_demand"
    billing: str = "always_on"        # always_on | autoscaled
    usd_per_gpu_hour: float | None = None
    output_tokens_per_second_per_replica: float | None = None
    images_per_second_per_replica: float | None = None
    #: Share of a replica's peak throughput planned for at the peak hour [fraction].
    target_utilisation: float = 0.7
    min_replicas: int = 1
    #: Spare replicas on top of the load [replicas]; None = the defaults table's (N+1).
    redundancy_replicas: int | None = None
    #: What the deployment serves, which sets its latency targets (:data:`tco.serving.USES`):
    #: ``interactive`` (chat), ``agents`` (agents, RAG) or ``batch`` (offline, no target).
    serving_use: str = "interactive"
    #: Latency target: longest time per output token [s]; None = the use's.
    max_time_per_output_token_s: float | None = None
    #: Latency target: longest time to the first token [s]; None = the use's.
    max_time_to_first_token_s: float | None = None
    #: Serving engine (:data:`tco.throughput.ENGINES`): vllm, sglang or trt-llm.
    serving_engine: str = "vllm"
    #: GPU software platform (cuda, rocm); None = the GPU's own.
    platform: str | None = None
    #: KV-cache precision (:data:`tco.throughput.PRECISION_BYTES`, e.g. vLLM's ``--kv-cache-dtype fp8``);
    #: None = the one that goes with the weights (:func:`tco.throughput.default_kv_precision`).
    kv_precision: str | None = None
    #: How attention is split over the replica's GPUs (:data:`tco.throughput.ATTENTION_PARALLEL`): ``tp``
    #: (tensor-parallel: KV heads fewer than the GPUs, and latent caches, replicated on each GPU) or ``dp``
    #: (data-parallel: SGLang's ``--enable-dp-attention``, TensorRT-LLM's ``enable_attention_dp``; each GPU
    #: holds the whole attention weights, no cache replicated); None = KV heads replicated, latent caches not.
    attention_parallel: str | None = None
    #: Multiplier on the modelled throughput (engine and tuning quality) [-].
    serving_efficiency: float = 1.0
    # owned hardware
    gpus_per_server: int | None = None
    server_usd: float | None = None
    tdp_watts: float | None = None
    capex_mode: str = "amortised"     # amortised | cash
    useful_life_months: float = 48.0
    cost_of_capital_annual: float = 0.08
    residual_value_share: float = 0.1
    power_usd_per_kwh: float = 0.12
    pue: float = 1.3
    load_factor: float = 0.7
    #: Server power over the GPUs' TDP (CPUs, memory, fans, network) [-]; None = the defaults table's
    #: (DGX H100: 10.2 kW for 8 x 700 W).
    server_power_factor: float | None = None
    #: Colocation rent per provisioned kW [USD/kW/month]; None = the defaults table's (CBRE).
    colocation_usd_per_kw_month: float | None = None
    support_share_annual: float = 0.08
    # people and one-offs
    #: Platform staff however small the fleet [FTE]; None = the defaults table's.
    staff_fte_base: float | None = None
    replicas_per_fte: float = 20.0
    #: Loaded cost of one FTE [USD/year]; None = the defaults table's base salary (BLS) x loaded-cost multiplier.
    fte_usd_per_year: float | None = None
    #: Setup engineering paid in month 0 [engineer-months]; None = the defaults table's.
    setup_engineer_months: float | None = None
    migration_usd: float = 0.0
    fine_tuning_usd: float = 0.0
    evaluation_usd_per_month: float = 0.0
    #: Monitoring, storage and network as a share of the infrastructure cost [fraction].
    overhead_share: float = 0.1


@dataclass
class Finance:
    discount_rate_annual: float = 0.08


@dataclass
class Scenario:
    """A complete question: workload, both options, finance, horizon and price date."""

    workload: Workload = field(default_factory=Workload)
    closed: ClosedOption = field(default_factory=ClosedOption)
    open: OpenOption = field(default_factory=OpenOption)
    finance: Finance = field(default_factory=Finance)
    horizon_months: int = 36
    as_of: str | None = None
    #: Currency the results are shown in (display only: the engine prices in USD); None = USD.
    currency: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        """Build a scenario from nested dicts (unknown keys raise :class:`ScenarioError`)."""
        parts = {"workload": Workload, "closed": ClosedOption, "open": OpenOption, "finance": Finance}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in parts:
                kwargs[key] = _build(parts[key], value or {}, key)
            elif key in ("horizon_months", "as_of", "currency"):
                kwargs[key] = value
            else:
                raise ScenarioError(key, "unknown field")
        return cls(**kwargs)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **sections: Mapping[str, Any]) -> "Scenario":
        """A copy with some fields of some sections changed: ``s.replace(open={"gpu": "h200"})``."""
        new = {k: getattr(self, k) for k in ("workload", "closed", "open", "finance", "horizon_months", "as_of",
                                             "currency")}
        for key, changes in sections.items():
            if key in ("horizon_months", "as_of", "currency"):
                new[key] = changes
            else:
                new[key] = dataclasses.replace(new[key], **changes)
        return Scenario(**new)


def _build(kind, values: Mapping[str, Any], prefix: str):
    names = {f.name for f in dataclasses.fields(kind)}
    for k in values:
        if k not in names:
            raise ScenarioError(f"{prefix}.{k}", "unknown field")
    return kind(**values)
