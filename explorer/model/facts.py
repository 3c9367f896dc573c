"""Facts about a product and its buyer that rules name besides metrics.

A rule can turn on who made a chip, its architecture family, whether it is a
named product, whether it was sold in the US by a date, and where the buyer is
headquartered, and which named end user buys it. A design found by the search is a
new product: on no named list and never sold in the US, unless the user assumes a
US launch. An unnamed buyer is none of the named end users, so an exception for
named buyers does not reach it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from explorer.model.rules import Condition, Fact


@dataclass(frozen=True)
class Facts:
    vendor: str
    family: str
    product: str | None = None  # catalog SKU id; None for a new design
    us_available_from: dt.date | None = None  # None: never commercially available in the US
    end_user_hq: frozenset[str] | None = None  # scopes of the buyer's headquarters; None: not stated
    end_user: str | None = None  # a named end user's id (DestinationData.end_users); None: not named

    def actual(self, fact: Fact) -> str:
        """The fact's value as reports print it."""
        if fact is Fact.VENDOR:
            return self.vendor
        if fact is Fact.FAMILY:
            return self.family
        if fact is Fact.PRODUCT:
            return self.product or "(a new design, no named product)"
        if fact is Fact.US_AVAILABLE:
            return str(self.us_available_from) if self.us_available_from else "never sold in the US"
        if fact is Fact.END_USER:
            return self.end_user or "(no named end user)"
        return ", ".join(sorted(self.end_user_hq)) if self.end_user_hq is not None else "(not stated)"

    def holds(self, c: Condition) -> bool:
        """Whether the condition holds; an unstated buyer headquarters satisfies no condition on it,
        an unnamed end user is in no list (so it meets every none_of)."""
        if c.fact is Fact.US_AVAILABLE:
            if self.us_available_from is None:
                return False
            if c.on_or_before is None:
                raise ValueError(f"a {c.fact.value} condition needs on_or_before (the loader requires it)")
            return self.us_available_from <= c.on_or_before
        if c.fact is Fact.END_USER_HQ:
            if self.end_user_hq is None:
                return False
            values = _lower(self.end_user_hq)
        else:
            by_fact = {
                Fact.VENDOR: self.vendor,
                Fact.FAMILY: self.family,
                Fact.PRODUCT: self.product,
                Fact.END_USER: self.end_user,
            }
            value = by_fact[c.fact]
            values = _lower([value] if value else [])
        if c.any_of:
            return bool(values & _lower(c.any_of))
        return not values & _lower(c.none_of)


def _lower(values: Iterable[str]) -> frozenset[str]:
    """Facts match case-insensitively ('NVIDIA' = 'nvidia')."""
    return frozenset(v.lower() for v in values)


def all_hold(facts: Facts, conditions: list[Condition]) -> bool:
    return all(facts.holds(c) for c in conditions)


def of_design(
    vendor: str,
    family: str,
    assume_us_launch: dt.date | None = None,
    hq: frozenset[str] | None = None,
    end_user: str | None = None,
) -> Facts:
    """A new design: no named product, in the US only if the user assumes a launch there."""
    return Facts(vendor, family, None, assume_us_launch, hq, end_user)
