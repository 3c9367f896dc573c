"""Rule sets as data: dated, sourced controls made of metric/operator/value clauses.

Clauses are parsed structures, never expression strings. A rule set may also
carry reliefs (a later policy that lowers the outcome of another rule's
controls, such as case-by-case review for H200-class chips), charges (revenue
shares and tariffs on a licensed path) and withdrawals (a policy that denies
another rule's relief to some products, such as Blackwell).

Besides metric clauses, a control, relief, charge or withdrawal may name facts
about the product and the buyer (`Condition`): its vendor, architecture family,
product id, whether it was commercially available in the US by a date, where
the end user is headquartered and which named end user it is (a rule that exempts
named buyers, such as the UAE's of July 2026). Facts are constant for a design space, so the
search folds them before encoding.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from explorer.model.outcomes import Outcome
from explorer.model.quantity import Source, Status


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
    """What a rule judges: integrated circuits, HBM stacks sold on their own, or a foundry's or
    packager's shipment of a die it made (never a vendor's finished chip: kept as a record)."""

    IC = "ic"
    HBM = "hbm"
    FOUNDRY = "foundry"


@dataclass(frozen=True)
class Clause:
    metric: str
    op: Op
    value: Fraction | bool
    unit: str


class Fact(StrEnum):
    """A fact about the product or the buyer that a rule may name (explorer.model.facts.Facts)."""

    VENDOR = "vendor"
    FAMILY = "family"  # architecture family: hopper, blackwell, cdna3, ...
    PRODUCT = "product"  # a catalog SKU id; a new design is no named product
    US_AVAILABLE = "us_available"  # commercially available in the US on or before a date
    END_USER_HQ = "end_user_hq"  # destination scopes of the end user's (or ultimate parent's) headquarters
    END_USER = "end_user"  # a named end user (destinations.toml [end_users]), such as G42


@dataclass(frozen=True)
class Condition:
    """A non-metric clause: `fact` is one of `any_of`, none of `none_of`, or dated `on_or_before`."""

    fact: Fact
    any_of: list[str] = field(default_factory=list)
    none_of: list[str] = field(default_factory=list)
    on_or_before: dt.date | None = None
    note: str = ""

    def describe(self) -> str:
        if self.fact is Fact.US_AVAILABLE:
            return f"commercially available in the US on or before {self.on_or_before}"
        if self.any_of:
            return f"{self.fact.value} in {', '.join(self.any_of)}"
        return f"{self.fact.value} not in {', '.join(self.none_of)}"


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
    facts: list[Condition] = field(default_factory=list)  # all must hold, besides the clauses
    note: str = ""


@dataclass(frozen=True)
class Fee:
    """A percentage taken off a sale on a licensed path.

    Fees in one `overlaps` group are two mechanisms for the same money (the
    announced 25% share and the Section 232 duty that collects it): they combine
    as the larger, never the sum.
    """

    kind: str  # "revenue-share" or "tariff"
    percent: Fraction
    status: Status
    note: str = ""
    base: str = "the sale price"  # what the percentage is taken on
    overlaps: str | None = None


@dataclass(frozen=True)
class Relief:
    """Lowers the outcome of controls fired by the named rule sets, when its condition holds."""

    paragraph: str
    title: str
    relieves: list[str]
    clauses: list[Clause]
    outcome: dict[str, Outcome]
    combine: Combine = Combine.ALL
    facts: list[Condition] = field(default_factory=list)
    fee: Fee | None = None
    volume_cap_percent_of_us: Fraction | None = None  # shipments capped relative to US shipments
    conditions: list[str] = field(default_factory=list)  # what the exporter must do on this path
    note: str = ""


@dataclass(frozen=True)
class Charge:
    """A fee or tariff on chips that take a licensed path, when its condition holds."""

    paragraph: str
    title: str
    clauses: list[Clause]
    fee: Fee
    combine: Combine = Combine.ALL
    facts: list[Condition] = field(default_factory=list)
    after_relief: str | None = None  # only on the path a relief of this rule set opened
    note: str = ""


@dataclass(frozen=True)
class Withdrawal:
    """Denies the reliefs of the named rule sets to products with these facts (e.g. Blackwell)."""

    paragraph: str
    title: str
    reliefs_of: list[str]
    facts: list[Condition]
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
    """Where a rule set applies: `include` less `exclude`.

    `unless_also` keeps an excluded destination that is also in one of these scopes
    (744.23(a)(3): "other than those specified in Country Groups D:1, D:4, or D:5
    (excluding any destination also specified in Country Groups A:5 or A:6)").
    """

    include: list[str]
    exclude: list[str] = field(default_factory=list)
    added: list[AddedDestination] = field(default_factory=list)
    unless_also: list[str] = field(default_factory=list)


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
    compliance_from: dt.date | None = None  # first day exporters had to comply, if later
    applies_to: Item = Item.IC
    controls: list[Control] = field(default_factory=list)
    reliefs: list[Relief] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    notes: str = ""
    scenario: str | None = None  # set when a scenario added or changed this rule set

    @property
    def binds_from(self) -> dt.date:
        """The first day the rule bound exporters: its compliance date where that is later."""
        return max(self.effective_from, self.compliance_from or self.effective_from)

    def in_force(self, on: dt.date) -> bool:
        return self.binds_from <= on and (self.effective_until is None or on < self.effective_until)

    def ever_binds(self) -> bool:
        return self.effective_until is None or self.binds_from < self.effective_until
