"""What-if sweeps: vary a threshold, the date or the scenario, search every base at each, collect a DataFrame.

Jobs are small picklable records run by a function at module level, so the same
work runs serially, across processes, or on a Dask cluster, with identical rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from explorer.model.errors import InputError

COLUMNS = [
    "base",
    "parameter",
    "status",
    "outcome",
    "value",
    "tpp",
    "memory_bandwidth_gbps",
    "binding",
    "design",
]


@dataclass(frozen=True)
class Job:
    base: str
    target: str
    as_of: str
    vary: str  # "date", "scenario", or "PARAGRAPH:METRIC"
    parameter: str  # the value: an ISO date, a scenario id ("" for today's rules), or a number as a string
    value_model: str
    allow: str
    root: str
    scenarios: tuple[str, ...] = ()  # applied to every job (--scenario)


MAX_VALUES = 100_000  # a --values list is refused beyond this, before it is built


def parse_values(text: str) -> list[Fraction]:
    """`1000:10000:1000` (start:stop:step, inclusive) or `1000,2400,4800`; finite numbers of at most 10^12,
    each bounded as written (1e400 and 1e9999999 are refused, not expanded)."""
    from explorer.model.numbers import exact

    expected = "start:stop:step or a comma list of finite numbers of at most 1e12"
    try:
        if ":" in text:
            parts = text.split(":")
            if len(parts) != 3:
                raise ValueError
            start, stop, step = (exact(x) for x in parts)
            if step <= 0 or stop < start:
                raise ValueError
            n = int((stop - start) / step)
            if n + 1 > MAX_VALUES:
                raise InputError("--values", "", text, f"at most {MAX_VALUES} values")
            return [start + i * step for i in range(n + 1)]
        values = text.split(",")
        if len(values) > MAX_VALUES:
            raise InputError("--values", "", text[:40], f"at most {MAX_VALUES} values")
        return [exact(x) for x in values]
    except ValueError:
        raise InputError("--values", "", text, expected) from None


def rule_change_dates(rules, until: dt.date, target=None) -> list[dt.date]:
    """Every day a rule set that reaches `target` began to bind or ended, up to `until`.

    A rule that never bound (AI Diffusion) changes nothing; with a target, rule
    sets that never cover it (an embargo on another country) are left out.
    """
    from explorer.model.checker import applies

    days = set()
    for r in rules:
        if not r.ever_binds():
            continue
        if target is not None and not applies(r, target, r.binds_from) and not applies(r, target, until):
            continue
        days |= {d for d in (r.binds_from, r.effective_until) if d and d <= until}
    return sorted(days)


def with_threshold(rules, vary: str, value: Fraction):
    """The rules with every lower-bound clause on METRIC in PARAGRAPH set to `value`."""
    paragraph, _, metric = vary.partition(":")
    hits = 0
    out = []
    for rule in rules:
        controls = []
        for c in rule.controls:
            if c.paragraph == paragraph:
                clauses = []
                for x in c.clauses:
                    if x.metric == metric and x.op.value in (">=", ">"):
                        x = dataclasses.replace(x, value=value)
                        hits += 1
                    clauses.append(x)
                c = dataclasses.replace(c, clauses=clauses)
            controls.append(c)
        out.append(dataclasses.replace(rule, controls=controls))
    if not hits:
        raise InputError(
            "--vary", "", vary, "PARAGRAPH:METRIC naming a lower-bound line, e.g. 3A090.a.1:tpp, or 'date'"
        )
    return out


def run(job: Job) -> dict:
    """One search of the sweep (module level, so processes and Dask workers can run it)."""
    from pathlib import Path

    from explorer.load.data import load, with_scenarios
    from explorer.model.outcomes import Outcome
    from explorer.search import run as search

    data = with_scenarios(load(Path(job.root)), job.scenarios)
    as_of = job.as_of
    if job.vary == "date":
        as_of = job.parameter
    elif job.vary == "scenario":
        data = with_scenarios(data, [job.parameter] if job.parameter else [])
    else:
        data = dataclasses.replace(data, rules=with_threshold(data.rules, job.vary, Fraction(job.parameter)))
    r = search.search(job.base, job.target, as_of, job.value_model, Outcome(job.allow), data=data)
    found = r if isinstance(r, search.Found) else None
    return {
        "base": job.base,
        "parameter": job.parameter if job.vary in ("date", "scenario") else float(Fraction(job.parameter)),
        "status": r.status,
        "outcome": found.verdict.outcome.value if found else None,
        "value": round(float(found.value), 6) if found else 0.0,
        "tpp": round(float(found.metrics.tpp), 2) if found else None,
        "memory_bandwidth_gbps": round(float(found.metrics.memory_bandwidth_gbps), 2) if found else None,
        "binding": ", ".join(b.paragraph for b in found.binding) if found else "",
        "design": found.design.describe() if found else None,
    }


def execute(
    jobs: list[Job],
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    timeout: float = 10.0,
):
    """Run every job and return a DataFrame in job order, whichever executor ran them.

    A sweep of a line is bisected (`bisect`): far fewer searches, the same rows.
    """
    import pandas as pd

    from explorer.search.parallel import map_jobs

    def run_all(batch: list[Job], tick: Callable[[int], None] | None) -> list[dict]:
        return map_jobs(run, batch, executor, workers, scheduler, tick, timeout)

    if jobs and all(j.vary not in ("date", "scenario") for j in jobs):
        rows = bisect(jobs, run_all, progress)
    else:
        rows = run_all(jobs, progress)
    return pd.DataFrame(rows, columns=COLUMNS)


PROVED = ("OPTIMAL", "INFEASIBLE")


def bisect(
    jobs: list[Job],
    run_all: Callable[[list[Job], Callable[[int], None] | None], list[dict]],
    progress: Callable[[int], None] | None = None,
) -> list[dict]:
    """A line's sweep with a search only where the answer can change; rows as one search per point gives.

    Raising a lower-bound line only lets more designs through, so the designs
    allowed at a line between two others lie between theirs: where the searches at
    both ends prove the same best design (or prove none), every point between has
    it too. Each round searches the middle of every interval whose ends differ, in
    parallel, until no such interval is left.
    """
    rows: dict[int, dict] = {}
    groups: dict[Job, list[int]] = {}  # one line sweep per base (the job without its parameter)
    for i, j in enumerate(jobs):
        groups.setdefault(dataclasses.replace(j, parameter=""), []).append(i)
    order = [sorted(ix, key=lambda i: Fraction(jobs[i].parameter)) for ix in groups.values()]
    todo = sorted({g[0] for g in order} | {g[-1] for g in order})
    intervals = [(g, 0, len(g) - 1) for g in order if len(g) > 1]
    while todo:
        for i, row in zip(todo, run_all([jobs[i] for i in todo], progress), strict=True):
            rows[i] = row
        todo, left = [], []
        for g, lo, hi in intervals:
            a, b = rows[g[lo]], rows[g[hi]]
            if hi - lo < 2:
                continue
            if a["status"] in PROVED and _same(a, b):
                for k in range(lo + 1, hi):
                    rows[g[k]] = {**a, "parameter": float(Fraction(jobs[g[k]].parameter))}
                if progress:
                    progress(hi - lo - 1)
                continue
            mid = (lo + hi) // 2
            todo.append(g[mid])
            left += [(g, lo, mid), (g, mid, hi)]
        intervals = left
    return [rows[i] for i in range(len(jobs))]


def _same(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "parameter"} == {
        k: v for k, v in b.items() if k != "parameter"
    }
