"""Chips given by their figures in a CSV file, for bulk screening (`explore screen --from FILE.csv`).

Two layouts are read:
- ours, what `explore catalog --format csv` writes: one column per rule metric
  (tpp, die_area_mm2, memory_bandwidth_gbps, io_bidirectional_gbps, datacenter, ...)
  and dense_tflops_<precision>;
- Epoch AI's public ML hardware data set (ml_hardware.csv): 'Hardware name',
  'Tensor-FP16/BF16 performance (FLOP/s)', 'Memory bandwidth (byte/s)',
  'Intranode bandwidth (byte/s)', 'Die Size (mm^2)', ... in base units.

Every figure a rule in force reads must be given: a missing one would make a
clause silently false, which errs on the permissive side; so must be a die area
or density above zero (a zero area makes every density line false). A bad row is
reported by its row number and column, and the other rows are still read; a
header naming a column twice refuses the file (which cell would count?).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from explorer.model.chips import BIT_LENGTH, Precision
from explorer.model.errors import InputError
from explorer.model.facts import Facts
from explorer.model.metrics import Metrics, performance_density
from explorer.model.names import has_control
from explorer.model.numbers import MAX_MAGNITUDE, exact

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
MAX_BYTES = 16 * 1024 * 1024  # a chip table larger than this is refused
MAX_ROWS = 10_000  # and one with more chips: 10,000 took 17 s and 158 MB at peak here (1.7 ms a chip)
EPOCH_MOST = 10**24  # Epoch's cells are in base units (FLOP/s, bytes): 10^24 is a yotta-FLOP/s


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


def _positive(raw: dict, column: str, scale: Fraction, why: str) -> Fraction | None:
    """A figure that divides another (a die area, a density), or None when the cell is empty: zero is
    refused, since it would make every line on the quotient silently false."""
    value = _optional_number(raw, column, scale)
    if value == 0:
        raise _Bad(column, raw[column].strip(), f"a number above 0 ({why})")
    return value


def _optional_number(raw: dict, column: str, scale: Fraction = Fraction(1)) -> Fraction | None:
    """The cell's figure times `scale`, or None when the cell is empty."""
    text = (raw.get(column) or "").strip()
    if not text:
        return None
    try:  # bounded as written: 1e9999999 is refused, not expanded
        value = exact(text, MAX_MAGNITUDE if scale == 1 else EPOCH_MOST)
    except ValueError as e:
        raise _Bad(column, text, str(e)) from None
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
    expected = "a date YYYY-MM-DD (or empty: never sold in the US)"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # the whole cell: 2024-01-01junk is not a date
        raise _Bad(column, text, expected)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _Bad(column, text, expected) from None


def _name(raw: dict, *columns: str) -> str:
    """The chip's name from the first of `columns` given; a name with control characters is refused."""
    for column in columns:
        name = (raw.get(column) or "").strip()
        if name:
            if has_control(name):
                raise _Bad(column, name, "a name without control characters")
            return name
    raise _Bad(
        columns[0], "", "a chip name" + (f" (an {' or '.join(columns)} column)" if columns[1:] else "")
    )


def _tpp(given: Fraction | None, throughput: dict[Precision, Fraction], column: str) -> Fraction:
    computed = max((t * BIT_LENGTH[p] for p, t in throughput.items()), default=None)
    if given is None and computed is None:
        raise _Bad(column, "", "tpp or at least one dense throughput figure")
    return max(x for x in (given, computed) if x is not None)


def _ours(raw: dict) -> tuple[str, Metrics, Facts]:
    name = _name(raw, "id", "name")
    throughput = {}
    for p in Precision:
        t = _optional_number(raw, f"dense_tflops_{p.value}")
        if t is not None:
            throughput[p] = t
    tpp = _tpp(_optional_number(raw, "tpp"), throughput, "tpp")
    area = _positive(raw, "die_area_mm2", Fraction(1), "density lines divide TPP by it")
    density = _positive(raw, "performance_density", Fraction(1), "a chip that computes")
    if area is None and density is None:
        raise _Bad("die_area_mm2", "", "the applicable die area (or performance_density)")
    if area is None:
        assert density is not None
        area = tpp / density
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
    name = _name(raw, EPOCH_NAME)
    throughput = {}
    for column, p in EPOCH_PRECISIONS.items():
        t = _optional_number(raw, column, Fraction(1, 10**12))
        if t is not None:
            throughput[p] = t
    figures: dict[str, Fraction] = {}  # what a rule in force reads
    optional: dict[str, Fraction | None] = {}
    for k, (column, scale) in EPOCH_COLUMNS.items():  # in column order: the first bad cell is reported
        if k == "die_area_mm2":
            figures[k] = _number(raw, column, scale)
            if figures[k] == 0:
                raise _Bad(column, raw[column].strip(), "a number above 0 (density lines divide TPP by it)")
        elif k in REQUIRED:
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
    """Every row of the file, judged readable or not; the layout is told by its header.

    The file must be a regular UTF-8 file of at most MAX_BYTES and MAX_ROWS chips (a FIFO is refused,
    not waited on); a header naming a column twice refuses it.
    """
    from explorer.load.loader import read_text

    text = read_text(path, "--from", MAX_BYTES, "a regular CSV file")
    if text.startswith("\ufeff"):  # a spreadsheet's byte order mark
        text = text[1:]
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(rows, [])]
        seen: set[str] = set()
        for h in header:
            if h and h.lower() in seen:
                raise InputError(str(path), "header", h, "each column once (which cell would count?)")
            seen.add(h.lower())
        epoch = EPOCH_NAME in header
        if not epoch and not ({"id", "name"} & set(header)):
            raise InputError(
                str(path), "header", ",".join(header[:6]), f"an id or name column, or {EPOCH_NAME!r}"
            )
        reader = _epoch if epoch else _ours
        chips, errors = [], []
        for i, cells in enumerate((c for c in rows if c), start=1):  # blank lines are no rows
            if i > MAX_ROWS:
                raise InputError(str(path), "", f"over {MAX_ROWS} rows", f"at most {MAX_ROWS} chips a file")
            if len(cells) > len(header):
                errors.append(
                    RowError(i, "(row)", ",".join(cells[len(header) :]), "no more cells than the header has")
                )
                continue
            raw = dict(zip(header, cells, strict=False))
            try:
                name, metrics, facts = reader(raw)
            except _Bad as bad:
                errors.append(RowError(i, bad.column, bad.value, bad.expected))
                continue
            chips.append(TableChip(i, name, metrics, facts))
    except csv.Error as e:
        raise InputError(str(path), "", "(unparseable)", f"a CSV file ({e})") from None
    if not chips and not errors:
        raise InputError(str(path), "", "no data rows", "a header and at least one chip")
    return ChipTable(
        str(path),
        "epoch-ai" if epoch else "chip-explorer",
        chips,
        errors,
        [EPOCH_ASSUMPTIONS] if epoch else [],
    )
