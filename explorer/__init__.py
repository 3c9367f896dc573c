"""chip-explorer: AI chips against US export-control rules, as data and exact checks.

The notebook API: every function returns result objects or a pandas DataFrame.

    import explorer
    explorer.classify("h20", "china", "2024-06-01").verdict.outcome
    explorer.explore("china", bases=["gh100"], as_of="2024-01-01")      # DataFrame, one row per base
    explorer.frontier("gh100", "china", as_of="2024-06-01")             # DataFrame of frontier points
    explorer.explore("china", allow=Outcome.LICENSE_CASE_BY_CASE, assume_us_launch="2025-06-01")
    explorer.sweep("china", vary="3A090.b.1:tpp", values="1600:4000:800", bases=["gh100"])
    explorer.robust("gh100", "china", ["safe-chips-act", "april-2025-lines-lifted"])  # a RobustResult
    explorer.classify("h200", "china", scenarios=["safe-chips-act"])                  # a what-if verdict
    explorer.portfolio("hopper-2024")                             # one die, a SKU per market
"""

from __future__ import annotations


def classify(
    chip: str,
    target: str = "china",
    as_of=None,
    end_user_hq=None,
    assume_us_launch=None,
    scenarios=(),
    end_user=None,
):
    """One catalog chip judged for a target and date (an api.Classification), under any scenarios."""
    from explorer import api

    data = api.with_scenarios(api.load(), list(scenarios))
    return api.classify(
        chip,
        target,
        as_of,
        data,
        end_user_hq=end_user_hq,
        assume_us_launch=assume_us_launch,
        end_user=end_user,
    )


def robust(base: str, target: str = "china", scenarios=(), **options):
    """The design that does best across today's rules and each scenario (a RobustResult)."""
    from explorer.search import robustness as rb

    return rb.robust(base, target, list(scenarios), **options)


def portfolio(line: str, bases: list[str] | None = None, as_of=None, scenarios=(), **options):
    """The die to tape out and each market's SKU of it (a PortfolioResult): `line` names a file in
    specs/portfolios/ or is the path of one."""
    from explorer import api

    data = api.load()
    plan = api.load_portfolio(line, data.root)
    return api.portfolio(plan, bases, as_of, data=data, scenarios=tuple(scenarios), **options)


def explore(target: str = "china", bases: list[str] | None = None, as_of=None, **options):
    """Search every base (default: every die) and return a DataFrame ranked by value."""
    import pandas as pd

    from explorer import api
    from explorer.report import results as report

    data = api.load()
    bases = bases or data.catalog.design_bases()
    rows = []
    for base, r in zip(
        bases, api.search_bases(bases, target=target, as_of=as_of, data=data, **options), strict=True
    ):
        d = report.result_dict(r, data)
        rows.append(
            {
                "base": base,
                "value": d["value"],
                "outcome": d["outcome"],
                "status": d["status"],
                "design": d["design"]["summary"] if d["design"] else None,
                "binding": ", ".join(b["paragraph"] for b in d["binding"]),
                "tpp": d["metrics"]["tpp"] if d["metrics"] else None,
                "memory_bandwidth_gbps": d["metrics"]["memory_bandwidth_gbps"] if d["metrics"] else None,
                "unit_cost_usd": d["cost_usd"] if d["design"] else None,
                "result": r,
            }
        )
    return pd.DataFrame(rows).sort_values("value", ascending=False, ignore_index=True)


def frontier(
    base: str,
    target: str = "china",
    as_of=None,
    x: str = "cost",
    points: int = 60,
    max_margin: float = 20.0,
    **options,
):
    """An exact Pareto frontier as a DataFrame: value against unit cost, or against the guard band."""
    from fractions import Fraction

    import pandas as pd

    from explorer.report import results as report
    from explorer.search import frontiers as fr
    from explorer.search import run as s

    def build(margin):
        return s.problem(base, target, as_of, margin_pct=margin, **options)

    if x == "cost":
        pts, _ = fr.cost_frontier(build(Fraction(0)), max_points=points)
    else:
        pts = fr.margin_frontier(
            build, [Fraction(max_margin) * i / max(points - 1, 1) for i in range(points)]
        )
    return pd.DataFrame(report.frontier_rows(pts, x))


def sweep(
    target: str = "china",
    vary: str = "date",
    values: str | None = None,
    bases: list[str] | None = None,
    as_of=None,
    executor: str = "process",
    scheduler: str | None = None,
):
    """A what-if sweep as a DataFrame (see `explore sweep`)."""
    from explorer import api
    from explorer import sweeps as sw
    from explorer.model.destinations import resolve_target

    data = api.load()
    on = api.parse_date(as_of)
    if vary == "date":
        params = [
            d.isoformat()
            for d in sw.rule_change_dates(data.rules, on, resolve_target(data.destinations, target, on))
        ]
    else:
        params = [str(v) for v in sw.parse_values(values or "")]
    jobs = [
        sw.Job(b, target, on.isoformat(), vary, p, "llm-serving", "not-controlled", str(data.root))
        for b in bases or data.catalog.design_bases()
        for p in params
    ]
    return sw.execute(jobs, executor=executor, scheduler=scheduler)
