"""Solver-correctness checks on any data folder: the test suite's properties as a product feature.

Two checks, per base die:
- cases: random sub-spaces small enough to enumerate, with random guard bands,
  random allowed outcomes and control lines moved onto the exact metrics of
  sampled designs (where off-by-one errors live). CP-SAT's optimum and the interval
  search's (intervals.py, what the plain search runs) must each be the enumerator's
  design, and so must CP-SAT's on the gross-margin goal (what each market of a
  product line is proved optimal for); every solution must pass the independent
  checker with the value the solver claims, and an infeasibility core must re-check;
- designs: random designs of the full space judged by the checker and by the
  integer model the solver reads (and, for some, by CP-SAT with the knobs fixed).

A disagreement becomes a counterexample: a minimal, JSON-ready case that
`replay` runs again. The test suite runs the same `check_case` on its own
hypothesis-generated cases: one implementation, two callers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import NoReturn

from explorer.model.outcomes import Outcome
from explorer.search.knobs import Knobs

KNOBS = ("units", "clocks_mhz", "rate_limits", "memory", "links", "datacenter")
MOST = (4, 4, 3, 5, 3, 2)  # values kept per knob in a case: at most 1,440 designs
ALLOW = ["not-controlled", "license-exception", "notification", "license-case-by-case"]


@dataclass(frozen=True)
class Line:
    """A control clause moved to a new value: rule id, control index, clause index (in the data's order)."""

    rule: str
    control: int
    clause: int
    value: str  # a fraction, "p/q"


@dataclass(frozen=True)
class Case:
    """One small search to check; JSON-ready (see `to_json`)."""

    base: str
    target: str
    as_of: str
    allow: str
    margin_pct: str
    picks: dict[str, list[int]]  # knob -> indices into the base die's full design space
    lines: list[Line] = field(default_factory=list)
    robust: bool = True
    end_user_hq: str | None = None
    assume_us_launch: str | None = None
    end_user: str | None = None  # a named buyer (destinations.toml [end_users])

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, raw: dict) -> Case:
        return cls(**{**raw, "lines": [Line(**x) for x in raw.get("lines", [])]})


@dataclass(frozen=True)
class Finding:
    """A disagreement: which check, the two answers, and the case that shows it."""

    check: str  # optimum, feasibility, checker, core, design
    detail: str
    case: dict


@dataclass
class BaseReport:
    base: str
    cases: int = 0
    designs: int = 0
    designs_by_solver: int = 0
    unproved: int = 0  # cases CP-SAT did not prove within its time limit (FEASIBLE, not a disagreement)
    findings: list[Finding] = field(default_factory=list)


def full_space(data, base: str, markets=(False, True)):
    """The base die's default design space over both markets (what case picks index into)."""
    from explorer.load.loader import load_space_config
    from explorer.model.space import build_space
    from explorer.search import run as search

    die, _ = search.resolve_base(data, base)
    return build_space(die, data.catalog, load_space_config(data.root), list(markets))


def with_lines(rules, lines: list[Line]):
    """The rules with each named control clause moved to its new value."""
    if not lines:
        return rules
    moved = {(x.rule, x.control, x.clause): Fraction(x.value) for x in lines}
    out = []
    for r in rules:
        controls = [
            dataclasses.replace(
                c,
                clauses=[
                    dataclasses.replace(x, value=moved[(r.id, i, j)]) if (r.id, i, j) in moved else x
                    for j, x in enumerate(c.clauses)
                ],
            )
            for i, c in enumerate(r.controls)
        ]
        out.append(dataclasses.replace(r, controls=controls))
    return out


def build(data, case: Case):
    """The search problem a case describes."""
    from explorer.search import run as search

    space = full_space(data, case.base)
    sub = dataclasses.replace(space, **{k: [getattr(space, k)[i] for i in case.picks[k]] for k in KNOBS})
    moved = dataclasses.replace(data, rules=with_lines(data.rules, case.lines))
    return search.problem(
        case.base,
        case.target,
        case.as_of,
        allow=Outcome(case.allow),
        margin_pct=Fraction(case.margin_pct),
        data=moved,
        space=sub,
        robust=case.robust,
        end_user_hq=case.end_user_hq,
        assume_us_launch=case.assume_us_launch,
        end_user=case.end_user,
    )


def check_case(data, case: Case, encoder: Callable | None = None) -> list[Finding]:
    """Hold the solver to the enumerator and the checker on one case; [] when they agree."""
    from explorer.search import brute
    from explorer.search import run as s
    from explorer.search.encode import encode
    from explorer.search.solve import SolveStatus, solve

    encoder = encoder or encode
    p = build(data, case)
    sol = solve(encoder(p.tables, p.plan))
    ref = brute.best(p.tables, p.plan)
    scale = p.tables.scales.value * p.tables.scales.fee_basis
    raw = case.to_json()
    if (sol.knobs is not None) != ref.feasible:
        return [Finding("feasibility", f"solver {sol.status.value}, enumerator feasible={ref.feasible}", raw)]
    out = _check_intervals(p, ref, raw) + _check_margin(p, raw)
    if sol.status is SolveStatus.FEASIBLE:
        # stopped at the time limit: not wrong unless it claims more than the optimum (checked below)
        out.append(Finding("unproved", f"solver FEASIBLE within its time limit, gap {sol.gap:.2e}", raw))
        if sol.net > ref.net:
            out.append(
                Finding("optimum", f"a FEASIBLE value {sol.net} above the enumerated optimum {ref.net}", raw)
            )
    if ref.feasible:
        # ties go to the lowest knob indices on both sides, so an optimum is one design, not a value
        if sol.status is SolveStatus.OPTIMAL and (sol.net, sol.cost_cents, sol.knobs) != (
            ref.net,
            ref.cost_cents,
            ref.knobs,
        ):
            out.append(
                Finding(
                    "optimum",
                    f"solver value {float(Fraction(sol.net, scale)):.6f} at cost {sol.cost_cents} cents "
                    f"({sol.knobs}); enumerator {float(Fraction(ref.net, scale)):.6f} at {ref.cost_cents} "
                    f"({ref.knobs})",
                    raw,
                )
            )
        assert sol.knobs is not None, "feasible on both sides (checked above)"
        design = s.decode(p, sol.knobs)
        _, _, verdict, _, net = s.judge(p, design)
        if verdict.outcome.rank > p.plan.allowed:
            out.append(
                Finding("checker", f"the solver's {design.describe()} is {verdict.outcome.value}", raw)
            )
        elif abs(Fraction(sol.net, scale) - net) > Fraction(1, 10**4):
            out.append(
                Finding(
                    "checker",
                    f"solver value {float(Fraction(sol.net, scale)):.6f}, checker {float(net):.6f} "
                    f"for {design.describe()}",
                    raw,
                )
            )
    elif sol.conflicting_rules:
        core = set(sol.conflicting_rules)
        only = dataclasses.replace(p.plan, controls=[c for c in p.plan.controls if c.rule in core])
        if brute.best(p.tables, only).feasible:
            out.append(Finding("core", f"rules {sorted(core)} alone admit a design", raw))
    return out


def _check_intervals(p, ref, raw: dict) -> list[Finding]:
    """The interval search (what the plain search runs) must find the enumerator's design, or none."""
    from explorer.search import intervals

    got = intervals.solve(p.tables, p.plan)
    if got is None:  # fees that could reach the price: the search runs CP-SAT, checked above
        return []
    if (got.knobs is not None) != ref.feasible or (
        ref.feasible and (got.net, got.cost_cents, got.knobs) != (ref.net, ref.cost_cents, ref.knobs)
    ):
        return [
            Finding(
                "optimum",
                f"interval search {got.status.value} {got.net} at {got.cost_cents} cents ({got.knobs}); "
                f"enumerator {ref.net} at {ref.cost_cents} ({ref.knobs})",
                raw,
            )
        ]
    return []


MARGIN_USD_PER_VALUE = 27500  # a market's price of a unit of value for the gross-margin check (the H100's)


def _check_margin(p, raw: dict) -> list[Finding]:
    """The gross-margin goal (what each market of `explore portfolio` is proved optimal for): CP-SAT's
    design must be the enumerator's under the same stages."""
    from fractions import Fraction

    from explorer.search import brute
    from explorer.search.encode import encode
    from explorer.search.goals import price_curve, stages
    from explorer.search.solve import SolveStatus, solve

    per_value = Fraction(MARGIN_USD_PER_VALUE)
    enc = encode(p.tables, p.plan)
    sol = solve(enc, 10.0, stages("gross-margin", enc, p, price_curve(p, None, per_value)))
    per_cent = round(p.tables.scales.value * p.tables.scales.fee_basis / (per_value * 100))
    ref = brute.best_staged(
        p.tables, p.plan, [lambda net, cost: net - per_cent * cost, lambda net, cost: net]
    )
    if sol.status is SolveStatus.FEASIBLE:
        return []  # stopped at the time limit: counted by the value check's own time-outs
    if (sol.knobs is not None) != ref.feasible or (
        ref.feasible and (sol.net, sol.cost_cents, sol.knobs) != (ref.net, ref.cost_cents, ref.knobs)
    ):
        return [
            Finding(
                "optimum",
                f"gross margin at ${MARGIN_USD_PER_VALUE:,} per unit of value: solver {sol.status.value} "
                f"{sol.knobs}; enumerator {ref.knobs}",
                raw,
            )
        ]
    return []


def judge_designs(data, base: str, target: str, as_of, n: int, seed: int, solver_checks: int = 20) -> tuple:
    """(designs judged, of them by CP-SAT, findings): random designs of the full space, three judges."""
    import numpy as np

    from explorer.search import brute
    from explorer.search import run as s
    from explorer.search.encode import encode
    from explorer.search.solve import SolveStatus, solve

    space = full_space(data, base)
    p = s.problem(base, target, as_of, data=data, space=space)
    t = p.tables
    rng = np.random.default_rng(seed)
    cols = [rng.integers(0, k, n) for k in brute.sizes(t)]
    allowed, fit, net = brute.score(t, p.plan, brute.resources(t, *cols), n)
    scale = t.scales.value * t.scales.fee_basis
    findings = []
    for i in range(n):
        knobs = brute.knobs_at(t, [col[i] for col in cols])
        design = s.decode(p, knobs)
        _, _, verdict, _, value = s.judge(p, design)
        ok = verdict.outcome.rank <= p.plan.allowed
        model_value = Fraction(int(net[i]), scale)
        if bool(allowed[i]) != ok or (fit[i] and ok and abs(model_value - value) > Fraction(1, 10**4)):
            findings.append(
                Finding(
                    "design",
                    f"{design.describe()}: checker {verdict.outcome.value} value {float(value):.6f}; "
                    f"integer model allowed={bool(allowed[i])} value {float(model_value):.6f}",
                    {"base": base, "target": target, "as_of": str(as_of), "knobs": knobs.as_dict()},
                )
            )
        if i < solver_checks and fit[i]:
            enc = encode(t, p.plan)
            for name in brute.KNOBS:
                enc.model.add(enc.knobs[name] == int(getattr(knobs, name)))
            fixed = solve(enc, 10.0)
            got = fixed.status is SolveStatus.OPTIMAL
            if got and ok and abs(Fraction(fixed.net, scale) - value) > Fraction(1, 10**4):
                # the fee shares are exact for any feasible assignment, not only at the optimum
                findings.append(
                    Finding(
                        "design",
                        f"{design.describe()}: CP-SAT net value {float(Fraction(fixed.net, scale)):.6f} "
                        f"with the knobs fixed, checker {float(value):.6f}",
                        {"base": base, "target": target, "as_of": str(as_of), "knobs": knobs.as_dict()},
                    )
                )
            if got != ok:
                findings.append(
                    Finding(
                        "design",
                        f"{design.describe()}: checker allowed={ok}, CP-SAT (knobs fixed) feasible={got}",
                        {"base": base, "target": target, "as_of": str(as_of), "knobs": knobs.as_dict()},
                    )
                )
    return n, min(solver_checks, n), findings


def sample_case(data, base: str, target: str, as_of: str, rng: random.Random) -> Case:
    """A random small case: sub-space, guard band, allowed outcome, and lines moved onto designs."""
    space = full_space(data, base)
    picks = {
        k: sorted(rng.sample(range(len(getattr(space, k))), min(most, len(getattr(space, k)))))
        if rng.random() < 0.8
        else sorted(rng.sample(range(len(getattr(space, k))), 1))
        for k, most in zip(KNOBS, MOST, strict=True)
    }
    margin = rng.choice([Fraction(0), Fraction(0), Fraction(rng.randint(1, 100), 10)])
    lines = _moved_lines(data, space, picks, rng, _in_force(data, target, as_of))
    return Case(
        base,
        target,
        as_of,
        rng.choice(ALLOW),
        str(margin),
        picks,
        lines,
        rng.random() < 0.5,
        *_facts(data, rng),
    )


def _facts(data, rng: random.Random) -> tuple[str | None, str | None, str | None]:
    """(--end-user-hq, --assume-us-launch, --end-user): a named end user brings its own headquarters,
    so it is drawn only where none is given."""
    hq = rng.choice([None, None, "china", "germany"])
    launch = rng.choice([None, None, "2024-01-01", "2026-06-01"])
    named = sorted(data.destinations.end_users)
    end_user = rng.choice(named) if named and hq is None and rng.random() < 0.3 else None
    return hq, launch, end_user


def _in_force(data, target: str, as_of: str) -> set[str]:
    """Ids of the rule sets in force for the target on the date: where a moved line can matter."""
    from explorer.load.options import parse_date
    from explorer.model.checker import rules_in_force
    from explorer.model.destinations import resolve_target

    on = parse_date(as_of)
    return {r.id for r in rules_in_force(data.rules, resolve_target(data.destinations, target, on), on)}


def _moved_lines(data, space, picks, rng: random.Random, in_force: set[str]) -> list[Line]:
    """Up to three numeric control clauses of the rules in force (any rule's where none is), each moved
    onto the exact metric of a design in the case."""
    from explorer.model.space import Design

    clauses = [
        (r.id, i, j, x.metric)
        for r in data.rules
        for i, c in enumerate(r.controls)
        for j, x in enumerate(c.clauses)
        if not isinstance(x.value, bool)
    ]
    clauses = [c for c in clauses if c[0] in in_force] or clauses
    lines = []
    for rule, i, j, metric in rng.sample(clauses, min(3, len(clauses))):
        design = Design(
            space.die.id,
            space.units[rng.choice(picks["units"])],
            space.clocks_mhz[rng.choice(picks["clocks_mhz"])],
            space.rate_limits[rng.choice(picks["rate_limits"])],
            space.memory[rng.choice(picks["memory"])],
            space.links[rng.choice(picks["links"])],
            space.datacenter[rng.choice(picks["datacenter"])],
        )
        value = data.catalog.metrics_of_design(design, space.die).value(metric)
        if isinstance(value, Fraction) and value > 0:
            lines.append(Line(rule, i, j, str(value)))
    return lines


@dataclass(frozen=True)
class Job:
    root: str
    base: str
    target: str
    as_of: str
    samples: int
    designs: int
    seed: int
    scenarios: tuple[str, ...] = ()


def run_job(job: Job) -> BaseReport:
    """Every check for one base (module level, so processes and Dask workers can run it)."""
    from explorer.load.data import load, with_scenarios

    data = with_scenarios(load(Path(job.root)), job.scenarios)
    rng = random.Random(f"{job.seed}:{job.base}")
    report = BaseReport(job.base)
    for _ in range(job.samples):
        case = sample_case(data, job.base, job.target, job.as_of, rng)
        found = check_case(data, case)
        report.unproved += sum(f.check == "unproved" for f in found)
        report.findings += [f for f in found if f.check != "unproved"]
        report.cases += 1
    if job.designs:
        n, by_solver, findings = judge_designs(data, job.base, job.target, job.as_of, job.designs, job.seed)
        report.designs, report.designs_by_solver = n, by_solver
        report.findings += findings
    return report


def verify(
    data_dir=None,
    bases: list[str] | None = None,
    target: str = "china",
    as_of=None,
    samples: int = 40,
    designs: int = 200,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    scenarios: tuple[str, ...] = (),
    scheduler_timeout: float = 10.0,
) -> list[BaseReport]:
    """Run every check on a data folder (default: the built-in data); one report per base."""
    from explorer.load.data import load, with_scenarios
    from explorer.load.options import parse_date
    from explorer.search.parallel import map_jobs

    data = with_scenarios(load(data_dir), list(scenarios))
    on = parse_date(as_of).isoformat()
    jobs = [
        Job(str(data.root), b, target, on, samples, designs, seed, tuple(scenarios))
        for b in (bases or data.catalog.design_bases())
    ]
    return map_jobs(
        run_job, jobs, workers=workers, scheduler=scheduler, progress=progress, timeout=scheduler_timeout
    )


def replay(raw: dict | list, data_dir=None, where: str = "replay") -> list[Finding]:
    """Run counterexamples again: a verify report (its counterexamples), one case, or a list of them.

    Every case is checked field by field before any runs (`replay_cases`), so a malformed or foreign file
    is bad input (InputError naming `where` and the field), never a clean replay of nothing.
    """
    from explorer.load.data import load

    data = load(data_dir)
    out: list[Finding] = []
    for c in replay_cases(raw, data, where):
        if isinstance(c, Case):
            out += [f for f in check_case(data, c) if f.check != "unproved"]
        else:
            out += _replay_design(data, c)
    return out


def replay_cases(raw: object, data, where: str = "replay") -> list:
    """The cases of a replay file, each a `Case` or a design finding's dict, checked against `data`."""
    from explorer.model.errors import InputError

    if isinstance(raw, dict) and "bases" in raw:  # a whole report: its counterexamples
        bases = raw["bases"]
        if not isinstance(bases, list):
            raise InputError(where, "bases", bases, "a list of per-base reports (as --out writes)")
        found = []
        for i, b in enumerate(bases):
            shown = b.get("counterexamples", []) if isinstance(b, dict) else None
            if not isinstance(shown, list):
                raise InputError(where, f"bases[{i}]", b, "a base's report with a list of counterexamples")
            for j, f in enumerate(shown):
                if not isinstance(f, dict) or not isinstance(f.get("case"), dict):
                    raise InputError(where, f"bases[{i}].counterexamples[{j}]", f, "a finding with its case")
                found.append((f"bases[{i}].counterexamples[{j}].case", f["case"]))
    elif isinstance(raw, list):
        found = [(f"[{i}]", c) for i, c in enumerate(raw)]
    else:
        found = [("", raw)]
    return [
        _design_case(data, c, where, p) if isinstance(c, dict) and "knobs" in c else _case(data, c, where, p)
        for p, c in found
    ]


class _Fields:
    """Field-by-field checks of one JSON case, each failure an InputError naming the file and the field."""

    def __init__(self, raw: object, where: str, path: str, known: set[str], required: set[str]):
        from explorer.model.errors import InputError

        self.where, self.path = where, path
        if not isinstance(raw, dict):
            raise InputError(where, path or "(top level)", raw, "a case as verify --out writes it")
        for key in raw:
            if key not in known:
                self.bad(key, key, f"a known key: {', '.join(sorted(known))}")
        for key in sorted(required):
            if key not in raw:
                self.bad(key, None, "this key to be present")
        self.raw = raw

    def bad(self, field: str, value: object, expected: str) -> NoReturn:
        from explorer.model.errors import InputError

        raise InputError(self.where, f"{self.path}.{field}" if self.path else field, value, expected)

    def text(self, key: str, default: object = ...) -> str:
        x = self.raw.get(key, default)
        if not isinstance(x, str):
            self.bad(key, x, "a string")
        return x

    def index(self, key: str, x: object, size: int) -> int:
        if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < size:
            self.bad(key, x, f"an index from 0 to {size - 1}")
        return x

    def checked(self, key: str, value: object, check: Callable):
        """`check()`'s answer; an InputError it raises is reported against this field."""
        from explorer.model.errors import InputError

        try:
            return check()
        except InputError as e:
            self.bad(key, value, e.expected)


def _where_and_when(data, f: _Fields) -> tuple[str, str, str]:
    from explorer.load.options import parse_date
    from explorer.model.destinations import resolve_target
    from explorer.search import run as search

    base, target, as_of = f.text("base"), f.text("target"), f.text("as_of")
    on = f.checked("as_of", as_of, lambda: parse_date(as_of))
    f.checked("base", base, lambda: search.resolve_base(data, base))
    f.checked("target", target, lambda: resolve_target(data.destinations, target, on))
    return base, target, as_of


def _case(data, raw: object, where: str, path: str) -> Case:
    """A `Case`: a base, target and date that resolve, knob picks inside the base's space (at most as many
    as a sampled case holds), moved lines on clauses that exist, a guard band and outcome in range."""
    from explorer.load.options import end_user_scopes, parse_date
    from explorer.model.numbers import exact

    names = {f.name for f in dataclasses.fields(Case)}
    f = _Fields(raw, where, path, names, {"base", "target", "as_of", "allow", "margin_pct", "picks"})
    base, target, as_of = _where_and_when(data, f)
    allow = f.text("allow")
    if allow not in {o.value for o in Outcome}:
        f.bad("allow", allow, f"one of: {', '.join(o.value for o in Outcome)}")
    margin = f.checked("margin_pct", f.raw["margin_pct"], lambda: _number(f.raw["margin_pct"], exact))
    if not 0 <= margin <= 50:
        f.bad("margin_pct", f.raw["margin_pct"], "a guard band from 0 to 50 percent")
    space = full_space(data, base)
    picks = f.raw["picks"]
    if not isinstance(picks, dict) or set(picks) != set(KNOBS):
        f.bad("picks", picks, f"a table of option indices for each of {', '.join(KNOBS)}")
    for knob, most in zip(KNOBS, MOST, strict=True):
        chosen = picks[knob]
        if (
            not isinstance(chosen, list)
            or not 1 <= len(chosen) <= most
            or len(set(map(repr, chosen))) < len(chosen)
        ):
            f.bad(f"picks.{knob}", chosen, f"a list of 1 to {most} different option indices")
        for i, x in enumerate(chosen):
            f.index(f"picks.{knob}[{i}]", x, len(getattr(space, knob)))
    lines = f.raw.get("lines", [])
    if not isinstance(lines, list) or len(lines) > 16:
        f.bad("lines", lines, "a list of at most 16 moved lines")
    by_id = {r.id: r for r in data.rules}
    for i, line in enumerate(lines):
        g = _Fields(
            line,
            where,
            f"{f.path + '.' if f.path else ''}lines[{i}]",
            {"rule", "control", "clause", "value"},
            {"rule", "control", "clause", "value"},
        )
        rule = g.text("rule")
        if rule not in by_id:  # an unknown rule would move nothing: a replay that proves nothing
            g.bad("rule", rule, "a rule set id of the data")
        control = g.index("control", g.raw["control"], len(by_id[rule].controls))
        clauses = by_id[rule].controls[control].clauses
        clause = g.index("clause", g.raw["clause"], len(clauses))
        if isinstance(clauses[clause].value, bool):
            g.bad("clause", clause, "a clause with a numeric line")
        value = g.checked("value", g.raw["value"], lambda g=g: _number(g.raw["value"], exact))
        if value <= 0:
            g.bad("value", g.raw["value"], "a positive line")
    robust = f.raw.get("robust", True)
    if not isinstance(robust, bool):
        f.bad("robust", robust, "true or false")
    hq, launch = f.raw.get("end_user_hq"), f.raw.get("assume_us_launch")
    if hq is not None:
        f.checked("end_user_hq", hq, lambda: end_user_scopes(data, f.text("end_user_hq"), parse_date(as_of)))
    if launch is not None:
        f.checked(
            "assume_us_launch", launch, lambda: parse_date(f.text("assume_us_launch"), "assume_us_launch")
        )
    return Case.from_json(
        {
            **f.raw,
            "margin_pct": str(margin),
            "lines": [{**x, "value": str(_number(x["value"], exact))} for x in lines],
        }
    )


def _number(x: object, exact: Callable) -> Fraction:
    """A number as a verify report writes one (a "p/q" string, or a JSON number), bounded as written."""
    from explorer.model.errors import InputError

    if not isinstance(x, str | int | float) or isinstance(x, bool):
        raise InputError("", "", x, 'a number or a "p/q" string')
    try:
        return exact(x)
    except ValueError as e:
        raise InputError("", "", x, str(e)) from None


def _design_case(data, raw: object, where: str, path: str) -> dict:
    """A design finding's case: a base, target and date that resolve, and knobs inside the base's space."""
    from explorer.search import brute
    from explorer.search import run as s
    from explorer.search.knobs import NAMES

    f = _Fields(raw, where, path, {"base", "target", "as_of", "knobs"}, {"base", "target", "as_of", "knobs"})
    base, target, as_of = _where_and_when(data, f)
    knobs = f.raw["knobs"]
    if not isinstance(knobs, dict) or set(knobs) != set(NAMES):
        f.bad("knobs", knobs, f"a table of {', '.join(NAMES)}")
    t = s.problem(base, target, as_of, data=data, space=full_space(data, base)).tables
    options: dict[str, list] = {
        "units": list(t.units),
        "clock_mhz": list(t.clocks),
        "datacenter": list(t.markets),
    }
    for name, size in zip(NAMES, brute.sizes(t), strict=True):
        x = knobs[name]
        kind_ok = (
            isinstance(x, bool) if name == "datacenter" else isinstance(x, int) and not isinstance(x, bool)
        )
        if name in options:
            if not kind_ok or x not in options[name]:
                f.bad(f"knobs.{name}", x, f"one of the base's options: {options[name][:8]}...")
        else:
            f.index(f"knobs.{name}", x, size)
    return f.raw


def _replay_design(data, raw: dict) -> list[Finding]:
    """One design judged again by the checker and the integer model (`raw` checked by `_design_case`)."""
    from explorer.search import brute
    from explorer.search import run as s

    p = s.problem(raw["base"], raw["target"], raw["as_of"], data=data, space=full_space(data, raw["base"]))
    t, k = p.tables, Knobs.from_dict(raw["knobs"])
    cols = [[i] for i in brute.indices_of(t, k)]
    allowed, _, _ = brute.score(t, p.plan, brute.resources(t, *cols), 1)
    _, _, verdict, _, _ = s.judge(p, s.decode(p, k))
    ok = verdict.outcome.rank <= p.plan.allowed
    if bool(allowed[0]) == ok:
        return []
    return [
        Finding("design", f"checker {verdict.outcome.value}, integer model allowed={bool(allowed[0])}", raw)
    ]


def replay_dict(cases: list, findings: list[Finding]) -> dict:
    """`explore verify --replay`: the cases run again and what still disagrees."""
    return {
        "clean": not findings,
        "replayed": len(cases),
        "counterexamples": [dataclasses.asdict(f) for f in findings],
    }


def report_rows(report: dict) -> list[dict]:
    """A verify report (report_dict) as one row per base, counting its disagreements."""
    return [
        {k: v for k, v in b.items() if k != "counterexamples"} | {"disagreements": len(b["counterexamples"])}
        for b in report.get("bases", [])
    ]


def report_dict(reports: list[BaseReport]) -> dict:
    return {
        "clean": not any(r.findings for r in reports),
        "bases": [
            {
                "base": r.base,
                "cases": r.cases,
                "designs_judged": r.designs,
                "designs_judged_by_cp_sat": r.designs_by_solver,
                "unproved_within_time_limit": r.unproved,
                "counterexamples": [dataclasses.asdict(f) for f in r.findings],
            }
            for r in reports
        ],
        "checked_on": dt.date.today().isoformat(),
    }
