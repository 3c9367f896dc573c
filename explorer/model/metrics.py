"""The quantities the export rules are written in, computed exactly from a chip model.

All arithmetic is on Fractions, so a chip exactly on a line is judged exactly
on it: no float rounding can move a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from explorer.model.chips import BIT_LENGTH, Die, MemoryKind, MemoryTechnology, Path, Precision, Sku
from explorer.model.quantity import Quantity

# name -> canonical unit, for every metric a rule clause may name
METRIC_UNITS: dict[str, str] = {
    "tpp": "TPP",
    "performance_density": "TPP/mm2",
    "memory_bandwidth_gbps": "GB/s",
    "memory_gb": "GB",
    "memory_bandwidth_density": "GB/s/mm2",
    "io_bidirectional_gbps": "GB/s",
    "link_bidirectional_gbps": "GB/s",
    "memory_plus_io_gbps": "GB/s",
    "memory_plus_link_gbps": "GB/s",
    "die_area_mm2": "mm2",
    "power_w": "W",
    "datacenter": "bool",
}

# a SKU's published figures are compared with these model outputs
PUBLISHED_UNITS: dict[str, str] = {
    **{k: v for k, v in METRIC_UNITS.items() if v != "bool"},
    **{f"dense_tflops_{p.value}": "TFLOPS" for p in Precision},
}


@dataclass(frozen=True)
class Metrics:
    """One chip's metrics; units are in the names (see METRIC_UNITS)."""

    tpp: Fraction
    performance_density: Fraction | None
    memory_bandwidth_gbps: Fraction
    memory_gb: Fraction
    memory_type: str
    memory_bandwidth_density: Fraction | None
    io_bidirectional_gbps: Fraction
    link_bidirectional_gbps: Fraction
    die_area_mm2: Fraction
    datacenter: bool
    power_w: Fraction
    dense_tflops: dict[Precision, Fraction]
    fp32_accumulate_rate: Fraction = Fraction(1)  # the share of dense_tflops serving kernels reach (Sku)
    power_share: Fraction = Fraction(1)  # power limit over the power model's draw at these knobs, at most 1

    @property
    def memory_plus_io_gbps(self) -> Fraction:
        """DRAM bandwidth plus chip-to-chip I/O: the reported April 2025 'combination' line."""
        return self.memory_bandwidth_gbps + self.io_bidirectional_gbps

    @property
    def memory_plus_link_gbps(self) -> Fraction:
        """DRAM bandwidth plus chip-to-chip links alone (no PCIe): a narrower reading of a bill's
        'combined' line (the SAFE Chips Act scenario's links-only reading)."""
        return self.memory_bandwidth_gbps + self.link_bidirectional_gbps

    def value(self, name: str) -> Fraction | bool | None:
        """A metric or published-figure key by name."""
        if name.startswith("dense_tflops_"):
            return self.dense_tflops.get(Precision(name.removeprefix("dense_tflops_")))
        return getattr(self, name)


def dense_tflops(
    die: Die, units: Fraction, clock_mhz: Fraction, rate_limits: dict[str, Fraction]
) -> dict[Precision, Fraction]:
    """Peak dense throughput per precision, the fastest path (tensor or vector) of each.

    units x clock x dense ops per unit per clock x the SKU's rate limits.
    """
    best: dict[Precision, Fraction] = {}
    for t in die.throughput:
        # a limit may name a precision (every path) or a path (every precision)
        rate = rate_limits.get(t.precision.value, Fraction(1)) * rate_limits.get(t.path.value, Fraction(1))
        tflops = units * clock_mhz * t.ops_per_clk_per_unit.value * rate / 10**6
        best[t.precision] = max(best.get(t.precision, Fraction(0)), tflops)
    return best


def tpp(throughput: dict[Precision, Fraction]) -> Fraction:
    """Total processing performance.

    "'Total processing performance' ('TPP') is 2 x 'MacTOPS' x 'bit length of the
    operation', aggregated over all processing units on the integrated circuit."
    (ECCN 3A090 Technical Note, 88 FR 73458, 2023.) Datasheet TOPS count a MAC as
    two operations, so 2 x MacTOPS is the dense TOPS figure; where a chip runs
    several precisions, the highest product counts (CSET explainer, note 2).
    """
    return max((tops * BIT_LENGTH[p] for p, tops in throughput.items()), default=Fraction(0))


def applicable_die_area_mm2(die: Die) -> Fraction:
    """'Applicable die area' in mm2.

    "... includes all die area of logic dies manufactured with a process node that
    uses a non-planar transistor architecture." (3A090 Technical Note, 88 FR 73458.)
    HBM stacks are memory, not logic, and are excluded (BIS briefing, 2023-11-06).
    """
    return sum((d.area_mm2.value * d.count for d in die.logic_dies if not d.planar), start=Fraction(0))


def applicable_die_area_range_mm2(die: Die) -> tuple[Fraction, Fraction] | None:
    """The applicable die area's plausible range where an estimated logic die carries one; else None."""
    dies = [d for d in die.logic_dies if not d.planar]
    if not any(d.area_mm2.low is not None or d.area_mm2.high is not None for d in dies):
        return None
    low = sum((_end(d.area_mm2, "low") * d.count for d in dies), start=Fraction(0))
    high = sum((_end(d.area_mm2, "high") * d.count for d in dies), start=Fraction(0))
    return low, high


def _end(q: Quantity, end: str) -> Fraction:
    x = getattr(q, end)
    return q.value if x is None else x


def performance_density(tpp_value: Fraction, area_mm2: Fraction) -> Fraction | None:
    """ "'Performance density' is 'TPP' divided by 'applicable die area'." (88 FR 73458.)"""
    return tpp_value / area_mm2 if area_mm2 else None


def _hbm_stacks(sku: Sku) -> Fraction:
    """An HBM SKU's stack count (the loader requires it of every HBM SKU)."""
    if sku.memory.stacks is None:
        raise ValueError(f"{sku.id}: HBM memory without stacks")
    return sku.memory.stacks.value


def _gddr_bus_width_bits(sku: Sku) -> Fraction:
    """A GDDR SKU's bus width (the loader requires it of every GDDR SKU)."""
    if sku.memory.bus_width_bits is None:
        raise ValueError(f"{sku.id}: GDDR memory without bus_width_bits")
    return sku.memory.bus_width_bits.value


def memory_devices(sku: Sku, tech: MemoryTechnology) -> Fraction:
    """HBM stacks, or GDDR devices (one per 32-bit channel, two when clamshell)."""
    if tech.kind is MemoryKind.HBM:
        return _hbm_stacks(sku)
    channels = _gddr_bus_width_bits(sku) / tech.interface_bits.value
    return channels * (2 if sku.memory.clamshell else 1)


def memory_bandwidth_gbps(sku: Sku, tech: MemoryTechnology) -> Fraction:
    """Total DRAM bandwidth in GB/s: interface width in bits x per-pin rate / 8.

    The January 2026 rule's 'total DRAM bandwidth' (91 FR 1684) is this peak figure.
    """
    if tech.kind is MemoryKind.HBM:
        bits = _hbm_stacks(sku) * tech.interface_bits.value
    else:
        bits = _gddr_bus_width_bits(sku)
    return bits * sku.memory.pin_rate_gbps.value / 8


def memory_gb(sku: Sku, tech: MemoryTechnology) -> Fraction:
    reserved = sku.memory.reserved_gb.value if sku.memory.reserved_gb else Fraction(0)
    return memory_devices(sku, tech) * sku.memory.device_capacity_gb.value - reserved


def memory_bandwidth_density(sku: Sku, tech: MemoryTechnology) -> Fraction | None:
    """HBM 'memory bandwidth density', GB/s per mm2 of one stack.

    "... the memory bandwidth measured in gigabytes (GB) per second divided by the
    area of the package or stack measured in square millimeters." (3A090.c,
    89 FR 96790, 2024.) Defined for HBM only; None for GDDR.
    """
    if tech.kind is not MemoryKind.HBM:
        return None
    per_stack = tech.interface_bits.value * sku.memory.pin_rate_gbps.value / 8
    return per_stack / tech.package_area_mm2.value


def link_bidirectional_gbps(sku: Sku) -> Fraction:
    """Chip-to-chip scale-up links (NVLink, Infinity Fabric), both directions summed."""
    if sku.links is None:
        return Fraction(0)
    return sku.links.count.value * sku.links.gbps_per_link.value


def io_bidirectional_gbps(sku: Sku, die: Die, pcie_gbps_per_lane_per_direction: Fraction) -> Fraction:
    """Aggregate bidirectional I/O to ICs other than memory, in GB/s.

    The 2022 text reads "aggregate bidirectional transfer rate over all inputs and
    outputs ... to or from integrated circuits other than volatile memories"
    (3A090.a, 87 FR 62186). PCIe reaches the host CPU or a switch, which are such
    ICs, so it counts here alongside NVLink or Infinity Fabric. Counting it is the
    literal, conservative reading; it moves no known verdict (A800: 400 + 64 < 600).
    """
    pcie = die.pcie_lanes * pcie_gbps_per_lane_per_direction * 2
    return link_bidirectional_gbps(sku) + pcie


def modelled_power_w(
    die: Die, units: int | Fraction, clock_mhz: int | Fraction, tensor_rate: Fraction
) -> Fraction:
    """A simple power model: the die's shipped power range scaled by enabled units x clock x tensor rate.

    An estimate, not a measured figure: designs are costed with it, and a SKU whose
    power limit is below it is taken to sustain a lower clock (value.resources).
    """
    lo, hi = die.power.limit_w_min.value, die.power.limit_w_max.value
    full = die.units_max_enabled.value * die.clock_mhz_max.value
    share = Fraction(units) * Fraction(clock_mhz) / full * (1 + tensor_rate) / 2
    return lo + (hi - lo) * min(share, Fraction(1))


def power_share(sku: Sku, die: Die) -> Fraction:
    """The SKU's power limit over what the power model says its units and clock draw (at most 1)."""
    limits = {k: q.value for k, q in sku.rate_limits.items()}
    tensor_rate = max(
        (
            limits.get(t.precision.value, Fraction(1)) * limits.get(Path.TENSOR.value, Fraction(1))
            for t in die.throughput
            if t.path == Path.TENSOR
        ),
        default=Fraction(1),
    )
    needed = modelled_power_w(die, sku.units_enabled.value, sku.clock_mhz.value, tensor_rate)
    return min(Fraction(1), sku.power_limit_w.value / needed)
