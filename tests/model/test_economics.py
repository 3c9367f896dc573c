"""Cost, fees, objectives and exact frontiers."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.model import cost
from explorer.model.outcomes import Outcome
from explorer.search import brute, frontiers
from explorer.search import run as s


@given(area=st.floats(50, 850), more=st.floats(1, 400), d0=st.floats(0.01, 0.3))
def test_bigger_dies_yield_less_and_cost_more(area, more, d0):
    assert cost.poisson_yield(area + more, d0) < cost.poisson_yield(area, d0)
    assert cost.dies_per_wafer(area + more) < cost.dies_per_wafer(area)


def test_harvesting_never_raises_the_cost_of_a_part(die_id, data, costs):
    d = data.catalog.dies[die_id]
    prices = [cost.logic_cost_usd(d, k, costs) for k in range(1, int(d.units_full.value) + 1)]
    assert all(a <= b for a, b in zip(prices, prices[1:], strict=False))  # fewer enabled units: never dearer
    assert prices[0] < cost.logic_cost_usd(d, int(d.units_full.value), costs) or d.units_full.value == 1


def test_more_memory_capacity_costs_more(data, costs):
    p = s.problem("gb202", "china", "2024-06-01", data=data)
    by_width = {}
    for m in p.space.memory:
        by_width.setdefault(
            (m.technology, m.bus_width_bits, m.pin_rate_gbps, m.device_capacity_gb), []
        ).append(m)
    for options in by_width.values():
        options.sort(key=lambda m: m.capacity_gb)
        prices = [cost.memory_cost_usd(m, costs, p.die) for m in options]
        assert all(a < b for a, b in zip(prices, prices[1:], strict=False))


def test_the_fee_is_taken_once_on_the_path_that_carries_it(data):
    """On the January 2026 path the announced share and the Section 232 duty are one 25% payment."""
    licensed = s.search(
        "gh100",
        "china",
        "2026-02-01",
        allow=Outcome.LICENSE_CASE_BY_CASE,
        exact=True,
        data=data,
        explain=False,
        assume_us_launch="2025-06-01",
    )
    assert licensed.verdict.outcome is Outcome.LICENSE_CASE_BY_CASE
    assert [c.percent for c in licensed.verdict.charges] == [25]
    e = licensed.economics
    assert e.fee_percent == 25 and e.value == e.value_before_fees * Fraction(75, 100)
    assert e.net_revenue_usd == e.price_usd * Fraction(75, 100)
    free = s.search("gh100", "china", "2025-09-01", data=data, explain=False)
    assert free.economics.fee_percent == 0 and free.economics.value == free.economics.value_before_fees


def test_each_goal_wins_on_its_own_measure(data):
    runs = {
        g: s.search("gh100", "china", "2024-06-01", data=data, goal=g, explain=False)
        for g in ("perf", "gross-margin", "perf-per-dollar")
    }
    e = {g: r.economics for g, r in runs.items()}
    assert all(r.status == "OPTIMAL" for r in runs.values())
    assert e["perf"].value >= max(x.value for x in e.values())
    margin = {g: x.gross_margin_usd for g, x in e.items()}
    assert margin["gross-margin"] >= max(margin.values()) - Fraction(1, 100)
    assert e["perf-per-dollar"].value_per_kusd >= max(x.value_per_kusd for x in e.values())


def test_a_fixed_price_net_revenue_search_avoids_fees(data):
    r = s.search(
        "gh100",
        "china",
        "2025-09-01",
        allow=Outcome.LICENSE_CASE_BY_CASE,
        goal="net-revenue",
        price_usd=Fraction(12000),
        data=data,
        explain=False,
    )
    assert r.economics.fee_percent == 0 and r.economics.net_revenue_usd == 12000


def small(base: str, date: str, data):
    p = s.problem(base, "china", date, data=data)
    sp = p.space
    tiny = dataclasses.replace(
        sp, units=sp.units[::12], clocks_mhz=sp.clocks_mhz[::9], memory=sp.memory[::5], links=sp.links[::6]
    )
    return s.problem(base, "china", date, data=data, space=tiny)


@pytest.mark.parametrize(("base", "date"), [("gh100", "2024-06-01"), ("gb202", "2025-09-01")])
def test_frontier_points_are_non_dominated_and_optimal_for_their_bound(base, date, data):
    p = small(base, date, data)
    points, complete = frontiers.cost_frontier(p)
    assert complete and len(points) >= 2
    for a in points:
        for b in points:
            if a is not b:
                assert not (b.x <= a.x and b.value >= a.value and (b.x, b.value) != (a.x, a.value))
    for q in points:
        ref = brute.best(p.tables, p.plan, max_total_cost=int(q.x * 100))
        assert (ref.net, ref.cost_cents) == (q.solution.net, q.solution.cost_cents)
