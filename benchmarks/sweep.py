"""A line sweep bisected against one search per point, in one run on this machine.

    python benchmarks/sweep.py [--base gh100] [--vary 3A090.a.1:tpp] [--values 1000:10999:1] [--sample 12]

The bisected sweep runs every point of --values (10,000 by default) and is timed
whole (measured). One search per point is timed on --sample points spread over the
range (measured) and extrapolated to every point (labelled so); the sampled rows
are checked against the bisected ones. Both use the same local processes.
"""

from __future__ import annotations

import argparse
import time

from explorer import api
from explorer import sweeps as sw
from explorer.search.parallel import map_jobs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="gh100")
    ap.add_argument("--target", default="china")
    ap.add_argument("--as-of", default="2024-06-01")
    ap.add_argument("--vary", default="3A090.a.1:tpp")
    ap.add_argument("--values", default="1000:10999:1")
    ap.add_argument("--sample", type=int, default=12)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    root = str(api.load().root)
    params = [str(v) for v in sw.parse_values(args.values)]
    jobs = [
        sw.Job(args.base, args.target, args.as_of, args.vary, p, "llm-serving", "not-controlled", root)
        for p in params
    ]
    searched = [0]

    def run_all(batch, tick):
        searched[0] += len(batch)
        return map_jobs(sw.run, batch, "process", args.workers, None, tick)

    t0 = time.perf_counter()
    rows = sw.bisect(jobs, run_all)
    bisected = time.perf_counter() - t0
    step = max(1, len(jobs) // args.sample)
    sample = list(range(0, len(jobs), step))[: args.sample]
    t0 = time.perf_counter()
    alone = map_jobs(sw.run, [jobs[i] for i in sample], "process", args.workers)
    per_point = (time.perf_counter() - t0) / len(sample)
    agree = all(rows[i] == r for i, r in zip(sample, alone, strict=True))
    distinct = len({tuple((k, v) for k, v in r.items() if k != "parameter") for r in rows})
    print(f"{args.base} {args.vary} over {len(jobs):,} points for {args.target} on {args.as_of}")
    print(f"bisected: {bisected:.1f} s (measured), {searched[0]:,} searches, {distinct:,} distinct answers")
    print(
        f"one search per point: {per_point:.2f} s a point on {len(sample)} sampled points (measured), "
        f"{per_point * len(jobs):,.0f} s for all (extrapolated); sampled rows identical: {agree}"
    )
    print(f"ratio: {per_point * len(jobs) / bisected:,.0f}x (the per-point side extrapolated)")


if __name__ == "__main__":
    main()
