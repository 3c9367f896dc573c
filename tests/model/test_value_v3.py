"""Value model v3 (issue 24): mixture of experts, expert parallel, engine limits, TTFT, realised FP4."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.load.loader import load_objective, load_workload
from explorer.model import value as v
from explorer.model.chips import BIT_LENGTH, Precision


@pytest.fixture(scope="module")
def moe(data) -> v.Objective:
    """DeepSeek-V3 served expert-parallel on Blackwell, under the default 40 ms target."""
    return load_objective("llm-serving", data.root, "Blackwell", "deepseek-v3")


def test_the_shipped_moe_workloads_match_their_configs(data) -> None:
    """Active parameters = dense + top-k of the routed experts (configs: 37B and 12.9B active)."""
    for name, active in (("deepseek-v3", 37e9), ("mixtral-8x7b", 12.88e9)):
        m = load_workload(name, data.root).model
        assert m.dense_parameters + m.active_expert_parameters == pytest.approx(active, rel=0.02)
        assert m.active == pytest.approx(active, rel=0.02)


@settings(max_examples=40, deadline=None)
@given(
    bw=st.integers(min_value=500, max_value=20000),
    gb=st.integers(min_value=90, max_value=400),
    batch=st.fractions(min_value=0, max_value=400),
)
def test_the_expert_read_tangent_is_never_below_the_expected_read(moe, bw, gb, batch) -> None:
    """The share of experts a step touches is concave in the batch: its tangent lies on or above it."""
    d = v.demand(moe)
    w0, w1 = v.weights_read(d, Fraction(bw), Fraction(gb))
    hit = 1 - d.expert_miss ** float(batch * d.tokens_per_seq_step)
    exact = float(d.dense_read_bytes) + float(d.expert_read_bytes) * hit
    assert float(w0 + w1 * batch) >= exact * (1 - 1e-9)
    assert float(w0 + w1 * batch) <= float(d.dense_read_bytes + d.expert_read_bytes) * (1 + 1e-9) + float(
        w1 * batch
    )


def test_a_prompt_reaches_the_experts_a_chunk_at_a_time(moe) -> None:
    """Chunked prefill: a step either carries a prompt chunk, whose tokens reach nearly every expert at
    once, or not. Four sequences with 8,192-token prompts touch a small share of DeepSeek's 256 experts
    on most steps; spread over the answer's steps (1 + 8 prompt tokens a step each) they would read
    two thirds of them on every step."""
    w = moe.workload

    def demand(isl: int, budget: int | None) -> v.Demand:
        req = dataclasses.replace(
            w.requests, input_tokens=isl, output_tokens=1024, max_tokens_per_step=budget
        )
        return v.demand(dataclasses.replace(moe, workload=dataclasses.replace(w, requests=req)))

    whole, chunked, short = demand(8192, None), demand(8192, 2048), demand(128, None)
    miss = whole.expert_miss
    untouched = math.exp(math.log(miss) * 4 * float(whole.tokens_per_seq_step))
    assert 1 - untouched < 0.15 < 0.6 < 1 - miss ** (4 * 9)
    # four chunks a prompt read the experts about four times as often as one whole prompt
    assert float(chunked.tokens_per_seq_step - 1) == pytest.approx(4 * float(whole.tokens_per_seq_step - 1))
    assert 1 < short.tokens_per_seq_step < whole.tokens_per_seq_step  # 128 tokens miss some experts
    dense = dataclasses.replace(w.model, experts=0, experts_per_token=0, expert_parameters=0, moe_layers=0)
    plain = v.demand(dataclasses.replace(moe, workload=dataclasses.replace(w, model=dense)))
    assert plain.tokens_per_seq_step == 1


def test_a_small_batch_reads_only_the_experts_its_tokens_touch(data, moe) -> None:
    """At a tight latency target the step reads a fraction of DeepSeek's 256 experts; a dense model all."""
    tight = dataclasses.replace(moe, tpot_s=Fraction(8, 1000))
    d = v.demand(tight)
    w0, w1 = v.weights_read(d, Fraction(8000), Fraction(180))
    assert w1 > 0 and w0 < d.dense_read_bytes + d.expert_read_bytes / 2
    dense = load_objective("llm-serving", data.root, "Hopper")
    e = v.demand(dense)
    assert v.weights_read(e, Fraction(3350), Fraction(80)) == (e.dense_read_bytes, 0)


def test_expert_parallel_keeps_one_copy_of_the_latent_cache_and_sends_less(data, moe) -> None:
    """Data-parallel attention: the KV cache is not copied on every chip, and the all-to-all moves less
    per token than the all-reduces of tensor parallel (4.6 remote chips of 7 for top-8 of 256)."""
    tensor = dataclasses.replace(moe, workload=dataclasses.replace(moe.workload, expert_parallel=False))
    ep, tp = v.demand(moe), v.demand(tensor)
    assert ep.kv_held_per_seq * 8 == tp.kv_held_per_seq
    assert ep.link_bytes_per_token < tp.link_bytes_per_token / 2
    assert ep.sync_s < tp.sync_s  # two collectives per MoE layer (58) against two per layer (61)
    m = moe.workload.model
    assert ep.weight_bytes == (m.dense_parameters * 8 + m.expert_parameters) * moe.workload.bytes_per_weight


def test_only_a_step_served_expert_parallel_pays_the_expert_parallel_compute_share(data, moe) -> None:
    """ep_compute divides the compute of an expert-parallel step and of nothing else (README, DeepSeek-R1)."""
    assert moe.efficiency.ep_compute < 1  # fitted on TensorRT-LLM's DeepSeek-R1 runs
    one = dataclasses.replace(moe, efficiency=dataclasses.replace(moe.efficiency, ep_compute=Fraction(1)))
    ep, base = v.demand(moe), v.demand(one)
    assert ep.flop_per_token == base.flop_per_token / moe.efficiency.ep_compute
    assert ep.prefill_flop_per_token == base.prefill_flop_per_token / moe.efficiency.ep_compute
    assert dataclasses.replace(ep, flop_per_token=0, prefill_flop_per_token=0) == dataclasses.replace(
        base, flop_per_token=0, prefill_flop_per_token=0
    )  # memory, links, collectives and limits are the same
    tensor = dataclasses.replace(moe, workload=dataclasses.replace(moe.workload, expert_parallel=False))
    for obj in (load_objective("llm-serving", data.root, "Hopper"), tensor):
        low = dataclasses.replace(obj.efficiency, ep_compute=Fraction(1, 5))
        cheap = dataclasses.replace(obj, efficiency=low)
        assert v.demand(cheap) == v.demand(obj)  # dense and tensor-parallel MoE workloads never pay it


def test_the_token_budget_and_ttft_limit_the_batch_and_the_step(data) -> None:
    obj = load_objective("llm-serving", data.root, "Hopper")
    w = obj.workload
    budget = dataclasses.replace(w, requests=dataclasses.replace(w.requests, max_tokens_per_step=1536))
    d = v.demand(dataclasses.replace(obj, workload=budget))
    assert d.max_batch == Fraction(1536) / Fraction(2048 + 512, 512)  # 1 + prompt/answer tokens a step
    ttft = v.demand(dataclasses.replace(obj, workload=budget, ttft_s=Fraction(1, 20)))
    assert ttft.tpot_s == Fraction(1, 20) / (1 + Fraction(2048, 1536)) < obj.tpot_s
    assert v.demand(dataclasses.replace(obj, ttft_s=Fraction(10))).tpot_s == obj.tpot_s


def test_fp4_realises_the_time_its_share_of_the_work_takes_and_the_rules_read_the_peak(data) -> None:
    """The fitted share of an FP4 model's work runs at the FP4 peak, the rest at FP8's: B200 (FP4 twice
    FP8) realises less than its peak, and B300, whose FP4 peak is three times the same FP8, realises
    more than B200 (a cap at a multiple of FP8 would give both the same), but less than 3/2 as much."""
    e = load_objective("llm-serving", data.root, "Blackwell").efficiency
    assert e.narrow_gain is not None and 1 < e.narrow_gain < 2
    share = v.narrow_share(e.narrow_gain)
    realised = {}
    for sku in ("b200", "b300"):
        m = data.catalog.metrics(data.catalog.find_sku(sku))
        ops = m.dense_tflops
        fp4, fp8 = ops[Precision.FP4], ops[Precision.FP8]
        realised[sku] = v.realised_ops(ops, Precision.FP4, e) / fp8
        assert fp8 < realised[sku] * fp8 < fp4
        seconds = share / fp4 + (1 - share) / fp8  # per FLOP of the model
        assert realised[sku] * fp8 * seconds == 1
        assert v.realised_ops(ops, Precision.FP8, e) == fp8
        assert m.tpp == max(t * BIT_LENGTH[p] for p, t in ops.items())  # the rules still read the peak
    assert realised["b200"] == e.narrow_gain  # B200's FP4 peak is twice its FP8: the gain as fitted
    assert realised["b200"] < realised["b300"] < Fraction(3, 2) * realised["b200"]
    # no FP8 rate to fall back to, or a narrow rate below it: the narrow rate as it is
    assert v.realised_ops({Precision.FP4: Fraction(8)}, Precision.FP4, e) == 8
    slow = {Precision.FP4: Fraction(2), Precision.FP8: Fraction(4)}
    assert v.realised_ops(slow, Precision.FP4, e) == 2


def test_pipeline_stages_read_the_weights_once_per_micro_batch(data) -> None:
    obj = load_objective("llm-serving", data.root, "Hopper", "llama-3-405b")
    w = obj.workload
    staged = dataclasses.replace(obj, workload=dataclasses.replace(w, tensor_parallel=4, pipeline_parallel=2))
    a, b = v.demand(obj), v.demand(staged)
    assert a.chips == b.chips == 8 and b.dense_read_bytes == 2 * a.dense_read_bytes
    assert b.link_bytes_per_token < a.link_bytes_per_token  # each chip all-reduces its stage's layers only
    assert math.isclose(float(b.weight_bytes), float(a.weight_bytes))


def test_the_batch_holds_the_mean_context_but_one_sequence_must_fit_whole(data) -> None:
    """A paged cache: sequences in flight hold prompt + half the answer on average (so a longer answer
    at the same mean shrinks nothing), and a memory that cannot hold one sequence at its last token
    serves nothing, even where the mean would fit."""
    obj = load_objective("llm-serving", data.root, "Hopper")
    d = v.demand(obj)
    isl, osl = obj.workload.requests.input_tokens, obj.workload.requests.output_tokens
    assert d.kv_held_per_seq * (isl + osl) == d.kv_full_per_seq * (isl + Fraction(osl, 2))
    free = d.kv_held_per_seq * 10
    gb = (d.weight_bytes + free) / (d.chips * v.MEMORY_GB * (1 - d.reserve))
    assert v.batch_cap(dataclasses.replace(d, max_batch=Fraction(10**6)), gb) == 10
    tight = (d.weight_bytes + (d.kv_held_per_seq + d.kv_full_per_seq) / 2) / (
        d.chips * v.MEMORY_GB * (1 - d.reserve)
    )
    assert v.batch_cap(d, tight) == 0  # the mean fits once, the full length does not
    assert v.memory_floor_gb(obj) > tight  # and the search's memory floor agrees


def test_a_memory_capacity_is_counted_in_binary_gigabytes(data) -> None:
    """Vendors' memory "GB" are GiB (an "80 GB" H100 shows 81,559 MiB): weights of 83e9 bytes and one
    sequence fit an 80 GB chip, which they would not if its 80 GB were 80e9 bytes (the memory floor the
    search compares with a SKU's GB agrees with batch_cap: the reserve test below)."""
    obj = load_objective("llm-serving", data.root, "Hopper")
    d = dataclasses.replace(
        v.demand(obj),
        chips=1,
        weight_bytes=Fraction(83 * 10**9),
        reserve=Fraction(0),
        max_batch=Fraction(10**6),
    )
    room = 80 * 2**30 - d.weight_bytes
    assert room > 0 > 80 * 10**9 - d.weight_bytes
    assert v.batch_cap(d, Fraction(80)) == min(d.max_batch, room / d.kv_held_per_seq) > 0


@pytest.mark.parametrize("reserve_of", ["total", "free"])
def test_the_reserve_is_taken_the_engines_way_and_the_memory_floor_agrees(data, reserve_of) -> None:
    """vLLM and SGLang keep weights and cache within a share of the whole memory; TensorRT-LLM gives the
    cache a share of what the weights leave, which holds reserve x weights more. The search's memory
    floor is the least memory at which batch_cap serves one sequence, either way."""
    obj = load_objective("llm-serving", data.root, "Hopper")
    obj = dataclasses.replace(obj, workload=dataclasses.replace(obj.workload, memory_reserve_of=reserve_of))
    d = dataclasses.replace(v.demand(obj), max_batch=Fraction(10**9))
    assert d.reserve > 0
    gb = 2 * (d.weight_bytes + d.kv_full_per_seq) / (d.chips * v.MEMORY_GB)
    whole = d.chips * gb * v.MEMORY_GB
    total_way = (whole * (1 - d.reserve) - d.weight_bytes) / d.kv_held_per_seq
    held = v.batch_cap(d, gb)
    if reserve_of == "free":
        assert held - total_way == d.reserve * d.weight_bytes / d.kv_held_per_seq
    else:
        assert held == total_way
    floor = v.memory_floor_gb(obj)
    assert v.batch_cap(d, floor) > 0
    assert v.batch_cap(d, floor * (1 - Fraction(1, 10**9))) == 0


@pytest.fixture(scope="module")
def windowed(data) -> v.Objective:
    """gpt-oss-120b (half its layers attend over a 128-token window) on Blackwell, default target."""
    return load_objective("llm-serving", data.root, "Blackwell", "gpt-oss-120b")


@settings(max_examples=30, deadline=None)
@given(isl=st.integers(min_value=1, max_value=20000), osl=st.integers(min_value=1, max_value=8000))
def test_a_window_as_long_as_the_sequence_is_no_window(windowed, isl, osl) -> None:
    """Windowed layers that see the whole sequence cost what full-attention layers cost: the same
    demand as the model with no window, at every prompt and answer length."""
    w = windowed.workload
    req = dataclasses.replace(
        w.requests, input_tokens=isl, output_tokens=osl, output_tokens_spread=Fraction(1)
    )

    def demand(model: v.ModelShape) -> v.Demand:
        return v.demand(
            dataclasses.replace(windowed, workload=dataclasses.replace(w, model=model, requests=req))
        )

    wide = dataclasses.replace(w.model, sliding_window=isl + osl)
    full = dataclasses.replace(w.model, sliding_window_layers=0, sliding_window=0)
    assert demand(wide) == demand(full)


def test_windowed_layers_hold_and_attend_over_the_window_only(windowed) -> None:
    """At a context far past the window, gpt-oss's cache and its attention over the context are those
    of its 18 full-attention layers plus 128 tokens in each of the other 18: about half the dense figure."""
    w = windowed.workload
    req = dataclasses.replace(
        w.requests, input_tokens=8000, output_tokens=2000, output_tokens_spread=Fraction(1)
    )
    at = dataclasses.replace(windowed, workload=dataclasses.replace(w, requests=req))
    dense = dataclasses.replace(
        at,
        workload=dataclasses.replace(
            at.workload, model=dataclasses.replace(w.model, sliding_window_layers=0)
        ),
    )
    d, full = v.demand(at), v.demand(dense)
    per_layer_token = full.kv_full_per_seq / (36 * 10000)
    assert d.kv_full_per_seq == per_layer_token * (18 * 10000 + 18 * 128)
    assert d.kv_read_per_seq == per_layer_token * (
        18 * 9000 + 18 * 128
    )  # the mean context: 8,000 + 2,000 / 2
    assert 0.5 < d.kv_full_per_seq / full.kv_full_per_seq < 0.51
    assert d.flop_per_token < full.flop_per_token
