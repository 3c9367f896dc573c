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
from typing import Any

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


def _with_part(rule: RuleSet, role: str, items: list[Any]) -> RuleSet:
    """The rule set with the list PARTS[role] (its controls, reliefs, charges or withdrawals) replaced."""
    changes: dict[str, Any] = {PARTS[role]: items}  # a field named at run time: mypy checks no kwarg
    return dataclasses.replace(rule, **changes)


def _changed(rule: RuleSet, sc: Scenario) -> RuleSet:
    for removal in (c for c in sc.remove_item if c.rule == rule.id):
        kept = [x for x in getattr(rule, PARTS[removal.role]) if x.paragraph != removal.paragraph]
        rule = _with_part(rule, removal.role, kept)
    for line in (c for c in sc.change_line if c.rule == rule.id):
        items = [
            dataclasses.replace(
                item,
                clauses=[
                    dataclasses.replace(x, value=line.value)
                    if x.metric == line.metric and (line.op is None or x.op.value == line.op)
                    else x
                    for x in item.clauses
                ],
            )
            if item.paragraph == line.paragraph
            else item
            for item in getattr(rule, PARTS[line.role])
        ]
        rule = _with_part(rule, line.role, items)
    for fee_change in (c for c in sc.change_charge if c.rule == rule.id):
        rule = dataclasses.replace(
            rule,
            charges=[
                dataclasses.replace(x, fee=dataclasses.replace(x.fee, percent=fee_change.percent))
                if x.paragraph == fee_change.paragraph
                else x
                for x in rule.charges
            ],
            reliefs=[
                dataclasses.replace(x, fee=dataclasses.replace(x.fee, percent=fee_change.percent))
                if x.paragraph == fee_change.paragraph and x.fee is not None
                else x
                for x in rule.reliefs
            ],
        )
    for condition in (c for c in sc.add_condition if c.rule == rule.id):
        text = f"{condition.text} ({sc.id}, {sc.status.value})"
        rule = dataclasses.replace(
            rule,
            reliefs=[
                dataclasses.replace(x, conditions=[*x.conditions, text])
                if x.paragraph == condition.paragraph
                else x
                for x in rule.reliefs
            ],
        )
    return rule
