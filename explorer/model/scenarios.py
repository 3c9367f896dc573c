"""Policy scenarios: what-if operations on the rules in force, from data.

A scenario adds rule sets, removes them, moves a clause's line, changes a
charge's percentage or adds a condition to a relief's path, from its effective
date on (or always, when it has none). The result is an ordinary list of rule
sets, so the checker, the search and every report apply a scenario exactly as
they apply the law, and say which scenarios they applied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from explorer.model.quantity import Source, Status
from explorer.model.rules import RuleSet

SCENARIO_STATUSES = (Status.PROPOSED_BILL, Status.REPORTED_PLAN, Status.HYPOTHETICAL)


@dataclass(frozen=True)
class LineChange:
    """Move every clause on `metric` in one paragraph of a rule set to `value` (optionally one `op`)."""

    rule: str
    paragraph: str
    metric: str
    value: Fraction
    op: str | None = None
    role: str = "control"  # control, relief or charge
    note: str = ""


@dataclass(frozen=True)
class ChargeChange:
    """Set the percentage of a charge (or of a relief's fee)."""

    rule: str
    paragraph: str
    percent: Fraction
    note: str = ""


@dataclass(frozen=True)
class ItemRemoval:
    """Take one control, relief, charge or withdrawal (by paragraph) out of a rule set."""

    rule: str
    paragraph: str
    role: str  # control, relief, charge or withdrawal


@dataclass(frozen=True)
class PathCondition:
    """A condition the exporter must meet on a relief's path (e.g. congressional review)."""

    rule: str
    paragraph: str
    text: str


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    status: Status
    sources: dict[str, Source]
    effective_from: dt.date | None = None  # changes and removals apply from this day; None: always
    add: list[RuleSet] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    remove_item: list[ItemRemoval] = field(default_factory=list)
    change_line: list[LineChange] = field(default_factory=list)
    change_charge: list[ChargeChange] = field(default_factory=list)
    add_condition: list[PathCondition] = field(default_factory=list)
    notes: str = ""


def apply(rules: list[RuleSet], scenarios: list[Scenario]) -> list[RuleSet]:
    """The rules with each scenario applied in turn, in date order."""
    for sc in scenarios:
        rules = _apply_one(rules, sc)
    return sorted(rules, key=lambda r: (r.effective_from, r.id))


def _apply_one(rules: list[RuleSet], sc: Scenario) -> list[RuleSet]:
    touched = {c.rule for c in sc.change_line} | {c.rule for c in sc.change_charge}
    touched |= {c.rule for c in sc.add_condition} | {c.rule for c in sc.remove_item}
    out = []
    for rule in rules:
        if rule.id in sc.remove:
            out += _until(rule, sc.effective_from)
        elif rule.id in touched:
            changed = dataclasses.replace(_changed(rule, sc), status=sc.status, scenario=sc.id)
            out += _split(rule, changed, sc.effective_from)
        else:
            out.append(rule)
    out += [dataclasses.replace(r, scenario=sc.id) for r in sc.add]
    return out


def _until(rule: RuleSet, day: dt.date | None) -> list[RuleSet]:
    """A removed rule: gone, or in force only until the scenario's day."""
    if day is None or day <= rule.effective_from:
        return []
    end = min(day, rule.effective_until) if rule.effective_until else day
    return [dataclasses.replace(rule, effective_until=end)]


def _split(old: RuleSet, new: RuleSet, day: dt.date | None) -> list[RuleSet]:
    """The rule as it was before the scenario's day and as changed from it (same id, no overlap)."""
    if day is None or day <= old.effective_from:
        return [new]
    if old.effective_until is not None and old.effective_until <= day:
        return [old]
    return [dataclasses.replace(old, effective_until=day), dataclasses.replace(new, effective_from=day)]


PARTS = {"control": "controls", "relief": "reliefs", "charge": "charges", "withdrawal": "withdrawals"}


def _changed(rule: RuleSet, sc: Scenario) -> RuleSet:
    parts = PARTS
    for ch in (c for c in sc.remove_item if c.rule == rule.id):
        kept = [x for x in getattr(rule, parts[ch.role]) if x.paragraph != ch.paragraph]
        rule = dataclasses.replace(rule, **{parts[ch.role]: kept})
    for ch in (c for c in sc.change_line if c.rule == rule.id):
        items = getattr(rule, parts[ch.role])
        items = [
            dataclasses.replace(
                item,
                clauses=[
                    dataclasses.replace(x, value=ch.value)
                    if x.metric == ch.metric and (ch.op is None or x.op.value == ch.op)
                    else x
                    for x in item.clauses
                ],
            )
            if item.paragraph == ch.paragraph
            else item
            for item in items
        ]
        rule = dataclasses.replace(rule, **{parts[ch.role]: items})
    for ch in (c for c in sc.change_charge if c.rule == rule.id):
        rule = dataclasses.replace(
            rule,
            charges=[
                dataclasses.replace(x, fee=dataclasses.replace(x.fee, percent=ch.percent))
                if x.paragraph == ch.paragraph
                else x
                for x in rule.charges
            ],
            reliefs=[
                dataclasses.replace(x, fee=dataclasses.replace(x.fee, percent=ch.percent))
                if x.paragraph == ch.paragraph and x.fee is not None
                else x
                for x in rule.reliefs
            ],
        )
    for ch in (c for c in sc.add_condition if c.rule == rule.id):
        rule = dataclasses.replace(
            rule,
            reliefs=[
                dataclasses.replace(x, conditions=[*x.conditions, f"{ch.text} ({sc.id}, {sc.status.value})"])
                if x.paragraph == ch.paragraph
                else x
                for x in rule.reliefs
            ],
        )
    return rule
