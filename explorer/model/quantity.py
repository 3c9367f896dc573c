"""A number with its unit and provenance, so every figure can say where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class Status(StrEnum):
    """How sure a figure or a rule is; reports print it next to the value."""

    OFFICIAL = "official"  # rule text or vendor datasheet
    COMPANY_NOTICE = "company-notice"  # an SEC filing quoting a government notice
    REPORTED = "reported"  # press or third-party report
    RUMOURED = "rumoured"  # unconfirmed leak
    ESTIMATED = "estimated"  # an analyst's or our own estimate
    DERIVED = "derived"  # arithmetic on cited figures
    # what-if rules (constraints/scenarios/): never law
    PROPOSED_BILL = "proposed-bill"  # a bill before Congress
    REPORTED_PLAN = "reported-plan"  # a policy the press reports is planned
    HYPOTHETICAL = "hypothetical"  # an engineer's what-if


@dataclass(frozen=True)
class Source:
    """A document that figures cite by its key in the file's `sources` table."""

    title: str
    status: Status
    url: str | None = None


@dataclass(frozen=True)
class Quantity:
    """An exact value in a canonical unit, with the source key and how sure it is.

    `status` left empty inherits the status of the cited source; `low` and `high`
    bound it where the figure is uncertain (same unit as `value`).
    """

    value: Fraction
    unit: str
    source: str
    status: Status | None = None
    note: str | None = None
    low: Fraction | None = None  # the plausible range, where a source gives one
    high: Fraction | None = None


def in_unit(canonical: str) -> dict[str, str]:
    """Field metadata: the Quantity (or dict of them) is read in `canonical` units (see units.py).

    `field(metadata=in_unit("GB/s"))`: the loader converts what a file says into this
    unit and refuses what does not convert.
    """
    return {"unit": canonical}
