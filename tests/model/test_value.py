"""The value model: properties a serving model must have, and `explore value` end to end."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import api
from explorer.cli import main
from explorer.load.loader import load_objective
from explorer.model import value as v
from explorer.model.space import Design, build_space, to_sku

# Hypothesis draws SKUs and dies from the catalog, read when it first draws (st.deferred), not at import.
any_sku = st.deferred(lambda: st.sampled_from(sorted(api.load().catalog.skus)))
any_die = st.deferred(lambda: st.sampled_from(sorted(api.load().catalog.dies)))


def objective_for(data: api.Data, sku_id: str) -> v.Objective:
    die = data.catalog.dies[data.catalog.skus[sku_id].die]
    return load_objective("llm-serving", data.root, die.architecture)


def resources(data: api.Data, sku_id: str) -> v.Resources:
    return v.resources(data.catalog.metrics(data.catalog.skus[sku_id]), objective_for(data, sku_id))


@settings(max_examples=60, deadline=None)
@given(
    sku=any_sku,
    field=st.sampled_from(["flops", "memory_gbps", "link_gbps_one_way", "memory_gb"]),
    more=st.fractions(min_value=1, max_value=4, max_denominator=64),
)
def test_more_of_any_resource_never_lowers_throughput(sku, field, more, data) -> None:
    res, obj = resources(data, sku), objective_for(data, sku)
    bigger = dataclasses.replace(res, **{field: getattr(res, field) * more})
    assert v.tokens_per_s(bigger, obj) >= v.tokens_per_s(res, obj)


# what the planes may add to an exact harmonic sum: worked out from the worst cases below, not read off
PLANES_OVER_TWO_RATES = 1.0074
PLANES_OVER_THREE_RATES = 1.012


def exact_harmonic(rates: list[Fraction]) -> Fraction:
    return 1 / sum(1 / r for r in rates)


def test_the_planes_worst_cases_reach_their_bounds() -> None:
    """Two rates at the ratio halfway between tangent points (in log) lose most; with three, the first
    pair's error is carried into the second: 1.17%, not the 0.8% the docs once claimed."""
    two = [Fraction(11871481, 10**7), Fraction(1)]
    assert 1.0073 < v.harmonic(two) / exact_harmonic(two) <= PLANES_OVER_TWO_RATES
    three = [Fraction(8419070, 10**7), Fraction(1), Fraction(7714118, 10**7)]
    assert 1.0116 < v.harmonic(three) / exact_harmonic(three) <= PLANES_OVER_THREE_RATES


@given(rates=st.lists(st.fractions(min_value=Fraction(1, 10**6), max_value=10**6), min_size=2, max_size=3))
def test_the_planes_never_fall_below_the_exact_sum_nor_exceed_their_bound(rates) -> None:
    ratio = v.harmonic(rates) / exact_harmonic(rates)
    assert 1 <= ratio <= (PLANES_OVER_TWO_RATES if len(rates) == 2 else PLANES_OVER_THREE_RATES)


def test_the_tangent_planes_stay_within_their_bound_above_the_exact_model(sku_id, data) -> None:
    b = v.breakdown(resources(data, sku_id), objective_for(data, sku_id))
    if b.tokens_per_s_exact:
        assert 1 - 1e-9 <= b.tokens_per_s / b.tokens_per_s_exact <= PLANES_OVER_THREE_RATES


@settings(max_examples=40, deadline=None)
@given(
    sku=any_sku,
    us=st.integers(min_value=0, max_value=200),
    layer_us=st.integers(min_value=0, max_value=100),
    latency_target=st.booleans(),
)
def test_the_all_reduce_fixed_time_costs_throughput_and_the_pieces_match_the_step_it_adds(
    sku, us, layer_us, latency_target, data
) -> None:
    """The sync term enters the memory-capped pieces as a rate and the latency factors as time: both must
    agree with the step the breakdown bisects, and a slower all-reduce must never raise throughput.
    Each layer's fixed time is paid on one chip too, where there is no all-reduce."""
    obj = objective_for(data, sku)
    if not latency_target:
        obj = dataclasses.replace(obj, tpot_s=None)
    layer = Fraction(layer_us, 10**6)
    slow = dataclasses.replace(
        obj,
        efficiency=dataclasses.replace(
            obj.efficiency, allreduce_latency_s=Fraction(us, 10**6), layer_fixed_s=layer
        ),
    )
    res = resources(data, sku)
    b = v.breakdown(res, slow)
    if b.batch == 0:
        return
    layers = obj.workload.model.layers
    assert b.sync_s == pytest.approx(2 * layers * us / 1e6 + layers * layer_us / 1e6)
    assert 1 - 1e-9 <= b.tokens_per_s / b.tokens_per_s_exact <= PLANES_OVER_THREE_RATES
    faster = dataclasses.replace(
        slow, efficiency=dataclasses.replace(slow.efficiency, allreduce_latency_s=Fraction(us, 2 * 10**6))
    )
    assert v.tokens_per_s(res, faster) >= v.tokens_per_s(res, slow)
    one_chip = dataclasses.replace(slow, workload=dataclasses.replace(slow.workload, tensor_parallel=1))
    assert v.demand(one_chip).sync_s == layers * layer


def test_latent_attention_costs_its_absorbed_width_and_grouped_query_attention_is_unchanged(
    data, workloads
) -> None:
    """MLA decodes in its 576-wide latent for all 128 heads: far more attention FLOPs per context token
    than 2 x d_model, which multi-head and grouped-query attention keep."""
    mla = workloads["deepseek-v3"].model
    assert mla.decode_width == 128 * (512 + 64 + 512) > 2 * mla.d_model
    assert mla.prefill_width == 128 * ((128 + 64) + 128)
    gqa = workloads["llama-3-70b"].model
    assert gqa.decode_width == gqa.prefill_width == 2 * gqa.d_model
    obj = objective_for(data, "h200-sxm")
    plain = dataclasses.replace(obj, workload=dataclasses.replace(obj.workload, model=mla))
    narrow = dataclasses.replace(
        plain,
        workload=dataclasses.replace(
            plain.workload,
            model=dataclasses.replace(mla, decode_attention_width=None, prefill_attention_width=None),
        ),
    )
    w = plain.workload
    ctx = w.requests.input_tokens + Fraction(w.requests.output_tokens, 2)
    extra = 2 * mla.layers * (mla.decode_width - 2 * mla.d_model) * ctx / obj.efficiency.decode_compute
    assert v.demand(plain).flop_per_token - v.demand(plain).prefill_flop_per_token == (
        v.demand(narrow).flop_per_token - v.demand(narrow).prefill_flop_per_token + extra
    )
    res = resources(data, "h200-sxm")
    assert v.tokens_per_s(res, plain) <= v.tokens_per_s(res, narrow)


def test_the_breakdown_is_consistent_with_the_latency_target_and_memory(sku_id, data) -> None:
    obj = objective_for(data, sku_id)
    b = v.breakdown(resources(data, sku_id), obj)
    if b.batch == 0:
        return
    assert b.step_s <= float(obj.tpot_s) * (1 + 1e-9)  # TPOT met
    assert b.batch <= obj.workload.requests.max_batch
    if b.batch_limit == "latency target":
        assert b.step_s == pytest.approx(float(obj.tpot_s), rel=1e-6)
    # tokens/s per chip = batch / (chips x step), exactly what the breakdown says
    chips = obj.workload.tensor_parallel
    assert b.tokens_per_s_exact == pytest.approx(b.batch / (chips * b.step_s), rel=1e-9)


def test_capacity_buys_batch_only_where_memory_limits_it(data) -> None:
    """Without a latency target the batch is what memory holds, so more capacity is worth more."""
    obj = dataclasses.replace(objective_for(data, "h100-sxm"), tpot_s=None)
    res = resources(data, "h100-sxm")
    small = v.breakdown(res, obj)
    big = v.breakdown(dataclasses.replace(res, memory_gb=res.memory_gb * 2), obj)
    assert small.batch_limit == "memory capacity" and big.batch > small.batch
    assert big.tokens_per_s > small.tokens_per_s


def test_the_reference_sku_is_value_one_and_h20_is_a_fraction_of_h200(data) -> None:
    h100 = api.classify("h100-sxm", "united states", "2026-11-28", data)
    assert h100.value == 1
    h200, h20 = (api.classify(x, "united states", "2026-11-28", data).value for x in ("h200-sxm", "h20"))
    assert 2 <= h200 / h20 <= 6  # measured serving puts H200 2-6x above H20


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_explore_value_for_a_sku_and_for_a_found_design(tmp_path) -> None:
    got = run("value", "h20", "--format", "json")
    assert got.exit_code == 0, got.output
    rec = json.loads(got.stdout)
    s = rec["serving"]
    assert rec["value"] == pytest.approx(s["tokens_per_s_per_chip"] / s["tokens_per_s_reference"], abs=0.002)
    assert set(rec["percent_per_percent_more"]) == {"flops", "memory_gbps", "memory_gb", "link_gbps_one_way"}
    assert "limited by" in run("value", "h20").output
    found = json.loads(run("--target", "china", "--base", "gh100", "--format", "json").stdout)["results"][0]
    design = tmp_path / "design.json"
    design.write_text(json.dumps(found))
    again = run("value", "--design", str(design), "--format", "json")
    assert again.exit_code == 0, again.output
    rec = json.loads(again.stdout)
    assert rec["serving"]["tokens_per_s_per_chip"] == found["throughput"]["tokens_per_s_per_chip"]
    steps = rec["percent_per_knob_step"]  # a step up of any knob never lowers throughput
    assert steps and all(x >= 0 for x in steps.values())


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", "JSON"),
        ('{"die": "gh999"}', "die"),
        ('{"die": "gh100", "units": 78, "clock_mhz": 1755, "memory": {"technology": "hbm3"}}', "memory."),
        ('{"die": "gh100", "units": 1e99, "clock_mhz": 1755}', "units"),
        ("[1, 2]", "object"),
    ],
)
def test_a_bad_design_file_is_one_line_and_exit_2(tmp_path, text, field) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    got = run("value", "--design", str(bad))
    assert got.exit_code == 2, got.output
    assert len(got.output.strip().splitlines()) == 1 and field in got.output and "Traceback" not in got.output


def test_value_needs_exactly_one_of_a_chip_or_a_design() -> None:
    assert run("value").exit_code == 2
    assert run("value", "h20", "--design", "x.json").exit_code == 2


@settings(max_examples=300, deadline=None)
@given(
    u=st.lists(st.integers(0, 10**13), min_size=1, max_size=20),
    v=st.lists(st.integers(0, 10**13), min_size=1, max_size=20),
)
def test_the_enumerators_fast_harmonic_is_the_full_minimum_over_the_planes(u, v) -> None:
    """brute evaluates a window of planes around the ratio; CP-SAT all of them: they must agree exactly."""
    import numpy as np

    from explorer.model import value as v_model
    from explorer.search.intmodel import harmonic_int

    n = min(len(u), len(v))
    a, b = np.array(u[:n], dtype=np.int64), np.array(v[:n], dtype=np.int64)
    fast = harmonic_int([a, b])
    d = v_model.PLANE_DENOMINATOR
    full = [min(p * x + q * y for p, q in v_model.PLANES) // d for x, y in zip(u[:n], v[:n], strict=True)]
    assert fast.tolist() == full


def test_geforce_serving_rate_is_the_fp32_accumulate_rate_and_the_rules_still_read_the_peak(data) -> None:
    sku = data.catalog.skus["rtx-4090"]
    metrics = data.catalog.metrics(sku)
    assert metrics.fp32_accumulate_rate == Fraction(1, 2)
    assert abs(metrics.tpp / sku.published["tpp"].value - 1) < Fraction(2, 100)  # TPP from the peak
    obj = objective_for(data, "rtx-4090")
    peak = dataclasses.replace(metrics, fp32_accumulate_rate=Fraction(1))
    assert v.resources(metrics, obj).flops * 2 == v.resources(peak, obj).flops
    assert v.tokens_per_s(v.resources(metrics, obj), obj) < v.tokens_per_s(v.resources(peak, obj), obj)


@settings(max_examples=60, deadline=None)
@given(die=any_die, pick=st.data())
def test_a_design_sustains_its_clock_because_it_draws_what_the_power_model_says(die, pick, data, cfg) -> None:
    """The search encodes designs at their peak: that is only right if no design is power-derated."""
    space = build_space(data.catalog.dies[die], data.catalog, cfg)
    design = Design(
        die,
        pick.draw(st.sampled_from(space.units)),
        pick.draw(st.sampled_from(space.clocks_mhz)),
        pick.draw(st.sampled_from(space.rate_limits)),
        pick.draw(st.sampled_from(space.memory)),
        pick.draw(st.sampled_from(space.links)),
        pick.draw(st.sampled_from(space.datacenter)),
    )
    assert data.catalog.metrics(to_sku(design, data.catalog.dies[die])).power_share == 1


@given(
    share=st.fractions(min_value=Fraction(1, 100), max_value=2, max_denominator=1000),
    more=st.fractions(min_value=0, max_value=1, max_denominator=1000),
    exponent=st.sampled_from([Fraction(0), Fraction(1, 3), Fraction(1, 2)]),
)
def test_a_lower_power_limit_never_sustains_a_higher_clock(share, more, exponent) -> None:
    clock = v.sustained_clock_share(share, exponent)
    assert 0 < clock <= 1 and clock <= v.sustained_clock_share(share + more, exponent)
    assert clock == 1 if share >= 1 or not exponent else clock <= float(share) ** float(exponent)


def test_a_sku_below_its_modelled_power_is_derated_and_the_breakdown_says_so(data) -> None:
    """MI300X runs the MI325X's units and clock at 750 W against 1000 W: a lower sustained clock."""
    metrics = data.catalog.metrics(data.catalog.skus["mi300x"])
    assert metrics.power_share == Fraction(3, 4)
    obj = objective_for(data, "mi300x")
    full = dataclasses.replace(metrics, power_share=Fraction(1))
    assert v.resources(metrics, obj).flops < v.resources(full, obj).flops
    out = CliRunner().invoke(main, ["value", "mi300x"])
    assert out.exit_code == 0 and "750 W limit, 75.0% of what the power model" in out.output
