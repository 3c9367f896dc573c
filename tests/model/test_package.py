"""Compute dies per package: a package variant is the full package less some compute dies, exactly.

The solver and the enumerator agree on variants through test_search_properties.py,
which draws gb100-1die among its dies; here the variant itself is checked against
the package it comes from.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.model import cost
from explorer.model.checker import classify
from explorer.model.metrics import applicable_die_area_mm2
from explorer.model.outcomes import Outcome
from explorer.model.space import Design, build_space, to_sku
from explorer.search import run as s


@pytest.fixture(scope="module")
def full_package(data):
    """GB100 as packaged: two compute dies."""
    return data.catalog.dies["gb100"]


@pytest.fixture(scope="module")
def variant(data):
    """The one-die variant of the GB100 package."""
    return data.catalog.dies["gb100-1die"]


@pytest.fixture(scope="module")
def variant_space(data, cfg, variant):
    return build_space(variant, data.catalog, cfg)


def test_the_variant_carries_one_of_two_dies_and_what_goes_with_it(full_package, variant) -> None:
    assert variant.variant_of == "gb100" and variant.compute_dies == 1
    assert applicable_die_area_mm2(variant) * 2 == applicable_die_area_mm2(full_package)
    assert variant.units_full.value * 2 == full_package.units_full.value
    assert variant.units_max_enabled.value * 2 == full_package.units_max_enabled.value  # 74 of 80 on each die
    assert variant.hbm.sites.value * 2 == full_package.hbm.sites.value
    assert variant.links.count_max.value * 2 == full_package.links.count_max.value
    assert variant.power.limit_w_max.value * 2 == full_package.power.limit_w_max.value
    assert variant.package_share == Fraction(1, 2)


@settings(max_examples=60, deadline=None)
@given(pick=st.data())
def test_a_one_die_design_is_the_same_knobs_on_half_the_silicon(
    pick, data, costs, full_package, variant, variant_space
) -> None:
    """Same units, clock and memory on one die: the same TPP and bandwidth, twice the density, lower cost.

    Catches a variant whose area, units or throughput do not follow the die count. The knobs come from
    the variant's space, a module fixture, so the body draws them.
    """
    units = pick.draw(st.sampled_from(variant_space.units), label="units")
    clock = pick.draw(st.sampled_from(variant_space.clocks_mhz), label="clock")
    rate = pick.draw(st.sampled_from(variant_space.rate_limits), label="rate")
    memory = pick.draw(st.sampled_from(variant_space.memory), label="memory")
    links = pick.draw(st.sampled_from(variant_space.links), label="links")
    design = Design("gb100-1die", units, clock, rate, memory, links, True)
    variant_metrics = data.catalog.metrics(to_sku(design, variant))
    full_metrics = data.catalog.metrics(to_sku(dataclasses.replace(design, die="gb100"), full_package))
    assert variant_metrics.tpp == full_metrics.tpp
    assert variant_metrics.performance_density == 2 * full_metrics.performance_density
    assert variant_metrics.memory_bandwidth_gbps == full_metrics.memory_bandwidth_gbps
    assert variant_metrics.io_bidirectional_gbps == full_metrics.io_bidirectional_gbps
    assert cost.unit_cost_usd(design, variant, costs) < cost.unit_cost_usd(design, full_package, costs)


def test_the_search_over_every_base_includes_the_variant_and_it_complies(data) -> None:
    """The B30A-style part for China today: found, proved, and judged by the independent checker."""
    result = s.search("gb100-1die", "china", "2026-11-29", data=data)
    assert "gb100-1die" in data.catalog.design_bases()
    assert result.design is not None and result.design.die == "gb100-1die"
    assert result.status == "OPTIMAL"
    facts = s.problem("gb100-1die", data=data).facts
    verdict = classify(
        result.metrics, result.target, result.as_of, data.rules, facts
    )  # the independent checker
    assert verdict.outcome is Outcome.NOT_CONTROLLED
