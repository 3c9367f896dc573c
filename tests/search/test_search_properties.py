"""Solver properties on random small design spaces and random thresholds, with the enumerator as oracle."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.model.checker import classify
from explorer.model.metrics import applicable_die_area_range_mm2
from explorer.model.outcomes import Outcome
from explorer.model.rules import Op
from explorer.model.space import DesignSpace, build_space
from explorer.search import brute, verify
from explorer.search import run as s
from explorer.search.encode import encode
from explorer.search.solve import solve

# gb100-1die: a package variant; gb110-1die: FP4 sets its TPP, so it has the under-8-bit rate knob
DIES = ["gh100", "gb202", "ad104", "ga100", "gb202-hbm", "gb100-1die", "gb110-1die"]
DATES = [
    dt.date(2022, 9, 1),
    dt.date(2023, 6, 1),
    dt.date(2024, 6, 1),
    dt.date(2025, 9, 1),
    dt.date(2026, 2, 1),
    dt.date(2026, 8, 1),  # the UAE in A:5, with its named end users
]
TARGETS = ["china", "china", "vietnam", "singapore", "syria", "uae"]
LAUNCHES = [None, dt.date(2024, 1, 1), dt.date(2026, 6, 1)]  # a US launch before or after the 2026 rule
# (--end-user-hq, --end-user): a named end user brings its own headquarters
BUYERS = [(None, None), ("china", None), ("germany", None), (None, "g42"), (None, "microsoft")]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclasses.dataclass(frozen=True)
class Case:
    """A small random slice of a real die's space under randomly scaled rule thresholds (short repr)."""

    die: str
    picks: tuple  # indices kept per knob
    factors: tuple  # one per numeric control clause, in data order
    allow: Outcome
    date: dt.date
    target: str = "china"
    launch: dt.date | None = None  # --assume-us-launch
    hq: str | None = None  # --end-user-hq
    robust: bool = True
    end_user: str | None = None  # --end-user


def _picks(n: int, most: int):
    return st.lists(st.integers(0, n - 1), min_size=1, max_size=most, unique=True).map(
        lambda x: tuple(sorted(x))
    )


@st.composite
def cases(draw, spaces: dict[str, DesignSpace], thresholds: int) -> Case:
    die = draw(st.sampled_from(DIES))
    sp = spaces[die]
    knobs = (sp.units, sp.clocks_mhz, sp.rate_limits, sp.memory, sp.links, sp.datacenter)
    picks = tuple(draw(_picks(len(k), most)) for k, most in zip(knobs, (4, 4, 3, 5, 3, 2), strict=True))
    factors = st.fractions(min_value=Fraction(1, 5), max_value=Fraction(3), max_denominator=100)
    allow = draw(
        st.sampled_from(
            [
                Outcome.NOT_CONTROLLED,
                Outcome.LICENSE_EXCEPTION,
                Outcome.NOTIFICATION,
                Outcome.LICENSE_CASE_BY_CASE,
            ]
        )
    )
    hq, end_user = draw(st.sampled_from(BUYERS))
    return Case(
        die,
        picks,
        tuple(draw(factors) for _ in range(thresholds)),
        allow,
        draw(st.sampled_from(DATES)),
        draw(st.sampled_from(TARGETS)),
        draw(st.sampled_from(LAUNCHES)),
        hq,
        draw(st.booleans()),
        end_user,
    )


def design_spaces(data, cfg) -> dict[str, DesignSpace]:
    """Each of DIES's design spaces, both markets (test_robust.py draws its cases from them too)."""
    return {d: build_space(data.catalog.dies[d], data.catalog, cfg, [False, True]) for d in DIES}


@pytest.fixture(scope="module")
def spaces(data, cfg) -> dict[str, DesignSpace]:
    return design_spaces(data, cfg)


def count_thresholds(rules) -> int:
    """How many numeric control clauses the rules hold: a case scales each by its own factor."""
    return sum(not isinstance(x.value, bool) for r in rules for c in r.controls for x in c.clauses)


@pytest.fixture(scope="module")
def random_cases(data, spaces) -> st.SearchStrategy[Case]:
    """Random cases over these spaces and rules; a test draws one through st.data()."""
    return cases(spaces, count_thresholds(data.rules))


def build(case: Case, data, spaces: dict[str, DesignSpace], die=None) -> s.Problem:
    """The case's problem; `die` replaces the base die's model (e.g. with its area range collapsed)."""
    sp = spaces[case.die] if die is None else dataclasses.replace(spaces[case.die], die=die)
    chosen = [
        [k[i] for i in pick]
        for k, pick in zip(
            (sp.units, sp.clocks_mhz, sp.rate_limits, sp.memory, sp.links, sp.datacenter),
            case.picks,
            strict=True,
        )
    ]
    space = dataclasses.replace(
        sp,
        units=chosen[0],
        clocks_mhz=chosen[1],
        rate_limits=chosen[2],
        memory=chosen[3],
        links=chosen[4],
        datacenter=chosen[5],
    )
    factors = iter(case.factors)
    rules = []
    for rule in data.rules:
        controls = []
        for c in rule.controls:
            clauses = [
                x if isinstance(x.value, bool) else dataclasses.replace(x, value=x.value * next(factors))
                for x in c.clauses
            ]
            controls.append(dataclasses.replace(c, clauses=clauses))
        rules.append(dataclasses.replace(rule, controls=controls))
    scaled = dataclasses.replace(data, rules=rules)
    if die is not None:
        scaled = dataclasses.replace(
            scaled, catalog=dataclasses.replace(data.catalog, dies={**data.catalog.dies, die.id: die})
        )
    return s.problem(
        case.die,
        case.target,
        case.date,
        allow=case.allow,
        data=scaled,
        space=space,
        end_user_hq=case.hq,
        assume_us_launch=case.launch,
        robust=case.robust,
        end_user=case.end_user,
    )


def solved(p: s.Problem):
    return solve(encode(p.tables, p.plan))


def as_verify_case(case: Case, rules) -> verify.Case:
    """The same case in `explore verify`'s form: the checks below are verify's own (one implementation)."""
    factors = iter(case.factors)
    lines = [
        verify.Line(r.id, i, j, str(x.value * next(factors)))
        for r in rules
        for i, c in enumerate(r.controls)
        for j, x in enumerate(c.clauses)
        if not isinstance(x.value, bool)
    ]
    return verify.Case(
        case.die,
        case.target,
        case.date.isoformat(),
        case.allow.value,
        "0",
        dict(zip(verify.KNOBS, (list(p) for p in case.picks), strict=True)),
        lines,
        case.robust,
        case.hq,
        case.launch.isoformat() if case.launch else None,
        case.end_user,
    )


@SETTINGS
@given(pick=st.data())
def test_soundness_and_optimality_as_explore_verify_checks_them(pick, data, random_cases):
    """CP-SAT's optimum equals the enumerator's, every solution passes the checker at the value the
    solver claims, and an infeasibility core re-checks (explorer.search.verify.check_case)."""
    case = pick.draw(random_cases, label="case")
    found = verify.check_case(data, as_verify_case(case, data.rules))
    assert [f for f in found if f.check != "unproved"] == []  # a time-out is FEASIBLE, not a disagreement


def test_the_test_cases_and_verify_cases_build_the_same_problem(data, spaces):
    case = Case(
        "gh100",
        ((0, 5), (1, 9), (0,), (2, 3), (0, 1), (1,)),
        tuple([Fraction(1)] * count_thresholds(data.rules)),
        Outcome.NOT_CONTROLLED,
        dt.date(2024, 6, 1),
    )
    mine, theirs = build(case, data, spaces), verify.build(data, as_verify_case(case, data.rules))
    assert mine.tables == theirs.tables and mine.plan == theirs.plan


@pytest.mark.slow
@SETTINGS
@given(pick=st.data(), which=st.integers(0, 10**6), loosen=st.fractions(min_value=1, max_value=2))
def test_monotonicity_loosening_a_threshold_never_lowers_the_optimum(
    pick, which, loosen, data, spaces, random_cases
):
    case = pick.draw(random_cases, label="case")
    p = build(case, data, spaces)
    controls = p.plan.controls
    lines = [
        (ci, ai)
        for ci, c in enumerate(controls)
        for ai, a in enumerate(c.atoms)
        if a.resource != "dc" and a.resource != "const"
    ]
    if not lines:
        return
    ci, ai = lines[which % len(lines)]
    atom = controls[ci].atoms[ai]
    # a lower bound moves up, an upper bound moves down: the clause holds on fewer designs
    bound = int(atom.bound * loosen) if atom.op is Op.GE else int(atom.bound / loosen)
    atoms = [*controls[ci].atoms]
    atoms[ai] = dataclasses.replace(atom, bound=bound)
    looser = dataclasses.replace(
        p.plan,
        controls=[dataclasses.replace(c, atoms=atoms) if i == ci else c for i, c in enumerate(controls)],
    )
    before, after = solved(p), solve(encode(p.tables, looser))
    if before.status.value == "OPTIMAL":
        assert after.status.value == "OPTIMAL" and after.net >= before.net


@pytest.mark.slow
@SETTINGS
@given(pick=st.data())
def test_local_maximality_no_single_knob_step_is_allowed_and_better(pick, data, spaces, random_cases):
    case = pick.draw(random_cases, label="case")
    p = build(case, data, spaces)
    sol = solved(p)
    if sol.status.value != "OPTIMAL":
        return
    t = p.tables
    here = brute.indices_of(t, sol.knobs)
    sizes = brute.sizes(t)
    points = [here[:k] + [j] + here[k + 1 :] for k, n in enumerate(sizes) for j in range(n) if j != here[k]]
    if not points:
        return
    cols = [np.array(c) for c in zip(*points, strict=True)]
    allowed, fit, net = brute.score(t, p.plan, brute.resources(t, *cols), len(points))
    cost = np.asarray(t.mem_cost)[cols[3]] + np.asarray(t.die_cost)[cols[0]]
    ok = allowed & fit
    assert not (ok & (net > sol.net)).any()
    assert not (ok & (net == sol.net) & (cost < sol.cost_cents)).any()


@pytest.mark.slow
@SETTINGS
@given(pick=st.data())
def test_determinism_the_same_inputs_give_the_same_design(pick, data, spaces, random_cases):
    case = pick.draw(random_cases, label="case")
    p = build(case, data, spaces)
    first, second = solved(p), solved(p)
    assert (first.status, first.knobs, first.net) == (second.status, second.knobs, second.net)


@SETTINGS
@given(pick=st.data(), seed=st.integers(0, 2**32 - 1))
def test_the_checker_and_the_enumerator_agree_on_random_designs(pick, seed, data, spaces, random_cases):
    """Product and buyer facts, reliefs, withdrawals, fee groups and area ranges: the plan the solver and
    the enumerator read says 'allowed' and 'net value' exactly where the independent checker does."""
    case = pick.draw(random_cases, label="case")
    p = build(case, data, spaces)
    t = p.tables
    rng = np.random.default_rng(seed)
    cols = [rng.integers(0, n, 12) for n in brute.sizes(t)]
    allowed, fit, net = brute.score(t, p.plan, brute.resources(t, *cols), 12)
    for i in range(12):
        knobs = brute.knobs_at(t, [col[i] for col in cols])
        _, _, verdict, _, value = s.judge(p, s.decode(p, knobs))
        assert bool(allowed[i]) == (verdict.outcome.rank <= p.plan.allowed), (knobs, verdict.outcome)
        scale = t.scales.value * t.scales.fee_basis
        if fit[i]:  # the value model scores 0 where the workload does not fit; the search excludes those
            assert abs(Fraction(int(net[i]), scale) - value) < Fraction(1, 10**4), knobs


@pytest.mark.slow
@SETTINGS
@given(pick=st.data())
def test_a_robust_design_complies_at_both_ends_of_the_area_range(pick, data, spaces, random_cases):
    case = pick.draw(random_cases, label="case")
    p = build(dataclasses.replace(case, robust=True), data, spaces)
    sol = solved(p)
    span = applicable_die_area_range_mm2(p.die)
    if sol.status.value != "OPTIMAL" or span is None:
        return
    metrics, _ = s.resources_of(s.decode(p, sol.knobs), p.die, p.data, p.objective)
    for area in span:
        at = dataclasses.replace(metrics, die_area_mm2=area, performance_density=metrics.tpp / area)
        verdict = classify(at, p.target, p.as_of, p.guarded_rules, p.facts)
        assert verdict.outcome.rank <= p.plan.allowed
    nominal = solved(build(dataclasses.replace(case, robust=False), data, spaces))
    assert nominal.status.value == "OPTIMAL" and nominal.net >= sol.net  # robustness only costs value


@pytest.mark.slow
@SETTINGS
@given(pick=st.data())
def test_with_every_range_collapsed_the_robust_search_is_the_nominal_one(pick, data, spaces, random_cases):
    case = pick.draw(random_cases, label="case")
    die = data.catalog.dies[case.die]
    collapsed = dataclasses.replace(
        die,
        logic_dies=[
            dataclasses.replace(
                d, area_mm2=dataclasses.replace(d.area_mm2, low=d.area_mm2.value, high=d.area_mm2.value)
            )
            for d in die.logic_dies
        ],
    )
    robust = solved(build(dataclasses.replace(case, robust=True), data, spaces, collapsed))
    nominal = solved(build(dataclasses.replace(case, robust=False), data, spaces, collapsed))
    assert (robust.status, robust.knobs, robust.net) == (nominal.status, nominal.knobs, nominal.net)


@pytest.mark.slow
@SETTINGS
@given(pick=st.data(), share=st.fractions(min_value=0, max_value=Fraction(3, 2), max_denominator=20))
def test_a_competitor_floor_is_met_by_the_solver_and_the_enumerator_alike(
    pick, share, data, spaces, random_cases
):
    """--at-least: with a floor at `share` of the unfloored optimum's value, the solver's design reaches
    it and the enumerator finds nothing better; where no allowed design reaches it, neither finds one."""
    case = pick.draw(random_cases, label="case")
    p = build(case, data, spaces)
    free = solved(p)
    if free.status.name != "OPTIMAL":
        return

    def value_at(t, knobs) -> int:
        cols = [np.array([i]) for i in brute.indices_of(t, knobs)]
        return int(brute.value_of(t, brute.resources(t, *cols))[0])

    t = dataclasses.replace(p.tables, value_floor=math.ceil(value_at(p.tables, free.knobs) * share))
    floored = solve(encode(t, p.plan))
    oracle = brute.best(t, p.plan)
    if not oracle.feasible:
        assert floored.status.name == "INFEASIBLE"
        return
    assert floored.status.name == "OPTIMAL" and floored.net == oracle.net
    assert value_at(t, floored.knobs) >= t.value_floor
