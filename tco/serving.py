"""Serving capacity of a deployment, from the catalog: a measured row, else the roofline model.

A *deployment* is an open model on ``g`` GPUs of one type at a precision, served by an engine
(vLLM by default: what most teams run) on the GPU's platform, at the latency targets of its
*use* (:data:`USES`).  Its capacity per replica comes from the ``throughput_benchmarks`` table
when a measured row matches (model, GPU, GPU count, precision, engine and, for text, prompt
and output lengths within 2x, measured at the targets or without any when there are none),
else from the roofline model of :mod:`tco.throughput` fed with the ``open_models`` and
``gpus`` rows.
"""
from __future__ import annotations

import math

import numpy as np

from tco import throughput as tp
from tco.catalog import Catalog
from tco.scenario import OpenOption, ScenarioError

_THROUGHPUT_CACHE: dict[tuple, dict] = {}

#: Latency targets by use [s]: (time per output token, time to first token); None = none.
#: ``interactive`` is MLPerf Inference's interactive scenario for chat (TPOT <= 40 ms, i.e.
#: 25 tokens/s per user, TTFT <= 450 ms); ``agents`` its server scenario (TPOT <= 200 ms,
#: TTFT <= 2 s), for agents and RAG whose long prompts are read by programs; ``batch`` is
#: offline work with no target.  Source: MLCommons, MLPerf Inference v5.0 Llama 2 70B
#: interactive and server latency constraints (2025-04-02),
#: https://mlcommons.org/2025/04/llm-inference-v5/ (the rules only, not its results).
USES: dict[str, tuple[float | None, float | None]] = {
    "interactive": (0.040, 0.45),
    "agents": (0.200, 2.0),
    "batch": (None, None),
}


def latency_targets(o: OpenOption) -> tuple[float | None, float | None]:
    """The option's (time per output token, time to first token) targets [s]: its own, else its use's.

    >>> latency_targets(OpenOption(serving_use="agents", max_time_per_output_token_s=0.05))
    (0.05, 2.0)
    """
    tpot, ttft = USES[o.serving_use]
    return (o.max_time_per_output_token_s if o.max_time_per_output_token_s is not None else tpot,
            o.max_time_to_first_token_s if o.max_time_to_first_token_s is not None else ttft)


#: How a replica's load arrives: ``serving`` (clients through the engine's OpenAI-compatible server,
#: prefill chunks riding in the decode steps: a deployment) or ``offline`` (the engine's own offline
#: benchmark, trtllm-bench or vLLM's benchmark_throughput: every request submitted at once, the
#: prompts prefilled in waves, no server), as the calibration models its ``offline_max`` rows.
RUNS: tuple[str, ...] = ("serving", "offline")


def modelled_throughput(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float, out_len: float,
                        cached_share: float = 0.0, concurrency: float | None = None, *,
                        run: str = "serving", num_prompts: int | None = None) -> dict:
    """Fit check and roofline throughput of the deployment (raises ScenarioError when it cannot fit).

    The option's ``kv_precision`` (None: the weights', :func:`tco.throughput.default_kv_precision`) and
    ``attention_parallel`` (``tp``/``dp``, :func:`tco.throughput.kv_bytes_per_token`) and ``run``
    (:data:`RUNS`) describe the setup, or a measured one to reproduce; an offline run of ``num_prompts``
    requests holds at most that many in flight and ends on a partial wave (:func:`_finite_run`).
    Returns the fields of :class:`tco.throughput.ReplicaThroughput` as Python scalars (tokens/s, batch, ms per
    token...), cached per distinct input.
    """
    if run not in RUNS:
        raise ScenarioError("run", f"must be one of: {', '.join(RUNS)}; got {run!r}")
    if num_prompts is not None:
        if run != "offline":
            raise ScenarioError("num_prompts", "applies to an offline run only (run: offline): a served load has "
                                               "no end")
        return _finite_run(model, gpu, o, g, in_len, out_len, cached_share, concurrency, float(num_prompts))
    key = (tuple(sorted(model.items())), tuple(sorted(gpu.items())), o.precision, latency_targets(o),
           o.serving_engine, o.platform, g, float(in_len), float(out_len), float(cached_share), concurrency,
           o.kv_precision, o.attention_parallel, run)
    hit = _THROUGHPUT_CACHE.get(key)
    if hit is None:
        hit = modelled_throughput_uncached(model, gpu, o, g, in_len, out_len, cached_share, concurrency, run=run)
        if len(_THROUGHPUT_CACHE) > 4096:
            _THROUGHPUT_CACHE.clear()
        _THROUGHPUT_CACHE[key] = hit
    return dict(hit)


def _finite_run(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float, out_len: float, cached_share: float,
                concurrency: float | None, prompts: float) -> dict:
    """:func:`modelled_throughput` of an offline run of ``prompts`` requests: at most that many in flight, and
    when they outnumber the batch the last wave holds the rest, so the rates are the whole run's
    (:func:`tco.throughput.finite_run_tokens_per_s`, as :func:`tco.calibration.modelled` models such rows)."""
    capped = prompts if concurrency is None else min(float(concurrency), prompts)
    whole = modelled_throughput(model, gpu, o, g, in_len, out_len, cached_share, capped, run="offline")
    batch = float(whole["batch_size"])
    rest = prompts % max(batch, 1.0)
    if batch > 0 and prompts > batch and rest > 0:
        last = modelled_throughput(model, gpu, o, g, in_len, out_len, cached_share, rest, run="offline")
        whole["output_tokens_per_s"] = float(tp.finite_run_tokens_per_s(
            prompts, float(out_len), batch, whole["time_per_output_token_s"], last["time_per_output_token_s"]))
        whole["requests_per_s"] = whole["output_tokens_per_s"] / float(out_len)
        whole["total_tokens_per_s"] = whole["requests_per_s"] * (float(in_len) + float(out_len))
    return whole


def gpu_memory_gib(gpu: dict) -> float:
    """The GPU's memory [GiB]: ``memory_gib`` where the row gives it, else its marketed ``memory_gb``
    taken as GiB (an "80 GB" H100 holds 80 GiB)."""
    v = gpu.get("memory_gib")
    return float(v) if v is not None and v == v else float(gpu["memory_gb"])


def platform_of(o: OpenOption, gpu: dict) -> str:
    """The software platform: the option's, else the GPU row's, else from its vendor."""
    if o.platform is not None:
        return o.platform
    if gpu.get("platform"):
        return str(gpu["platform"])
    return "rocm" if gpu.get("vendor") == "amd" else "cuda"


def modelled_throughput_uncached(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float,
                                 out_len: float, cached_share: float = 0.0, concurrency: float | None = None, *,
                                 run: str = "serving") -> dict:
    """:func:`modelled_throughput` without the cache."""
    offline = run == "offline"
    def num(v):
        return np.nan if v is None else float(v)
    tpot, ttft = latency_targets(o)
    try:
        res = tp.replica_throughput(
            model["total_params_b"], model["active_params_b"], num(model["layers"]), num(model["kv_heads"]),
            num(model["head_dim"]), gpu_memory_gib(gpu), gpu["memory_bandwidth_tbps"], gpu["bf16_dense_tflops"],
            gpus_per_replica=g, precision=o.precision, input_tokens=in_len, output_tokens=out_len,
            attention_heads=model.get("attention_heads"),
            kv_values_per_token_layer=model.get("kv_values_per_token_layer"),
            sliding_window_layers=model.get("sliding_window_layers"),
            sliding_window_tokens=model.get("sliding_window_tokens"),
            experts=model.get("experts"), experts_per_token=model.get("experts_per_token"),
            fp8_dense_tflops=gpu.get("fp8_dense_tflops"), fp4_dense_tflops=gpu.get("fp4_dense_tflops"),
            interconnect=gpu["interconnect"], engine=o.serving_engine, platform=platform_of(o, gpu),
            max_time_per_output_token_s=tpot, max_time_to_first_token_s=ttft, cached_input_share=cached_share,
            concurrency=concurrency, kv_precision=o.kv_precision, attention_parallel=o.attention_parallel,
            hidden_size=model.get("hidden_size"),
            prefill_in_waves=offline, server_overhead_s=0.0 if offline else None,
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


def _smallest_replica_meeting(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float, out_len: float,
                              cached_share: float, flag: str) -> int | None:
    """The fewest GPUs per replica among 2x, 4x, 8x ``g`` (up to 8) whose modelled replica has ``flag``
    (``ttft_reachable`` or ``latency_target_met``) true; None if none has."""
    for more in (2 * g, 4 * g, 8 * g):
        if more > 8:
            return None
        if modelled_throughput(model, gpu, o, more, in_len, out_len, cached_share).get(flag):
            return more
    return None


def ttft_out_of_reach(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float, out_len: float,
                      cached_share: float, detail: dict) -> str:
    """The words for a time-to-first-token target no batch meets: what one request takes, that the
    batch was sized without it, and the smallest replica (2x, 4x, 8x the GPUs, up to 8) that would
    reach it, if any.  Lower case, no final stop: a clause."""
    _tpot, ttft = latency_targets(o)
    words = (f"the {ttft * 1000:.0f} ms target to the first token is out of reach on {g} GPU(s): "
             f"the {in_len:,.0f}-token prompt alone takes {detail['prefill_s'] * 1000:,.0f} ms to prefill; "
             f"sized for the per-token target only")
    more = _smallest_replica_meeting(model, gpu, o, g, in_len, out_len, cached_share, "ttft_reachable")
    return words if more is None else words + f"; {more} GPUs per replica would reach it"


def tpot_out_of_reach(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float, out_len: float,
                      cached_share: float, detail: dict) -> str:
    """The words for a per-token target even one sequence misses: what it reaches at batch 1 and the
    smallest replica (2x, 4x, 8x the GPUs, up to 8) that would meet it, if any.  A clause."""
    tpot, _ttft = latency_targets(o)
    words = (f"the {tpot * 1000:.0f} ms per-token target is out of reach on {g} GPU(s): one sequence alone "
             f"gets {detail['time_per_output_token_s'] * 1000:,.1f} ms per token, so the replica serves one at a time")
    more = _smallest_replica_meeting(model, gpu, o, g, in_len, out_len, cached_share, "latency_target_met")
    return words if more is None else words + f"; {more} GPUs per replica would meet it"


def benchmark_row(catalog: Catalog, o: OpenOption, g: int, in_len, out_len, image: bool) -> dict | None:
    """The measured row for this deployment, or None.

    It must match model x GPU x GPUs x precision; for text also the engine, both lengths within
    2x, and the latency targets: with targets, a row measured at or under both of them (the
    fastest such row); without, an offline max-throughput row.  The closest lengths win.  For
    images the fastest tuned row (untuned eager runs are not what a deployment would serve with).
    """
    col = "images_per_second" if image else "output_tokens_per_second"
    same = catalog.grouped("throughput_benchmarks", ("model_id", "gpu_id", "gpu_count", "precision"))
    hits = [r for r in same.get((o.model, o.gpu, g, o.precision), ()) if r[col] is not None]
    if not hits:
        return None
    if image:
        tuned = [r for r in hits if r.get("tuned") is not False]
        return max(tuned, key=lambda r: float(r[col])) if tuned else None
    tpot, ttft = latency_targets(o)
    best, best_key = None, None
    for r in hits:
        if r.get("engine") != o.serving_engine or r.get("tuned") is False or not _same_setup(r, o):
            continue
        kind = r.get("measurement") or "offline_max"
        if tpot is None and ttft is None:
            if kind != "offline_max":
                continue
        else:
            r_tpot, r_ttft = r.get("median_tpot_ms"), r.get("median_ttft_ms")
            if r_tpot is None or (tpot is not None and r_tpot / 1000.0 > tpot):
                continue
            if ttft is not None and (r_ttft is None or r_ttft / 1000.0 > ttft):
                continue
        # Distance in log-length space; a row counts as matching when both lengths are within 2x.
        di = abs(math.log(max(r["input_tokens"], 1) / max(in_len, 1)))
        do = abs(math.log(max(r["output_tokens"], 1) / max(out_len, 1)))
        if di <= math.log(2) and do <= math.log(2):
            key = (round(di + do, 6), -float(r[col]))
            if best_key is None or key < best_key:
                best, best_key = r, key
    return best


def _same_setup(row: dict, o: OpenOption) -> bool:
    """Whether a measured row ran the KV-cache precision and attention split the option asks for (an option
    that leaves them at None takes any row; a row's blank KV precision is its weights' default).

    >>> r = {"precision": "fp8", "kv_precision": None, "attention_parallel": "dp"}
    >>> [_same_setup(r, OpenOption(kv_precision=k, attention_parallel=a))
    ...  for k, a in ((None, None), ("fp8", "dp"), ("bf16", None), (None, "tp"))]
    [True, True, False, False]
    """
    if o.kv_precision is not None:
        kv = row.get("kv_precision") or str(tp.default_kv_precision(row["precision"]))
        if kv != o.kv_precision:
            return False
    return o.attention_parallel is None or row.get("attention_parallel") == o.attention_parallel


def modelled_images(model_id: str, gpu: dict, o: OpenOption, g: int) -> dict:
    """Images/s of a replica from the diffusion model's compute (:func:`tco.throughput.modelled_images_per_second`)
    at the model's default steps and native size, with the numbers behind it.

    Raises ScenarioError (``open.images_per_second_per_replica``) for a model the compute model
    does not know (:data:`tco.throughput.DIFFUSION_MODELS`).
    """
    spec = tp.DIFFUSION_MODELS.get(model_id)
    if spec is None:
        raise ScenarioError("open.images_per_second_per_replica",
                            f"no images/s benchmark for {model_id} on {g}x {o.gpu} in {o.precision}, and no compute "
                            f"model for it (known: {', '.join(tp.DIFFUSION_MODELS)}): give it inline")
    platform = platform_of(o, gpu)
    flops = float(tp.diffusion_flops_per_image(spec))
    eff = tp.IMAGE_EFFICIENCY["cuda"] * (tp.PLATFORM_EFFICIENCY["rocm"] if platform == "rocm" else 1.0)
    ips = float(tp.modelled_images_per_second(flops, float(gpu["bf16_dense_tflops"]), g, eff))
    return {"images_per_second": ips, "flops_per_image": flops, "steps": spec.default_steps,
            "width": spec.native_width, "height": spec.native_height, "efficiency": eff, "platform": platform}
