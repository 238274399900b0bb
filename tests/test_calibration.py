"""The throughput model against the measured rows: the shipped efficiencies are the fit, and an
honest leave-one-source-out score (issue 12)."""
from __future__ import annotations

import math
import re

import pytest
from click.testing import CliRunner

from tco import calibration as cal
from tco import throughput as tp
from tco.cli import main


@pytest.fixture(scope="module")
def frame(catalog):
    return cal.catalog_measurements(catalog)


@pytest.fixture(scope="module")
def tuned(frame):
    return cal.fitted_rows(frame)


def test_the_measured_set_goes_beyond_one_vendor(frame, tuned):
    # More than NVIDIA's own tables: at least five publishers, three engines, both platforms.
    assert tuned["source"].nunique() >= 5
    assert set(tuned["engine"]) >= {"vllm", "sglang", "trt-llm"}
    assert set(tuned["platform"]) == {"cuda", "rocm"}
    # The sources an independent check uses are kept out of the table.
    ids = " ".join(frame["source_id"].astype(str)) + " ".join(frame["source_url"].astype(str))
    for kept_out in ("mlperf", "mlcommons", "nim", "oracle.com", "speed_benchmark"):
        assert kept_out not in ids.lower(), kept_out


def test_every_measured_row_names_its_source_and_kind(catalog):
    b = catalog.history["throughput_benchmarks"]
    assert b["source_id"].notna().all() and b["source_url"].str.startswith("http").all()
    text = b[b["output_tokens_per_second"].notna()]
    assert text["measurement"].isin(["offline_max", "fixed_concurrency", "latency_bound", "request_rate",
                                      "decode_rate"]).all()
    fixed = text[text["measurement"].isin(["fixed_concurrency", "decode_rate"])]
    assert fixed["concurrency"].notna().all()


def test_source_family_groups_one_publisher():
    assert cal.source_family("gpustack-perflab-qwen3-32b-a100") == cal.source_family("gpustack-perflab-x") == "gpustack"
    assert cal.source_family("vllm-blog-2025-10-blackwell-inferencemax") == "inferencex"


def test_every_row_weighs_the_same_in_the_loss(tuned):
    # Three rows, two from one source off by 1.25x (one LOSS_CAP: each adds log(1 + 1) = log 2) and one
    # from another source that fits (adds 0): the loss is the mean over rows, 2 log 2 / 3 = 0.4621,
    # not the mean over sources, (log 2 + 0) / 2 = 0.3466.  The shares with a prior sit at its centre
    # (no penalty).
    params = {**cal.current_parameters(), **{k: cal.PRIOR[k] for k in cal.PRIOR_WIDTH}}
    rows = tuned.iloc[:3].copy()
    modelled = cal.modelled(rows, params)
    rows["output_tokens_per_second"] = modelled * [1.25, 1.25, 1.0]
    rows["source"] = ["a", "a", "b"]
    assert cal.loss(rows, params) == pytest.approx(2 * math.log(2) / 3, rel=1e-9)
    # one share a width (0.3 in log) off its prior centre adds 1 to the summed loss: 1 / 3 more
    off = {**params, "mfu": cal.PRIOR["mfu"] * math.exp(0.3)}
    rows["output_tokens_per_second"] = cal.modelled(rows, off) * [1.25, 1.25, 1.0]
    assert cal.loss(rows, off) == pytest.approx((2 * math.log(2) + 1.0) / 3, rel=1e-9)


def test_the_prior_holds_the_large_batch_shares_without_tensorrt_llm(tuned):
    """Fit on every source but TensorRT-LLM's tables (the only large-batch offline runs): without the
    weak prior FP4's share runs to its upper bound (1.5), the MoE compute share down to 0.22 and the
    decode MFU up to 0.65 (measured 2026-12-03); with it they stay inside, near their neutral values."""
    p = cal.fit(tuned[tuned["source"] != "trtllm"], iterations=25)
    bounds = {n: (lo, hi) for n, lo, hi, _ in cal.PARAMETERS}
    for name in cal.PRIOR_WIDTH:
        lo, hi = bounds[name]
        assert lo * 1.05 < p[name] < hi / 1.05, (name, p[name])
    assert p["mfu"] < 0.7 and p["fp4_efficiency"] < 1.3 and p["moe_compute_efficiency"] > 0.3


def test_score_by_hand():
    # ratios 1.0, 1.1, 2.0, 0.7: within 25 % ([0.8, 1.25]) are 1.0 and 1.1; within 35 % ([0.741, 1.35])
    # still those two; the median of (0.7, 1.0, 1.1, 2.0) is (1.0 + 1.1) / 2 = 1.05
    s = cal.score([100, 110, 200, 70], [100, 100, 100, 100])
    assert s["rows"] == 4 and s["median_ratio"] == pytest.approx(1.05)
    assert s["within_25"] == 0.5 and s["within_35"] == 0.5


def test_the_shipped_efficiencies_are_the_fit(tuned):
    """A fresh fit from the neutral prior does not beat the shipped defaults by more than 1 %."""
    fitted = cal.fit(tuned)
    shipped = cal.loss(tuned, cal.current_parameters())
    assert shipped <= cal.loss(tuned, fitted) * 1.01
    for name, lo, hi, _ in cal.PARAMETERS:
        assert lo <= cal.current_parameters()[name] <= hi, name


def test_in_sample_fit(tuned):
    """On the rows it was fit on the model is centred (median within 10 % of 1)."""
    s = cal.score(tuned["output_tokens_per_second"], cal.modelled(tuned))
    print(s)
    assert 0.90 <= s["median_ratio"] <= 1.10
    assert s["within_25"] >= 0.60 and s["within_35"] >= 0.70


def test_untuned_rows_are_slower_than_the_model(frame):
    """Untuned defaults and early builds reach less than a tuned stack: the model (fit on tuned
    rows) is optimistic for them, which is why they stay out of the fit."""
    untuned = frame[~frame["tuned"].astype(bool)]
    assert len(untuned) > 0
    s = cal.score(untuned["output_tokens_per_second"], cal.modelled(untuned))
    assert s["median_ratio"] < 1.0


def test_the_fit_recovers_known_efficiencies(tuned):
    """On rows made by the model itself with a known bandwidth utilisation and vLLM share, the fit
    finds them again (the optimiser works; not a statement about real data)."""
    truth = {**cal.current_parameters(), "mbu": 0.6, "engine_vllm": 0.5}
    fake = tuned.copy()
    # pin the latency-bound rows' concurrency first: it is derived from the measured rate
    fake["concurrency"] = fake["concurrency"].where(fake["concurrency"].notna(), cal.littles_law_concurrency(fake))
    fake["output_tokens_per_second"] = cal.modelled(fake, truth)
    got = cal.fit(fake)
    assert got["mbu"] * 1.0 == pytest.approx(0.6, rel=0.05)
    assert got["mbu"] * got["engine_vllm"] == pytest.approx(0.6 * 0.5, rel=0.05)


@pytest.mark.slow
def test_leave_one_source_out_table(tuned):
    pred = cal.out_of_source_predictions(tuned)
    table = cal.out_of_source_scores(pred, "source")
    print(table.to_string())
    assert list(table["source"])[-1] == "all"
    assert set(table["source"][:-1]) == set(tuned["source"])
    assert table["rows"].iloc[-1] == len(tuned)
    # the same predictions by GPU vendor and engine: every row in one group, the pooled row unchanged
    for by in ("gpu_vendor", "engine"):
        other = cal.out_of_source_scores(pred, by)
        assert set(other[by][:-1]) == set(tuned[by].astype(str)) and other["rows"].iloc[:-1].sum() == len(tuned)
        assert other.iloc[-1].drop(by).to_dict() == table.iloc[-1].drop("source").to_dict()
    assert {"amd", "nvidia"} <= set(tuned["gpu_vendor"])


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 12, open: out of source the model is still off (pooled median "
                                       "~0.98, ~55 % within 25 %, ~70 % within 35 %; in-sample ~0.99 / 70 %): the "
                                       "publishers disagree on like configurations by more than the engine and "
                                       "platform shares explain (GPUStack's prompt-heavy runs ~0.87x, llm-d's ROCm "
                                       "runs ~0.78x, SGLang's cookbook ~0.88x, InferenceX's ~1.15x), and "
                                       "only TensorRT-LLM's offline tables show mixture-of-experts models at "
                                       "batches of thousands (its fold: ~250 rows, ~59 % within 25 %, 78 % in sample)")
def test_leave_one_source_out_meets_the_issue_bar(tuned):
    pooled = cal.leave_one_source_out(tuned).iloc[-1]
    assert cal.OUT_OF_SOURCE_BAR == {"median_ratio": (0.85, 1.15), "within_25": 0.60}     # the issue's bar
    assert 0.85 <= pooled["median_ratio"] <= 1.15
    assert pooled["within_25"] >= 0.60


def test_calibrate_command_prints_the_fit_and_the_table():
    res = CliRunner().invoke(main, ["calibrate"])
    assert res.exit_code == 0, res.output
    assert "engine_vllm" in res.output and "leave one source out" in res.output
    assert "by GPU vendor and by engine" in res.output and "\n       amd " in res.output
    # the pooled score against the issue's bar, and a verdict that agrees with the numbers it prints
    line = next(x for x in res.output.splitlines() if x.startswith("bar: pooled median 0.85-1.15 and at least 60%"))
    median, within = re.search(r": ([0-9.]+) and ([0-9.]+)%, (?:NOT )?met$", line).groups()
    met = cal.meets_out_of_source_bar({"median_ratio": float(median), "within_25": float(within) / 100})
    assert line.endswith(", met") == met and line.endswith("NOT met") == (not met)
    assert "\n       all " in res.output or " all " in res.output
    # each source's in-sample score beside its out-of-source one; the pooled in-sample share is the
    # one printed above for the tuned rows at the shipped defaults
    header = next(x for x in res.output.splitlines() if x.lstrip().startswith("source ") and "in_sample_within_25" in x)
    assert header.split()[-2:] == ["in_sample_median", "in_sample_within_25"]
    tuned_line = next(x for x in res.output.splitlines() if x.startswith("tuned rows, shipped defaults"))
    share = int(re.search(r"within 25 %: (\d+)%", tuned_line).group(1))
    table = res.output.split(header, 1)[1].splitlines()
    pooled = next(x for x in table if x.split()[:1] == ["all"]).split()
    assert round(float(pooled[-1]) * 100) == share


def test_engine_and_platform_shares_order_the_stacks():
    # the reference stack is TensorRT-LLM on CUDA; vLLM reaches less of it.  SGLang fits at about
    # the reference (it runs its prefill batches apart, :func:`tco.throughput.engine_mixes_prefill`,
    # and its decode kernels match TensorRT-LLM's); its share stays inside the fit's bounds.
    assert tp.ENGINE_EFFICIENCY["trt-llm"] == 1.0
    assert 0 < tp.ENGINE_EFFICIENCY["vllm"] < 1.0
    bounds = {n: (lo, hi) for n, lo, hi, _ in cal.PARAMETERS}
    assert bounds["engine_sglang"][0] <= tp.ENGINE_EFFICIENCY["sglang"] <= bounds["engine_sglang"][1]
    assert 0 < tp.PLATFORM_EFFICIENCY["rocm"] < 1.0
    e = tp.stack_efficiency("vllm", "rocm")
    assert float(e["mbu"]) == pytest.approx(tp.DEFAULT_MBU * tp.ENGINE_EFFICIENCY["vllm"]
                                            * tp.PLATFORM_EFFICIENCY["rocm"])


def test_a_latency_target_and_concurrency_bound_the_batch(catalog):
    # Llama 3.1 70B fp8 on 2 H100, vLLM: 40 ms per output token allows fewer sequences than none,
    # and 8 clients cap the batch at 8.
    m, g = catalog.open_model("llama-3.1-70b"), catalog.gpu("h100-sxm")
    kw = dict(total_params_b=m["total_params_b"], active_params_b=m["active_params_b"], layers=m["layers"],
              kv_heads=m["kv_heads"], head_dim=m["head_dim"], attention_heads=m["attention_heads"],
              memory_gib=g["memory_gib"], memory_bandwidth_tbps=g["memory_bandwidth_tbps"],
              bf16_dense_tflops=g["bf16_dense_tflops"], fp8_dense_tflops=g["fp8_dense_tflops"],
              gpus_per_replica=2, precision="fp8", input_tokens=1000, output_tokens=250)
    free = tp.replica_throughput(**kw)
    chat = tp.replica_throughput(**kw, max_time_per_output_token_s=0.040, max_time_to_first_token_s=0.45)
    eight = tp.replica_throughput(**kw, concurrency=8)
    assert int(chat.batch_size) < int(free.batch_size)
    assert float(chat.time_per_output_token_s) <= 0.040 and float(chat.time_to_first_token_s) <= 0.45
    assert int(eight.batch_size) == 8 and str(eight.batch_limit) == "concurrency"
    assert float(eight.output_tokens_per_s) < float(free.output_tokens_per_s)


def test_prefix_cache_skips_prefill():
    base = dict(total_params_b=8.03, active_params_b=8.03, layers=32, kv_heads=8, head_dim=128, memory_gib=80,
                memory_bandwidth_tbps=3.35, bf16_dense_tflops=989, input_tokens=4000, output_tokens=100)
    cold = tp.replica_throughput(**base)
    warm = tp.replica_throughput(**base, cached_input_share=0.75)
    # 75 % of the prompt cached: a quarter of the weight FLOPs (attention is smaller still)
    assert float(warm.prefill_s) < 0.3 * float(cold.prefill_s)
    assert float(warm.output_tokens_per_s) > float(cold.output_tokens_per_s)


def test_sliding_windows_shrink_the_cache_at_long_context():
    # gpt-oss-120b: 18 of 36 layers keep only 128 tokens; at 32,000 tokens the cache per sequence is
    # (18 x 32,000 + 18 x 128) / (36 x 32,000) = 50.2 % of a full-attention one
    share = float(tp.windowed_share(32_000, 36, 18, 128))
    assert share == pytest.approx((18 * 32_000 + 18 * 128) / (36 * 32_000))
    arch = dict(total_params_b=116.8, active_params_b=5.1, layers=36, kv_heads=8, head_dim=64, memory_gib=80,
                memory_bandwidth_tbps=3.35, bf16_dense_tflops=989, precision="mxfp4", input_tokens=30_000,
                output_tokens=2000, experts=128, experts_per_token=4)
    full = tp.replica_throughput(**arch)
    windowed = tp.replica_throughput(**arch, sliding_window_layers=18, sliding_window_tokens=128)
    assert int(windowed.batch_size) > 1.9 * int(full.batch_size)


def test_mxfp4_weights_carry_their_scales():
    # gpt-oss-120b in MXFP4: 116.8e9 x 4.25 / 8 = 62.05e9 bytes
    assert float(tp.weight_bytes(116.8, "mxfp4")) == pytest.approx(116.8e9 * 4.25 / 8)


# ---------------------------------------------------------------- images

@pytest.fixture(scope="module")
def images(catalog):
    return cal.catalog_image_measurements(catalog)


def test_the_image_rows_name_steps_size_and_their_kind(images):
    # every measured diffusion row says how many steps at what size, so its FLOPs can be counted
    assert images[["image_steps", "image_width", "image_height"]].notna().all().all()
    fit = cal.image_fit_rows(images)
    assert set(fit["gpu_id"]) >= {"a100-80gb", "h100-sxm"} and set(fit["model_id"]) >= {"sdxl", "flux.1-dev"}
    assert not fit["source_id"].str.contains("mlperf").any()      # MLPerf: independent check only


def test_the_shipped_image_efficiency_is_the_fit(images):
    assert tp.IMAGE_EFFICIENCY["cuda"] == pytest.approx(cal.fit_image_efficiency(images), rel=0.01)
    assert 0.2 < tp.IMAGE_EFFICIENCY["cuda"] < 0.8        # a share of the BF16 peak, not a fudge factor


def test_images_leave_one_gpu_out_and_the_independent_check(images):
    """Fit on every GPU but one, score the one left out (median within 25 %); MLPerf Inference's SDXL
    rows, never fitted, land within 25 % at the median too."""
    table = cal.leave_one_gpu_out_images(images).set_index("gpu")
    print(table.to_string())
    assert 0.80 <= table.loc["all", "median_ratio"] <= 1.25
    for gpu in ("a100-80gb", "h100-sxm"):
        assert 0.75 <= table.loc[gpu, "median_ratio"] <= 1.35, gpu
    assert table.loc["independent", "rows"] >= 8
    assert 0.80 <= table.loc["independent", "median_ratio"] <= 1.25


def test_untuned_image_runs_are_slower_than_the_model(images):
    untuned = images[~images["tuned"].astype(bool)]
    assert len(untuned) >= 4
    assert cal.score(untuned["images_per_second"], cal.modelled_images(untuned))["median_ratio"] < 1.0


def test_calibrate_folds_prints_each_folds_parameters(tuned):
    # one line per fitted parameter: its value on all sources, then without each source, every value within
    # the parameter's bounds
    res = CliRunner().invoke(main, ["calibrate", "--folds"])
    assert res.exit_code == 0, res.output
    block = res.output.split("fitted parameters without each source", 1)[1].splitlines()[1:]
    header = block[0].split()
    assert header[:2] == ["all", "without"] and header.count("without") == tuned["source"].nunique()
    bounds = {n: (lo, hi) for n, lo, hi, _ in cal.PARAMETERS}
    lines = {ln.split()[0]: [float(v) for v in ln.split()[1:]] for ln in block[2:2 + len(bounds)]}
    assert set(lines) == set(bounds)
    for name, values in lines.items():
        lo, hi = bounds[name]
        assert len(values) == 1 + tuned["source"].nunique()
        assert all(lo * (1 - 1e-3) <= v <= hi * (1 + 1e-3) + 1e-12 for v in values), (name, values)


def test_calibrate_rows_lists_every_fitted_row(tuned):
    # a row without a stated concurrency (an offline run) prints "c=-"; every fitted row gets a line
    res = CliRunner().invoke(main, ["calibrate", "--no-loso", "--rows"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if " c=" in ln]
    assert len(lines) == len(tuned)
    assert any(" c=-  " in ln for ln in lines)


def test_no_fitted_row_beats_the_roofline(tuned):
    """A row faster than its GPUs at 100 % of their bandwidth and FLOPs, with no overheads, cannot be what its
    source ran (wrong lengths, GPU count or metric): it must not steer the fit."""
    ideal = {name: (1.0 if name not in ("tp_nvlink", "tp_infinity_fabric") and not name.endswith("_s") else 0.0)
             for name, *_ in cal.PARAMETERS}
    ideal["fp4_efficiency"] = 1.0
    bound = cal.modelled(tuned, ideal)
    ratio = tuned["output_tokens_per_second"].to_numpy(float) / bound
    worst = tuned.assign(ratio=ratio).sort_values("ratio").iloc[-1]
    assert ratio.max() <= 1.0, worst[["source_id", "model_id", "gpu_id", "input_tokens", "output_tokens", "ratio"]]


def test_offline_runs_prefill_in_waves_and_decode_rates_leave_prefill_out(tuned):
    # an offline_max run submits every request at once: its batch is prefilled together, so no prefill
    # chunk hides in a decode step; a fixed-concurrency run of the same engine keeps them mixed
    trt = tuned[tuned["engine"] == "trt-llm"]
    rows = cal._rows(trt)
    offline = (trt["measurement"] == "offline_max").to_numpy()
    assert offline.any() and (~offline).any()
    assert not rows.prefill_overlap[offline].any() and rows.prefill_overlap[~offline].all()
    # a decode rate (1 / inter-token latency) at a 32k prompt leaves its 32k-token prefill out: the same
    # row read as an end-to-end rate (prefill interleaved) is modelled slower
    dec = tuned[(tuned["measurement"] == "decode_rate") & (tuned["input_tokens"] > 30_000)]
    assert len(dec) >= 1
    as_e2e = dec.assign(measurement="fixed_concurrency")
    assert (cal.modelled(dec) > 1.5 * cal.modelled(as_e2e)).all()


def test_a_finite_offline_run_holds_at_most_its_prompts_and_ends_on_a_partial_wave(tuned):
    """An offline run of N prompts (vllm bench serve --num-prompts N, request rate inf) never has more
    than N in flight, and when N outnumbers the batch B its last wave holds N mod B."""
    row = tuned[(tuned["measurement"] == "offline_max") & (tuned["engine"] == "trt-llm")
                & (tuned["num_prompts"].isna())].iloc[[0]]
    steady = cal._replica(cal._rows(row), cal.current_parameters())
    b = int(steady.batch_size[0])
    assert b > 10
    # fewer prompts than the batch: one wave of N, the rate of N clients
    few = row.assign(num_prompts=b // 2)
    at_half = cal._replica(cal._rows(row.assign(measurement="offline_max", concurrency=b // 2)),
                           cal.current_parameters())
    assert cal.modelled(few)[0] == pytest.approx(at_half.output_tokens_per_s[0], rel=1e-9)
    # 2.5 batches of prompts: two full waves and a half one.  A wave of b lasts out x tpot(b), so the
    # run takes out x (2 tpot(B) + tpot(B/2)) for 2.5 B x out tokens
    n = 2 * b + b // 2
    out = float(row["output_tokens"].iloc[0])
    expected = n * out / (out * (2 * steady.time_per_output_token_s[0] + at_half.time_per_output_token_s[0]))
    assert cal.modelled(row.assign(num_prompts=n))[0] == pytest.approx(expected, rel=1e-9)
    # whole waves: the steady rate
    assert cal.modelled(row.assign(num_prompts=3 * b))[0] == pytest.approx(steady.output_tokens_per_s[0], rel=1e-9)
    # a half wave costs less than a full one, so the finite run is faster than ceil(N/B) full waves
    assert expected > n * out / (3 * out * steady.time_per_output_token_s[0])


def test_the_gpustack_runs_state_their_prompts(frame):
    # every GPUStack performance-lab run was read with the 'Successful requests' of its output block
    g = frame[frame["source"] == "gpustack"]
    assert g["num_prompts"].notna().all()
    assert set(g["num_prompts"].astype(int)) <= {100, 500, 984, 1000}


def test_every_fitted_fixed_concurrency_row_obeys_littles_law(tuned):
    """At C clients a server's output rate is C x output / (TTFT + output x TPOT) (Little's law, the
    request time from the row's own medians).  A row more than 1.6x off that (a printed rate, length or
    concurrency that cannot all be what ran) is inconsistent and must not steer the fit."""
    rows = tuned[(tuned["measurement"] == "fixed_concurrency") & tuned["median_tpot_ms"].notna()]
    assert len(rows) > 100
    ttft_s = rows["median_ttft_ms"].astype(float).fillna(0.0) / 1000
    out = rows["output_tokens"].astype(float)
    little = rows["concurrency"].astype(float) * out / (ttft_s + out * rows["median_tpot_ms"].astype(float) / 1000)
    ratio = rows["output_tokens_per_second"].astype(float) / little
    bad = rows.assign(ratio=ratio)[(ratio < 1 / 1.6) | (ratio > 1.6)]
    assert bad.empty, bad[["source_id", "model_id", "gpu_id", "concurrency", "ratio"]]


def test_rows_that_state_data_parallel_attention_carry_it(frame):
    # TensorRT-LLM's DEP columns (attention data parallel + expert parallel), SGLang's
    # --enable-dp-attention and InferenceX's dp-attention flag are facts of the run: the rows say dp
    # (or tp), and only GQA heads fewer than the GPUs or latent caches change with it
    notes = frame["notes"].astype(str)
    stated_dp = notes.str.contains(r"\(DEP\d|enable-dp-attention|dp-attention=True|enable_attention_dp")
    stated_tp = notes.str.contains("dp-attention=False")
    own_gpu = ~frame["source_id"].astype(str).str.startswith("dstack") | (frame["gpu_id"] == "h200")
    assert (frame.loc[stated_dp & own_gpu, "attention_parallel"] == "dp").all()
    assert (frame.loc[stated_tp, "attention_parallel"] == "tp").all()
    assert stated_dp.sum() >= 30 and stated_tp.sum() >= 50
