"""The search's starting design: a hint that speeds the proof and never changes the answer's value."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.search import brute
from explorer.search import run as s
from explorer.search.encode import encode
from explorer.search.knobs import Knobs
from explorer.search.solve import SolveStatus, solve
from explorer.search.start import coarse_axes, first_design, spread

# a line that binds on the 2024 rules, one that binds on today's, a fee-paying licence, a consumer die
CASES = [
    ("gh100", "china", "2024-06-01"),
    ("gb202-hbm", "china", "2026-11-29"),
    ("gh100", "china", "2026-11-29"),
    ("ad104", "vietnam", "2025-09-01"),
]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: "-".join(c))
def problem(request, data) -> s.Problem:
    base, target, on = request.param
    return s.problem(base, target, on, data=data)


def test_spread_keeps_both_ends_and_never_more_than_asked() -> None:
    assert spread(5, None) == [0, 1, 2, 3, 4]
    assert spread(3, 6) == [0, 1, 2]
    picked = spread(100, 6)
    assert picked[0] == 0 and picked[-1] == 99 and len(picked) == 6 == len(set(picked))


def test_the_start_is_an_allowed_design_that_fits_and_no_better_than_the_optimum(problem) -> None:
    t = problem.tables
    start = first_design(t, problem.plan)
    assert start is not None
    index = brute.indices_of(t, start)
    assert all(i in axis for i, axis in zip(index, coarse_axes(t), strict=True)), "a point of the grid"
    res = brute.resources(t, *[np.array([i]) for i in index])
    allowed, fits, net = brute.score(t, problem.plan, res, 1)
    assert allowed[0] and fits[0]
    best = solve(encode(t, problem.plan))
    assert best.status is SolveStatus.OPTIMAL and int(net[0]) <= best.net


def test_starting_from_the_grid_proves_the_same_value_and_cost(problem) -> None:
    t = problem.tables
    cold = solve(encode(t, problem.plan))
    warm = solve(encode(t, problem.plan), start=first_design(t, problem.plan))
    assert cold.status is warm.status is SolveStatus.OPTIMAL
    assert (warm.net, warm.cost_cents, warm.bound) == (cold.net, cold.cost_cents, cold.bound)
    assert warm.knobs == cold.knobs, "ties go to the lowest knob indices, whatever the start"


def test_a_start_the_rules_forbid_is_dropped_and_the_optimum_is_unchanged(data) -> None:
    p = s.problem("gh100", "china", "2024-06-01", data=data)
    t = p.tables
    flagship = Knobs(max(t.units), max(t.clocks), len(t.k_tpp) - 1, len(t.mem_bw) - 1, len(t.io) - 1, True)
    res = brute.resources(t, *[np.array([i]) for i in brute.indices_of(t, flagship)])
    assert not brute.score(t, p.plan, res, 1)[0][0], "the full die is controlled for China in 2024"
    cold = solve(encode(t, p.plan))
    warm = solve(encode(t, p.plan), start=flagship)
    assert warm.status is SolveStatus.OPTIMAL
    assert (warm.net, warm.cost_cents, warm.knobs) == (cold.net, cold.cost_cents, cold.knobs)


def test_a_cost_bound_keeps_the_start_under_it(problem) -> None:
    t = problem.tables
    free = first_design(t, problem.plan)
    assert free is not None
    index = brute.indices_of(t, free)
    cost = t.mem_cost[index[3]] + t.die_cost[index[0]] + t.fixed_cost
    cheaper = first_design(t, problem.plan, cost - 1)
    if cheaper is not None:
        i = brute.indices_of(t, cheaper)
        assert t.mem_cost[i[3]] + t.die_cost[i[0]] + t.fixed_cost <= cost - 1
