"""The independent compliance checker: plain Python, exact arithmetic, no solver.

This is the only source of verdicts in reports; the solver's answers are
re-judged here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from explorer.destinations import Target
from explorer.metrics import Metrics
from explorer.outcomes import LICENSED, Outcome
from explorer.quantity import Status
from explorer.rules import Clause, Combine, Fee, Item, RuleSet


@dataclass(frozen=True)
class Fired:
    """A control whose condition holds for the chip, and the outcome it leads to."""

    rule: str
    paragraph: str
    status: Status
    outcome: Outcome
    relieved_by: str | None = None  # "rule-id paragraph" of a relief that lowered it


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
class Charge:
    rule: str
    paragraph: str
    kind: str
    percent: Fraction
    status: Status


@dataclass(frozen=True)
class Verdict:
    """The outcome for one chip, target and date, with the reasons."""

    outcome: Outcome
    fired: list[Fired]
    margins: list[Margin]
    charges: list[Charge]
    rules_in_force: list[str] = field(default_factory=list)
    volume_caps: list[str] = field(default_factory=list)  # conditions of the path, such as a volume cap


def applies(rule: RuleSet, target: Target, on: dt.date) -> bool:
    """Whether a rule set is in force on the date and covers the target."""
    if not rule.in_force(on):
        return False
    dest = rule.destinations
    included = set(dest.include) | {a.scope for a in dest.added if a.start <= on}
    if "*" not in included and not included & target.scopes:
        return False
    return not set(dest.exclude) & target.scopes


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


def classify(metrics: Metrics, target: Target, on: dt.date, rules: list[RuleSet]) -> Verdict:
    """Judge a chip for a destination on a date against the rules as encoded."""
    active = rules_in_force(rules, target, on)
    fired: list[Fired] = []
    for rule in active:
        for control in rule.controls:
            outcome = outcome_for(control.outcome, target)
            if outcome is not None and condition_holds(control.combine, control.clauses, metrics):
                fired.append(Fired(rule.id, control.paragraph, rule.status, outcome))

    fees: dict[int, Fee] = {}
    for rule in active:
        for relief in rule.reliefs:
            lowered = outcome_for(relief.outcome, target)
            if lowered is None or not condition_holds(relief.combine, relief.clauses, metrics):
                continue
            # rules are in date order, so a newer relief at the same level takes over
            # (and its fee, or lack of one, replaces the older relief's)
            for i, f in enumerate(fired):
                if f.rule in relief.relieves and lowered <= f.outcome:
                    fired[i] = Fired(f.rule, f.paragraph, f.status, lowered, f"{rule.id} {relief.paragraph}")
                    fees.pop(i, None)
                    if relief.fee is not None:
                        fees[i] = relief.fee

    outcome = max((f.outcome for f in fired), key=lambda o: o.rank, default=Outcome.NOT_CONTROLLED)
    charges = _charges(active, fired, fees, outcome, metrics)
    caps = [
        f"{r.id} {x.paragraph}: shipments at most {float(x.volume_cap_percent_of_us):g}% of US shipments"
        for r in active
        for x in r.reliefs
        if x.volume_cap_percent_of_us is not None
        and any(f.relieved_by == f"{r.id} {x.paragraph}" and f.outcome == outcome for f in fired)
    ]
    return Verdict(outcome, fired, margins(active, metrics), charges, [r.id for r in active], caps)


def _charges(active, fired, fees, outcome, metrics) -> list[Charge]:
    """Fees of the reliefs on the path that sets the outcome, and tariffs on licensed paths."""
    out = []
    for i, fee in fees.items():
        f = fired[i]
        if f.outcome == outcome:
            rule_id, paragraph = f.relieved_by.split(" ", 1)
            out.append(Charge(rule_id, paragraph, fee.kind, fee.percent, fee.status))
    if outcome in LICENSED:
        for rule in active:
            for ch in rule.charges:
                if condition_holds(ch.combine, ch.clauses, metrics):
                    out.append(Charge(rule.id, ch.paragraph, ch.fee.kind, ch.fee.percent, ch.fee.status))
    unique = {(c.rule, c.paragraph): c for c in out}
    return list(unique.values())


def margins(active: list[RuleSet], metrics: Metrics) -> list[Margin]:
    """Distance to every numeric threshold in force, for controls, reliefs and charges."""
    out = []
    for rule in active:
        parts = [("control", rule.controls), ("relief", rule.reliefs), ("charge", rule.charges)]
        for role, items in parts:
            for item in items:
                for clause in item.clauses:
                    value = metrics.value(clause.metric)
                    if isinstance(clause.value, bool) or value is None:
                        continue
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
