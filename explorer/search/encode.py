"""The CP-SAT model of one design space under one plan. The only module that imports the solver model.

Knob indices select rows of the integer tables; two products give TPP and the
workload FLOP rate; every rule clause is a reified integer inequality; each
rule set has one enforcement literal, so an infeasible search can name the
rules that conflict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from explorer.model.outcomes import LICENSED_MIN, Outcome
from explorer.model.rules import Combine, Op
from explorer.model.value import PLANE_DENOMINATOR, PLANES
from explorer.search.cpsat import cp_model
from explorer.search.intmodel import SCALE_ONE, Atom, IntRate, IntTables
from explorer.search.plan import Plan, fee_divisor


@dataclass
class Encoded:
    model: cp_model.CpModel
    knobs: dict[str, cp_model.IntVar]
    net: cp_model.LinearExpr  # value x scale x basis points, after fees (robust: the robust objective)
    cost: cp_model.IntVar
    rule_literals: dict[str, cp_model.IntVar]
    fees: list[tuple[int, cp_model.IntVar]]  # (basis points, literal) the design's outcome would carry
    total_cost: cp_model.LinearExpr  # cents, fixed costs included
    cheapest: list[tuple[str, cp_model.LinearExprT]]  # after the value: see _tie_break
    world_nets: list[cp_model.LinearExpr] = field(default_factory=list)  # robust: net value per world
    world_ok: list[cp_model.IntVar] = field(default_factory=list)  # robust: outcome allowed per world
    net_divisor: int = 1  # robust: the objective is the net value divided by this (exactly)


@dataclass
class _Space:
    """The design variables and what they give: shared by every plan encoded on them."""

    knobs: dict[str, cp_model.IntVar]
    res: dict[str, cp_model.LinearExpr]  # the integer resources clauses read, by Atom.resource
    value: cp_model.LinearExpr
    cost: cp_model.IntVar
    cheapest: list[tuple[str, cp_model.LinearExprT]]


def encode(
    t: IntTables, plan: Plan, relax: frozenset[int] = frozenset(), exact_level: int | None = None
) -> Encoded:
    """The model; controls in `relax` are dropped (to test whether a line binds).

    `exact_level`: the outcome must be exactly this rank (one compliance path, for comparisons).
    """
    m = cp_model.CpModel()
    sp = _space(m, t)
    w = _world(m, t, plan, sp, "", relax, exact_level, enforce=True)
    m.add_assumptions(list(w.rule_literals.values()))
    return Encoded(m, sp.knobs, w.net, sp.cost, w.rule_literals, w.fees, sp.cost + t.fixed_cost, sp.cheapest)


def encode_robust(
    t: IntTables, plans: list[Plan], weights: list[int] | None = None, cost_weight: int = 0
) -> Encoded:
    """One model over shared design variables with one copy of each world's rules.

    `weights` None: worst case, every world must allow the design and the objective
    is the smallest net value over the worlds. Otherwise expected value: the weighted
    sum of each world's net value, counted only where the world allows the design.
    `cost_weight`: each world's term is its net value less this many times the total
    cost in cents (a gross margin in net-value units; a world that refuses the design
    sells none, so it counts nothing).
    """
    m = cp_model.CpModel()
    sp = _space(m, t)
    worlds = [
        _world(m, t, plan, sp, f"w{i} ", frozenset(), None, enforce=weights is None)
        for i, plan in enumerate(plans)
    ]
    lits = {f"{i}:{rule}": lit for i, w in enumerate(worlds) for rule, lit in w.rule_literals.items()}
    # every net value is a multiple of g: keep the numbers small (a cost term is not: no division)
    g = 1 if cost_weight else fee_divisor(plans, t.scales.fee_basis)
    top = t.scales.fee_basis * t.value_upper // g
    least = -cost_weight * (max(t.mem_cost) + max(t.die_cost) + t.fixed_cost)
    total_cost = sp.cost + t.fixed_cost
    objective: cp_model.LinearExpr
    if weights is None:
        objective = m.new_int_var(least - top, top, "worst_case")
        for w in worlds:
            m.add(g * objective <= w.net - cost_weight * total_cost)
        m.add_assumptions(list(lits.values()))
    else:
        parts: list[cp_model.LinearExpr] = []
        for w, weight in zip(worlds, weights, strict=True):
            got = m.new_int_var(least, top, "")
            m.add(g * got == w.net - cost_weight * total_cost).only_enforce_if(w.ok)
            m.add(got == 0).only_enforce_if(w.ok.Not())
            parts.append(weight * got)
        # an expression, not sum()'s 0: a robust search has at least one world (robustness.worlds_of)
        objective = cast(cp_model.LinearExpr, sum(parts))
    return Encoded(
        m,
        sp.knobs,
        objective,
        sp.cost,
        lits,
        [],
        sp.cost + t.fixed_cost,
        sp.cheapest,
        [w.net for w in worlds],
        [w.ok for w in worlds],
        g,
    )


def _space(m: cp_model.CpModel, t: IntTables) -> _Space:
    ui = m.new_int_var(0, len(t.units) - 1, "units_idx")
    clk = m.new_int_var_from_domain(cp_model.Domain.from_values(t.clocks), "clock_mhz")
    r = m.new_int_var(0, len(t.k_tpp) - 1, "rate_idx")
    mem = m.new_int_var(0, len(t.mem_bw) - 1, "memory_idx")
    link = m.new_int_var(0, len(t.io) - 1, "link_idx")
    dc = m.new_bool_var("datacenter")
    if len(t.markets) == 1:
        m.add(dc == int(t.markets[0]))

    def element(index: cp_model.IntVar, values: list[int], name: str) -> cp_model.IntVar:
        var = m.new_int_var(min(values), max(values), name)
        m.add_element(index, values, var)
        return var

    u = element(ui, t.units, "units")
    top = max(t.units) * max(t.clocks)
    uc = m.new_int_var(min(t.units) * min(t.clocks), top, "units_x_clock")
    m.add_multiplication_equality(uc, [u, clk])
    # one linear equation per rate option, instead of a second product
    tpp = m.new_int_var(0, top * max(t.k_tpp), "tpp_x")
    flops = m.new_int_var(0, top * max(t.k_flops), "flops_x")
    for i in range(len(t.k_tpp)):
        chosen = m.new_bool_var(f"rate {i}")
        m.add(r == i).only_enforce_if(chosen)
        m.add(r != i).only_enforce_if(chosen.Not())
        m.add(tpp == t.k_tpp[i] * uc).only_enforce_if(chosen)
        m.add(flops == t.k_flops[i] * uc).only_enforce_if(chosen)
    bw, cap = element(mem, t.mem_bw, "bw_x"), element(mem, t.mem_cap, "cap_x")
    cost = m.new_int_var(0, max(t.mem_cost) + max(t.die_cost), "cost_cents")
    m.add(cost == element(mem, t.mem_cost, "memory_cost") + element(ui, t.die_cost, "die_cost"))
    io, lk = element(link, t.io, "io_x"), element(link, t.link, "link_x")
    res: dict[str, cp_model.LinearExpr] = {"tpp": tpp, "flops": flops, "bw": bw, "cap": cap, "io": io}
    res |= {"link": lk, "bw_io": bw + io, "bw_link": bw + lk, "dc": dc}
    m.add(cap >= t.need_cap)  # weights and KV cache fit
    value = _value(m, t, flops, mem, link, top * max(t.k_flops), element)
    if t.value_floor:
        m.add(value >= t.value_floor)  # --at-least: hard, so an infeasible core names the rules against it
    knobs = {
        "units": u,
        "clock_mhz": clk,
        "rate_idx": r,
        "memory_idx": mem,
        "link_idx": link,
        "datacenter": dc,
    }
    cheapest = _tie_break(t, cost, [ui, clk, r, mem, link, dc])
    return _Space(knobs, res, value, cost, cheapest)


def _tie_break(
    t: IntTables, cost: cp_model.IntVar, index: list[cp_model.IntVar]
) -> list[tuple[str, cp_model.LinearExprT]]:
    """Stages after the value: the lowest cost, then the lowest (units, clock, rate, memory, link,
    market) option indices, as the enumerator breaks ties, so both return the same design whatever
    the search's path. One stage (cost x points + rank) where that fits in 62 bits, else two.

    `index`: the units index, the clock in MHz (its options ascend, so its value orders as its index
    does), then the other knobs' indices and the datacenter literal.
    """
    assert t.clocks == sorted(t.clocks), "clock options ascend"
    ui, clk, *rest = index
    dc = rest[-1]
    market_rank = 0 if len(t.markets) == 1 else (dc if t.markets[0] is False else 1 - dc)
    digits = [
        (ui, len(t.units)),
        (clk - t.clocks[0], t.clocks[-1] - t.clocks[0] + 1),
        (rest[0], len(t.k_tpp)),
        (rest[1], len(t.mem_bw)),
        (rest[2], len(t.io)),
        (market_rank, len(t.markets)),
    ]
    weights = [math.prod(base for _, base in digits[i + 1 :]) for i in range(len(digits))]
    rank = cast(cp_model.LinearExpr, sum(w * digit for w, (digit, _) in zip(weights, digits, strict=True)))
    points = weights[0] * digits[0][1]
    top_cost = max(t.mem_cost) + max(t.die_cost)
    if (top_cost + 1) * points < 2**62:
        return [("min", cost * points + rank)]
    return [("min", cost), ("min", rank)]


@dataclass
class _World:
    net: cp_model.LinearExpr
    ok: cp_model.IntVar  # the outcome is allowed
    rule_literals: dict[str, cp_model.IntVar]
    fees: list[tuple[int, cp_model.IntVar]]


def _world(
    m: cp_model.CpModel,
    t: IntTables,
    plan: Plan,
    sp: _Space,
    tag: str,
    relax: frozenset[int],
    exact_level: int | None,
    enforce: bool,
) -> _World:
    """One plan's compliance on the shared design: its outcome, fees and net value.

    `enforce`: the outcome must be allowed (under one enforcement literal per rule
    set); otherwise `ok` only says whether it is.
    """
    res = sp.res
    dc = sp.knobs["datacenter"]  # the variable behind res["dc"]: a literal, so it can be negated

    def atom(a: Atom) -> cp_model.BoolVarT:
        if a.resource == "const":
            return m.new_constant(int(bool(a.bound)))
        if a.resource == "dc":
            return dc if a.bound else dc.Not()
        b = m.new_bool_var("")
        x = res[a.resource]
        if a.op is Op.GE:
            m.add(x >= a.bound).only_enforce_if(b)
            m.add(x <= a.bound - 1).only_enforce_if(b.Not())
        else:  # Op.LE
            m.add(x <= a.bound).only_enforce_if(b)
            m.add(x >= a.bound + 1).only_enforce_if(b.Not())
        return b

    def condition(combine: Combine, atoms: list[Atom]) -> cp_model.BoolVarT:
        bs = [atom(a) for a in atoms]
        if not bs:
            return m.new_constant(1)
        out = m.new_bool_var("")
        if combine is Combine.ALL:
            m.add_bool_and(bs).only_enforce_if(out)
            m.add_bool_or([b.Not() for b in bs]).only_enforce_if(out.Not())
        else:
            m.add_bool_or(bs).only_enforce_if(out)
            m.add_bool_and([b.Not() for b in bs]).only_enforce_if(out.Not())
        return out

    def all_of(lits: list[cp_model.BoolVarT]) -> cp_model.IntVar:
        out = m.new_bool_var("")
        m.add_bool_and(lits).only_enforce_if(out)
        m.add_bool_or([x.Not() for x in lits]).only_enforce_if(out.Not())
        return out

    relief_active = [condition(x.combine, x.atoms) for x in plan.reliefs]
    rule_lits = {c.rule: m.new_bool_var(f"{tag}enforce {c.rule}") for c in plan.controls}
    levels: list[cp_model.LinearExpr] = []
    owners: dict[tuple[int, int], cp_model.IntVar] = {}  # (control, relief) -> the relief owns the control
    for ci, c in enumerate(plan.controls):
        fired = condition(c.combine, c.atoms)
        takes: dict[int, cp_model.IntVar] = {}  # relief index -> the relief takes the control
        for j in plan.reliefs_of(c):
            rj = plan.reliefs[j]
            if rj.level > c.level:
                continue
            blockers = [takes[i].Not() for i in takes if plan.reliefs[i].level < rj.level]
            takes[j] = all_of([fired, relief_active[j], *blockers])
        for j in takes:
            later = [takes[k].Not() for k in takes if k > j]
            owners[ci, j] = all_of([takes[j], *later]) if later else takes[j]
        level = fired * c.level - sum(owners[ci, j] * (c.level - plan.reliefs[j].level) for j in takes)
        levels.append(level)
        if enforce and ci not in relax:
            m.add(level <= plan.allowed).only_enforce_if(rule_lits[c.rule])

    final = m.new_int_var(0, len(Outcome) - 1, f"{tag}final_level")
    m.add_max_equality(final, [m.new_constant(0), *levels])
    if exact_level is not None:
        m.add(final == exact_level)
    ok = m.new_bool_var(f"{tag}allowed")
    m.add(final <= plan.allowed).only_enforce_if(ok)
    m.add(final >= plan.allowed + 1).only_enforce_if(ok.Not())
    fees = _fees(m, plan, final, owners, condition)
    basis = t.scales.fee_basis
    cap_value = t.value_upper
    paid: list[cp_model.LinearExpr] = []
    for bp, active in fees:
        # the share is exactly the value when the fee applies and 0 otherwise, for any feasible
        # solution (not only at the optimum), so a stopped or robust solve reads exact net values
        share = m.new_int_var(0, cap_value, "")
        m.add(share == sp.value).only_enforce_if(active)
        m.add(share == 0).only_enforce_if(active.Not())
        paid.append(bp * share)
    net = basis * sp.value - sum(paid)
    return _World(net, ok, rule_lits, fees)


def _fees(
    m: cp_model.CpModel,
    plan: Plan,
    final: cp_model.IntVar,
    owners: dict[tuple[int, int], cp_model.IntVar],
    condition: Callable[[Combine, list[Atom]], cp_model.BoolVarT],
) -> list[tuple[int, cp_model.IntVar]]:
    """(basis points, literal) for every fee or tariff the design's outcome would carry.

    Fees of one overlap group are one payment: only the largest active one counts.
    """
    if not (any(r.fee_bp for r in plan.reliefs) or plan.charges):
        return []
    is_level: dict[int, cp_model.IntVar] = {}
    for k in range(len(Outcome)):
        b = m.new_bool_var(f"level {k}")
        m.add(final == k).only_enforce_if(b)
        m.add(final != k).only_enforce_if(b.Not())
        is_level[k] = b

    def both(a: cp_model.BoolVarT, b: cp_model.BoolVarT, name: str = "") -> cp_model.IntVar:
        out = m.new_bool_var(name)
        m.add_bool_and([a, b]).only_enforce_if(out)
        m.add_bool_or([a.Not(), b.Not()]).only_enforce_if(out.Not())
        return out

    def any_of(lits: list[cp_model.IntVar]) -> cp_model.IntVar:
        out = m.new_bool_var("")
        if not lits:
            m.add(out == 0)
            return out
        m.add_bool_or(lits).only_enforce_if(out)
        m.add_bool_and([x.Not() for x in lits]).only_enforce_if(out.Not())
        return out

    sets_level: dict[int, cp_model.IntVar] = {}  # relief index -> it owns a control at the final level
    for j, r in enumerate(plan.reliefs):
        mine = [o for (ci, jj), o in owners.items() if jj == j]
        if mine:
            sets_level[j] = both(any_of(mine), is_level[r.level], f"path {r.rule}")
    fees: list[tuple[int, cp_model.IntVar, str | None]] = []  # (bp, literal, group)
    for j, r in enumerate(plan.reliefs):
        if r.fee_bp and j in sets_level:
            fees.append((r.fee_bp, sets_level[j], r.fee_group))
    licensed = m.new_bool_var("licensed")
    m.add(final >= LICENSED_MIN).only_enforce_if(licensed)
    m.add(final <= LICENSED_MIN - 1).only_enforce_if(licensed.Not())
    for ch in plan.charges:
        on = both(condition(ch.combine, ch.atoms), licensed)
        if ch.after_relief is not None:
            path = [lit for j, lit in sets_level.items() if plan.reliefs[j].rule == ch.after_relief]
            on = both(on, any_of(path))
        fees.append((ch.fee_bp, on, ch.fee_group))
    return _largest_per_group(m, fees, both)


def _largest_per_group(
    m: cp_model.CpModel,
    fees: list[tuple[int, cp_model.IntVar, str | None]],
    both: Callable[[cp_model.BoolVarT, cp_model.BoolVarT], cp_model.IntVar],
) -> list[tuple[int, cp_model.IntVar]]:
    """Within each overlap group, a fee counts only if no larger (or earlier equal) one is active."""
    out: list[tuple[int, cp_model.IntVar]] = []
    for i, (bp, lit, group) in enumerate(fees):
        if group is None:
            out.append((bp, lit))
            continue
        above = [x for k, (b, x, g) in enumerate(fees) if g == group and (b > bp or (b == bp and k < i))]
        if above:
            none_above = m.new_bool_var("")
            m.add_bool_and([x.Not() for x in above]).only_enforce_if(none_above)
            m.add_bool_or(above).only_enforce_if(none_above.Not())
            lit = both(lit, none_above)
        out.append((bp, lit))
    return out


def _value(
    m: cp_model.CpModel,
    t: IntTables,
    flops: cp_model.IntVar,
    mem: cp_model.IntVar,
    link: cp_model.IntVar,
    top_flops: int,
    element: Callable[[cp_model.IntVar, list[int], str], cp_model.IntVar],
) -> cp_model.IntVar:
    """intmodel's value pieces, exactly as brute.value_of computes them: every step floored.

    Exact, not only bounded above, so any feasible assignment carries its design's
    true value (a stopped or robust solve reads exact net values, and the search
    never has to climb to a bound). A piece's latency factor is one conditional
    pair of inequalities per distinct factor, not a product.
    """
    cache: dict[tuple[str, tuple[int, ...]], cp_model.IntVar] = {}

    def table(index: cp_model.IntVar, values: Sequence[int], name: str) -> cp_model.IntVar:
        key = (name, tuple(values))
        if key not in cache:
            cache[key] = element(index, list(values), name)
        return cache[key]

    def rate(r: IntRate) -> tuple[cp_model.LinearExpr, int]:
        """The rate as an expression, and its largest value."""
        if r.kind == "flops":
            return r.coef * flops, r.coef * top_flops
        return table(mem if r.kind == "memory" else link, r.table, f"{r.kind} rate"), max(r.table)

    def scaled(h: cp_model.LinearExpr, top: int, scale: tuple[int, ...]) -> cp_model.IntVar:
        """floor(h x scale[memory] / SCALE_ONE), exactly: one conditional equality per distinct factor."""
        levels = sorted(set(scale))
        k = table(mem, [levels.index(x) for x in scale], "latency factor index")
        out = m.new_int_var(0, top * max(scale) // SCALE_ONE, "latency-scaled")
        for i, a in enumerate(levels):
            on = m.new_bool_var("")
            m.add(k == i).only_enforce_if(on)
            m.add(k != i).only_enforce_if(on.Not())
            # out = floor(a x h / SCALE_ONE): SCALE_ONE x out <= a x h < SCALE_ONE x (out + 1)
            m.add(SCALE_ONE * out <= a * h).only_enforce_if(on)
            m.add(a * h <= SCALE_ONE * out + SCALE_ONE - 1).only_enforce_if(on)
        return out

    value = m.new_int_var(0, t.value_upper, "value")
    parts: list[cp_model.LinearExpr] = []
    for piece in t.value_pieces:
        out, top = rate(piece.rates[0])
        for r in piece.rates[1:]:
            y, y_top = rate(r)
            top = min(top, y_top)
            raw = m.new_int_var(0, PLANE_DENOMINATOR * top, "")
            m.add_min_equality(raw, [a * out + b * y for a, b in PLANES])
            out = m.new_int_var(0, top, "harmonic")
            m.add_division_equality(out, raw, PLANE_DENOMINATOR)
        parts.append(scaled(out, top, piece.scale) if piece.scale else out)
    m.add_min_equality(value, parts)
    return value
