"""A product line as data: the markets one die is cut for, each with its rules, volume and price.

A vendor tapes a die out once and sells a SKU of it in each market (GH100 as H100
in the US and H20 in China). What is fixed at tape-out is the die: which of the
candidate dies (a die file, or a package carrying fewer of its compute dies) is
built. Everything the design space lets a SKU change afterwards (units fused off,
clock, rate limits, memory populated, links enabled, market class) is chosen per
market (specs/portfolios/*.toml; search/portfolio.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from explorer.model.outcomes import Outcome
from explorer.model.quantity import Quantity, Source, in_unit


@dataclass(frozen=True)
class Market:
    """One market of a product line: where, when, under which outcome, how many, at what price.

    A design's price follows its value (before fees) along a line through `anchor_sku` at
    `price_usd`, as the main search's price curve does; without an anchor every design sells
    at `price_usd`. Its yearly gross margin is volume x (price less fees, less unit cost).
    """

    name: str
    target: str  # a country name or code
    volume: Quantity = field(metadata=in_unit("count"))  # units a year the line expects to sell here
    price_usd: Quantity = field(metadata=in_unit("USD"))
    anchor_sku: str | None = None  # a catalog SKU whose price price_usd is (None: a fixed price)
    datacenter: bool = True  # the market class a SKU is sold in
    as_of: dt.date | None = None  # the rules in force then (default: the command's --as-of)
    allow: Outcome = Outcome.NOT_CONTROLLED  # the most restrictive outcome accepted
    optional: bool = False  # the line may leave this market out (where no SKU earns anything)
    scenarios: list[str] = field(default_factory=list)  # what-if rules this market is judged under
    end_user_hq: str | None = None  # where the market's buyers are headquartered (744.23(a)(3))
    end_user: str | None = None  # a named buyer (destinations.toml [end_users]), with its headquarters
    assume_us_launch: dt.date | None = None  # what-if: the market's SKU is on sale in the US from then
    note: str = ""


@dataclass(frozen=True)
class ProductLine:
    """A portfolio file: the candidate dies to tape out and the markets to cut them for."""

    id: str
    title: str
    markets: list[Market]
    bases: list[str] = field(default_factory=list)  # candidate dies (default: the command's --base)
    note: str = ""
    sources: dict[str, Source] = field(default_factory=dict)


def yearly_margin(
    volume: Fraction, price_usd: Fraction, fee_percent: Fraction, cost_usd: Fraction
) -> Fraction:
    """What a market's SKU earns a year: volume x (price less fees, less unit cost)."""
    return volume * (price_usd * (1 - fee_percent / 100) - cost_usd)
