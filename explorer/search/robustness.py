"""Robust designs: one design that keeps its market across several policy worlds.

A world is today's rules, or today's rules with one scenario applied. One CP-SAT
model holds the shared design variables and one copy of each world's rules;
`worst-case` maximises the smallest value after fees (the design must be allowed
in every world), `expected` the weighted value (a world that does not allow the
design contributes nothing). The design is then judged in every world by the
independent checker, and compared with each world's own optimum.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, TypedDict

from explorer.load.data import load, with_scenarios
from explorer.model.checker import Verdict
from explorer.model.data import Data
from explorer.model.errors import InputError
from explorer.model.metrics import Metrics
from explorer.model.outcomes import Outcome
from explorer.model.space import Design
from explorer.search import run as s

if TYPE_CHECKING:
    from explorer.search.solution import SolveStatus

MODES = ("worst-case", "expected")
BASELINE = "today"


@dataclass(frozen=True)
class WorldResult:
    """The robust design in one world, against that world's own optimum."""

    world: str  # "today" or a scenario id
    status: str  # the scenario's status, or "as encoded" for today's rules
    weight: Fraction
    verdict: Verdict
    allowed: bool
    value: Fraction  # the robust design's value after fees in this world (0 where not allowed, expected mode)
    own_best: Fraction | None  # this world's own optimum (None: nothing complies there)
    own_design: Design | None

    @property
    def regret(self) -> Fraction | None:
        return None if self.own_best is None else self.own_best - self.value


class _Common(TypedDict):
    """The fields every robust result carries, whether or not a design was found."""

    base: str
    target: str
    as_of: dt.date
    mode: str
    solve_seconds: float


@dataclass(frozen=True)
class RobustResult:
    base: str
    target: str
    as_of: dt.date
    mode: str
    status: SolveStatus
    solve_seconds: float
    worlds: list[WorldResult] = field(default_factory=list)
    design: Design | None = None
    metrics: Metrics | None = None
    objective: Fraction = Fraction(0)  # worst-case value, or the weighted expected value
    cost_usd: Fraction = Fraction(0)
    conflicting_rules: list[str] = field(default_factory=list)  # "world: rule set"
    problem: s.Problem | None = field(default=None, repr=False, compare=False)  # the first world's

    def first_world_result(self) -> s.Found:
        """The robust design as a search result in the first world (today's rules, by default)."""
        p, design = self.problem, self.design
        assert p is not None and design is not None, "only a robust result with a design has a first world"
        first = self.worlds[0]
        metrics, _, _, gross, _ = s.judge(p, design)
        return s.Found(
            base=self.base,
            die=p.die,
            target=p.target,
            as_of=p.as_of,
            status=self.status,
            space_size=p.space.size(),
            solve_seconds=self.solve_seconds,
            design=design,
            flagship=p.space.flagship(),
            metrics=metrics,
            verdict=first.verdict,
            value=first.value,
            value_before_fees=gross,
            cost_usd=self.cost_usd,
            problem=p,
            **s.served(p, metrics),
            deciding=s.deciding(p, metrics),
        )

    @property
    def price_of_robustness(self) -> Fraction | None:
        """Today's own optimum less the robust design's value today (needs the baseline world)."""
        today = next((w for w in self.worlds if w.world == BASELINE), None)
        if today is None or today.own_best is None:
            return None
        return today.own_best - today.value


def parse_weights(text: str | None, names: list[str]) -> dict[str, Fraction]:
    """`A=0.6,B=0.4` (any positive numbers, normalised); default: equal weights."""
    if not text:
        return {n: Fraction(1, len(names)) for n in names}
    out: dict[str, Fraction] = {}
    for part in text.split(","):
        name, _, number = part.partition("=")
        name = name.strip()
        if name not in names:
            raise InputError("--weights", "", name, f"a world of this search: {', '.join(names)}")
        try:
            w = Fraction(number.strip())
        except ValueError:
            raise InputError("--weights", name, number, "a number, as in A=0.6,B=0.4") from None
        if w < 0:
            raise InputError("--weights", name, number, "a weight of 0 or more")
        out[name] = w
    total = sum(out.values())
    if not total:
        raise InputError("--weights", "", text, "at least one positive weight")
    return {n: out.get(n, Fraction(0)) / total for n in names}


def worlds_of(data: Data, scenarios: list[str], baseline: bool = True) -> list[tuple[str, Data]]:
    """Today's rules (unless `baseline` is off) and today's rules with each scenario, in that order."""
    worlds = [(BASELINE, data)] if baseline else []
    for name in scenarios:
        world = with_scenarios(data, [name])
        worlds.append((world.scenarios[-1].id, world))
    ids = [w for w, _ in worlds]
    if len(set(ids)) != len(ids):
        raise InputError("--scenario", "", ", ".join(ids), "each scenario once")
    if not worlds:
        raise InputError("--scenario", "", None, "at least one scenario (or keep today's rules)")
    return worlds


def robust(
    base: str,
    target: str = "china",
    scenarios: list[str] | None = None,
    mode: str = "worst-case",
    weights: str | None = None,
    baseline: bool = True,
    as_of=None,
    allow: Outcome = Outcome.NOT_CONTROLLED,
    data: Data | None = None,
    time_limit: float = 10.0,
    compare: bool = True,
    **problem_options,
) -> RobustResult:
    """The design that does best across the worlds; `compare` also solves each world on its own (regret)."""
    from explorer.model.cost import unit_cost_usd
    from explorer.search.encode import encode_robust
    from explorer.search.solve import solve

    if mode not in MODES:
        raise InputError("--objective", "", mode, f"one of: {', '.join(MODES)}")
    data = data or load()
    worlds = worlds_of(data, scenarios or [], baseline)
    names = [w for w, _ in worlds]
    share = parse_weights(weights, names)
    problems = [s.problem(base, target, as_of, allow=allow, data=d, **problem_options) for _, d in worlds]
    p0 = problems[0]
    start = time.perf_counter()
    enc = encode_robust(
        p0.tables,
        [p.plan for p in problems],
        None if mode == "worst-case" else weights_as_integers(share, names),
    )
    sol = solve(enc, time_limit)  # cold: see search/start.py for why a robust search takes no start
    seconds = time.perf_counter() - start
    common = _Common(base=base, target=p0.target.code, as_of=p0.as_of, mode=mode, solve_seconds=seconds)
    if sol.knobs is None:  # no design
        core = [f"{names[int(k.split(':', 1)[0])]}: {k.split(':', 1)[1]}" for k in sol.conflicting_rules]
        return RobustResult(**common, status=sol.status, conflicting_rules=core)
    design = s.decode(p0, sol.knobs)
    judged = []
    for (name, d), p in zip(worlds, problems, strict=True):
        metrics, real, guarded, _, net = s.judge(p, design)
        ok = guarded.outcome.rank <= p.plan.allowed
        judged.append((name, d, p, metrics, real, ok, net))
    scale = p0.tables.scales.value * p0.tables.scales.fee_basis
    values = [net if ok else Fraction(0) for *_, ok, net in judged]
    if mode == "worst-case":
        if not all(ok for *_, ok, _ in judged):
            bad = [name for name, *_, ok, _ in judged if not ok]
            raise s.CheckerDisagrees(f"{base}: the robust design {design.describe()} is not allowed in {bad}")
        objective = min(values)
    else:
        objective = sum((share[name] * v for (name, *_), v in zip(judged, values, strict=True)), Fraction(0))
    den = _denominator(share, names) if mode == "expected" else 1
    solver_objective = Fraction(sol.net * enc.net_divisor, scale * den)
    if abs(solver_objective - objective) > Fraction(1, 10**4):
        raise s.CheckerDisagrees(
            f"{base}: robust objective {float(solver_objective):.6f} from the solver, "
            f"{float(objective):.6f} from the checker"
        )
    results = []
    for (name, d, _p, _, real, ok, _), v in zip(judged, values, strict=True):
        own = (
            s.search(
                base,
                target,
                as_of,
                allow=allow,
                data=d,
                explain=False,
                time_limit=time_limit,
                **problem_options,
            )
            if compare
            else None
        )
        found = own if isinstance(own, s.Found) else None  # this world's own optimum
        results.append(
            WorldResult(
                name,
                d.scenarios[-1].status.value if d.scenarios and name != BASELINE else "as encoded",
                share[name],
                real,
                ok,
                v,
                found.value if found is not None else None,
                found.design if found is not None else None,
            )
        )
    cost = Fraction(round(unit_cost_usd(design, p0.die, p0.costs) * 100), 100)
    return RobustResult(
        **common,
        status=sol.status,
        worlds=results,
        design=design,
        metrics=judged[0][3],
        objective=objective,
        cost_usd=cost,
        problem=p0,
    )


def _denominator(share: dict[str, Fraction], names: list[str]) -> int:
    return math.lcm(*(share[n].denominator for n in names))


def weights_as_integers(share: dict[str, Fraction], names: list[str]) -> list[int]:
    """Weights as integers on a common denominator (the solver's objective is that many times larger)."""
    den = _denominator(share, names)
    return [int(share[n] * den) for n in names]
