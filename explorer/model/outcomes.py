"""Licensing outcomes, ordered from least to most restrictive."""

from __future__ import annotations

from enum import Enum


class Outcome(Enum):
    NOT_CONTROLLED = "not-controlled"
    LICENSE_EXCEPTION = (
        "license-exception"  # controlled, but exportable under an exception without notice (ACA)
    )
    NOTIFICATION = "notification"  # a licence exception after notice, such as NAC
    LICENSE_PRESUMED_APPROVAL = "license-presumed-approval"
    LICENSE_CASE_BY_CASE = "license-case-by-case"
    LICENSE_PRESUMED_DENIAL = "license-presumed-denial"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def __lt__(self, other: Outcome) -> bool:
        return self.rank < other.rank

    def __le__(self, other: Outcome) -> bool:
        return self.rank <= other.rank


_ORDER = list(Outcome)
LICENSED = frozenset(
    {
        Outcome.LICENSE_PRESUMED_APPROVAL,
        Outcome.LICENSE_CASE_BY_CASE,
        Outcome.LICENSE_PRESUMED_DENIAL,
    }
)
LICENSED_MIN = min(o.rank for o in LICENSED)  # the least restrictive outcome that needs a licence
