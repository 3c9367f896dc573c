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
    q: np.ndarray  # every Q the space reaches in this class, ascending


def rate_classes(t: IntTables) -> list[RateClass]:
    """The space's rate options grouped by the ratio of their TPP and FLOP coefficients."""
    uc = np.unique(np.multiply.outer(np.asarray(t.units, np.int64), np.asarray(t.clocks, np.int64)))
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for r, (kt, kf) in enumerate(zip(t.k_tpp, t.k_flops, strict=True)):
        g = math.gcd(kt, kf) or 1
        groups.setdefault((kt // g, kf // g), []).append((r, g))
    return [
        RateClass(
            a,
            b,
            tuple(r for r, _ in m),
            tuple(g for _, g in m),
            np.unique(np.concatenate([g * uc for _, g in m])),
        )
        for (a, b), m in groups.items()
    ]


def intervals(cls: RateClass, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """(lowest Q, index of the highest reached Q) of each interval between the plan's TPP lines that the
    space reaches, the lines read on this class's Q."""
    q = cls.q
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
    inner = sorted(x for x in cuts if int(q[0]) < x <= int(q[-1]))
    lo = np.array([int(q[0]), *inner], dtype=np.int64)
    hi = np.array([*(x - 1 for x in inner), int(q[-1])], dtype=np.int64)
    top = np.searchsorted(q, hi, side="right") - 1
    keep = q[top] >= lo
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
    """The (class, interval, memory, link, market) points that reach the best net value so far."""

    net: int | None = None
    parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] | None = None

    def offer(self, ci: int, net: np.ndarray, ok: np.ndarray, i, m, k, d) -> None:
        if not ok.any():
            return
        top = int(net[ok].max())
        if self.net is not None and top < self.net:
            return
        if self.net is None or top > self.net:
            self.net, self.parts = top, []
        at = ok & (net == top)
        assert self.parts is not None, "set with the net value"
        self.parts.append((ci, i[at], m[at], k[at], d[at]))


def solve(t: IntTables, plan: Plan) -> Solution | None:
    """The highest net value, then the lowest cost and knob indices; None where the method does not apply."""
    if not applies(t, plan):
        return None
    started = time.perf_counter()
    classes = rate_classes(t)
    spans = [intervals(c, plan) for c in classes]
    sizes = brute.sizes(t)
    nm, nk, nd = sizes[3], sizes[4], sizes[5]
    best = _Winners()
    for ci, (cls, (_, top)) in enumerate(zip(classes, spans, strict=True)):
        q_top = cls.q[top]
        per_memory = len(top) * nk * nd
        step = max(1, CHUNK_POINTS // max(per_memory, 1))
        for m0 in range(0, nm, step):
            i, m, k, d = (
                a.ravel()
                for a in np.meshgrid(
                    np.arange(len(top)),
                    np.arange(m0, min(nm, m0 + step)),
                    np.arange(nk),
                    np.arange(nd),
                    indexing="ij",
                )
            )
            q = q_top[i]
            res = brute.resources_at(t, cls.tpp_per_q * q, cls.flops_per_q * q, m, k, d)
            allowed, fit, net = brute.score(t, plan, res, i.size, lazy=True)
            best.offer(ci, net, allowed & fit, i, m, k, d)
    seconds = time.perf_counter() - started
    if best.net is None or best.parts is None:
        return Solution(SolveStatus.INFEASIBLE, None, 0, 0, 0, seconds, [])
    knobs, cost = _tie_break(t, plan, classes, spans, best.net, best.parts)
    return Solution(SolveStatus.OPTIMAL, knobs, best.net, best.net, cost, time.perf_counter() - started, [])


def _lowest_q(t: IntTables, plan: Plan, cls: RateClass, net: int, lo_idx, hi_idx, m, k, d) -> np.ndarray:
    """Per point, the index of the lowest Q in [lo_idx, hi_idx] whose net value reaches `net` (bisection:
    inside one interval the net value never falls as Q rises, and at hi_idx it is `net`)."""
    lo_idx, hi_idx = lo_idx.copy(), hi_idx.copy()
    while (lo_idx < hi_idx).any():
        mid = (lo_idx + hi_idx) // 2
        q = cls.q[mid]
        res = brute.resources_at(t, cls.tpp_per_q * q, cls.flops_per_q * q, m, k, d)
        _, _, got = brute.score(t, plan, res, mid.size, lazy=True)
        reached = got >= net
        hi_idx = np.where(reached, mid, hi_idx)
        lo_idx = np.where(reached, lo_idx, mid + 1)
    return lo_idx


def _tie_break(t: IntTables, plan: Plan, classes, spans, net: int, parts) -> tuple[Knobs, int]:
    """Among every design whose net value is `net`, the lowest (cost, units, clock, rate, memory, link,
    market) indices: per winning point, each units and rate option at the lowest clock inside the span."""
    units = np.asarray(t.units, dtype=np.int64)
    clocks = np.asarray(t.clocks, dtype=np.int64)
    assert (np.diff(clocks) > 0).all(), "clock options ascend"
    mem_cost = np.asarray(t.mem_cost, dtype=np.int64)
    die_cost = np.asarray(t.die_cost, dtype=np.int64)
    keys = []
    for ci, i, m, k, d in parts:
        cls = classes[ci]
        lo, top = spans[ci]
        low = _lowest_q(t, plan, cls, net, np.searchsorted(cls.q, lo[i], side="left"), top[i], m, k, d)
        q_low, q_high = cls.q[low], cls.q[top[i]]
        for r, step in zip(cls.rates, cls.steps, strict=True):
            per = step * units  # Q per MHz at each units option
            # the lowest clock with Q >= q_low, per (winner, units option)
            need = -(-q_low[:, None] // per[None, :])
            c = np.searchsorted(clocks, need, side="left")
            inside = c < len(clocks)
            q = per[None, :] * clocks[np.minimum(c, len(clocks) - 1)]
            inside &= q <= q_high[:, None]
            w, u = np.nonzero(inside)
            keys.append(
                np.stack(
                    [mem_cost[m[w]] + die_cost[u], u, c[w, u], np.full(w.size, r), m[w], k[w], d[w]], axis=1
                )
            )
    every = np.concatenate(keys)
    assert every.size, "a winning point holds at least its own top design"
    cost, ui, ci, ri, mi, ki, di = (int(x) for x in every[np.lexsort(every.T[::-1])[0]])
    return Knobs(t.units[ui], t.clocks[ci], ri, mi, ki, bool(t.markets[di])), cost
