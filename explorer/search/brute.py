"""The reference enumerator: every point of a design space, scored with numpy.

It reads the same integer tables and plan as the CP-SAT model and evaluates
them directly, point by point (vectorised), so tests and benchmarks can hold
the solver to the true optimum on spaces small enough to enumerate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from explorer.model.outcomes import LICENSED_MIN
from explorer.model.rules import Combine, Op
from explorer.search.intmodel import SCALE_ONE, Atom, IntPiece, IntRate, IntTables, harmonic_int
from explorer.search.knobs import NAMES, Knobs
from explorer.search.plan import Plan, fee_divisor


@dataclass(frozen=True)
class BruteResult:
    feasible: bool
    net: int  # same units as the solver's objective
    cost_cents: int
    knobs: Knobs | None  # None: no point is allowed
    points: int


def resources(t: IntTables, u, c, r, m, k, d) -> dict[str, np.ndarray]:
    """The integer resources of the points given by knob index arrays."""
    uc = np.asarray(t.units, dtype=np.int64)[u] * np.asarray(t.clocks, dtype=np.int64)[c]
    tpp = uc * np.asarray(t.k_tpp, dtype=np.int64)[r]
    return resources_at(t, tpp, uc * np.asarray(t.k_flops, dtype=np.int64)[r], m, k, d)


def resources_at(t: IntTables, tpp, flops, m, k, d) -> dict[str, np.ndarray]:
    """The integer resources of points given by their TPP and FLOP integers and the other knobs' indices."""
    res = {
        "tpp": np.asarray(tpp, dtype=np.int64),
        "flops": np.asarray(flops, dtype=np.int64),
        "bw": np.asarray(t.mem_bw, dtype=np.int64)[m],
        "cap": np.asarray(t.mem_cap, dtype=np.int64)[m],
        "io": np.asarray(t.io, dtype=np.int64)[k],
        "link": np.asarray(t.link, dtype=np.int64)[k],
        "dc": np.asarray(t.markets, dtype=bool)[d],
    }
    res["bw_io"] = res["bw"] + res["io"]
    res["bw_link"] = res["bw"] + res["link"]
    res["memory_idx"], res["link_idx"] = np.asarray(m), np.asarray(k)
    return res


def value_of(t: IntTables, res: dict[str, np.ndarray]) -> np.ndarray:
    """The integer value model (intmodel.IntPiece) at every point: its smallest piece."""
    f, m, k = res["flops"], res["memory_idx"], res["link_idx"]

    def rate(r: IntRate) -> np.ndarray:
        if r.kind == "flops":
            return r.coef * f
        return np.asarray(r.table, dtype=np.int64)[m if r.kind == "memory" else k]

    def piece(p: IntPiece) -> np.ndarray:
        h = harmonic_int([rate(r) for r in p.rates])
        return np.asarray(p.scale, dtype=np.int64)[m] * h // SCALE_ONE if p.scale else h

    return np.minimum.reduce([piece(p) for p in t.value_pieces])


KNOBS = NAMES  # the order of the index arrays below


def sizes(t: IntTables) -> list[int]:
    """How many options each knob has, in KNOBS order."""
    return [len(t.units), len(t.clocks), len(t.k_tpp), len(t.mem_bw), len(t.io), len(t.markets)]


def knobs_at(t: IntTables, index) -> Knobs:
    """The point at these option indices, as the solver reports one."""
    u, c, r, m, k, d = (int(i) for i in index)
    return Knobs(t.units[u], t.clocks[c], r, m, k, bool(t.markets[d]))


def indices_of(t: IntTables, knobs: Knobs) -> list[int]:
    """The inverse of knobs_at: each knob's option index, in KNOBS order."""
    return [
        t.units.index(knobs.units),
        t.clocks.index(knobs.clock_mhz),
        knobs.rate_idx,
        knobs.memory_idx,
        knobs.link_idx,
        t.markets.index(bool(knobs.datacenter)),
    ]


Axes = list[list[int]]  # the option indices to enumerate, per knob in KNOBS order


def _grid(t: IntTables, unit_index: int, axes: Axes):
    """Every point of the grid `axes` (all knobs but units) at one units option."""
    c, r, m, k, d = (a.ravel() for a in np.meshgrid(*[np.asarray(x) for x in axes], indexing="ij"))
    u = np.full(c.shape, unit_index)
    return resources(t, u, c, r, m, k, d), (c, r, m, k, d)


def _atom(a: Atom, res: dict[str, np.ndarray], n: int) -> np.ndarray:
    if a.resource == "const":
        return np.full(n, bool(a.bound))
    if a.resource == "dc":
        return res["dc"] if a.bound else ~res["dc"]
    x = res[a.resource]
    return x >= a.bound if a.op is Op.GE else x <= a.bound


def atom_holds(a: Atom, res: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Where one integer clause holds, point by point."""
    return _atom(a, res, n)


def _condition(combine: Combine, atoms: list[Atom], res: dict[str, np.ndarray], n: int) -> np.ndarray:
    if not atoms:
        return np.ones(n, dtype=bool)
    bs = [_atom(a, res, n) for a in atoms]
    return np.logical_and.reduce(bs) if combine is Combine.ALL else np.logical_or.reduce(bs)


def judge(t: IntTables, plan: Plan, res: dict[str, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(allowed, fees in basis points) for every point: the plan's semantics, evaluated directly."""
    active = [_condition(r.combine, r.atoms, res, n) for r in plan.reliefs]
    levels, owner_of = [], {}
    for ci, c in enumerate(plan.controls):
        fired = _condition(c.combine, c.atoms, res, n)
        level = np.where(fired, c.level, 0).astype(np.int64)
        takers: dict[int, np.ndarray] = {}  # relief index -> where the relief takes the control
        for j in plan.reliefs_of(c):
            rj = plan.reliefs[j]
            if rj.level > c.level:
                continue
            take = fired & active[j]
            for i, ti in takers.items():
                if plan.reliefs[i].level < rj.level:
                    take &= ~ti
            takers[j] = take
        owned = np.zeros(n, dtype=bool)
        for j in sorted(takers, reverse=True):  # the last taker owns the control
            own = takers[j] & ~owned
            level = np.where(own, plan.reliefs[j].level, level)
            owner_of[ci, j] = own
            owned |= own
        levels.append(level)
    final = np.max(levels, axis=0) if levels else np.zeros(n, dtype=np.int64)
    fees = []  # (bp array, group)
    sets_level = {}
    for j, r in enumerate(plan.reliefs):
        owners = [o for (ci, jj), o in owner_of.items() if jj == j]
        if owners:
            sets_level[j] = np.logical_or.reduce(owners) & (final == r.level)
    for j, r in enumerate(plan.reliefs):
        if r.fee_bp and j in sets_level:
            fees.append((np.where(sets_level[j], r.fee_bp, 0), r.fee_group))
    for ch in plan.charges:
        on = _condition(ch.combine, ch.atoms, res, n) & (final >= LICENSED_MIN)
        if ch.after_relief is not None:
            path = [x for j, x in sets_level.items() if plan.reliefs[j].rule == ch.after_relief]
            on &= np.logical_or.reduce(path) if path else np.zeros(n, dtype=bool)
        fees.append((np.where(on, ch.fee_bp, 0), ch.fee_group))
    fee_bp = np.zeros(n, dtype=np.int64)
    groups: dict[str, np.ndarray] = {}
    for bp, group in fees:
        if group is None:
            fee_bp += bp
        else:  # one payment per overlap group: the largest
            groups[group] = np.maximum(groups.get(group, 0), bp)
    for bp in groups.values():
        fee_bp += bp
    return final <= plan.allowed, fee_bp


def score(
    t: IntTables, plan: Plan, res: dict[str, np.ndarray], n: int, lazy: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(allowed, fits, net) for every point: the plan's semantics and the value model.

    `lazy`: the value is computed only where the point is allowed and its memory holds the model
    (elsewhere net is 0 and fits False): a search reads nothing else, and the value is most of the work.
    """
    allowed, fee_bp = judge(t, plan, res, n)
    holds = res["cap"] >= t.need_cap
    if lazy:
        holds &= allowed
        value = np.zeros(n, dtype=np.int64)
        at = np.flatnonzero(holds)
        value[at] = value_of(t, {key: x[at] for key, x in res.items()})
    else:
        value = value_of(t, res)
    return allowed, holds & (value >= t.value_floor), (t.scales.fee_basis - fee_bp) * value


def best(
    t: IntTables, plan: Plan, max_total_cost: int | None = None, axes: Axes | None = None
) -> BruteResult:
    """The highest net value over all allowed points that fit (within a cost bound), then the lowest cost.

    `axes`: enumerate only these option indices of each knob (default: every point).
    """

    def objective(res, n, cost):
        allowed, fit, net = score(t, plan, res, n, lazy=True)
        return allowed & fit, net

    return _best(t, objective, max_total_cost, axes)


def best_staged(t: IntTables, plan: Plan, stages) -> BruteResult:
    """The lexicographic optimum of `stages` over the allowed points that fit, ties to the lowest cost,
    then the lowest knob indices: a goal's solver stages (goals.stages) on the enumerator. Each stage
    maps (net value, total cost in cents) arrays to the int64 array it maximises. Small spaces only:
    every point is held at once."""
    assert math.prod(sizes(t)) <= 10**6, "a space small enough to hold at once"
    u, c, r, m, k, d = (a.ravel() for a in np.meshgrid(*[np.arange(n) for n in sizes(t)], indexing="ij"))
    n = u.size
    allowed, fit, net = score(t, plan, resources(t, u, c, r, m, k, d), n)
    cost = np.asarray(t.mem_cost, dtype=np.int64)[m] + np.asarray(t.die_cost, dtype=np.int64)[u]
    at = np.flatnonzero(allowed & fit)
    if not at.size:
        return BruteResult(False, 0, 0, None, n)
    keys = [d[at], k[at], m[at], r[at], c[at], u[at], cost[at]]  # np.lexsort: the last key sorts first
    keys += [-stage(net[at], cost[at] + t.fixed_cost) for stage in reversed(stages)]
    i = at[np.lexsort(keys)[0]]
    return BruteResult(True, int(net[i]), int(cost[i]), knobs_at(t, (u[i], c[i], r[i], m[i], k[i], d[i])), n)


def best_robust(
    t: IntTables, plans: list[Plan], weights: list[int] | None = None, cost_weight: int = 0
) -> BruteResult:
    """The robust optimum by enumeration, with the same objective as encode.encode_robust.

    `weights` None: worst case (allowed in every plan, the smallest net value);
    otherwise the weighted sum of each plan's net value where that plan allows the point.
    `cost_weight`: each plan's term is its net value less this many times the total cost in cents.
    """
    # the same exact division as the CP-SAT objective (none with a cost term)
    g = 1 if cost_weight else fee_divisor(plans, t.scales.fee_basis)

    def objective(res, n, cost):
        scored = [score(t, plan, res, n) for plan in plans]
        fit = scored[0][1]
        less = cost_weight * (cost + t.fixed_cost)
        if weights is None:
            return fit & np.logical_and.reduce([a for a, _, _ in scored]), np.minimum.reduce(
                [(net - less) // g for _, _, net in scored]
            )
        return fit, sum(
            w * np.where(a, (np.maximum(net, 0) - less) // g, 0)
            for w, (a, _, net) in zip(weights, scored, strict=True)
        )

    return _best(t, objective, None)


def _best(t: IntTables, objective, max_total_cost: int | None, axes: Axes | None = None) -> BruteResult:
    """The point with the highest objective among those it allows, ties to the lowest cost, then to the
    lowest (units, clock, rate, memory, link, market) indices: the order encode._tie_break gives CP-SAT."""
    axes = axes or [list(range(n)) for n in sizes(t)]
    top = None
    points = 0
    for ui in axes[0]:
        res, (c, r, m, k, d) = _grid(t, ui, axes[1:])
        n = c.size
        points += n
        cost = np.asarray(t.mem_cost, dtype=np.int64)[m] + t.die_cost[ui]
        ok, value = objective(res, n, cost)
        if max_total_cost is not None:
            ok = ok & (cost + t.fixed_cost <= max_total_cost)
        if not ok.any():
            continue
        cand = np.flatnonzero(ok)
        i = cand[np.lexsort((cost[cand], -value[cand]))[0]]
        key = (int(value[i]), -int(cost[i]))
        if top is None or key > top[0]:
            top = (key, knobs_at(t, (ui, c[i], r[i], m[i], k[i], d[i])))
    if top is None:
        return BruteResult(False, 0, 0, None, points)
    (net, neg_cost), knobs = top
    return BruteResult(True, net, -neg_cost, knobs, points)
