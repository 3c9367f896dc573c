"""Base dies as parametric models, and shipped SKUs as values of their knobs.

Field names carry units; every published figure is a Quantity with a source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from explorer.model.quantity import Quantity, Source, Status, in_unit


class Precision(StrEnum):
    """Operand formats; the value's bit length is what TPP multiplies by."""

    FP64 = "fp64"
    FP32 = "fp32"
    TF32 = "tf32"
    FP16 = "fp16"  # FP16 and BF16 run at one rate on every die here
    FP8 = "fp8"
    INT8 = "int8"
    FP6 = "fp6"
    FP4 = "fp4"
    INT4 = "int4"


# "bit length of the operation" (3A090 Technical Note). TF32 operands sit in
# 32-bit registers; counting 32 is the conservative reading and never sets the
# maximum on these dies (TF32 runs at half the FP16 rate).
BIT_LENGTH: dict[Precision, int] = {
    Precision.FP64: 64,
    Precision.FP32: 32,
    Precision.TF32: 32,
    Precision.FP16: 16,
    Precision.FP8: 8,
    Precision.INT8: 8,
    Precision.FP6: 6,
    Precision.FP4: 4,
    Precision.INT4: 4,
}


class Path(StrEnum):
    TENSOR = "tensor"
    VECTOR = "vector"


class MemoryKind(StrEnum):
    HBM = "hbm"
    GDDR = "gddr"


@dataclass(frozen=True)
class MemoryTechnology:
    """One DRAM generation: HBM stacks (1024-bit) or GDDR devices (32-bit)."""

    id: str
    title: str
    kind: MemoryKind
    interface_bits: Quantity = field(metadata=in_unit("count"))  # per HBM stack or per GDDR device
    pin_rate_gbps_max: Quantity = field(metadata=in_unit("Gbps"))
    # per stack or device; for memory bandwidth density
    package_area_mm2: Quantity = field(metadata=in_unit("mm2"))
    sources: dict[str, Source]


@dataclass(frozen=True)
class PcieGeneration:
    generation: int
    gbps_per_lane_per_direction: Quantity = field(metadata=in_unit("GB/s"))
    sources: dict[str, Source]


@dataclass(frozen=True)
class LogicDie:
    """A logic die in the package; non-planar ones count toward 'applicable die area'."""

    name: str
    count: int
    area_mm2: Quantity = field(metadata=in_unit("mm2"))
    process: str
    planar: bool
    units: int = 0  # compute units on each such die (harvesting disables some of them)


@dataclass(frozen=True)
class Throughput:
    """Dense operations per clock per compute unit, for one precision and path."""

    precision: Precision
    path: Path
    ops_per_clk_per_unit: Quantity = field(metadata=in_unit("ops/clk"))
    sparsity: str = "dense"


@dataclass(frozen=True)
class HbmInterface:
    technologies: list[str]
    sites: Quantity = field(metadata=in_unit("count"))


@dataclass(frozen=True)
class GddrInterface:
    technologies: list[str]
    bus_width_bits_max: Quantity = field(metadata=in_unit("count"))


@dataclass(frozen=True)
class LinkInterface:
    """Chip-to-chip links (NVLink, Infinity Fabric); rates are bidirectional."""

    name: str
    count_max: Quantity = field(metadata=in_unit("count"))
    gbps_per_link: Quantity = field(metadata=in_unit("GB/s"))


@dataclass(frozen=True)
class PowerRange:
    """The simple power model: the board power limits the die has shipped with."""

    limit_w_min: Quantity = field(metadata=in_unit("W"))
    limit_w_max: Quantity = field(metadata=in_unit("W"))


@dataclass(frozen=True)
class Package:
    """A package of identical compute dies and what goes with each, so a design may carry fewer.

    The B30A reported for China is one die of the two-die B300 package: fewer dies
    bring fewer units, less area, fewer HBM sites and links, less power and cost.
    """

    compute_die: str  # the logic_dies entry that repeats
    counts: list[int]  # the smaller counts a design may carry (the logic_dies count is the full package)
    source: str
    # None: the HBM sites (or links) stay with the package, as on an I/O die
    hbm_sites_per_die: Quantity | None = field(default=None, metadata=in_unit("count"))
    links_per_die: Quantity | None = field(default=None, metadata=in_unit("count"))
    note: str = ""


@dataclass(frozen=True)
class ReferenceOnly:
    """A die listed as a value reference only (a non-US design): never a base, never screened as an export."""

    source: str
    note: str


@dataclass(frozen=True)
class Die:
    """A base die (or multi-die package) and the physical range of each knob."""

    id: str
    name: str
    vendor: str
    architecture: str
    family: str  # what rules name: hopper, blackwell, cdna3, ... (the Blackwell exclusion covers GB202 too)
    unit_name: str
    units_full: Quantity = field(metadata=in_unit("count"))
    units_max_enabled: Quantity = field(metadata=in_unit("count"))
    clock_mhz_min: Quantity = field(metadata=in_unit("MHz"))
    clock_mhz_max: Quantity = field(metadata=in_unit("MHz"))
    logic_dies: list[LogicDie]
    throughput: list[Throughput]
    pcie_generation: int
    pcie_lanes: int
    power: PowerRange
    datacenter: bool
    sources: dict[str, Source]
    aliases: list[str] = field(default_factory=list)
    hbm: HbmInterface | None = None
    gddr: GddrInterface | None = None
    links: LinkInterface | None = None
    package: Package | None = None
    reference_only: ReferenceOnly | None = None
    notes: str = ""
    # set on a package variant (model/package.py), never in a file: the full package and the dies fitted
    variant_of: str | None = None
    compute_dies: int | None = None
    package_share: Fraction | None = None  # its logic area over the full package's (power, interposer)


@dataclass(frozen=True)
class MemoryConfig:
    """The memory a SKU fitted: HBM stacks, or a GDDR bus of devices."""

    technology: str
    pin_rate_gbps: Quantity = field(metadata=in_unit("Gbps"))
    device_capacity_gb: Quantity = field(metadata=in_unit("GB"))  # per stack (HBM) or per device (GDDR)
    stacks: Quantity | None = field(default=None, metadata=in_unit("count"))
    bus_width_bits: Quantity | None = field(default=None, metadata=in_unit("count"))
    clamshell: bool = False  # two GDDR devices share each 32-bit channel
    # held back from the user (ECC, spare)
    reserved_gb: Quantity | None = field(default=None, metadata=in_unit("GB"))


@dataclass(frozen=True)
class LinkConfig:
    count: Quantity = field(metadata=in_unit("count"))
    gbps_per_link: Quantity = field(metadata=in_unit("GB/s"))


@dataclass(frozen=True)
class UsAvailability:
    """Whether, and since when, the product was commercially available in the United States.

    The January 2026 review policy covers only items available in the US when it
    was published; a part sold only in China (H20, L20, RTX 4090D) is not.
    """

    source: str
    since: dt.date | None = None  # None: never sold in the US
    status: Status | None = None
    note: str = ""


@dataclass(frozen=True)
class Sku:
    """A shipped product: the values its vendor chose for the die's knobs."""

    id: str
    name: str
    die: str
    datacenter: bool
    units_enabled: Quantity = field(metadata=in_unit("count"))
    # the clock the vendor's peak throughput figures imply
    clock_mhz: Quantity = field(metadata=in_unit("MHz"))
    memory: MemoryConfig
    power_limit_w: Quantity = field(metadata=in_unit("W"))
    sources: dict[str, Source]
    aliases: list[str] = field(default_factory=list)
    # fraction of the die's per-unit rate, by precision (firmware or fuse limits)
    rate_limits: dict[str, Quantity] = field(default_factory=dict, metadata=in_unit("ratio"))
    # tensor rate when accumulating in FP32, as a share of the peak: GeForce parts halve it. Serving
    # kernels accumulate in FP32, so the value model reads it; the rules read the peak.
    fp32_accumulate_rate: Quantity | None = field(default=None, metadata=in_unit("ratio"))
    links: LinkConfig | None = None
    us_available: UsAvailability | None = None  # None: not stated, judged as never sold in the US
    derived_from: str | None = None
    designed_for: str | None = None
    launched: str | None = None
    # the vendor's own figures, which the model must reproduce (tested within 2%)
    published: dict[str, Quantity] = field(default_factory=dict)
    notes: str = ""
