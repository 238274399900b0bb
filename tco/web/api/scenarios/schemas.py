"""Request and response schemas of the scenario endpoints (/tco, /breakeven, /throughput).

Request fields mirror the dataclasses of :mod:`tco.scenario`; each field's description
carries its unit, range and default, so the OpenAPI spec documents them all.
"""
from __future__ import annotations

import dataclasses
import math

import marshmallow as ma
import numpy as np
from marshmallow import fields, validate

from tco.currency import CODES
from tco.defaults import shipped_values
from tco.scenario import MAX_HORIZON_MONTHS
from tco.scenario import ClosedOption, Finance, OpenOption, Scenario, Workload
from tco.serving import RUNS, USES
from tco.tables import PRECISIONS, TERMS
from tco.throughput import ATTENTION_PARALLEL, ENGINES, PLATFORMS
from tco.web.text import ONE_LINE_PATTERN, one_line

INF = math.inf
BIG = 1e18  # the largest volume or price the API accepts


def _defaults(kind) -> dict:
    return {f.name: f.default for f in dataclasses.fields(kind) if f.default is not dataclasses.MISSING}


def _describe(text: str, unit: str, lo, hi, default, lo_open=False) -> str:
    rng = ""
    if lo is not None or hi is not None:
        lo_txt = "" if lo is None else f"{'>' if lo_open else '>='} {lo:g}"
        hi_txt = "" if hi is None else f"<= {hi:g}"
        rng = " Range: " + " and ".join(t for t in (lo_txt, hi_txt) if t) + "."
    unit_txt = f" [{unit}]" if unit and unit != "-" else ""
    dflt = "" if default is None else f" Default: {default}."
    return f"{text}{unit_txt}.{rng}{dflt}"


def num(text, unit, lo=0.0, hi=BIG, *, lo_open=False, integer=False, default=None, example=None):
    kw = {"validate": validate.Range(min=lo, max=hi, min_inclusive=not lo_open),
          "allow_none": True,
          "metadata": {"description": _describe(text, unit, lo, hi, default, lo_open)}}
    if example is not None:
        kw["metadata"]["example"] = example
    if integer:
        return fields.Integer(strict=True, **kw)
    return fields.Float(allow_nan=False, **kw)


def share(text, default=None):
    return num(text, "fraction", 0.0, 1.0, default=default)


def choice(text, options, default=None):
    return fields.String(validate=validate.OneOf(options), allow_none=default is None,
                         metadata={"description": f"{text} One of: {', '.join(options)}."
                                   + ("" if default is None else f" Default: {default}.")})


#: The two serving-setup fields a scenario's open option and ``/throughput`` share.
KV_PRECISION_DOC = ("KV-cache precision (vLLM's --kv-cache-dtype); default the one that goes with the weights (fp8 "
                    "for fp8 and 4-bit weights, else the weights' own).")
ATTENTION_PARALLEL_DOC = ("How attention is split over the replica's GPUs: tp (tensor-parallel: KV heads fewer than the "
                          "GPUs, and latent caches, replicated on each GPU) or dp (data-parallel: SGLang's "
                          "--enable-dp-attention, TensorRT-LLM's enable_attention_dp; each GPU holds the whole "
                          "attention weights, nothing in the cache replicated); default: KV heads replicated, latent "
                          "caches not.")


def ident(text, default=None, example=None):
    md = {"description": text + ("" if default is None else f" Default: {default}."), "pattern": ONE_LINE_PATTERN}
    if example is not None:
        md["example"] = example
    return fields.String(validate=[validate.Length(min=1, max=200), one_line], allow_none=True, metadata=md)


W, C, O, F = _defaults(Workload), _defaults(ClosedOption), _defaults(OpenOption), _defaults(Finance)
#: Fields the defaults table fills (None in the dataclass): documented with the shipped table's value.
O.update({k: f"{v:g} (defaults table)" if isinstance(v, float) else f"{v} (defaults table)"
          for k, v in shipped_values().items()})
O["precision"] = f"{shipped_values()['precision']} where the GPU has it, else bf16 (defaults table)"


def _valid_profile(value) -> None:
    from tco.workload import load_profile
    if isinstance(value, bool) or not isinstance(value, (str, list)):
        raise ma.ValidationError("give a preset name or a list of 24 numbers")
    if isinstance(value, list) and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise ma.ValidationError("every hourly weight must be a number")
    try:
        with np.errstate(all="ignore"):     # an underflowing mean is reported below, not warned about
            weights = load_profile(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ma.ValidationError(str(exc)) from None
    if not np.all(np.isfinite(weights)):        # weights so small (subnormal) that their mean underflows
        raise ma.ValidationError("the hourly weights are too small to scale to a mean of 1: give weights of "
                                 "ordinary size (any scale works, e.g. 0 to 100)")


class LoadProfile(fields.Raw):
    """A preset name or 24 hourly weights (documented as ``oneOf`` of the two)."""


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class WorkloadSchema(_Strict):
    input_tokens_per_month = num("Prompt tokens sent per month (with output_tokens_per_month)", "tokens/month",
                                 example=2e9)
    output_tokens_per_month = num("Generated tokens per month (with input_tokens_per_month)", "tokens/month",
                                  example=5e8)
    tokens_per_month = num("Input + output tokens per month (with input_share)", "tokens/month")
    input_share = num("Share of input tokens in tokens_per_month (0: output only, e.g. generation without a "
                      "prompt; give output_tokens_per_request)", "fraction", 0.0, 1.0, default=W["input_share"])
    requests_per_day = num("Requests per day (with the tokens per request)", "requests/day")
    seats = num("Users with a seat (per-seat products)", "seats")
    tokens_per_seat_month = num("Tokens each seat uses per month", "tokens/seat/month")
    images_per_month = num("Images generated per month (image workloads)", "images/month")
    input_tokens_per_request = num("Prompt length of a request", "tokens", 1, 10_000_000,
                                   default=W["input_tokens_per_request"])
    output_tokens_per_request = num("Output length of a request; default: from the input/output split", "tokens",
                                    1, 1_000_000)
    cached_input_share = share("Share of input tokens read from the prompt cache", W["cached_input_share"])
    cache_write_share = share("Share of input tokens written to the prompt cache", W["cache_write_share"])
    batch_share = share("Share of traffic sent through the batch API", W["batch_share"])
    monthly_growth = num("Compound growth of the volume per month", "1/month", -0.99, 10.0,
                         default=W["monthly_growth"])
    monthly_volumes = fields.List(fields.Float(allow_nan=False, validate=validate.Range(min=0, max=BIG)),
                                  allow_none=True, validate=validate.Length(min=1, max=MAX_HORIZON_MONTHS),
                                  metadata={"description": "Explicit volume of each month (total tokens, or images), "
                                                           "one per month of the horizon; overrides growth."})
    peak_to_average = num("Peak hourly load over the average; sizes the self-hosted fleet", "-", 1.0, 24.0,
                          default=W["peak_to_average"])
    load_profile = LoadProfile(allow_none=True, validate=_valid_profile, metadata={
        "description": "Hourly load shape: a preset (flat, business_hours, consumer_evening) or 24 weights >= 0; "
                       "its peak over average replaces peak_to_average. Default: a smooth day with peak_to_average.",
        "example": "business_hours"})


class ClosedSchema(_Strict):
    model = ident("Closed model id from api_prices (GET /api/v1/catalog/api_prices).", example="gpt-4o")
    seat_product = ident("Per-seat product id from seat_prices.")
    billing_term = choice("Seat billing term.", ["monthly", "annual"], C["billing_term"])
    image_model = ident("Image model id from image_prices.")
    image_size = fields.String(validate=[validate.Length(min=1, max=40), one_line],
                               metadata={"description": f"Image size WIDTHxHEIGHT. Default: {C['image_size']}."})
    image_quality = fields.String(validate=[validate.Length(min=1, max=40), one_line],
                                  metadata={"description": f"Image quality tier. Default: {C['image_quality']}."})
    input_usd_per_mtok = num("Input price (overrides the catalog)", "USD/1M tokens", example=2.5)
    cached_input_usd_per_mtok = num("Cached-input price", "USD/1M tokens")
    cache_write_usd_per_mtok = num("Cache-write price", "USD/1M tokens")
    output_usd_per_mtok = num("Output price (overrides the catalog)", "USD/1M tokens", example=10.0)
    batch_input_usd_per_mtok = num("Batch-API input price", "USD/1M tokens")
    batch_output_usd_per_mtok = num("Batch-API output price", "USD/1M tokens")
    batch_cached_input_usd_per_mtok = num("Batch-API cache-read price (blank: the catalog's, else cache reads keep "
                                          "their price on batch requests)", "USD/1M tokens")
    long_context_threshold_tokens = num("Prompt length above which long-context prices apply to the whole request",
                                        "tokens", 1)
    input_long_usd_per_mtok = num("Input price above the threshold", "USD/1M tokens")
    cached_input_long_usd_per_mtok = num("Cached-input price above the threshold", "USD/1M tokens")
    output_long_usd_per_mtok = num("Output price above the threshold", "USD/1M tokens")
    usd_per_seat_month = num("Price per seat per month", "USD/seat/month")
    usd_per_image = num("Price per image", "USD/image")
    discount = share("Negotiated discount off list prices", C["discount"])
    price_change_annual = num("Yearly change of API prices (-0.3 = prices fall 30% a year)", "fraction/year",
                              -0.99, 10.0, default=C["price_change_annual"])
    setup_usd = num("One-off integration cost", "USD", default=C["setup_usd"])
    fixed_usd_per_month = num("Recurring cost besides usage", "USD/month", default=C["fixed_usd_per_month"])
    baseline_usd_per_month = fields.List(
        fields.Float(allow_nan=False, validate=validate.Range(min=0, max=BIG)),
        allow_none=True, validate=validate.Length(min=1, max=MAX_HORIZON_MONTHS),
        metadata={"description": "Known current spend instead of a price list [USD/month] (e.g. from "
                                 "`tco focus baseline FILE --json`): one value per month of the horizon, or "
                                 "fewer and the last one carried forward; each month is scaled by the "
                                 "workload's growth over month 0.  Leave out model, seat, image and inline "
                                 "prices; the discount and price change do not apply."})


class OpenSchema(_Strict):
    model = ident("Open model id from open_models.", example="llama-3.1-70b")
    gpu = ident("GPU id from gpus.", example="h100-sxm")
    gpus_per_replica = num("GPUs per replica (tensor parallel)", "GPUs", 1, 64, integer=True,
                           default=O["gpus_per_replica"])
    precision = choice("Weight precision.", list(PRECISIONS), O["precision"])
    hosting = choice("Rent GPUs in a cloud or own them.", ["cloud", "owned"], O["hosting"])
    provider = ident("Cloud provider id from gpu_rates.", O["provider"])
    term = choice("Rental commitment.", list(TERMS), O["term"])
    billing = choice("always_on bills every provisioned GPU 730 h/month; autoscaled bills hours that follow load.",
                     ["always_on", "autoscaled"], O["billing"])
    usd_per_gpu_hour = num("Rental price (overrides the catalog)", "USD/GPU-hour", 0, 1000)
    output_tokens_per_second_per_replica = num("Output tokens per second one replica serves (overrides the model)",
                                               "tokens/s", 0, 1e9, lo_open=True)
    images_per_second_per_replica = num("Images per second one replica serves", "images/s", 0, 1e6, lo_open=True)
    target_utilisation = num("Share of peak throughput planned for at the peak hour", "fraction", 0, 1,
                             lo_open=True, default=O["target_utilisation"])
    min_replicas = num("Replicas kept at least", "replicas", 0, 10_000, integer=True, default=O["min_replicas"])
    redundancy_replicas = num("Spare replicas on top of the load", "replicas", 0, 10_000, integer=True,
                              default=O["redundancy_replicas"])
    serving_use = choice("What the deployment serves, which sets its latency targets: interactive (chat: 40 ms per "
                         "output token, 450 ms to the first; MLPerf's interactive limits), agents (agents and RAG: "
                         "200 ms, 2 s; MLPerf's server limits) or batch (offline, none).", list(USES),
                         O["serving_use"])
    max_time_per_output_token_s = num("Latency target: longest time per output token; default the use's", "s", 0, 600,
                                      lo_open=True)
    max_time_to_first_token_s = num("Latency target: longest time to the first token; default the use's", "s", 0,
                                    600, lo_open=True)
    serving_engine = choice("Serving engine; vLLM is what most teams run.", list(ENGINES), O["serving_engine"])
    platform = choice("GPU software platform; default the GPU's own (ROCm on AMD, CUDA on NVIDIA).", list(PLATFORMS),
                      None)
    kv_precision = choice(KV_PRECISION_DOC, list(PRECISIONS), None)
    attention_parallel = choice(ATTENTION_PARALLEL_DOC, list(ATTENTION_PARALLEL), None)
    serving_efficiency = num("Multiplier on modelled throughput", "-", 0, 10, lo_open=True,
                             default=O["serving_efficiency"])
    gpus_per_server = num("GPUs per server (owned; a rack-scale NVLink domain such as NVL72 counts as one)", "GPUs",
                          1, 576, integer=True)
    server_usd = num("Price of one server (owned; overrides GPUs x purchase price)", "USD", 0, 1e9)
    tdp_watts = num("Board power per GPU (owned)", "W", 0, 10_000, lo_open=True)
    capex_mode = choice("Show hardware as an annuity or as cash when bought.", ["amortised", "cash"], O["capex_mode"])
    useful_life_months = num("Useful life of owned servers", "months", 0, 600, lo_open=True,
                             default=O["useful_life_months"])
    cost_of_capital_annual = share("Cost of capital for the annuity", O["cost_of_capital_annual"])
    residual_value_share = share("Resale value at the end of life, share of the price", O["residual_value_share"])
    power_usd_per_kwh = num("Electricity price", "USD/kWh", 0, 10, default=O["power_usd_per_kwh"])
    pue = num("Power usage effectiveness of the data centre", "-", 0, 5, lo_open=True, default=O["pue"])
    load_factor = share("Average power draw over TDP", O["load_factor"])
    server_power_factor = num("Server power over the GPUs' TDP", "-", 0, 10, default=O["server_power_factor"])
    colocation_usd_per_kw_month = num("Colocation price per provisioned kW", "USD/kW/month", 0, 10_000,
                                      default=O["colocation_usd_per_kw_month"])
    support_share_annual = share("Support contract per year, share of capex", O["support_share_annual"])
    staff_fte_base = num("MLOps staff however small the fleet", "FTE", 0, 1000, default=O["staff_fte_base"])
    replicas_per_fte = num("Replicas one more FTE looks after", "replicas/FTE", 0, 1e12, lo_open=True,
                           default=O["replicas_per_fte"])
    fte_usd_per_year = num("Loaded cost of one FTE", "USD/year", 0, 1e7, default=O["fte_usd_per_year"])
    setup_engineer_months = num("Setup engineering, paid in month 0", "engineer-months", 0, 1000,
                                default=O["setup_engineer_months"])
    migration_usd = num("One-off migration cost", "USD", 0, 1e10, default=O["migration_usd"])
    fine_tuning_usd = num("One-off fine-tuning cost", "USD", 0, 1e10, default=O["fine_tuning_usd"])
    evaluation_usd_per_month = num("Evaluation and guardrails", "USD/month", 0, 1e9,
                                   default=O["evaluation_usd_per_month"])
    overhead_share = num("Monitoring, storage and network, share of infrastructure cost", "fraction", 0, 5,
                         default=O["overhead_share"])


class FinanceSchema(_Strict):
    discount_rate_annual = num("Discount rate for NPV", "fraction/year", -0.5, 1.0,
                               default=F["discount_rate_annual"])


EXAMPLE = {
    "horizon_months": 36,
    "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "monthly_growth": 0.05},
    "closed": {"model": "gpt-4o"},
    "open": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8",
             "hosting": "cloud", "provider": "aws", "term": "on_demand"},
    "finance": {"discount_rate_annual": 0.08},
}


def currency_code(value) -> None:
    """marshmallow validator: a code of :data:`tco.currency.CODES` (any case), naming them all otherwise."""
    if value is not None and str(value).strip().upper() not in CODES:
        raise ma.ValidationError(f"unknown currency {value!r}: one of {', '.join(CODES)}")


def _clean(d: dict | None) -> dict:
    return {k: v for k, v in (d or {}).items() if v is not None}


class ScenarioSchema(_Strict):
    """A scenario: workload, closed option, open option, finance."""

    horizon_months = num("Months to plan over", "months", 1, MAX_HORIZON_MONTHS, integer=True, default=36)
    as_of = fields.Date(allow_none=True, metadata={"description": "Use the prices in force on this date "
                                                                  "[YYYY-MM-DD]; default: the service's date."})
    currency = fields.String(allow_none=True, validate=currency_code, metadata={
        "description": "Currency the answer's amounts are shown in: " + ", ".join(CODES) + " (default USD). "
                       "Display only: fields named `usd*` stay in US dollars; the answer's `currency` object "
                       "gives the reference rate, its date and source."})
    workload = fields.Nested(WorkloadSchema, required=True)
    closed = fields.Nested(ClosedSchema, load_default=dict)
    open = fields.Nested(OpenSchema, load_default=dict)
    finance = fields.Nested(FinanceSchema, load_default=dict)

    @ma.post_load
    def make(self, data, **kwargs):
        return scenario_from_body(data)


def scenario_from_body(data: dict) -> Scenario:
    body = {k: _clean(data.get(k)) for k in ("workload", "closed", "open", "finance")}
    body["horizon_months"] = data.get("horizon_months") or 36
    if data.get("as_of") is not None:
        body["as_of"] = data["as_of"].isoformat()
    if data.get("currency"):
        body["currency"] = data["currency"].strip().upper()
    return Scenario.from_dict(body)


class CurveOptionsSchema(_Strict):
    points = num("Volumes in the curve", "-", 2, 1000, integer=True, default=200)
    min_volume = num("Smallest volume; default: the workload's / 1000", "tokens/month", 0, BIG, lo_open=True)
    max_volume = num("Largest volume; default: the workload's x 1000", "tokens/month", 0, BIG, lo_open=True)


class BreakevenRequestSchema(ScenarioSchema):
    curve = fields.Nested(CurveOptionsSchema, load_default=dict)

    @ma.post_load
    def make(self, data, **kwargs):
        return {"scenario": scenario_from_body(data), "curve": _clean(data.get("curve"))}


class ThroughputRequestSchema(_Strict):
    model = ident("Open model id from open_models.", example="llama-3.1-70b")
    gpu = ident("GPU id from gpus.", example="h100-sxm")
    gpus_per_replica = num("GPUs per replica (tensor parallel)", "GPUs", 1, 64, integer=True, default=1, example=2)
    precision = choice("Weight precision.", list(PRECISIONS), O["precision"])
    input_tokens = num("Prompt tokens per request", "tokens", 1, 10_000_000, default=1000)
    output_tokens = num("Output tokens per request", "tokens", 1, 1_000_000, default=250)
    serving_use = choice("What the replica serves, which sets the latency targets: interactive (chat: 40 ms per "
                         "output token, 450 ms to the first), agents (agents and RAG: 200 ms, 2 s) or batch (none).",
                         list(USES), "interactive")
    serving_engine = choice("Serving engine.", list(ENGINES), "vllm")
    platform = choice("GPU software platform; default the GPU's own.", list(PLATFORMS), None)
    max_time_per_output_token_s = num("Latency target: longest time per output token; default the use's", "s", 0, 600,
                                      lo_open=True)
    max_time_to_first_token_s = num("Latency target: longest time to the first token; default the use's", "s", 0,
                                    600, lo_open=True)
    concurrency = num("Requests the clients keep in flight; default as many as the replica takes", "requests", 1,
                      1_000_000, integer=True)
    cached_input_share = num("Share of the prompt found in the prefix cache (skips prefill)", "fraction", 0, 1,
                             default=0.0)
    kv_precision = choice(KV_PRECISION_DOC, list(PRECISIONS), None)
    attention_parallel = choice(ATTENTION_PARALLEL_DOC, list(ATTENTION_PARALLEL), None)
    run = choice("How the load arrives: serving (clients through the engine's OpenAI-compatible server, prefill "
                 "chunks riding in the decode steps: a deployment) or offline (the engine's own offline benchmark, "
                 "trtllm-bench or vLLM's benchmark_throughput: every request submitted at once, prompts prefilled "
                 "in waves, no server), to reproduce a published offline run.", list(RUNS), "serving")
    num_prompts = num("Requests in an offline run (vLLM's benchmark_throughput --num-prompts, the dataset "
                      "trtllm-bench reads): no more than that many in flight, the last wave partial, and the "
                      "output rate the whole run's; offline runs only; default an endless run", "requests", 1,
                      10_000_000, integer=True)

    @ma.validates_schema
    def _required(self, data, **kwargs):
        missing = {k: ["Missing data for required field."] for k in ("model", "gpu") if not data.get(k)}
        if missing:
            raise ma.ValidationError(missing)


# ---------------------------------------------------------------- responses

class NumberOrText(fields.Raw):
    """A number or a text (documented as such; dumped as it is)."""


class AssumptionSchema(ma.Schema):
    value = NumberOrText(required=True, allow_none=True, metadata={"description": "The number (or text) used."})
    unit = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "'scenario', a default, or the catalog row "
                                                                   "(table, key, effective date, source URL)."})
    is_default = fields.Boolean(metadata={"description": "Present and true when the value is a default from the "
                                                         "defaults table, not the user's input."})
    source_url = fields.String(allow_none=True, metadata={"description": "A default's public source (null for an "
                                                                         "estimate, whose reason the source gives)."})
    effective_date = fields.String(allow_none=True, metadata={"description": "A default's effective date "
                                                                             "[YYYY-MM-DD]."})


def _n(text):
    return fields.Float(required=True, allow_none=True, metadata={"description": text})


def _price_note():
    """The summary's and break-even answer's ``breakeven_price_note`` field."""
    return fields.String(required=True, metadata={
        "description": "Which closed price the steady views (break-even volume, cost-vs-volume curve) use when the "
                       "price changes over the horizon: the one in force for the most months, e.g. \"at gpt-6-luna's "
                       "price, in force from month 2 (35 of 36 months)\"; empty when one price holds all along."})


class PriceSwitchSchema(ma.Schema):
    month = fields.Integer(required=True, metadata={"description": "First month (0-based) the switch affects "
                                                                   "[month]."})
    date = fields.String(required=True, metadata={"description": "ISO date of the switch (a price's start, a "
                                                                 "deprecation or shutdown day)."})
    kind = fields.String(required=True, metadata={"description": "promotion_ends, price_change, price_ends, "
                                                                 "no_price_yet, deprecation, shutdown or "
                                                                 "shutdown_no_successor."})
    model_id = fields.String(required=True, metadata={"description": "The model the switch is about."})
    message = fields.String(required=True, metadata={"description": "The switch in one sentence, as in "
                                                                    "price_events."})


class SummarySchema(ma.Schema):
    horizon_months = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "'1M tokens' or 'image': what unit costs are per."})
    closed_label = fields.String(required=True)
    open_label = fields.String(required=True)
    billing_label = fields.String(required=True, metadata={"description": "Always-on or autoscaled rental, or "
                                                                          "owned hardware."})
    closed_total_usd = _n("Closed option over the horizon [USD].")
    open_total_usd = _n("Self-hosted option over the horizon [USD].")
    savings_usd = _n("Closed minus self-hosted over the horizon; > 0 when self-hosting saves [USD].")
    closed_npv_usd = _n("Net present value of the closed option's costs [USD].")
    open_npv_usd = _n("Net present value of the self-hosted option's costs [USD].")
    savings_npv_usd = _n("Closed minus self-hosted, discounted [USD].")
    closed_levelised_usd_per_unit = _n("Discounted cost / discounted volume [USD per unit].")
    open_levelised_usd_per_unit = _n("Discounted cost / discounted volume [USD per unit].")
    price_events = fields.List(fields.String(), required=True, metadata={
        "description": "The closed option's price switches inside the horizon, named: a promotion ending, a "
                       "scheduled change, a shutdown moving to the successor's prices."})
    price_switches = fields.List(fields.Nested(PriceSwitchSchema), required=True, metadata={
        "description": "The same switches as price_events, structured (the dashboard marks them on the "
                       "cumulative chart)."})
    price_flagged_months = fields.List(fields.Integer(), required=True, metadata={
        "description": "Months (0-based) priced at a price not in force then: after a shutdown with no successor "
                       "the last price is kept; choose another model."})
    total_tokens = _n("Tokens over the horizon [tokens].")
    total_images = _n("Images over the horizon [images].")
    breakeven_volume_per_month = _n("Break-even in the closed option's own unit (breakeven_volume_unit): the steady "
                                    "monthly volume, or the number of seats, from which self-hosting is and stays "
                                    "cheaper; null = none at month-0 prices (the reason says whether the horizon "
                                    "still pays off).")
    breakeven_volume_unit = fields.String(required=True, validate=validate.OneOf(
        ["tokens/month", "images/month", "seats"]), metadata={
        "description": "Unit of breakeven_volume_per_month: tokens/month, images/month or seats."})
    breakeven_volume_reason = fields.String(required=True)
    breakeven_price_note = _price_note()
    breakeven_month = _n("Months from the start until cumulative self-hosted cost is at or below the closed "
                         "option's; null = not within the horizon [months].")
    breakeven_month_reason = fields.String(required=True)
    peak_replicas = fields.Integer(required=True)
    peak_gpus = fields.Integer(required=True)
    fleet_label = fields.String(required=True, metadata={
        "description": "What the self-hosted bill counts at its peak: '2 replicas x 4 NVIDIA H100 SXM5 80GB = 8 GPUs' "
                       "('up to' when the fleet changes over the horizon)."})
    peak_servers = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Servers installed at the peak (owned hardware); null when renting."})
    time_per_output_token_s = _n("Time per output token the modelled replica reaches [s]; null when measured or "
                                 "given inline.")
    time_to_first_token_s = _n("Time to the first token the modelled replica reaches [s]; null when measured or "
                               "given inline.")
    batch_size = _n("Concurrent sequences per replica at the modelled operating point [-]; null when measured.")
    latency_note = fields.String(required=True, allow_none=True, metadata={
        "description": "Set when the modelled replica cannot meet a latency target: which, what it reaches, how the "
                       "batch was sized and what replica would meet it; null otherwise."})
    mean_utilisation = _n("Average load over provisioned capacity [fraction].")
    output_tokens_per_second_per_replica = _n("Throughput of one replica [tokens/s]; null for image models.")
    capacity_per_replica_per_s = _n("Requests (or images) per second one replica serves at full load.")
    throughput_source = fields.String(required=True)
    # with the hybrid plan (/charts?hybrid=true)
    hybrid_total_usd = fields.Float(metadata={"description": "Hybrid plan over the horizon [USD]."})
    hybrid_npv_usd = fields.Float(metadata={"description": "[USD]"})
    hybrid_savings_vs_closed_usd = fields.Float(metadata={"description": "[USD]"})
    hybrid_savings_vs_self_hosted_usd = fields.Float(metadata={"description": "[USD]"})
    hybrid_switch_month = fields.Integer(allow_none=True, metadata={
        "description": "First month (0-based) with own replicas; null = never."})
    hybrid_peak_replicas = fields.Integer()
    hybrid_api_share_final = fields.Float(metadata={"description": "Share of tokens on the API in the last month."})
    hybrid_levelised_usd_per_unit = fields.Float(allow_none=True)
    hybrid_committed = fields.Boolean()


class HybridSummarySchema(ma.Schema):
    """The hybrid plan's totals (POST /plan)."""

    hybrid_total_usd = fields.Float(required=True, metadata={"description": "Hybrid plan over the horizon [USD]."})
    hybrid_npv_usd = fields.Float(required=True, metadata={"description": "Net present value of its costs [USD]."})
    hybrid_savings_vs_closed_usd = fields.Float(required=True, metadata={"description": "[USD]"})
    hybrid_savings_vs_self_hosted_usd = fields.Float(required=True, metadata={"description": "[USD]"})
    hybrid_switch_month = fields.Integer(required=True, allow_none=True, metadata={
        "description": "First month (0-based) with own replicas; null = never."})
    hybrid_peak_replicas = fields.Integer(required=True)
    hybrid_api_share_final = fields.Float(required=True, metadata={
        "description": "Share of tokens on the API in the last month [fraction]."})
    hybrid_levelised_usd_per_unit = fields.Float(required=True, allow_none=True)
    hybrid_committed = fields.Boolean(required=True, metadata={"description": "Whether own replicas never fall."})


class MonthlyRowSchema(ma.Schema):
    month = fields.Integer(required=True, metadata={"description": "Month from the start, 0-based."})
    option = fields.String(required=True, metadata={"description": "closed or self_hosted."})
    component = fields.String(required=True)
    label = fields.String(required=True)
    usd = _n("Cost of the component that month [USD].")
    tokens = _n("Tokens that month [tokens].")
    images = _n("Images that month [images].")
    replicas = _n("Replicas (self_hosted rows) [-].")
    gpus = _n("GPUs (self_hosted rows) [-].")
    utilisation = _n("Average load over capacity (self_hosted rows) [fraction].")


class CurrencySchema(ma.Schema):
    """The currency an answer's amounts are shown in and its reference rate (null date and source for USD)."""

    code = fields.String(required=True, metadata={"description": "ISO 4217 code: " + ", ".join(CODES) + "."})
    units_per_usd = fields.Float(required=True, metadata={"description": "Units of the currency per US dollar "
                                                                         "[units/USD]; 1 for USD."})
    effective_date = fields.String(required=True, allow_none=True, metadata={
        "description": "Day of the reference rate [YYYY-MM-DD] (fx_rates.csv)."})
    source_url = fields.String(required=True, allow_none=True, metadata={"description": "Where the rate was read."})


class TcoResponseSchema(ma.Schema):
    summary = fields.Nested(SummarySchema, required=True)
    currency = fields.Nested(CurrencySchema, required=True, metadata={
        "description": "The request's currency and its rate; amounts named `usd*` stay in US dollars."})
    monthly = fields.List(fields.Nested(MonthlyRowSchema), required=True)
    assumptions = fields.Dict(keys=fields.String(), values=fields.Nested(AssumptionSchema), required=True)


class CurvePointSchema(ma.Schema):
    volume = _n("Monthly volume [tokens or images per month].")
    closed_usd = _n("Closed option, steady month [USD/month].")
    open_usd = _n("Self-hosted option, steady month [USD/month].")
    replicas = _n("Replicas needed [-].")
    closed_usd_per_mtok = fields.Float(allow_none=True, metadata={"description": "[USD/1M tokens]"})
    open_usd_per_mtok = fields.Float(allow_none=True, metadata={"description": "[USD/1M tokens]"})


class BreakevenResponseSchema(ma.Schema):
    breakeven_volume_per_month = _n("[breakeven_volume_unit: tokens/month, images/month or seats]; null = none.")
    breakeven_volume_unit = fields.String(required=True, metadata={"description": "tokens/month, images/month or "
                                                                                  "seats."})
    breakeven_volume_reason = fields.String(required=True)
    breakeven_price_note = _price_note()
    breakeven_month = _n("[months]; null = not within the horizon.")
    breakeven_month_reason = fields.String(required=True)
    unit = fields.String(required=True)
    curve = fields.List(fields.Nested(CurvePointSchema), required=True)


class ThroughputResponseSchema(ma.Schema):
    model = fields.String(required=True)
    gpu = fields.String(required=True)
    gpus_per_replica = fields.Integer(required=True)
    precision = fields.String(required=True)
    fits = fields.Boolean(required=True)
    weight_gb = _n("Weights on the replica [GB].")
    kv_bytes_per_token = _n("KV cache per token [bytes].")
    kv_cache_gb = _n("Memory left for the KV cache [GB].")
    batch_size = _n("Concurrent sequences at the best batch [-].")
    batch_limit = fields.String(required=True, metadata={"description": "memory, latency, max_batch or concurrency."})
    output_tokens_per_second = _n("Modelled output tokens per second of the replica [tokens/s].")
    total_tokens_per_second = _n("Input + output tokens per second [tokens/s].")
    requests_per_second = _n("[requests/s]")
    time_per_output_token_s = _n("[s]")
    prefill_s = _n("Prefill time of one request [s].")
    time_to_first_token_s = _n("Prefill plus one decode step [s].")
    latency_target_met = fields.Boolean(required=True, metadata={"description": "False when even one sequence "
                                                                             "misses a latency target."})
    ttft_reachable = fields.Boolean(required=True, metadata={
        "description": "False when even one request misses the time-to-first-token target (its prefill alone takes "
                       "longer): the batch is then sized by the per-token target and memory only."})
    serving_use = fields.String(required=True)
    serving_engine = fields.String(required=True)
    platform = fields.String(required=True)
    kv_precision = fields.String(required=True, metadata={"description": "The KV-cache precision used."})
    attention_parallel = fields.String(required=True, allow_none=True, metadata={
        "description": "tp, dp, or null (the default: KV heads replicated, latent caches not)."})
    run = fields.String(required=True, metadata={"description": "serving or offline."})
    num_prompts = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The offline run's requests, as given; null = an endless run."})
    max_time_per_output_token_s = _n("The target used [s]; null = none.")
    max_time_to_first_token_s = _n("The target used [s]; null = none.")
    measured_output_tokens_per_second = _n("A matching measured row, if any [tokens/s].")
    measured_source = fields.String(required=True, allow_none=True)


class ChartsResponseSchema(ma.Schema):
    summary = fields.Nested(SummarySchema, required=True)
    currency = fields.Nested(CurrencySchema, required=True, metadata={
        "description": "The request's currency and its rate (the verdict's amounts are in it)."})
    verdict = fields.String(required=True, metadata={"description": "One plain-language sentence: which option is "
                                                                    "cheaper, from when, by how much."})
    assumptions = fields.Dict(keys=fields.String(), values=fields.Nested(AssumptionSchema), required=True)
    hybrid_verdict = fields.String(allow_none=True, metadata={"description": "With hybrid=true: the plan in words."})
    montecarlo = fields.Nested("MonteCarloSummarySchema", metadata={
        "description": "With uncertainty=true: P10/P50/P90 and probabilities."})
    defaults_tornado = fields.List(fields.Nested("DefaultTornadoRowSchema"), metadata={
        "description": "With uncertainty=true: each default of the defaults table the scenario used, at its low "
                       "and high (FP8 against bf16, N+0 and N+2 against N+1, ...), largest swing first."})
    figures = fields.Dict(keys=fields.String(), values=fields.Nested("FigureSchema"), required=True,
                          metadata={"description": "Plotly figures by name: cost_vs_volume, cumulative_cost, "
                                                   "monthly_breakdown, unit_cost (and tornado, fan with "
                                                   "uncertainty=true)."})


class DefaultTornadoRowSchema(ma.Schema):
    """One default at its two ends, the rest of the scenario as it is."""

    name = fields.String(required=True, metadata={"description": "Row of the defaults table."})
    label = fields.String(required=True)
    field = fields.String(required=True, metadata={"description": "Scenario field it sets (open.precision, ...)."})
    unit = fields.String(required=True)
    value = fields.String(required=True, metadata={"description": "The default, as the table writes it."})
    low = fields.String(allow_none=True, metadata={"description": "Its low end ('off' for a choice); null = none."})
    high = fields.String(allow_none=True, metadata={"description": "Its high end; null = none."})
    savings_low = _n("Savings over the horizon with the default at its low [USD]; null = not priced.")
    savings_high = _n("Savings over the horizon with the default at its high [USD]; null = not priced.")
    savings_npv_low = _n("The same, discounted [USD].")
    savings_npv_high = _n("The same, discounted [USD].")
    breakeven_month_low = _n("Break-even month at the low end [months]; null = none within the horizon.")
    breakeven_month_high = _n("Break-even month at the high end [months]; null = none within the horizon.")
    swing_usd = _n("Spread of the NPV savings over low, default and high [USD].")
    base_savings = _n("Savings with every default as it is [USD].")
    base_savings_npv = _n("The same, discounted [USD].")
    base_breakeven_month = _n("[months]; null = none within the horizon.")
    note = fields.String(required=True, metadata={"description": "Why an end could not be priced (e.g. bf16 "
                                                                 "weights do not fit), or that it was priced on a "
                                                                 "larger replica, the smallest that meets the "
                                                                 "latency target; else empty."})
    source_url = fields.String(allow_none=True, metadata={"description": "The default's public source; null for an "
                                                                         "estimate."})
    effective_date = fields.String(required=True, metadata={"description": "[YYYY-MM-DD]"})
    is_estimate = fields.Boolean(required=True)


class FigureSchema(ma.Schema):
    """A plotly figure as plotly.js takes it (`Plotly.newPlot(el, fig.data, fig.layout)`)."""

    data = fields.List(fields.Dict(), required=True, metadata={"description": "The traces (plotly.js trace objects)."})
    layout = fields.Dict(required=True, metadata={"description": "The plotly.js layout object."})


# ---------------------------------------------------------------- hybrid and uncertainty

class PlanOptionsSchema(_Strict):
    committed = fields.Boolean(allow_none=True, metadata={
        "description": "Own replicas may not fall once added (reserved terms, owned servers). Default: true for "
                       "reserved terms and owned hardware, false otherwise."})


class PlanRequestSchema(ScenarioSchema):
    plan = fields.Nested(PlanOptionsSchema, load_default=dict)

    @ma.post_load
    def make(self, data, **kwargs):
        return {"scenario": scenario_from_body(data), "plan": _clean(data.get("plan"))}


class PlanMonthSchema(ma.Schema):
    month = fields.Integer(required=True)
    replicas = fields.Float(required=True, metadata={"description": "Own replicas that month [-]."})
    api_share = fields.Float(required=True, metadata={"description": "Share of tokens sent to the API [fraction]."})
    hybrid_usd = fields.Float(required=True, metadata={"description": "Hybrid cost that month [USD]."})
    self_hosted_part_usd = fields.Float(required=True)
    api_part_usd = fields.Float(required=True)
    closed_usd = fields.Float(required=True, metadata={"description": "Closed option alone [USD]."})
    self_hosted_usd = fields.Float(required=True, metadata={"description": "Self-hosting alone [USD]."})


class PlanResponseSchema(ma.Schema):
    summary = fields.Nested(SummarySchema, required=True)
    hybrid = fields.Nested(HybridSummarySchema, required=True)
    verdict = fields.String(required=True)
    profile = fields.List(fields.Float(), required=True, metadata={"description": "The 24 hourly weights used."})
    months = fields.List(fields.Nested(PlanMonthSchema), required=True)
    currency = fields.Nested(CurrencySchema, required=True, metadata={
        "description": "The request's currency and its rate (the verdict's amounts are in it; `usd*` stay USD)."})


INPUT_NAMES = ("volume", "growth", "api_price", "api_price_change", "gpu_rate", "throughput_efficiency",
               "utilisation", "staff_cost", "discount_rate")


class RangeSchema(_Strict):
    low = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-10, max=1e6))
    high = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-10, max=1e6))


class SensitivityRequestSchema(ScenarioSchema):
    ranges = fields.Dict(keys=fields.String(validate=validate.OneOf(INPUT_NAMES)), values=fields.Nested(RangeSchema),
                         load_default=dict, metadata={"description": "Low/high per input (multipliers for volume, "
                                                      "api_price, gpu_rate, throughput_efficiency, staff_cost; "
                                                      "values for the others). Default: the engine's ranges."})

    @ma.post_load
    def make(self, data, **kwargs):
        return {"scenario": scenario_from_body(data),
                "ranges": {k: (v["low"], v["high"]) for k, v in (data.get("ranges") or {}).items()}}


class TornadoRowSchema(ma.Schema):
    input = fields.String(required=True)
    label = fields.String(required=True)
    unit = fields.String(required=True)
    low = fields.Float(required=True)
    high = fields.Float(required=True)
    base_value = fields.Float(required=True)
    savings_npv_low = fields.Float(required=True, metadata={"description": "[USD]"})
    savings_npv_high = fields.Float(required=True, metadata={"description": "[USD]"})
    swing_usd = fields.Float(required=True, metadata={"description": "|high - low| of the NPV savings [USD]."})
    breakeven_month_low = fields.Float(required=True, allow_none=True)
    breakeven_month_high = fields.Float(required=True, allow_none=True)


class SensitivityResponseSchema(ma.Schema):
    base_savings_npv_usd = fields.Float(required=True)
    base_breakeven_month = fields.Float(required=True, allow_none=True)
    rows = fields.List(fields.Nested(TornadoRowSchema), required=True, metadata={"description": "Largest swing first."})
    currency = fields.Nested(CurrencySchema, required=True, metadata={
        "description": "The request's currency and its rate; amounts named `usd*` stay in US dollars."})


class DistributionSchema(_Strict):
    kind = fields.String(load_default="triangular", validate=validate.OneOf(["triangular", "lognormal", "fixed"]))
    low = fields.Float(allow_nan=False, validate=validate.Range(min=-10, max=1e6))
    mode = fields.Float(allow_nan=False, validate=validate.Range(min=-10, max=1e6))
    high = fields.Float(allow_nan=False, validate=validate.Range(min=-10, max=1e6))
    median = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=1e6))
    sigma = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=5))
    value = fields.Float(allow_nan=False, validate=validate.Range(min=-10, max=1e6))

    @ma.validates_schema
    def _complete(self, data, **kwargs):
        need = {"triangular": ("low", "mode", "high"), "lognormal": ("median", "sigma"), "fixed": ("value",)}
        kind = data.get("kind", "triangular")
        missing = {k: ["Required for a " + kind + " distribution."] for k in need[kind] if k not in data}
        if missing:
            raise ma.ValidationError(missing)
        if kind == "triangular" and not data["low"] <= data["mode"] <= data["high"]:
            raise ma.ValidationError({"mode": ["Must lie between low and high."]})


class MonteCarloRequestSchema(ScenarioSchema):
    samples = num("Samples drawn", "-", 1, 100_000, integer=True, default=10_000)
    seed = num("Random seed: the same seed gives the same answer", "-", 0, 2**32 - 1, integer=True, default=0)
    distributions = fields.Dict(keys=fields.String(validate=validate.OneOf(INPUT_NAMES)),
                                values=fields.Nested(DistributionSchema), load_default=dict,
                                metadata={"description": "Per input; the others are triangular over the tornado "
                                                         "ranges with the scenario's value as the mode."})

    @ma.post_load
    def make(self, data, **kwargs):
        return {"scenario": scenario_from_body(data), "samples": int(data.get("samples") or 10_000),
                "seed": int(data.get("seed") or 0), "distributions": data.get("distributions") or {}}


class BandSchema(ma.Schema):
    month = fields.Integer(required=True)
    option = fields.String(required=True)
    p10 = fields.Float(required=True)
    p50 = fields.Float(required=True)
    p90 = fields.Float(required=True)


class PercentilesSchema(ma.Schema):
    p10 = fields.Float(required=True)
    p50 = fields.Float(required=True)
    p90 = fields.Float(required=True)


class MonteCarloSummarySchema(ma.Schema):
    samples = fields.Integer(required=True)
    seed = fields.Integer(required=True)
    skewed_inputs = fields.List(fields.String(), required=True, metadata={
        "description": "Inputs whose range is not symmetric around the scenario's value, in words: the median "
                       "leans their way. Empty with the default (symmetric) ranges unless a bound clips one."})
    savings_npv_usd = fields.Nested(PercentilesSchema, required=True, metadata={
        "description": "Closed minus self-hosted, discounted [USD]."})
    savings_usd = fields.Nested(PercentilesSchema, required=True, metadata={
        "description": "Closed minus self-hosted over the horizon [USD]."})
    probability_self_hosting_cheaper = fields.Float(required=True, metadata={
        "description": "Share of samples whose NPV savings are > 0 [fraction]."})
    probability_breakeven_within_horizon = fields.Float(required=True, metadata={
        "description": "Share of samples that break even within the horizon [fraction]."})
    breakeven_month = fields.Nested(PercentilesSchema, required=True, allow_none=True, metadata={
        "description": "Percentiles of the break-even month among the samples that break even; null = none do "
                       "[months]."})


class HistogramBinSchema(ma.Schema):
    month = fields.Integer(required=True, metadata={"description": "Month of the horizon, 1-based."})
    samples = fields.Integer(required=True, metadata={"description": "Samples breaking even in that month."})


class MonteCarloResponseSchema(ma.Schema):
    summary = fields.Nested(MonteCarloSummarySchema, required=True)
    cumulative_bands = fields.List(fields.Nested(BandSchema), required=True)
    breakeven_histogram = fields.List(fields.Nested(HistogramBinSchema), required=True, metadata={
        "description": "Samples whose break-even falls in each month (1-based)."})
    breakeven_never = fields.Integer(required=True, metadata={"description": "Samples with no break-even."})
    currency = fields.Nested(CurrencySchema, required=True, metadata={
        "description": "The request's currency and its rate; amounts named `usd*` stay in US dollars."})
