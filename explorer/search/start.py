"""A first design for CP-SAT to start from: the best point of a coarse grid through the space.

Hinted with the six knobs alone, CP-SAT does not follow the hint: it climbs from
a poor first design through dozens of better ones. Hinted with every variable at
an allowed design, even a mediocre one, it has little more than the proof left
(solve.solve completes the hint). Measured on gh100 for China under the 2024
rules, presolve on: 0.8 s a search without a start, 0.3 s with this grid's. The grid is
scored by the enumerator's semantics (`brute.score`); the start changes how fast
the optimum is proved, never which design it is (ties are broken by knob index,
`encode._tie_break`). Starting each point of a line sweep from its neighbour's
design instead measured no faster (six gh100 points: 1.86 s against 1.80 s).

Robust searches start cold. With CP-SAT's presolve on (it is off now, see
solve.py), a good first design made it search the hard region above it for up
to 24 s (aldebaran-1gcd, two worlds) where a cold search climbs in 0.1 s; without
presolve a start saves 5-25% over the 17 bases but still runs one 1.8x slower.
Over 272 plain searches (17 bases, 4 dates, China and Vietnam, with and without
licences, presolve on) a start took 63 s of solving to 31 s, at worst 2x slower
on 0.1 s ones."""

from __future__ import annotations

from explorer.search import brute
from explorer.search.intmodel import IntTables
from explorer.search.knobs import Knobs
from explorer.search.plan import Plan

# options kept per knob, spread evenly over its list (ends included), in brute.KNOBS order; None: all.
# Measured on the 17 base dies and three gh100 sweep points: a finer grid gives a better start but
# costs more than it saves (8-8-16-8 options: 0.31 s of grid in 2.46 s; this one 0.07 s in 2.44 s).
KEEP: tuple[int | None, ...] = (6, 6, None, 8, 6, None)


def spread(size: int, keep: int | None) -> list[int]:
    """`keep` indices spread evenly over range(size), both ends included."""
    if keep is None or size <= keep:
        return list(range(size))
    return sorted({round(i * (size - 1) / (keep - 1)) for i in range(keep)})


def coarse_axes(t: IntTables) -> brute.Axes:
    return [spread(n, k) for n, k in zip(brute.sizes(t), KEEP, strict=True)]


def first_design(t: IntTables, plan: Plan, max_total_cost: int | None = None) -> Knobs | None:
    """The grid's best allowed point that fits (highest net value, then lowest cost); None if none is."""
    return brute.best(t, plan, max_total_cost, coarse_axes(t)).knobs
