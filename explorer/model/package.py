"""Compute dies per package as a knob: a die file's package, fitted with fewer of its compute dies.

Each smaller count is a base die of its own (a variant), built here from the full
package, so the checker, the integer encoding and the enumerator all see an
ordinary die and agree on it by construction. What scales with the count:
- units and the units a part may enable (the harvest per die is kept);
- the compute dies' logic area, so TPP and performance density follow;
- HBM sites and links where the file says which go with each compute die;
- the power range and the CoWoS interposer, by the package's share of logic area
  (a model assumption: I/O dies and memory stay, the rest scales with silicon).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from explorer.model.chips import Die, LogicDie, PowerRange
from explorer.model.quantity import Quantity


def variant_id(die_id: str, count: int) -> str:
    return f"{die_id}-{count}die"


def logic_area_share(full: Die, variant: Die) -> Fraction:
    """The variant's logic silicon over the full package's: what power and the interposer scale by."""

    def area(d: Die) -> Fraction:
        return sum((x.area_mm2.value * x.count for x in d.logic_dies), start=Fraction(0))

    return area(variant) / area(full)


def _scaled(q: Quantity, factor: Fraction, note: str) -> Quantity:
    return replace(
        q,
        value=q.value * factor,
        low=None if q.low is None else q.low * factor,
        high=None if q.high is None else q.high * factor,
        note=note,
    )


def variant(die: Die, count: int) -> Die:
    """The package `die` carrying `count` of its compute dies."""
    pkg = die.package
    assert pkg is not None
    compute = next(d for d in die.logic_dies if d.name == pkg.compute_die)
    share = Fraction(count, compute.count)
    logic: list[LogicDie] = [replace(d, count=count) if d is compute else d for d in die.logic_dies]
    elsewhere = die.units_full.value - compute.units * compute.count  # units on the other logic dies
    units_full = elsewhere + compute.units * count
    # the harvest per compute die is kept: 76 of 80 SMs on each GB100 die
    on_compute_dies = die.units_max_enabled.value - elsewhere
    enabled = min(units_full, elsewhere + int(on_compute_dies * share))
    why = f"{count} of {compute.count} {compute.name} dies"
    out = replace(
        die,
        id=variant_id(die.id, count),
        name=f"{die.name}: {why}",
        aliases=[],
        units_full=replace(die.units_full, value=Fraction(units_full), note=why),
        units_max_enabled=replace(die.units_max_enabled, value=Fraction(enabled), note=why),
        logic_dies=logic,
        package=None,
        variant_of=die.id,
        compute_dies=count,
        notes=f"A package of {why} (specs/dies/{die.id}.toml [package]). {pkg.note}".strip(),
    )
    if die.hbm is not None and pkg.hbm_sites_per_die is not None:
        sites = pkg.hbm_sites_per_die.value * count
        out = replace(
            out,
            hbm=replace(die.hbm, sites=_scaled(die.hbm.sites, sites / die.hbm.sites.value, why)),
        )
    if die.links is not None and pkg.links_per_die is not None:
        links = pkg.links_per_die.value * count
        count_max = _scaled(die.links.count_max, links / die.links.count_max.value, why)
        out = replace(out, links=replace(die.links, count_max=count_max))
    power_share = logic_area_share(die, out)
    note = f"{why}: the full package's range x its share of logic area ({float(power_share):.3f})"
    power = PowerRange(
        _scaled(die.power.limit_w_min, power_share, note), _scaled(die.power.limit_w_max, power_share, note)
    )
    return replace(out, power=power, package_share=power_share)


def variants(die: Die) -> list[Die]:
    """Every smaller package the die file allows, fewest dies first."""
    if die.package is None:
        return []
    return [variant(die, n) for n in sorted(die.package.counts)]
