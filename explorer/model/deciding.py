"""The lines that decide a verdict: thresholds whose crossing alone changes the outcome.

A design's margins list its distance to every line in force, but most lines
decide nothing: a density line inside a paragraph whose TPP clause fails, or a
control that a relief lowers anyway. A line decides the verdict when moving
that one metric just across it, every other metric held, makes the checker
give another outcome. The checker itself is asked, so reliefs, withdrawals,
product facts and combined clauses count exactly as they do in the verdict.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from explorer.model.checker import Margin, Verdict, classify
from explorer.model.destinations import Target
from explorer.model.facts import Facts
from explorer.model.metrics import Metrics
from explorer.model.outcomes import Outcome
from explorer.model.rules import Op, RuleSet

STEP = Fraction(1, 10**9)  # how far past a line (relative to it) a crossing moves the metric


@dataclass(frozen=True)
class Deciding:
    """A line whose crossing alone changes the outcome, and the outcome on its other side."""

    margin: Margin
    outcome_if_crossed: Outcome

    @property
    def distance_pct(self) -> Fraction:
        """How far the design sits from the line, in percent of the line (never negative)."""
        return abs(self.margin.margin) / abs(self.margin.threshold) * 100

    @property
    def side(self) -> str:
        """Where the design's value sits: "below" or "above" the line (or "on" it)."""
        m = self.margin
        return "below" if m.value < m.threshold else "above" if m.value > m.threshold else "on"


@dataclass(frozen=True)
class _Moved(Metrics):
    """Metrics with one metric (a field or a derived one) replaced by another value."""

    moved: tuple[str, Fraction] = ("", Fraction(0))

    def value(self, name: str) -> Fraction | bool | None:
        return self.moved[1] if name == self.moved[0] else super().value(name)


def across(metrics: Metrics, g: Margin) -> Metrics:
    """The metrics with `g`'s metric moved just across its line, to where the clause's truth flips."""
    step = STEP * max(abs(g.threshold), Fraction(1))
    op = Op(g.op)
    x = next(y for y in (g.threshold + step, g.threshold - step) if op.holds(y, g.threshold) != g.holds)
    fields = {f.name: getattr(metrics, f.name) for f in dataclasses.fields(Metrics)}
    return _Moved(**fields, moved=(g.metric, x))


def deciding_lines(
    metrics: Metrics, verdict: Verdict, target: Target, on: dt.date, rules: list[RuleSet], facts: Facts
) -> list[Deciding]:
    """Control and relief lines whose crossing alone changes `verdict`'s outcome, nearest first."""
    out = []
    for g in verdict.margins:
        if g.role not in ("control", "relief") or not g.threshold:
            continue
        crossed = classify(across(metrics, g), target, on, rules, facts, detail=False).outcome
        if crossed != verdict.outcome:
            out.append(Deciding(g, crossed))
    return sorted(out, key=lambda d: d.distance_pct)
