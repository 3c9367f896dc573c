"""Verdicts over estimated figures: judge a chip across each figure's plausible range.

An estimated figure (a die area nobody published, a memory grade from an
unofficial table) carries `low` and `high`. The checker's verdict is taken
across that range: if it changes, the verdict is uncertain, and the figure and
the value at which it flips are named. Every metric is monotone in each figure,
so each clause changes truth at most once along it; the boundaries are found by
bisection on exact fractions and every piece between them is judged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from explorer.model.checker import Verdict, classify, rules_in_force
from explorer.model.destinations import Target
from explorer.model.facts import Facts
from explorer.model.metrics import Metrics, applicable_die_area_range_mm2, performance_density
from explorer.model.quantity import Quantity
from explorer.model.rules import Charge, Clause, Control, Relief, RuleSet

BISECTION_STEPS = 40  # a boundary located to 1e-12 of the range


@dataclass(frozen=True)
class Figure:
    """One estimated figure and how the chip's metrics follow it."""

    name: str
    low: Fraction
    high: Fraction
    nominal: Fraction
    metrics_at: Callable[[Fraction], Metrics]


@dataclass(frozen=True)
class Uncertain:
    """An estimated figure across whose range the outcome changes."""

    figure: str
    low: Fraction
    high: Fraction
    nominal: Fraction
    outcomes: list[str]  # every outcome met along the range, least restrictive first
    flips_at: Fraction  # the boundary nearest the nominal value where the outcome changes


@dataclass(frozen=True)
class RangeVerdict:
    nominal: Verdict
    worst: Verdict  # the most restrictive verdict anywhere in the ranges
    uncertain: list[Uncertain]


def area_figure(metrics: Metrics, die) -> Figure | None:
    """The applicable die area, where an estimated logic die gives it a range."""
    span = applicable_die_area_range_mm2(die)
    if span is None:
        return None

    def at(area: Fraction) -> Metrics:
        return dataclasses.replace(
            metrics, die_area_mm2=area, performance_density=performance_density(metrics.tpp, area)
        )

    return Figure(f"{die.id} applicable die area (mm2)", span[0], span[1], metrics.die_area_mm2, at)


def sku_figures(sku, catalog) -> list[Figure]:
    """The SKU's estimated knob values that carry a range."""
    out = []
    for name, q, put in _ranged(sku):
        if q.low is None or q.high is None or q.low == q.high:
            continue
        out.append(Figure(f"{sku.id} {name}", q.low, q.high, q.value, _metrics_with(catalog, put, q)))
    return out


def _metrics_with(catalog, put, q: Quantity):
    return lambda x: catalog.metrics(put(dataclasses.replace(q, value=x)))


def _ranged(sku):
    r = dataclasses.replace
    yield "units_enabled", sku.units_enabled, lambda q: r(sku, units_enabled=q)
    yield "clock_mhz", sku.clock_mhz, lambda q: r(sku, clock_mhz=q)
    mem = sku.memory
    yield "memory.pin_rate_gbps", mem.pin_rate_gbps, lambda q: r(sku, memory=r(mem, pin_rate_gbps=q))
    if mem.stacks is not None:
        yield "memory.stacks", mem.stacks, lambda q: r(sku, memory=r(mem, stacks=q))
    if mem.bus_width_bits is not None:
        yield "memory.bus_width_bits", mem.bus_width_bits, lambda q: r(sku, memory=r(mem, bus_width_bits=q))
    for key, rate in sku.rate_limits.items():
        yield f"rate_limits.{key}", rate, lambda q, k=key: r(sku, rate_limits={**sku.rate_limits, k: q})
    if sku.links is not None:
        links = sku.links
        yield "links.count", links.count, lambda q: r(sku, links=r(links, count=q))
        yield "links.gbps_per_link", links.gbps_per_link, lambda q: r(sku, links=r(links, gbps_per_link=q))


def judge_over(
    metrics: Metrics,
    figures: list[Figure],
    target: Target,
    on: dt.date,
    rules: list[RuleSet],
    facts: Facts,
) -> RangeVerdict:
    """The verdict at the nominal values, the worst one over each figure's range, and what is uncertain.

    Figures are varied one at a time, the others held at their nominal values.
    """
    nominal = classify(metrics, target, on, rules, facts)
    clauses = _numeric_clauses(rules_in_force(rules, target, on))
    worst, uncertain = nominal, []
    for fig in figures:
        points = pieces(fig, clauses)
        verdicts = {x: classify(fig.metrics_at(x), target, on, rules, facts) for x in points}
        for v in verdicts.values():
            if (v.outcome.rank, _fee(v)) > (worst.outcome.rank, _fee(worst)):
                worst = v
        outcomes = sorted({v.outcome for v in verdicts.values()}, key=lambda o: o.rank)
        if len(outcomes) > 1:
            flips = [
                b
                for a, b in zip(points, points[1:], strict=False)
                if verdicts[a].outcome != verdicts[b].outcome
            ]
            nearest = min(flips, key=lambda x: abs(x - fig.nominal))
            uncertain.append(
                Uncertain(fig.name, fig.low, fig.high, fig.nominal, [o.value for o in outcomes], nearest)
            )
    return RangeVerdict(nominal, worst, uncertain)


def _fee(v: Verdict) -> Fraction:
    return sum((c.percent for c in v.charges), start=Fraction(0))


def _numeric_clauses(active: list[RuleSet]) -> list[Clause]:
    items: list[Control | Relief | Charge] = []
    for r in active:
        items += [*r.controls, *r.reliefs, *r.charges]
    return list({c: None for x in items for c in x.clauses if not isinstance(c.value, bool)})


def pieces(fig: Figure, clauses: list[Clause]) -> list[Fraction]:
    """Points that visit every piece of the range on which every clause keeps its truth.

    Each metric is monotone in the figure, so a clause changes truth at most once
    along the range; bisection finds that change and both sides of it are kept.
    """
    out = {fig.low, fig.high, fig.nominal}
    for clause in clauses:

        def holds(x, c=clause):
            value = fig.metrics_at(x).value(c.metric)
            return value is not None and c.op.holds(value, c.value)

        a, b = fig.low, fig.high
        ha, hb = holds(a), holds(b)
        if ha == hb:
            continue
        for _ in range(BISECTION_STEPS):
            mid = (a + b) / 2
            if holds(mid) == ha:
                a = mid
            else:
                b = mid
        out |= {a, b}
    return sorted(out)
