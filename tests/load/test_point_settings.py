"""A measured run's own settings, where its source states them, override the setup's: the prediction is
set up the way that run ran."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

from explorer import calibrate as cal
from explorer.load.loader import load_workloads
from explorer.model import value as v


def test_an_mxfp4_run_reads_its_own_bytes_per_weight(measured) -> None:
    """MI355X's FP4 runs are MXFP4 (a scale per 32 values: 0.53125 bytes per weight), not the setup's
    NVFP4 (0.5625): their weights read 1/18 less, and a run without the field keeps the setup's."""
    workloads = load_workloads()
    e = v.Efficiency(Fraction(1, 2), Fraction(1, 2), Fraction(9, 10), Fraction(3, 4), Fraction(1))
    mx = next(
        p
        for p in measured.point
        if p.chip == "mi355x" and p.precision.value == "fp4" and p.model == "llama-2-70b"
    )
    assert mx.bytes_per_weight == Fraction(17, 32)
    plain = dataclasses.replace(mx, bytes_per_weight=None)
    own = v.demand(cal.objective_for(mx, workloads, measured.setup, e))
    setup_s = v.demand(cal.objective_for(plain, workloads, measured.setup, e))
    assert setup_s.weight_bytes / own.weight_bytes == measured.setup.bytes_per_weight["fp4"] / Fraction(
        17, 32
    )


def test_a_run_with_its_mean_tpot_read_is_predicted_at_that_step_time(measured, data) -> None:
    """A latency-limited run whose log gives its mean time per output token is set up at that step time;
    one without it at setup.mean_latency_share of its p99 limit. Its TTFT target stays the share of the
    limit either way (a measured mean TTFT says where the run sat, not what bound it)."""
    workloads = load_workloads()
    e = v.Efficiency(Fraction(1, 2), Fraction(1, 2), Fraction(9, 10), Fraction(3, 4), Fraction(1))
    read = [p for p in measured.point if p.mean_tpot_ms is not None]
    assert len(read) >= 30 and all(p.tpot_ms is not None and p.mean_tpot_ms <= p.tpot_ms for p in read)
    h200 = next(p for p in read if p.chip == "h200-sxm" and p.scenario == "interactive")
    assert h200.mean_tpot_ms == Fraction("34.827")  # Cisco's v5.1 Llama-2-70B log: 34,827,044 ns
    share = measured.setup.mean_latency_share
    own = cal.objective_for(h200, workloads, measured.setup, e)
    assumed = cal.objective_for(dataclasses.replace(h200, mean_tpot_ms=None), workloads, measured.setup, e)
    assert own.tpot_s == Fraction("0.034827") and assumed.tpot_s == h200.tpot_ms * share / 1000
    assert own.ttft_s == assumed.ttft_s == h200.ttft_ms * share / 1000
    res = v.resources(data.catalog.metrics(data.catalog.find_sku(h200.chip)), own)
    assert v.tokens_per_s(res, own) > v.tokens_per_s(res, assumed)  # a longer step holds more sequences


def test_a_pipelined_tensorrt_llm_run_holds_a_batch_per_stage(measured, data) -> None:
    """TensorRT-LLM keeps a micro-batch per pipeline stage in flight, each up to the run's batch and token
    budget: B200's MLPerf 405B offline run (TP2 x PP2, batch 128, budget 1,536) holds twice both, and its
    prediction rises (the budget binds at its 9,400-token prompts); limits that bound the whole group
    (vLLM's) are kept as read."""
    workloads = load_workloads()
    e = v.Efficiency(Fraction(1, 2), Fraction(1, 2), Fraction(9, 10), Fraction(3, 4), Fraction(1))
    pipelined = [p for p in measured.point if p.pipeline_parallel == 2]
    b200 = next(p for p in pipelined if p.chip == "b200" and p.model == "llama-3-405b")
    assert (b200.engine, b200.max_batch, b200.max_tokens_per_step) == ("tensorrt-llm", 128, 1536)
    assert measured.setup.engines["tensorrt-llm"].limits_per_stage
    assert not measured.setup.engines["vllm"].limits_per_stage
    staged = cal.objective_for(b200, workloads, measured.setup, e)
    engines = dict(measured.setup.engines)
    engines["tensorrt-llm"] = dataclasses.replace(engines["tensorrt-llm"], limits_per_stage=False)
    whole = cal.objective_for(b200, workloads, dataclasses.replace(measured.setup, engines=engines), e)
    assert (staged.workload.requests.max_batch, staged.workload.requests.max_tokens_per_step) == (256, 3072)
    assert (whole.workload.requests.max_batch, whole.workload.requests.max_tokens_per_step) == (128, 1536)
    res = v.resources(data.catalog.metrics(data.catalog.find_sku(b200.chip)), staged)
    assert v.tokens_per_s(res, staged) > v.tokens_per_s(res, whole)


# trtllm-bench's inputs, as specs/calibration/measured.toml's note on the perf-overview source lists them
NVML_MIB = {"h100-sxm": 81559, "h200-sxm": 143771, "b200": 183359, "gb200": 189471, "rtx-pro-6000": 97887}
PARAMETERS = {"llama-3-70b": 70_553_706_496, "llama-3-8b": 8_030_261_248, "llama-3-405b": 405_853_388_800}
LAYERS = {"llama-3-70b": 80, "llama-3-8b": 32, "llama-3-405b": 126}


def _up(x: float, steps: tuple[tuple[float, int], ...], least: int) -> int:
    """Round up to the step of the first bound x is under (the last bound is infinite)."""
    step = next(s for bound, s in steps if x < bound)
    return max(least, step * math.ceil(x / step))


def _trtllm_bench_settings(p) -> tuple[int, int]:
    """calc_engine_setting and finetune_setting (tensorrt_llm/bench/build/tuning.py), then the budget raised
    to a whole prompt with chunked prefill off (tensorrt_llm/bench/benchmark/utils/general.py)."""
    tp, pp, gib = p.tensor_parallel, p.pipeline_parallel, 1024**3
    weights = PARAMETERS[p.model] * (1 if p.precision.value == "fp8" else 0.5) / gib
    per_token = 2 * LAYERS[p.model] * max(tp, 8) * 128 / gib  # FP8 cache, 8 KV heads of 128
    free = NVML_MIB[p.chip] / 1024 * tp * pp - weights
    requests = free * float(p.kv_memory_fraction) / per_token / (p.input_tokens + p.output_tokens)
    raw_bs = min(requests, 4096) / pp
    raw_tokens = min(raw_bs * (1 + p.input_tokens / p.output_tokens), 32768)
    batch = _up(raw_bs, ((256, 32), (1024, 128), (math.inf, 256)), 64)
    tokens = _up(raw_tokens, ((4096, 256), (8192, 512), (math.inf, 1024)), 2048)
    return batch, max(tokens, p.input_tokens + batch)


def test_the_perf_overview_runs_hold_the_batch_and_budget_trtllm_bench_chose(measured) -> None:
    """NVIDIA's perf-overview commands set no batch or token budget, so trtllm-bench sized them from the
    memory: each stored figure is that rule's, so a typo or a changed input shows here. A long-prompt run's
    budget holds its whole prompt (20,000 tokens and the batch), a short one's 2,048 at least."""
    runs = [p for p in measured.point if p.source == "trtllm-perf-overview"]
    assert len(runs) == 110
    for p in runs:
        assert p.kv_memory_fraction == Fraction(95, 100), p
        assert (p.max_batch, p.max_tokens_per_step) == _trtllm_bench_settings(p), p
    longest = [p for p in runs if p.input_tokens == 20000]
    assert longest and all(p.max_tokens_per_step == 20000 + p.max_batch for p in longest)
