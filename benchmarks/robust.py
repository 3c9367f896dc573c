"""Robust search against the sum of the per-world searches it replaces, with 2, 4 and 8 worlds.

    python benchmarks/robust.py [--as-of 2026-11-28] [--target china]

For every base die's default design space, one robust CP-SAT model over N worlds
(today's rules plus N-1 scenarios) is timed against N plain searches, one per
world, in this process on this machine: the ratio is the number to read. The
shipped scenarios are the first worlds; beyond them, synthetic worlds move every
control line of today's rules by a fixed factor (documented in the output), so
8 worlds can be measured. Every figure printed is measured, none extrapolated.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from fractions import Fraction

from explorer import api
from explorer.load.loader import scenario_names
from explorer.search import run as s
from explorer.search.encode import encode, encode_robust
from explorer.search.solve import solve
from explorer.search.start import first_design

FACTORS = [Fraction(9, 10), Fraction(11, 10), Fraction(4, 5), Fraction(6, 5), Fraction(7, 10)]


def scaled(data: api.Data, factor: Fraction) -> api.Data:
    """A synthetic world: every numeric control line of today's rules times `factor`."""
    rules = []
    for r in data.rules:
        controls = [
            dataclasses.replace(
                c,
                clauses=[
                    x if isinstance(x.value, bool) else dataclasses.replace(x, value=x.value * factor)
                    for x in c.clauses
                ],
            )
            for c in r.controls
        ]
        rules.append(dataclasses.replace(r, controls=controls))
    return dataclasses.replace(data, rules=rules)


def worlds(data: api.Data, n: int) -> list[tuple[str, api.Data]]:
    out = [("today", data)]
    for name in scenario_names(data.root):
        if len(out) == n:
            return out
        out.append((name, api.with_scenarios(data, [name])))
    for f in FACTORS:
        if len(out) == n:
            return out
        out.append((f"lines x{f}", scaled(data, f)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--as-of", default="2026-11-28")
    ap.add_argument("--target", default="china")
    args = ap.parse_args()
    data = api.load()
    print(f"{'worlds':>6}  {'robust s':>9}  {'separate s':>10}  {'ratio':>6}  worlds used")
    bases = data.catalog.design_bases()  # dies kept only as value references are no base
    for n in (2, 4, 8):
        ws = worlds(data, n)
        robust_t = separate_t = 0.0
        for die in bases:
            problems = [s.problem(die, args.target, args.as_of, data=d) for _, d in ws]
            t, plans = problems[0].tables, [p.plan for p in problems]
            start = time.perf_counter()  # as the searches run them: robust cold, the others from a start
            sol = solve(encode_robust(t, plans))
            robust_t += time.perf_counter() - start
            assert sol.status.value in ("OPTIMAL", "INFEASIBLE"), (die, sol.status)
            start = time.perf_counter()
            for p in problems:
                solve(encode(p.tables, p.plan), start=first_design(p.tables, p.plan))
            separate_t += time.perf_counter() - start
        print(
            f"{n:>6}  {robust_t:>9.2f}  {separate_t:>10.2f}  {robust_t / separate_t:>6.2f}  "
            + ", ".join(w for w, _ in ws)
        )
    print(
        f"{len(bases)} default spaces (every base die) per row; "
        "ratio = robust / sum of separate searches (both measured)"
    )


if __name__ == "__main__":
    main()
