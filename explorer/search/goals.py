"""What the search maximises: performance, margin, revenue or performance per dollar, as solver stages."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from explorer.load.loader import load_prices
from explorer.model import value as v
from explorer.model.economics import GOALS, Goal, PriceCurve
from explorer.model.errors import InputError

if TYPE_CHECKING:
    from explorer.search.encode import Encoded
    from explorer.search.run import Problem
    from explorer.search.solve import Stage


def price_curve(
    p: Problem, price_usd: Fraction | None, usd_per_value: Fraction | None = None
) -> PriceCurve | None:
    """The problem's price curve: a fixed price, dollars per unit of value (a market's own curve), or the
    anchor SKU of its die and market (None if unknown)."""
    if price_usd is not None:
        return PriceCurve(fixed_usd=Fraction(price_usd))
    if usd_per_value is not None:
        return PriceCurve(usd_per_value=Fraction(usd_per_value))
    if len(p.space.datacenter) != 1:
        return None
    anchor = load_prices(p.data.root).anchor(p.die.id, p.space.datacenter[0])
    if anchor is None:
        return None
    sku = p.data.catalog.skus[anchor.sku]
    worth = v.value(v.resources(p.data.catalog.metrics(sku), p.objective), p.reference, p.objective)
    if not worth:  # the anchor cannot run this workload (it does not fit): no curve through it
        return None
    return PriceCurve(usd_per_value=anchor.price_usd.value / worth, anchor_sku=sku.id)


def parse_goal(text: Goal | str) -> Goal:
    """A goal by name; anything else is bad input (one line, exit 2)."""
    if text not in GOALS:
        raise InputError("--objective", "", text, f"one of: {', '.join(GOALS)} or a value model")
    return Goal(text)


def is_plain(goal: Goal, curve: PriceCurve | None) -> bool:
    """Whether the goal's stages are the plain search's: the net value, then the lowest cost and indices
    (revenue along a market curve is proportional to the net value)."""
    return goal is Goal.PERF or (goal is Goal.NET_REVENUE and curve is not None and curve.fixed_usd is None)


def stages(goal: Goal | str, enc: Encoded, p: Problem, curve: PriceCurve | None) -> list[Stage]:
    """Lexicographic solver stages for a goal; ties always end at the lowest cost, then the lowest knob
    indices (`Encoded.cheapest`)."""
    goal = parse_goal(goal)
    if goal in (Goal.GROSS_MARGIN, Goal.NET_REVENUE) and curve is None:
        raise InputError(
            "--price",
            "",
            None,
            f"a price: no anchor SKU for {p.die.id} in this market in specs/economics/prices.toml",
        )
    s = p.tables.scales
    basis = s.fee_basis
    if is_plain(goal, curve):
        return [("max", enc.net), *enc.cheapest]
    assert curve is not None, f"{goal}: a price curve (checked above; perf-per-dollar runs frontiers instead)"
    if curve.fixed_usd is not None:
        price_cents = round(curve.fixed_usd * 100)
        revenue = price_cents * basis - sum(price_cents * bp * lit for bp, lit in enc.fees)
        first = revenue if goal is Goal.NET_REVENUE else revenue - basis * enc.total_cost
        return [("max", first), ("max", enc.net), *enc.cheapest]
    # gross margin on the curve: net value x dollars per value, less cost, in units of the net objective
    assert curve.usd_per_value is not None, "a curve without a fixed price runs through its anchor"
    per_cent = round(s.value * basis / (curve.usd_per_value * 100))
    return [("max", enc.net - per_cent * enc.total_cost), ("max", enc.net), *enc.cheapest]
