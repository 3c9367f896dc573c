"""Product-line search: known answers, the decomposition held to a joint enumeration, and its properties."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_search_properties import SETTINGS, Case, build, cases, count_thresholds, design_spaces

from explorer import api
from explorer.model import value as v
from explorer.model.cost import unit_cost_usd
from explorer.model.outcomes import Outcome
from explorer.model.portfolio import Market, ProductLine, yearly_margin
from explorer.model.quantity import Quantity, Source, Status
from explorer.model.space import Design
from explorer.search import brute
from explorer.search import portfolio as pf
from explorer.search import run as s
from explorer.search.encode import encode
from explorer.search.goals import price_curve, stages
from explorer.search.solve import solve

SOURCE = {"t": Source("test figures", Status.HYPOTHETICAL)}


def market(
    name: str, target: str, on: str, price: int = 20000, anchor: str | None = "h100-sxm", **kw
) -> Market:
    return Market(
        name,
        target,
        Quantity(Fraction(kw.pop("volume", 1000)), "count", "t"),
        Quantity(Fraction(price), "USD", "t"),
        anchor,
        as_of=dt.date.fromisoformat(on),
        **kw,
    )


def line(*markets: Market, bases=("gh100",)) -> ProductLine:
    return ProductLine("test", "test line", list(markets), list(bases), sources=SOURCE)


@pytest.fixture(scope="module")
def hopper(data) -> pf.PortfolioResult:
    return pf.portfolio(api.load_portfolio("hopper-2024", data.root), data=data)


def test_gh100_for_the_us_and_china_in_2024_beats_the_h100_and_the_h20(hopper, data) -> None:
    """The known answer: the China SKU is worth at least the H20, the US SKU at least the H100 SXM."""
    best = hopper.best
    assert best is not None and best.die == "gh100" and hopper.status.value == "OPTIMAL"
    us, china = (sku.result for sku in best.skus)
    assert isinstance(us, s.Found) and isinstance(china, s.Found)
    h20 = api.classify("h20", "china", "2024-01-01", data)
    assert h20.value is not None and china.value >= h20.value > 0
    assert us.value >= 1  # the H100 SXM is value 1
    assert china.verdict.outcome is Outcome.NOT_CONTROLLED and us.verdict.outcome is Outcome.NOT_CONTROLLED
    assert hopper.sharing_cost_usd == 0  # one candidate: nothing to share


def test_every_sku_complies_in_its_own_market_as_the_checker_judges_it(data) -> None:
    r = pf.portfolio(api.load_portfolio("blackwell-2026", data.root), data=data)
    for die in r.dies:
        for sku in die.skus:
            if isinstance(sku.result, s.Found):
                p = sku.result.problem
                assert p is not None
                _, real, _, _, _ = s.judge(p, sku.result.design)
                assert real.outcome.rank <= sku.market.allow.rank, (die.die, sku.market.name)


def test_one_market_is_the_plain_search_on_its_goal(data) -> None:
    m = market("china", "china", "2024-06-01")
    r = pf.portfolio(line(m), data=data)
    _, per_value = pf.market_curve(data, m, "llm-serving")
    plain = s.search("gh100", "china", "2024-06-01", goal="gross-margin", usd_per_value=per_value, data=data)
    got = r.best.skus[0].result if r.best else None
    assert isinstance(got, s.Found) and isinstance(plain, s.Found)
    assert got.design == plain.design and got.economics == plain.economics


@pytest.mark.parametrize(
    "extra",
    [
        market("vn", "vietnam", "2025-09-01", optional=True),
        market("sy", "syria", "2025-09-01", optional=True),  # embargoed: nothing complies, left out
        market(
            "cn-cheap", "china", "2025-09-01", price=1, anchor=None, optional=True
        ),  # loses money: left out
    ],
    ids=lambda m: m.name,
)
def test_an_optional_market_never_lowers_the_lines_margin(extra, data) -> None:
    base = line(market("us", "united-states", "2025-09-01"), bases=("gb202",))
    before = pf.portfolio(base, data=data)
    after = pf.portfolio(dataclasses.replace(base, markets=[*base.markets, extra]), data=data)
    assert before.best is not None and after.best is not None
    assert after.best.total_usd >= before.best.total_usd
    left_out = [sku for sku in after.best.skus if not sku.served]
    assert all(sku.market.optional for sku in left_out)


def test_a_required_market_nothing_serves_leaves_no_line(data) -> None:
    r = pf.portfolio(
        line(market("us", "united-states", "2025-09-01"), market("sy", "syria", "2025-09-01")), data=data
    )
    assert r.best is None and r.status.value == "INFEASIBLE"
    assert all(not d.complete for d in r.dies)


def test_the_candidates_are_each_base_and_its_smaller_packages(data) -> None:
    assert pf.candidate_dies(data, ["gb110", "gh100"]) == ["gb110", "gb110-1die", "gh100"]


# ---- the decomposition against a joint enumeration of whole product lines -----------------------


def _designs(space) -> list[Design]:
    return [
        Design(space.die.id, u, c, r, mem, k, dc)
        for u, c, r, mem, k, dc in itertools.product(
            space.units, space.clocks_mhz, space.rate_limits, space.memory, space.links, space.datacenter
        )
    ]


def _margins(data, die: str, m: Market, space) -> list[Fraction | None]:
    """Each design's yearly margin in the market by the checker and the value and cost models (None: not
    allowed, or the weights and one sequence do not fit), independent of the integer tables and the solver."""
    fixed, per_value = pf.market_curve(data, m, "llm-serving")
    p = s.problem(die, m.target, m.as_of, allow=m.allow, markets=[m.datacenter], data=data, space=space)
    demand = v.demand(p.objective)
    out: list[Fraction | None] = []
    for design in _designs(dataclasses.replace(space, datacenter=[m.datacenter])):
        metrics, real, guarded, gross, _ = s.judge(p, design)
        fits = v.batch_cap(demand, metrics.memory_gb) >= 1
        if guarded.outcome.rank > m.allow.rank or not fits:
            out.append(None)
            continue
        fees = sum((c.percent for c in guarded.charges), start=Fraction(0))
        price = fixed if fixed is not None else per_value * gross
        out.append(yearly_margin(m.volume.value, price, fees, unit_cost_usd(design, p.die, p.costs)))
    return out


@settings(SETTINGS, max_examples=20)
@given(pick=st.data())
def test_the_decomposition_equals_the_best_whole_product_line(pick, data, spaces, tiny_cases):
    """Every pair of SKUs on one die, enumerated and judged by the checker: none earns more in all than
    the line the search proves (up to the integer value model's resolution, which run.search checks)."""
    case = pick.draw(tiny_cases, label="case")
    space = build(case, data, spaces).space
    markets = [
        market("a", case.target, case.date.isoformat(), allow=case.allow),
        market("b", "united-states", case.date.isoformat(), price=30000, volume=500),
    ]
    r = pf.portfolio(line(*markets, bases=(case.die,)), data=data, spaces={case.die: space})
    per_market = [[x for x in _margins(data, case.die, m, space) if x is not None] for m in markets]
    if not all(per_market):
        assert r.best is None
        return
    best = max(sum(pair) for pair in itertools.product(*per_market))
    assert r.best is not None
    # the integer value model the solver reads is within 1e-4 of the checker's value (run.search holds
    # every design to it): in dollars, that much value per chip at each market's price of a unit of value
    slack = sum(m.volume.value * (pf.market_curve(data, m, "llm-serving")[1] or 0) for m in markets) / 10**4
    assert abs(r.best.total_usd - best) <= slack


@settings(SETTINGS, max_examples=20)
@given(pick=st.data(), per_value=st.integers(1000, 80000))
def test_cp_sat_and_the_enumerator_find_the_same_gross_margin_design(
    pick, per_value, data, spaces, random_cases
):
    """The goal each market's SKU is proved optimal for, held to the enumerator on small spaces."""
    p = build(pick.draw(random_cases, label="case"), data, spaces)
    curve = price_curve(p, None, Fraction(per_value))
    enc = encode(p.tables, p.plan)
    goal = stages("gross-margin", enc, p, curve)
    sol = solve(enc, 60, goal)
    per_cent = round(p.tables.scales.value * p.tables.scales.fee_basis / (Fraction(per_value) * 100))
    ref = brute.best_staged(
        p.tables, p.plan, [lambda net, cost: net - per_cent * cost, lambda net, cost: net]
    )
    assert (sol.knobs is not None) == ref.feasible
    if ref.feasible:
        assert (sol.net, sol.cost_cents, sol.knobs) == (ref.net, ref.cost_cents, ref.knobs)


@pytest.fixture(scope="module")
def spaces(data, cfg):
    return design_spaces(data, cfg)


@pytest.fixture(scope="module")
def random_cases(data, spaces) -> st.SearchStrategy[Case]:
    return cases(spaces, count_thresholds(data.rules))


@pytest.fixture(scope="module")
def tiny_cases(random_cases) -> st.SearchStrategy[Case]:
    """Random cases cut to at most 48 designs per market, so every pair of SKUs can be enumerated."""

    def cut(case: Case) -> Case:
        most = (2, 2, 2, 3, 2, 1)
        return dataclasses.replace(case, picks=tuple(p[:k] for p, k in zip(case.picks, most, strict=True)))

    return random_cases.map(cut)


# ---- across policy worlds ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blackwell_worlds(data) -> dict[str, pf.PortfolioResult]:
    line = api.load_portfolio("blackwell-2026", data.root)
    return {
        mode: pf.portfolio(line, data=data, worlds=("blackwell-allowed",), mode=mode)
        for mode in ("worst-case", "expected")
    }


@pytest.mark.slow
def test_a_worst_case_line_is_allowed_in_every_world_and_earns_its_worst_there(blackwell_worlds) -> None:
    r = blackwell_worlds["worst-case"]
    assert r.best is not None and r.worlds == ("today", "blackwell-allowed")
    for sku in r.best.skus:
        assert all(x is not None for _, x in sku.worlds), sku.market.name  # the checker allows it everywhere
        assert sku.margin_usd == min(x for _, x in sku.worlds if x is not None)
    assert all(r.line_in_world(i) >= r.best.total_usd for i in range(len(r.worlds)))  # a floor


@pytest.mark.slow
def test_an_expected_line_weighs_every_world_and_earns_at_least_the_worst_case_line(blackwell_worlds) -> None:
    worst, expected = blackwell_worlds["worst-case"], blackwell_worlds["expected"]
    assert worst.best is not None and expected.best is not None
    for sku in expected.best.skus:
        mean = sum(
            (w * (x or 0) for w, (_, x) in zip(expected.weights, sku.worlds, strict=True)), Fraction(0)
        )
        assert sku.margin_usd == mean
    # the worst-case SKUs are candidates for the expected search too, and earn at least their worst
    assert expected.best.total_usd >= worst.best.total_usd


def test_one_world_across_worlds_is_the_plain_line(data) -> None:
    line = api.load_portfolio("hopper-2024", data.root)
    plain = pf.portfolio(line, data=data)
    robust = pf.portfolio(line, data=data, worlds=(), mode="expected")
    assert plain.best is not None and robust.best is not None and robust.worlds == ("today",)
    for a, b in zip(plain.best.skus, robust.best.skus, strict=True):
        assert a.margin_usd is not None and b.margin_usd is not None
        assert (
            abs(a.margin_usd - b.margin_usd) <= a.market.volume.value
        )  # a dollar a unit: the tie stages differ
