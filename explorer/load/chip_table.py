"""Chips given by their figures in a CSV file, for bulk screening (`explore screen --from FILE.csv`).

Two layouts are read:
- ours, what `explore catalog --format csv` writes: one column per rule metric
  (tpp, die_area_mm2, memory_bandwidth_gbps, io_bidirectional_gbps, datacenter, ...)
  and dense_tflops_<precision>;
- Epoch AI's public ML hardware data set (ml_hardware.csv): 'Hardware name',
  'Tensor-FP16/BF16 performance (FLOP/s)', 'Memory bandwidth (byte/s)',
  'Intranode bandwidth (byte/s)', 'Die Size (mm^2)', ... in base units.

Every figure a rule in force reads must be given: a missing one would make a
clause silently false, which errs on the permissive side. A bad row is reported
by its row number and column, and the other rows are still read.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from explorer.model.chips import BIT_LENGTH, Precision
from explorer.model.facts import Facts
from explorer.model.metrics import Metrics, performance_density

EPOCH_NAME = "Hardware name"
# Epoch column -> (our precision, FLOP/s or OP/s to TFLOPS)
EPOCH_PRECISIONS = {
    "FP64 (double precision) performance (FLOP/s)": Precision.FP64,
    "FP32 (single precision) performance (FLOP/s)": Precision.FP32,
    "TF32 (TensorFloat-32) performance (FLOP/s)": Precision.TF32,
    "Tensor-FP16/BF16 performance (FLOP/s)": Precision.FP16,
    "FP8 performance (FLOP/s)": Precision.FP8,
    "INT8 performance (OP/s)": Precision.INT8,
    "FP4 performance (FLOP/s)": Precision.FP4,
    "INT4 performance (OP/s)": Precision.INT4,
}
EPOCH_COLUMNS = {
    "memory_bandwidth_gbps": ("Memory bandwidth (byte/s)", Fraction(1, 10**9)),
    "memory_gb": ("Memory (bytes)", Fraction(1, 10**9)),
    "io_bidirectional_gbps": ("Intranode bandwidth (byte/s)", Fraction(1, 10**9)),
    "die_area_mm2": ("Die Size (mm^2)", Fraction(1)),
    "power_w": ("TDP (W)", Fraction(1)),
    "tpp": ("Total processing performance (bit-OP/s)", Fraction(1, 10**12)),
}
EPOCH_ASSUMPTIONS = (
    "Epoch AI layout: figures are taken as dense peaks; 'Intranode bandwidth' as the bidirectional "
    "chip-to-chip I/O (PCIe not added); 'Die Size' as the applicable die area of the whole package; "
    "no market column, so every chip is judged as a datacenter part (the restrictive side)"
)
REQUIRED = ("memory_bandwidth_gbps", "io_bidirectional_gbps")
TRUE, FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


@dataclass(frozen=True)
class TableChip:
    """One row: a chip known only by its figures."""

    row: int  # 1-based data row (the header is row 0)
    name: str
    metrics: Metrics
    facts: Facts


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: got {self.value!r}, expected {self.expected}"


@dataclass(frozen=True)
class ChipTable:
    path: str
    layout: str  # "chip-explorer" or "epoch-ai"
    chips: list[TableChip]
    errors: list[RowError]
    assumptions: list[str] = field(default_factory=list)


class _Bad(Exception):
    def __init__(self, column: str, value: str, expected: str) -> None:
        self.column, self.value, self.expected = column, value, expected


def _number(raw: dict, column: str, scale: Fraction = Fraction(1)) -> Fraction:
    """A figure a rule in force reads: an empty cell is a bad row."""
    value = _optional_number(raw, column, scale)
    if value is None:
        raise _Bad(column, "", "a number (a rule in force reads it)")
    return value


def _optional_number(raw: dict, column: str, scale: Fraction = Fraction(1)) -> Fraction | None:
    """The cell's figure times `scale`, or None when the cell is empty."""
    text = (raw.get(column) or "").strip()
    if not text:
        return None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise _Bad(column, text, "a number") from None
    if value < 0:
        raise _Bad(column, text, "a number of at least 0")
    return value * scale


def _flag(raw: dict, column: str) -> bool:
    text = (raw.get(column) or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise _Bad(column, text, "true or false")


def _date(raw: dict, column: str) -> dt.date | None:
    text = (raw.get(column) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise _Bad(column, text, "a date YYYY-MM-DD (or empty: never sold in the US)") from None


def _tpp(given: Fraction | None, throughput: dict[Precision, Fraction], column: str) -> Fraction:
    computed = max((t * BIT_LENGTH[p] for p, t in throughput.items()), default=None)
    if given is None and computed is None:
        raise _Bad(column, "", "tpp or at least one dense throughput figure")
    return max(x for x in (given, computed) if x is not None)


def _ours(raw: dict) -> tuple[str, Metrics, Facts]:
    name = (raw.get("id") or raw.get("name") or "").strip()
    if not name:
        raise _Bad("id", "", "a chip name (an id or name column)")
    throughput = {}
    for p in Precision:
        t = _optional_number(raw, f"dense_tflops_{p.value}")
        if t is not None:
            throughput[p] = t
    tpp = _tpp(_optional_number(raw, "tpp"), throughput, "tpp")
    area = _optional_number(raw, "die_area_mm2")
    density = _optional_number(raw, "performance_density")
    if area is None and density is None:
        raise _Bad("die_area_mm2", "", "the applicable die area (or performance_density)")
    if area is None:
        area = tpp / density if density else Fraction(0)
    io = _number(raw, "io_bidirectional_gbps")
    link = _optional_number(raw, "link_bidirectional_gbps")
    metrics = Metrics(
        tpp=tpp,
        performance_density=performance_density(tpp, area) if area else density,
        memory_bandwidth_gbps=_number(raw, "memory_bandwidth_gbps"),
        memory_gb=_optional_number(raw, "memory_gb") or Fraction(0),
        memory_type=(raw.get("memory_type") or "").strip() or "unknown",
        memory_bandwidth_density=_optional_number(raw, "memory_bandwidth_density"),
        io_bidirectional_gbps=io,
        link_bidirectional_gbps=io if link is None else link,
        die_area_mm2=area,
        datacenter=_flag(raw, "datacenter"),
        power_w=_optional_number(raw, "power_w") or Fraction(0),
        dense_tflops=throughput,
    )
    facts = Facts(
        (raw.get("vendor") or "").strip(),
        (raw.get("family") or "").strip(),
        None,
        _date(raw, "us_available_from"),
    )
    return name, metrics, facts


def _epoch(raw: dict) -> tuple[str, Metrics, Facts]:
    name = (raw.get(EPOCH_NAME) or "").strip()
    if not name:
        raise _Bad(EPOCH_NAME, "", "a chip name")
    throughput = {}
    for column, p in EPOCH_PRECISIONS.items():
        t = _optional_number(raw, column, Fraction(1, 10**12))
        if t is not None:
            throughput[p] = t
    figures: dict[str, Fraction] = {}  # what a rule in force reads
    optional: dict[str, Fraction | None] = {}
    for k, (column, scale) in EPOCH_COLUMNS.items():  # in column order: the first bad cell is reported
        if k in (*REQUIRED, "die_area_mm2"):
            figures[k] = _number(raw, column, scale)
        else:
            optional[k] = _optional_number(raw, column, scale)
    tpp = _tpp(optional["tpp"], throughput, EPOCH_COLUMNS["tpp"][0])
    area = figures["die_area_mm2"]
    io = figures["io_bidirectional_gbps"]
    metrics = Metrics(
        tpp=tpp,
        performance_density=performance_density(tpp, area),
        memory_bandwidth_gbps=figures["memory_bandwidth_gbps"],
        memory_gb=optional["memory_gb"] or Fraction(0),
        memory_type="unknown",
        memory_bandwidth_density=None,
        io_bidirectional_gbps=io,
        link_bidirectional_gbps=io,
        die_area_mm2=area,
        datacenter=True,
        power_w=optional["power_w"] or Fraction(0),
        dense_tflops=throughput,
    )
    return name, metrics, Facts((raw.get("Manufacturer") or "").strip(), "", None, None)


def read_chip_table(path: str | Path) -> ChipTable:
    """Every row of the file, judged readable or not; the layout is told by its header."""
    from explorer.model.errors import InputError

    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError("--from", "", str(path), f"a readable CSV file ({type(e).__name__})") from None
    if not rows:
        raise InputError(str(path), "", "no data rows", "a header and at least one chip")
    epoch = EPOCH_NAME in header
    reader = _epoch if epoch else _ours
    if not epoch and not ({"id", "name"} & set(header)):
        raise InputError(
            str(path), "header", ",".join(list(header)[:6]), f"an id or name column, or {EPOCH_NAME!r}"
        )
    chips, errors = [], []
    for i, raw in enumerate(rows, start=1):
        if None in raw:  # more cells than header columns
            errors.append(RowError(i, "(row)", ",".join(raw[None]), "no more cells than the header has"))
            continue
        try:
            name, metrics, facts = reader(raw)
        except _Bad as bad:
            errors.append(RowError(i, bad.column, bad.value, bad.expected))
            continue
        chips.append(TableChip(i, name, metrics, facts))
    return ChipTable(
        str(path),
        "epoch-ai" if epoch else "chip-explorer",
        chips,
        errors,
        [EPOCH_ASSUMPTIONS] if epoch else [],
    )
