"""One point of a design space as the integer model sees it: the solver's and the enumerator's answer."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

NAMES = ("units", "clock_mhz", "rate_idx", "memory_idx", "link_idx", "datacenter")


@dataclass(frozen=True)
class Knobs:
    """Units and clock as values; rate limit, memory and links as indices into the space's lists."""

    units: int
    clock_mhz: int
    rate_idx: int
    memory_idx: int
    link_idx: int
    datacenter: bool

    def as_dict(self) -> dict[str, int | bool]:
        """For JSON (verify's counterexamples), in NAMES order."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> Knobs:
        """From a verify report's `knobs`; a missing or unknown name is a TypeError."""
        return cls(**raw)
