"""The design space of a die, declared as data: each knob and the values it may take.

A Design is one point: the values a product engineer would choose. It converts
to a Sku, so a found design is measured and judged exactly like a shipped one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from explorer.model.chips import (
    BIT_LENGTH,
    Die,
    GddrInterface,
    HbmInterface,
    LinkConfig,
    MemoryConfig,
    MemoryKind,
    MemoryTechnology,
    Path,
    Sku,
)
from explorer.model.metrics import dense_tflops, modelled_power_w, tpp
from explorer.model.quantity import Quantity, Source, Status, in_unit

if TYPE_CHECKING:
    from explorer.model.catalog import Catalog


@dataclass(frozen=True)
class MemoryChoices:
    """Speed grades, device sizes and costs the search may fit for one memory technology."""

    pin_rates_gbps: list[Fraction]
    capacities_gb: list[Fraction]
    cost_usd_per_gb: Quantity = field(metadata=in_unit("USD"))
    cost_usd_per_device: Quantity = field(metadata=in_unit("USD"))


@dataclass(frozen=True)
class SpaceConfig:
    """How finely each knob is stepped (specs/spaces/default.toml)."""

    units_min_fraction: Fraction
    clock_step_mhz: int
    rate_limits: list[Fraction]
    link_rate_fractions: list[Fraction]
    gddr_bus_step_bits: int
    memory: dict[str, MemoryChoices]
    sources: dict[str, Source] = field(default_factory=dict)
    narrow_rate_limits: list[Fraction] = field(default_factory=lambda: [Fraction(1)])


@dataclass(frozen=True)
class MemoryOption:
    """One concrete memory fit: technology, width, speed grade and device size."""

    technology: str
    kind: MemoryKind
    pin_rate_gbps: Fraction
    device_capacity_gb: Fraction
    stacks: int | None = None
    bus_width_bits: int | None = None
    clamshell: bool = False
    bandwidth_gbps: Fraction = Fraction(0)
    capacity_gb: Fraction = Fraction(0)
    cost_usd: Fraction = Fraction(0)

    def describe(self) -> str:
        stacks = "1 stack" if self.stacks == 1 else f"{self.stacks} stacks"
        width = stacks if self.kind is MemoryKind.HBM else f"{self.bus_width_bits}-bit"
        shell = " clamshell" if self.clamshell else ""
        return (
            f"{self.technology.upper()} {width} @ {float(self.pin_rate_gbps):g} Gbps"
            f" x {float(self.device_capacity_gb):g} GB{shell}"
        )


@dataclass(frozen=True)
class LinkOption:
    count: int
    gbps_per_link: Fraction  # bidirectional

    @property
    def bidirectional_gbps(self) -> Fraction:
        return self.count * self.gbps_per_link


NARROW = tuple(p for p, bits in BIT_LENGTH.items() if bits < 8)  # FP6, FP4, INT4


@dataclass(frozen=True, order=True)
class RateLimit:
    """Firmware limits on the tensor rate: every precision, and further the ones under 8 bits."""

    tensor: Fraction = Fraction(1)
    narrow: Fraction = Fraction(1)  # FP6, FP4, INT4, on top of `tensor`

    def as_sku_limits(self, die: Die) -> dict[str, Fraction]:
        """As a SKU's rate_limits (by path and by precision), only where they limit something."""
        out = {} if self.tensor == 1 else {Path.TENSOR.value: self.tensor}
        if self.narrow != 1:
            out |= {t.precision.value: self.narrow for t in die.throughput if t.precision in NARROW}
        return out

    def describe(self) -> str:
        parts = [f"tensor rate {self.tensor}"] if self.tensor != 1 else []
        return ", ".join(parts + ([f"under-8-bit rate {self.narrow}"] if self.narrow != 1 else []))


@dataclass(frozen=True)
class Design:
    """One point of a die's design space."""

    die: str
    units: int
    clock_mhz: int
    rate_limit: RateLimit
    memory: MemoryOption
    links: LinkOption
    datacenter: bool

    def short(self) -> str:
        """A compact form for tables: units@clock, rate, memory, links."""
        r = self.rate_limit
        rate = ("" if r.tensor == 1 else f" r{r.tensor}") + ("" if r.narrow == 1 else f" n{r.narrow}")
        mem = self.memory
        width = f"{mem.stacks}x" if mem.stacks else f"{mem.bus_width_bits}b "
        links = f" {self.links.count}L" if self.links.count else ""
        return (
            f"{self.units}u@{self.clock_mhz}{rate} {mem.technology.upper()} {width}"
            f"{float(mem.pin_rate_gbps):g}G{links}"
        )

    def describe(self) -> str:
        rate = f", {self.rate_limit.describe()}" if self.rate_limit.describe() else ""
        link = (
            f", {self.links.count} links x {float(self.links.gbps_per_link):g} GB/s"
            if self.links.count
            else ""
        )
        market = "datacenter" if self.datacenter else "consumer"
        return f"{self.units} units @ {self.clock_mhz} MHz{rate}, {self.memory.describe()}{link}, {market}"


@dataclass(frozen=True)
class DesignSpace:
    """Every knob of one die with its allowed values; the product of their sizes is the space."""

    die: Die
    units: list[int]
    clocks_mhz: list[int]
    rate_limits: list[RateLimit]
    memory: list[MemoryOption]
    links: list[LinkOption]
    datacenter: list[bool]

    def size(self) -> int:
        return math.prod(
            len(k)
            for k in (
                self.units,
                self.clocks_mhz,
                self.rate_limits,
                self.memory,
                self.links,
                self.datacenter,
            )
        )

    def flagship(self) -> Design:
        """The unmodified base die: every knob at its most capable value."""
        return Design(
            self.die.id,
            max(self.units),
            max(self.clocks_mhz),
            max(self.rate_limits),
            max(self.memory, key=lambda m: (m.bandwidth_gbps, m.capacity_gb, -m.cost_usd)),
            max(self.links, key=lambda k: k.bidirectional_gbps),
            self.datacenter[-1],
        )


def shipped_grades(skus: Iterable[Sku]) -> dict[str, set[Fraction]]:
    """Pin rates shipped parts run, by memory technology: proof that the grade can be built."""
    out: dict[str, set[Fraction]] = {}
    for sku in skus:
        out.setdefault(sku.memory.technology, set()).add(sku.memory.pin_rate_gbps.value)
    return out


def memory_options(
    die: Die,
    techs: dict[str, MemoryTechnology],
    cfg: SpaceConfig,
    grades: dict[str, set[Fraction]] | None = None,
) -> list[MemoryOption]:
    """Every memory fit the die can drive, at the configured grades (and `grades` shipped parts run)."""
    out = []
    for iface in (die.hbm, die.gddr):
        if iface is None:
            continue
        for tech_id in iface.technologies:
            tech, choices = techs[tech_id], cfg.memory.get(tech_id)
            if choices is None:
                continue
            # (stacks, bus width, clamshell, interface bits, devices) of each width the die allows
            widths: list[tuple[int | None, int | None, bool, Fraction, Fraction]]
            if tech.kind is MemoryKind.HBM:
                if not isinstance(iface, HbmInterface):
                    raise ValueError(f"{die.id}: HBM technology {tech_id} is listed under gddr")
                widths = [
                    (n, None, False, n * tech.interface_bits.value, Fraction(n))
                    for n in range(1, int(iface.sites.value) + 1)
                ]
            else:
                if not isinstance(iface, GddrInterface):
                    raise ValueError(f"{die.id}: GDDR technology {tech_id} is listed under hbm")
                step = cfg.gddr_bus_step_bits
                widths = [
                    (None, w, shell, Fraction(w), w / tech.interface_bits.value * (2 if shell else 1))
                    for w in range(step, int(iface.bus_width_bits_max.value) + 1, step)
                    for shell in (False, True)
                ]
            pins = sorted(
                p
                for p in set(choices.pin_rates_gbps) | (grades or {}).get(tech_id, set())
                if p <= tech.pin_rate_gbps_max.value
            )
            for stacks, bus, shell, bits, devices in widths:
                for cap in choices.capacities_gb:
                    capacity = devices * cap
                    cost = (
                        capacity * choices.cost_usd_per_gb.value + devices * choices.cost_usd_per_device.value
                    )
                    out += [
                        MemoryOption(
                            tech.id, tech.kind, pin, cap, stacks, bus, shell, bits * pin / 8, capacity, cost
                        )
                        for pin in pins
                    ]
    return out


def rate_options(die: Die, cfg: SpaceConfig) -> list[RateLimit]:
    """Every tensor limit, and with each every narrow limit that lowers TPP.

    A narrow limit that leaves TPP where it was (B200: FP4 x 4 bits ties FP8 x 8)
    changes nothing a rule reads and only lowers throughput, so it is left out.
    """

    def tpp_per_unit_clock(r: RateLimit) -> Fraction:
        return tpp(dense_tflops(die, Fraction(1), Fraction(1), r.as_sku_limits(die)))

    out = []
    for t in sorted(set(cfg.rate_limits)):
        full = RateLimit(t, Fraction(1))
        out.append(full)
        out += [
            RateLimit(t, n)
            for n in sorted(set(cfg.narrow_rate_limits) - {1})
            if tpp_per_unit_clock(RateLimit(t, n)) < tpp_per_unit_clock(full)
        ]
    return sorted(out)


def build_space(
    die: Die, catalog: Catalog, cfg: SpaceConfig, markets: list[bool] | None = None
) -> DesignSpace:
    """The die's design space under the configured steps; `markets` fixes datacenter or not.

    Memory speed grades are the configured ones plus every grade a shipped part in
    the catalog runs, so the search can always match a shipped memory system.
    """
    top = int(die.units_max_enabled.value)
    low = max(1, math.ceil(die.units_full.value * cfg.units_min_fraction))
    lo_clk, hi_clk = int(die.clock_mhz_min.value), int(die.clock_mhz_max.value)
    clocks = list(range(hi_clk, lo_clk - 1, -cfg.clock_step_mhz))[::-1]
    links = [LinkOption(0, Fraction(0))]
    if die.links is not None:
        full = die.links.gbps_per_link.value
        links += [
            LinkOption(n, full * f)
            for f in cfg.link_rate_fractions
            for n in range(1, int(die.links.count_max.value) + 1)
        ]
    grades = shipped_grades(catalog.skus.values())
    return DesignSpace(
        die,
        list(range(low, top + 1)),
        clocks,
        rate_options(die, cfg),
        memory_options(die, catalog.memory, cfg, grades),
        links,
        markets or [die.datacenter],
    )


_DESIGN_SOURCE = {"design": Source("a design found by the search", Status.DERIVED)}


def _q(value: int | Fraction, unit: str) -> Quantity:
    return Quantity(Fraction(value), unit, "design")


def to_sku(design: Design, die: Die, name: str = "") -> Sku:
    """The design as a Sku, so the catalog's metrics and the checker apply unchanged."""
    mem = design.memory
    memory = MemoryConfig(
        technology=mem.technology,
        pin_rate_gbps=_q(mem.pin_rate_gbps, "Gbps"),
        device_capacity_gb=_q(mem.device_capacity_gb, "GB"),
        stacks=_q(mem.stacks, "count") if mem.stacks else None,
        bus_width_bits=_q(mem.bus_width_bits, "count") if mem.bus_width_bits else None,
        clamshell=mem.clamshell,
    )
    links = LinkConfig(_q(design.links.count, "count"), _q(design.links.gbps_per_link, "GB/s"))
    rate = {k: _q(x, "ratio") for k, x in design.rate_limit.as_sku_limits(die).items()}
    return Sku(
        id=name or f"{die.id}-design",
        name=name or f"{die.name} design",
        die=die.id,
        datacenter=design.datacenter,
        units_enabled=_q(design.units, "count"),
        clock_mhz=_q(design.clock_mhz, "MHz"),
        memory=memory,
        power_limit_w=_q(power_w(design, die), "W"),
        sources=_DESIGN_SOURCE,
        rate_limits=rate,
        links=links if die.links else None,
    )


def power_w(design: Design, die: Die) -> Fraction:
    """A design draws what the power model says (metrics.modelled_power_w): it sustains its clock."""
    return modelled_power_w(die, design.units, design.clock_mhz, design.rate_limit.tensor)
