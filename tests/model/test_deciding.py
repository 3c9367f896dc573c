"""The line that decides a verdict: only lines whose crossing alone changes the outcome count."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from helpers import NEW_DESIGN, chip

from explorer import api
from explorer.model.checker import classify
from explorer.model.deciding import across, deciding_lines
from explorer.model.destinations import resolve_target
from explorer.model.outcomes import Outcome
from explorer.model.rules import Op

ON = dt.date(2024, 6, 1)  # the October 2023 lines in force, nothing reported yet


def _lines(metrics):
    data = api.load()
    target = resolve_target(data.destinations, "CN", ON)
    verdict = classify(metrics, target, ON, data.rules, NEW_DESIGN)
    return verdict, deciding_lines(metrics, verdict, target, ON, data.rules, NEW_DESIGN)


def test_a_plain_design_under_a_tpp_line_is_decided_by_that_line() -> None:
    # H20-like: TPP 2,368 under 3A090.b.1's 2,400; density 2.91 inside b.1's [1.6, 5.92)
    verdict, lines = _lines(chip(Fraction(2368), Fraction(814), Fraction(4000), Fraction(900)))
    assert verdict.outcome is Outcome.NOT_CONTROLLED
    first = lines[0]
    assert (first.margin.paragraph, first.margin.metric, first.margin.op) == ("3A090.b.1", "tpp", ">=")
    assert first.side == "below" and first.outcome_if_crossed is not Outcome.NOT_CONTROLLED
    assert abs(first.distance_pct - Fraction(32, 2400) * 100) < Fraction(1, 10**6)
    # every line listed changes the outcome when crossed alone, and is sorted nearest first
    assert [d.distance_pct for d in lines] == sorted(d.distance_pct for d in lines)


def test_a_clear_line_that_changes_nothing_is_not_the_nearest() -> None:
    # H100-like: caught by 3A090.a.1 (TPP >= 4,800); b.1's density < 5.92 is clear by 229% but crossing
    # it alone leaves a.1 holding, so the outcome stays and it is no deciding line
    metrics = chip(Fraction(15832), Fraction(814), Fraction(3350), Fraction(900))
    verdict, lines = _lines(metrics)
    assert verdict.outcome is not Outcome.NOT_CONTROLLED
    assert all(d.margin.metric != "performance_density" or d.margin.paragraph != "3A090.b.1" for d in lines)
    data, target = api.load(), resolve_target(api.load().destinations, "CN", ON)
    for g in verdict.margins:
        if g.role in ("control", "relief") and g.threshold:
            moved = classify(across(metrics, g), target, ON, data.rules, NEW_DESIGN, detail=False)
            assert (moved.outcome != verdict.outcome) == any(d.margin == g for d in lines)


def test_across_moves_one_metric_just_past_its_line_in_the_right_direction() -> None:
    metrics = chip(Fraction(2368), Fraction(814), Fraction(4000), Fraction(900))
    verdict, _ = _lines(metrics)
    for g in verdict.margins:
        moved = across(metrics, g).value(g.metric)
        assert moved is not None and not isinstance(moved, bool)
        assert Op(g.op).holds(moved, g.threshold) != g.holds
        assert abs(moved - g.threshold) <= abs(g.threshold) / 10**8 + Fraction(1, 10**8)
        assert all(
            across(metrics, g).value(m) == metrics.value(m)
            for m in ("tpp", "memory_bandwidth_gbps")
            if m != g.metric
        )
