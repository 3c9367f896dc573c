"""The rules in force for one target, reduced to what a search needs: levels and integer atoms.

Both the CP-SAT encoding and the numpy enumerator read a Plan; they implement
the checker's semantics (controls fire, reliefs lower them in date order, the
most restrictive level wins, fees follow the relief that set the level) on
integers, and tests hold both to the checker.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.model.checker import outcome_for, withdrawn
from explorer.model.destinations import Target
from explorer.model.facts import Facts, all_hold
from explorer.model.outcomes import Outcome
from explorer.model.rules import Clause, Combine, RuleSet
from explorer.search.intmodel import Atom, IntTables


@dataclass(frozen=True)
class PlannedControl:
    rule: str
    paragraph: str
    level: int
    combine: Combine
    atoms: list[Atom]
    clauses: tuple[Clause, ...] = ()  # the rule's clauses the atoms encode, in order (for reports)


@dataclass(frozen=True)
class PlannedRelief:
    rule: str
    paragraph: str
    level: int
    relieves: frozenset[str]
    combine: Combine
    atoms: list[Atom]
    fee_bp: int | None  # basis points
    fee_group: str | None = None  # fees in one group combine as the larger
    clauses: tuple[Clause, ...] = ()  # the rule's clauses the atoms encode, in order (for reports)


@dataclass(frozen=True)
class PlannedCharge:
    rule: str
    paragraph: str
    combine: Combine
    atoms: list[Atom]
    fee_bp: int
    fee_group: str | None = None
    after_relief: str | None = None  # only when a relief of this rule set set the outcome


@dataclass(frozen=True)
class Plan:
    controls: list[PlannedControl]
    reliefs: list[PlannedRelief]  # in the order the checker applies them
    charges: list[PlannedCharge]
    allowed: int  # the most restrictive outcome rank a design may have

    def reliefs_of(self, control: PlannedControl) -> list[int]:
        return [j for j, r in enumerate(self.reliefs) if control.rule in r.relieves]


def _bp(percent) -> int:
    bp = percent * 100
    if bp.denominator != 1:
        raise ValueError(f"fee {percent}% is finer than a basis point")
    return int(bp)


def make_plan(active: list[RuleSet], target: Target, t: IntTables, allowed: Outcome, facts: Facts) -> Plan:
    """`active`: the rule sets in force for the target, in date order (checker.rules_in_force).

    Facts about the product and buyer are the same for every design of the space,
    so they are folded here: an item whose facts fail is left out, as is every
    relief a withdrawal denies to this product.
    """
    controls, reliefs, charges = [], [], []
    denied = withdrawn(active, facts)
    for rule in active:
        for c in rule.controls:
            level = outcome_for(c.outcome, target)
            if level is not None and all_hold(facts, c.facts):
                atoms = [t.atom(x, surely=False) for x in c.clauses]
                controls.append(
                    PlannedControl(rule.id, c.paragraph, level.rank, c.combine, atoms, tuple(c.clauses))
                )
        for r in rule.reliefs:
            level = outcome_for(r.outcome, target)
            if level is not None and rule.id not in denied and all_hold(facts, r.facts):
                reliefs.append(
                    PlannedRelief(
                        rule.id,
                        r.paragraph,
                        level.rank,
                        frozenset(r.relieves),
                        r.combine,
                        [t.atom(x, surely=True) for x in r.clauses],
                        _bp(r.fee.percent) if r.fee else None,
                        r.fee.overlaps if r.fee else None,
                        tuple(r.clauses),
                    )
                )
        for ch in rule.charges:
            if all_hold(facts, ch.facts):
                charges.append(
                    PlannedCharge(
                        rule.id,
                        ch.paragraph,
                        ch.combine,
                        [t.atom(x, surely=False) for x in ch.clauses],
                        _bp(ch.fee.percent),
                        ch.fee.overlaps,
                        ch.after_relief,
                    )
                )
    return Plan(controls, reliefs, charges, allowed.rank)


def fee_divisor(plans: list[Plan], basis: int) -> int:
    """The largest integer dividing every net value these plans can produce (basis x value less fees in
    basis points): a robust objective divided by it is smaller and still exact."""
    import math

    bps = [r.fee_bp for p in plans for r in p.reliefs if r.fee_bp] + [
        c.fee_bp for p in plans for c in p.charges
    ]
    return math.gcd(basis, *bps)
