"""CP-SAT against exhaustive enumeration on the same design spaces, at growing sizes.

    python benchmarks/run.py [--base gh100] [--as-of 2024-06-01] [--max-enumerate 200000000]

Both run in this process on this machine, so the ratio is the number to read:
absolute times on a shared 2-core machine are noisy. Spaces too large to
enumerate get an enumeration time extrapolated from the measured points/second,
and are labelled so; the headline is the ratio on the largest space enumerated
for real. "no start" is CP-SAT without the search's starting design
(search/start.py); "cp-sat s" is with it, the grid included, as every search
runs. The end-to-end line times `explore --target china` (every base die)
against `explore --help` in the same run, the median of three each.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import time
from fractions import Fraction

from explorer import api
from explorer.load.loader import load_space_config
from explorer.model.space import build_space
from explorer.search import brute
from explorer.search import run as s
from explorer.search.encode import encode
from explorer.search.solve import solve
from explorer.search.start import first_design


def thin(values: list, keep: int) -> list:
    """`keep` values spread evenly over a knob's list, always including its ends."""
    if keep >= len(values):
        return values
    step = (len(values) - 1) / (keep - 1) if keep > 1 else 1
    return sorted({values[round(i * step)] for i in range(keep)}, key=values.index)


def spaces(base: str, data: api.Data):
    die, _ = s.resolve_base(data, base)
    cfg = load_space_config(data.root)
    default = build_space(die, data.catalog, cfg)
    for keep in [(10, 10, 2, 12, 4), (20, 20, 4, 18, 8), (40, 40, 4, 36, 18), (50, 40, 4, 72, 25)]:
        u, c, r, m, k = keep
        yield dataclasses.replace(
            default,
            units=thin(default.units, u),
            clocks_mhz=thin(default.clocks_mhz, c),
            rate_limits=thin(default.rate_limits, r),
            memory=thin(default.memory, m),
            links=thin(default.links, k),
        )
    yield default
    fine = dataclasses.replace(
        cfg,
        clock_step_mhz=1,
        rate_limits=[Fraction(j, 64) for j in range(1, 65)],
        memory={
            t: dataclasses.replace(ch, pin_rates_gbps=[Fraction(p, 10) for p in range(32, 99)])
            for t, ch in cfg.memory.items()
        },
    )
    yield build_space(die, data.catalog, fine, [False, True])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="gh100")
    ap.add_argument("--target", default="china")
    ap.add_argument("--as-of", default="2024-06-01")
    ap.add_argument("--max-enumerate", type=float, default=2e8, help="largest space to enumerate for real")
    args = ap.parse_args()
    data = api.load()
    rate = None  # enumerated points per second, measured
    print(f"{args.base} for {args.target} on {args.as_of}; one CP-SAT worker; numpy enumeration in chunks")
    print(
        f"{'points':>10}  {'no start':>9}  {'cp-sat s':>9}  {'status':>8}  {'enumerate s':>14}  {'how':>12}  "
        f"{'agree':>5}  {'ratio':>9}"
    )
    ratio = measured_ratio = None
    for space in spaces(args.base, data):
        p = s.problem(args.base, args.target, args.as_of, data=data, space=space)
        t0 = time.perf_counter()
        cold = solve(encode(p.tables, p.plan), time_limit=600)
        cp_cold = time.perf_counter() - t0
        t0 = time.perf_counter()  # as the search runs it: from the coarse grid's best design
        sol = solve(encode(p.tables, p.plan), time_limit=600, start=first_design(p.tables, p.plan))
        cp = time.perf_counter() - t0
        answer = (sol.net, sol.cost_cents, sol.knobs)
        assert (cold.net, cold.cost_cents, cold.knobs) == answer, "the start changed the optimum"
        n = space.size()
        if n <= args.max_enumerate:
            t0 = time.perf_counter()
            ref = brute.best(p.tables, p.plan)
            en = time.perf_counter() - t0
            rate = n / en
            agree = "yes" if (ref.net, ref.cost_cents, ref.knobs) == answer else "NO"  # the same design
            shown, how = f"{en:14.2f}", "measured"
            measured_ratio = en / cp
        else:
            en = n / rate
            agree = "-"
            shown, how = f"~{en / 3600:11.1f} h", "extrapolated"
        ratio = en / cp
        print(
            f"{n:10.2e}  {cp_cold:9.3f}  {cp:9.3f}  {sol.status.value:>8}  {shown}  {how:>12}  {agree:>5}  "
            f"{ratio:9.1f}x"
        )
    full, bare = end_to_end(["--target", args.target, "--quiet"]), end_to_end(["--help"])
    print(
        f"explore --target {args.target} (every base die, today's rules) {full:.2f} s against explore --help "
        f"{bare:.2f} s: {full / bare:.1f}x (measured)"
    )
    print(f"largest space enumerated for real: enumeration / CP-SAT = {measured_ratio:,.0f}x (measured)")
    print(f"largest space: enumeration / CP-SAT = {ratio:,.0f}x (extrapolated where labelled)")


def end_to_end(args: list[str], runs: int = 3) -> float:
    """Median wall time of `explore ARGS` in a fresh interpreter."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "explorer", *args], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


if __name__ == "__main__":
    main()
