"""Rule sets as data: dated, sourced controls made of metric/operator/value clauses.

Clauses are parsed structures, never expression strings. A rule set may also
carry reliefs (a later policy that lowers the outcome of another rule's
controls, such as case-by-case review for H200-class chips) and charges
(revenue shares and tariffs on a licensed path).
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from explorer.outcomes import Outcome
from explorer.quantity import Source, Status


class Op(StrEnum):
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    EQ = "=="

    def holds(self, value: Fraction | bool, threshold: Fraction | bool) -> bool:
        return _OPS[self](value, threshold)


_OPS = {
    Op.GE: operator.ge,
    Op.GT: operator.gt,
    Op.LE: operator.le,
    Op.LT: operator.lt,
    Op.EQ: operator.eq,
}


class Combine(StrEnum):
    ALL = "all"
    ANY = "any"


class Item(StrEnum):
    """What a rule judges: integrated circuits, or HBM stacks sold on their own."""

    IC = "ic"
    HBM = "hbm"


@dataclass(frozen=True)
class Clause:
    metric: str
    op: Op
    value: Fraction | bool
    unit: str


@dataclass(frozen=True)
class Control:
    """A paragraph that, when its condition holds, triggers an outcome per destination.

    `outcome` maps a destination scope (a country code, a country group such as
    "D:5", or "*") to the outcome; a target takes the most restrictive scope it
    belongs to.
    """

    paragraph: str
    title: str
    clauses: list[Clause]
    outcome: dict[str, Outcome]
    combine: Combine = Combine.ALL
    note: str = ""


@dataclass(frozen=True)
class Fee:
    kind: str  # "revenue-share" or "tariff"
    percent: Fraction
    status: Status
    note: str = ""


@dataclass(frozen=True)
class Relief:
    """Lowers the outcome of controls fired by the named rule sets, when its condition holds."""

    paragraph: str
    title: str
    relieves: list[str]
    clauses: list[Clause]
    outcome: dict[str, Outcome]
    combine: Combine = Combine.ALL
    fee: Fee | None = None
    volume_cap_percent_of_us: Fraction | None = None  # shipments capped relative to US shipments
    note: str = ""


@dataclass(frozen=True)
class Charge:
    """A fee or tariff on chips that take a licensed path, when its condition holds."""

    paragraph: str
    title: str
    clauses: list[Clause]
    fee: Fee
    combine: Combine = Combine.ALL
    note: str = ""


@dataclass(frozen=True)
class Citation:
    federal_register: str | None = None  # "88 FR 73458"
    document_number: str | None = None  # FR Doc number
    other: str | None = None  # an SEC filing, a proclamation


@dataclass(frozen=True)
class AddedDestination:
    scope: str
    start: dt.date
    citation: str


@dataclass(frozen=True)
class Destinations:
    include: list[str]
    exclude: list[str] = field(default_factory=list)
    added: list[AddedDestination] = field(default_factory=list)


@dataclass(frozen=True)
class RuleSet:
    id: str
    title: str
    status: Status
    citation: Citation
    source_url: str
    effective_from: dt.date
    destinations: Destinations
    sources: dict[str, Source] = field(default_factory=dict)
    effective_until: dt.date | None = None  # first day no longer in force
    applies_to: Item = Item.IC
    controls: list[Control] = field(default_factory=list)
    reliefs: list[Relief] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    notes: str = ""

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_until is None or on < self.effective_until)
