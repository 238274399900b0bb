"""Serving capacity of a deployment, from the catalog: a measured row, else the roofline model.

A *deployment* is an open model on ``g`` GPUs of one type at a precision.  Its capacity per
replica comes from the ``throughput_benchmarks`` table when a measured row matches (model,
GPU, GPU count, precision and, for text, prompt and output lengths within 2x), else from the
roofline model of :mod:`tco.throughput` fed with the ``open_models`` and ``gpus`` rows.
"""
from __future__ import annotations

import math

import numpy as np

from tco import throughput as tp
from tco.catalog import Catalog
from tco.scenario import OpenOption, ScenarioError

_THROUGHPUT_CACHE: dict[tuple, dict] = {}


def modelled_throughput(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float, out_len: float) -> dict:
    """Fit check and roofline throughput of the deployment (raises ScenarioError when it cannot fit).

    Returns the fields of :class:`tco.throughput.ReplicaThroughput` as Python scalars
    (tokens/s, batch, ms per token...), cached per distinct input.
    """
    key = (tuple(sorted(model.items())), tuple(sorted(gpu.items())), o.precision, o.max_time_per_output_token_s,
           g, float(in_len), float(out_len))
    hit = _THROUGHPUT_CACHE.get(key)
    if hit is None:
        hit = modelled_throughput_uncached(model, gpu, o, g, in_len, out_len)
        if len(_THROUGHPUT_CACHE) > 4096:
            _THROUGHPUT_CACHE.clear()
        _THROUGHPUT_CACHE[key] = hit
    return dict(hit)


def modelled_throughput_uncached(model: dict, gpu: dict, o: OpenOption, g: int, in_len: float,
                                 out_len: float) -> dict:
    """:func:`modelled_throughput` without the cache."""
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
