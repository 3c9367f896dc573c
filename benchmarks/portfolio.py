"""Product-line search against the separate searches it is made of, measured in one run.

    python benchmarks/portfolio.py [--runs 3]

`explore portfolio` proves each (candidate die, market) gross-margin optimum and sums
the best die's: given the die the markets share nothing (search/portfolio.py). This
measures the whole product-line search against the same searches run one by one
through `api.search`, on the shipped lines, and the command end to end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from main_job import timed  # a sibling script: python benchmarks/portfolio.py puts its folder on the path

from explorer import api
from explorer.search import portfolio as pf


def separate(data, line, scenarios: tuple[str, ...]) -> None:
    """Every (die, market) search on its own, as a user would run them without `explore portfolio`."""
    worlds = {m.name: api.with_scenarios(data, [*scenarios, *m.scenarios]) for m in line.markets}
    for die in pf.candidate_dies(data, line.bases):
        for m in line.markets:
            fixed, per_value = pf.market_curve(data, m, "llm-serving")
            api.search(
                die,
                m.target,
                m.as_of,
                allow=m.allow,
                markets=[m.datacenter],
                data=worlds[m.name],
                goal="gross-margin",
                price_usd=fixed,
                usd_per_value=per_value,
                end_user_hq=m.end_user_hq,
                end_user=m.end_user,
                assume_us_launch=m.assume_us_launch,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data = api.load()
    for name, scenarios in [
        ("hopper-2024", ()),
        ("blackwell-2026", ()),
        ("blackwell-2026", ("blackwell-allowed",)),
    ]:
        line = api.load_portfolio(name, data.root)
        searches = len(pf.candidate_dies(data, line.bases)) * len(line.markets)
        whole = timed(lambda line=line, sc=scenarios: api.portfolio(line, data=data, scenarios=sc), args.runs)
        apart = timed(lambda line=line, sc=scenarios: separate(data, line, sc), args.runs)
        t0 = time.perf_counter()
        cli = ["-m", "explorer", "-q", "portfolio", name, *(x for s in scenarios for x in ("--scenario", s))]
        subprocess.run([sys.executable, *cli], check=True, capture_output=True)
        end_to_end = time.perf_counter() - t0
        label = name + "".join(f" --scenario {s}" for s in scenarios)
        print(
            f"{label}: {searches} searches; product line {whole:.2f} s, the same searches one by one "
            f"{apart:.2f} s ({whole / apart:.2f}x); explore portfolio end to end {end_to_end:.2f} s "
            f"(medians of {args.runs}, measured)"
        )


if __name__ == "__main__":
    main()
