"""Product-line search: which die to tape out, and the SKU of it each market gets, chosen together.

The die is the one knob every market shares; each market's SKU is its own
derivation of that die (units fused, clock, rate limits, memory populated, links
enabled, market class), judged under its own rules and priced on its own curve.
So, for a given die, the markets share no variable, and the best product line on
it is each market's best SKU: the line's optimum is the best die's sum, exactly.
The search enumerates the candidate dies (a few: the die files named, and the
packages carrying fewer of their compute dies) and proves each (die, market)
optimum with the main search's gross-margin goal: volume x (price less fees, less
unit cost). One joint CP-SAT model over dies and markets would prove the same
optimum, with each market's money on one integer scale across price curves; the
decomposition needs no such scale and is exact (tests hold it to an enumeration of
the joint space of whole product lines on small spaces).

A market the line may leave out (`optional`) is served only where its SKU earns
more than nothing; a required market without a complying SKU rules its die out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from explorer.load.data import load, with_scenarios
from explorer.load.options import parse_date
from explorer.model.cost import unit_cost_usd
from explorer.model.data import Data
from explorer.model.economics import Goal, PriceCurve
from explorer.model.errors import InputError
from explorer.model.package import variant_id
from explorer.model.portfolio import Market, ProductLine, yearly_margin
from explorer.model.space import DesignSpace
from explorer.search import robustness as rb
from explorer.search.reference import reference_rate, sku_rate
from explorer.search.run import (
    CheckerDisagrees,
    Found,
    SearchResult,
    decode,
    found,
    judge,
    no_design,
    problem,
    resolve_base,
    search,
)
from explorer.search.solution import SolveStatus


@dataclass(frozen=True)
class MarketSku:
    """One market's SKU on one die: the search's answer and what it earns a year."""

    market: Market
    result: SearchResult  # a Found (judged in the first world), or a NoDesign where nothing complies
    margin_usd: Fraction | None  # yearly: volume x (price less fees, less unit cost); None: no SKU
    served: bool  # the line sells here (an optional market is left out where it earns nothing)
    # across worlds: the SKU's yearly margin in each (None where the world refuses it); margin_usd is
    # then the worst of them, or their weighted sum
    worlds: tuple[tuple[str, Fraction | None], ...] = ()


@dataclass(frozen=True)
class DieLine:
    """The best product line on one candidate die."""

    die: str
    skus: list[MarketSku]

    @property
    def complete(self) -> bool:
        """Every market the line must serve has a complying SKU."""
        return all(s.served or s.market.optional for s in self.skus)

    @property
    def total_usd(self) -> Fraction:
        return sum((s.margin_usd for s in self.skus if s.served and s.margin_usd is not None), Fraction(0))

    @property
    def proved(self) -> bool:
        """Every search behind it proved its answer (a design optimal, or none complying)."""
        return all(s.result.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE) for s in self.skus)


@dataclass(frozen=True)
class OwnBest:
    """A market's best SKU over every candidate die, as if it had a die of its own."""

    market: Market
    die: str | None  # None: no candidate serves it
    margin_usd: Fraction


@dataclass(frozen=True)
class PortfolioResult:
    line: ProductLine
    dies: list[DieLine]  # one per candidate, the best first (complete lines before incomplete ones)
    own_best: list[OwnBest]
    seconds: float
    worlds: tuple[str, ...] = ()  # policy worlds each SKU is judged in (none: one world)
    mode: str = ""  # across worlds: worst-case or expected
    weights: tuple[Fraction, ...] = ()  # expected: each world's weight

    def line_in_world(self, i: int) -> Fraction | None:
        """What the chosen line earns in world `i` (its SKUs, each where that world allows it)."""
        if self.best is None:
            return None
        return sum((s.worlds[i][1] or Fraction(0) for s in self.best.skus if s.served), Fraction(0))

    @property
    def best(self) -> DieLine | None:
        return self.dies[0] if self.dies and self.dies[0].complete else None

    @property
    def sharing_cost_usd(self) -> Fraction | None:
        """What building one die costs against each market's own best die (0 where one is best for all)."""
        if self.best is None:
            return None
        return sum((o.margin_usd for o in self.own_best), Fraction(0)) - self.best.total_usd

    @property
    def status(self) -> SolveStatus:
        if self.best is None:
            return SolveStatus.INFEASIBLE
        return SolveStatus.OPTIMAL if all(d.proved for d in self.dies) else SolveStatus.FEASIBLE


def candidate_dies(data: Data, bases: list[str]) -> list[str]:
    """The dies a tape-out may build: each base, and its package carrying fewer compute dies."""
    out: list[str] = []
    for base in bases:
        die, _ = resolve_base(data, base)
        ids = [die.id]
        if die.package is not None:
            ids += [variant_id(die.id, c) for c in die.package.counts]
        out += [x for x in ids if x in data.catalog.dies and x not in out]
    return out


def market_curve(data: Data, market: Market, objective: str) -> tuple[Fraction | None, Fraction | None]:
    """(fixed price, dollars per unit of value): a line through the anchor SKU's value, or one price."""
    from explorer.load.loader import load_objective

    if market.anchor_sku is None:
        return market.price_usd.value, None
    sku = data.catalog.skus[market.anchor_sku]
    obj = load_objective(objective, data.root, data.catalog.dies[sku.die].architecture)
    worth = sku_rate(sku, data.catalog, obj, data.root) / reference_rate(data.catalog, obj, data.root)
    if not worth:
        raise InputError(
            f"market {market.name}",
            "anchor_sku",
            market.anchor_sku,
            f"a SKU that can serve {obj.workload.id}",
        )
    return None, market.price_usd.value / worth


def portfolio(
    line: ProductLine,
    bases: list[str] | None = None,
    as_of=None,
    objective: str = "llm-serving",
    data: Data | None = None,
    time_limit: float = 10.0,
    progress: Callable[[int], None] | None = None,
    scenarios: tuple[str, ...] = (),
    spaces: dict[str, DesignSpace] | None = None,
    worlds: tuple[str, ...] | None = None,
    mode: str = "worst-case",
    weights: str | None = None,
    baseline: bool = True,
) -> PortfolioResult:
    """The die to build and each market's SKU of it, for the most yearly gross margin in all.

    `bases`: the candidate dies (default: the line's own, each with its package variants);
    `as_of`: the date of markets that name none (default: today); `scenarios`: what-if rules
    every market is judged under, before its own; `spaces`: a design space per die other than
    its default (slices, for tests; each market keeps its own market class).

    `worlds`: judge each SKU in several policy worlds (today's rules unless `baseline` is off,
    and today's with each scenario, as `explore robust` does). `expected`: each market's SKU
    maximises its margin weighted over the worlds (`weights`, default equal; a world that
    refuses it sells none), which the line's expected margin sums exactly. `worst-case`: each
    SKU must be allowed in every world and maximises its worst world's margin; the line
    reports the sum of those (a floor under its worst world) and what it earns in each world.
    """
    started = time.perf_counter()
    data = data or load()
    dies = candidate_dies(data, bases or line.bases)
    if not dies:
        raise InputError("--base", "", None, "a candidate die (in the portfolio file's bases or as --base)")
    on = parse_date(as_of)
    rules = {m.name: with_scenarios(data, [*scenarios, *m.scenarios]) for m in line.markets}
    curves = {m.name: market_curve(data, m, objective) for m in line.markets}
    across: dict[str, list[tuple[str, Data]]] = {}
    share: dict[str, Fraction] = {}
    if worlds is not None:
        if mode not in rb.MODES:
            raise InputError("--objective", "", mode, f"one of: {', '.join(rb.MODES)}")
        across = {m.name: rb.worlds_of(rules[m.name], list(worlds), baseline) for m in line.markets}
        share = rb.parse_weights(weights, [w for w, _ in next(iter(across.values()))])
    out = []
    for die in dies:
        space = (spaces or {}).get(die)
        skus = []
        for m in line.markets:
            if worlds is None:
                skus.append(
                    _market_sku(die, m, rules[m.name], curves[m.name], on, objective, time_limit, space)
                )
            else:
                context = (on, objective, time_limit, space)
                skus.append(_robust_market_sku(die, m, across[m.name], share, mode, curves[m.name], context))
            if progress:
                progress(1)
        out.append(DieLine(die, skus))
    out.sort(key=lambda d: (not d.complete, -d.total_usd))  # stable: ties keep the candidates' order
    own = []
    for i, m in enumerate(line.markets):
        earning = [(x, d.die) for d in out if (x := d.skus[i].margin_usd) is not None]
        top = max(earning, key=lambda e: e[0], default=None)
        if top is None or (m.optional and top[0] <= 0):
            own.append(OwnBest(m, None, Fraction(0)))
        else:
            own.append(OwnBest(m, top[1], top[0]))
    names = tuple(w for w, _ in next(iter(across.values()))) if across else ()
    return PortfolioResult(
        line,
        out,
        own,
        time.perf_counter() - started,
        names,
        mode if across else "",
        tuple(share[n] for n in names) if mode == "expected" else (),
    )


def _market_sku(
    die: str,
    m: Market,
    data: Data,
    curve: tuple[Fraction | None, Fraction | None],
    on: dt.date,
    objective: str,
    time_limit: float,
    space: DesignSpace | None,
) -> MarketSku:
    fixed, per_value = curve
    r = search(
        die,
        m.target,
        m.as_of or on,
        objective,
        m.allow,
        time_limit=time_limit,
        markets=[m.datacenter],
        data=data,
        goal=Goal.GROSS_MARGIN,
        price_usd=fixed,
        usd_per_value=per_value,
        end_user_hq=m.end_user_hq,
        end_user=m.end_user,
        assume_us_launch=m.assume_us_launch,
        space=None if space is None else dataclasses.replace(space, datacenter=[m.datacenter]),
    )
    price = r.economics.price_usd if isinstance(r, Found) and r.economics is not None else None
    if not isinstance(r, Found) or r.economics is None or price is None:
        return MarketSku(m, r, None, False)
    margin = yearly_margin(m.volume.value, price, r.economics.fee_percent, r.economics.unit_cost_usd)
    return MarketSku(m, r, margin, margin > 0 or not m.optional)


def _robust_market_sku(
    die: str,
    m: Market,
    worlds: list[tuple[str, Data]],
    share: dict[str, Fraction],
    mode: str,
    curve: tuple[Fraction | None, Fraction | None],
    context: tuple[dt.date, str, float, DesignSpace | None],
) -> MarketSku:
    """One market's SKU across worlds: one CP-SAT model with a copy of each world's rules, each world's
    term its gross margin in net-value units (encode_robust's cost_weight), judged again by the checker."""
    from explorer.search.encode import encode_robust
    from explorer.search.solve import solve

    on, objective, time_limit, space = context
    fixed, per_value = curve
    if per_value is None:
        raise InputError(
            f"market {m.name}",
            "anchor_sku",
            None,
            "an anchor SKU: a market judged across worlds prices designs along a line through it",
        )
    problems = [
        problem(
            die,
            m.target,
            m.as_of or on,
            objective,
            m.allow,
            markets=[m.datacenter],
            data=d,
            space=None if space is None else dataclasses.replace(space, datacenter=[m.datacenter]),
            end_user_hq=m.end_user_hq,
            end_user=m.end_user,
            assume_us_launch=m.assume_us_launch,
        )
        for _, d in worlds
    ]
    p0, names = problems[0], [w for w, _ in worlds]
    scale = p0.tables.scales.value * p0.tables.scales.fee_basis
    per_cent = round(scale / (per_value * 100))  # net-value units per cent, as the gross-margin goal counts
    ints = None if mode == "worst-case" else rb.weights_as_integers(share, names)
    started = time.perf_counter()
    sol = solve(encode_robust(p0.tables, [p.plan for p in problems], ints, per_cent), time_limit)
    seconds = time.perf_counter() - started
    if sol.knobs is None:
        return MarketSku(m, no_design(p0, die, sol.status, seconds), None, False)
    design = decode(p0, sol.knobs)
    margins: list[Fraction | None] = []
    for p in problems:
        _, _, guarded, gross, _ = judge(p, design)
        fees = sum((c.percent for c in guarded.charges), start=Fraction(0))
        cost = Fraction(round(unit_cost_usd(design, p.die, p.costs) * 100), 100)
        ok = guarded.outcome.rank <= p.plan.allowed
        margins.append(yearly_margin(m.volume.value, per_value * gross, fees, cost) if ok else None)
    if mode == "worst-case":
        if any(x is None for x in margins):
            refused = [n for n, x in zip(names, margins, strict=True) if x is None]
            raise CheckerDisagrees(
                f"{die}: the robust SKU {design.describe()} for {m.name} is refused in {refused}"
            )
        margin = min(x for x in margins if x is not None)
    else:
        margin = sum((share[n] * (x or 0) for n, x in zip(names, margins, strict=True)), Fraction(0))
    result = found(p0, design, sol.status, seconds, PriceCurve(usd_per_value=per_value))
    return MarketSku(m, result, margin, margin > 0 or not m.optional, tuple(zip(names, margins, strict=True)))
