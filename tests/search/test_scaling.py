"""Integer scaling never flips a verdict, and a guard band only ever makes the rules stricter."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from helpers import NEW_DESIGN, chip
from hypothesis import given
from hypothesis import strategies as st

from explorer.model.checker import classify
from explorer.model.destinations import resolve_target
from explorer.model.rules import Op
from explorer.search.guard import with_guard_band
from explorer.search.scaling import integer_bound


@given(
    x=st.integers(-(10**12), 10**12),
    threshold=st.fractions(min_value=-(10**12), max_value=10**12, max_denominator=10**6),
    op=st.sampled_from([Op.GE, Op.GT, Op.LE, Op.LT]),
)
def test_an_integer_bound_holds_exactly_when_the_rational_one_does(x, threshold, op):
    new_op, bound = integer_bound(op, threshold)
    assert isinstance(bound, int)
    assert op.holds(Fraction(x), threshold) == new_op.holds(x, bound)


@given(
    tpp=st.fractions(min_value=0, max_value=40000, max_denominator=100),
    area=st.fractions(min_value=100, max_value=2500),
    memory=st.fractions(min_value=0, max_value=9000, max_denominator=10),
    io=st.fractions(min_value=0, max_value=2500, max_denominator=10),
    datacenter=st.booleans(),
    margin=st.fractions(min_value=0, max_value=30, max_denominator=10),
    code=st.sampled_from(["CN", "MO", "SA", "IN", "DE"]),
    on=st.dates(min_value=dt.date(2022, 10, 1), max_value=dt.date(2027, 1, 1)),
)
def test_a_guard_band_never_makes_an_outcome_less_restrictive(
    tpp, area, memory, io, datacenter, margin, code, on, data
):
    metrics = chip(tpp, area, memory, io, datacenter)
    target = resolve_target(data.destinations, code, on)
    real = classify(metrics, target, on, data.rules, NEW_DESIGN).outcome
    guarded = classify(metrics, target, on, with_guard_band(data.rules, margin), NEW_DESIGN).outcome
    assert guarded.rank >= real.rank
