"""The interval search, CP-SAT and exhaustive enumeration on the same design spaces, at growing sizes.

    python benchmarks/run.py [--base gh100] [--as-of 2024-06-01] [--max-enumerate 200000000]
                             [--huge gb110 --huge cdna4-mi350 --huge gh100] [--cp-sat-limit 60]

All run in this process on this machine, so the ratios are the numbers to read:
absolute times on a shared 2-core machine are noisy. "intervals s" is the exact
interval search the plain search runs (search/intervals.py); "cp-sat s" is CP-SAT
from the search's starting design (search/start.py), the grid included, as the
search ran it before and as other goals still run it; "no start" is CP-SAT cold.
Spaces too large to enumerate get an enumeration time extrapolated from the
measured points/second, and are labelled so. Every row asserts the same design
from each method that finished.

The huge spaces (over 10^14 designs on dies with an under-8-bit rate knob) step
clocks by 1 MHz, tensor rates by 1/64, under-8-bit rates by 1/16, pin rates by
0.01 Gbps and link rates by 1/4, in both markets. There only the interval search
finishes; CP-SAT gets --cp-sat-limit seconds from the interval search's design
and must never report a better one.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from fractions import Fraction

from explorer import api
from explorer.load.loader import load_space_config
from explorer.model.space import build_space
from explorer.search import brute, intervals
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


def huge_space(base: str, data: api.Data):
    die, _ = s.resolve_base(data, base)
    cfg = load_space_config(data.root)
    finest = dataclasses.replace(
        cfg,
        clock_step_mhz=1,
        rate_limits=[Fraction(j, 64) for j in range(1, 65)],
        narrow_rate_limits=[Fraction(j, 16) for j in range(1, 17)],
        link_rate_fractions=[Fraction(j, 4) for j in range(1, 5)],
        memory={
            t: dataclasses.replace(ch, pin_rates_gbps=[Fraction(p, 100) for p in range(320, 1101)])
            for t, ch in cfg.memory.items()
        },
    )
    return build_space(die, data.catalog, finest, [False, True])


def design(sol) -> tuple:
    return (sol.net, sol.cost_cents, sol.knobs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="gh100")
    ap.add_argument("--target", default="china")
    ap.add_argument("--as-of", default="2024-06-01")
    ap.add_argument("--max-enumerate", type=float, default=2e8, help="largest space to enumerate for real")
    ap.add_argument("--huge", action="append", help="dies to search on their finest space (repeatable)")
    ap.add_argument("--huge-as-of", default="2026-12-05")
    ap.add_argument("--cp-sat-limit", type=float, default=60.0, help="seconds CP-SAT gets on a huge space")
    args = ap.parse_args()
    data = api.load()
    rate = None  # enumerated points per second, measured
    print(f"{args.base} for {args.target} on {args.as_of}; one CP-SAT worker; numpy enumeration in chunks")
    print(
        f"{'points':>10}  {'intervals s':>11}  {'no start':>9}  {'cp-sat s':>9}  {'enumerate s':>14}  "
        f"{'how':>12}  {'agree':>5}  {'enum/iv':>10}  {'cp/iv':>6}"
    )
    measured_ratio = None
    for space in spaces(args.base, data):
        p = s.problem(args.base, args.target, args.as_of, data=data, space=space)
        t0 = time.perf_counter()
        got = intervals.solve(p.tables, p.plan)
        iv = time.perf_counter() - t0
        assert got is not None and got.status.value == "OPTIMAL", "the interval search applies here"
        t0 = time.perf_counter()
        cold = solve(encode(p.tables, p.plan), time_limit=600)
        cp_cold = time.perf_counter() - t0
        t0 = time.perf_counter()  # as the search ran it: from the coarse grid's best design
        sol = solve(encode(p.tables, p.plan), time_limit=600, start=first_design(p.tables, p.plan))
        cp = time.perf_counter() - t0
        assert design(cold) == design(sol) == design(got), "the methods disagree"
        n = space.size()
        if n <= args.max_enumerate:
            t0 = time.perf_counter()
            ref = brute.best(p.tables, p.plan)
            en = time.perf_counter() - t0
            rate = n / en
            agree = "yes" if (ref.net, ref.cost_cents, ref.knobs) == design(got) else "NO"  # the same design
            shown, how = f"{en:14.2f}", "measured"
            measured_ratio = en / iv
        else:
            assert rate is not None, "the smaller spaces were enumerated first"
            en = n / rate
            agree = "-"
            shown, how = f"~{en / 3600:11.1f} h", "extrapolated"
        print(
            f"{n:10.2e}  {iv:11.3f}  {cp_cold:9.3f}  {cp:9.3f}  {shown}  {how:>12}  {agree:>5}  "
            f"{en / iv:9.0f}x  {cp / iv:5.1f}x"
        )
    print(
        f"largest space enumerated for real: enumeration / interval search = {measured_ratio:,.0f}x "
        "(measured)"
    )
    for base in args.huge or ["gb110", "cdna4-mi350", "gh100"]:
        t0 = time.perf_counter()
        space = huge_space(base, data)
        p = s.problem(base, args.target, args.huge_as_of, data=data, space=space)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        got = intervals.solve(p.tables, p.plan)
        iv = time.perf_counter() - t0
        assert got is not None and got.knobs is not None, base
        enc = encode(p.tables, p.plan)
        t0 = time.perf_counter()
        cp = solve(enc, time_limit=args.cp_sat_limit, start=got.knobs)
        cp_s = time.perf_counter() - t0
        assert cp.knobs is None or cp.net <= got.net, f"{base}: CP-SAT found more than the proved optimum"
        said = f"{cp.status.value}, " + (
            "the same design" if design(cp) == design(got) else "no better design"
        )
        print(
            f"{base} on {args.huge_as_of}: {space.size():.2e} designs ({len(space.memory):,} memory, "
            f"{len(space.rate_limits):,} rate, {len(space.links)} link options); tables {built:.1f} s, "
            f"interval search {iv:.1f} s (measured, OPTIMAL); CP-SAT from its design, "
            f"{cp_s:.0f} s: {said}"
        )


if __name__ == "__main__":
    main()
