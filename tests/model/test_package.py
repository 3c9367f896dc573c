"""Compute dies per package: a package variant is the full package less some compute dies, exactly.

The solver and the enumerator agree on variants through test_search_properties.py,
which draws gb100-1die among its dies; here the variant itself is checked against
the package it comes from.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import api
from explorer.load.loader import load_costs, load_space_config
from explorer.model import cost
from explorer.model.checker import classify
from explorer.model.metrics import applicable_die_area_mm2
from explorer.model.outcomes import Outcome
from explorer.model.space import Design, build_space, to_sku
from explorer.search import run as s

DATA = api.load()
CFG = load_space_config()
FULL, ONE = DATA.catalog.dies["gb100"], DATA.catalog.dies["gb100-1die"]
SPACE = build_space(ONE, DATA.catalog, CFG)
COSTS = load_costs(DATA.root)


def test_the_variant_carries_one_of_two_dies_and_what_goes_with_it() -> None:
    assert ONE.variant_of == "gb100" and ONE.compute_dies == 1
    assert applicable_die_area_mm2(ONE) * 2 == applicable_die_area_mm2(FULL)
    assert ONE.units_full.value * 2 == FULL.units_full.value
    assert ONE.units_max_enabled.value * 2 == FULL.units_max_enabled.value  # 74 of 80 on each die
    assert ONE.hbm.sites.value * 2 == FULL.hbm.sites.value
    assert ONE.links.count_max.value * 2 == FULL.links.count_max.value
    assert ONE.power.limit_w_max.value * 2 == FULL.power.limit_w_max.value
    assert ONE.package_share == Fraction(1, 2)


@settings(max_examples=60, deadline=None)
@given(
    units=st.sampled_from(SPACE.units),
    clock=st.sampled_from(SPACE.clocks_mhz),
    rate=st.sampled_from(SPACE.rate_limits),
    memory=st.sampled_from(SPACE.memory),
    links=st.sampled_from(SPACE.links),
)
def test_a_one_die_design_is_the_same_knobs_on_half_the_silicon(units, clock, rate, memory, links) -> None:
    """Same units, clock and memory on one die: the same TPP and bandwidth, twice the density, lower cost.

    Catches a variant whose area, units or throughput do not follow the die count.
    """
    design = Design("gb100-1die", units, clock, rate, memory, links, True)
    one = DATA.catalog.metrics(to_sku(design, ONE))
    full = DATA.catalog.metrics(to_sku(dataclasses.replace(design, die="gb100"), FULL))
    assert one.tpp == full.tpp
    assert one.performance_density == 2 * full.performance_density
    assert one.memory_bandwidth_gbps == full.memory_bandwidth_gbps
    assert one.io_bidirectional_gbps == full.io_bidirectional_gbps
    assert cost.unit_cost_usd(design, ONE, COSTS) < cost.unit_cost_usd(design, FULL, COSTS)


def test_the_search_over_every_base_includes_the_variant_and_it_complies() -> None:
    """The B30A-style part for China today: found, proved, and judged by the independent checker."""
    result = s.search("gb100-1die", "china", "2026-11-29", data=DATA)
    assert "gb100-1die" in DATA.catalog.design_bases()
    assert result.design is not None and result.design.die == "gb100-1die"
    assert result.status == "OPTIMAL"
    facts = s.problem("gb100-1die", data=DATA).facts
    verdict = classify(
        result.metrics, result.target, result.as_of, DATA.rules, facts
    )  # the independent checker
    assert verdict.outcome is Outcome.NOT_CONTROLLED
