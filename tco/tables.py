"""The pricing tables' schemas: one place that says what every column means.

Each table is a CSV file in ``tco/pricing/`` (and optionally in an analyst's overlay
folder).  :data:`TABLES` lists, per table, its columns with type, unit, whether
the column is required, the allowed range and a one-line description.  The
marshmallow schemas in :mod:`tco.catalog` and the schema tables in
``tco/pricing/README.md`` are both derived from (and tested against) this list.

Column types
------------
``str``     free text (non-empty when required)
``id``      lower-case identifier: letters, digits and ``. _ : / -``
``float``   finite number; ``min``/``max`` give the allowed closed range
``int``     whole number; ``min``/``max`` as above
``bool``    ``true``/``false`` (also ``1``/``0``, ``yes``/``no``)
``date``    ISO date ``YYYY-MM-DD``
``url``     ``http(s)://`` address
``choice``  one of ``choices``
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of a pricing table."""

    name: str
    type: str
    unit: str
    description: str
    required: bool = True
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One pricing table: its file, key columns and columns."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    #: column -> the (table, column) pairs it may refer to; a value must exist in one of them.
    #: Blank values of an optional column are not checked.
    foreign_keys: dict = field(default_factory=dict)

    @property
    def dated(self) -> bool:
        """True when rows carry an ``effective_date`` (a price history); False for plain lookups."""
        return "effective_date" in self.column_names

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _usd_mtok(name: str, what: str, required: bool = False) -> Column:
    return Column(name, "float", "USD/1M tokens", what, required=required, min=0.0)


EFFECTIVE_DATE = Column(
    "effective_date", "date", "date",
    "First day this row's numbers are in force; several dates per key form a history.")
SOURCE_URL = Column(
    "source_url", "url", "-", "Public page the numbers were read from.")
NOTES = Column("notes", "str", "-", "Free-text remarks (estimates, caveats).", required=False)
EFFECTIVE_UNTIL = Column(
    "effective_until", "date", "date",
    "Day after the last day this row is in force (exclusive); blank = until a later row for the same key.",
    required=False)
CHECKED_DATE = Column(
    "checked_date", "date", "date",
    "Last day the numbers were confirmed still in force (on source_url, or where notes say); blank = not "
    "re-checked since effective_date. A price's age counts from the later of the two.", required=False)
IS_ESTIMATE = Column(
    "is_estimate", "bool", "-",
    "True when the numbers were not read off the vendor's own page; the reason goes in notes.", required=False)

#: Weight (and KV-cache) precisions a deployment can run; fp4 is taken as NVFP4.
PRECISIONS = ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4", "nvfp4", "mxfp4")
#: Formats weights are published in (``open_models.native_precision``).
NATIVE_PRECISIONS = ("fp32", "bf16", "fp16", "fp8", "mxfp4", "nvfp4", "int8", "int4", "fp4")
#: Where a model alias comes from (``model_aliases.namespace``).
ALIAS_NAMESPACES = ("litellm", "openrouter", "bedrock", "vertex", "azure", "vendor-snapshot")
TERMS = ("on_demand", "reserved_1y", "reserved_3y", "spot")

TABLES: dict[str, Table] = {}


def _add(table: Table) -> None:
    TABLES[table.name] = table


_add(Table(
    name="api_prices",
    description="Closed (and hosted open-weight) models priced per token.",
    key=("model_id", "effective_date"),
    columns=(
        Column("provider", "id", "-", "Vendor or host selling the API (openai, anthropic, azure, ...)."),
        Column("model_id", "id", "-", "Identifier used in scenarios, unique per provider deployment."),
        Column("display_name", "str", "-", "Human-readable name."),
        _usd_mtok("usd_per_mtok_input", "Price of uncached input (prompt) tokens.", required=True),
        _usd_mtok("usd_per_mtok_cached_input", "Price of input tokens read from the prompt cache; blank = no cache discount."),
        _usd_mtok("usd_per_mtok_cache_write", "Price of input tokens written to the prompt cache; blank = same as input."),
        _usd_mtok("usd_per_mtok_output", "Price of output (completion) tokens.", required=True),
        _usd_mtok("usd_per_mtok_batch_input", "Batch-API price of input tokens; blank = no batch API."),
        _usd_mtok("usd_per_mtok_batch_output", "Batch-API price of output tokens; blank = no batch API."),
        Column("long_context_threshold_tokens", "int", "tokens",
               "Prompt length above which the whole request is billed at the long-context prices; blank = no tier.",
               required=False, min=1),
        _usd_mtok("usd_per_mtok_input_long", "Input price for requests whose prompt exceeds the threshold."),
        _usd_mtok("usd_per_mtok_cached_input_long", "Cached-input price for requests above the threshold."),
        _usd_mtok("usd_per_mtok_output_long", "Output price for requests above the threshold."),
        Column("context_window_tokens", "int", "tokens", "Largest prompt the model accepts.", required=False, min=1),
        Column("region", "choice", "-", "Data-processing zone of the deployment.", required=False,
               choices=("global", "us", "eu", "apac")),
        Column("open_weights", "bool", "-", "True when the model's weights are public (a hosted open model)."),
        _usd_mtok("usd_per_mtok_cache_write_1h", "Price of input tokens written to the 1-hour prompt cache; "
                                                 "blank = none published."),
        _usd_mtok("usd_per_mtok_batch_cached_input", "Cache-read price on batch requests where the vendor discounts "
                                                     "it; blank = batch does not discount cache reads."),
        EFFECTIVE_UNTIL,
        Column("promotion", "bool", "-", "True for a time-limited promotional price: effective_until is required "
                                         "and a row dated effective_until carries the list price after it; "
                                         "blank = false.", required=False),
        IS_ESTIMATE,
        EFFECTIVE_DATE, CHECKED_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="seat_prices",
    description="Per-seat (per-user) AI products.",
    key=("product_id", "billing_term", "effective_date"),
    columns=(
        Column("provider", "id", "-", "Vendor (microsoft, github, openai, anthropic, ...)."),
        Column("product_id", "id", "-", "Identifier used in scenarios."),
        Column("display_name", "str", "-", "Human-readable name."),
        Column("usd_per_seat_month", "float", "USD/seat/month", "List price per seat per month.", min=0.0),
        Column("billing_term", "choice", "-", "Commitment the price requires.", choices=("monthly", "annual")),
        Column("min_seats", "int", "seats", "Smallest number of seats sold.", min=1),
        Column("included_usage", "str", "-", "Usage included per seat where the vendor states it.", required=False),
        Column("included_units_per_seat_month", "float", "units/seat/month",
               "Metered units (of overage_unit) included per seat per month; blank = none stated.",
               required=False, min=0.0),
        Column("overage_unit", "str", "-", "Unit usage beyond the included amount is billed in "
                                           "(premium request, AI credit, ...).", required=False),
        Column("usd_per_overage_unit", "float", "USD/unit", "Price of one overage_unit beyond the included amount; "
                                                            "blank = no metered overage.", required=False, min=0.0),
        EFFECTIVE_UNTIL, IS_ESTIMATE,
        EFFECTIVE_DATE, CHECKED_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="image_prices",
    description="Image-generation APIs priced per image.",
    key=("model_id", "size", "quality", "effective_date"),
    columns=(
        Column("provider", "id", "-", "Vendor or host."),
        Column("model_id", "id", "-", "Identifier used in scenarios."),
        Column("display_name", "str", "-", "Human-readable name."),
        Column("size", "str", "pixels", "Output size WIDTHxHEIGHT, or 'any' when the price does not depend on it."),
        Column("quality", "id", "-", "Quality tier (standard, hd, low, medium, high, fast, ultra, any)."),
        Column("usd_per_image", "float", "USD/image", "Price of one generated image.", min=0.0),
        EFFECTIVE_UNTIL, IS_ESTIMATE,
        EFFECTIVE_DATE, CHECKED_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="gpus",
    description="Accelerators: memory, bandwidth, peak compute, power and purchase price.",
    key=("gpu_id", "effective_date"),
    columns=(
        Column("gpu_id", "id", "-", "Identifier used in scenarios (h100-sxm, a100-80gb, ...)."),
        Column("display_name", "str", "-", "Human-readable name."),
        Column("vendor", "id", "-", "Maker (nvidia, amd)."),
        Column("memory_gb", "float", "GB", "Device memory (10^9 bytes).", min=1.0),
        Column("memory_bandwidth_tbps", "float", "TB/s", "Peak memory bandwidth.", min=0.01),
        Column("bf16_dense_tflops", "float", "TFLOP/s", "Peak dense BF16/FP16 tensor throughput (no sparsity).", min=0.1),
        Column("fp8_dense_tflops", "float", "TFLOP/s", "Peak dense FP8 throughput; blank = no FP8 support.", required=False, min=0.1),
        Column("fp4_dense_tflops", "float", "TFLOP/s", "Peak dense FP4 throughput; blank = no FP4 support.", required=False, min=0.1),
        Column("tdp_watts", "float", "W", "Board power (thermal design power).", min=1.0),
        Column("interconnect", "choice", "-", "Scale-up link between GPUs of one server.",
               choices=("nvlink", "pcie", "infinity_fabric")),
        Column("gpus_per_server", "int", "GPUs", "GPUs in the usual server sold with this part; a rack-scale "
                                                  "NVLink domain (GB200/GB300 NVL72) counts as one server of 72.",
               min=1, max=72),
        Column("purchase_usd", "float", "USD/GPU", "Purchase price of one GPU, server share included.", min=0.0),
        Column("purchase_usd_is_estimate", "bool", "-", "True when the price is a rough street estimate, not a quote."),
        Column("memory_gib", "float", "GiB", "Device memory the GPU really has, in binary GiB (2^30 bytes; "
                                             "H100 80 GB -> 80 GiB); blank = not yet read.", required=False, min=1.0),
        Column("platform", "choice", "-", "Software stack the GPU runs.", required=False, choices=("cuda", "rocm")),
        IS_ESTIMATE,
        EFFECTIVE_DATE, CHECKED_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="gpu_rates",
    description="Cloud rental prices per GPU-hour by provider and term.",
    key=("provider", "gpu_id", "term", "effective_date"),
    foreign_keys={"gpu_id": (("gpus", "gpu_id"),)},
    columns=(
        Column("provider", "id", "-", "Cloud (aws, gcp, azure, lambda, coreweave, runpod, ...)."),
        Column("gpu_id", "id", "-", "GPU rented; must exist in gpus.csv."),
        Column("term", "choice", "-", "Commitment.", choices=TERMS),
        Column("usd_per_gpu_hour", "float", "USD/GPU-hour", "Price of one GPU for one hour.", min=0.0, max=1000.0),
        Column("instance_type", "str", "-", "Instance or plan name the rate is derived from.", required=False),
        Column("region", "str", "-", "Region the rate was read for.", required=False),
        EFFECTIVE_UNTIL, IS_ESTIMATE,
        EFFECTIVE_DATE, CHECKED_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="open_models",
    description="Open-weight models: architecture numbers for memory fit and throughput.",
    key=("model_id", "effective_date"),
    columns=(
        Column("model_id", "id", "-", "Identifier used in scenarios (llama-3.1-70b, ...)."),
        Column("display_name", "str", "-", "Human-readable name."),
        Column("modality", "choice", "-", "What the model produces.", choices=("text", "image")),
        Column("total_params_b", "float", "billion parameters", "All weights (all experts).", min=0.001),
        Column("active_params_b", "float", "billion parameters", "Weights used per token (mixture-of-experts: routed experts only).", min=0.001),
        Column("layers", "int", "-", "Transformer layers.", required=False, min=1),
        Column("hidden_size", "int", "-", "Model width.", required=False, min=1),
        Column("attention_heads", "int", "-", "Query heads.", required=False, min=1),
        Column("kv_heads", "int", "-", "Key/value heads (grouped-query attention).", required=False, min=1),
        Column("head_dim", "int", "-", "Dimension of one attention head.", required=False, min=1),
        Column("kv_values_per_token_layer", "int", "values",
               "Cached values per token per layer when not 2 x kv_heads x head_dim (latent attention).",
               required=False, min=1),
        Column("sliding_window_layers", "int", "-",
               "Layers that attend to a window (or chunk) of recent tokens only; blank = none.", required=False,
               min=0),
        Column("sliding_window_tokens", "int", "tokens", "The window of those layers.", required=False, min=1),
        Column("context_length_tokens", "int", "tokens", "Longest supported context.", required=False, min=1),
        Column("experts", "int", "-", "Routed experts per layer (mixture-of-experts).", required=False, min=1),
        Column("experts_per_token", "int", "-", "Routed experts used per token.", required=False, min=1),
        Column("license", "str", "-", "Licence of the weights."),
        Column("native_precision", "choice", "-", "Precision the weights are published in.", required=False,
               choices=NATIVE_PRECISIONS),
        Column("weights_url", "url", "-", "Model card or repository of the weights.", required=False),
        EFFECTIVE_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="throughput_benchmarks",
    description="Measured serving throughput of open models on GPUs.",
    key=("model_id", "gpu_id", "gpu_count", "precision", "input_tokens", "output_tokens", "engine", "measurement",
         "concurrency", "source_id", "effective_date"),
    foreign_keys={"gpu_id": (("gpus", "gpu_id"),), "model_id": (("open_models", "model_id"),)},
    columns=(
        Column("model_id", "id", "-", "Model served; must exist in open_models.csv."),
        Column("gpu_id", "id", "-", "GPU; must exist in gpus.csv."),
        Column("gpu_count", "int", "GPUs", "GPUs in one replica (tensor parallel).", min=1, max=64),
        Column("precision", "choice", "-", "Weight precision.", choices=PRECISIONS),
        Column("input_tokens", "int", "tokens", "Prompt length per request (0 for image models).", min=0),
        Column("output_tokens", "int", "tokens", "Generated tokens per request (0 for image models).", min=0),
        Column("engine", "id", "-", "Serving engine (trt-llm, vllm, sglang, diffusers, ...)."),
        Column("engine_version", "str", "-", "Engine release or commit measured.", required=False),
        Column("platform", "choice", "-", "GPU software platform; blank = the GPU's.", required=False,
               choices=("cuda", "rocm")),
        Column("kv_precision", "choice", "-", "KV-cache precision; blank = the default for the weights.",
               required=False, choices=PRECISIONS),
        Column("measurement", "choice", "-",
               "offline_max: as many requests as the engine takes; fixed_concurrency: that many clients in "
               "flight; latency_bound: the best rate within a latency limit; request_rate: a fixed arrival rate; "
               "decode_rate: concurrency / time per output token at that many clients (the decode steps alone, "
               "the prompts' prefill left out).",
               choices=("offline_max", "fixed_concurrency", "latency_bound", "request_rate", "decode_rate")),
        Column("concurrency", "int", "requests", "Requests in flight (fixed_concurrency); blank = offline.",
               required=False, min=1),
        Column("num_prompts", "int", "requests",
               "Requests in the whole run (a finite benchmark: vllm bench serve --num-prompts, the "
               "'Successful requests' it prints); an offline_max run submits them all at once, so at most this "
               "many are in flight and the last wave is partial; blank = not stated.", required=False, min=1),
        Column("attention_parallel", "choice", "-",
               "How attention was split over the replica's GPUs, as the source states: tp (tensor-parallel: KV "
               "heads fewer than the GPUs, and latent caches, replicated on each GPU) or dp (data-parallel: "
               "TensorRT-LLM's enable_attention_dp, SGLang's --enable-dp-attention; nothing replicated); blank = "
               "not stated (KV heads replicated, latent caches not).", required=False, choices=("tp", "dp")),
        Column("harness", "choice", "-",
               "offline: the engine's own offline benchmark (trtllm-bench, vLLM's benchmark_throughput), no "
               "HTTP server; server: requests sent through the engine's OpenAI-compatible server (vllm bench "
               "serve, SGLang bench_serving, Triton); blank = server.", required=False,
               choices=("offline", "server")),
        Column("output_tokens_per_second", "float", "tokens/s",
               "Output tokens per second for the whole replica.", required=False, min=0.0),
        Column("median_ttft_ms", "float", "ms", "Median time to first token measured.", required=False, min=0.0),
        Column("median_tpot_ms", "float", "ms", "Median time per output token measured.", required=False, min=0.0),
        Column("tuned", "bool", "-",
               "False when the source ran an untuned default, a pre-release build or graphs off, or when its "
               "stated setup cannot be what was run (a rate above the roofline bound): kept, but left out of "
               "the calibration.", required=False),
        Column("source_id", "id", "-", "The source document (one per publication); the calibration groups them "
                                       "by publisher."),
        Column("images_per_second", "float", "images/s", "Images per second for the whole replica (image models).",
               required=False, min=0.0),
        Column("image_steps", "int", "steps", "Denoising steps per image (image models); blank = the model's "
                                              "default.", required=False, min=1),
        Column("image_width", "int", "px", "Image width (image models); blank = the model's native size.",
               required=False, min=64),
        Column("image_height", "int", "px", "Image height (image models); blank = the model's native size.",
               required=False, min=64),
        EFFECTIVE_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="defaults",
    description="Defaults a production team would sign: the values a scenario takes where it gives none.",
    key=("name", "effective_date"),
    columns=(
        Column("name", "id", "-", "The default's name (precision, redundancy_replicas, staff_base_salary_usd_per_year, "
                                  "...); the engine reads each by name."),
        Column("value", "str", "-", "The value: a number, or a word for a choice (fp8)."),
        Column("unit", "str", "-", "Unit of the value (USD/year, replicas, kW/server, ...)."),
        Column("low", "str", "-", "Low end for the defaults tornado (the 'off' value of a choice); blank = none.",
               required=False),
        Column("high", "str", "-", "High end for the defaults tornado; blank = the value itself.", required=False),
        Column("rationale", "str", "-", "Why a production team would sign this value, with the arithmetic."),
        IS_ESTIMATE,
        EFFECTIVE_DATE,
        Column("source_url", "url", "-", "Public page the value was read from; blank only for an estimate "
                                         "(is_estimate true, the reason in notes).", required=False),
        NOTES,
    ),
))

_PRICED_MODELS = (("api_prices", "model_id"), ("image_prices", "model_id"))

_add(Table(
    name="fx_rates",
    description="Reference exchange rates: units of a currency per US dollar, to show USD results in it.",
    key=("currency", "effective_date"),
    columns=(
        Column("currency", "choice", "-", "ISO 4217 code of the currency.",
               choices=("EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "CNY")),
        Column("display_name", "str", "-", "Name of the currency."),
        Column("symbol", "str", "-", "Symbol written before amounts (EUR shows as the euro sign)."),
        Column("units_per_usd", "float", "units/USD", "Units of the currency one US dollar buys at the "
                                                      "reference rate.", min=1e-6, max=1e6),
        IS_ESTIMATE,
        EFFECTIVE_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="model_lifecycle",
    description="Deprecation and shutdown dates of priced models, and the successor their vendor names.",
    key=("model_id", "effective_date"),
    foreign_keys={"model_id": _PRICED_MODELS, "successor_model_id": _PRICED_MODELS},
    columns=(
        Column("provider", "id", "-", "Vendor retiring the model."),
        Column("model_id", "id", "-", "Model retired; must exist in api_prices.csv or image_prices.csv."),
        Column("deprecation_date", "date", "date", "Day the vendor deprecates the model (still served).",
               required=False),
        Column("shutdown_date", "date", "date", "First day the model is no longer served.", required=False),
        Column("successor_model_id", "id", "-", "Model the vendor suggests instead; must exist in api_prices.csv "
                                                "or image_prices.csv; blank = none named.", required=False),
        Column("effective_date", "date", "date", "Day the dates were announced or read; a later row for the same "
                                                 "model replaces an earlier announcement."),
        SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="model_aliases",
    description="Names users have for catalog models: provider-prefixed, cloud and dated-snapshot ids.",
    key=("alias",),
    foreign_keys={"model_id": (("api_prices", "model_id"), ("open_models", "model_id"),
                               ("image_prices", "model_id"))},
    columns=(
        Column("alias", "id", "-", "Name as written by LiteLLM, OpenRouter, a cloud or a dated snapshot "
                                   "(openai/gpt-4o, anthropic.claude-sonnet-4-5-20250929-v1:0, ...)."),
        Column("model_id", "id", "-", "Catalog id it stands for; must exist in api_prices.csv, open_models.csv "
                                      "or image_prices.csv."),
        Column("namespace", "choice", "-", "Who writes the alias.", choices=ALIAS_NAMESPACES),
        SOURCE_URL, NOTES,
    ),
))

#: Ways a model can be fine-tuned (``model_control.fine_tuning`` joins them with ``+``).
FINE_TUNING_ROUTES = ("none", "vendor_api", "lora_own_gpus", "full_own_gpus")
_CATALOG_MODELS = (("api_prices", "model_id"), ("open_models", "model_id"), ("image_prices", "model_id"))

_add(Table(
    name="model_quality",
    description="Published benchmark and leaderboard scores per model, metric and date. `model_id` is a "
                "quality id (one per set of weights and reasoning setting); `model_quality_join` says which "
                "catalog models it applies to. Scores of different metrics (and of the two intelligence-index "
                "versions) are on different scales: compare within a metric only.",
    key=("model_id", "metric", "effective_date"),
    columns=(
        Column("model_id", "id", "-", "Quality id of the model as scored (claude-sonnet-5-5, llama-3.3-70b, ...)."),
        Column("metric", "id", "-", "Benchmark or leaderboard (hle, gpqa_diamond, arena_elo, intelligence_index, "
                                    "...)."),
        Column("score", "float", "scale", "The published score, in the metric's scale."),
        Column("scale", "str", "-", "What the score counts (0-100 % correct, Elo-like rating, 0-100 index)."),
        Column("higher_is_better", "bool", "-", "True when a higher score is better."),
        Column("source_kind", "choice", "-", "leaderboard: an independent run that measures every model the "
                                             "same way; vendor: the model maker's own number.",
               choices=("leaderboard", "vendor")),
        EFFECTIVE_DATE, SOURCE_URL, NOTES,
    ),
))

_add(Table(
    name="model_quality_join",
    description="Which `model_quality` scores apply to each catalog model (closed, open and hosted "
                "deployments of the same weights). A blank `quality_model_id` means no published score; "
                "`notes` gives the reason. Not dated.",
    key=("model_id",),
    foreign_keys={"model_id": _CATALOG_MODELS, "quality_model_id": (("model_quality", "model_id"),)},
    columns=(
        Column("model_id", "id", "-", "Catalog id (api_prices, open_models or image_prices)."),
        Column("quality_model_id", "id", "-", "model_quality id whose scores apply; blank = none published.",
               required=False),
        Column("basis", "str", "-", "Why the scores apply (same weights, served via a host, alias).",
               required=False),
        Column("source_url", "url", "-", "Page of the catalog row that names the weights the model serves "
                                         "(its price page or model card)."),
        NOTES,
    ),
))

_add(Table(
    name="model_control",
    description="Control, customisation and transparency facts per catalog model: weights and licence, the "
                "fine-tuning route, where data is processed and the published retention terms.",
    key=("model_id", "effective_date"),
    foreign_keys={"model_id": _CATALOG_MODELS},
    columns=(
        Column("model_id", "id", "-", "Catalog id (api_prices, open_models or image_prices)."),
        Column("weights_available", "bool", "-", "True when the weights can be downloaded and run on own GPUs."),
        Column("licence", "str", "-", "Licence of the weights, or proprietary."),
        Column("licence_url", "url", "-", "Licence text or model card.", required=False),
        Column("fine_tuning", "str", "-", "Routes joined with +: " + ", ".join(FINE_TUNING_ROUTES) +
               " (vendor_api: the vendor's fine-tuning API; lora_own_gpus / full_own_gpus: adapters or full "
               "weights trained on own GPUs)."),
        Column("fine_tuning_source_url", "url", "-", "Page stating the fine-tuning route.", required=False),
        Column("data_processing", "str", "-", "Where prompts are processed (vendor regions, own data centre)."),
        Column("data_retention", "str", "-", "The vendor's published retention and training-use terms."),
        Column("data_terms_url", "url", "-", "The vendor's data-usage or retention page.", required=False),
        Column("effective_date", "date", "date", "Day the facts were read; a later row replaces an earlier one."),
        SOURCE_URL, NOTES,
    ),
))

TABLE_NAMES = tuple(TABLES)


def _rule(col: Column) -> str:
    """What a value of ``col`` must look like, in words (the schema tables of pricing/README.md)."""
    if col.type == "id":
        return "Lower-case letters, digits and . _ : / -."
    if col.type == "choice":
        return f"One of: {', '.join(col.choices)}."
    if col.type == "bool":
        return "Values true/false."
    if col.type == "date":
        return "Format YYYY-MM-DD."
    if col.type == "url":
        return "Starts with http:// or https://."
    if col.type in ("float", "int") and (col.min is not None or col.max is not None):
        def g(v):
            return f"{v:g}"
        if col.min is not None and col.max is not None:
            return f"Range {g(col.min)} to {g(col.max)}."
        return f"Range >= {g(col.min)}." if col.min is not None else f"Range <= {g(col.max)}."
    return ""


def schema_markdown(table: Table) -> str:
    """The table's file, key and columns as the Markdown of ``tco/pricing/README.md`` (column,
    type, unit, required, description).

    >>> print(schema_markdown(TABLES["model_aliases"]).splitlines()[0][:39])
    File `model_aliases.csv`. Key: `alias`.
    """
    fks = ", ".join(f"`{c}` -> " + " or ".join(f"`{t}.{k}`" for t, k in refs)
                    for c, refs in table.foreign_keys.items())
    head = f"File `{table.filename}`. Key: {', '.join(f'`{k}`' for k in table.key)}." + \
        (f" Foreign keys: {fks}." if fks else "")
    rows = ["| column | type | unit | required | description |", "|---|---|---|---|---|"]
    for c in table.columns:
        text = " ".join(x for x in (c.description, _rule(c)) if x)
        rows.append(f"| `{c.name}` | {c.type} | {c.unit} | {'yes' if c.required else 'no'} | {text} |")
    return head + "\n\n" + "\n".join(rows)
