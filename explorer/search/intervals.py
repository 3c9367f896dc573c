"""The exact optimum of a plan by TPP intervals: no solver, and every design of the space accounted for.

Why it is exact. Every clause a rule puts on a design reads TPP (density is TPP
over a fixed area) or a figure fixed by the memory, link and market options, and
the value never falls as FLOP/s rise (every rate and tangent plane of the integer
value model has non-negative coefficients; tests/search/test_intervals.py holds
it). Rate options whose TPP and FLOP coefficients share one ratio (a rate class)
make both multiples of one integer, Q = step x units x clock. So at fixed memory,
link and market options the outcome and the fees are constant between consecutive
lines on Q, and the net value never falls as Q rises inside such an interval: the
best design of each (class, interval, memory, link, market) lies at the largest Q
the space reaches there. Scoring those points with the enumerator's own semantics
(`brute.score`) gives the optimum. Among the designs that reach it, ties go to the
lowest cost, then to the lowest (units, clock, rate, memory, link, market)
indices, as the enumerator and CP-SAT break them (`brute._best`,
`encode._tie_break`): the answer is one design, the same from all three.

It answers the plain search (the net value, then the cost and the indices). A
goal that trades value against cost, a cost bound, one exact outcome and robust
worlds go to CP-SAT (solve.py), as does a plan whose fees could reach the whole
price (the net value would then fall as the value rises).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from explorer.model.rules import Op
from explorer.search import brute
from explorer.search.intmodel import IntTables
from explorer.search.knobs import Knobs
from explorer.search.plan import Plan
from explorer.search.solution import Solution, SolveStatus

CHUNK_POINTS = 1 << 21  # points scored at once: bounds memory on huge spaces (about 0.2 GB a chunk)


@dataclass(frozen=True)
class RateClass:
    """Rate options whose TPP and FLOP integers are a_tpp x Q and a_flops x Q, Q = step x units x clock."""

    tpp_per_q: int
    flops_per_q: int
    rates: tuple[int, ...]  # rate option indices
    steps: tuple[int, ...]  # each rate's step
    units: np.ndarray  # the space's units options
    clocks: np.ndarray  # its clock options, ascending

    @functools.cached_property
    def per_mhz(self) -> np.ndarray:
        """Q per MHz of every (rate, units) pair of the class, rate-major."""
        return np.concatenate([step * self.units for step in self.steps])

    def reach(self, at_most: np.ndarray) -> np.ndarray:
        """The highest Q the space reaches at or below each bound (-1 where it reaches none): never built
        as a set, which on 10^14-design spaces holds millions of values."""
        per = self.per_mhz[None, :]
        c = (
            np.searchsorted(self.clocks, np.asarray(at_most, dtype=np.int64)[:, None] // per, side="right")
            - 1
        )
        return np.where(c >= 0, per * self.clocks[np.maximum(c, 0)], -1).max(axis=1)


def rate_classes(t: IntTables) -> list[RateClass]:
    """The space's rate options grouped by the ratio of their TPP and FLOP coefficients."""
    units, clocks = np.asarray(t.units, np.int64), np.asarray(t.clocks, np.int64)
    assert (np.diff(clocks) > 0).all(), "clock options ascend"
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for r, (kt, kf) in enumerate(zip(t.k_tpp, t.k_flops, strict=True)):
        g = math.gcd(kt, kf) or 1
        groups.setdefault((kt // g, kf // g), []).append((r, g))
    return [
        RateClass(a, b, tuple(r for r, _ in m), tuple(g for _, g in m), units, clocks)
        for (a, b), m in groups.items()
    ]


def intervals(cls: RateClass, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """(lowest Q, highest Q the space reaches) of each interval between the plan's TPP lines (read on this
    class's Q) where the space reaches some Q."""
    lowest, highest = int(cls.per_mhz.min() * cls.clocks[0]), int(cls.per_mhz.max() * cls.clocks[-1])
    cuts: set[int] = set()
    every = [
        *(c.atoms for c in plan.controls),
        *(r.atoms for r in plan.reliefs),
        *(c.atoms for c in plan.charges),
    ]
    atoms = [a for on in every for a in on if a.resource == "tpp"]
    if cls.tpp_per_q:
        for a in atoms:
            bound = int(a.bound)
            # tpp >= B holds from ceil(B / a) on; tpp <= B stops holding at floor(B / a) + 1
            cuts.add(-(-bound // cls.tpp_per_q) if a.op is Op.GE else bound // cls.tpp_per_q + 1)
    inner = sorted(x for x in cuts if lowest < x <= highest)
    lo = np.array([lowest, *inner], dtype=np.int64)
    top = cls.reach(np.array([*(x - 1 for x in inner), highest], dtype=np.int64))
    keep = top >= lo
    return lo[keep], top[keep]


def applies(t: IntTables, plan: Plan) -> bool:
    """Whether the net value rises with the value on every path: no combination of fees reaches the price."""
    alone = sum(r.fee_bp or 0 for r in plan.reliefs if r.fee_group is None) + sum(
        c.fee_bp for c in plan.charges if c.fee_group is None
    )
    groups: dict[str, int] = {}
    for bp, group in [(r.fee_bp or 0, r.fee_group) for r in plan.reliefs] + [
        (c.fee_bp, c.fee_group) for c in plan.charges
    ]:
        if group is not None:
            groups[group] = max(groups.get(group, 0), bp)
    return alone + sum(groups.values()) < t.scales.fee_basis


@dataclass
class _Winners:
    """The (class, memory, link, market) options whose best point reaches the best net value so far."""

    net: int | None = None
    parts: list[tuple[int, np.ndarray]] | None = None  # (class, rows of option indices m, k, d)

    def offer(self, ci: int, net: np.ndarray, ok: np.ndarray, m, k, d) -> None:
        if not ok.any():
            return
        top = int(net[ok].max())
        if self.net is not None and top < self.net:
            return
        if self.net is None or top > self.net:
            self.net, self.parts = top, []
        at = ok & (net == top)
        assert self.parts is not None, "set with the net value"
        self.parts.append((ci, np.stack([m[at], k[at], d[at]], axis=1)))


def _points(t: IntTables, cls: RateClass, q: np.ndarray, m, k, d) -> dict[str, np.ndarray]:
    """The resources of the points at Q (the space need not reach it: TPP and FLOP/s follow Q) and
    options m, k, d."""
    return brute.resources_at(t, cls.tpp_per_q * q, cls.flops_per_q * q, m, k, d)


def solve(t: IntTables, plan: Plan) -> Solution | None:
    """The highest net value, then the lowest cost and knob indices; None where the method does not apply.

    The value (most of the work) is computed once per (class, memory, link, market) and fee: at the
    highest interval where the design is allowed with that fee, since the value rises with Q whatever
    the interval, and the net value is the value times one minus the fee.
    """
    if not applies(t, plan):
        return None
    started = time.perf_counter()
    classes = rate_classes(t)
    spans = [intervals(c, plan) for c in classes]
    nm, nk, nd = brute.sizes(t)[3:]
    basis = t.scales.fee_basis
    best = _Winners()
    for ci, (cls, (_, top)) in enumerate(zip(classes, spans, strict=True)):
        n_int = len(top)  # top: each interval's highest reached Q
        step = max(1, CHUNK_POINTS // (n_int * nk * nd))
        for m0 in range(0, nm, step):
            grid = np.meshgrid(
                np.arange(n_int),
                np.arange(m0, min(nm, m0 + step)),
                np.arange(nk),
                np.arange(nd),
                indexing="ij",
            )
            i, m, k, d = (a.ravel() for a in grid)
            res = _points(t, cls, top[i], m, k, d)
            allowed, fee = brute.judge(t, plan, res, i.size)
            ok = (allowed & (res["cap"] >= t.need_cap)).reshape(n_int, -1)
            fee = fee.reshape(n_int, -1)
            for f in np.unique(fee[ok]):
                with_fee = ok & (fee == f)
                # per (memory, link, market) column: the highest interval allowed with this fee
                highest = n_int - 1 - np.argmax(with_fee[::-1], axis=0)
                col = np.flatnonzero(with_fee.any(axis=0))
                at = highest[col] * with_fee.shape[1] + col
                value = brute.value_of(t, {key: x[at] for key, x in res.items()})
                best.offer(ci, (basis - int(f)) * value, value >= t.value_floor, m[at], k[at], d[at])
    seconds = time.perf_counter() - started
    if best.net is None or best.parts is None:
        return Solution(SolveStatus.INFEASIBLE, None, 0, 0, 0, seconds, [])
    knobs, cost = _tie_break(t, plan, classes, spans, best.net, best.parts)
    return Solution(SolveStatus.OPTIMAL, knobs, best.net, best.net, cost, time.perf_counter() - started, [])


def _lowest_q(t: IntTables, plan: Plan, cls: RateClass, net: int, lo, hi, m, k, d) -> np.ndarray:
    """Per point, the lowest Q in [lo, hi] whose net value reaches `net` (bisection on the integers:
    inside one interval the net value never falls as Q rises, and at hi it is `net`)."""
    lo, hi = lo.copy(), hi.copy()
    while (lo < hi).any():
        mid = (lo + hi) // 2
        _, _, got = brute.score(t, plan, _points(t, cls, mid, m, k, d), mid.size, lazy=True)
        reached = got >= net
        hi = np.where(reached, mid, hi)
        lo = np.where(reached, lo, mid + 1)
    return lo


def _tie_break(t: IntTables, plan: Plan, classes, spans, net: int, parts) -> tuple[Knobs, int]:
    """Among every design whose net value is `net`, the lowest (cost, units, clock, rate, memory, link,
    market) indices: each interval of each winning option (a lower one ties where the value has stopped
    rising), then per tying point each units and rate option at the lowest clock inside its span."""
    mem_cost = np.asarray(t.mem_cost, dtype=np.int64)
    die_cost = np.asarray(t.die_cost, dtype=np.int64)
    keys = []
    for ci, options in parts:
        cls = classes[ci]
        lo, top = spans[ci]
        options = np.unique(options, axis=0)
        i = np.tile(np.arange(len(top)), len(options))
        m, k, d = (np.repeat(options[:, j], len(top)) for j in range(3))
        allowed, fit, got = brute.score(t, plan, _points(t, cls, top[i], m, k, d), i.size, lazy=True)
        tie = allowed & fit & (got == net)
        i, m, k, d = i[tie], m[tie], k[tie], d[tie]
        q_low, q_high = _lowest_q(t, plan, cls, net, lo[i], top[i], m, k, d), top[i]
        units, clocks = cls.units, cls.clocks
        for r, step in zip(cls.rates, cls.steps, strict=True):
            per = step * units  # Q per MHz at each units option
            # the lowest clock with Q >= q_low, per (tying point, units option)
            need = -(-q_low[:, None] // per[None, :])
            c = np.searchsorted(clocks, need, side="left")
            inside = c < len(clocks)
            inside &= per[None, :] * clocks[np.minimum(c, len(clocks) - 1)] <= q_high[:, None]
            w, u = np.nonzero(inside)
            keys.append(
                np.stack(
                    [mem_cost[m[w]] + die_cost[u], u, c[w, u], np.full(w.size, r), m[w], k[w], d[w]], axis=1
                )
            )
    every = np.concatenate(keys)
    assert every.size, "a winning option holds at least its own best design"
    cost, ui, ci, ri, mi, ki, di = (int(x) for x in every[np.lexsort(every.T[::-1])[0]])
    return Knobs(t.units[ui], t.clocks[ci], ri, mi, ki, bool(t.markets[di])), cost
