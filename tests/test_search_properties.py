"""Solver properties on random small design spaces and random thresholds, with the enumerator as oracle."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer import api, brute
from explorer import search as s
from explorer.encode import encode
from explorer.loader import load_space_config
from explorer.outcomes import Outcome
from explorer.rules import Op
from explorer.solve import solve
from explorer.space import build_space

DATA = api.load()
CFG = load_space_config()
DIES = ["gh100", "gb202", "ad104", "ga100", "gb202-hbm"]
DATES = [dt.date(2023, 6, 1), dt.date(2024, 6, 1), dt.date(2025, 9, 1), dt.date(2026, 2, 1)]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


SPACES = {d: build_space(DATA.catalog.dies[d], DATA.catalog, CFG, [False, True]) for d in DIES}
THRESHOLDS = sum(not isinstance(x.value, bool) for r in DATA.rules for c in r.controls for x in c.clauses)


@dataclasses.dataclass(frozen=True)
class Case:
    """A small random slice of a real die's space under randomly scaled rule thresholds (short repr)."""

    die: str
    picks: tuple  # indices kept per knob
    factors: tuple  # one per numeric control clause, in data order
    allow: Outcome
    date: dt.date


def _picks(n: int, most: int):
    return st.lists(st.integers(0, n - 1), min_size=1, max_size=most, unique=True).map(
        lambda x: tuple(sorted(x))
    )


@st.composite
def cases(draw) -> Case:
    die = draw(st.sampled_from(DIES))
    sp = SPACES[die]
    knobs = (sp.units, sp.clocks_mhz, sp.rate_limits, sp.memory, sp.links, sp.datacenter)
    picks = tuple(draw(_picks(len(k), most)) for k, most in zip(knobs, (4, 4, 3, 5, 3, 2), strict=True))
    factors = st.fractions(min_value=Fraction(1, 5), max_value=Fraction(3), max_denominator=100)
    allow = draw(
        st.sampled_from([Outcome.NOT_CONTROLLED, Outcome.NOTIFICATION, Outcome.LICENSE_CASE_BY_CASE])
    )
    return Case(
        die, picks, tuple(draw(factors) for _ in range(THRESHOLDS)), allow, draw(st.sampled_from(DATES))
    )


def build(case: Case) -> s.Problem:
    sp = SPACES[case.die]
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
    for rule in DATA.rules:
        controls = []
        for c in rule.controls:
            clauses = [
                x if isinstance(x.value, bool) else dataclasses.replace(x, value=x.value * next(factors))
                for x in c.clauses
            ]
            controls.append(dataclasses.replace(c, clauses=clauses))
        rules.append(dataclasses.replace(rule, controls=controls))
    data = dataclasses.replace(DATA, rules=rules)
    return s.problem(case.die, "china", case.date, allow=case.allow, data=data, space=space)


def solved(p: s.Problem):
    return solve(encode(p.tables, p.plan))


@SETTINGS
@given(case=cases())
def test_soundness_every_returned_design_passes_the_checker(case):
    p = build(case)
    sol = solved(p)
    if sol.status.value != "OPTIMAL":
        assert not brute.best(p.tables, p.plan).feasible
        return
    design = s.decode(p, sol.knobs)
    _, _, verdict, _, net = s.judge(p, design)
    assert verdict.outcome.rank <= p.plan.allowed
    assert abs(Fraction(sol.net, p.tables.scales.value * p.tables.scales.fee_basis) - net) < Fraction(
        1, 10**4
    )


@SETTINGS
@given(case=cases())
def test_optimality_the_enumerator_finds_nothing_better(case):
    p = build(case)
    sol, ref = solved(p), brute.best(p.tables, p.plan)
    assert (sol.status.value == "OPTIMAL") == ref.feasible
    if ref.feasible:
        assert (sol.net, sol.cost_cents) == (ref.net, ref.cost_cents)


@SETTINGS
@given(case=cases(), which=st.integers(0, 10**6), loosen=st.fractions(min_value=1, max_value=2))
def test_monotonicity_loosening_a_threshold_never_lowers_the_optimum(case, which, loosen):
    p = build(case)
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


@SETTINGS
@given(case=cases())
def test_local_maximality_no_single_knob_step_is_allowed_and_better(case):
    p = build(case)
    sol = solved(p)
    if sol.status.value != "OPTIMAL":
        return
    t = p.tables
    here = [
        t.units.index(sol.knobs["units"]),
        t.clocks.index(sol.knobs["clock_mhz"]),
        sol.knobs["rate_idx"],
        sol.knobs["memory_idx"],
        sol.knobs["link_idx"],
        t.markets.index(bool(sol.knobs["datacenter"])),
    ]
    sizes = [len(t.units), len(t.clocks), len(t.k_tpp), len(t.mem_bw), len(t.io), len(t.markets)]
    points = [here[:k] + [j] + here[k + 1 :] for k, n in enumerate(sizes) for j in range(n) if j != here[k]]
    if not points:
        return
    cols = [np.array(c) for c in zip(*points, strict=True)]
    allowed, fit, net = brute.score(t, p.plan, brute.resources(t, *cols), len(points))
    cost = np.asarray(t.mem_cost)[cols[3]] + np.asarray(t.die_cost)[cols[0]]
    ok = allowed & fit
    assert not (ok & (net > sol.net)).any()
    assert not (ok & (net == sol.net) & (cost < sol.cost_cents)).any()


@SETTINGS
@given(case=cases())
def test_determinism_the_same_inputs_give_the_same_design(case):
    p = build(case)
    first, second = solved(p), solved(p)
    assert (first.status, first.knobs, first.net) == (second.status, second.knobs, second.net)
