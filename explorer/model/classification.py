"""What a screen of one chip says, with the standing caveat every output carries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from explorer.model.checker import Verdict
from explorer.model.chips import Sku
from explorer.model.destinations import Target
from explorer.model.facts import Facts
from explorer.model.metrics import Metrics
from explorer.model.ranges import Uncertain
from explorer.model.rules import RuleSet
from explorer.model.value import EfficiencyNote

SCREEN_NOTE = (
    "An engineering screen against the rules as encoded, not legal advice: "
    "rules marked 'reported' are press accounts of unpublished lines, not law."
)


def screen_note(scenarios=()) -> str:
    """The standing caveat, naming any scenario applied."""
    if not scenarios:
        return SCREEN_NOTE
    named = "; ".join(f"{sc.id} ({sc.status.value})" for sc in scenarios)
    return f"{SCREEN_NOTE} Scenarios applied, what-ifs and not law: {named}."


@dataclass(frozen=True)
class Classification:
    """One chip judged for one destination and date."""

    sku: Sku | None  # None: a chip known only by its figures (explore screen --from)
    target: Target
    as_of: dt.date
    metrics: Metrics
    verdict: Verdict  # at the figures' nominal values
    rules: list[RuleSet]
    value: Fraction | None  # the default value model, relative to its reference SKU, after fees
    facts: Facts | None = None
    worst: Verdict | None = None  # the most restrictive verdict over estimated figures' ranges
    uncertain: list[Uncertain] = field(default_factory=list)
    scenarios: tuple = ()
    reference_only: str = ""  # a value reference (a non-US design): why it is not screened as an export
    label: str = ""  # the name of a chip known only by its figures
    assumptions: tuple[str, ...] = ()  # what the screen assumed of figures the input did not give
    efficiency: EfficiencyNote | None = None  # whose fitted efficiencies `value` rests on

    @property
    def chip(self) -> str:
        return self.sku.id if self.sku else self.label

    @property
    def chip_name(self) -> str:
        return self.sku.name if self.sku else self.label
