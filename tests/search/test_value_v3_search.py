"""The search maximises what the reports print, for the v3 value model's new parts too.

Mixture of experts (the expert-read tangent per memory option), expert parallel, a
token budget, a TTFT target and an FP4 workload (the realised FP4 rate in the flops
table): the enumerator's integer value must be the value model's at random designs,
and CP-SAT's optimum the enumerator's on a small space.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from explorer.search import brute
from explorer.search import run as s

FP4_WORKLOAD = """
id = "llama-3-70b-fp4"
title = "Llama-3-70B at FP4 with a token budget"
precisions = ["fp4", "fp8"]
bytes_per_weight = 0.5625
bytes_per_kv = 1
bytes_per_activation = 2
tensor_parallel = 8
memory_reserve_fraction = 0.1

[model]
name = "Llama-3-70B"
parameters = 70_600_000_000
layers = 80
d_model = 8192
kv_heads = 8
head_dim = 128

[requests]
input_tokens = 2048
output_tokens = 512
max_batch = 2048
max_tokens_per_step = 4096
"""


@pytest.fixture(scope="module")
def fp4_workload(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("workloads") / "llama-3-70b-fp4.toml"
    path.write_text(FP4_WORKLOAD)
    return str(path)


@pytest.mark.parametrize(
    ("base", "workload"), [("gb100", "deepseek-v3"), ("gh100", "mixtral-8x7b"), ("gb100", None)]
)
def test_the_enumerators_integer_value_is_the_value_model_at_random_designs(
    base, workload, fp4_workload, data
) -> None:
    p = s.problem(base, "china", "2023-01-01", data=data, workload=workload or fp4_workload)
    t = p.tables
    rng = np.random.default_rng(7)
    cols = [rng.integers(0, n, 40) for n in brute.sizes(t)]
    res = brute.resources(t, *cols)
    values = brute.value_of(t, res)
    checked = 0
    for i in range(40):
        knobs = brute.knobs_at(t, [col[i] for col in cols])
        design = s.decode(p, knobs)
        _, r = s.resources_of(design, p.die, p.data, p.objective)
        exact = s.v.value(r, p.reference, p.objective)
        got = Fraction(int(values[i]), t.scales.value)
        if exact:
            assert abs(got - exact) <= Fraction(1, 10**4) + exact / 10**6, (knobs, got, exact)
            checked += 1
    assert checked >= 10


def test_cp_sat_and_the_enumerator_agree_on_an_moe_space(data) -> None:
    """A small GB100 space under DeepSeek-V3 served expert-parallel: the same optimal design."""
    from explorer.search.encode import encode
    from explorer.search.solve import solve

    space = s.problem("gb100", "china", "2023-01-01", data=data, workload="deepseek-v3").space
    small = dataclasses.replace(
        space,
        units=space.units[::12],
        clocks_mhz=space.clocks_mhz[::20],
        memory=space.memory[::8],
        links=space.links[::4],
    )
    p = s.problem("gb100", "china", "2023-01-01", data=data, workload="deepseek-v3", space=small)
    sol = solve(encode(p.tables, p.plan))
    best = brute.best(p.tables, p.plan)
    assert best.feasible and sol.status.name == "OPTIMAL" and sol.net == best.net
