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


# NVIDIA's B200 DeepSeek-R1 v5.1 server log, as specs/calibration/measured.toml's note on answer spreads
# quotes it (ns): latency percentiles, least, mean, most, and the mean first-token latency
DS_R1_LATENCY = {50: 139009806071, 90: 622566748089, 95: 878932826237, 97: 1063513381859, 99: 1334327931346}
DS_R1_LATENCY[99.9] = 1411762476355
DS_R1_LEAST, DS_R1_MEAN, DS_R1_MOST, DS_R1_FIRST = 1295400807, 248933888892, 1413958208201, 726163084


def test_an_mlperf_runs_answer_spread_follows_from_its_server_logs_latencies(measured) -> None:
    """Every DeepSeek-R1 point stores the spread of its answers' lengths that the quoted server log's
    latency percentiles give (within the 2.18-2.23 the round's logs span), and every MLPerf point of a
    dataset stores one figure: a typo, or a point left at 1, shows here."""
    from explorer.model.lengths import output_spread

    def steps(ns: float) -> float:
        return ns - DS_R1_FIRST

    spread = output_spread(
        {p: steps(x) for p, x in DS_R1_LATENCY.items()},
        steps(DS_R1_LEAST),
        steps(DS_R1_MEAN),
        steps(DS_R1_MOST),
    )
    assert abs(spread - 2.20) < 0.005
    by_model: dict[str, set] = {}
    for p in measured.point:
        if p.source.startswith("mlperf-"):
            by_model.setdefault(p.model, set()).add(p.output_tokens_spread)
    assert by_model["deepseek-v3"] == {Fraction("2.20")}
    assert all(len(spreads) == 1 for spreads in by_model.values()), by_model
    assert by_model["llama-3-8b"] == {None}  # answers capped at 128 tokens: one length
    assert all(p.output_tokens_spread is None for p in measured.point if not p.source.startswith("mlperf-"))


def test_answers_of_varying_length_see_a_longer_context(measured, data) -> None:
    """A spread of answer lengths weights the long ones: at spread s the KV cache read and held per
    sequence is that of input + output x s / 2 tokens, so a KV-bound run predicts fewer tokens/s than
    the same run with every answer one length."""
    workloads = load_workloads()
    e = v.Efficiency(Fraction(1, 2), Fraction(1, 2), Fraction(9, 10), Fraction(3, 4), Fraction(1))
    run = next(p for p in measured.point if p.model == "deepseek-v3" and p.scenario == "offline")
    fixed = dataclasses.replace(run, output_tokens_spread=None)
    objs = [cal.objective_for(p, workloads, measured.setup, e) for p in (run, fixed)]
    spread, one = (v.demand(o) for o in objs)
    isl, osl = run.input_tokens, run.output_tokens
    assert spread.kv_read_per_seq / one.kv_read_per_seq == (isl + osl * Fraction("2.20") / 2) / (
        isl + Fraction(osl, 2)
    )
    assert spread.kv_held_per_seq / one.kv_held_per_seq == spread.kv_read_per_seq / one.kv_read_per_seq
    assert spread.flop_per_token > one.flop_per_token  # attention over the longer context
    res = v.resources(data.catalog.metrics(data.catalog.find_sku(run.chip)), objs[0])
    assert v.tokens_per_s(res, objs[0]) < v.tokens_per_s(res, objs[1])


def test_the_spread_estimate_reads_one_length_as_one_and_known_tails_as_their_spread() -> None:
    """Lengths all alike give 1; exponential lengths (E[L^2] = 2 E[L]^2) given by their own percentiles
    give about 2, log-normal ones exp(sigma^2) within 1%; percentiles that cannot meet the mean are
    refused, not extrapolated."""
    import math
    from statistics import NormalDist

    import pytest

    from explorer.model.lengths import output_spread

    same = {50: 100.0, 90: 100.0, 99: 100.0}
    assert abs(output_spread(same, 100.0, 100.0, 100.0) - 1) < 1e-9
    levels = (50, 90, 95, 97, 99, 99.9)  # as MLPerf's logs give them, the most near the 99.99th
    exponential = {q: -math.log(1 - q / 100) for q in levels}
    assert abs(output_spread(exponential, 1e-6, 1.0, -math.log(1e-4)) - 2) < 0.06
    sigma, normal = 1.0, NormalDist()
    lognormal = {q: math.exp(sigma * normal.inv_cdf(q / 100)) for q in levels}
    low, high = (math.exp(sigma * normal.inv_cdf(x)) for x in (1e-4, 1 - 1e-4))
    assert abs(output_spread(lognormal, low, math.exp(sigma**2 / 2), high) / math.exp(sigma**2) - 1) < 0.01
    with pytest.raises(ValueError):
        output_spread({50: 1.0, 90: 50.0}, 0.5, 1.2, 60.0)  # the tail alone outweighs the mean
    with pytest.raises(ValueError):
        output_spread({90: 5.0}, 0.5, 1.0, 6.0)  # no median
