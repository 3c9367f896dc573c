"""The independent compliance checker: plain Python, exact arithmetic, no solver.

This is the only source of verdicts in reports; the solver's answers are
re-judged here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from explorer.model.destinations import Target
from explorer.model.facts import Facts, all_hold
from explorer.model.metrics import Metrics
from explorer.model.outcomes import LICENSED, Outcome
from explorer.model.quantity import Status
from explorer.model.rules import (
    Charge,
    Clause,
    Combine,
    Control,
    Fact,
    Fee,
    Item,
    Relief,
    RuleSet,
    Withdrawal,
)


@dataclass(frozen=True)
class Fired:
    """A control whose condition holds for the chip, and the outcome it leads to."""

    rule: str
    paragraph: str
    status: Status
    outcome: Outcome
    relief: tuple[str, str] | None = None  # (rule id, paragraph) of a relief that lowered it

    @property
    def relieved_by(self) -> str | None:
        """The relief as reports show it, "rule-id paragraph" (never split again: the tuple is the data)."""
        return " ".join(self.relief) if self.relief else None


@dataclass(frozen=True)
class Margin:
    """How far a chip sits from one threshold line.

    `margin` is in the metric's unit and is positive when the clause does not
    hold (the chip is that far on the near side of the line), negative when it
    holds. `margin_pct` is the same as a percentage of the threshold.
    """

    rule: str
    paragraph: str
    role: str  # control, relief or charge
    metric: str
    op: str
    threshold: Fraction
    value: Fraction
    holds: bool
    margin: Fraction
    margin_pct: Fraction | None


@dataclass(frozen=True)
class Levy:
    """A fee or tariff a verdict's path carries: one rule set's Charge (or relief fee), applied."""

    rule: str
    paragraph: str
    kind: str
    percent: Fraction
    status: Status
    base: str = "the sale price"
    overlaps: str | None = None
    note: str = ""


@dataclass(frozen=True)
class FactCheck:
    """One non-metric condition of a rule in force, and whether it held for this chip and buyer."""

    rule: str
    paragraph: str
    role: str  # control, relief, charge or withdrawal
    condition: str
    actual: str
    holds: bool


@dataclass(frozen=True)
class Verdict:
    """The outcome for one chip, target and date, with the reasons."""

    outcome: Outcome
    fired: list[Fired]
    margins: list[Margin]
    charges: list[Levy]  # the fees taken: in an overlap group, only the largest
    rules_in_force: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)  # what the outcome's path requires (volume cap, ...)
    facts: list[FactCheck] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)  # requirements left out for want of an input
    overlapped: list[Levy] = field(default_factory=list)  # charges a larger one in their group covers


def applies(rule: RuleSet, target: Target, on: dt.date) -> bool:
    """Whether a rule set is in force on the date and covers the target."""
    if not rule.in_force(on):
        return False
    dest = rule.destinations
    included = set(dest.include) | {a.scope for a in dest.added if a.start <= on}
    if "*" not in included and not included & target.scopes:
        return False
    return not set(dest.exclude) & target.scopes or bool(set(dest.unless_also) & target.scopes)


def rules_in_force(rules: list[RuleSet], target: Target, on: dt.date, item: Item = Item.IC) -> list[RuleSet]:
    return [r for r in rules if r.applies_to is item and applies(r, target, on)]


def _clause_holds(clause: Clause, metrics: Metrics) -> bool:
    value = metrics.value(clause.metric)
    if value is None:  # e.g. performance density of a chip with no known area
        return False
    return clause.op.holds(value, clause.value)


def condition_holds(combine: Combine, clauses: list[Clause], metrics: Metrics) -> bool:
    results = [_clause_holds(c, metrics) for c in clauses]
    return all(results) if combine is Combine.ALL else any(results)


def outcome_for(outcomes: dict[str, Outcome], target: Target) -> Outcome | None:
    """The most restrictive outcome among the scopes the target belongs to."""
    hits = [o for scope, o in outcomes.items() if scope == "*" or scope in target.scopes]
    return max(hits, key=lambda o: o.rank) if hits else None


def withdrawn(active: list[RuleSet], facts: Facts) -> set[str]:
    """Ids of rule sets whose reliefs a rule in force withdraws from this product."""
    return {rid for r in active for w in r.withdrawals if all_hold(facts, w.facts) for rid in w.reliefs_of}


def classify(
    metrics: Metrics, target: Target, on: dt.date, rules: list[RuleSet], facts: Facts, detail: bool = True
) -> Verdict:
    """Judge a chip for a destination on a date against the rules as encoded.

    `detail` False leaves out the margins and the fact report (the outcome and charges
    are the same), for callers that judge thousands of points, such as the map.
    """
    active = rules_in_force(rules, target, on)
    fired: list[Fired] = []
    for rule in active:
        for control in rule.controls:
            outcome = outcome_for(control.outcome, target)
            if (
                outcome is not None
                and all_hold(facts, control.facts)
                and condition_holds(control.combine, control.clauses, metrics)
            ):
                fired.append(Fired(rule.id, control.paragraph, rule.status, outcome))

    denied = withdrawn(active, facts)
    fees: dict[int, Fee] = {}
    for rule in active:
        if rule.id in denied:
            continue
        for relief in rule.reliefs:
            lowered = outcome_for(relief.outcome, target)
            if (
                lowered is None
                or not all_hold(facts, relief.facts)
                or not condition_holds(relief.combine, relief.clauses, metrics)
            ):
                continue
            # rules are in date order, so a newer relief at the same level takes over
            # (and its fee, or lack of one, replaces the older relief's)
            for i, f in enumerate(fired):
                if f.rule in relief.relieves and lowered <= f.outcome:
                    fired[i] = Fired(f.rule, f.paragraph, f.status, lowered, (rule.id, relief.paragraph))
                    fees.pop(i, None)
                    if relief.fee is not None:
                        fees[i] = relief.fee

    outcome = max((f.outcome for f in fired), key=lambda o: o.rank, default=Outcome.NOT_CONTROLLED)
    taken, overlapped = _combine(_charges(active, fired, fees, outcome, metrics, facts))
    if not detail:
        return Verdict(outcome, fired, [], taken, [r.id for r in active], overlapped=overlapped)
    return Verdict(
        outcome,
        fired,
        margins(active, metrics),
        taken,
        [r.id for r in active],
        _path_conditions(active, fired, outcome),
        fact_checks(active, target, facts),
        _not_applied(active, facts),
        overlapped,
    )


def _path_conditions(active: list[RuleSet], fired: list[Fired], outcome: Outcome) -> list[str]:
    """What the reliefs that set the outcome require of the exporter."""
    out = []
    for r in active:
        for x in r.reliefs:
            if not any(f.relief == (r.id, x.paragraph) and f.outcome == outcome for f in fired):
                continue
            out += [f"{r.id} {x.paragraph}: {text}" for text in x.conditions]
            if x.volume_cap_percent_of_us is not None:
                cap = float(x.volume_cap_percent_of_us)
                out.append(f"{r.id} {x.paragraph}: shipments at most {cap:g}% of US shipments")
    return out


def fact_checks(active: list[RuleSet], target: Target, facts: Facts) -> list[FactCheck]:
    """Every non-metric condition of the rules in force for the target, and whether it held."""
    out = []
    for r in active:
        parts: list[tuple[str, Sequence[Control | Relief | Charge | Withdrawal]]] = [
            ("control", [x for x in r.controls if outcome_for(x.outcome, target) is not None]),
            ("relief", [x for x in r.reliefs if outcome_for(x.outcome, target) is not None]),
            ("charge", r.charges),
            ("withdrawal", r.withdrawals),
        ]
        for role, items in parts:
            for item in items:
                for c in item.facts:
                    out.append(
                        FactCheck(
                            r.id, item.paragraph, role, c.describe(), facts.actual(c.fact), facts.holds(c)
                        )
                    )
    return out


def _not_applied(active: list[RuleSet], facts: Facts) -> list[str]:
    def names(r: RuleSet, fact: Fact) -> bool:
        return any(c.fact is fact for x in r.controls for c in x.facts)

    out = []
    if facts.end_user_hq is None:
        out += [
            f"{r.id}: the end user's headquarters was not given (--end-user-hq),"
            " so this requirement was not applied"
            for r in active
            if names(r, Fact.END_USER_HQ)
        ]
    if facts.end_user is None:
        out += [
            f"{r.id}: no named end user was given (--end-user),"
            " so its exceptions for named end users were not applied"
            for r in active
            if names(r, Fact.END_USER)
        ]
    return out


def _on_path(fired: list[Fired], rule_id: str, outcome: Outcome) -> bool:
    return any(f.relief is not None and f.relief[0] == rule_id and f.outcome == outcome for f in fired)


def _charges(active, fired, fees, outcome, metrics, facts) -> list[Levy]:
    """Fees of the reliefs on the path that sets the outcome, and charges on licensed paths."""
    out = []
    for i, fee in fees.items():
        f = fired[i]
        if f.outcome == outcome and f.relief is not None:
            rule_id, paragraph = f.relief
            out.append(_charge(rule_id, paragraph, fee))
    if outcome in LICENSED:
        for rule in active:
            for ch in rule.charges:
                if (
                    all_hold(facts, ch.facts)
                    and condition_holds(ch.combine, ch.clauses, metrics)
                    and (ch.after_relief is None or _on_path(fired, ch.after_relief, outcome))
                ):
                    out.append(_charge(rule.id, ch.paragraph, ch.fee))
    unique = {(c.rule, c.paragraph): c for c in out}
    return list(unique.values())


def _charge(rule_id: str, paragraph: str, fee: Fee) -> Levy:
    return Levy(rule_id, paragraph, fee.kind, fee.percent, fee.status, fee.base, fee.overlaps, fee.note)


_STATUS_ORDER = list(Status)


def _combine(charges: list[Levy]) -> tuple[list[Levy], list[Levy]]:
    """Charges in one overlap group are one payment: the largest is taken (official first on a tie)."""
    taken, covered = [], []
    groups: dict[str, list[Levy]] = {}
    for c in charges:
        if c.overlaps is None:
            taken.append(c)
        else:
            groups.setdefault(c.overlaps, []).append(c)
    for members in groups.values():
        best = max(members, key=lambda c: (c.percent, -_STATUS_ORDER.index(c.status)))
        taken.append(best)
        covered += [c for c in members if c is not best]
    return taken, covered


def margins(active: list[RuleSet], metrics: Metrics) -> list[Margin]:
    """Distance to every numeric threshold in force, for controls, reliefs and charges."""
    out = []
    for rule in active:
        parts: list[tuple[str, Sequence[Control | Relief | Charge]]] = [
            ("control", rule.controls),
            ("relief", rule.reliefs),
            ("charge", rule.charges),
        ]
        for role, items in parts:
            for item in items:
                for clause in item.clauses:
                    value = metrics.value(clause.metric)
                    if isinstance(clause.value, bool) or value is None:
                        continue
                    if isinstance(value, bool):  # the loader gives a true/false metric a true/false line
                        raise TypeError(
                            f"{rule.id} {item.paragraph}: {clause.metric} is true/false, not a number"
                        )
                    holds = clause.op.holds(value, clause.value)
                    gap = abs(value - clause.value)
                    margin = -gap if holds else gap
                    pct = margin / clause.value * 100 if clause.value else None
                    out.append(
                        Margin(
                            rule.id,
                            item.paragraph,
                            role,
                            clause.metric,
                            clause.op.value,
                            clause.value,
                            value,
                            holds,
                            margin,
                            pct,
                        )
                    )
    # a paragraph split by market (3A090.a.1 with and without datacenter) repeats its lines
    return list(dict.fromkeys(out))
