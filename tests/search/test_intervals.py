"""The interval search (what the plain search runs): its lemma, its cuts, and the enumerator's design."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_search_properties import SETTINGS, Case, build, cases, count_thresholds, design_spaces

from explorer.model.rules import Combine, Op
from explorer.search import brute, intervals
from explorer.search import run as s
from explorer.search.encode import encode
from explorer.search.intmodel import Atom
from explorer.search.plan import Plan, PlannedCharge, PlannedControl
from explorer.search.solve import solve
from explorer.search.start import first_design


@pytest.fixture(scope="module")
def spaces(data, cfg):
    return design_spaces(data, cfg)


@pytest.fixture(scope="module")
def random_cases(data, spaces) -> st.SearchStrategy[Case]:
    return cases(spaces, count_thresholds(data.rules))


@pytest.mark.slow
@settings(SETTINGS, max_examples=150)
@given(pick=st.data())
def test_the_interval_search_finds_the_enumerators_design(pick, data, spaces, random_cases):
    """The same design (net value, cost and every knob), or no design on both sides."""
    p = build(pick.draw(random_cases, label="case"), data, spaces)
    got, ref = intervals.solve(p.tables, p.plan), brute.best(p.tables, p.plan)
    assert got is not None, "the shipped fees never reach the whole price"
    assert (got.knobs is not None) == ref.feasible
    assert (got.net, got.cost_cents, got.knobs) == (ref.net, ref.cost_cents, ref.knobs)


@st.composite
def lines_on_a_class(draw):
    """A rate class (TPP = a x Q, Q = step x units x clock) and TPP lines on and beside multiples of a."""
    a = draw(st.integers(1, 40))
    steps = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True)))
    units = np.unique(np.array(draw(st.lists(st.integers(1, 30), min_size=1, max_size=6)), dtype=np.int64))
    clocks = np.unique(np.array(draw(st.lists(st.integers(1, 30), min_size=1, max_size=6)), dtype=np.int64))
    cls = intervals.RateClass(a, 1, tuple(range(len(steps))), steps, units, clocks)
    bounds = draw(st.lists(st.tuples(st.integers(0, 3700), st.integers(-1, 1)), max_size=8))
    atoms = [Atom("tpp", draw(st.sampled_from([Op.GE, Op.LE])), a * x + e) for x, e in bounds]
    return cls, atoms


@settings(max_examples=300, deadline=None)
@given(case=lines_on_a_class())
def test_every_reached_q_lies_in_one_interval_where_every_tpp_clause_is_constant(case):
    """The cuts and the highest reached Q: off by one, a design just below a line would be scored as if
    above it, or a reached Q left out."""
    cls, atoms = case
    reached = np.unique([g * u * c for g in cls.steps for u in cls.units for c in cls.clocks])
    plan = Plan([PlannedControl("r", "p", 5, Combine.ANY, atoms)], [], [], 0)
    lo, top = intervals.intervals(cls, plan)
    assert (np.diff(lo) > 0).all() and (top >= lo).all()
    seen = 0
    for i in range(len(lo)):
        inside = reached[(reached >= lo[i]) & (reached <= top[i])]
        assert top[i] in inside  # the highest reached Q is reached
        seen += inside.size
        for x in atoms:
            tpp = cls.tpp_per_q * np.arange(
                lo[i], top[i] + 1
            )  # every integer Q of the interval, reached or not
            holds = set((tpp >= x.bound) if x.op is Op.GE else (tpp <= x.bound))
            assert len(holds) == 1, (x, lo[i], top[i])
        if i + 1 < len(lo):
            assert not ((reached > top[i]) & (reached < lo[i + 1])).any()  # nothing reached above the top
    assert seen == reached.size  # every reached Q, once


@settings(SETTINGS, max_examples=40)
@given(pick=st.data(), seed=st.integers(0, 2**32 - 1))
def test_the_value_never_falls_as_flops_rise(pick, seed, data, spaces, random_cases):
    """The lemma the interval search rests on (the value is read at the top of each interval)."""
    t = build(pick.draw(random_cases, label="case"), data, spaces).tables
    rng = np.random.default_rng(seed)
    n = 500
    top = max(t.units) * max(t.clocks) * max(t.k_flops)
    low = rng.integers(0, top, n)
    high = low + rng.integers(0, top // 4 + 1, n)
    m, k, d = (rng.integers(0, size, n) for size in brute.sizes(t)[3:])
    zero = np.zeros(n, dtype=np.int64)
    below = brute.value_of(t, brute.resources_at(t, zero, low, m, k, d))
    above = brute.value_of(t, brute.resources_at(t, zero, high, m, k, d))
    assert (above >= below).all()


def test_fees_that_could_reach_the_price_go_to_cp_sat(data) -> None:
    p = s.problem("gh100", "china", "2026-02-01", data=data)
    assert intervals.applies(p.tables, p.plan)
    whole = PlannedCharge("x", "p", Combine.ALL, [], p.tables.scales.fee_basis)
    assert not intervals.applies(p.tables, dataclasses.replace(p.plan, charges=[*p.plan.charges, whole]))
    assert intervals.solve(p.tables, dataclasses.replace(p.plan, charges=[*p.plan.charges, whole])) is None


@pytest.mark.slow
@pytest.mark.parametrize("as_of", ["2023-11-20", "2026-02-01"])
def test_on_every_default_space_the_interval_search_and_cp_sat_agree(as_of, data) -> None:
    """Spaces too large to enumerate: the two exact methods hold each other to one design."""
    for base in data.catalog.design_bases():
        p = s.problem(base, "china", as_of, data=data)
        got = intervals.solve(p.tables, p.plan)
        cp = solve(encode(p.tables, p.plan), 60, start=first_design(p.tables, p.plan))
        assert got is not None and cp.status.value == got.status.value == "OPTIMAL", base
        assert (got.net, got.cost_cents, got.knobs) == (cp.net, cp.cost_cents, cp.knobs), base
