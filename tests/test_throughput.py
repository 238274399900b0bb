"""Tests of tco.throughput: hand arithmetic, published cases, properties, calibration.

Every expected number below is worked out by hand in the comments (or taken
from a published case, cited), never produced by the code under test.
"""
from __future__ import annotations

import csv
import doctest
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tco.throughput as tp
from tco.throughput import (
    DoesNotFitError,
    bytes_per_param,
    check_fit,
    decode_step_seconds,
    fits,
    kv_bytes_per_token,
    max_batch_by_memory,
    moe_weight_bytes_read,
    peak_tflops,
    prefill_seconds,
    replica_throughput,
    tp_efficiency,
    usd_per_mtok,
    weight_bytes,
)

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference"

# Architecture and GPU numbers used by the hand cases (from the model configs
# and datasheets as transcribed in shared/data/reference).
LLAMA_8B = dict(total_params_b=8.03, active_params_b=8.03, layers=32, kv_heads=8, head_dim=128)
LLAMA_70B = dict(total_params_b=70.55, active_params_b=70.55, layers=80, kv_heads=8, head_dim=128)
MIXTRAL_8X7B = dict(total_params_b=46.7, active_params_b=12.88, layers=32, kv_heads=8,
                    head_dim=128, experts=8, experts_per_token=2)
H100 = dict(memory_gib=80, memory_bandwidth_tbps=3.35, bf16_dense_tflops=989,
            fp8_dense_tflops=1979)
A100 = dict(memory_gib=80, memory_bandwidth_tbps=2.039, bf16_dense_tflops=312)
L40S = dict(memory_gib=48, memory_bandwidth_tbps=0.864, bf16_dense_tflops=362.05,
            fp8_dense_tflops=733, interconnect="pcie")
GIB = 2**30   # device memory is binary: an "80 GB" H100 holds 80 GiB = 85.9e9 bytes
#: No fixed costs per step, sequence or all-reduce: the hand cases check the roofline alone.
NO_OVERHEADS = dict(step_overhead_s=0.0, sequence_overhead_s=0.0, server_overhead_s=0.0, allreduce_latency_s=0.0)


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_doctests():
    """The docstring examples (hand-checked numbers) hold."""
    failed, attempted = doctest.testmod(tp, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 15
    assert failed == 0


# --------------------------------------------------------------------------
# sizes
# --------------------------------------------------------------------------

def test_bytes_per_param_table():
    # block scales included: int4 groups of 128 with a 16-bit scale and zero (4 + 32/128 = 4.25 bits),
    # NVFP4 (= fp4) one FP8 scale per 16 values (4 + 8/16 = 4.5 bits), MXFP4 one 8-bit scale per 32 (4.25)
    names = ["fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4", "nvfp4", "mxfp4"]
    assert bytes_per_param(names).tolist() == [4, 2, 2, 1, 1, 4.25 / 8, 4.5 / 8, 4.5 / 8, 4.25 / 8]
    assert float(bytes_per_param("BF16")) == 2.0
    assert bytes_per_param("fp8").shape == ()


def test_bytes_per_param_unknown_lists_valid_names():
    with pytest.raises(ValueError) as err:
        bytes_per_param("fp6")
    msg = str(err.value)
    assert "'fp6'" in msg
    for name in ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"):
        assert name in msg
    with pytest.raises(ValueError):
        bytes_per_param(["bf16", "nf4"])
    with pytest.raises(ValueError):
        bytes_per_param(8)


def test_kv_bytes_per_token_by_hand():
    # Llama-3.1-70B in bf16: 80 layers x 2 (K and V) x 8 KV heads x 128 x 2 B = 327,680 B
    assert float(kv_bytes_per_token(80, 8, 128, 2)) == 327_680
    # Llama-3.1-8B with an fp8 cache: 32 x 2 x 8 x 128 x 1 B = 65,536 B
    assert float(kv_bytes_per_token(32, 8, 128, bytes_per_param("fp8"))) == 65_536
    # DeepSeek-V3 latent attention: 61 layers x 576 values (512 latent + 64 rope) x 2 B = 70,272 B
    assert float(kv_bytes_per_token(61, None, None, 2, kv_values_per_token_layer=576)) == 70_272
    # A NaN latent column (dense rows of a table) falls back to 2 x heads x dim
    got = kv_bytes_per_token([80, 61], [8, np.nan], [128, np.nan], 2, [np.nan, 576])
    assert got.tolist() == [327_680, 70_272]


def test_kv_heads_replicated_when_tp_exceeds_them():
    # Llama-3.1-405B has 8 KV heads; on 16 GPUs each GPU holds one: 16 heads in all.
    # 126 layers x 2 x 16 x 128 x 2 B = 1,032,192 B (twice the TP=8 figure 516,096 B)
    assert float(kv_bytes_per_token(126, 8, 128, 2, tensor_parallel=8)) == 516_096
    assert float(kv_bytes_per_token(126, 8, 128, 2, tensor_parallel=16)) == 1_032_192


def test_kv_bytes_match_reference_table():
    """Cross-check with the hand-computed kv_cache_bytes_per_token_bf16 column."""
    path = REFERENCE / "open_models_reference.csv"
    if not path.exists():
        pytest.skip("shared reference data not present")
    checked = 0
    for row in _read_csv(path):
        if not row["kv_heads"].isdigit():
            continue  # latent attention (DeepSeek-V3) is checked by hand above
        got = kv_bytes_per_token(int(row["layers"]), int(row["kv_heads"]),
                                 int(row["head_dim"]), 2)
        assert float(got) == float(row["kv_cache_bytes_per_token_bf16"]), row["model"]
        checked += 1
    assert checked >= 10


def test_weight_bytes_by_hand():
    # Llama-3.1-405B: 405.85e9 params x 2 B = 811.7e9 B in bf16; x 1 B in fp8; x 0.53125 B in int4
    assert float(weight_bytes(405.85, "bf16")) == pytest.approx(811.7e9)
    assert float(weight_bytes(405.85, "fp8")) == pytest.approx(405.85e9)
    assert float(weight_bytes(405.85, "int4")) == pytest.approx(215.6078125e9)
    # 8.03e9 x 4 B; 70.55e9 x 0.5625 B (NVFP4)
    assert weight_bytes([8.03, 70.55], ["fp32", "fp4"]).tolist() == pytest.approx(
        [32.12e9, 39.684375e9])


def test_moe_weight_bytes_read_by_hand():
    # Mixtral-8x7B: total 46.7B, active 12.88B, 8 experts, 2 per token.
    # expert = (46.7 - 12.88) / (8 - 2) = 5.636667B; shared = 12.88 - 2 x 5.636667 = 1.606667B
    # batch 2: P(expert untouched) = (1 - 2/8)^2 = 0.5625, so 0.4375 x 8 experts touched:
    # 1.606667 + 8 x 5.636667 x 0.4375 = 1.606667 + 19.728333 = 21.335B params, x 2 B (bf16)
    got = moe_weight_bytes_read(46.7, 12.88, "bf16", 2, 8, 2, routing_independence=1.0)
    assert float(got) == pytest.approx(21.335e9 * 2, rel=1e-9)
    # correlated routing, s = 0.5: batch 2 routes as 1 + 0.5 x (2 - 1) = 1.5 independent draws:
    # 1 - 0.75^1.5 = 0.350481 of each expert touched; 1.606667 + 45.093333 x 0.350481 = 17.411024B params
    got = moe_weight_bytes_read(46.7, 12.88, "bf16", 2, 8, 2, routing_independence=0.5)
    assert float(got) == pytest.approx(17.411024e9 * 2, rel=1e-6)
    # the shipped default lies between: fewer experts than independent draws touch, more than one token's
    shipped = float(moe_weight_bytes_read(46.7, 12.88, "bf16", 2, 8, 2))
    assert 12.88e9 * 2 < shipped < 21.335e9 * 2
    # batch 1 reads exactly the active weights, a large batch all of them
    assert float(moe_weight_bytes_read(46.7, 12.88, "bf16", 1, 8, 2)) == pytest.approx(12.88e9 * 2)
    assert float(moe_weight_bytes_read(46.7, 12.88, "fp8", 512, 8, 2)) == pytest.approx(46.7e9)
    # dense: all weights whatever the batch
    assert moe_weight_bytes_read(8.03, 8.03, "bf16", [1, 64]).tolist() == pytest.approx(
        [16.06e9, 16.06e9])
    # experts unknown: bound min(total, B x active) = min(46.7, 2 x 12.88 = 25.76)
    assert float(moe_weight_bytes_read(46.7, 12.88, "fp8", 2)) == pytest.approx(25.76e9)
    # reading grows with the batch (never shrinks)
    b = np.arange(1, 300)
    assert np.all(np.diff(moe_weight_bytes_read(671, 37, "fp8", b, 256, 8)) >= 0)


# --------------------------------------------------------------------------
# GPU side
# --------------------------------------------------------------------------

def test_peak_tflops_fallbacks():
    # A100 has no FP8: fp8 weights compute at its BF16 rate
    assert float(peak_tflops("fp8", 312)) == 312
    assert float(peak_tflops("fp8", 312, np.nan)) == 312
    # H100: fp8 at 1979; no FP4 format, so fp4 falls back to BF16 989
    assert float(peak_tflops("fp8", 989, 1979)) == 1979
    assert float(peak_tflops("fp4", 989, 1979)) == 989
    # B200 has FP4: 9000
    assert float(peak_tflops("fp4", 2250, 4500, 9000)) == 9000
    # weight-only int4/int8 compute in bf16; fp32 at half the bf16 rate (TF32)
    assert peak_tflops(["int4", "int8", "fp32", "fp16"], 989, 1979).tolist() == [
        989, 989, 494.5, 989]


def test_tp_efficiency():
    # 1 / (1 + overhead x (gpus - 1)): 8 GPUs at 0.05 -> 1 / 1.35
    assert float(tp_efficiency(8, "nvlink", 0.05)) == pytest.approx(1 / 1.35)
    assert float(tp_efficiency(1, "pcie")) == 1.0
    # PCIe costs more than NVLink for every group size > 1
    g = np.arange(2, 9)
    assert np.all(tp_efficiency(g, "pcie") < tp_efficiency(g, "nvlink"))
    assert np.all(np.diff(tp_efficiency(g, "nvlink")) < 0)
    # a dict overrides one interconnect only
    assert float(tp_efficiency(3, "pcie", {"pcie": 0.5})) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="nvlink"):
        tp_efficiency(2, "ethernet")


# --------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------

def test_max_batch_by_memory_by_hand():
    # Llama-3.1-8B fp8 on one 80 GiB GPU: 80 x 2**30 x 0.9 = 77.309e9 usable, - 8.03e9 weights
    # = 69.279e9; per 2,000-token request 65,536 x 2,000 = 131.072e6 B -> 528.56 -> 528
    assert int(max_batch_by_memory(8.03, "fp8", 80, 1, 65_536, 2000)) == 528
    # does not fit: 0, never negative
    assert int(max_batch_by_memory(405.85, "bf16", 80, 2, 516_096, 2000)) == 0


def test_fits_vectorised():
    # 405B on 8 x 80 GiB = 8 x 85.9e9 x 0.9 = 618.5e9 B usable: bf16 811.7e9 no; fp8 405.85e9 yes;
    # fp4 228.3e9 yes
    assert fits(405.85, ["bf16", "fp8", "fp4"], 80, 8).tolist() == [False, True, True]
    # the KV of one request counts: 70B fp8 on one H100 has 77.31e9 - 70.55e9 = 6.76e9 B spare;
    # a 40,000-token request needs 163,840 x 40,000 = 6.55e9 B (fits), 50,000 tokens 8.19e9 B (no)
    assert bool(fits(70.55, "fp8", 80, 1, 163_840, 40_000))
    assert not bool(fits(70.55, "fp8", 80, 1, 163_840, 50_000))


def test_does_not_fit_message_names_sizes():
    with pytest.raises(DoesNotFitError) as err:
        check_fit(405.85, "bf16", 80, 2, model_id="llama-3.1-405b", gpu_id="h100-sxm")
    msg = str(err.value)
    # weights 405.85e9 x 2 B = 811.7e9 B = 756.0 GiB; usable 2 x 80 GiB x 0.9 = 144.0 GiB
    assert msg.startswith("llama-3.1-405b in bf16 needs 756.0 GiB of weights; ")
    assert "2 x h100-sxm give 144.0 GiB usable" in msg
    assert "use more GPUs or a lower precision" in msg
    assert isinstance(err.value, ValueError)


def test_does_not_fit_because_of_one_long_request():
    # weights fit (70.55e9 B = 65.7 GiB of 72 GiB) but one 50,000-token request needs
    # 163,840 x 50,000 = 8.19e9 B = 7.6 GiB of fp8 cache
    with pytest.raises(DoesNotFitError) as err:
        check_fit(70.55, "fp8", 80, 1, 163_840, 50_000, model_id="llama-3.1-70b",
                  gpu_id="h100-sxm")
    msg = str(err.value)
    assert "65.7 GiB of weights + 7.6 GiB of KV cache for one 50,000-token request" in msg
    assert "72.0 GiB usable" in msg
    assert "shorter requests" in msg


def test_check_fit_passes_silently():
    assert check_fit(70.55, "fp8", 80, 2) is None


def test_replica_throughput_raises_or_reports_no_fit():
    with pytest.raises(DoesNotFitError, match="llama-3.1-405b in bf16 needs 756.0 GiB"):
        replica_throughput(405.85, 405.85, 126, 8, 128, **A100, gpus_per_replica=2,
                           precision="bf16", model_id="llama-3.1-405b", gpu_id="a100-80gb")
    r = replica_throughput(405.85, 405.85, 126, 8, 128, **A100, gpus_per_replica=[2, 8],
                           precision="fp8", raise_if_no_fit=False)
    assert r.fits.tolist() == [False, True]
    assert r.batch_size[0] == 0 and r.output_tokens_per_s[0] == 0.0
    assert r.batch_limit[0] == "memory"
    assert r.output_tokens_per_s[1] > 0


# --------------------------------------------------------------------------
# time, by hand
# --------------------------------------------------------------------------

def test_prefill_seconds_by_hand():
    # Llama-3.1-70B, 2,048-token prompt, 4 GPUs of 989 TFLOP/s at 50 % MFU, TP efficiency 0.8:
    # 2 x 70.55e9 x 2048 = 2.889728e14 FLOP; rate 4 x 989e12 x 0.5 x 0.8 = 1.5824e15 FLOP/s
    # -> 0.18262 s
    got = prefill_seconds(70.55, 2048, 4, 989, 0.5, 0.8)
    assert float(got) == pytest.approx(2 * 70.55e9 * 2048 / (4 * 989e12 * 0.5 * 0.8))
    assert float(got) == pytest.approx(0.182617, rel=1e-5)


def test_decode_step_by_hand():
    # Made-up model: 2B params in fp8 (2e9 B of weights), KV 50,000 B/token, batch 40 at an
    # average context of 1,500 tokens; 2 GPUs of 2 TB/s and 500 TFLOP/s, mbu 0.5, mfu 0.4,
    # TP efficiency 0.9.
    # bandwidth: 2 x 0.9 x 2e12 x 0.5 = 1.8e12 B/s; compute: 2 x 0.9 x 500e12 x 0.4 = 3.6e14 FLOP/s
    # weights   2e9 / 1.8e12                 = 1.1111 ms
    # attention 40 x 1500 x 50,000 / 1.8e12  = 1.6667 ms
    # compute   2 x 2e9 x 40 / 3.6e14        = 0.4444 ms
    args = (40, 2e9, 50_000, 1500, 2, 2, 2, 500, 0.5, 0.4, 0.9)
    w, a, c = 2e9 / 1.8e12, 40 * 1500 * 50_000 / 1.8e12, 2 * 2e9 * 40 / 3.6e14
    assert float(decode_step_seconds(*args)) == pytest.approx(max(w, c) + a)  # 2.7778 ms
    assert float(decode_step_seconds(*args)) == pytest.approx(2.777778e-3, rel=1e-6)
    assert float(decode_step_seconds(*args, combine="max")) == pytest.approx(max(w + a, c))
    assert float(decode_step_seconds(*args, combine="sum")) == pytest.approx(w + a + c)
    with pytest.raises(ValueError, match="split"):
        decode_step_seconds(*args, combine="overlap")


# A tiny made-up model whose replica throughput is worked out by hand below.
TINY = dict(total_params_b=1.0, active_params_b=1.0, layers=10, kv_heads=1, head_dim=50,
            memory_gib=10, memory_bandwidth_tbps=1.0, bf16_dense_tflops=100,
            precision="bf16", input_tokens=500, output_tokens=500,
            mfu=0.5, mbu=0.5, max_batch=100, prefill_overlap=False, **NO_OVERHEADS)


def test_replica_throughput_by_hand():
    # KV: 10 layers x 2 x 1 head x 50 x 2 B = 2,000 B/token; request 1,000 tokens -> 2e6 B
    # memory: 10 x 2**30 x 0.9 = 9.664e9 - 2e9 weights = 7.664e9 -> 3,831 requests; cap 100 -> B = 100
    # prefill/request: 2 x 1e9 x 500 / (100e12 x 0.5) = 0.02 s
    # decode (context 500 + 500/2 = 750):
    #   weights 2e9 / (1e12 x 0.5) = 4 ms; compute 2 x 1e9 x 100 / 50e12 = 4 ms; max = 4 ms
    #   attention 100 x 750 x 2,000 / 0.5e12 = 0.3 ms -> step 4.3 ms
    # one batch: 500 steps x 4.3 ms + 100 prefills x 0.02 s = 2.15 + 2.0 = 4.15 s
    # output 100 x 500 / 4.15 = 12,048.19 tok/s; total x 2 = 24,096.39; 24.096 requests/s
    # time per output token: 4.3 ms + 100 x 0.02 / 500 = 8.3 ms
    r = replica_throughput(**TINY)
    assert int(r.batch_size) == 100
    assert str(r.batch_limit) == "max_batch"
    assert float(r.kv_bytes_per_token) == 2000
    assert float(r.kv_cache_bytes) == pytest.approx(10 * GIB * 0.9 - 2e9)
    assert float(r.prefill_s) == pytest.approx(0.02)
    assert float(r.decode_step_s) == pytest.approx(4.3e-3)
    assert float(r.output_tokens_per_s) == pytest.approx(100 * 500 / 4.15)
    assert float(r.total_tokens_per_s) == pytest.approx(2 * 100 * 500 / 4.15)
    assert float(r.requests_per_s) == pytest.approx(100 / 4.15)
    assert float(r.time_per_output_token_s) == pytest.approx(8.3e-3)
    assert bool(r.memory_bound)  # 4 + 0.3 ms of memory >= 4 ms of compute
    assert bool(r.fits) and bool(r.latency_target_met)


def test_replica_throughput_memory_limit_by_hand():
    # same model, no engine cap, 20,000-token requests: 7.664e9 / (2,000 x 20,000) = 191.6 -> 191
    r = replica_throughput(**{**TINY, "max_batch": np.inf, "input_tokens": 19_000,
                              "output_tokens": 1000})
    assert int(r.batch_size) == 191
    assert str(r.batch_limit) == "memory"


def test_replica_throughput_latency_target_by_hand():
    # time per output token for B <= 100 (weights bound, 4 ms):
    #   4 ms + B x 0.003 ms (attention) + B x 0.02 s / 500 (= 0.04 ms, interleaved prefill)
    #   = 4 + 0.043 B ms <= 6.3 ms  ->  B <= 53.49  ->  B = 53
    # step = 4 + 0.003 x 53 = 4.159 ms; batch time 500 x 4.159 ms + 53 x 0.02 s = 3.1395 s
    # output 53 x 500 / 3.1395 = 8,440.8 tok/s
    r = replica_throughput(**TINY, max_time_per_output_token_s=6.3e-3)
    assert int(r.batch_size) == 53
    assert str(r.batch_limit) == "latency"
    assert float(r.decode_step_s) == pytest.approx(4.159e-3)
    assert float(r.output_tokens_per_s) == pytest.approx(53 * 500 / 3.1395)
    assert float(r.time_per_output_token_s) <= 6.3e-3
    assert bool(r.latency_target_met)


def test_chunked_prefill_rides_in_the_idle_compute_by_hand():
    # TINY with prefill mixed into the decode steps (vLLM V1, TensorRT-LLM): for B <= 100 a step
    # reads 4 ms of weights and computes 2 x 1e9 x B / 50e12 = 0.04 B ms, leaving 4 - 0.04 B ms
    # idle; the interleaved prefill is B x 0.02 s / 500 = 0.04 B ms, hidden while B <= 50.
    # TPOT = 4 + 0.003 B (step) + max(0.04 B - (4 - 0.04 B), 0) = 0.083 B ms for B > 50
    # <= 6.3 ms -> B <= 75.9 -> B = 75; TPOT 6.225 ms; output 75 / 6.225e-3 = 12,048.2 tok/s
    r = replica_throughput(**{**TINY, "prefill_overlap": True}, max_time_per_output_token_s=6.3e-3)
    assert int(r.batch_size) == 75
    assert float(r.time_per_output_token_s) == pytest.approx(6.225e-3)
    assert float(r.output_tokens_per_s) == pytest.approx(75 / 6.225e-3)
    # at B = 40 the prefill is all hidden: TPOT is the step, 4 + 0.12 = 4.12 ms
    r40 = replica_throughput(**{**TINY, "prefill_overlap": True}, concurrency=40)
    assert float(r40.time_per_output_token_s) == pytest.approx(4.12e-3)
    # SGLang runs prefill batches apart by default; vLLM and TensorRT-LLM mix them
    assert tp.engine_mixes_prefill(["sglang", "vllm", "trt-llm"]).tolist() == [False, True, True]


def test_engine_batch_ceilings_follow_their_defaults():
    # vLLM max_num_seqs: 1024 on >= 70 GiB GPUs other than A100 (vLLM >= 0.9), else 256;
    # trtllm-bench caps its batch at 4096
    caps = tp.engine_max_batch(["vllm", "vllm", "vllm", "vllm", "trt-llm"], [80, 80, 24, 80, 80],
                               ["h100-sxm", "a100-80gb", "l4", "h100-sxm", "h100-sxm"],
                               ["0.11.0", "0.11.0", "0.11.0", "v0.6.0", "1.0"])
    assert caps.tolist() == [1024, 256, 256, 256, 4096]


def test_tensorrt_llm_keeps_a_share_of_the_free_memory():
    # 65.7 GiB of weights on an 80 GiB GPU: vLLM 0.9 x 80 - 65.7 = 6.3 GiB of cache;
    # TensorRT-LLM 0.9 x (80 - 65.7) = 12.87 GiB
    w = 65.7 * GIB
    frac = tp.engine_memory_fraction(["vllm", "trt-llm"], w, 80)
    assert (frac * 80 - 65.7).tolist() == pytest.approx([6.3, 12.87])


def test_latency_target_out_of_reach():
    # even one sequence needs 4 + 0.043 = 4.043 ms > 4 ms: batch 1, flagged
    r = replica_throughput(**TINY, max_time_per_output_token_s=[4e-3, 4.05e-3])
    assert r.batch_size.tolist() == [1, 1]
    assert r.latency_target_met.tolist() == [False, True]
    assert r.batch_limit.tolist() == ["latency", "latency"]


def test_fp8_weights_on_gpu_without_fp8():
    # A100: fp8 weights halve memory and bytes read but compute at the bf16 rate
    bf16 = replica_throughput(**LLAMA_8B, **A100, precision="bf16")
    fp8 = replica_throughput(**LLAMA_8B, **A100, precision="fp8")
    assert float(fp8.weight_bytes) == pytest.approx(float(bf16.weight_bytes) / 2)
    assert float(fp8.prefill_s) == pytest.approx(float(bf16.prefill_s))
    assert float(fp8.output_tokens_per_s) > float(bf16.output_tokens_per_s)


def test_pcie_scales_worse_than_nvlink():
    kw = dict(**LLAMA_70B, memory_gib=48, memory_bandwidth_tbps=0.864,
              bf16_dense_tflops=362.05, fp8_dense_tflops=733, precision="fp8",
              gpus_per_replica=4)
    nv = replica_throughput(**kw, interconnect="nvlink")
    pcie = replica_throughput(**kw, interconnect="pcie")
    assert float(pcie.output_tokens_per_s) < float(nv.output_tokens_per_s)


def test_moe_decode_reads_more_weights_than_active():
    # the same efficiencies for both (no MoE factor) and independent routing, so that only the weights read differ
    same = dict(moe_efficiency=1.0, moe_compute_efficiency=1.0, moe_prefill_efficiency=1.0,
                moe_routing_independence=1.0)
    dense = {**MIXTRAL_8X7B, "experts": None, "experts_per_token": None}
    # at a batch of 64 every expert is touched (a given one is missed with probability (6/8)**64 ~ 1e-8): both read
    # all 46.7 GB a step, and both parts stay memory-bound (2 x 64 FLOP a byte of fp8, under the H100's ridge)
    r = replica_throughput(**MIXTRAL_8X7B, **H100, precision="fp8", concurrency=64, **same)
    dense_like = replica_throughput(**dense, **H100, precision="fp8", concurrency=64, **same)
    assert int(r.batch_size) == 64
    assert float(r.decode_step_s) == pytest.approx(float(dense_like.decode_step_s), rel=1e-6)
    assert float(r.output_tokens_per_s) == pytest.approx(float(dense_like.output_tokens_per_s), rel=1e-6)


def test_moe_routed_experts_run_on_their_own_roofline():
    # Mixtral-8x7B in fp8 on one H100 at full bandwidth and FLOP rate, no fixed costs, independent routing, batch
    # 1000 of one-token requests.  Experts of (46.7 - 12.88) / 6 = 5.636667B, shared 12.88 - 2 x 5.636667 = 1.606667B;
    # at batch 1000 all 8 experts are touched.  Shared part: max(1.606667e9 / 3.35e12, 2 x 1.606667e9 x 1000 /
    # 1.979e15) = max(0.479602, 1.623716) ms, compute-bound; routed: max(45.093333e9 / 3.35e12, 2 x 11.273333e9 x
    # 1000 / 1.979e15) = max(13.460697, 11.393000) ms, memory-bound.  Plus the KV reads, 1000 x 0.5 tokens x
    # 65,536 bytes / 3.35e12 = 0.009781 ms: 1.623716 + 13.460697 + 0.009781 = 15.094194 ms.  One roofline over
    # both parts would hide the shared compute in the experts' reads: max(13.940299, 13.016716) + 0.009781.
    r = replica_throughput(**MIXTRAL_8X7B, **H100, precision="fp8", input_tokens=0, output_tokens=1,
                           concurrency=1000, max_batch=4096, mbu=1.0, mfu=1.0, moe_efficiency=1.0,
                           moe_compute_efficiency=1.0, moe_routing_independence=1.0, step_overhead_s=0.0,
                           sequence_overhead_s=0.0, server_overhead_s=0.0)
    assert int(r.batch_size) == 1000
    shared = max(1.606667e9 / 3.35e12, 2 * 1.606667e9 * 1000 / 1.979e15)
    routed = max(45.093333e9 / 3.35e12, 2 * 11.273333e9 * 1000 / 1.979e15)
    assert float(r.decode_step_s) == pytest.approx(shared + routed + 1000 * 0.5 * 65536 / 3.35e12, rel=1e-6)
    assert float(r.decode_step_s) * 1e3 == pytest.approx(15.094194, rel=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="gpus_per_replica"):
        replica_throughput(**LLAMA_8B, **H100, gpus_per_replica=0)
    with pytest.raises(ValueError, match="output_tokens"):
        replica_throughput(**LLAMA_8B, **H100, output_tokens=0)
    with pytest.raises(ValueError, match="combine"):
        replica_throughput(**LLAMA_8B, **H100, combine="min")
    with pytest.raises(ValueError, match="interconnect"):
        replica_throughput(**LLAMA_8B, **H100, interconnect="infiniband", gpus_per_replica=2)
    with pytest.raises(ValueError, match="precision"):
        replica_throughput(**LLAMA_8B, **H100, precision="q4_k_m")


# --------------------------------------------------------------------------
# vectorised == scalar
# --------------------------------------------------------------------------

def test_vectorised_matches_scalar_calls():
    cases = [
        dict(**LLAMA_8B, **H100, gpus_per_replica=1, precision="fp8",
             input_tokens=1000, output_tokens=1000, target=np.nan),
        dict(**LLAMA_70B, **H100, gpus_per_replica=4, precision="bf16",
             input_tokens=2048, output_tokens=128, target=0.05),
        dict(**{k: v for k, v in MIXTRAL_8X7B.items() if k not in ("experts", "experts_per_token")},
             **{k: v for k, v in L40S.items() if k != "interconnect"}, gpus_per_replica=4,
             precision="fp8", input_tokens=500, output_tokens=1500, target=0.08),
        dict(**LLAMA_8B, **{k: v for k, v in A100.items()}, fp8_dense_tflops=np.nan,
             gpus_per_replica=1, precision="int4", input_tokens=128, output_tokens=2048,
             target=0.02),
    ]
    interconnect = ["nvlink", "nvlink", "pcie", "nvlink"]
    experts = [np.nan, np.nan, 8, np.nan]
    experts_per_token = [np.nan, np.nan, 2, np.nan]
    arrays = {k: np.array([c[k] for c in cases]) for k in cases[0]}
    target = arrays.pop("target")
    vec = replica_throughput(**arrays, interconnect=np.array(interconnect),
                             experts=np.array(experts),
                             experts_per_token=np.array(experts_per_token),
                             max_time_per_output_token_s=target)
    for i, c in enumerate(cases):
        c = dict(c)
        t = c.pop("target")
        one = replica_throughput(**c, interconnect=interconnect[i], experts=experts[i],
                                 experts_per_token=experts_per_token[i],
                                 max_time_per_output_token_s=None if np.isnan(t) else t)
        for name, value in one.to_dict().items():
            got = getattr(vec, name)[i]
            if value.dtype.kind in "fc":
                assert got == pytest.approx(float(value), rel=1e-12), (i, name)
            else:
                assert got == value, (i, name)
    assert vec.batch_limit.tolist()[:2] == ["memory", "latency"]


def test_broadcasting_a_sweep():
    # 3 precisions x 4 GPU counts in one call
    r = replica_throughput(**LLAMA_70B, **H100, precision=np.array(["bf16", "fp8", "fp4"])[:, None],
                           gpus_per_replica=np.array([1, 2, 4, 8]), raise_if_no_fit=False)
    assert r.output_tokens_per_s.shape == (3, 4)
    # bf16 70B does not fit one 80 GB GPU, fits two; fp8 fits one
    assert r.fits[0].tolist() == [False, True, True, True]
    assert r.fits[1, 0]
    assert np.all(r.output_tokens_per_s[~r.fits] == 0)
    assert np.all(r.output_tokens_per_s[r.fits] > 0)


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

configs = st.fixed_dictionaries(dict(
    total_params_b=st.floats(0.5, 200),
    layers=st.integers(4, 128),
    kv_heads=st.sampled_from([1, 2, 4, 8, 16]),
    head_dim=st.sampled_from([64, 128]),
    memory_gib=st.floats(16, 200),
    memory_bandwidth_tbps=st.floats(0.2, 8),
    bf16_dense_tflops=st.floats(50, 2500),
    gpus_per_replica=st.sampled_from([1, 2, 4, 8]),
    precision=st.sampled_from(["bf16", "fp8", "int4", "fp4"]),
    input_tokens=st.integers(0, 8000),
    output_tokens=st.integers(1, 4000),
    interconnect=st.sampled_from(["nvlink", "pcie"]),
))


@settings(max_examples=150, deadline=None)
@given(configs, st.floats(1e-4, 1.0), st.floats(0.01, 1.0))
def test_tighter_latency_target_never_raises_throughput(cfg, target, tighten):
    loose = replica_throughput(**cfg, active_params_b=cfg["total_params_b"],
                               max_time_per_output_token_s=target, raise_if_no_fit=False)
    tight = replica_throughput(**cfg, active_params_b=cfg["total_params_b"],
                               max_time_per_output_token_s=target * tighten,
                               raise_if_no_fit=False)
    free = replica_throughput(**cfg, active_params_b=cfg["total_params_b"],
                              raise_if_no_fit=False)
    assert tight.output_tokens_per_s <= loose.output_tokens_per_s * (1 + 1e-12)
    assert loose.output_tokens_per_s <= free.output_tokens_per_s * (1 + 1e-12)
    assert tight.batch_size <= loose.batch_size <= free.batch_size
    # when the target is met, it is met
    if loose.latency_target_met and loose.fits:
        assert loose.time_per_output_token_s <= target * (1 + 1e-12)


@settings(max_examples=150, deadline=None)
@given(configs, st.floats(1.0, 4.0), st.one_of(st.none(), st.floats(1e-3, 0.5)),
       st.sampled_from([None, 8, 2]))
def test_more_bandwidth_never_lowers_throughput(cfg, factor, target, experts):
    moe = {} if experts is None else dict(experts=experts, experts_per_token=1)
    active = cfg["total_params_b"] if experts is None else cfg["total_params_b"] / 2
    kw = dict(cfg, active_params_b=active, max_time_per_output_token_s=target,
              raise_if_no_fit=False, **moe)
    base = replica_throughput(**kw)
    faster = replica_throughput(**{**kw, "memory_bandwidth_tbps": cfg["memory_bandwidth_tbps"] * factor})
    assert faster.output_tokens_per_s >= base.output_tokens_per_s * (1 - 1e-12)


@settings(max_examples=100, deadline=None)
@given(configs, st.floats(1.0, 3.0))
def test_more_memory_never_lowers_throughput(cfg, factor):
    kw = dict(cfg, active_params_b=cfg["total_params_b"], raise_if_no_fit=False)
    base = replica_throughput(**kw)
    bigger = replica_throughput(**{**kw, "memory_gib": cfg["memory_gib"] * factor})
    assert bigger.output_tokens_per_s >= base.output_tokens_per_s * (1 - 1e-12)
    assert np.isfinite(bigger.output_tokens_per_s)


# --------------------------------------------------------------------------
# money: published cases (shared/data/reference/published_cases.md)
# --------------------------------------------------------------------------

def test_usd_per_mtok_published_cases():
    # Case 4, SemiAnalysis InferenceX: $1.30/h (H100, owned) at 1,000 tok/s -> $0.361/M
    # 1.30 / (1000 x 3600 / 1e6) = 1.30 / 3.6 = 0.36111
    assert float(usd_per_mtok(1.30, 1000)) == pytest.approx(0.361, abs=5e-4)
    # Case 4: $1.95/h (B200) at 1,000 tok/s -> $0.542/M (1.95 / 3.6 = 0.54167)
    assert float(usd_per_mtok(1.95, 1000)) == pytest.approx(0.542, abs=5e-4)
    # Case 5, llmtco.com "Self-host $/M": $1.50/h at 2,000 tok/s, 100 % utilisation -> ~$0.21/M
    # 1.50 / (2000 x 3600 / 1e6) = 1.50 / 7.2 = 0.208333
    assert float(usd_per_mtok(1.50, 2000, 1.0)) == pytest.approx(0.2083, abs=5e-5)


def test_usd_per_mtok_utilisation_and_vectors():
    # half the hours busy: twice the cost per token
    assert float(usd_per_mtok(1.50, 2000, 0.5)) == pytest.approx(2 * 1.50 / 7.2)
    got = usd_per_mtok(np.array([1.30, 1.95]), 1000)
    assert got.tolist() == pytest.approx([1.30 / 3.6, 1.95 / 3.6])
    assert math.isinf(float(usd_per_mtok(1.0, 0.0)))


# ---------------------------------------------------------------- images: the diffusion compute model

def test_dit_flops_by_hand():
    # FLUX.1-dev at 1024 x 1024: 57 blocks (19 double + 38 single) of width 3072, 4096 image + 512 text tokens.
    #   matrix products 2 x 12 x 3072**2 x 57 x 4608 = 2 x 12 x 9,437,184 x 57 x 4608 = 5.94896e13
    #   joint attention 4 x 57 x 3072 x 4608**2 = 700,416 x 21,233,664 = 1.48724e13
    #   one pass: 7.43620e13 FLOP
    assert float(tp.dit_flops_per_pass(57, 3072, 4096, 512)) == pytest.approx(5.94896e13 + 1.48724e13, rel=1e-5)
    # per image: 28 steps x 1 pass (guidance-distilled) x 74.362 + VAE 10.176 + T5 4.9 = 2,097.2 TFLOP
    flux = tp.DIFFUSION_MODELS["flux.1-dev"]
    assert float(tp.diffusion_flops_per_image(flux)) / 1e12 == pytest.approx(28 * 74.362 + 10.176 + 4.9, rel=1e-4)
    # SDXL: 50 steps x 2 passes (guidance) x 6.1 + 10.176 + 0.25 = 620.43 TFLOP; at 512 x 512 and 20 steps
    # (20 x 2 x 6.1 + 10.176) / 4 + 0.25 = 63.79 TFLOP
    sdxl = tp.DIFFUSION_MODELS["sdxl"]
    assert float(tp.diffusion_flops_per_image(sdxl)) / 1e12 == pytest.approx(620.426, rel=1e-5)
    assert float(tp.diffusion_flops_per_image(sdxl, 20, 512, 512)) / 1e12 == pytest.approx(63.794, rel=1e-4)


def test_images_per_second_from_the_roofline_by_hand():
    # SDXL on one B200: 2,250 TFLOP/s x 0.477 / 620.426 TFLOP = 1.7299 images/s
    flops = tp.diffusion_flops_per_image(tp.DIFFUSION_MODELS["sdxl"])
    assert float(tp.modelled_images_per_second(flops, 2250)) == pytest.approx(2250 * 0.477 / 620.426, rel=1e-4)
    # four GPUs on their own images make 4x; splitting one image over them pays the NVLink TP efficiency
    four = tp.modelled_images_per_second(flops, 2250, 4, split_one_image=[False, True])
    one = float(tp.modelled_images_per_second(flops, 2250))
    assert four.tolist() == pytest.approx([4 * one, 4 * one * float(tp.tp_efficiency(4, "nvlink"))])


@pytest.mark.parametrize("gpu", ["b200", "l4"])
def test_sdxl_without_a_measured_row_is_modelled_and_says_so(catalog, gpu):
    from tco.engine import evaluate
    from tco.scenario import Scenario
    s = Scenario.from_dict({"workload": {"images_per_month": 1e6},
                            "closed": {"usd_per_image": 0.04},
                            "open": {"model": "sdxl", "gpu": gpu, "precision": "fp16", "gpus_per_replica": 1}})
    a = evaluate(s, catalog).assumptions["open.images_per_second_per_replica"]
    bf16 = catalog.gpu(gpu)["bf16_dense_tflops"]         # B200 2,250, L4 121 TFLOP/s
    assert a["value"] == pytest.approx(bf16 * tp.IMAGE_EFFICIENCY["cuda"] / 620.426, rel=1e-4)
    assert a["source"].startswith("modelled, not measured")


def test_sdxl_with_a_measured_row_keeps_it(catalog):
    from tco.engine import evaluate
    from tco.scenario import Scenario
    s = Scenario.from_dict({"workload": {"images_per_month": 1e6}, "closed": {"usd_per_image": 0.04},
                            "open": {"model": "sdxl", "gpu": "a100-80gb", "precision": "fp16", "gpus_per_replica": 1}})
    a = evaluate(s, catalog).assumptions["open.images_per_second_per_replica"]
    # the fastest tuned fp16 A100 row: fal's TensorRT 9.0 run, 1 / 4.104 s = 0.2437 images/s
    assert a["value"] == pytest.approx(0.2437)
    assert a["source"].startswith("catalog: throughput_benchmarks")


def test_an_image_model_without_compute_numbers_names_the_field(catalog):
    from tco import serving
    from tco.scenario import OpenOption, ScenarioError
    with pytest.raises(ScenarioError) as e:
        serving.modelled_images("qwen-image", catalog.gpu("b200"), OpenOption(gpu="b200"), 1)
    assert e.value.field == "open.images_per_second_per_replica"


def test_the_api_server_costs_time_per_sequence_only_when_serving():
    # TINY at batch 100 (the engine cap): step 4.3 ms; 30 us per sequence of server time adds
    # 100 x 0.03 ms = 3 ms -> 7.3 ms; the offline benchmark (server_overhead_s = 0) stays at 4.3 ms
    served = replica_throughput(**{**TINY, "server_overhead_s": 3e-5})
    offline = replica_throughput(**TINY)
    assert float(served.decode_step_s) == pytest.approx(7.3e-3)
    assert float(offline.decode_step_s) == pytest.approx(4.3e-3)


def test_attention_runs_on_the_bf16_peak_whatever_the_weights():
    # An 8B-like model (32 layers, 32 heads of 128: a = 4 x 32 x 32 x 128 = 524,288 FLOP per token
    # pair) in fp8 on one GPU of 989 BF16 / 1,979 FP8 TFLOP/s at 50 % prefill MFU, a 32,000-token
    # prompt: weights 2 x 8e9 x 32,000 = 5.12e14 FLOP at the FP8 peak -> 5.12e14 / 9.895e14 =
    # 0.51743 s; attention 524,288 x 32,000**2 / 2 = 2.6844e14 FLOP at the BF16 peak ->
    # 2.6844e14 / 4.945e14 = 0.54285 s; prefill 1.06028 s (0.78871 s if attention ran in fp8).
    r = replica_throughput(8, 8, 32, 8, 128, 80, 3.35, 989, 1, "fp8", 32_000, 10, attention_heads=32,
                           fp8_dense_tflops=1979, prefill_mfu=0.5, engine="trt-llm")
    assert float(r.prefill_s) == pytest.approx(1.06028, rel=1e-4)
    # in bf16 both parts run at the BF16 peak: (5.12e14 + 2.6844e14) / 4.945e14 = 1.57825 s
    r16 = replica_throughput(8, 8, 32, 8, 128, 80, 3.35, 989, 1, "bf16", 32_000, 10, attention_heads=32,
                             fp8_dense_tflops=1979, prefill_mfu=0.5, engine="trt-llm")
    assert float(r16.prefill_s) == pytest.approx(1.57825, rel=1e-4)


def test_an_offline_run_prefills_its_waves_faster_and_hides_none_in_decode():
    # 8B dense bf16 on one GPU of 1,000 TFLOP/s at 50 % prefill MFU, 1,000-token prompts:
    # 2 x 8e9 x 1,000 / (1e15 x 0.5) = 0.032 s served; a wave at twice the MFU: 0.016 s
    # (attention left out: no attention_heads given)
    kw = dict(total_params_b=8, active_params_b=8, layers=32, kv_heads=8, head_dim=128, memory_gib=80,
              memory_bandwidth_tbps=3.35, bf16_dense_tflops=1000, precision="bf16", input_tokens=1000,
              output_tokens=100, prefill_mfu=0.5, engine="vllm", concurrency=8)
    served = replica_throughput(**kw)
    wave = replica_throughput(**kw, prefill_in_waves=True, wave_prefill_gain=2.0)
    assert float(served.prefill_s) == pytest.approx(0.032)
    assert float(wave.prefill_s) == pytest.approx(0.016)
    # no prefill rides in a decode step: TPOT = step + batch x prefill / output = step + 8 x 0.016 / 100
    assert float(wave.time_per_output_token_s) == pytest.approx(float(wave.decode_step_s) + 8 * 0.016 / 100)


def test_a_first_token_target_no_batch_meets_does_not_size_the_batch():
    # TINY: prefill 0.02 s; one sequence's step 4 + 0.003 = 4.003 ms -> TTFT at batch 1 = 24.003 ms.
    # A 20 ms TTFT target is out of reach at any batch: it is dropped from the sizing, and the
    # 6.3 ms per-token target alone gives B = 53 (as in the hand case above), flagged.
    r = replica_throughput(**TINY, max_time_per_output_token_s=6.3e-3, max_time_to_first_token_s=[0.020, 0.0245])
    assert r.ttft_reachable.tolist() == [False, True]
    assert r.latency_target_met.tolist() == [False, True]
    assert int(r.batch_size[0]) == 53
    # 24.5 ms is reachable: TTFT = 20 ms + step(B) <= 24.5 ms -> step <= 4.5 ms -> 4 + 0.003 B <= 4.5 -> B <= 166,
    # so the per-token target (B = 53) binds there too
    assert int(r.batch_size[1]) == 53
    # only the first-token target out of reach, none per token: the batch is the engine cap (100)
    r2 = replica_throughput(**TINY, max_time_to_first_token_s=0.020)
    assert int(r2.batch_size) == 100 and not bool(r2.ttft_reachable) and not bool(r2.latency_target_met)


def test_moe_shares_split_bandwidth_from_decode_compute():
    """A mixture-of-experts model's expert weights take the MoE bandwidth share, its expert matrix
    products the MoE compute share (decode) and prefill share; its attention and KV cache run at the
    dense rates; a dense model takes none of the shares.  By hand on vLLM / CUDA with shares 0.8
    (bandwidth), 0.5 (compute), 0.4 (prefill): the rates are DEFAULT_MBU x vllm, DEFAULT_MFU x vllm and
    DEFAULT_PREFILL_MFU x vllm for both, the shares 0.8 / 0.5 / 0.4 for the MoE and 1 for the dense."""
    import tco.throughput as t
    shares = dict(moe_efficiency=0.8, moe_compute_efficiency=0.5, moe_prefill_efficiency=0.4)
    vllm = t.ENGINE_EFFICIENCY["vllm"]
    moe = t.stack_efficiency("vllm", "cuda", "fp8", 8, 2, **shares)
    dense = t.stack_efficiency("vllm", "cuda", "fp8", None, None, **shares)
    for e in (moe, dense):
        assert float(e["mbu"]) == pytest.approx(t.DEFAULT_MBU * vllm)
        assert float(e["mfu"]) == pytest.approx(t.DEFAULT_MFU * vllm)
        assert float(e["prefill_mfu"]) == pytest.approx(t.DEFAULT_PREFILL_MFU * vllm)
    assert [float(moe[k]) for k in ("moe_weights", "moe_compute", "moe_prefill")] == [0.8, 0.5, 0.4]
    assert [float(dense[k]) for k in ("moe_weights", "moe_compute", "moe_prefill")] == [1.0, 1.0, 1.0]
    # the shipped defaults: each share its own fitted constant
    shipped = t.stack_efficiency("trt-llm", "cuda", "fp8", 8, 2)
    assert float(shipped["moe_compute"]) == pytest.approx(t.DEFAULT_MOE_COMPUTE_EFFICIENCY)
    assert float(shipped["moe_weights"]) == pytest.approx(t.DEFAULT_MOE_EFFICIENCY)


def test_the_moe_bandwidth_share_slows_the_expert_weights_not_the_kv_cache():
    """Decode step of an 8-expert, top-2 MoE (46.7B total, 12.9B active, Mixtral's shape) in fp8 on one
    80 GiB GPU of 3.35 TB/s at batch 64, no fixed costs, compute out of the way (MFU 1e6): the step is
    routed experts / (bandwidth x mbu x share) + shared weights and KV / (bandwidth x mbu).  Each expert
    holds (46.7 - 12.9) / 6 = 5.633B, the 8 routed ones 45.067B, the shared part 12.9 - 2 x 5.633 = 1.633B.
    Halving the share adds exactly one more routed-experts time; the shared weights and the KV part are the
    same at either share."""
    kw = dict(total_params_b=46.7, active_params_b=12.9, layers=32, kv_heads=8, head_dim=128, memory_gib=80,
              memory_bandwidth_tbps=3.35, bf16_dense_tflops=989, fp8_dense_tflops=1979, precision="fp8",
              input_tokens=1000, output_tokens=200, experts=8, experts_per_token=2, engine="trt-llm",
              concurrency=64, mfu=1e6, mbu=0.8, step_overhead_s=0.0, sequence_overhead_s=0.0,
              server_overhead_s=0.0, allreduce_latency_s=0.0, moe_routing_independence=1.0)
    full = tp.replica_throughput(**kw, moe_efficiency=1.0).decode_step_s
    half = tp.replica_throughput(**kw, moe_efficiency=0.5).decode_step_s
    # 64 independent top-2 draws over 8 experts leave one untouched with (6/8)**64 ~ 1e-8: every expert
    # is read, 45.067e9 bytes of routed experts in fp8 at 3.35e12 x 0.8 B/s: 16.82 ms more at half the share
    routed_s = 8 * (46.7 - 12.9) / 6 * 1e9 / (3.35e12 * 0.8)
    assert float(half - full) == pytest.approx(routed_s, rel=1e-6)
    # at the full share all 46.7e9 bytes stream at the dense rate: 17.43 ms
    weights_s = 46.7e9 / (3.35e12 * 0.8)
    # KV: 64 sequences x (1000 + 200 / 2) tokens x 32 layers x 2 x 8 x 128 values x 1 byte = 4.61e9 bytes
    kv_s = 64 * 1100 * 32 * 2 * 8 * 128 / (3.35e12 * 0.8)
    assert float(full) == pytest.approx(weights_s + kv_s, rel=1e-3)


def test_data_parallel_attention_holds_and_reads_the_attention_weights_on_every_gpu():
    """DeepSeek-R1 in fp8 on 8 H200 (4.8 TB/s each), one sequence, no fixed costs, compute and tensor-parallel
    losses out of the way: under data-parallel attention each of the 8 GPUs holds the whole attention,
    11.413B parameters (tp.attention_params_b, by hand in its docstring), so the replica holds 7 x 11.413e9 =
    79.89e9 bytes more and a decode step reads them too: 79.89e9 / (8 x 4.8e12 x 0.8) = 2.601 ms more."""
    kw = dict(total_params_b=671, active_params_b=37, layers=61, kv_heads=None, head_dim=None, memory_gib=141,
              memory_bandwidth_tbps=4.8, bf16_dense_tflops=989, fp8_dense_tflops=1979, gpus_per_replica=8,
              precision="fp8", input_tokens=1000, output_tokens=200, attention_heads=128, hidden_size=7168,
              kv_values_per_token_layer=576, experts=256, experts_per_token=8, engine="trt-llm", concurrency=1,
              mfu=1e6, mbu=0.8, tp_overhead={"nvlink": 0.0}, step_overhead_s=0.0, sequence_overhead_s=0.0,
              server_overhead_s=0.0, allreduce_latency_s=0.0)
    tp_run = tp.replica_throughput(**kw, attention_parallel="tp")
    dp_run = tp.replica_throughput(**kw, attention_parallel="dp")
    extra_bytes = 7 * 11.413422080e9
    assert float(dp_run.weight_bytes - tp_run.weight_bytes) == pytest.approx(extra_bytes, rel=1e-9)
    # the latent cache is held whole on every GPU under tp (8 x 61 x 576 bytes a token), once under dp
    assert float(tp_run.kv_bytes_per_token) == 8 * 61 * 576 and float(dp_run.kv_bytes_per_token) == 61 * 576
    kv_s = (1000 + 100) * 61 * 576 * (1 - 8) / (8 * 4.8e12 * 0.8)     # the tp run reads 8 copies of one sequence's cache
    assert float(dp_run.decode_step_s - tp_run.decode_step_s) == pytest.approx(extra_bytes / (8 * 4.8e12 * 0.8) + kv_s,
                                                                               rel=1e-6)
    # a dense model on one GPU has nothing to replicate
    one = dict(kw, gpus_per_replica=1, total_params_b=8.03, active_params_b=8.03, layers=32, kv_heads=8, head_dim=128,
               attention_heads=32, hidden_size=4096, kv_values_per_token_layer=None, experts=None, experts_per_token=None)
    assert float(tp.replica_throughput(**one, attention_parallel="dp").decode_step_s) == pytest.approx(
        float(tp.replica_throughput(**one, attention_parallel="tp").decode_step_s), rel=1e-12)


def test_an_mxfp4_mixture_of_experts_keeps_its_shared_weights_in_bf16():
    # gpt-oss-120b (116.8B, 5.1B active, 128 experts, 4 a token): OpenAI quantised the MoE weights to MXFP4 and
    # kept the rest in BF16.  Experts of (116.8 - 5.1) / 124 = 0.900806B, 128 of them 115.303226B at 4.25 bits =
    # 61.254839 GB; the 1.496774B shared weights in BF16, 2.993548 GB: 64.248387 GB held (all of it in MXFP4 would
    # be 116.8 x 0.53125 = 62.05 GB).
    gpt_oss = dict(total_params_b=116.8, active_params_b=5.1, layers=36, kv_heads=8, head_dim=64, experts=128,
                   experts_per_token=4)
    r = replica_throughput(**gpt_oss, **H100, precision="mxfp4")
    assert float(r.weight_bytes) / 1e9 == pytest.approx(64.248387, rel=1e-6)
    # one sequence reads the shared weights in BF16 and its 4 experts in MXFP4: 2.993548e9 + 4 x 0.900806e9 x
    # 0.53125 = 4.907762e9 bytes
    assert float(moe_weight_bytes_read(116.8, 5.1, "mxfp4", 1, 128, 4)) / 1e9 == pytest.approx(4.907762, rel=1e-6)
    # NVFP4 checkpoints are taken as quantised throughout
    assert float(replica_throughput(**gpt_oss, **H100, precision="nvfp4").weight_bytes) == pytest.approx(
        116.8e9 * 0.5625, rel=1e-12)
