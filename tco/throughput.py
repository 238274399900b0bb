"""Roofline model of LLM serving: memory fit and tokens per second of one replica.

A *replica* is one copy of an open model served by ``gpus_per_replica`` GPUs
(tensor parallel).  Every function here is a pure numpy function in the pvlib
style: inputs are scalars or array-likes that broadcast against each other,
outputs are numpy arrays (0-d for scalar inputs) with the units given in the
docstrings.  Nothing here needs pandas or Flask.  Argument names follow the
``open_models`` and ``gpus`` pricing tables (:mod:`tco.tables`).

The model, in one screen
------------------------
*Memory.*  A replica offers ``gpus x memory_gib x 2**30 x usable_memory_fraction``
bytes to weights and KV cache (device memory is binary: an "80 GB" H100 holds 80 GiB).
Weights take ``total_params_b x 1e9 x bytes_per_param(precision)``, block scales of the
4-bit formats included (MXFP4 4.25 bits, NVFP4 4.5); what is left holds the KV cache, in
which every request of the batch reserves its whole length ``input_tokens +
output_tokens`` (layers that attend to a sliding window or chunk only keep that window).
A deployment whose weights plus one request's cache do not fit is refused
(:class:`DoesNotFitError`, or ``fits`` False in the non-raising variants).

*Prefill* is compute bound: ``2 x active params x uncached prompt tokens`` FLOP plus
attention's, quadratic in the prompt, at ``gpus x peak FLOP/s x prefill mfu x tp_efficiency``.
Prompt tokens found in the prefix cache skip it.

*Decode.*  A step makes one token for each of the ``B`` sequences.  It runs
its kernels one after the other, each on its own roofline:

- the weight matrix products read the weights once and do ``2 x active params x B`` FLOP
  (plus attention's, linear in the context): ``max(weight bytes / bandwidth, FLOP / compute)``.
  A mixture of experts runs two such parts, each on its own roofline: its shared weights
  (attention, dense layers, shared experts), read once for all ``B`` tokens, and the routed
  experts the batch touches (:func:`moe_weight_bytes_read`), each read for its few tokens, so
  at a large batch the first is compute-bound while the second still waits on memory;
- attention reads every sequence's KV cache at the average context
  ``input + output / 2``: ``B x context x KV bytes/token / bandwidth``;

plus the engine's fixed costs: a time per step, per sequence, and two all-reduces per
layer when the replica spans several GPUs.

*Batch.*  The largest batch that (1) fits the KV memory, (2) keeps the time per output
token and the time to the first token under the latency targets of the use
(:data:`tco.serving.USES`), (3) stays under the engine's maximum batch (its documented default,
:func:`engine_max_batch`: vLLM's ``max_num_seqs``, trtllm-bench's cap of 4096) and (4) under the
clients' concurrency.  The batch search is a vectorised integer bisection.  The KV memory is the
engine's: vLLM and SGLang give weights plus cache 90 % of the GPU, TensorRT-LLM gives the cache
90 % of what the weights leave (:func:`engine_memory_fraction`).

*Throughput.*  Continuous batching interleaves the decode steps with the
prefills of the requests that replace finished ones; they share the GPUs, so
for a batch of ``B`` requests::

    output tokens/s = B / time per output token
    time per output token = decode step + max(B x prefill per request / output_tokens - idle, 0)

where ``idle`` is the compute a memory-bound step leaves unused (weights time - matrix-product
time): engines that mix prefill chunks into the decode steps (vLLM V1, TensorRT-LLM) run that
much prefill for free; SGLang by default runs its prefill batches apart (idle = 0), which gives
``B x output_tokens / (output_tokens x decode step + B x prefill)``.

*The serving stack.*  Bandwidth and FLOP utilisation are the reference (TensorRT-LLM on
CUDA) times the engine's and the platform's share (:data:`ENGINE_EFFICIENCY`,
:data:`PLATFORM_EFFICIENCY`), times a factor for mixture-of-experts models; FP4 kernels
reach a share of the FP4 peak.  vLLM on the GPU's own platform is the default stack.

*Tensor parallelism* costs all-reduces: compute and bandwidth are both
multiplied by ``1 / (1 + overhead x (gpus - 1))``, with a much larger overhead
over PCIe than over NVLink, and each step waits for two all-reduces per layer.

Calibration
-----------
Every ``DEFAULT_*`` efficiency and overhead is fitted jointly (never per model or per GPU)
on the measured rows of the ``throughput_benchmarks`` table — TensorRT-LLM's perf-overview
tables, InferenceX, vLLM's blog, GPUStack's performance lab, dstack — by
:mod:`tco.calibration`, which also scores the model on each source left out of its own fit.
``tco calibrate`` reproduces the fit and prints that table.

Examples
--------
Llama-3.1-8B in fp8 on one H100 SXM, 1,000 tokens in and 1,000 out, at maximum throughput
(no latency target): the KV cache sets the batch, (0.9 x 80 GiB - 8.03e9 B) / (65,536 B x
2,000 tokens) = 528 sequences.

>>> r = replica_throughput(total_params_b=8.03, active_params_b=8.03, layers=32,
...                        kv_heads=8, head_dim=128, memory_gib=80,
...                        memory_bandwidth_tbps=3.35, bf16_dense_tflops=989,
...                        fp8_dense_tflops=1979, precision="fp8",
...                        input_tokens=1000, output_tokens=1000, max_batch=4096)
>>> str(r.batch_limit), int(r.batch_size)
('memory', 528)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

import numpy as np

__all__ = [
    "PRECISION_BYTES",
    "INTERCONNECTS",
    "COMBINE_MODES",
    "DEFAULT_MFU",
    "DEFAULT_MBU",
    "DEFAULT_TP_OVERHEAD",
    "DEFAULT_USABLE_MEMORY_FRACTION",
    "DEFAULT_MAX_BATCH",
    "DoesNotFitError",
    "ReplicaThroughput",
    "bytes_per_param",
    "default_kv_precision",
    "kv_bytes_per_token",
    "weight_bytes",
    "moe_weight_bytes_read",
    "peak_tflops",
    "tp_efficiency",
    "usable_memory_bytes",
    "kv_cache_bytes",
    "max_batch_by_memory",
    "fits",
    "check_fit",
    "prefill_seconds",
    "decode_step_seconds",
    "replica_throughput",
    "finite_run_tokens_per_s",
    "usd_per_mtok",
    "DiffusionModel",
    "DIFFUSION_MODELS",
    "IMAGE_EFFICIENCY",
    "dit_flops_per_pass",
    "diffusion_flops_per_image",
    "modelled_images_per_second",
]

# --------------------------------------------------------------------------
# constants and calibrated defaults
# --------------------------------------------------------------------------

#: One GiB [bytes]: device memory is binary (an "80 GB" H100 holds 80 GiB).
GIB: float = 2.0 ** 30

#: Bytes per stored value of each precision (weights or KV cache), block scales included:
#: MXFP4 stores 4 bits plus one 8-bit scale per 32 values (4.25 bits, OCP MX spec); NVFP4 4 bits
#: plus one FP8 scale per 16 values (4.5 bits); int4 (AWQ/GPTQ, groups of 128 with a 16-bit
#: scale and zero point) 4.25 bits.  ``fp4`` is taken as NVFP4.
PRECISION_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 4.25 / 8,
    "fp4": 4.5 / 8,
    "nvfp4": 4.5 / 8,
    "mxfp4": 4.25 / 8,
}

#: Scale-up links between the GPUs of one replica (the ``gpus.interconnect``
#: column).
INTERCONNECTS: tuple[str, ...] = ("nvlink", "pcie", "infinity_fabric")

#: How a decode step combines memory and compute time, see
#: :func:`decode_step_seconds`.
COMBINE_MODES: tuple[str, ...] = ("split", "max", "sum")

#: Model FLOP utilisation of decode's matrix products [-], achieved / peak dense FLOP/s of the
#: precision, on the reference stack (TensorRT-LLM on CUDA).  Fitted (``tco calibrate``), under a weak
#: prior around 0.5 (:data:`tco.calibration.PRIOR_WIDTH`): only large-batch runs inform it.
DEFAULT_MFU: float = 0.5618

#: Memory bandwidth utilisation [-], achieved / peak bytes/s, for weight and KV-cache reads, on
#: the reference stack.  Fitted (the fit allows at most 90 %); other engines and platforms reach
#: their share of it (:data:`ENGINE_EFFICIENCY`, :data:`PLATFORM_EFFICIENCY`), a mixture-of-experts
#: model's routed experts :data:`DEFAULT_MOE_EFFICIENCY` of that (its shared weights and KV cache the whole).
DEFAULT_MBU: float = 0.7174

#: Tensor-parallel overhead per extra GPU [-], by interconnect: compute and
#: bandwidth are multiplied by ``1 / (1 + overhead x (gpus - 1))``, i.e. 0.66 for 8 GPUs on
#: NVLink, 0.58 on Infinity Fabric (both fitted; the all-reduce latency per layer,
#: :data:`DEFAULT_ALLREDUCE_LATENCY_S`, carries most of the cost); 0.63 and 0.36 for 2 and 4
#: on PCIe (fitted on the earlier TensorRT-LLM L40S rows; too few PCIe rows to refit).
DEFAULT_TP_OVERHEAD: dict[str, float] = {
    "nvlink": 0.07264,
    "pcie": 0.60,
    "infinity_fabric": 0.1047,
}

#: Share of the device memory that weights and KV cache may use [-]; the rest
#: is activations, CUDA context and the runtime's workspace.  Engines default
#: to 0.90 (vLLM ``gpu_memory_utilization``); TensorRT-LLM gives the KV cache
#: 90-95 % of what the weights leave.
DEFAULT_USABLE_MEMORY_FRACTION: float = 0.90

#: Largest batch (concurrent sequences) TensorRT-LLM and SGLang schedule [sequences]: both size it
#: from the KV memory; trtllm-bench caps it at 4096 (``finetune_setting`` in
#: https://github.com/NVIDIA/TensorRT-LLM/blob/main/tensorrt_llm/bench/build/tuning.py, read
#: 2026-12-02).  Not fitted: a fitted ceiling shared by all engines was what made the model fail
#: out of source (the other publishers' runs pulled it to 64).  vLLM: :data:`VLLM_MAX_NUM_SEQS`.
DEFAULT_MAX_BATCH: int = 4096

#: vLLM's default ``max_num_seqs`` [sequences]: 1024 on GPUs of at least 70 GiB other than the
#: A100 (H100, H200, B200, MI300X...) since the V1 engine's per-device defaults (vLLM 0.9, 2025),
#: 256 before that and on smaller GPUs and the A100.  Source: vLLM ``EngineArgs`` default
#: arguments and their test (``tests/engine/test_arg_utils.py``, ``test_defaults_with_usage_context``),
#: https://github.com/vllm-project/vllm/blob/main/vllm/engine/arg_utils.py (read 2026-12-02).
VLLM_MAX_NUM_SEQS: dict[str, int] = {"large_gpu": 1024, "other": 256}

#: Device memory from which vLLM picks its larger defaults [GiB].
VLLM_LARGE_GPU_GIB: float = 70.0

#: First vLLM release with the per-device defaults of :data:`VLLM_MAX_NUM_SEQS` (major, minor).
VLLM_LARGE_DEFAULTS_SINCE: tuple[int, int] = (0, 9)

#: Serving engines the efficiencies are fitted for.
ENGINES: tuple[str, ...] = ("vllm", "sglang", "trt-llm")

#: GPU software platforms.
PLATFORMS: tuple[str, ...] = ("cuda", "rocm")

#: The stack most teams run (the default): vLLM, on the GPU's own platform.
DEFAULT_ENGINE: str = "vllm"

#: Each engine's share of the reference efficiencies (``DEFAULT_MBU``, ``DEFAULT_MFU``) [-].
#: Fitted by :mod:`tco.calibration` on published measurements (``tco calibrate``).
ENGINE_EFFICIENCY: dict[str, float] = {"trt-llm": 1.0, "vllm": 0.8759, "sglang": 1.048}

#: Each platform's share of the reference efficiencies [-]; fitted like the engines'.
PLATFORM_EFFICIENCY: dict[str, float] = {"cuda": 1.0, "rocm": 0.6936}

#: Share of the bandwidth a mixture-of-experts model's routed experts' weight reads reach [-]: routing,
#: expert imbalance and many small reads.  It slows the routed experts a decode step reads, not its shared
#: weights (attention, dense layers, shared experts) nor the KV cache, which are read as a dense model's
#: (a share on every byte made large batches at long context, where the cache dominates, read 1.5x slow,
#: and Llama 4 Maverick, 82 % shared weights, as slow as DeepSeek's 45 %).  Fitted, under the weak prior
#: (no penalty: 1.0), with the other efficiencies: 0.53 while one roofline covered the shared weights and the
#: experts (a large batch's shared compute hid part of the expert reads, which this share then slowed),
#: 0.63 since the experts run on a roofline of their own (:func:`decode_step_seconds`; 2026-12-04: leave one
#: source out 55.1 % of rows within 25 %, 53.7 % before).
DEFAULT_MOE_EFFICIENCY: float = 0.6257

#: Mixture-of-experts models' share of the decode FLOP efficiency of their routed experts' matrix
#: products (the shared weights' and attention's run at the dense rate) [-]: at a large batch a decode
#: step is compute-bound and runs grouped per-expert matrix products, whose efficiency need not
#: match the bandwidth share's (offline tables at large batch and served runs at a moderate one
#: pull one shared factor in opposite directions).  Fitted under the weak prior of
#: :data:`tco.calibration.PRIOR_WIDTH` (no penalty: 1.0): without it a fit that never saw
#: TensorRT-LLM's offline tables took it to 0.12.  With the experts on a roofline of their own it fits at
#: about 1: their grouped matrix products reach the dense rate.
DEFAULT_MOE_COMPUTE_EFFICIENCY: float = 1.038

#: How independently the sequences of a decode batch pick their experts [-]: a batch of B touches the
#: experts that 1 + s x (B - 1) independent uniform draws would (:func:`moe_weight_bytes_read`).  Real
#: routing is correlated (popular experts, similar tokens), so mid-size batches read fewer expert
#: weights than independent draws imply.  Fitted with the other efficiencies (on the table of
#: 2026-12-03, with it: leave one source out 51.7 % of rows within 25 %, 49.6 % without).
DEFAULT_MOE_ROUTING_INDEPENDENCE: float = 0.3869

#: Mixture-of-experts models' share of the prefill efficiency of their routed experts' matrix products
#: (the shared weights' and attention's run at the dense rate) [-]: many small expert matrix products per
#: chunk.  Fitted.
DEFAULT_MOE_PREFILL_EFFICIENCY: float = 0.3017

#: FLOP utilisation of prefill [-] on the reference stack, serving clients: prompts arrive one by
#: one and are prefilled in chunks beside the running decodes.  Fitted.
DEFAULT_PREFILL_MFU: float = 0.5278

#: Share of the FP4 peak that FP4 kernels reach, relative to other precisions [-].  Fitted, under the
#: weak prior (no penalty: 1.0).
DEFAULT_FP4_EFFICIENCY: float = 0.6332

#: How many times the serving prefill's FLOP utilisation an offline run reaches when it prefills a
#: whole wave of prompts at once (every request submitted together: thousands of prompt tokens per
#: forward pass, no decode step sharing it) [-].  Fitted on the ``offline_max`` rows.
DEFAULT_WAVE_PREFILL_GAIN: float = 1.212

#: Fixed time of every decode step [s]: scheduling, kernel launches, sampling set-up.  Fitted.
DEFAULT_STEP_OVERHEAD_S: float = 0.0001909

#: Latency of one tensor-parallel all-reduce [s]; a decode step runs two per layer when a
#: replica spans several GPUs, whatever the batch.  Fitted.
DEFAULT_ALLREDUCE_LATENCY_S: float = 4.706e-05

#: Time every sequence adds to a decode step [s]: per-sequence scheduling, sampling and
#: detokenisation; it bounds what very large batches gain.  Fitted.
DEFAULT_SEQUENCE_OVERHEAD_S: float = 6.746e-06

#: Time the engine's OpenAI-compatible server adds per sequence and decode step [s]: detokenising
#: and streaming every new token to its client, request bookkeeping in the API process.  Offline
#: engine benchmarks (trtllm-bench, vLLM's benchmark_throughput) do not pay it; a deployment serving
#: clients does.  Fitted on the ``harness`` = server rows (the offline ones show what is left); the
#: fit of 2026-12-04 (MoE shares on the expert work alone, attention data-parallel where the run used it)
#: puts it at its bound, 0: the per-sequence cost of :data:`DEFAULT_SEQUENCE_OVERHEAD_S` covers the
#: served rows as well.
DEFAULT_SERVER_OVERHEAD_S: float = 0.0

#: The peak-FLOP column each precision computes at.  int8/int4 are taken as
#: weight-only quantisation (AWQ/GPTQ-style W8A16, W4A16) whose matrix
#: products run in bf16.
_COMPUTE_COLUMN = {
    "fp32": "fp32",
    "bf16": "bf16",
    "fp16": "bf16",
    "fp8": "fp8",
    "int8": "bf16",
    "int4": "bf16",
    "fp4": "fp4",
    "nvfp4": "fp4",
    "mxfp4": "fp4",
}

#: KV-cache precision used with each weight precision by default.
_DEFAULT_KV = {
    "fp32": "fp32",
    "bf16": "bf16",
    "fp16": "fp16",
    "fp8": "fp8",
    "int8": "bf16",
    "int4": "bf16",
    "fp4": "fp8",
    "nvfp4": "fp8",
    "mxfp4": "bf16",
}

_LIMITS = np.array(["memory", "latency", "max_batch", "concurrency"])

#: Batch sizes are searched up to this many sequences at most.
_BATCH_CEILING = 1e7


class DoesNotFitError(ValueError):
    """The weights (plus the KV cache of one request) exceed the replica's memory."""


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def _lookup(names, table: dict, what: str) -> np.ndarray:
    """Map a string or array of strings through ``table`` (vectorised)."""
    if isinstance(names, str):
        key = names.lower()
        if key in table:
            return np.asarray(table[key])
    arr = np.asarray(names)
    if arr.dtype.kind not in "UO":
        raise ValueError(f"{what} must be one of {', '.join(table)}; got {names!r}")
    arr = np.char.lower(arr.astype(str))
    uniq, inv = np.unique(arr, return_inverse=True)
    bad = [u for u in uniq if u not in table]
    if bad:
        raise ValueError(
            f"unknown {what} {', '.join(map(repr, bad))}; valid: {', '.join(table)}")
    values = np.array([table[u] for u in uniq])
    return values[inv].reshape(arr.shape)


def _float_or_nan(x) -> np.ndarray:
    """``None`` -> NaN, else a float array (blank table cells are NaN)."""
    if x is None:
        return np.asarray(np.nan)
    return np.asarray(x, dtype=float)


def _as_float(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


# --------------------------------------------------------------------------
# sizes
# --------------------------------------------------------------------------

def bytes_per_param(precision) -> np.ndarray:
    """Bytes per stored value of a precision.

    Parameters
    ----------
    precision : str or array-like of str
        One of ``fp32, bf16, fp16, fp8, int8, int4, fp4, nvfp4, mxfp4`` (case-insensitive).

    Returns
    -------
    numpy.ndarray
        [bytes] per parameter (or per cached value), block scales included (:data:`PRECISION_BYTES`).

    Raises
    ------
    ValueError
        For an unknown precision; the message lists the valid names.

    Examples
    --------
    >>> float(bytes_per_param("bf16")), bytes_per_param(["fp8", "mxfp4", "nvfp4"]).tolist()
    (2.0, [1.0, 0.53125, 0.5625])
    """
    return _lookup(precision, PRECISION_BYTES, "precision").astype(float)


def default_kv_precision(precision) -> np.ndarray:
    """KV-cache precision that goes with a weight precision by default.

    FP8 and FP4 deployments cache keys and values in FP8 (as the TensorRT-LLM
    reference benchmarks do); weight-only int8/int4 keep a bf16 cache; the
    others cache in their own precision.

    Parameters
    ----------
    precision : str or array-like of str
        Weight precision.

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    >>> str(default_kv_precision("fp4")), str(default_kv_precision("int4"))
    ('fp8', 'bf16')
    """
    return _lookup(precision, _DEFAULT_KV, "precision")


#: How attention is split over a replica's GPUs: ``tp`` (tensor-parallel: each GPU takes a share of
#: the heads, so KV heads fewer than the GPUs, and a latent cache every head shares, are replicated on
#: each GPU) or ``dp`` (data-parallel: each GPU runs attention for its own sequences with every head,
#: nothing replicated; TensorRT-LLM's ``enable_attention_dp``, SGLang's ``--enable-dp-attention``).
ATTENTION_PARALLEL: tuple[str, ...] = ("tp", "dp")


def kv_bytes_per_token(layers, kv_heads, head_dim, kv_bytes_per_value,
                       kv_values_per_token_layer=None, tensor_parallel=1, attention_parallel=None) -> np.ndarray:
    """KV-cache bytes one token occupies.

    ``layers x values per token per layer x bytes per value``, where the
    values per token per layer are ``kv_values_per_token_layer`` when given
    (latent attention: DeepSeek-V3 caches 512 + 64 = 576) and otherwise
    ``2 x kv_heads x head_dim`` (a key and a value per KV head).

    Parameters
    ----------
    layers : int or array-like
        Transformer layers [-].
    kv_heads : int or array-like
        Key/value heads [-] (ignored where ``kv_values_per_token_layer`` is set;
        may be NaN there).
    head_dim : int or array-like
        Dimension of one head [-].
    kv_bytes_per_value : float or array-like
        [bytes] per cached value, e.g. ``bytes_per_param("fp8")``.
    kv_values_per_token_layer : int or array-like, optional
        Cached values per token per layer [values]; NaN or None means
        ``2 x kv_heads x head_dim``.
    tensor_parallel : int or array-like, default 1
        GPUs the model is split over [-].
    attention_parallel : str or array-like of str, optional
        :data:`ATTENTION_PARALLEL`.  ``tp``: when the GPUs outnumber the KV heads the heads are
        replicated (each GPU needs at least one), so the cache grows to ``2 x tensor_parallel x
        head_dim`` values per layer, and a latent cache is held whole on every GPU
        (``tensor_parallel x`` the values); ``dp``: neither is replicated.  None, blank or NaN: the
        default, KV heads replicated as under ``tp`` and latent caches not (the engines that serve
        latent attention run it data-parallel when tuned for throughput).

    Returns
    -------
    numpy.ndarray
        [bytes/token] for the whole replica.

    Examples
    --------
    Llama-3.1-70B in bf16: 80 layers x 2 x 8 heads x 128 x 2 bytes:

    >>> float(kv_bytes_per_token(80, 8, 128, 2))
    327680.0

    Qwen3-235B-A22B (94 layers, 4 KV heads of 128) in fp8 on 8 GPUs: tensor-parallel attention holds
    8 heads' worth, 94 x 2 x 8 x 128 = 192,512 bytes; data-parallel 4 heads', 96,256:

    >>> [float(kv_bytes_per_token(94, 4, 128, 1, tensor_parallel=8, attention_parallel=a)) for a in ("tp", "dp")]
    [192512.0, 96256.0]

    DeepSeek-V3's latent attention: 61 layers x 576 values x 2 bytes, and 8 copies of it under
    tensor-parallel attention on 8 GPUs:

    >>> float(kv_bytes_per_token(61, None, None, 2, kv_values_per_token_layer=576))
    70272.0
    >>> float(kv_bytes_per_token(61, None, None, 2, kv_values_per_token_layer=576, tensor_parallel=8,
    ...                          attention_parallel="tp"))
    562176.0
    """
    ap = np.asarray("" if attention_parallel is None else attention_parallel).astype(str)
    dp, tp = ap == "dp", ap == "tp"
    g = _as_float(tensor_parallel)
    latent = _float_or_nan(kv_values_per_token_layer)
    heads = np.where(dp, _float_or_nan(kv_heads), np.maximum(_float_or_nan(kv_heads), g))
    standard = 2.0 * heads * _float_or_nan(head_dim)
    values = np.where(np.isnan(latent), standard, latent * np.where(tp, g, 1.0))
    return _as_float(layers) * values * _as_float(kv_bytes_per_value)


#: Multi-head latent attention's projection ranks (DeepSeek-V3, -R1, -V3.1, -V3.2 and Kimi K2 share them):
#: query LoRA rank 1536, key/value LoRA rank 512, 64 rotary and 128 plain dimensions per query/key head,
#: 128 per value head.  Source: DeepSeek-V3 ``config.json`` (``q_lora_rank``, ``kv_lora_rank``,
#: ``qk_rope_head_dim``, ``qk_nope_head_dim``, ``v_head_dim``),
#: https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json (read 2026-12-04); Kimi K2's
#: ``config.json`` gives the same five.
MLA_RANKS: dict[str, int] = {"q_lora": 1536, "kv_lora": 512, "qk_rope": 64, "qk_nope": 128, "v_head": 128}


def attention_params_b(layers, hidden_size, attention_heads, kv_heads=None, head_dim=None,
                       kv_values_per_token_layer=None) -> np.ndarray:
    """Weights of the attention projections [billion parameters], the part of a model that
    data-parallel attention holds whole on every GPU.

    Grouped-query attention: ``layers x hidden x head_dim x (2 x heads + 2 x kv_heads)`` (query and output,
    key and value projections; biases and norms left out).  Latent attention (``kv_values_per_token_layer``
    set, no ``head_dim``), with the ranks of :data:`MLA_RANKS`: per layer ``hidden x q_lora + q_lora x heads
    x (qk_nope + qk_rope) + hidden x (kv_lora + qk_rope) + kv_lora x heads x (qk_nope + v_head) + heads x
    v_head x hidden``.

    Examples
    --------
    Llama 3.1 70B (80 layers, hidden 8192, 64 heads, 8 KV heads of 128): 80 x 8192 x 128 x 144 = 12.08B.

    >>> round(float(attention_params_b(80, 8192, 64, 8, 128)), 4)
    12.0796

    DeepSeek-V3 (61 layers, hidden 7168, 128 heads): 7168 x 1536 + 1536 x 128 x 192 + 7168 x 576 + 512 x 128
    x 256 + 128 x 128 x 7168 = 11.01M + 37.75M + 4.13M + 16.78M + 117.44M = 187.1M a layer, 11.41B in all.

    >>> round(float(attention_params_b(61, 7168, 128, None, None, 576)), 3)
    11.413
    """
    L, h, H = _as_float(layers), _as_float(hidden_size), _as_float(attention_heads)
    hd = _float_or_nan(head_dim)
    gqa = L * h * hd * (2.0 * H + 2.0 * _float_or_nan(kv_heads))
    r = MLA_RANKS
    mla = L * (h * r["q_lora"] + r["q_lora"] * H * (r["qk_nope"] + r["qk_rope"]) + h * (r["kv_lora"] + r["qk_rope"])
               + r["kv_lora"] * H * (r["qk_nope"] + r["v_head"]) + H * r["v_head"] * h)
    latent = ~np.isnan(_float_or_nan(kv_values_per_token_layer)) & np.isnan(hd)
    return np.where(latent, mla, gqa) / 1e9


#: 4-bit formats whose mixture-of-experts checkpoints quantise the routed experts alone, with the
#: precision the rest (attention, embeddings, router, dense layers) keeps: OpenAI's gpt-oss release
#: puts its MoE weights in MXFP4 and keeps the other tensors in BF16 (model card; vLLM's gpt-oss
#: post: "MXFP4 for the MoE weights ... the standard bfloat16 for attention and other layers").
#: NVFP4 checkpoints (``fp4``/``nvfp4``) are taken as quantised throughout.
MOE_SHARED_PRECISION: dict[str, str] = {"mxfp4": "bf16"}


def shared_precision(precision, experts=None, experts_per_token=None) -> np.ndarray:
    """The precision a model's shared weights are held and computed in: :data:`MOE_SHARED_PRECISION`
    for a mixture of experts in such a format, else the weights' own.

    >>> shared_precision(["mxfp4", "mxfp4", "fp4"], [128, None, 128], [4, None, 8]).tolist()
    ['bf16', 'mxfp4', 'fp4']
    """
    p = np.asarray(precision).astype(str)
    e, k = _float_or_nan(experts), _float_or_nan(experts_per_token)
    moe = np.isfinite(e) & np.isfinite(k) & (e > k)
    out = p.astype(object)
    for fmt, kept in MOE_SHARED_PRECISION.items():     # a few formats, not a loop over the rows
        out = np.where(moe & (np.char.lower(p) == fmt), kept, out)
    return out.astype(str)


def held_params_b(total_params_b, active_params_b, precision, experts=None, experts_per_token=None,
                  replicated_b=0.0) -> np.ndarray:
    """Weights a replica holds, counted at the weights' precision [billion parameters]: the model's
    ``total_params_b`` plus the ``replicated_b`` copies (:func:`replicated_params_b`), the shared
    weights of a mixture of experts that keeps them at a wider precision (:func:`shared_precision`)
    counted as many times more as they weigh more.  ``weight_bytes(held_params_b(...), precision)``
    is then what the replica holds.

    >>> # gpt-oss-120b in MXFP4: experts of (116.8 - 5.1) / (128 - 4) = 0.900806B, so 5.1 - 4 x 0.900806
    >>> # = 1.496774B shared weights, in BF16 2 / 0.53125 = 3.764706 times as heavy: 1.496774 x 2.764706
    >>> # = 4.138141B more
    >>> round(float(held_params_b(116.8, 5.1, "mxfp4", 128, 4)), 3), float(held_params_b(70.55, 70.55, "fp8"))
    (120.938, 70.55)
    """
    total, active, known, _e, k_, expert = _moe_split(total_params_b, active_params_b, experts, experts_per_token)
    shared = np.where(known, active - k_ * expert, 0.0) + _as_float(replicated_b)
    wider = bytes_per_param(shared_precision(precision, experts, experts_per_token)) / bytes_per_param(precision)
    return total + _as_float(replicated_b) + shared * (wider - 1.0)


def weight_bytes(total_params_b, precision) -> np.ndarray:
    """Bytes of the model weights.

    Parameters
    ----------
    total_params_b : float or array-like
        All weights, all experts included [billion parameters].
    precision : str or array-like of str
        Weight precision.

    Returns
    -------
    numpy.ndarray
        [bytes]

    Examples
    --------
    Llama-3.1-405B in bf16: 405.85e9 x 2 bytes:

    >>> float(weight_bytes(405.85, "bf16")) / 1e9
    811.7
    """
    return _as_float(total_params_b) * 1e9 * bytes_per_param(precision)


def moe_weight_bytes_read(total_params_b, active_params_b, precision, batch_size,
                          experts=None, experts_per_token=None, routing_independence=None) -> np.ndarray:
    """Weight bytes one decode step reads for a batch.

    A dense model reads all its weights once per step whatever the batch.  A
    mixture-of-experts model reads its shared weights (attention, embeddings,
    router, shared experts) and only the routed experts its tokens pick.  From
    the table's ``total`` and ``active`` parameters and ``E`` routed experts of
    which ``k`` are used per token, each expert has ``(total - active) /
    (E - k)`` parameters and the shared part is ``active - k x expert``.  Were
    every token's choice an independent uniform draw, ``B`` tokens would leave a
    given expert untouched with probability ``(1 - k / E) ** B``.  Routing is
    correlated (the tokens of a batch favour the same popular experts), so a
    batch touches the experts that ``1 + s x (B - 1)`` independent draws would,
    ``s`` the routing independence (:data:`DEFAULT_MOE_ROUTING_INDEPENDENCE`,
    fitted; 1 = independent draws): ``E x expert x (1 - (1 - k / E) ** (1 + s x
    (B - 1)))``.  Where ``E`` or ``k`` are unknown (NaN/None) the bound
    ``min(total, B x active)`` is used instead.

    Parameters
    ----------
    total_params_b, active_params_b : float or array-like
        [billion parameters]
    precision : str or array-like of str
        Weight precision.
    batch_size : float or array-like
        Sequences decoded together [-].
    experts, experts_per_token : int or array-like, optional
        Routed experts per layer and used per token [-]; NaN/None for dense
        models or when unknown.
    routing_independence : float or array-like, optional
        [-] share of a batch's further sequences that route as independent draws;
        default :data:`DEFAULT_MOE_ROUTING_INDEPENDENCE`.

    Returns
    -------
    numpy.ndarray
        [bytes] read per decode step.

    Examples
    --------
    The shared weights are read at their own precision (:func:`shared_precision`: BF16 in an MXFP4
    checkpoint such as gpt-oss's), the experts at the weights'.

    Mixtral-8x7B (46.7B total, 12.88B active, 8 experts, 2 per token): one
    sequence reads the active weights, a large batch reads them all:

    >>> [round(float(moe_weight_bytes_read(46.7, 12.88, "bf16", b, 8, 2)) / 2e9, 2)
    ...  for b in (1, 1000)]
    [12.88, 46.7]
    """
    read = _moe_params_read(total_params_b, active_params_b, experts, experts_per_token, routing_independence)
    _total, active, known, _e, k_, expert = _moe_split(total_params_b, active_params_b, experts, experts_per_token)
    shared = np.where(known, active - k_ * expert, 0.0)
    bpp, shared_bpp = bytes_per_param(precision), bytes_per_param(shared_precision(precision, experts, experts_per_token))
    return (read(batch_size) * bpp + shared * (shared_bpp - bpp)) * 1e9


def _moe_split(total_params_b, active_params_b, experts, experts_per_token):
    """(total, active, known, E, k, expert) of a model [billion parameters; -]: ``known`` where E and k
    describe a mixture of experts, each routed expert ``(total - active) / (E - k)`` (0 elsewhere, with
    E, k set to harmless 2, 1 there)."""
    total, active = _as_float(total_params_b), _as_float(active_params_b)
    e, k = _float_or_nan(experts), _float_or_nan(experts_per_token)
    known = np.isfinite(e) & np.isfinite(k) & (e > k) & (total > active)
    e_, k_ = np.where(known, e, 2.0), np.where(known, k, 1.0)
    return total, active, known, e_, k_, np.where(known, (total - active) / (e_ - k_), 0.0)


def replicated_params_b(layers, hidden_size, attention_heads, kv_heads, head_dim, kv_values_per_token_layer,
                        gpus, attention_parallel=None) -> np.ndarray:
    """Weights a replica holds (and a decode step reads) once more on each further GPU [billion parameters]:
    under data-parallel attention on ``g`` GPUs, ``(g - 1) x`` :func:`attention_params_b`; 0 otherwise, and where
    the architecture is unknown.

    >>> # Llama 3.1 70B on 4 GPUs: 3 x 12.0796B under dp, none under tp
    >>> [round(float(replicated_params_b(80, 8192, 64, 8, 128, None, 4, a)), 4) for a in ("dp", "tp")]
    [36.2388, 0.0]
    """
    g = _as_float(gpus)
    dp = np.asarray("" if attention_parallel is None else attention_parallel).astype(str) == "dp"
    attn = np.nan_to_num(attention_params_b(layers, _float_or_nan(hidden_size), _float_or_nan(attention_heads),
                                            kv_heads, head_dim, kv_values_per_token_layer), nan=0.0)
    return np.where(dp & (g > 1), attn * (g - 1.0), 0.0)


def moe_routed_active_params_b(total_params_b, active_params_b, experts=None, experts_per_token=None) -> np.ndarray:
    """The routed experts' share of a token's active parameters [billion parameters]: ``k x (total -
    active) / (E - k)``; 0 for a dense model (or when E, k are unknown).  The rest of the active
    parameters (attention, dense layers, shared experts) every token uses.

    >>> # Mixtral-8x7B: 2 x (46.7 - 12.88) / 6 = 11.27B of its 12.88B active; Llama 3.1 70B: none
    >>> [round(float(moe_routed_active_params_b(*a)), 2) for a in ((46.7, 12.88, 8, 2), (70.55, 70.55))]
    [11.27, 0.0]
    """
    _total, _active, known, _e, k_, expert = _moe_split(total_params_b, active_params_b, experts, experts_per_token)
    return np.where(known, k_, 0.0) * expert


def _moe_params_read(total_params_b, active_params_b, experts, experts_per_token, routing_independence=None):
    """Return ``f(batch) -> billion parameters read per decode step``.

    The batch-independent parts are computed once, so the batch search only
    pays for a power and a few products.
    """
    total, active, known, e_, k_, expert = _moe_split(total_params_b, active_params_b, experts, experts_per_token)
    shared = active - np.where(known, k_, 0.0) * expert
    routed = np.where(known, e_, 0.0) * expert
    keep = 1.0 - np.where(known, k_ / e_, 0.0)
    s = _as_float(DEFAULT_MOE_ROUTING_INDEPENDENCE if routing_independence is None else routing_independence)
    any_known = bool(np.any(known))

    def read(batch_size):
        b = np.maximum(_as_float(batch_size), 0.0)
        bound = np.minimum(total, np.maximum(b, 1.0) * active)
        if not any_known:
            return bound
        draws = np.where(b >= 1.0, 1.0 + s * (b - 1.0), b)     # independent draws the batch routes as
        moe = np.where(b > 0, shared + routed * (1.0 - keep ** draws), active)
        return np.where(known, moe, bound)

    return read


# --------------------------------------------------------------------------
# GPU side
# --------------------------------------------------------------------------

def peak_tflops(precision, bf16_dense_tflops, fp8_dense_tflops=None,
                fp4_dense_tflops=None) -> np.ndarray:
    """Peak dense tensor throughput a precision computes at.

    fp8 uses ``fp8_dense_tflops`` and fp4 ``fp4_dense_tflops`` when the GPU has
    them (finite); otherwise, and for bf16/fp16 and the weight-only int8/int4,
    ``bf16_dense_tflops``.  fp32 runs at half the bf16 rate (TF32 tensor cores).
    The weights keep their small size either way (see :func:`weight_bytes`).

    Parameters
    ----------
    precision : str or array-like of str
    bf16_dense_tflops : float or array-like
        [TFLOP/s] dense BF16/FP16.
    fp8_dense_tflops, fp4_dense_tflops : float or array-like, optional
        [TFLOP/s]; NaN/None when the GPU lacks the format.

    Returns
    -------
    numpy.ndarray
        [TFLOP/s] per GPU.

    Examples
    --------
    An A100 has no FP8: FP8 weights compute at its BF16 rate.

    >>> float(peak_tflops("fp8", 312)), float(peak_tflops("fp8", 989, 1979))
    (312.0, 1979.0)
    """
    col = _lookup(precision, _COMPUTE_COLUMN, "precision")
    bf16 = _as_float(bf16_dense_tflops)
    fp8 = _float_or_nan(fp8_dense_tflops)
    fp4 = _float_or_nan(fp4_dense_tflops)
    out = np.where(col == "fp32", 0.5 * bf16, bf16)
    out = np.where((col == "fp8") & np.isfinite(fp8), fp8, out)
    out = np.where((col == "fp4") & np.isfinite(fp4), fp4, out)
    return out


def tp_efficiency(gpus, interconnect="nvlink", tp_overhead=None) -> np.ndarray:
    """Efficiency multiplier of tensor parallelism.

    ``1 / (1 + overhead x (gpus - 1))``: one GPU is 1; each extra GPU adds
    all-reduce traffic and synchronisation.

    Parameters
    ----------
    gpus : int or array-like
        GPUs per replica [-].
    interconnect : str or array-like of str, default "nvlink"
        ``nvlink``, ``pcie`` or ``infinity_fabric``.
    tp_overhead : float, array-like or dict, optional
        Overhead per extra GPU [-]; a dict maps interconnect -> overhead.
        Default :data:`DEFAULT_TP_OVERHEAD`.

    Returns
    -------
    numpy.ndarray
        [-] in (0, 1].

    Examples
    --------
    >>> round(float(tp_efficiency(8, "nvlink", 0.05)), 4)
    0.7407
    """
    if tp_overhead is None or isinstance(tp_overhead, dict):
        table = dict(DEFAULT_TP_OVERHEAD)
        table.update(tp_overhead or {})
        overhead = _lookup(interconnect, table, "interconnect").astype(float)
    else:
        _lookup(interconnect, DEFAULT_TP_OVERHEAD, "interconnect")
        overhead = _as_float(tp_overhead)
    g = _as_float(gpus)
    return 1.0 / (1.0 + overhead * np.maximum(g - 1.0, 0.0))


def usable_memory_bytes(memory_gib, gpus=1,
                        usable_memory_fraction=DEFAULT_USABLE_MEMORY_FRACTION) -> np.ndarray:
    """Bytes a replica offers for weights and KV cache.

    Parameters
    ----------
    memory_gib : float or array-like
        Device memory of one GPU [GiB, 2**30 bytes]: an "80 GB" H100 holds 80 GiB.
    gpus : int or array-like, default 1
        GPUs per replica [-].
    usable_memory_fraction : float or array-like
        Share usable by weights and KV cache [-].

    Returns
    -------
    numpy.ndarray
        [bytes]

    Examples
    --------
    >>> float(usable_memory_bytes(80, 2)) / GIB       # 2 x 80 GiB x 0.9
    144.0
    """
    return _as_float(gpus) * _as_float(memory_gib) * GIB * _as_float(usable_memory_fraction)


def kv_cache_bytes(total_params_b, precision, memory_gib, gpus=1,
                   usable_memory_fraction=DEFAULT_USABLE_MEMORY_FRACTION) -> np.ndarray:
    """Bytes left for the KV cache after the weights (negative: no fit).

    Parameters
    ----------
    total_params_b : float or array-like
        [billion parameters]
    precision : str or array-like of str
        Weight precision.
    memory_gib : float or array-like
        [GiB] per GPU.
    gpus : int or array-like, default 1
    usable_memory_fraction : float or array-like

    Returns
    -------
    numpy.ndarray
        [bytes]
    """
    return (usable_memory_bytes(memory_gib, gpus, usable_memory_fraction)
            - weight_bytes(total_params_b, precision))


def max_batch_by_memory(total_params_b, precision, memory_gib, gpus, kv_bytes_per_token,
                        tokens_per_sequence,
                        usable_memory_fraction=DEFAULT_USABLE_MEMORY_FRACTION) -> np.ndarray:
    """Largest number of sequences whose KV cache fits next to the weights.

    Each sequence reserves its full length ``tokens_per_sequence`` (prompt +
    output): the scheduler admits a request only when its whole KV cache is
    guaranteed.

    Parameters
    ----------
    total_params_b : float or array-like
        [billion parameters]
    precision : str or array-like of str
        Weight precision.
    memory_gib : float or array-like
        [GiB] per GPU.
    gpus : int or array-like
        GPUs per replica.
    kv_bytes_per_token : float or array-like
        [bytes/token], see :func:`kv_bytes_per_token`.
    tokens_per_sequence : float or array-like
        [tokens] per sequence (input + output).
    usable_memory_fraction : float or array-like

    Returns
    -------
    numpy.ndarray
        [sequences], a whole number >= 0 (0: not even one request fits).

    Examples
    --------
    Llama-3.1-8B in fp8 with an fp8 cache (65,536 B/token) on one 80 GiB GPU:
    (0.9 x 80 x 2**30 - 8.03e9) / (65,536 x 2,000) = 69.28e9 / 131.07e6 = 528.6 sequences
    of 2,000 tokens.

    >>> int(max_batch_by_memory(8.03, "fp8", 80, 1, 65536, 2000))
    528
    """
    free = kv_cache_bytes(total_params_b, precision, memory_gib, gpus, usable_memory_fraction)
    per_seq = _as_float(kv_bytes_per_token) * np.maximum(_as_float(tokens_per_sequence), 1.0)
    return np.floor(np.maximum(free, 0.0) / per_seq)


def fits(total_params_b, precision, memory_gib, gpus=1, kv_bytes_per_token=0.0,
         tokens_per_sequence=0.0,
         usable_memory_fraction=DEFAULT_USABLE_MEMORY_FRACTION) -> np.ndarray:
    """Whether the weights plus one request's KV cache fit (non-raising, vectorised).

    Parameters
    ----------
    Same as :func:`check_fit`.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> fits(405.85, ["bf16", "fp8", "fp4"], 80, 8).tolist()
    [False, True, True]
    """
    need = (weight_bytes(total_params_b, precision)
            + _as_float(kv_bytes_per_token) * _as_float(tokens_per_sequence))
    return need <= usable_memory_bytes(memory_gib, gpus, usable_memory_fraction)


def check_fit(total_params_b, precision, memory_gib, gpus=1, kv_bytes_per_token=0.0,
              tokens_per_sequence=0.0,
              usable_memory_fraction=DEFAULT_USABLE_MEMORY_FRACTION,
              model_id="the model", gpu_id="gpu") -> None:
    """Raise :class:`DoesNotFitError` unless the deployment fits.

    The weights plus the KV cache of one request of ``tokens_per_sequence``
    tokens must fit in ``gpus x memory_gib x 2**30 x usable_memory_fraction``.
    Scalars only for the labels; numeric inputs may be arrays, in which case
    the first element that does not fit is reported.

    Parameters
    ----------
    total_params_b : float or array-like
        [billion parameters]
    precision : str or array-like of str
        Weight precision.
    memory_gib : float or array-like
        [GiB] per GPU.
    gpus : int or array-like, default 1
        GPUs per replica.
    kv_bytes_per_token : float or array-like, default 0
        [bytes/token].
    tokens_per_sequence : float or array-like, default 0
        [tokens] of one request (input + output).
    usable_memory_fraction : float or array-like
    model_id, gpu_id : str
        Names used in the message.

    Raises
    ------
    DoesNotFitError
        e.g. ``llama-3.1-405b in bf16 needs 756.0 GiB of weights; 2 x h100-sxm
        give 144.0 GiB usable: use more GPUs or a lower precision``.

    Examples
    --------
    >>> try:
    ...     check_fit(405.85, "bf16", 80, 2, model_id="llama-3.1-405b", gpu_id="h100-sxm")
    ... except DoesNotFitError as e:
    ...     print(e)
    llama-3.1-405b in bf16 needs 756.0 GiB of weights; 2 x h100-sxm give 144.0 GiB usable \
(90% of 80 GiB each): use more GPUs or a lower precision
    """
    ok = fits(total_params_b, precision, memory_gib, gpus, kv_bytes_per_token,
              tokens_per_sequence, usable_memory_fraction)
    if np.all(ok):
        return
    shape = ok.shape
    b = np.broadcast_arrays(*(np.asarray(a) for a in (
        total_params_b, precision, memory_gib, gpus, kv_bytes_per_token,
        tokens_per_sequence, usable_memory_fraction)), ok)
    idx = np.unravel_index(int(np.argmin(ok.ravel())), shape) if shape else ()
    p, prec, mem, g, kvt, tok, frac = (x[idx] for x in b[:-1])
    wgb = float(weight_bytes(p, str(prec))) / GIB
    kvgb = float(kvt) * float(tok) / GIB
    usable = float(usable_memory_bytes(mem, g, frac)) / GIB
    g_txt = f"{float(g):g}"
    need = f"{wgb:,.1f} GiB of weights"
    if kvgb > 0:
        need += f" + {kvgb:,.1f} GiB of KV cache for one {float(tok):,.0f}-token request"
    what = "use more GPUs or a lower precision"
    if wgb <= usable:
        what = "use more GPUs, a lower precision or shorter requests"
    raise DoesNotFitError(
        f"{model_id} in {prec} needs {need}; {g_txt} x {gpu_id} give {usable:,.1f} GiB "
        f"usable ({float(frac):.0%} of {float(mem):g} GiB each): {what}")


# --------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------

def windowed_share(tokens, layers, sliding_window_layers=None, sliding_window_tokens=None) -> np.ndarray:
    """Share of a full-attention KV cache (or attention work) a sequence of ``tokens`` needs when
    ``sliding_window_layers`` of its ``layers`` attend to the last ``sliding_window_tokens`` only [-].

    ``(full layers x tokens + windowed layers x min(tokens, window)) / (layers x tokens)``;
    1 where no window is given.  gpt-oss alternates full and 128-token windowed layers;
    Llama 4 attends in 8,192-token chunks on three layers of four.

    >>> float(windowed_share(10_000, 36, 18, 128))       # (18 x 10,000 + 18 x 128) / (36 x 10,000)
    0.5064
    >>> float(windowed_share(100, 36, 18, 128))          # shorter than the window: all of it
    1.0
    """
    n = np.maximum(_as_float(tokens), 1.0)
    L = _as_float(layers)
    lw = np.nan_to_num(_float_or_nan(sliding_window_layers), nan=0.0)
    w = _float_or_nan(sliding_window_tokens)
    w = np.where(np.isnan(w), n, w)
    return ((L - lw) * n + lw * np.minimum(n, w)) / (L * n)


def attention_flops_per_context_token(layers, attention_heads, head_dim,
                                      kv_values_per_token_layer=None) -> np.ndarray:
    """FLOPs one new token spends on attention per token already in its context [FLOP].

    Scores (q . k) and the weighted sum of values each take 2 FLOPs per head dimension:
    ``4 x layers x attention heads x head dim``.  Latent-attention models (no ``head_dim``)
    attend in their latent space: ``kv_values_per_token_layer`` stands in for the head dim.
    0 where the heads are unknown.

    >>> float(attention_flops_per_context_token(32, 32, 128))          # Llama 3.1 8B
    524288.0
    >>> float(attention_flops_per_context_token(61, 128, None, 576))   # DeepSeek-V3 (MLA)
    17989632.0
    """
    dim = _float_or_nan(head_dim)
    dim = np.where(np.isnan(dim), _float_or_nan(kv_values_per_token_layer), dim)
    out = 4.0 * _as_float(layers) * _float_or_nan(attention_heads) * dim
    return np.where(np.isfinite(out), out, 0.0)


def prefill_seconds(active_params_b, input_tokens, gpus, peak_tflops_per_gpu,
                    mfu=DEFAULT_MFU, tp_eff=1.0, attention_flops_per_token_pair=0.0) -> np.ndarray:
    """Time to prefill one request's prompt on the whole replica.

    ``(2 x active params x n + a x n**2 / 2) / (gpus x peak x mfu x tp_eff)`` for a prompt of
    n tokens, where ``a`` (:func:`attention_flops_per_context_token`) is what one token's
    attention costs per earlier token: causal attention visits n**2 / 2 pairs.  Below ~8k
    tokens attention is a few per cent of the weight FLOPs; at 100k it dominates.

    Parameters
    ----------
    active_params_b : float or array-like
        [billion parameters] used per token.
    input_tokens : float or array-like
        [tokens] in the prompt.
    gpus : int or array-like
        GPUs per replica.
    peak_tflops_per_gpu : float or array-like
        [TFLOP/s], see :func:`peak_tflops`.
    mfu : float or array-like
        [-] model FLOP utilisation of prefill.
    tp_eff : float or array-like
        [-] tensor-parallel efficiency, see :func:`tp_efficiency`.

    Returns
    -------
    numpy.ndarray
        [s]

    Examples
    --------
    8B params, 1,000 tokens, one GPU at 1,000 TFLOP/s and 50 % MFU:
    2 x 8e9 x 1000 / (1e15 x 0.5) = 0.032 s.

    >>> round(float(prefill_seconds(8, 1000, 1, 1000, 0.5)), 6)
    0.032

    With attention at 4 x 32 layers x 4096 = 524,288 FLOP per token pair, 1e6 / 2 pairs add
    2.6e11 FLOP: (1.6e13 + 2.62e11) / 5e14 = 0.03252 s.

    >>> round(float(prefill_seconds(8, 1000, 1, 1000, 0.5, attention_flops_per_token_pair=524288)), 5)
    0.03252
    """
    n = _as_float(input_tokens)
    flop = 2.0 * _as_float(active_params_b) * 1e9 * n + _as_float(attention_flops_per_token_pair) * n * n / 2.0
    rate = (_as_float(gpus) * _as_float(peak_tflops_per_gpu) * 1e12
            * _as_float(mfu) * _as_float(tp_eff))
    return flop / rate


def decode_step_seconds(batch_size, weight_bytes_read, kv_bytes_per_token, context_tokens,
                        active_params_b, gpus, memory_bandwidth_tbps, peak_tflops_per_gpu,
                        mbu=DEFAULT_MBU, mfu=DEFAULT_MFU, tp_eff=1.0,
                        combine="split", attention_flops_per_token_pair=0.0, routed_bytes_read=0.0,
                        routed_active_params_b=0.0) -> np.ndarray:
    """Time of one decode step (one new token for every sequence of the batch).

    Long because its docstring works the three ways of combining the times, and the routed experts' part, by hand.

    With ``rate = gpus x tp_eff`` times the per-GPU peak and utilisation::

        weights time   = weight bytes read / (rate x bandwidth x mbu)
        attention time = B x context x KV bytes/token / (rate x bandwidth x mbu)
        compute time   = (2 x active params + a x context) x B / (rate x peak x mfu)

    (``a``: attention FLOPs per token pair, :func:`attention_flops_per_context_token`; 0 leaves
    attention's arithmetic out, as the examples do.)

    ``split`` (default): ``max(weights, compute) + attention``, the matrix
    products on their roofline and the attention kernels' cache reads after
    them; ``max``: the whole-step roofline ``max(weights + attention,
    compute)``; ``sum``: no overlap at all.

    A mixture of experts gives its routed experts apart (``routed_bytes_read``, ``routed_active_params_b``;
    ``weight_bytes_read`` and ``active_params_b`` are then its shared weights'): their grouped matrix
    products are kernels of their own, on their own roofline, ``split`` adding
    ``max(routed bytes / bandwidth, 2 x routed params x B / compute)``.  A large batch makes the shared
    part compute-bound while the experts, each read for a few of its tokens, still wait on memory; one
    roofline over both would let the one hide the other.

    Parameters
    ----------
    batch_size : float or array-like
        B, sequences in the batch [-].
    weight_bytes_read : float or array-like
        [bytes] of weights read per step (see :func:`moe_weight_bytes_read`).
    kv_bytes_per_token : float or array-like
        [bytes/token].
    context_tokens : float or array-like
        Average tokens in a sequence's cache during decode [tokens], usually
        ``input + output / 2``.
    active_params_b : float or array-like
        [billion parameters] used per token.
    gpus : int or array-like
        GPUs per replica.
    memory_bandwidth_tbps : float or array-like
        [TB/s] per GPU.
    peak_tflops_per_gpu : float or array-like
        [TFLOP/s] per GPU.
    mbu, mfu, tp_eff : float or array-like
        [-] bandwidth and FLOP utilisation, tensor-parallel efficiency.
    combine : {"split", "max", "sum"}
        See above; ``split`` is the calibrated one.
    attention_flops_per_token_pair : float or array-like, default 0
        [FLOP] per token and context token (:func:`attention_flops_per_context_token`).
    routed_bytes_read, routed_active_params_b : float or array-like, default 0
        [bytes] a mixture of experts' routed experts read in the step, [billion parameters] of them a
        token uses; 0 for a dense model.

    Returns
    -------
    numpy.ndarray
        [s]

    Examples
    --------
    A 1B-parameter bf16 model (2e9 bytes), batch 10, 1,000 tokens of context
    at 100,000 B/token, one GPU of 1 TB/s and 8 TFLOP/s, perfect
    efficiencies: weights 2e9 / 1e12 = 2 ms, attention 10 x 1000 x 1e5 / 1e12
    = 1 ms, compute 2 x 1e9 x 10 / 8e12 = 2.5 ms.  split: 2.5 + 1 = 3.5 ms;
    max: max(2 + 1, 2.5) = 3 ms; sum: 5.5 ms.

    >>> args = (10, 2e9, 1e5, 1000, 1, 1, 1, 8, 1.0, 1.0)
    >>> [round(float(decode_step_seconds(*args, combine=c)) * 1e3, 6)
    ...  for c in ("split", "max", "sum")]
    [3.5, 3.0, 5.5]

    The same shared part with routed experts reading 4e9 bytes for 0.5B parameters a token: their
    kernels take max(4e9 / 1e12, 2 x 0.5e9 x 10 / 8e12) = max(4, 1.25) = 4 ms more under ``split``
    (3.5 + 4 = 7.5); one roofline over both would give max(2 + 4, 2.5 + 1.25) + 1 = 7 ms.

    >>> round(float(decode_step_seconds(*args, routed_bytes_read=4e9, routed_active_params_b=0.5)) * 1e3, 6)
    7.5
    """
    b = _as_float(batch_size)
    eff = _as_float(gpus) * _as_float(tp_eff)
    bandwidth = eff * _as_float(memory_bandwidth_tbps) * 1e12 * _as_float(mbu)
    flop_rate = eff * _as_float(peak_tflops_per_gpu) * 1e12 * _as_float(mfu)
    weights_s = _as_float(weight_bytes_read) / bandwidth
    routed_s = _as_float(routed_bytes_read) / bandwidth
    kv_s = b * _as_float(context_tokens) * _as_float(kv_bytes_per_token) / bandwidth
    flop_per_seq = 2.0 * _as_float(active_params_b) * 1e9 \
        + _as_float(attention_flops_per_token_pair) * _as_float(context_tokens)
    compute_s = flop_per_seq * b / flop_rate
    routed_compute_s = 2.0 * _as_float(routed_active_params_b) * 1e9 * b / flop_rate
    if combine == "split":
        return np.maximum(weights_s, compute_s) + np.maximum(routed_s, routed_compute_s) + kv_s
    if combine == "max":
        return np.maximum(weights_s + routed_s + kv_s, compute_s + routed_compute_s)
    if combine == "sum":
        return weights_s + routed_s + kv_s + compute_s + routed_compute_s
    raise ValueError(f"combine must be one of {', '.join(COMBINE_MODES)}; got {combine!r}")


# --------------------------------------------------------------------------
# the batch and the throughput it gives
# --------------------------------------------------------------------------

def time_per_output_token(decode_step_s, batch_size, prefill_s, output_tokens, idle_compute_s=0.0) -> np.ndarray:
    """Mean time between one sequence's tokens [s]: the decode step plus the prefills of the
    new requests interleaved with it, ``decode_step_s + max(B x prefill_s / output_tokens - idle, 0)``.

    ``idle_compute_s`` is the compute a memory-bound step leaves unused (weights time - matrix
    product time): an engine that mixes prefill chunks into decode steps (chunked prefill, vLLM
    V1 and TensorRT-LLM's in-flight batching) runs that much prefill for free; 0 for an engine
    that runs prefill batches apart (SGLang's default).

    >>> float(time_per_output_token(0.02, 10, 0.05, 100))      # 20 ms + 10 x 50 ms / 100
    0.025
    >>> float(time_per_output_token(0.02, 10, 0.05, 100, 0.004))   # 20 ms + (5 - 4) ms
    0.021
    """
    interleaved = _as_float(batch_size) * _as_float(prefill_s) / _as_float(output_tokens)
    return _as_float(decode_step_s) + np.maximum(interleaved - _as_float(idle_compute_s), 0.0)


def engine_mixes_prefill(engine) -> np.ndarray:
    """Whether an engine mixes prefill chunks into its decode steps by default (bool array).

    vLLM's V1 scheduler always chunks prefills into the decode batch; TensorRT-LLM's in-flight
    batcher runs context and generation requests in one forward pass; SGLang runs prefill and
    decode batches one after the other unless ``--enable-mixed-chunk`` is set.

    >>> engine_mixes_prefill(["vllm", "trt-llm", "sglang"]).tolist()
    [True, True, False]
    """
    eng = np.char.lower(np.asarray(engine).astype(str))
    return (eng == "vllm") | (eng == "trt-llm")


def output_tokens_per_second(batch_size, output_tokens, decode_step_s, prefill_s) -> np.ndarray:
    """Output tokens/s of a replica under continuous batching [tokens/s]; 0 where the batch is 0.

    ``B x output_tokens / (output_tokens x decode step + B x prefill)``: a batch of B requests
    makes B x output tokens in output_tokens decode steps plus B prefills.

    >>> float(output_tokens_per_second(10, 100, 0.02, 0.05))    # 1000 / (2 + 0.5)
    400.0
    >>> float(output_tokens_per_second(0, 100, 0.02, 0.05))
    0.0
    """
    b = _as_float(batch_size)
    out = _as_float(output_tokens)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, b * out / (out * _as_float(decode_step_s) + b * _as_float(prefill_s)), 0.0)


def batch_limit(meets_targets, max_batch_memory, max_batch=DEFAULT_MAX_BATCH, has_target=False,
                concurrency=None):
    """The largest batch within memory, the engine cap, the clients and the latency targets.

    Parameters
    ----------
    meets_targets : callable
        ``meets_targets(B)`` -> bool array: whether batch B meets every latency target (time
        per output token, time to first token); latency grows with B.
    max_batch_memory : float or array-like
        [sequences] the KV cache holds (:func:`max_batch_by_memory`).
    max_batch : int or array-like
        [sequences] engine cap (inf: none).
    has_target : bool or array-like
        Where False there is no latency target and the batch is the upper bound at once.
    concurrency : float or array-like, optional
        [requests] the clients keep in flight (None, NaN or inf: as many as the engine takes).

    Returns
    -------
    batch : numpy.ndarray
        [sequences] (0 where not one request fits; at least 1 otherwise).
    latency_target_met : numpy.ndarray of bool
        False where even one sequence misses a target (the batch is then 1).
    limit : numpy.ndarray of str
        ``memory``, ``latency``, ``max_batch`` or ``concurrency``.

    Notes
    -----
    A vectorised integer bisection: ``lo`` always meets the targets (B = 0 by convention),
    ``hi`` never does.

    Examples
    --------
    With a time per output token of 10 ms + 1 ms x B and a 50 ms target the latency allows
    B = 40; 16 clients cap it at 16:

    >>> b, met, why = batch_limit(lambda b: 0.010 + 0.001 * b <= 0.050, 500, 1024, [False, True, True],
    ...                           [None, None, 16])
    >>> b.tolist(), met.tolist(), why.tolist()
    ([500.0, 40.0, 16.0], [True, True, True], ['memory', 'latency', 'concurrency'])
    """
    b_mem = _as_float(max_batch_memory)
    b_cap = np.floor(_as_float(max_batch))
    conc = _float_or_nan(concurrency)
    conc = np.floor(np.where(np.isnan(conc), np.inf, conc))
    shape = np.broadcast_shapes(np.shape(b_mem), np.shape(b_cap), np.shape(conc), np.shape(has_target),
                                np.shape(meets_targets(1.0)))
    upper = np.broadcast_to(np.minimum(np.minimum(np.minimum(b_mem, b_cap), conc), _BATCH_CEILING), shape)
    finite = np.broadcast_to(np.asarray(has_target, dtype=bool), shape)
    lo = np.where(finite, 0.0, upper)
    hi = np.where(finite, upper + 1.0, upper)
    n_rounds = int(np.ceil(np.log2(np.max(upper, initial=0.0) + 2.0))) + 1
    for _ in range(n_rounds):
        open_ = hi - lo > 1.0
        if not np.any(open_):
            break
        mid = np.floor((lo + hi) / 2.0)
        good = np.broadcast_to(meets_targets(np.maximum(mid, 1.0)), shape)
        lo = np.where(open_ & good, mid, lo)
        hi = np.where(open_ & ~good, mid, hi)
    latency_met = (lo >= 1.0) | (upper < 1.0)
    batch = np.where(upper >= 1.0, np.maximum(lo, 1.0), 0.0)
    static = np.where(np.broadcast_to((b_mem <= b_cap) & (b_mem <= conc), shape) | (upper < 1.0), 0,
                      np.where(np.broadcast_to(conc < b_cap, shape), 3, 2))
    limit = _LIMITS[np.where((lo < upper) & (upper >= 1.0), 1, static)]
    return batch, latency_met, limit


# --------------------------------------------------------------------------
# the replica
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ReplicaThroughput:
    """What one replica serves at its best batch (numpy arrays of the broadcast shape).

    Attributes
    ----------
    output_tokens_per_s : [tokens/s] generated tokens per second, whole replica.
    total_tokens_per_s : [tokens/s] input + output tokens per second.
    requests_per_s : [requests/s] completed requests per second.
    batch_size : [sequences] concurrent sequences (int; 0 when it does not fit).
    batch_limit : str, what capped the batch: ``memory`` (KV cache; also when
        the model does not fit), ``latency`` (a latency target), ``max_batch``
        (the engine cap) or ``concurrency`` (the clients sending requests).
    prefill_s : [s] prefill time of one request on the whole replica.
    decode_step_s : [s] one decode step at the batch used.
    time_per_output_token_s : [s] mean time between a sequence's tokens: the
        decode step plus the prefills of new requests interleaved with it,
        ``decode_step_s + batch_size x prefill_s / output_tokens``.
    time_to_first_token_s : [s] the request's prefill plus one decode step it waits for.
    fits : bool, whether the weights plus one request's KV cache fit.
    latency_target_met : bool; False when even one sequence misses a target
        (time per output token: the batch is then 1; or time to first token).
    ttft_reachable : bool; False when even one sequence misses the time-to-first-token
        target (its prompt's prefill takes longer): the batch is then sized by the other
        limits alone, since no batch would meet it.
    memory_bound : bool, the decode step's memory time (weights + KV) is at
        least its compute time.
    weight_bytes : [bytes] of weights on the replica.
    kv_bytes_per_token : [bytes/token] of KV cache, whole replica.
    kv_cache_bytes : [bytes] left for the KV cache (negative: no fit).
    """

    output_tokens_per_s: np.ndarray
    total_tokens_per_s: np.ndarray
    requests_per_s: np.ndarray
    batch_size: np.ndarray
    batch_limit: np.ndarray
    prefill_s: np.ndarray
    decode_step_s: np.ndarray
    time_per_output_token_s: np.ndarray
    time_to_first_token_s: np.ndarray
    fits: np.ndarray
    latency_target_met: np.ndarray
    ttft_reachable: np.ndarray
    memory_bound: np.ndarray
    weight_bytes: np.ndarray
    kv_bytes_per_token: np.ndarray
    kv_cache_bytes: np.ndarray

    def to_dict(self) -> dict:
        """The fields as a dict of arrays (e.g. for ``pandas.DataFrame``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def replica_throughput(
    total_params_b,
    active_params_b,
    layers,
    kv_heads,
    head_dim,
    memory_gib,
    memory_bandwidth_tbps,
    bf16_dense_tflops,
    gpus_per_replica=1,
    precision="bf16",
    input_tokens=1000,
    output_tokens=1000,
    *,
    attention_heads=None,
    kv_values_per_token_layer=None,
    sliding_window_layers=None,
    sliding_window_tokens=None,
    experts=None,
    experts_per_token=None,
    fp8_dense_tflops=None,
    fp4_dense_tflops=None,
    interconnect="nvlink",
    kv_precision=None,
    engine=DEFAULT_ENGINE,
    platform="cuda",
    max_time_per_output_token_s=None,
    max_time_to_first_token_s=None,
    concurrency=None,
    cached_input_share=0.0,
    mfu=None,
    prefill_mfu=None,
    mbu=None,
    tp_overhead=None,
    usable_memory_fraction=None,
    max_batch=None,
    prefill_overlap=None,
    prefill_in_waves=False,
    wave_prefill_gain=None,
    moe_efficiency=None,
    moe_prefill_efficiency=None,
    fp4_efficiency=None,
    moe_compute_efficiency=None,
    moe_routing_independence=None,
    step_overhead_s=None,
    sequence_overhead_s=None,
    server_overhead_s=None,
    allreduce_latency_s=None,
    attention_parallel=None,
    hidden_size=None,
    combine="split",
    raise_if_no_fit=True,
    model_id="the model",
    gpu_id="gpu",
) -> ReplicaThroughput:
    """Throughput of one replica (tensor-parallel group) serving fixed-length requests.

    Long for its parameter list only: the body runs the named steps memory
    (:func:`kv_bytes_per_token`, :func:`fits`, :func:`max_batch_by_memory`) -> prefill
    (:func:`prefill_seconds`) -> decode step (:func:`decode_step_seconds`) -> batch
    (:func:`batch_limit`) -> tokens/s (:func:`output_tokens_per_second`).

    Column names follow the ``open_models`` and ``gpus`` pricing tables.  Every
    numeric or string argument may be an array; all broadcast together.

    Parameters
    ----------
    total_params_b, active_params_b : float or array-like
        [billion parameters], all weights and those used per token.
    layers, kv_heads, head_dim : int or array-like
        Architecture [-]; ``kv_heads``/``head_dim`` may be NaN where
        ``kv_values_per_token_layer`` is given.
    memory_gib : float or array-like
        [GiB] per GPU (an "80 GB" H100 holds 80 GiB).
    memory_bandwidth_tbps : float or array-like
        [TB/s] per GPU.
    bf16_dense_tflops : float or array-like
        [TFLOP/s] dense BF16 per GPU.
    gpus_per_replica : int or array-like, default 1
        Tensor-parallel GPUs [-].
    precision : str or array-like of str, default "bf16"
        Weight precision (:data:`PRECISION_BYTES`).
    input_tokens, output_tokens : float or array-like, default 1000
        [tokens] per request.
    attention_heads : int or array-like, optional
        Query heads [-], for attention's FLOPs at long context (None: left out).
    kv_values_per_token_layer : int or array-like, optional
        [values] cached per token per layer for latent attention.
    sliding_window_layers, sliding_window_tokens : int or array-like, optional
        Layers that attend to a window only, and the window [tokens]: their cache and
        attention stop growing past it (:func:`windowed_share`).
    experts, experts_per_token : int or array-like, optional
        Mixture-of-experts routing [-]; see :func:`moe_weight_bytes_read`.
    fp8_dense_tflops, fp4_dense_tflops : float or array-like, optional
        [TFLOP/s]; NaN/None where the GPU lacks the format (computation then
        falls back to bf16; the weights keep their small size).
    interconnect : str or array-like of str, default "nvlink"
        ``nvlink``, ``pcie`` or ``infinity_fabric``.
    kv_precision : str or array-like of str, optional
        KV-cache precision; default :func:`default_kv_precision`.
    engine, platform : str or array-like of str
        The serving stack (:data:`ENGINES`, :data:`PLATFORMS`): its fitted share of the
        efficiencies (:data:`ENGINE_EFFICIENCY`, :data:`PLATFORM_EFFICIENCY`).
    max_time_per_output_token_s, max_time_to_first_token_s : float or array-like, optional
        [s] latency targets; None, NaN or inf: none (maximum throughput).
    concurrency : float or array-like, optional
        [requests] kept in flight by the clients; None: as many as the engine takes.
    cached_input_share : float or array-like, default 0
        [fraction] of the prompt found in the prefix cache: it skips prefill.
    mfu, prefill_mfu, mbu : float or array-like, optional
        [-] FLOP utilisation of decode's matrix products and of prefill, and bandwidth
        utilisation; default the stack's: ``DEFAULT_MFU`` / ``DEFAULT_MBU`` x engine x
        platform efficiency (x :data:`DEFAULT_MOE_EFFICIENCY` on the bandwidth and
        :data:`DEFAULT_MOE_COMPUTE_EFFICIENCY` on decode's FLOPs for mixture-of-experts).
    tp_overhead : float, array-like or dict, optional
        [-] per extra GPU; default :data:`DEFAULT_TP_OVERHEAD` by interconnect.
    usable_memory_fraction : float or array-like, optional
        [-] share of device memory for weights + KV cache; default the engine's
        (:func:`engine_memory_fraction` of :data:`DEFAULT_USABLE_MEMORY_FRACTION`).
    max_batch : int or array-like, optional
        [sequences] engine cap on the batch; default the engine's (:func:`engine_max_batch`,
        with ``gpu_id`` naming the GPU: vLLM's ``max_num_seqs``, else :data:`DEFAULT_MAX_BATCH`).
    prefill_overlap : bool or array-like, optional
        Whether prefill chunks ride in the decode steps' idle compute; default the engine's
        (:func:`engine_mixes_prefill`).
    prefill_in_waves : bool or array-like, default False
        An offline run that submits every request at once: each wave of prompts is prefilled
        together, at ``wave_prefill_gain`` times the prefill MFU, and no prefill hides in a decode
        step (``prefill_overlap`` is then False).
    wave_prefill_gain : float or array-like, optional
        [-] default :data:`DEFAULT_WAVE_PREFILL_GAIN`.
    moe_efficiency, moe_compute_efficiency, fp4_efficiency : float or array-like, optional
        [-] defaults :data:`DEFAULT_MOE_EFFICIENCY`, :data:`DEFAULT_MOE_COMPUTE_EFFICIENCY`,
        :data:`DEFAULT_FP4_EFFICIENCY`.
    moe_routing_independence : float or array-like, optional
        [-] how independently a batch's sequences pick their experts (see
        :func:`moe_weight_bytes_read`); default :data:`DEFAULT_MOE_ROUTING_INDEPENDENCE`.
    step_overhead_s, sequence_overhead_s : float or array-like, optional
        [s] per decode step and per sequence per step; defaults
        :data:`DEFAULT_STEP_OVERHEAD_S`, :data:`DEFAULT_SEQUENCE_OVERHEAD_S`.
    server_overhead_s : float or array-like, optional
        [s] the API server's share per sequence per step; default :data:`DEFAULT_SERVER_OVERHEAD_S`
        (0 for an offline engine benchmark).
    allreduce_latency_s : float or array-like, optional
        [s] per tensor-parallel all-reduce (two per layer and step on several GPUs); default
        :data:`DEFAULT_ALLREDUCE_LATENCY_S`.
    attention_parallel : str or array-like of str, optional
        ``tp`` or ``dp`` (:data:`ATTENTION_PARALLEL`): whether KV heads and latent caches are
        replicated over the replica's GPUs (:func:`kv_bytes_per_token`); None: the default.  Under
        ``dp`` each GPU also holds and reads the whole attention weights (:func:`attention_params_b`,
        from ``hidden_size``).
    hidden_size : float or array-like, optional
        [-] the model's hidden dimension; needed for ``dp`` (unknown: no copies counted).
    combine : {"split", "max", "sum"}
        How a decode step combines memory and compute time; see
        :func:`decode_step_seconds`.
    raise_if_no_fit : bool, default True
        Raise :class:`DoesNotFitError` when any element does not fit; when
        False such elements get batch 0 and zero throughput (``fits`` False).
    model_id, gpu_id : str
        Names for the error message.

    Returns
    -------
    ReplicaThroughput

    Raises
    ------
    DoesNotFitError
        When ``raise_if_no_fit`` and the weights plus one request's KV cache
        exceed the replica's usable memory.
    ValueError
        Unknown precision, interconnect, engine or platform, fewer than one GPU or output token.

    Examples
    --------
    Llama-3.1-70B in fp8 on two H100 SXM, 1,000 tokens in and out, at maximum throughput
    and at 30 ms per output token:

    >>> arch = dict(total_params_b=70.55, active_params_b=70.55, layers=80,
    ...             kv_heads=8, head_dim=128)
    >>> h100 = dict(memory_gib=80, memory_bandwidth_tbps=3.35,
    ...             bf16_dense_tflops=989, fp8_dense_tflops=1979)
    >>> r = replica_throughput(**arch, **h100, gpus_per_replica=2, precision="fp8",
    ...                        max_time_per_output_token_s=[None, 0.030])
    >>> r.batch_limit.tolist(), bool(r.output_tokens_per_s[0] > r.output_tokens_per_s[1])
    (['memory', 'latency'], True)
    >>> bool(r.time_per_output_token_s[1] <= 0.030)
    True
    """
    if combine not in COMBINE_MODES:
        raise ValueError(f"combine must be one of {', '.join(COMBINE_MODES)}; got {combine!r}")
    g = _as_float(gpus_per_replica)
    if np.any(~(g >= 1)):
        raise ValueError("gpus_per_replica must be >= 1")
    in_tok = _as_float(input_tokens)
    out_tok = _as_float(output_tokens)
    if np.any(~(in_tok >= 0)) or np.any(~(out_tok >= 1)):
        raise ValueError("input_tokens must be >= 0 and output_tokens >= 1")
    kv_prec = default_kv_precision(precision) if kv_precision is None else kv_precision
    eff = stack_efficiency(engine, platform, precision, experts, experts_per_token, mfu=mfu,
                           prefill_mfu=prefill_mfu, mbu=mbu, moe_efficiency=moe_efficiency,
                           moe_prefill_efficiency=moe_prefill_efficiency, fp4_efficiency=fp4_efficiency,
                           moe_compute_efficiency=moe_compute_efficiency)

    # data-parallel attention holds (and reads) the attention weights whole on every GPU: g - 1 copies more
    replicated_b = replicated_params_b(layers, hidden_size, attention_heads, kv_heads, head_dim,
                                       kv_values_per_token_layer, g, attention_parallel)
    # what the replica holds, at the weights' precision (an MXFP4 mixture of experts keeps its shared weights in BF16)
    held_b = held_params_b(total_params_b, active_params_b, precision, experts, experts_per_token, replicated_b)
    if usable_memory_fraction is None:
        usable_memory_fraction = engine_memory_fraction(engine, weight_bytes(held_b, precision), memory_gib, g)
    # 1. memory: KV bytes per token, the fit, the batch the KV cache holds
    kv_tok = kv_bytes_per_token(layers, kv_heads, head_dim, bytes_per_param(kv_prec),
                                kv_values_per_token_layer, tensor_parallel=g, attention_parallel=attention_parallel)
    seq_tokens = in_tok + out_tok
    kv_seq = kv_tok * windowed_share(seq_tokens, layers, sliding_window_layers, sliding_window_tokens)
    ok = fits(held_b, precision, memory_gib, g, kv_seq, seq_tokens,
              usable_memory_fraction)
    if raise_if_no_fit and not np.all(ok):
        check_fit(held_b, precision, memory_gib, g, kv_seq, seq_tokens,
                  usable_memory_fraction, model_id=model_id, gpu_id=gpu_id)
    b_mem = max_batch_by_memory(held_b, precision, memory_gib, g, kv_seq,
                                seq_tokens, usable_memory_fraction)

    # 2. prefill of one request's uncached prompt on the whole replica
    peak = peak_tflops(precision, bf16_dense_tflops, fp8_dense_tflops, fp4_dense_tflops)
    peak = peak * np.where(_uses_fp4(precision, fp4_dense_tflops), eff["fp4"], 1.0)
    tp_eff = tp_efficiency(g, interconnect, tp_overhead)
    # attention's score and value products run on the BF16 tensor cores whatever the weights'
    # precision (FlashAttention / FlashMLA / paged-attention kernels): its FLOPs cost
    # peak / BF16 peak times as much time at the precision's peak
    attn = attention_flops_per_context_token(layers, attention_heads, head_dim, kv_values_per_token_layer) \
        * peak / _as_float(bf16_dense_tflops)
    fresh = in_tok * (1.0 - _as_float(cached_input_share))
    waves = np.asarray(prefill_in_waves, dtype=bool)
    gain = _as_float(DEFAULT_WAVE_PREFILL_GAIN if wave_prefill_gain is None else wave_prefill_gain)
    # a mixture-of-experts model's routed-expert matrix products run at its shares of the dense rates
    # (eff["moe_prefill"], eff["moe_compute"]): as many more FLOPs at the dense rate; its shared weights'
    # (attention, dense layers, shared experts) and attention's own do not
    routed_active = moe_routed_active_params_b(total_params_b, active_params_b, experts, experts_per_token)
    shared_active = _as_float(active_params_b) - routed_active
    # shared weights at a wider precision (an MXFP4 mixture of experts' BF16 attention and dense layers) compute at
    # that precision's peak: as many more FLOPs at the weights' peak
    shared_prec = shared_precision(precision, experts, experts_per_token)
    shared_peak = peak_tflops(shared_prec, bf16_dense_tflops, fp8_dense_tflops, fp4_dense_tflops) \
        * np.where(_uses_fp4(shared_prec, fp4_dense_tflops), eff["fp4"], 1.0)
    shared_flop_b = shared_active * peak / shared_peak
    act_prefill = shared_flop_b + routed_active / eff["moe_prefill"]
    routed_decode_b = routed_active / eff["moe_compute"]
    prefill = prefill_seconds(act_prefill, fresh, g, peak, eff["prefill_mfu"] * np.where(waves, gain, 1.0), tp_eff,
                              attn * windowed_share(fresh, layers, sliding_window_layers, sliding_window_tokens))

    # 3. the decode step at batch b: the roofline plus the engine's fixed costs
    context = in_tok + out_tok / 2.0
    win = windowed_share(context, layers, sliding_window_layers, sliding_window_tokens)
    kv_read, attn_read = kv_tok * win, attn * win
    params_read = _moe_params_read(total_params_b, active_params_b, experts,
                                   experts_per_token, moe_routing_independence)
    # a mixture-of-experts model's routed experts stream at its share of the bandwidth (eff["moe_weights"]):
    # as many more bytes at the dense rate; its shared weights at the dense rate, in their own precision
    bpp = bytes_per_param(precision)
    shared_bytes = (shared_active + replicated_b) * 1e9 * bytes_per_param(shared_prec)

    def weights_read(b):
        """([bytes] of the shared weights, [bytes] of the routed experts over their share of the bandwidth) a
        step reads: the shared part with data-parallel attention's copies, the experts the batch touches."""
        return shared_bytes, (params_read(b) - shared_active) / eff["moe_weights"] * 1e9 * bpp
    step_fixed = _as_float(DEFAULT_STEP_OVERHEAD_S if step_overhead_s is None else step_overhead_s)
    per_seq = _as_float(DEFAULT_SEQUENCE_OVERHEAD_S if sequence_overhead_s is None else sequence_overhead_s) \
        + _as_float(DEFAULT_SERVER_OVERHEAD_S if server_overhead_s is None else server_overhead_s)
    allreduce = _as_float(DEFAULT_ALLREDUCE_LATENCY_S if allreduce_latency_s is None else allreduce_latency_s)
    step_fixed = step_fixed + np.where(g > 1, 2.0 * _as_float(layers) * allreduce, 0.0)

    def step(b, mfu_=eff["mfu"], mbu_=eff["mbu"], how=combine, overhead=True, w=None):
        w_shared, w_routed = weights_read(b) if w is None else w
        t = decode_step_seconds(b, w_shared, kv_read, context, shared_flop_b, g, memory_bandwidth_tbps, peak, mbu_,
                                mfu_, tp_eff, how, attn_read, routed_bytes_read=w_routed,
                                routed_active_params_b=routed_decode_b)
        return t + (step_fixed + b * per_seq) * overhead

    overlap = engine_mixes_prefill(engine) if prefill_overlap is None else np.asarray(prefill_overlap, dtype=bool)
    overlap = overlap & ~waves
    bytes_per_s = g * tp_eff * _as_float(memory_bandwidth_tbps) * 1e12 * eff["mbu"]
    flop_per_s = g * tp_eff * peak * 1e12 * eff["mfu"]
    shared_flop_s = (2.0 * shared_flop_b * 1e9 + attn_read * context) / flop_per_s
    routed_flop_s = 2.0 * routed_decode_b * 1e9 / flop_per_s

    def tpot(b):
        """(time per output token, decode step) at batch b: the step plus the prefills interleaved
        with it; an engine that mixes prefill chunks into the decode step hides them in the step's
        idle compute (each part's weights time - its matrix-product time)."""
        w = weights_read(b)
        s_ = step(b, w=w)
        idle = np.maximum(w[0] / bytes_per_s - b * shared_flop_s, 0.0) \
            + np.maximum(w[1] / bytes_per_s - b * routed_flop_s, 0.0)
        return time_per_output_token(s_, b, prefill, out_tok, np.where(overlap, idle, 0.0)), s_

    # 4. the batch: memory, engine cap, clients and the latency targets.  A time-to-first-token
    # target that even one sequence misses (the prompt's prefill alone takes longer) is out of reach
    # whatever the batch: it does not size the batch (batch 1 would cost the replica most of its
    # throughput and still miss it); ``ttft_reachable`` and ``latency_target_met`` say so.
    t_tpot = _target(max_time_per_output_token_s)
    t_ttft = _target(max_time_to_first_token_s)
    ttft_reachable = prefill + tpot(1.0)[1] <= t_ttft
    t_ttft = np.where(ttft_reachable, t_ttft, np.inf)

    def meets(b):
        tpot_b, step_b = tpot(b)
        return (tpot_b <= t_tpot) & (prefill + step_b <= t_ttft)

    cap = engine_max_batch(engine, memory_gib, gpu_id) if max_batch is None else max_batch
    batch, latency_met, limit = batch_limit(meets, b_mem, cap, np.isfinite(t_tpot) | np.isfinite(t_ttft),
                                            concurrency)
    shape = batch.shape

    # 5. tokens per second at that batch
    bb = np.maximum(batch, 1.0)
    tpot_s, step_s = tpot(bb)
    memory_s = step(bb, mfu_=np.inf, how="sum", overhead=False)
    compute_s = step(bb, mbu_=np.inf, how="sum", overhead=False) - step(0.0, mbu_=np.inf, how="sum", overhead=False)
    out_tps = np.where(batch > 0, batch / tpot_s, 0.0)
    req_s = out_tps / out_tok

    def full(x, dtype=float):
        return np.broadcast_to(np.asarray(x), shape).astype(dtype)

    return ReplicaThroughput(
        output_tokens_per_s=full(out_tps),
        total_tokens_per_s=full(req_s * seq_tokens),
        requests_per_s=full(req_s),
        batch_size=full(batch, int),
        batch_limit=full(limit, str),
        prefill_s=full(prefill),
        decode_step_s=full(step_s),
        time_per_output_token_s=full(tpot_s),
        time_to_first_token_s=full(prefill + step_s),
        fits=full(ok, bool),
        latency_target_met=full(latency_met & ttft_reachable, bool),
        ttft_reachable=full(ttft_reachable, bool),
        memory_bound=full(memory_s >= compute_s, bool),
        weight_bytes=full(weight_bytes(held_b, precision)),
        kv_bytes_per_token=full(kv_tok),
        kv_cache_bytes=full(kv_cache_bytes(total_params_b, precision, memory_gib, g,
                                           usable_memory_fraction)),
    )


def finite_run_tokens_per_s(prompts, output_tokens, batch, tpot_s, last_wave_tpot_s) -> np.ndarray:
    """Output rate of a finite offline run [tokens/s]: ``N`` prompts submitted at once, served in
    waves of ``B`` (the batch), the last wave holding the ``N mod B`` left over.

    A wave of ``b`` sequences lasts ``output_tokens x tpot(b)`` (its prompts' prefill is inside the
    time per output token of a wave), so the run takes ``floor(N / B)`` full waves plus the partial one,
    and its rate is ``N x output_tokens`` over that time.  NaN prompts: the steady rate ``B / tpot(B)``.

    >>> # 500 prompts of 100 tokens in waves of 200 at 40 ms per token, the last 100 at 30 ms:
    >>> # 2 x 100 x 0.04 + 100 x 0.03 = 11 s for 50,000 tokens
    >>> round(float(finite_run_tokens_per_s(500, 100, 200, 0.04, 0.03)), 6)
    4545.454545
    >>> float(finite_run_tokens_per_s(np.nan, 100, 200, 0.04, 0.03))       # steady: 200 / 0.04
    5000.0
    """
    n, out, b = (np.asarray(v, dtype=float) for v in (prompts, output_tokens, batch))
    full, rest = np.floor(n / np.maximum(b, 1.0)), np.mod(n, np.maximum(b, 1.0))
    seconds = out * (full * np.asarray(tpot_s, dtype=float) + np.where(rest > 0, last_wave_tpot_s, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(n) & (b > 0), n * out / seconds, b / np.asarray(tpot_s, dtype=float))


def _target(seconds) -> np.ndarray:
    """A latency target as an array: None/NaN -> inf (no target)."""
    t = _float_or_nan(seconds)
    return np.where(np.isnan(t), np.inf, t)


def _uses_fp4(precision, fp4_dense_tflops) -> np.ndarray:
    """Whether the matrix products run on the GPU's FP4 units."""
    col = _lookup(precision, _COMPUTE_COLUMN, "precision")
    return (col == "fp4") & np.isfinite(_float_or_nan(fp4_dense_tflops))


def engine_max_batch(engine, memory_gib, gpu_id="", engine_version=None,
                     max_batch=DEFAULT_MAX_BATCH) -> np.ndarray:
    """The largest batch an engine schedules by default [sequences].

    vLLM caps the running sequences at ``max_num_seqs`` (:data:`VLLM_MAX_NUM_SEQS`): 1024 on a
    GPU of at least :data:`VLLM_LARGE_GPU_GIB` that is not an A100, from vLLM 0.9 on (an unknown
    or unparsable version is taken as a current one), else 256.  TensorRT-LLM and SGLang size
    their batch from the KV memory; they get ``max_batch`` (fitted, :data:`DEFAULT_MAX_BATCH`).

    >>> engine_max_batch(["vllm", "vllm", "vllm", "sglang"], [80, 80, 80, 80],
    ...                  ["h100-sxm", "a100-80gb", "h100-sxm", "h100-sxm"], ["0.11.0", None, "v0.6.0", None]).tolist()
    [1024.0, 256.0, 256.0, 4096.0]
    """
    eng = np.char.lower(np.asarray(engine).astype(str))
    mem = _as_float(memory_gib)
    gid = np.char.lower(np.asarray(gpu_id).astype(str))
    ver = np.asarray(engine_version if engine_version is not None else "", dtype=object).astype(str)
    uniq, inv = np.unique(ver, return_inverse=True)       # a handful of distinct versions
    old = np.array([_vllm_before_large_defaults(v) for v in uniq], dtype=bool)[inv].reshape(ver.shape)
    large = (mem >= VLLM_LARGE_GPU_GIB) & (np.char.find(gid, "a100") < 0) & ~old
    vllm = np.where(large, VLLM_MAX_NUM_SEQS["large_gpu"], VLLM_MAX_NUM_SEQS["other"])
    return np.where(eng == "vllm", vllm, _as_float(max_batch)).astype(float)


def engine_memory_fraction(engine, weight_bytes_replica, memory_gib, gpus=1,
                           usable_memory_fraction=DEFAULT_USABLE_MEMORY_FRACTION) -> np.ndarray:
    """Share of the device memory weights plus KV cache may use under an engine's defaults [-].

    vLLM (``gpu_memory_utilization``) and SGLang (``mem_fraction_static``) take a share of the
    *whole* memory, weights included: ``usable_memory_fraction``.  TensorRT-LLM gives the KV cache
    a share of the memory the weights *leave free* (``KvCacheConfig.free_gpu_memory_fraction``,
    0.9 by default), so a deployment whose weights fill most of the GPU keeps more cache:
    ``(weights + f x (memory - weights)) / memory``.

    >>> # 70 GiB of weights on one 80 GiB GPU: vLLM 0.9; TensorRT-LLM (70 + 0.9 x 10) / 80 = 0.9875
    >>> engine_memory_fraction(["vllm", "trt-llm"], 70 * GIB, 80).round(4).tolist()
    [0.9, 0.9875]
    """
    eng = np.char.lower(np.asarray(engine).astype(str))
    f = _as_float(usable_memory_fraction)
    total = _as_float(gpus) * _as_float(memory_gib) * GIB
    w = np.minimum(_as_float(weight_bytes_replica), total)
    trt = (w + f * (total - w)) / total
    return np.where(eng == "trt-llm", trt, f)


def _vllm_before_large_defaults(version) -> bool:
    """Whether a vLLM version string names a release before :data:`VLLM_LARGE_DEFAULTS_SINCE`."""
    m = re.match(r"\s*v?(\d+)\.(\d+)", "" if version is None else str(version))
    return bool(m) and (int(m.group(1)), int(m.group(2))) < VLLM_LARGE_DEFAULTS_SINCE


def stack_efficiency(engine=DEFAULT_ENGINE, platform="cuda", precision="bf16", experts=None,
                     experts_per_token=None, *, mfu=None, prefill_mfu=None, mbu=None, moe_efficiency=None,
                     moe_prefill_efficiency=None, fp4_efficiency=None,
                     moe_compute_efficiency=None) -> dict[str, np.ndarray]:
    """The efficiencies a serving stack reaches on a model [-].

    ``mbu = DEFAULT_MBU x engine x platform``, likewise ``mfu`` (from ``DEFAULT_MFU``) and
    ``prefill_mfu`` (from ``DEFAULT_PREFILL_MFU``); an explicit ``mfu``/``mbu``/``prefill_mfu`` is
    taken as it is (prefill follows an explicit ``mfu``).  These are the rates of a dense model's
    work, which a mixture-of-experts model's attention and KV cache share.  Its expert weights reach
    a share of them: ``moe_weights`` of the bandwidth (:data:`DEFAULT_MOE_EFFICIENCY`),
    ``moe_compute`` of decode's FLOP rate (:data:`DEFAULT_MOE_COMPUTE_EFFICIENCY`) and
    ``moe_prefill`` of prefill's (:data:`DEFAULT_MOE_PREFILL_EFFICIENCY`): routing, expert imbalance
    and many small reads and matrix products; all three are 1 for a dense model.  ``fp4`` is the
    share of the FP4 peak FP4 kernels reach.

    >>> e = stack_efficiency("trt-llm", "cuda", mbu=0.5)
    >>> float(e["mbu"]), float(e["mfu"]) == DEFAULT_MFU * ENGINE_EFFICIENCY["trt-llm"], float(e["moe_weights"])
    (0.5, True, 1.0)
    >>> m = stack_efficiency("trt-llm", "cuda", experts=8, experts_per_token=2)
    >>> float(m["mbu"]) == DEFAULT_MBU, float(m["moe_weights"]) == DEFAULT_MOE_EFFICIENCY
    (True, True)
    """
    f = _lookup(engine, ENGINE_EFFICIENCY, "engine").astype(float) \
        * _lookup(platform, PLATFORM_EFFICIENCY, "platform").astype(float)
    e = _float_or_nan(experts)
    k = _float_or_nan(experts_per_token)
    moe = np.isfinite(e) & np.isfinite(k) & (e > k)

    def share(value, default):
        return np.where(moe, default if value is None else _as_float(value), 1.0)

    return {
        "mbu": DEFAULT_MBU * f if mbu is None else _as_float(mbu),
        "mfu": DEFAULT_MFU * f if mfu is None else _as_float(mfu),
        "prefill_mfu": (DEFAULT_PREFILL_MFU * f if mfu is None else _as_float(mfu)) if prefill_mfu is None
        else _as_float(prefill_mfu),
        "moe_weights": share(moe_efficiency, DEFAULT_MOE_EFFICIENCY),
        "moe_compute": share(moe_compute_efficiency, DEFAULT_MOE_COMPUTE_EFFICIENCY),
        "moe_prefill": share(moe_prefill_efficiency, DEFAULT_MOE_PREFILL_EFFICIENCY),
        "fp4": _as_float(DEFAULT_FP4_EFFICIENCY if fp4_efficiency is None else fp4_efficiency),
    }


# --------------------------------------------------------------------------
# images: diffusion models on the compute roofline
# --------------------------------------------------------------------------

def dit_flops_per_pass(blocks, hidden, image_tokens, text_tokens=0) -> np.ndarray:
    """FLOPs of one forward pass of a diffusion transformer (MMDiT / FLUX style) for one image [FLOP].

    Every block holds ``12 x hidden**2`` weights each token goes through (attention projections
    4, MLP 8; double-stream blocks keep one such set per stream, and a token uses its own
    stream's), so the matrix products cost ``2 x 12 x hidden**2 x blocks x n`` for ``n = image +
    text`` tokens; joint attention over the ``n`` tokens adds ``4 x blocks x hidden x n**2``
    (scores and weighted sum).  Adaptive-norm modulation runs once per image, not per token,
    and is left out.

    Parameters
    ----------
    blocks : int or array-like
        Transformer blocks a token passes through [-] (FLUX.1: 19 double + 38 single).
    hidden : int or array-like
        Width [-] (heads x head dim).
    image_tokens, text_tokens : int or array-like
        Latent patches of the image and prompt tokens in the joint sequence [tokens].

    Returns
    -------
    numpy.ndarray
        [FLOP] per pass.

    Examples
    --------
    One block of width 100 over 10 tokens: 2 x 12 x 100**2 x 10 + 4 x 100 x 10**2 = 2.44e6 FLOP.

    >>> float(dit_flops_per_pass(1, 100, 10))
    2440000.0
    """
    n = _as_float(image_tokens) + _as_float(text_tokens)
    L, d = _as_float(blocks), _as_float(hidden)
    return 2.0 * 12.0 * d * d * L * n + 4.0 * L * d * n * n


@dataclass(frozen=True)
class DiffusionModel:
    """The compute of one image of a diffusion model at its native size (:data:`DIFFUSION_MODELS`).

    Attributes
    ----------
    denoiser_tflop_per_pass : [TFLOP] one forward pass of the UNet / transformer for one image.
    passes_per_step : [-] 2 with classifier-free guidance (conditional and unconditional), 1 for
        guidance-distilled models.
    default_steps : [steps] the model card's default.
    native_width, native_height : [px]
    decoder_tflop : [TFLOP] the VAE decode of one image.
    text_encoder_tflop : [TFLOP] the text encoders, once per image (both prompts with guidance).
    is_estimate : the FLOP count is a hand count from the published architecture, not a measurement.
    source_url : the model card or paper the architecture numbers come from.
    """

    denoiser_tflop_per_pass: float
    passes_per_step: int
    default_steps: int
    native_width: int
    native_height: int
    decoder_tflop: float
    text_encoder_tflop: float
    is_estimate: bool
    source_url: str


#: The VAE decoder of Stable Diffusion at 512 x 512 is 1,271,959 M multiply-accumulates (onnx-tool's
#: profile of the SD 1.4 ONNX export, https://github.com/ThanatosShinji/onnx-tool, README model table,
#: read 2026-12-02); SDXL, SD 3.5 and FLUX keep that decoder's convolution stack (16 latent channels for
#: the last two), so 1024 x 1024 costs 4 x 2 x 1.272e12 = 10.18 TFLOP [TFLOP].
VAE_DECODER_TFLOP_1024: float = 4 * 2 * 1.271959

#: Diffusion models the compute model knows, by ``open_models.model_id``.  Hand counts from the
#: published architectures (every number flagged ``is_estimate``):
#:
#: - ``sdxl``: UNet of the SDXL paper (Podell et al. 2023, arXiv:2307.01952, Table 1: 2.6 B parameters,
#:   transformer depths 0 / 2 / 10 at 320 / 640 / 1280 channels, 2048-wide text context) on a 128 x 128
#:   latent.  Transformer layers (36 x d**2 FLOP per token: self-attention 4 d**2, cross-attention
#:   queries and output 2 d**2, GEGLU 12 d**2, doubled for multiply-add): 10 layers at 64 x 64
#:   (0.60 TFLOP + 0.43 TFLOP of attention) and 60 at 32 x 32 (3.62 + 0.32); ResNet 3 x 3 convolutions
#:   ~1.1 TFLOP; total ~6.1 TFLOP per pass.  Guidance: 2 passes per step; 50 steps is the diffusers default
#:   (the card's examples).  Text encoders (CLIP-L 0.12 B + OpenCLIP bigG 0.69 B on 77 tokens, twice):
#:   0.25 TFLOP.
#: - ``flux.1-dev``: 12 B transformer (model card), 19 double-stream + 38 single-stream blocks of width
#:   24 x 128 = 3072 (the checkpoint's transformer/config.json), 64 x 64 = 4096 image tokens (8x VAE, 2 x 2
#:   patches) + 512 T5 tokens: :func:`dit_flops_per_pass` = 74.4 TFLOP.  Guidance-distilled: 1 pass per
#:   step; 28 steps (card example).  T5-XXL (4.76 B) on 512 tokens: 2 x 4.76e9 x 512 = 4.9 TFLOP.
#: - ``sd-3.5-large``: 8.1 B MMDiT (model card), 38 blocks of width 38 x 64 = 2432, 4096 image tokens +
#:   77 CLIP + 256 T5 tokens; guidance (2 passes); 28 steps (card example).  T5 on 256 tokens, twice:
#:   4.9 TFLOP.
DIFFUSION_MODELS: dict[str, DiffusionModel] = {
    "sdxl": DiffusionModel(6.1, 2, 50, 1024, 1024, VAE_DECODER_TFLOP_1024, 0.25, True,
                           "https://arxiv.org/abs/2307.01952"),
    "flux.1-dev": DiffusionModel(float(dit_flops_per_pass(57, 3072, 4096, 512)) / 1e12, 1, 28, 1024, 1024,
                                 VAE_DECODER_TFLOP_1024, 4.9, True,
                                 "https://huggingface.co/black-forest-labs/FLUX.1-dev"),
    "sd-3.5-large": DiffusionModel(float(dit_flops_per_pass(38, 2432, 4096, 77 + 256)) / 1e12, 2, 28, 1024, 1024,
                                   VAE_DECODER_TFLOP_1024, 4.9, True,
                                   "https://huggingface.co/stabilityai/stable-diffusion-3.5-large"),
}

#: Share of the GPU's dense BF16 peak a tuned diffusion stack (torch.compile, TensorRT, Stable Fast,
#: xDiT compiled) reaches on one image at a time, by platform [-].  CUDA: fitted on the published
#: A100 (SDXL) and H100 (FLUX.1-dev) rows (``tco calibrate``, :func:`tco.calibration.fit_image_efficiency`);
#: ROCm: no image measurement yet, the CUDA value times the platform share fitted on text
#: (:data:`PLATFORM_EFFICIENCY`).
IMAGE_EFFICIENCY: dict[str, float] = {"cuda": 0.477}


def diffusion_flops_per_image(model: DiffusionModel, steps=None, width=None, height=None) -> np.ndarray:
    """FLOPs of one image [FLOP]: ``steps x passes x denoiser pass + VAE decode + text encoders``.

    The denoiser and decoder scale with the pixel count (linear: convolutions and projections;
    attention, which grows faster, is a fifth of the pass at 1024 x 1024, so twice the pixels is
    under-counted by ~10 %).  ``steps``, ``width`` and ``height`` default to the model's.

    >>> m = DiffusionModel(6.0, 2, 30, 1024, 1024, 10.0, 0.5, True, "")
    >>> float(diffusion_flops_per_image(m)) / 1e12          # 30 x 2 x 6 + 10 + 0.5
    370.5
    >>> float(diffusion_flops_per_image(m, steps=20, width=512, height=512)) / 1e12   # (240 + 10) / 4 + 0.5
    63.0
    """
    s = _as_float(model.default_steps if steps is None else steps)
    w = _as_float(model.native_width if width is None else width)
    h = _as_float(model.native_height if height is None else height)
    scale = w * h / (model.native_width * model.native_height)
    tflop = (s * model.passes_per_step * model.denoiser_tflop_per_pass + model.decoder_tflop) * scale \
        + model.text_encoder_tflop
    return tflop * 1e12


def modelled_images_per_second(flops_per_image, bf16_dense_tflops, gpus=1, efficiency=None, platform="cuda",
                               interconnect="nvlink", tp_overhead=None, split_one_image=False) -> np.ndarray:
    """Images/s of one replica from the compute roofline [images/s].

    ``gpus x bf16 peak x efficiency / FLOPs per image``.  Diffusion runs at the BF16 rate whatever
    the weights' precision: FP8 / int8 pipelines keep attention, norms and the VAE in 16 bits (a
    conservative choice: the MLPerf SDXL FP8 rows are ~10 % faster).  With images enough in flight
    every GPU of the replica makes its own (data parallel); ``split_one_image`` (one image at a
    time over several GPUs, sequence parallel) costs the tensor-parallel efficiency of
    :func:`tp_efficiency` as well.

    >>> # 312 TFLOP/s x 0.5 / 370.5 TFLOP = 0.421 images/s
    >>> round(float(modelled_images_per_second(370.5e12, 312, efficiency=0.5)), 4)
    0.4211
    """
    if efficiency is None:
        base = IMAGE_EFFICIENCY["cuda"]
        efficiency = np.where(np.asarray(platform) == "rocm", base * PLATFORM_EFFICIENCY["rocm"], base)
    split = np.where(np.asarray(split_one_image, dtype=bool), tp_efficiency(gpus, interconnect, tp_overhead), 1.0)
    rate = _as_float(gpus) * _as_float(bf16_dense_tflops) * 1e12 * _as_float(efficiency) * split
    return rate / _as_float(flops_per_image)


# --------------------------------------------------------------------------
# money
# --------------------------------------------------------------------------

def usd_per_mtok(usd_per_hour, tokens_per_second, utilisation=1.0) -> np.ndarray:
    """Cost of one million tokens from an hourly cost and a token rate.

    ``usd_per_hour / (tokens_per_second x 3600 x utilisation / 1e6)``.  Use the
    same tokens in the rate as in the price (output, input or total): mixing
    them is the most common error.

    Parameters
    ----------
    usd_per_hour : float or array-like
        [USD/hour] of the GPUs (or replica) producing the tokens.
    tokens_per_second : float or array-like
        [tokens/s] at full load.
    utilisation : float or array-like, default 1.0
        [-] share of the paid hours spent serving at that rate.

    Returns
    -------
    numpy.ndarray
        [USD/1M tokens]; inf where the rate is 0.

    Examples
    --------
    SemiAnalysis InferenceX (published_cases.md, case 4): $1.30/h at 1,000
    tok/s -> $0.361/M, $1.95/h -> $0.542/M; llmtco.com (case 5): $1.50/h at
    2,000 tok/s -> ~$0.21/M.

    >>> [round(float(usd_per_mtok(h, t)), 4) for h, t in ((1.30, 1000), (1.95, 1000), (1.50, 2000))]
    [0.3611, 0.5417, 0.2083]
    """
    rate = _as_float(tokens_per_second) * 3600.0 * _as_float(utilisation) / 1e6
    with np.errstate(divide="ignore"):
        return _as_float(usd_per_hour) / rate
