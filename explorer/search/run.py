"""The main job: for each base die, the most valuable design whose outcome is allowed.

load -> design space -> integer tables -> plan -> encode -> solve -> decode ->
check -> explain. The solver proposes; the independent checker decides, and a
disagreement is raised, never passed on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, TypedDict, cast

from explorer.load.data import load
from explorer.load.loader import load_costs, load_objective, load_space_config
from explorer.load.options import buyer, parse_date
from explorer.model import value as v
from explorer.model.checker import FactCheck, Verdict, classify, fact_checks, rules_in_force
from explorer.model.chips import Die, Sku
from explorer.model.cost import CostData, unit_cost_usd
from explorer.model.data import Data
from explorer.model.deciding import Deciding, deciding_lines
from explorer.model.destinations import Target, resolve_target
from explorer.model.economics import Economics, Goal, PriceCurve
from explorer.model.errors import InputError
from explorer.model.facts import Facts, of_design
from explorer.model.metrics import Metrics
from explorer.model.names import name_key
from explorer.model.outcomes import Outcome
from explorer.model.ranges import Uncertain, area_figure, judge_over
from explorer.model.rules import Clause, RuleSet
from explorer.model.space import Design, DesignSpace, build_space, to_sku
from explorer.search.guard import with_guard_band
from explorer.search.intmodel import IntTables, tables
from explorer.search.knobs import Knobs
from explorer.search.plan import Plan, make_plan
from explorer.search.reference import efficiency_note, floor_rate, reference_rate

if TYPE_CHECKING:  # the solver loads on first search, not when classify imports this module
    from explorer.search.solution import SolveStatus


class CheckerDisagrees(RuntimeError):
    """The solver returned a design the independent checker rejects: a bug, never a result."""


@dataclass(frozen=True)
class Binding:
    rule: str
    paragraph: str
    value_if_lifted: float  # the optimum with this line lifted, relative to the reference SKU
    # the clauses whose line lies between the design and a better step
    clauses: tuple[Clause, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SearchResult:
    """What every search answers, with a design or without: the question and how the search ended.

    A search returns a `Found` (a design, judged and scored) or a `NoDesign` (the
    rules that conflict, or nothing found in time); `isinstance` tells them apart.
    """

    base: str
    die: Die
    target: Target
    as_of: dt.date
    status: SolveStatus
    space_size: int
    solve_seconds: float
    flagship: Design  # the unmodified base die, for comparisons
    problem: Problem | None = field(default=None, repr=False, compare=False)  # what was solved, for reports
    goal: Goal = Goal.PERF

    @functools.cached_property
    def siblings(self) -> list[Sibling]:
        """The die's shipped SKUs judged and scored as the design was: on first use, since only spec
        documents show them and a sweep's thousands of searches need not judge them."""
        return judge_siblings(self.problem) if self.problem is not None else []


@dataclass(frozen=True, kw_only=True)
class Found(SearchResult):
    """A design the checker judged allowed, with what reports show of it (never recomputed there)."""

    design: Design
    metrics: Metrics
    verdict: Verdict
    base_metrics: Metrics  # the flagship's
    serving: v.Breakdown  # the design's batch, step and tokens/s on the objective's workload
    base_tokens_per_s: Fraction  # the flagship's, on the same workload
    efficiency: v.EfficiencyNote  # whose fitted efficiencies the value rests on (and its range if none)
    value: Fraction = Fraction(0)  # after fees, relative to the reference SKU (value 1)
    value_before_fees: Fraction = Fraction(0)
    cost_usd: Fraction = Fraction(0)  # unit cost: logic dies, memory, packaging, board
    gap: float = 0.0
    binding: list[Binding] = field(default_factory=list)
    # estimated figures whose range changes the outcome
    uncertain: list[Uncertain] = field(default_factory=list)
    economics: Economics | None = None
    deciding: list[Deciding] = field(default_factory=list)  # lines whose crossing changes the outcome


@dataclass(frozen=True, kw_only=True)
class NoDesign(SearchResult):
    """No design: the rules conflict (INFEASIBLE, with the smallest conflicting set) or time ran out."""

    conflicting_rules: list[str] = field(default_factory=list)
    fact_checks: list[FactCheck] = field(default_factory=list)  # the problem's product facts


@dataclass(frozen=True)
class Sibling:
    """A shipped SKU of the searched die, judged on the same date and scored on the same value model."""

    sku: Sku
    metrics: Metrics
    verdict: Verdict
    value: Fraction  # after its fees, relative to the reference SKU


def judge_siblings(p: Problem) -> list[Sibling]:
    """The die's shipped SKUs, for the spec document's comparison."""
    out = []
    for sku in p.data.catalog.skus.values():
        if sku.die != p.die.id:
            continue
        m = p.data.catalog.metrics(sku)
        verdict = classify(
            m,
            p.target,
            p.as_of,
            p.data.rules,
            p.data.catalog.facts(sku, p.facts.end_user_hq, p.facts.end_user),
        )
        gross = v.value(v.resources(m, p.objective), p.reference, p.objective)
        fees = sum((c.percent for c in verdict.charges), start=Fraction(0))
        out.append(Sibling(sku, m, verdict, gross * (1 - fees / 100)))
    return out


class _Served(TypedDict):
    """What reports show of a design beside its verdict (SearchResult's fields of these names)."""

    base_metrics: Metrics
    serving: v.Breakdown
    base_tokens_per_s: Fraction
    efficiency: v.EfficiencyNote


def served(p: Problem, metrics: Metrics) -> _Served:
    """The base die's metrics, the design's serving breakdown, the base die's tokens/s on the workload,
    and whose efficiencies the value rests on."""
    base = p.data.catalog.metrics_of_design(p.space.flagship(), p.die)
    return _Served(
        base_metrics=base,
        serving=v.breakdown(v.resources(metrics, p.objective), p.objective),
        base_tokens_per_s=v.tokens_per_s(v.resources(base, p.objective), p.objective),
        efficiency=efficiency_note(metrics, p.die.architecture, p.objective, p.reference, p.data.root),
    )


class _Common(TypedDict):
    """The fields every search result carries, whether or not a design was found."""

    base: str
    die: Die
    target: Target
    as_of: dt.date
    status: SolveStatus
    space_size: int
    solve_seconds: float
    flagship: Design
    problem: Problem


def _common(p: Problem, base: str, status: SolveStatus, seconds: float) -> _Common:
    return _Common(
        base=base,
        die=p.die,
        target=p.target,
        as_of=p.as_of,
        status=status,
        space_size=p.space.size(),
        solve_seconds=seconds,
        flagship=p.space.flagship(),
        problem=p,
    )


@dataclass(frozen=True)
class Problem:
    """Everything one search needs, built once and shared by the solver and the enumerator."""

    die: Die
    space: DesignSpace
    tables: IntTables
    plan: Plan
    target: Target
    as_of: dt.date
    objective: v.Objective
    reference: Fraction  # tokens/s per chip of the objective's reference SKU: value 1
    guarded_rules: list[RuleSet]
    data: Data
    costs: CostData
    facts: Facts  # the design's: a new product unless a US launch is assumed; the buyer
    robust: bool = True  # estimated die areas judged over their whole range
    at_least: tuple[str, ...] = ()  # --at-least: competitor SKUs whose value a design must reach
    floor: Fraction = Fraction(0)  # their highest tokens/s per chip (0: no floor)


def resolve_base(data: Data, text: str) -> tuple[Die, bool | None]:
    """A die by id, name or alias; or a SKU, meaning its die in the SKU's market."""
    wanted = name_key(text)
    found: tuple[Die, bool | None] | None = None
    for die in data.catalog.dies.values():
        if wanted in {name_key(n) for n in (die.id, die.name, *die.aliases)}:
            found = die, None
    for sku in data.catalog.skus.values():
        if found is None and wanted in {name_key(n) for n in (sku.id, sku.name, *sku.aliases)}:
            found = data.catalog.dies[sku.die], sku.datacenter
    bases = data.catalog.design_bases()
    if found is not None and found[0].id in bases:
        return found
    valid = ", ".join([*bases, *(s.id for s in data.catalog.skus.values() if s.die in bases)])
    why = f" ({found[0].id} is a value reference only, not a base to derive from)" if found else ""
    if family := family_bases(data, text):
        why = f" ({text} is a family: name one of {', '.join(family)}, or each as its own --base)"
    raise InputError("--base", "", text, f"a base die or SKU{why}, one of: {valid}")


def family_bases(data: Data, text: str) -> list[str]:
    """The design bases of the family `text` names (`blackwell`: gb100, gb110, ...), where it has several."""
    wanted = name_key(text)
    members = [d for d in data.catalog.design_bases() if name_key(data.catalog.dies[d].family) == wanted]
    return members if len(members) > 1 else []


def resources_of(design: Design, die: Die, data: Data, obj: v.Objective) -> tuple[Metrics, v.Resources]:
    metrics = data.catalog.metrics(to_sku(design, die))
    return metrics, v.resources(metrics, obj)


def problem(
    base: str,
    target: str = "china",
    as_of=None,
    objective: str = "llm-serving",
    allow: Outcome = Outcome.NOT_CONTROLLED,
    margin_pct: Fraction = Fraction(0),
    markets: list[bool] | None = None,
    data: Data | None = None,
    space: DesignSpace | None = None,
    workload: str | None = None,
    end_user_hq: str | None = None,
    assume_us_launch=None,
    robust: bool = True,
    at_least: tuple[str, ...] = (),
    end_user: str | None = None,
) -> Problem:
    """`markets`: the datacenter values to search; default the die's own, or a SKU base's market.

    `assume_us_launch`: the what-if where the vendor sells the design in the US from
    that date; `robust`: comply over every estimated die area's range (else at its value);
    `end_user`: a named buyer (such as G42), which brings its headquarters.
    """
    data = data or load()
    on = parse_date(as_of)
    die, sku_market = resolve_base(data, base)
    if markets is None and sku_market is not None:
        markets = [sku_market]
    obj = load_objective(objective, data.root, die.architecture, workload)
    space = space or build_space(die, data.catalog, load_space_config(data.root), markets)
    ref = reference_rate(data.catalog, obj, data.root)
    where = resolve_target(data.destinations, target, on)
    guarded = with_guard_band(data.rules, Fraction(margin_pct))
    costs = load_costs(data.root)
    launch = parse_date(assume_us_launch, "--assume-us-launch") if assume_us_launch is not None else None
    facts = of_design(die.vendor, die.family, launch, *buyer(data, end_user_hq, end_user, on))
    floor = floor_rate(tuple(at_least), data.catalog, obj, data.root)
    t = tables(space, obj, data.catalog.pcie[die.pcie_generation], ref, costs, robust, floor)
    plan = make_plan(rules_in_force(guarded, where, on), where, t, allow, facts)
    return Problem(
        die, space, t, plan, where, on, obj, ref, guarded, data, costs, facts, robust, tuple(at_least), floor
    )


def decode(p: Problem, knobs: Knobs) -> Design:
    s = p.space
    return Design(
        p.die.id,
        knobs.units,
        knobs.clock_mhz,
        s.rate_limits[knobs.rate_idx],
        s.memory[knobs.memory_idx],
        s.links[knobs.link_idx],
        bool(knobs.datacenter),
    )


def judge(p: Problem, design: Design) -> tuple[Metrics, Verdict, Verdict, Fraction, Fraction]:
    """Metrics, verdict under the real rules and under the guarded ones, value before and after fees.

    In a robust search each verdict is the most restrictive one over the die's
    estimated area range, judged by the checker piece by piece.
    """
    return _judged(p, design)[:5]


def deciding(p: Problem, metrics: Metrics) -> list[Deciding]:
    """The lines whose crossing alone changes the design's outcome (real rules, nominal figures), nearest
    first: what a report calls the nearest line."""
    nominal = classify(metrics, p.target, p.as_of, p.data.rules, p.facts)
    return deciding_lines(metrics, nominal, p.target, p.as_of, p.data.rules, p.facts)


def _judged(
    p: Problem, design: Design
) -> tuple[Metrics, Verdict, Verdict, Fraction, Fraction, list[Uncertain]]:
    """judge's answer, and the estimated figures whose range changes the real outcome: the checker runs
    over the area range once, for all three (and once more only under a guard band)."""
    metrics, res = resources_of(design, p.die, p.data, p.objective)
    area = area_figure(metrics, p.die)
    over = judge_over(metrics, [area] if area else [], p.target, p.as_of, p.data.rules, p.facts)
    real = over.worst if p.robust else over.nominal
    if p.guarded_rules is p.data.rules:  # no guard band
        guarded = real
    else:
        figures = [area] if area and p.robust else []
        guarded = judge_over(metrics, figures, p.target, p.as_of, p.guarded_rules, p.facts).worst
    gross = v.value(res, p.reference, p.objective)
    fees = sum((c.percent for c in guarded.charges), start=Fraction(0))
    return metrics, real, guarded, gross, gross * (1 - fees / 100), over.uncertain


def search(
    base: str,
    target: str = "china",
    as_of=None,
    objective: str = "llm-serving",
    allow: Outcome = Outcome.NOT_CONTROLLED,
    margin_pct: Fraction = Fraction(0),
    time_limit: float = 10.0,
    markets: list[bool] | None = None,
    data: Data | None = None,
    explain: bool = True,
    workload: str | None = None,
    goal: Goal | str = Goal.PERF,
    price_usd: Fraction | None = None,
    exact: bool = False,
    end_user_hq: str | None = None,
    assume_us_launch=None,
    robust: bool = True,
    at_least: tuple[str, ...] = (),
    usd_per_value: Fraction | None = None,
    space: DesignSpace | None = None,
    end_user: str | None = None,
) -> SearchResult:
    """The best allowed design on one base die, proved optimal where time allows.

    `goal`: perf, perf-per-dollar, gross-margin or net-revenue; `exact`: the outcome
    must be `allow` itself (one compliance path), not anything up to it; `usd_per_value`:
    the price of a unit of value (a market's own curve) instead of the die's anchor SKU;
    `space`: a design space of the die other than its default (a slice, for tests).
    """
    from explorer.search import goals, intervals

    p = problem(
        base,
        target,
        as_of,
        objective,
        allow,
        margin_pct,
        markets,
        data,
        space,
        workload=workload,
        end_user_hq=end_user_hq,
        assume_us_launch=assume_us_launch,
        robust=robust,
        at_least=at_least,
        end_user=end_user,
    )
    goal = goals.parse_goal(goal)
    curve = goals.price_curve(p, price_usd, usd_per_value)
    level = allow.rank if exact else None
    sol = None
    if goals.is_plain(goal, curve) and level is None:  # exact without a solver (intervals.py)
        sol = intervals.solve(p.tables, p.plan)
    if sol is None or sol.knobs is None:  # CP-SAT: other goals, and a core of rules where nothing complies
        from explorer.search import frontiers
        from explorer.search.encode import encode
        from explorer.search.solve import solve
        from explorer.search.start import first_design

        if goal is Goal.PERF_PER_DOLLAR:
            cp = frontiers.best_ratio(p, time_limit, level)
        else:
            enc = encode(p.tables, p.plan, exact_level=level)
            cp = solve(enc, time_limit, goals.stages(goal, enc, p, curve), first_design(p.tables, p.plan))
        if sol is not None and cp.knobs is not None:
            raise CheckerDisagrees(f"{p.die.id}: CP-SAT found a design where the interval search found none")
        sol = cp
    if sol.knobs is None:  # no design: infeasible, or nothing found in time
        core = _recheck_core(p, sol.conflicting_rules, time_limit) if sol.conflicting_rules else []
        return dataclasses.replace(no_design(p, base, sol.status, sol.seconds, core), goal=goal)
    design = decode(p, sol.knobs)
    metrics, real, guarded, gross, net, uncertain = _judged(p, design)
    if guarded.outcome.rank > p.plan.allowed:
        raise CheckerDisagrees(
            f"{p.die.id}: the solver's design {design.describe()} is {guarded.outcome.value} "
            f"for {p.target.code} on {p.as_of} (fired: {[f.paragraph for f in guarded.fired]})"
        )
    if gross * p.reference < p.floor:
        raise CheckerDisagrees(
            f"{p.die.id}: the solver's design serves {float(gross * p.reference):.1f} tokens/s per chip, "
            f"below the --at-least floor of {float(p.floor):.1f}"
        )
    solver_net = Fraction(sol.net, p.tables.scales.value * p.tables.scales.fee_basis)
    if abs(solver_net - net) > Fraction(1, 10**4):
        raise CheckerDisagrees(
            f"{p.die.id}: solver value {float(solver_net):.6f} but the design is "
            f"worth {float(net):.6f} on the value model"
        )
    binding = _binding(p, sol.knobs, sol.net) if explain and goal is Goal.PERF else []
    money = _economics(p, design, guarded, gross, net, curve)
    return Found(
        **_common(p, base, sol.status, sol.seconds),
        goal=goal,
        **served(p, metrics),
        design=design,
        metrics=metrics,
        verdict=real,
        value=net,
        value_before_fees=gross,
        cost_usd=money.unit_cost_usd,
        gap=sol.gap,
        binding=binding,
        uncertain=uncertain,
        economics=money,
        deciding=deciding(p, metrics),
    )


def _economics(
    p: Problem, design: Design, guarded: Verdict, gross: Fraction, net: Fraction, curve: PriceCurve | None
) -> Economics:
    cost = Fraction(round(unit_cost_usd(design, p.die, p.costs) * 100), 100)
    fees = sum((c.percent for c in guarded.charges), start=Fraction(0))
    return Economics(net, gross, fees, cost, curve.price(gross) if curve else None)


def no_design(
    p: Problem, base: str, status: SolveStatus, seconds: float, core: list[str] | None = None
) -> NoDesign:
    """No design for `p`: the (re-checked) rules that conflict, and the problem's product facts."""
    active = rules_in_force(p.guarded_rules, p.target, p.as_of)
    return NoDesign(
        **_common(p, base, status, seconds),
        conflicting_rules=core or [],
        fact_checks=fact_checks(active, p.target, p.facts),
    )


def found(
    p: Problem, design: Design, status: SolveStatus, seconds: float, curve: PriceCurve | None = None
) -> Found:
    """A design another search chose (a robust one), judged and scored in `p`'s world as the search
    reports its own; it need not be allowed there (the verdict says)."""
    metrics, real, guarded, gross, net, uncertain = _judged(p, design)
    money = _economics(p, design, guarded, gross, net, curve)
    return Found(
        **_common(p, p.die.id, status, seconds),
        **served(p, metrics),
        design=design,
        metrics=metrics,
        verdict=real,
        value=net,
        value_before_fees=gross,
        cost_usd=money.unit_cost_usd,
        uncertain=uncertain,
        economics=money,
        deciding=deciding(p, metrics),
    )


_shared: dict = {}  # in a worker process: the data and the search options every job reads (_share)


def _share(data: Data, options: dict) -> None:
    _shared.update(data=data, options=options)


def _search_shared(base: str) -> SearchResult:
    """One base's search in a worker; its problem travels back without the data, which the parent holds."""
    r = search(base, data=_shared["data"], **_shared["options"])
    return dataclasses.replace(r, problem=_with_data(r.problem, None))


def _with_data(p: Problem | None, data: Data | None) -> Problem | None:
    return None if p is None else dataclasses.replace(p, data=cast(Data, data))


def search_bases(
    bases: list[str],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    data: Data | None = None,
    **options,
) -> list[SearchResult]:
    """`search` on every base, in order; across worker processes (one per core, at most one per base)
    where there are several of each. `progress(1)` after each base; `options` are search's."""
    from explorer.search.parallel import map_jobs

    data = data or load()
    workers = min(workers or os.cpu_count() or 1, len(bases))
    if workers <= 1:
        out = []
        for base in bases:
            out.append(search(base, data=data, **options))
            if progress:
                progress(1)
        return out
    found = map_jobs(
        _search_shared, list(bases), workers=workers, progress=progress, setup=(_share, (data, options))
    )
    return [dataclasses.replace(r, problem=_with_data(r.problem, data)) for r in found]


def _binding(p: Problem, knobs: Knobs, net: int) -> list[Binding]:
    """Lines the optimum presses against: with the control lifted, a one-knob step from it is worth more.

    Every neighbour of the optimum (one step of units, clock or rate; any memory or
    link option; the other market) is scored exactly, with and without each control.
    """
    import numpy as np

    from explorer.search import brute

    t = p.tables
    index = dict(zip(brute.KNOBS, brute.indices_of(t, knobs), strict=True))
    sizes = dict(zip(brute.KNOBS, brute.sizes(t), strict=True))
    points = []
    for knob, size in sizes.items():
        steps = (
            range(size)
            if knob in ("memory_idx", "link_idx", "datacenter")
            else (index[knob] - 1, index[knob] + 1)
        )
        points += [{**index, knob: s} for s in steps if 0 <= s < size and s != index[knob]]
    if not points:
        return []
    cols = [np.array([pt[k] for pt in points]) for k in sizes]
    res = brute.resources(t, *cols)
    here = brute.resources(t, *[np.array([index[k]]) for k in sizes])
    blocked_now, _, _ = brute.score(t, p.plan, res, len(points))
    scale = t.scales.value * t.scales.fee_basis
    out: dict[tuple[str, str], Binding] = {}  # (rule, paragraph) -> its binding
    for ci, c in enumerate(p.plan.controls):
        key = (c.rule, c.paragraph)
        lifted = dataclasses.replace(p.plan, controls=[x for i, x in enumerate(p.plan.controls) if i != ci])
        allowed, fit, score = brute.score(t, lifted, res, len(points))
        better = allowed & fit & (score > net)
        if not better.any():
            continue
        # a clause binds when its line lies between the design and a better step this control blocks
        blocked = better & ~blocked_now
        clauses = tuple(
            c.clauses[k]
            for k, a in enumerate(c.atoms)
            if (blocked & brute.atom_holds(a, res, len(points)) & ~brute.atom_holds(a, here, 1)[0]).any()
        )
        top = int(score[better].max()) / scale
        if key in out:  # a paragraph split in two controls (3A090.a.1 by market)
            old = out[key]
            out[key] = Binding(c.rule, c.paragraph, max(old.value_if_lifted, top), old.clauses + clauses)
        else:
            out[key] = Binding(c.rule, c.paragraph, top, clauses)
    # a licence path's own lines bind too: the January 2026 review's 21,000 TPP, say
    for ri, r in enumerate(p.plan.reliefs):
        widened = [dataclasses.replace(x, atoms=[]) if i == ri else x for i, x in enumerate(p.plan.reliefs)]
        allowed, fit, score = brute.score(t, dataclasses.replace(p.plan, reliefs=widened), res, len(points))
        better = allowed & fit & (score > net) & ~blocked_now
        if not r.atoms or not better.any():
            continue
        clauses = tuple(
            r.clauses[k]
            for k, a in enumerate(r.atoms)
            if (better & ~brute.atom_holds(a, res, len(points)) & brute.atom_holds(a, here, 1)[0]).any()
        )
        out.setdefault(
            (r.rule, r.paragraph), Binding(r.rule, r.paragraph, int(score[better].max()) / scale, clauses)
        )
    return list(out.values())


def _recheck_core(p: Problem, core: list[str], time_limit: float) -> list[str]:
    """The solver's conflict list is a hint: confirm it, then drop every rule set not needed for it.

    Deletion-based minimisation: a rule set is kept only if, without it, the rest
    of the core admits a design. An embargo alone thus names itself.
    """
    from explorer.search.encode import encode
    from explorer.search.solve import SolveStatus, solve

    def infeasible(rules: set[str]) -> bool:
        keep = {ci for ci, c in enumerate(p.plan.controls) if c.rule in rules}
        relax = frozenset(set(range(len(p.plan.controls))) - keep)
        return solve(encode(p.tables, p.plan, relax=relax), time_limit).status is SolveStatus.INFEASIBLE

    if not infeasible(set(core)):
        return sorted({c.rule for c in p.plan.controls})
    kept = set(core)
    for rule in sorted(core):
        if infeasible(kept - {rule}):
            kept.discard(rule)
    return sorted(kept)
