"""A guard band: rules redrawn so that a design clears every line by a margin.

Controls fire on a wider region (lower bounds drop, upper bounds rise by the
margin) and reliefs apply on a narrower one, so a design that passes the guarded
rules passes the real ones with room to spare.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from explorer.model.rules import Clause, Op, RuleSet


def _shift(clause: Clause, widen: bool, margin: Fraction) -> Clause:
    if isinstance(clause.value, bool):
        return clause
    lower = clause.op in (Op.GE, Op.GT)
    factor = 1 - margin if lower == widen else 1 + margin
    return dataclasses.replace(clause, value=clause.value * factor)


def with_guard_band(rules: list[RuleSet], percent: Fraction) -> list[RuleSet]:
    """The rules with every threshold moved `percent` toward the restrictive side."""
    if not percent:
        return rules
    m = Fraction(percent) / 100
    out = []
    for rule in rules:
        controls = [
            dataclasses.replace(c, clauses=[_shift(x, True, m) for x in c.clauses]) for c in rule.controls
        ]
        reliefs = [
            dataclasses.replace(r, clauses=[_shift(x, False, m) for x in r.clauses]) for r in rule.reliefs
        ]
        out.append(dataclasses.replace(rule, controls=controls, reliefs=reliefs))
    return out
