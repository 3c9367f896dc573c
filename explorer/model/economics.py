"""What a design earns: price along a market curve, fees off the top, unit cost, margin.

price(design) = anchor price x value(design) / value(anchor), both before fees,
where the anchor is a shipped SKU of the same die and market
(specs/economics/prices.toml); or one price for every design (`--price`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from explorer.model.quantity import Quantity, Source, in_unit


class Goal(StrEnum):
    """What the search maximises: the value model's performance, or money on a price curve."""

    PERF = "perf"
    PERF_PER_DOLLAR = "perf-per-dollar"
    GROSS_MARGIN = "gross-margin"
    NET_REVENUE = "net-revenue"


GOALS = tuple(g.value for g in Goal)


@dataclass(frozen=True)
class Anchor:
    die: str
    datacenter: bool
    sku: str
    price_usd: Quantity = field(metadata=in_unit("USD"))
    # the SKU is of another die (the package a one-die cut comes from, the die a what-if copies):
    # the die's designs are priced at that SKU's dollars per unit of value, an estimate
    borrowed: bool = False


@dataclass(frozen=True)
class PriceData:
    anchors: list[Anchor]
    sources: dict[str, Source] = field(default_factory=dict)

    def anchor(self, die: str, datacenter: bool) -> Anchor | None:
        return next((a for a in self.anchors if a.die == die and a.datacenter == datacenter), None)


@dataclass(frozen=True)
class PriceCurve:
    """Dollars per unit of value before fees (a linear curve through the anchor), or a fixed price."""

    usd_per_value: Fraction | None = None
    fixed_usd: Fraction | None = None
    anchor_sku: str | None = None

    def price(self, value_before_fees: Fraction) -> Fraction:
        if self.fixed_usd is not None:
            return self.fixed_usd
        if self.usd_per_value is None:
            raise ValueError("a price curve needs usd_per_value or fixed_usd")
        return self.usd_per_value * value_before_fees


@dataclass(frozen=True)
class Economics:
    """One design (or SKU) on one compliance path."""

    value: Fraction  # after fees
    value_before_fees: Fraction
    fee_percent: Fraction
    unit_cost_usd: Fraction
    price_usd: Fraction | None  # None when no price is known for this die and market

    @property
    def net_revenue_usd(self) -> Fraction | None:
        return None if self.price_usd is None else self.price_usd * (1 - self.fee_percent / 100)

    @property
    def gross_margin_usd(self) -> Fraction | None:
        rev = self.net_revenue_usd
        return None if rev is None else rev - self.unit_cost_usd

    @property
    def value_per_kusd(self) -> Fraction:
        """Value after fees per thousand dollars of unit cost."""
        return self.value / self.unit_cost_usd * 1000 if self.unit_cost_usd else Fraction(0)
