"""Robust search: CP-SAT against the enumerator on small random spaces, and the robust search end to end."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_search_properties import SETTINGS, Case, build, cases, count_thresholds, design_spaces

from explorer.model.outcomes import Outcome
from explorer.search import brute
from explorer.search import robustness as rb
from explorer.search import run as s
from explorer.search.encode import encode, encode_robust
from explorer.search.solve import solve


@pytest.fixture(scope="module")
def spaces(data, cfg):
    """test_search_properties.py's design spaces, which the random cases slice."""
    return design_spaces(data, cfg)


@pytest.fixture(scope="module")
def random_cases(data, spaces) -> st.SearchStrategy[Case]:
    """test_search_properties.py's random cases; a test draws one through st.data()."""
    return cases(spaces, count_thresholds(data.rules))


@pytest.fixture(scope="module")
def factor_sets(data) -> st.SearchStrategy[tuple]:
    """Another world's rules: one factor per numeric control clause, as a case carries."""
    n = count_thresholds(data.rules)
    return st.lists(
        st.fractions(min_value=Fraction(1, 5), max_value=Fraction(3), max_denominator=100),
        min_size=n,
        max_size=n,
    ).map(tuple)


def worlds(case: Case, extra: list[tuple], data, spaces) -> list:
    """The case's problem and one more per factor set: the same space under other rules."""
    return [
        build(case, data, spaces),
        *(build(dataclasses.replace(case, factors=f), data, spaces) for f in extra),
    ]


def robust_solve(problems, weights=None):
    """The robust solution, its objective scaled back to net-value units (the model divides it exactly)."""
    enc = encode_robust(problems[0].tables, [p.plan for p in problems], weights)
    sol = solve(enc)
    return dataclasses.replace(sol, net=sol.net * enc.net_divisor)


@SETTINGS
@given(pick=st.data(), expected=st.booleans(), per_value=st.sampled_from([None, 12000, 40000]))
def test_the_enumerator_finds_no_better_robust_design(
    pick, expected, per_value, data, spaces, random_cases, factor_sets
):
    """On the value, and on the gross margin each world earns at a price per unit of value (what a
    product line's market judged across worlds maximises: explore portfolio --world)."""
    case = pick.draw(random_cases, label="case")
    extra = pick.draw(st.lists(factor_sets, min_size=1, max_size=2), label="extra")
    problems = worlds(case, extra, data, spaces)
    weights = [3, 1, 2][: len(problems)] if expected else None
    t = problems[0].tables
    cost_weight = round(t.scales.value * t.scales.fee_basis / (per_value * 100)) if per_value else 0
    enc = encode_robust(t, [p.plan for p in problems], weights, cost_weight)
    sol = solve(enc)
    ref = brute.best_robust(t, [p.plan for p in problems], weights, cost_weight)
    assert (sol.status.value == "OPTIMAL") == ref.feasible
    if ref.feasible:
        assert (sol.net, sol.cost_cents, sol.knobs) == (ref.net, ref.cost_cents, ref.knobs)


@pytest.mark.slow
@SETTINGS
@given(pick=st.data())
def test_a_worst_case_design_complies_everywhere_and_no_world_does_worse_alone(
    pick, data, spaces, random_cases, factor_sets
):
    case = pick.draw(random_cases, label="case")
    extra = pick.draw(st.lists(factor_sets, min_size=1, max_size=2), label="extra")
    problems = worlds(case, extra, data, spaces)
    sol = robust_solve(problems)
    if sol.status.value != "OPTIMAL":
        return
    design = s.decode(problems[0], sol.knobs)
    scale = problems[0].tables.scales.value * problems[0].tables.scales.fee_basis
    for p in problems:
        _, _, verdict, _, net = s.judge(p, design)
        assert verdict.outcome.rank <= p.plan.allowed  # the checker agrees in every world
        own = solve(encode(p.tables, p.plan))
        assert own.status.value == "OPTIMAL" and Fraction(sol.net, scale) <= Fraction(own.net, scale)
        assert abs(net - Fraction(sol.net, scale)) < Fraction(1, 10**4) or net > Fraction(sol.net, scale)


@pytest.mark.slow
@SETTINGS
@given(pick=st.data())
def test_with_one_world_the_robust_search_is_the_plain_search(pick, data, spaces, random_cases):
    case = pick.draw(random_cases, label="case")
    p = build(case, data, spaces)
    robust, plain = robust_solve([p]), solve(encode(p.tables, p.plan))
    assert (robust.status, robust.net, robust.cost_cents) == (plain.status, plain.net, plain.cost_cents)


@pytest.mark.slow
@SETTINGS
@given(pick=st.data())
def test_adding_a_world_never_raises_the_worst_case_and_order_never_matters(
    pick, data, spaces, random_cases, factor_sets
):
    case = pick.draw(random_cases, label="case")
    extra = pick.draw(st.lists(factor_sets, min_size=2, max_size=2), label="extra")
    two = worlds(case, extra[:1], data, spaces)
    three = worlds(case, extra, data, spaces)
    a, b = robust_solve(two), robust_solve(three)
    if b.status.value == "OPTIMAL":
        assert a.status.value == "OPTIMAL" and b.net <= a.net
    reordered = robust_solve(three[::-1])
    assert (reordered.status, reordered.net, reordered.cost_cents) == (b.status, b.net, b.cost_cents)


def test_robust_gh100_across_today_the_safe_chips_act_and_lifted_april_lines(data) -> None:
    r = rb.robust(
        "gh100", "china", ["safe-chips-act", "april-2025-lines-lifted"], as_of="2026-11-28", data=data
    )
    assert r.status == "OPTIMAL" and [w.world for w in r.worlds] == [
        "today",
        "safe-chips-act",
        "april-2025-lines-lifted",
    ]
    assert all(w.allowed for w in r.worlds)
    assert r.objective == min(w.value for w in r.worlds)
    assert all(w.regret >= 0 for w in r.worlds)
    lifted = r.worlds[2]
    assert lifted.regret > 0  # without the April lines, more bandwidth would pay: robustness costs there
    assert r.price_of_robustness == r.worlds[0].own_best - r.worlds[0].value


def test_expected_value_counts_nothing_where_a_world_refuses_the_design(data) -> None:
    r = rb.robust(
        "gh100",
        "china",
        ["safe-chips-act"],
        mode="expected",
        weights="today=3,safe-chips-act=1",
        as_of="2026-11-28",
        allow=Outcome.LICENSE_CASE_BY_CASE,
        data=data,
        assume_us_launch="2025-06-01",
    )
    today, safe = r.worlds
    assert today.weight == Fraction(3, 4) and safe.weight == Fraction(1, 4)
    assert not safe.allowed and safe.value == 0  # the bill denies the licensed design
    assert r.objective == Fraction(3, 4) * today.value


@pytest.mark.parametrize(
    ("weights", "field"), [("nowhere=1", "nowhere"), ("today=-1", "today"), ("today=x", "today")]
)
def test_bad_weights_are_one_clear_error(weights, field) -> None:
    from explorer.model.errors import InputError

    with pytest.raises(InputError, match="--weights"):
        rb.parse_weights(weights, ["today", "safe-chips-act"])
