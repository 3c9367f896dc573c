"""A measured run's own settings, where its source states them, override the setup's: the prediction is
set up the way that run ran."""

from __future__ import annotations

import dataclasses
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
