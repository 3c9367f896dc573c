"""Unit cost of a design: logic dies with yield and harvesting, memory, packaging, board.

Die cost uses the classic gross-dies-per-wafer formula and a Poisson defect
model. Harvesting: defects in a repeatable unit (an SM, a CU) only disable that
unit, so a part that needs fewer enabled units is more often usable and costs
less. Figures and their ranges: specs/economics/costs.toml.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from explorer.model.chips import Die, MemoryKind
from explorer.model.quantity import Quantity, Source, in_unit
from explorer.model.space import Design, MemoryOption


@dataclass(frozen=True)
class ProcessCost:
    wafer_usd: Quantity = field(metadata=in_unit("USD"))
    defects_per_cm2: Quantity = field(metadata=in_unit("per cm2"))


@dataclass(frozen=True)
class Packaging:
    cowos_usd: Quantity = field(metadata=in_unit("USD"))
    ordinary_usd: Quantity = field(metadata=in_unit("USD"))
    test_assembly_usd: Quantity = field(metadata=in_unit("USD"))


@dataclass(frozen=True)
class Board:
    base_usd: Quantity = field(metadata=in_unit("USD"))
    per_watt_usd: Quantity = field(metadata=in_unit("USD"))


@dataclass(frozen=True)
class CostData:
    wafer_diameter_mm: int
    unit_area_fraction: Fraction
    processes: dict[str, ProcessCost]
    packaging: Packaging
    board: Board
    sources: dict[str, Source] = field(default_factory=dict)


def dies_per_wafer(area_mm2: float, diameter_mm: float = 300) -> float:
    """Gross dies per wafer: pi r^2 / A - pi d / sqrt(2A)."""
    r = diameter_mm / 2
    return math.pi * r * r / area_mm2 - math.pi * diameter_mm / math.sqrt(2 * area_mm2)


def poisson_yield(area_mm2: float, defects_per_cm2: float) -> float:
    """Share of dies with no defect at all: exp(-A D0)."""
    return math.exp(-area_mm2 / 100 * defects_per_cm2)


def usable_share(
    area_mm2: float, defects_per_cm2: float, units_on_die: int, units_needed: int, unit_fraction: float
) -> float:
    """Share of dies that can ship with `units_needed` of `units_on_die` units working.

    Defects outside the units kill the die; each defect inside kills one unit
    (Poisson counts), so up to units_on_die - units_needed of them are harmless.
    """
    lam = area_mm2 / 100 * defects_per_cm2
    if units_on_die == 0:
        return math.exp(-lam)
    inside = lam * unit_fraction
    term = tolerated = math.exp(-inside)  # Poisson probabilities of 0, 1, ... defective units
    for j in range(1, units_on_die - units_needed + 1):
        term *= inside / j
        tolerated += term
    return math.exp(-lam * (1 - unit_fraction)) * tolerated


def logic_cost_usd(die: Die, units_enabled: int, costs: CostData) -> float:
    """Wafer cost of every logic die in the package, per good part."""
    holders = sum(d.count for d in die.logic_dies if d.units)
    per_die_needed = math.ceil(units_enabled / holders) if holders else 0
    total = 0.0
    for d in die.logic_dies:
        proc = costs.processes[d.process]
        area = float(d.area_mm2.value)
        share = usable_share(
            area,
            float(proc.defects_per_cm2.value),
            d.units,
            per_die_needed if d.units else 0,
            float(costs.unit_area_fraction),
        )
        total += (
            d.count * float(proc.wafer_usd.value) / (dies_per_wafer(area, costs.wafer_diameter_mm) * share)
        )
    return total


def fixed_cost_usd(die: Die, costs: CostData) -> float:
    """Test, assembly, board and power delivery: the same for every design of a die."""
    board = costs.board.base_usd.value + costs.board.per_watt_usd.value * die.power.limit_w_max.value
    return float(costs.packaging.test_assembly_usd.value + board)


def memory_cost_usd(option: MemoryOption, costs: CostData, die: Die) -> float:
    """The memory and the package it needs: CoWoS-class for HBM, ordinary for GDDR.

    A package carrying fewer compute dies needs a smaller interposer: its cost
    scales by the package's share of logic area (model/package.py).
    """
    if option.kind is MemoryKind.HBM:
        package = costs.packaging.cowos_usd.value * (die.package_share or 1)
    else:
        package = costs.packaging.ordinary_usd.value
    return float(option.cost_usd + package)


def unit_cost_usd(design: Design, die: Die, costs: CostData) -> float:
    return (
        logic_cost_usd(die, design.units, costs)
        + memory_cost_usd(design.memory, costs, die)
        + fixed_cost_usd(die, costs)
    )
