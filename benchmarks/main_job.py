"""The main job's speed (issue 26's targets), every figure measured in this run on this machine.

    python benchmarks/main_job.py [--runs 5]

- `explore --target china` end to end (every base die, each result proved optimal) against
  `explore --help`, the median of --runs fresh interpreters each: the ratio is the number to
  read, since absolute times on a shared 2-core machine are noisy;
- the same bases searched in this process, serially and across worker processes;
- one base's search (`api.search`, data loaded), the median over the bases of each base's median;
- the optimum itself per base: the interval search (what the plain search runs) against CP-SAT
  from its start (what it ran before), with the same design asserted;
- `explore --target china --base gh100` end to end.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from explorer import api
from explorer.search import intervals
from explorer.search import run as s
from explorer.search.encode import encode
from explorer.search.solve import solve
from explorer.search.start import first_design


def wall(args: list[str], runs: int) -> float:
    """Median wall time of `explore ARGS` in a fresh interpreter."""
    command = [sys.executable, "-m", "explorer", *args]
    return timed(lambda: subprocess.run(command, check=True, capture_output=True), runs)


def timed(fn, runs: int) -> float:
    """Median wall time of `fn()` over `runs` calls (benchmarks/portfolio.py uses it too)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--target", default="china")
    args = ap.parse_args()
    runs = args.runs
    data = api.load()
    bases = data.catalog.design_bases()

    full, bare = wall(["--target", args.target, "--quiet"], runs), wall(["--help"], runs)
    print(
        f"explore --target {args.target} ({len(bases)} bases) {full:.2f} s against explore --help "
        f"{bare:.2f} s: {full / bare:.1f}x (medians of {runs}, measured; targets 2 s and 12x)"
    )
    serial = timed(lambda: api.search_bases(bases, workers=1, target=args.target, data=data), 3)
    parallel = timed(lambda: api.search_bases(bases, target=args.target, data=data), 3)
    print(
        f"in this process, data loaded: serial {serial:.2f} s, across processes {parallel:.2f} s "
        "(medians of 3)"
    )

    per_base = [timed(lambda b=b: api.search(b, target=args.target, data=data), 3) for b in bases]
    print(
        f"one base's search: median {statistics.median(per_base):.3f} s over {len(bases)} bases "
        f"(slowest {max(per_base):.3f} s; target 0.3 s median)"
    )
    fast = slow = 0.0
    for b in bases:
        p = s.problem(b, args.target, data=data)
        t0 = time.perf_counter()
        got = intervals.solve(p.tables, p.plan)
        fast += time.perf_counter() - t0
        t0 = time.perf_counter()
        cp = solve(encode(p.tables, p.plan), 60, start=first_design(p.tables, p.plan))
        slow += time.perf_counter() - t0
        assert got is not None and (got.net, got.cost_cents, got.knobs) == (
            cp.net,
            cp.cost_cents,
            cp.knobs,
        ), b
    print(
        f"the optimum of every base: interval search {fast:.2f} s, CP-SAT from its start {slow:.2f} s "
        f"({slow / fast:.1f}x; the same design on every base)"
    )
    one = wall(["--target", args.target, "--base", "gh100", "--quiet"], runs)
    print(f"explore --target {args.target} --base gh100 {one:.2f} s ({one / bare:.1f}x --help)")


if __name__ == "__main__":
    main()
