"""The value model's yardstick: the unmodified base die, and shipped SKUs measured against it."""

from __future__ import annotations

from fractions import Fraction

from explorer import value as v
from explorer.catalog import Catalog
from explorer.checker import Verdict
from explorer.chips import Die, Sku
from explorer.space import DesignSpace, SpaceConfig, build_space, to_sku


def reference(space: DesignSpace, catalog: Catalog, obj: v.Objective) -> v.Resources:
    """Resources of the flagship design: every knob of the die at its most capable value."""
    return v.resources(catalog.metrics(to_sku(space.flagship(), space.die)), obj)


def sku_value(sku: Sku, verdict: Verdict, catalog: Catalog, cfg: SpaceConfig, obj: v.Objective) -> Fraction:
    """A shipped SKU on the search's scale: its die's flagship in the SKU's market is 1, fees taken off."""
    die: Die = catalog.dies[sku.die]
    ref = reference(build_space(die, catalog, cfg, [sku.datacenter]), catalog, obj)
    gross = v.value(v.resources(catalog.metrics(sku), obj), ref, obj)
    fees = sum((c.percent for c in verdict.charges), start=Fraction(0))
    return gross * (1 - fees / 100)
