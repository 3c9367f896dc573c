"""Properties of the independent checker over random chips, targets and dates."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from helpers import NEW_DESIGN, chip
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import api
from explorer.model.checker import classify, outcome_for, rules_in_force
from explorer.model.destinations import resolve_target
from explorer.model.metrics import Metrics
from explorer.model.outcomes import Outcome
from explorer.model.rules import Op

TARGETS = [
    *["CN", "CN", "CN", "MO", "HK", "RU", "SA", "AE", "IN", "DE", "IL", "US", "KH", "VN", "IR", "SY", "UA-43"]
]


def rule_change_dates(rules) -> list[dt.date]:
    """Every day a rule comes into force or ends."""
    return sorted({d for r in rules for d in (r.effective_from, r.effective_until) if d})


def threshold_values(rules, metric: str) -> list[Fraction]:
    """Every threshold the rules set on a metric, in a control, a relief or a charge."""
    return sorted(
        {
            c.value
            for r in rules
            for item in (*r.controls, *r.reliefs, *r.charges)
            for c in item.clauses
            if c.metric == metric
        }
    )


# The strategies below read the rules when hypothesis first draws from them (st.deferred), not at import.

# dates on and around each rule change, and anywhere in between
dates = st.one_of(
    st.deferred(lambda: st.sampled_from(rule_change_dates(api.load().rules))),
    st.dates(min_value=dt.date(2022, 10, 1), max_value=dt.date(2027, 12, 31)),
)


def near_lines(metric: str) -> st.SearchStrategy[Fraction]:
    """Values on, just off and around every threshold the data sets on a metric, or anywhere."""
    lines = st.deferred(lambda: st.sampled_from(threshold_values(api.load().rules, metric)))
    factors = [
        Fraction(9, 10),
        Fraction(999, 1000),
        Fraction(1),
        Fraction(1001, 1000),
        Fraction(11, 10),
    ]
    return st.one_of(
        st.builds(lambda v, f: v * f, lines, st.sampled_from(factors)),
        st.fractions(min_value=0, max_value=60000, max_denominator=1000),
    )


amounts = near_lines("tpp")


def judge(data: api.Data, metrics: Metrics, code: str, on: dt.date) -> Outcome:
    return classify(metrics, resolve_target(data.destinations, code, on), on, data.rules, NEW_DESIGN).outcome


def lowest_trigger(rules, metric: str) -> Fraction:
    """The smallest >= or > threshold any control in the data sets on a metric."""
    values = [
        c.value
        for r in rules
        for ctl in r.controls
        for c in ctl.clauses
        if c.metric == metric and c.op in (Op.GE, Op.GT)
    ]
    return min(values)


@given(
    fraction=st.fractions(min_value=0, max_value=Fraction(999, 1000)),
    area=st.fractions(min_value=50, max_value=3000),
    datacenter=st.booleans(),
    code=st.sampled_from(TARGETS),
    on=dates,
)
def test_a_chip_below_every_triggering_line_is_not_controlled(fraction, area, datacenter, code, on, data):
    """Below every line a chip is free, unless an embargo (a control with no line) covers the target."""
    rules = data.rules
    tpp = min(lowest_trigger(rules, "tpp"), lowest_trigger(rules, "performance_density") * area) * fraction
    memory = lowest_trigger(rules, "memory_bandwidth_gbps") * fraction
    io = (
        min(
            lowest_trigger(rules, "io_bidirectional_gbps"),
            lowest_trigger(rules, "memory_plus_io_gbps") - memory,
        )
        * fraction
    )
    assert judge(data, chip(tpp, area, memory, io, datacenter), code, on) is embargo(data, code, on)


def embargo(data: api.Data, code: str, on: dt.date) -> Outcome:
    """The outcome that controls without any metric line or fact set for the target (an embargo)."""
    target = resolve_target(data.destinations, code, on)
    levels = [
        outcome_for(c.outcome, target)
        for r in rules_in_force(data.rules, target, on)
        for c in r.controls
        if not c.clauses and not c.facts
    ]
    return max((x for x in levels if x), key=lambda o: o.rank, default=Outcome.NOT_CONTROLLED)


@settings(max_examples=400)
@given(
    tpp=near_lines("tpp"),
    more_tpp=near_lines("tpp"),
    memory=near_lines("memory_bandwidth_gbps"),
    more_memory=near_lines("memory_bandwidth_gbps"),
    io=near_lines("io_bidirectional_gbps"),
    more_io=near_lines("io_bidirectional_gbps"),
    area=st.fractions(min_value=50, max_value=3000),
    datacenter=st.booleans(),
    code=st.sampled_from(TARGETS),
    on=dates,
)
def test_a_stronger_chip_is_never_less_restricted(
    tpp, more_tpp, memory, more_memory, io, more_io, area, datacenter, code, on, data
):
    weak = judge(data, chip(tpp, area, memory, io, datacenter), code, on)
    for stronger in (
        chip(tpp + more_tpp, area, memory, io, datacenter),
        chip(tpp, area, memory + more_memory, io, datacenter),
        chip(tpp, area, memory, io + more_io, datacenter),
        chip(tpp, area, memory, io, True),
    ):
        assert judge(data, stronger, code, on).rank >= weak.rank


@given(
    tpp=amounts,
    memory=amounts,
    io=amounts,
    area=st.fractions(min_value=50, max_value=3000),
    code=st.sampled_from(TARGETS),
    on=dates,
)
def test_margins_are_signed_distances_to_each_line(tpp, memory, io, area, code, on, data):
    metrics = chip(tpp, area, memory, io)
    verdict = classify(metrics, resolve_target(data.destinations, code, on), on, data.rules, NEW_DESIGN)
    for g in verdict.margins:
        assert abs(g.margin) == abs(g.value - g.threshold)
        assert (g.margin <= 0) if g.holds else (g.margin >= 0)
        assert g.holds == Op(g.op).holds(g.value, g.threshold)


def test_a_chip_exactly_on_the_line_is_caught_and_one_just_below_is_not(data) -> None:
    on = dt.date(2024, 6, 1)
    area = Fraction(1000)
    assert (
        judge(data, chip(Fraction(4800), area, Fraction(0), Fraction(0)), "CN", on)
        is Outcome.LICENSE_PRESUMED_DENIAL
    )
    below = Fraction(4800) - Fraction(1, 10**9)
    just_below = judge(data, chip(below, area, Fraction(0), Fraction(0)), "CN", on)
    assert just_below is Outcome.NOTIFICATION  # 3A090.b.1


def test_the_fee_is_charged_once_on_the_licensed_path(data) -> None:
    on = dt.date(2025, 9, 1)
    verdict = api.classify("h20", "china", on, data).verdict
    assert [c.percent for c in verdict.charges] == [15]
    assert api.classify("l20", "china", on, data).verdict.charges == []


def test_a_rule_is_in_force_from_its_first_day_until_the_day_before_its_end(data) -> None:
    rule = next(r for r in data.rules if r.id == "us-bis-2022-10-acs")
    assert rule.in_force(dt.date(2022, 10, 7)) and not rule.in_force(dt.date(2022, 10, 6))
    assert rule.in_force(dt.date(2023, 11, 16)) and not rule.in_force(dt.date(2023, 11, 17))


def test_the_headquarters_rule_skips_d_group_destinations_unless_also_in_a5_or_a6(data) -> None:
    """744.23(a)(3): 'other than those specified in Country Groups D:1, D:4, or D:5 (excluding any
    destination also specified in Country Groups A:5 or A:6)'."""
    rule = next(r for r in data.rules if r.id == "us-bis-2024-04-hq")
    on = dt.date(2024, 6, 1)
    reached = {
        name: rule in rules_in_force(data.rules, resolve_target(data.destinations, name, on), on)
        for name in ("china", "macau", "hong kong", "vietnam", "saudi arabia", "israel", "singapore", "us")
    }
    # Israel is D:4 and A:6, so the exclusion does not hold there; the US is no export
    assert reached == {
        "china": False,
        "macau": False,
        "hong kong": False,
        "vietnam": False,
        "saudi arabia": False,
        "israel": True,
        "singapore": True,
        "us": False,
    }
