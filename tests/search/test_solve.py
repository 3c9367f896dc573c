"""The solve wrapper's guards around CP-SAT itself."""

from __future__ import annotations

import dataclasses
import datetime as dt

from explorer.model.space import build_space
from explorer.search import brute
from explorer.search import run as s
from explorer.search.encode import encode
from explorer.search.solve import SolveStatus, _solver, solve


def test_an_infeasibility_is_believed_only_when_a_search_without_presolve_agrees(data, cfg) -> None:
    """CP-SAT 9.15's presolve calls this model infeasible (google/or-tools#5274), though the enumerator
    and the checker both allow a design: found by the robust property test's random draws (gb110-1die,
    one units option, two clocks, two rate options, every line at a fifth, September 2022)."""
    full = build_space(data.catalog.dies["gb110-1die"], data.catalog, cfg, [False, True])
    picks = ((0,), (0, 13), (6, 7), (0,), (0,), (0,))
    knobs = (full.units, full.clocks_mhz, full.rate_limits, full.memory, full.links, full.datacenter)
    u, c, r, m, k, d = ([options[i] for i in pick] for options, pick in zip(knobs, picks, strict=True))
    space = dataclasses.replace(full, units=u, clocks_mhz=c, rate_limits=r, memory=m, links=k, datacenter=d)
    rules = [
        dataclasses.replace(
            rule,
            controls=[
                dataclasses.replace(
                    ctl,
                    clauses=[
                        x if isinstance(x.value, bool) else dataclasses.replace(x, value=x.value / 5)
                        for x in ctl.clauses
                    ],
                )
                for ctl in rule.controls
            ],
        )
        for rule in data.rules
    ]
    p = s.problem(
        "gb110-1die", "china", dt.date(2022, 9, 1), data=dataclasses.replace(data, rules=rules), space=space
    )
    oracle = brute.best(p.tables, p.plan)
    assert oracle.feasible and oracle.knobs is not None
    _, _, verdict, _, _ = s.judge(p, s.decode(p, oracle.knobs))
    assert verdict.outcome.rank <= p.plan.allowed, "the checker allows the enumerator's design too"

    presolved = encode(p.tables, p.plan)
    presolved.model.maximize(presolved.net)
    bare = _solver(10.0)
    assert bare.status_name(bare.solve(presolved.model)) == "INFEASIBLE", (
        "CP-SAT's presolve no longer errs here: after an upgrade, the guard in solve() may go"
    )
    sol = solve(encode(p.tables, p.plan))
    assert sol.status is SolveStatus.OPTIMAL
    assert (sol.net, sol.cost_cents, sol.knobs) == (oracle.net, oracle.cost_cents, oracle.knobs)
