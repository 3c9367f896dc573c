"""Exact Pareto frontiers by the epsilon-constraint method: each point proved optimal for its bound."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from explorer.search.encode import encode
from explorer.search.solve import Solution, SolveStatus, solve
from explorer.search.start import first_design

if TYPE_CHECKING:
    from explorer.model.space import Design
    from explorer.search.run import Problem


@dataclass(frozen=True)
class FrontierPoint:
    x: Fraction  # unit cost in dollars, or the guard band in percent
    value: Fraction  # net value relative to the reference SKU
    solution: Solution
    design: Design  # the point's design, decoded here so reports never decode


def _point(p: Problem, x: Fraction, sol: Solution) -> FrontierPoint:
    from explorer.search.run import decode

    assert sol.knobs is not None, "a frontier point has a design"
    scale = p.tables.scales.value * p.tables.scales.fee_basis
    return FrontierPoint(x, Fraction(sol.net, scale), sol, decode(p, sol.knobs))


def cost_frontier(
    p: Problem,
    time_limit: float = 10.0,
    exact_level: int | None = None,
    max_points: int = 200,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[FrontierPoint], bool]:
    """Highest value at each cost bound, walking down: (points, complete). `progress(1)` after each solve."""
    points: list[FrontierPoint] = []
    bound: int | None = None  # cents: the next point costs at most this
    while len(points) < max_points:
        enc = encode(p.tables, p.plan, exact_level=exact_level)
        if bound is not None:
            enc.model.add(enc.total_cost <= bound)
        sol = solve(enc, time_limit, start=first_design(p.tables, p.plan, bound))
        if progress is not None:
            progress(1)
        if sol.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            return points, sol.status is SolveStatus.INFEASIBLE
        total = sol.cost_cents + p.tables.fixed_cost
        points.append(_point(p, Fraction(total, 100), sol))
        bound = total - 1
    return points, False


def best_ratio(p: Problem, time_limit: float = 10.0, exact_level: int | None = None) -> Solution:
    """The design with the most value per dollar: it lies on the cost frontier, so search that."""
    points, complete = cost_frontier(p, time_limit, exact_level)
    if not points:
        enc = encode(p.tables, p.plan, exact_level=exact_level)
        return solve(enc, time_limit)
    best = max(points, key=lambda q: (q.value / q.x, -q.x))
    status = best.solution.status if complete else SolveStatus.FEASIBLE
    return dataclasses.replace(best.solution, status=status)


def margin_frontier(
    build: Callable[[Fraction], Problem],
    margins: list[Fraction],
    time_limit: float = 10.0,
    progress: Callable[[int], None] | None = None,
) -> list[FrontierPoint]:
    """Highest value at each guard band; `build(margin)` gives the problem for that band. `progress(1)`
    after each band."""
    out: list[FrontierPoint] = []
    for m in margins:
        p = build(m)
        sol = solve(encode(p.tables, p.plan), time_limit, start=first_design(p.tables, p.plan))
        if progress is not None:
            progress(1)
        if sol.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            out.append(_point(p, Fraction(m), sol))
    return out
