"""The one module that reads data files: TOML in, validated frozen values out.

Every problem becomes an InputError naming the file, the field, the value and
what was expected. Parsing is driven by the dataclasses' type hints, so a new
field is validated as soon as it is declared.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Any

from explorer.model import chips as c
from explorer.model import metrics as m
from explorer.model import package
from explorer.model.catalog import Catalog
from explorer.model.cost import CostData
from explorer.model.destinations import DestinationData, FormerMember, JoinedMember
from explorer.model.errors import InputError
from explorer.model.names import ID_EXPECTED, has_control, is_id, name_key
from explorer.model.numbers import MAX_MAGNITUDE, exact
from explorer.model.quantity import Quantity, Source, Status
from explorer.model.rules import Charge, Clause, Condition, Control, Fact, Relief, RuleSet
from explorer.model.space import SpaceConfig
from explorer.model.units import UNITS, accepted, to_canonical
from explorer.model.value import RESERVE_OF, Efficiency, Objective, ObjectiveFile, Workload

if typing.TYPE_CHECKING:
    from explorer.model.economics import PriceData
    from explorer.model.measured import Measured, Setup
    from explorer.model.portfolio import ProductLine
    from explorer.model.scenarios import Scenario

DATA_ENV = "CHIP_EXPLORER_DATA"


@dataclass(frozen=True)
class ValidatedError:
    """The fit's median signed error (predicted / measured - 1) on an architecture's validation runs, which
    were never fitted, on one chip and on several apart, with the runs it is the median of."""

    one_chip: Fraction | None = None
    one_chip_runs: int = 0
    several_chips: Fraction | None = None
    several_chips_runs: int = 0


@dataclass(frozen=True)
class EfficiencyTable:
    """specs/calibration/efficiency.toml: the fitted efficiencies, per architecture and pooled."""

    default: Efficiency
    architectures: dict[str, Efficiency] = dataclasses.field(default_factory=dict)
    fit: dict[str, str] = dataclasses.field(default_factory=dict)  # how it was fitted, for the reader
    points: dict[str, int] = dataclasses.field(default_factory=dict)  # fitting points per architecture
    # an engine's own fixed time of one layer where it serves an architecture fitted under another engine
    engine_layer_fixed_s: dict[str, Fraction] = dataclasses.field(default_factory=dict)
    # an architecture without a fit of its own takes this one's (its vendor's nearest calibrated)
    fallback: dict[str, str] = dataclasses.field(default_factory=dict)
    validated: dict[str, ValidatedError] = dataclasses.field(default_factory=dict)


# fields that name something (a chip, a rule, a paragraph): shown on one line, so held to one line
NAME_FIELDS = {"name", "aliases", "title", "paragraph"}

# dict-of-Quantity fields whose unit depends on the key
KEYED_UNITS: dict[tuple[type, str], dict[str, str]] = {(c.Sku, "published"): m.PUBLISHED_UNITS}


@dataclass
class _Ctx:
    file: str
    sources: dict[str, Source]


def default_data_dir() -> Path:
    """CHIP_EXPLORER_DATA if set; else the checkout's constraints/ and specs/ (a source tree or an
    editable install); else the copy shipped inside the package (a wheel: explorer/data/)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "constraints").is_dir() and (checkout / "specs").is_dir():
        return checkout
    return packaged_data_dir()


def packaged_data_dir() -> Path:
    """The data shipped in the wheel, read through importlib.resources."""
    import importlib.resources

    return Path(str(importlib.resources.files("explorer") / "data"))


def is_packaged(root: Path) -> bool:
    """Whether a data folder is the installed package's own copy (never to be written)."""
    try:
        return Path(root).resolve() == packaged_data_dir().resolve()
    except (OSError, ModuleNotFoundError):
        return False


MAX_FILE_BYTES = 4 * 1024 * 1024  # a data file larger than this is refused


def read_toml(path: Path) -> dict[str, Any]:
    """A regular, bounded, UTF-8 TOML file (a FIFO, a symlink loop or a folder is refused, not read)."""
    text = read_text(path, str(path), MAX_FILE_BYTES, "a regular TOML file")
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as e:
        raise InputError(str(path), "", "(unparseable)", f"valid TOML ({e})") from None
    except RecursionError:
        raise InputError(
            str(path), "", "(nested too deeply)", "TOML nested at most a few hundred deep"
        ) from None
    except ValueError as e:  # an integer of thousands of digits
        raise InputError(str(path), "", "(unparseable)", f"valid TOML ({e})") from None


def read_text(path: str | Path, where: str, most: int, kind: str) -> str:
    """A regular, bounded, UTF-8 text file, read whole: what every untrusted file goes through (data files,
    `--from`, `--replay`, `--design`). A FIFO, a device, a folder or a symlink loop is refused, never
    opened, so nothing waits on a writer; `where` names the file or option in the error."""
    import stat

    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(where, "", str(path), f"{kind} (this is not a regular file)")
        if info.st_size > most:
            raise InputError(where, "", f"{path}: {info.st_size} bytes", f"at most {most} bytes")
        with path.open("rb") as f:
            raw = f.read(most + 1)
    except OSError as e:
        raise InputError(where, "", str(path), f"a readable file ({e.strerror})") from None
    if len(raw) > most:  # it grew while it was read
        raise InputError(where, "", f"{path}: over {most} bytes", f"at most {most} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(where, "", f"byte {e.start}", "UTF-8 text") from None


MAX_JSON_BYTES = 16 * 1024 * 1024  # a report or design file (--replay, --design) larger than this is refused


def read_json(path: str | Path, where: str, most: int = MAX_JSON_BYTES) -> Any:
    """A regular, bounded UTF-8 JSON file: no NaN or Infinity, no integer of thousands of digits, nested at
    most as deep as Python parses (a deeper one is bad input, not a crash)."""
    import json

    text = read_text(path, where, most, "a regular JSON file")

    def constant(name: str):
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        return json.loads(text, parse_constant=constant)
    except RecursionError:
        raise InputError(where, "", "(nested too deeply)", "JSON nested at most a few hundred deep") from None
    except ValueError as e:  # JSONDecodeError, NaN, an integer of thousands of digits
        raise InputError(where, "", "(unparseable)", f"JSON text ({e})") from None


T = typing.TypeVar("T")


class _Identified(typing.Protocol):
    """A record with a file of its own, keyed by its id (a die, a SKU)."""

    @property
    def id(self) -> str: ...


Identified = typing.TypeVar("Identified", bound=_Identified)


def parse(cls: type[T], raw: object, file: str, path: str = "") -> T:
    """Build a dataclass from TOML data, validating types, keys, units and source keys."""
    sources: dict[str, Source] = {}
    if isinstance(raw, dict) and "sources" in raw:
        sources = _build(dict[str, Source], raw["sources"], _Ctx(file, {}), "sources", None, None)
    return _build(cls, raw, _Ctx(file, sources), path, None, None)


def _fail(ctx: _Ctx, path: str, value: object, expected: str) -> typing.NoReturn:
    raise InputError(ctx.file, path or "(top level)", value, expected)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _build(  # noqa: C901
    tp: Any, raw: object, ctx: _Ctx, path: str, unit: str | None, keyed: dict[str, str] | None
) -> Any:
    """A value of the type form `tp` (a class, a union, list[...], dict[...]), read at run time."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if raw is None and len(options) < len(typing.get_args(tp)):
            return None
        if set(options) == {Fraction, bool}:
            return raw if isinstance(raw, bool) else _build(Fraction, raw, ctx, path, unit, keyed)
        return _build(options[0], raw, ctx, path, unit, keyed)
    if origin is list:
        if not isinstance(raw, list):
            _fail(ctx, path, raw, "a list")
        (item,) = typing.get_args(tp)
        return [_build(item, v, ctx, f"{path}[{i}]", unit, keyed) for i, v in enumerate(raw)]
    if origin is dict:
        if not isinstance(raw, dict):
            _fail(ctx, path, raw, "a table")
        _, item = typing.get_args(tp)
        out = {}
        for k, v in raw.items():
            if has_control(k):
                _fail(ctx, _join(path, k), k, "a key without control characters")
            item_unit = unit
            if keyed is not None:
                if k not in keyed:
                    _fail(ctx, _join(path, k), k, f"one of: {', '.join(sorted(keyed))}")
                item_unit = keyed[k]
            out[k] = _build(item, v, ctx, _join(path, k), item_unit, None)
        return out
    if tp is Quantity:
        return _quantity(raw, ctx, path, unit)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, raw, ctx, path)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(raw)
        except ValueError:
            _fail(ctx, path, raw, "one of: " + ", ".join(str(e.value) for e in tp))
    if tp is bool:
        if not isinstance(raw, bool):
            _fail(ctx, path, raw, "true or false")
        return raw
    if tp is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            _fail(ctx, path, raw, "an integer")
        if abs(raw) > MAX_MAGNITUDE:
            _fail(ctx, path, raw, f"an integer of at most {MAX_MAGNITUDE:.0e} in magnitude")
        return raw
    if tp is Fraction:
        if isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
            _fail(ctx, path, raw, "a number")
        try:  # bounded on its written form: Fraction(1e999999999) or Fraction(1e-999999999) is huge
            return exact(raw)
        except ValueError as e:
            _fail(ctx, path, str(raw), str(e))
    if tp is str:
        if not isinstance(raw, str):
            _fail(ctx, path, raw, "a string")
        if has_control(raw, lines=True):  # escape sequences would reach terminals and reports
            _fail(ctx, path, raw, "text without control characters (newlines and tabs allowed)")
        return raw
    if tp is dt.date:
        if isinstance(raw, dt.datetime) or not isinstance(raw, dt.date):
            _fail(ctx, path, raw, "a TOML date such as 2023-11-17")
        return raw
    raise TypeError(f"no parser for {tp!r}")  # a programming error, not bad input


@functools.cache
def _schema(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    return typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)}


def _dataclass(cls: type[T], raw: object, ctx: _Ctx, path: str) -> T:
    if not isinstance(raw, dict):
        _fail(ctx, path, raw, f"a table ({cls.__name__})")
    klass: type = cls  # the same class: mypy does not see that a type[T] is hashable (the cache key)
    hints, fields = _schema(klass)
    for key in raw:
        if key not in fields:
            _fail(ctx, _join(path, key), key, f"a known key: {', '.join(fields)}")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in raw:
            no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if no_default:
                _fail(ctx, _join(path, name), None, "this key to be present")
            continue
        unit = f.metadata.get("unit")  # model.quantity.unit(): the canonical unit the model computes in
        keyed = KEYED_UNITS.get((cls, name))
        values[name] = _build(hints[name], raw[name], ctx, _join(path, name), unit, keyed)
        if name == "id" and hints[name] is str and not is_id(values[name]):  # ids name files and references
            _fail(ctx, _join(path, name), values[name], ID_EXPECTED)
        if name in NAME_FIELDS:  # names and titles head tables and lines: one line each
            texts = values[name] if isinstance(values[name], list) else [values[name]]
            for text in texts:
                if isinstance(text, str) and has_control(text):
                    _fail(ctx, _join(path, name), text, "a name on one line (no newline or tab)")
    return cls(**values)


def _quantity(raw: object, ctx: _Ctx, path: str, canonical: str | None) -> Quantity:
    if canonical is None:
        raise TypeError(f"no unit declared for {path}")
    if not isinstance(raw, dict):
        _fail(ctx, path, raw, "a table {value, unit, source}")
    q = _dataclass(Quantity, raw, ctx, path)
    if q.unit not in UNITS[canonical]:
        _fail(ctx, _join(path, "unit"), q.unit, f"a unit in {accepted(canonical)}")
    if q.source not in ctx.sources:
        _fail(ctx, _join(path, "source"), q.source, f"a key of [sources]: {', '.join(ctx.sources)}")

    def conv(x):
        return None if x is None else to_canonical(x, q.unit, canonical)

    if (q.low is not None and q.low > q.value) or (q.high is not None and q.high < q.value):
        _fail(ctx, path, float(q.value), f"a value between low ({q.low}) and high ({q.high})")
    for end, x in (("value", q.value), ("low", q.low), ("high", q.high)):
        if x is not None and x < 0:
            _fail(ctx, _join(path, end), float(x), "a figure of 0 or more")
    if q.value == 0 and canonical in POSITIVE_UNITS:
        _fail(ctx, _join(path, "value"), 0, f"a positive {canonical} figure")
    return dataclasses.replace(q, value=conv(q.value), unit=canonical, low=conv(q.low), high=conv(q.high))


# units whose figures divide or scale everything downstream: zero is never meaningful
POSITIVE_UNITS = {"mm2", "MHz", "Gbps", "ops/clk", "W", "per cm2"}


# ---- whole data set ------------------------------------------------------------


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(str(folder), "", "(missing)", "a folder of .toml data files")
    return sorted(folder.glob("*.toml"))


def load_catalog(root: Path | None = None) -> Catalog:
    """Read specs/: memory and PCIe tables, dies, SKUs; then check cross-references."""
    root = root or default_data_dir()
    specs = root / "specs"
    table_file = specs / "interfaces.toml"
    raw = read_toml(table_file)
    memory_raw, pcie_raw = raw.get("memory"), raw.get("pcie")
    extra = set(raw) - {"sources", "memory", "pcie"}
    if extra:
        raise InputError(str(table_file), sorted(extra)[0], sorted(extra)[0], "sources, memory or pcie")
    memory: dict[str, c.MemoryTechnology] = {}
    for key, item in (memory_raw or {}).items():
        memory[key] = parse(
            c.MemoryTechnology,
            {**item, "sources": raw.get("sources", {})},
            str(table_file),
            f"memory.{key}",
        )
    pcie: dict[int, c.PcieGeneration] = {}
    for key, item in (pcie_raw or {}).items():
        gen = parse(
            c.PcieGeneration,
            {**item, "sources": raw.get("sources", {})},
            str(table_file),
            f"pcie.{key}",
        )
        pcie[gen.generation] = gen
    dies = _load_many(c.Die, specs / "dies")
    skus = _load_many(c.Sku, specs / "skus")
    catalog = Catalog(dies=dies, skus=skus, memory=memory, pcie=pcie)
    _check_catalog(catalog, specs)
    for die in list(dies.values()):
        for v in package.variants(die):
            if v.id in dies:
                raise InputError(
                    str(specs / "dies" / f"{v.id}.toml"), "id", v.id, "an id not taken by a package variant"
                )
            dies[v.id] = v
    return catalog


def _load_many(cls: type[Identified], folder: Path) -> dict[str, Identified]:
    out: dict[str, Identified] = {}
    for file in _files(folder):
        item = parse(cls, read_toml(file), str(file))
        if item.id in out:
            raise InputError(str(file), "id", item.id, "an id no other file uses")
        out[item.id] = item
    return out


def _check_catalog(cat: Catalog, specs: Path) -> None:  # noqa: C901
    """Cross-file checks: each SKU is a legal configuration of its die."""
    from explorer.model.names import name_key

    seen: dict[str, str] = {}
    for kind, items in (("dies", cat.dies), ("skus", cat.skus)):
        for item in items.values():
            file = str(specs / kind / f"{item.id}.toml")
            for n in {item.id, item.name, *item.aliases}:
                k = name_key(n)
                if k in seen and seen[k] != item.id:
                    raise InputError(file, "aliases", n, f"a name not already used by {seen[k]}")
                seen[k] = item.id
    families: dict[str, list[str]] = {}
    for die in cat.dies.values():
        families.setdefault(name_key(die.family), []).append(die.id)
    for kind, items in (("dies", cat.dies), ("skus", cat.skus)):
        for item in items.values():
            for n in {item.name, *item.aliases}:  # `--base blackwell` means the family, never one of it
                if len(members := families.get(name_key(n), [])) > 1:
                    file = str(specs / kind / f"{item.id}.toml")
                    raise InputError(
                        file, "aliases", n, f"a name that is not the family of {', '.join(members)}"
                    )
    for die in cat.dies.values():
        file = str(specs / "dies" / f"{die.id}.toml")
        for i, t in enumerate(die.throughput):
            if t.sparsity != "dense":
                raise InputError(
                    file,
                    f"throughput[{i}].sparsity",
                    t.sparsity,
                    "'dense' (TPP is defined on dense throughput; halve sparse figures)",
                )
        if die.pcie_generation not in cat.pcie:
            raise InputError(file, "pcie_generation", die.pcie_generation, f"one of {sorted(cat.pcie)}")
        for iface in (die.hbm, die.gddr):
            for tech in iface.technologies if iface else []:
                if tech not in cat.memory:
                    raise InputError(file, "technologies", tech, f"one of {', '.join(cat.memory)}")
        on_dies = sum(d.count * d.units for d in die.logic_dies)
        if on_dies != die.units_full.value:
            raise InputError(
                file,
                "logic_dies.units",
                on_dies,
                f"units per die x count summing to units_full ({die.units_full.value})",
            )
        if die.units_max_enabled.value > die.units_full.value:
            raise InputError(
                file,
                "units_max_enabled",
                die.units_max_enabled.value,
                f"at most units_full ({die.units_full.value})",
            )
        for i, d in enumerate(die.logic_dies):
            if not d.planar:
                _check_estimate(die.sources, d.area_mm2, file, f"logic_dies[{i}].area_mm2")
        _check_package(die, file)
        if die.reference_only is not None and die.reference_only.source not in die.sources:
            raise InputError(file, "reference_only.source", die.reference_only.source, "a key of [sources]")
    for sku in cat.skus.values():
        _check_sku(cat, sku, str(specs / "skus" / f"{sku.id}.toml"))


def _check_package(die: c.Die, file: str) -> None:
    """A [package] names a compute die with units, smaller counts, and per-die shares that add up."""
    for name in ("variant_of", "compute_dies", "package_share"):
        if getattr(die, name) is not None:
            raise InputError(file, name, getattr(die, name), "no such field: it is derived from [package]")
    pkg = die.package
    if pkg is None:
        return
    if pkg.source not in die.sources:
        raise InputError(file, "package.source", pkg.source, "a key of [sources]")
    compute = [d for d in die.logic_dies if d.name == pkg.compute_die and d.units]
    if not compute:
        names = ", ".join(d.name for d in die.logic_dies if d.units)
        raise InputError(file, "package.compute_die", pkg.compute_die, f"a logic die with units: {names}")
    full = compute[0].count
    for n in pkg.counts:
        if not 1 <= n < full:
            raise InputError(
                file, "package.counts", n, f"a count from 1 to {full - 1} (the file's is {full})"
            )
    shares = (
        ("hbm_sites_per_die", die.hbm.sites if die.hbm else None),
        ("links_per_die", die.links.count_max if die.links else None),
    )
    for name, total in shares:
        per = getattr(pkg, name)
        if per is not None and (total is None or per.value * full != total.value):
            expected = (
                f"{total.value / full} ({total.value} over {full} dies)"
                if total
                else "nothing: the die has none"
            )
            raise InputError(file, f"package.{name}", float(per.value), expected)


def _check_estimate(sources: dict[str, Source], q: Quantity | None, file: str, path: str) -> None:
    """An estimated figure that a rule metric reads must carry its plausible range (low and high)."""
    if q is None:
        return
    status = q.status or sources[q.source].status
    if status is Status.ESTIMATED and (q.low is None or q.high is None):
        raise InputError(
            file,
            path,
            float(q.value),
            "low and high (the plausible range) on an estimated figure a rule reads",
        )


def _check_sku_estimates(sku: c.Sku, file: str) -> None:
    """Figures of a SKU that enter TPP, density, bandwidth or I/O."""
    figures = {
        "units_enabled": sku.units_enabled,
        "clock_mhz": sku.clock_mhz,
        "memory.pin_rate_gbps": sku.memory.pin_rate_gbps,
        "memory.stacks": sku.memory.stacks,
        "memory.bus_width_bits": sku.memory.bus_width_bits,
        **{f"rate_limits.{k}": q for k, q in sku.rate_limits.items()},
    }
    if sku.links is not None:
        figures |= {"links.count": sku.links.count, "links.gbps_per_link": sku.links.gbps_per_link}
    for path, q in figures.items():
        _check_estimate(sku.sources, q, file, path)


def _check_sku(cat: Catalog, sku: c.Sku, file: str) -> None:  # noqa: C901
    die = cat.dies.get(sku.die)
    if die is None:
        raise InputError(file, "die", sku.die, f"a die id: {', '.join(cat.dies)}")
    if sku.us_available is not None and sku.us_available.source not in sku.sources:
        raise InputError(
            file,
            "us_available.source",
            sku.us_available.source,
            f"a key of [sources]: {', '.join(sku.sources)}",
        )
    _check_sku_estimates(sku, file)

    def within(field: str, value: Fraction, low: Fraction, high: Fraction) -> None:
        if not low <= value <= high:
            raise InputError(file, field, float(value), f"between {float(low):g} and {float(high):g}")

    within("units_enabled", sku.units_enabled.value, Fraction(1), die.units_full.value)
    within("clock_mhz", sku.clock_mhz.value, die.clock_mhz_min.value, die.clock_mhz_max.value)
    within(
        "power_limit_w",
        sku.power_limit_w.value,
        die.power.limit_w_min.value,
        die.power.limit_w_max.value,
    )
    supported = {t.precision.value for t in die.throughput} | {t.path.value for t in die.throughput}
    for key, q in sku.rate_limits.items():
        if key not in supported:
            raise InputError(
                file,
                f"rate_limits.{key}",
                key,
                f"a precision or path {die.id} runs: {sorted(supported)}",
            )
        within(f"rate_limits.{key}", q.value, Fraction(1, 10**6), Fraction(1))
    if sku.fp32_accumulate_rate is not None:
        within("fp32_accumulate_rate", sku.fp32_accumulate_rate.value, Fraction(1, 10**6), Fraction(1))
    mem = sku.memory
    tech = cat.memory.get(mem.technology)
    iface = die.hbm if tech and tech.kind is c.MemoryKind.HBM else die.gddr
    if tech is None or iface is None or mem.technology not in iface.technologies:
        allowed = [
            *(die.hbm.technologies if die.hbm else []),
            *(die.gddr.technologies if die.gddr else []),
        ]
        raise InputError(file, "memory.technology", mem.technology, f"one {die.id} drives: {allowed}")
    within(
        "memory.pin_rate_gbps",
        mem.pin_rate_gbps.value,
        Fraction(1, 10),
        tech.pin_rate_gbps_max.value,
    )
    if isinstance(iface, c.HbmInterface):  # the technology is HBM, so iface is die.hbm
        if mem.stacks is None or mem.bus_width_bits is not None:
            raise InputError(file, "memory.stacks", None, "stacks (and no bus_width_bits) for HBM")
        within("memory.stacks", mem.stacks.value, Fraction(1), iface.sites.value)
    else:
        if mem.bus_width_bits is None or mem.stacks is not None:
            raise InputError(file, "memory.bus_width_bits", None, "bus_width_bits (and no stacks) for GDDR")
        within(
            "memory.bus_width_bits",
            mem.bus_width_bits.value,
            Fraction(32),
            iface.bus_width_bits_max.value,
        )
        if mem.bus_width_bits.value % 32:
            raise InputError(file, "memory.bus_width_bits", mem.bus_width_bits.value, "a multiple of 32")
    if sku.links is not None:
        if die.links is None:
            raise InputError(file, "links", "links", f"no links: {die.id} has no chip-to-chip links")
        within("links.count", sku.links.count.value, Fraction(0), die.links.count_max.value)
        within(
            "links.gbps_per_link",
            sku.links.gbps_per_link.value,
            Fraction(0),
            die.links.gbps_per_link.value,
        )


def load_destinations(root: Path | None = None) -> DestinationData:
    file = (root or default_data_dir()) / "constraints" / "destinations.toml"
    data = parse(DestinationData, read_toml(file), str(file))
    known = set(data.countries)
    for name, group in data.groups.items():
        for code in group.members:
            if code not in known:
                raise InputError(str(file), f"groups.{name}.members", code, "a code listed in [countries]")
        if group.source not in data.sources:
            raise InputError(str(file), f"groups.{name}.source", group.source, "a key of [sources]")
        dated: list[tuple[str, int, FormerMember | JoinedMember]] = [
            *(("former", i, m) for i, m in enumerate(group.former)),
            *(("joined", i, m) for i, m in enumerate(group.joined)),
        ]
        for part, i, member in dated:
            where = f"groups.{name}.{part}[{i}]"
            if member.source not in data.sources:
                raise InputError(str(file), f"{where}.source", member.source, "a key of [sources]")
            if member.code not in known:
                raise InputError(str(file), f"{where}.code", member.code, "a code listed in [countries]")
    seen: dict[str, str] = {}
    for code, country in data.countries.items():
        if country.source is not None and country.source not in data.sources:
            raise InputError(str(file), f"countries.{code}.source", country.source, "a key of [sources]")
        if country.treated_as and country.treated_as not in known:
            raise InputError(str(file), f"countries.{code}.treated_as", country.treated_as, "a country code")
        if country.treated_as == code or (
            country.treated_as and data.countries[country.treated_as].treated_as is not None
        ):
            raise InputError(
                str(file), f"countries.{code}.treated_as", country.treated_as, "another country, not a chain"
            )
        for name in (code, country.name, *country.aliases):
            key = name_key(name)
            if seen.get(key, code) != code:
                raise InputError(
                    str(file),
                    f"countries.{code}.aliases",
                    name,
                    f"a name no other country uses ({seen[key]})",
                )
            seen[key] = code
    users: dict[str, str] = {}
    for uid, user in data.end_users.items():
        if user.headquarters not in known:
            raise InputError(str(file), f"end_users.{uid}.headquarters", user.headquarters, "a country code")
        if user.source not in data.sources:
            raise InputError(str(file), f"end_users.{uid}.source", user.source, "a key of [sources]")
        for name in (uid, user.name, *user.aliases):
            key = name_key(name)
            if users.get(key, uid) != uid:
                raise InputError(
                    str(file),
                    f"end_users.{uid}.aliases",
                    name,
                    f"a name no other end user uses ({users[key]})",
                )
            users[key] = uid
    return data


def load_rules(root: Path | None = None, destinations: DestinationData | None = None) -> list[RuleSet]:
    """Read every rule set in constraints/ (but destinations.toml) and validate it."""
    root = root or default_data_dir()
    destinations = destinations or load_destinations(root)
    scopes = destinations.scopes()
    rules: dict[str, RuleSet] = {}
    files: dict[str, str] = {}
    for file in _files(root / "constraints"):
        if file.name == "destinations.toml":
            continue
        rule = parse(RuleSet, read_toml(file), str(file))
        if rule.id in rules:
            raise InputError(str(file), "id", rule.id, "an id no other rule set uses")
        _check_rule(rule, str(file), scopes, set(destinations.end_users))
        rules[rule.id] = rule
        files[rule.id] = str(file)
    with_reliefs = [r.id for r in rules.values() if r.reliefs]
    for rule in rules.values():
        for i, relief in enumerate(rule.reliefs):
            for target in relief.relieves:
                if target not in rules:
                    raise InputError(
                        files[rule.id],
                        f"reliefs[{i}].relieves",
                        target,
                        f"a rule set id: {', '.join(rules)}",
                    )
        refs: list[tuple[str, str | None]] = [
            (f"withdrawals[{i}].reliefs_of", x) for i, w in enumerate(rule.withdrawals) for x in w.reliefs_of
        ]
        refs += [(f"charges[{i}].after_relief", ch.after_relief) for i, ch in enumerate(rule.charges)]
        for path, ref in refs:
            if ref is not None and ref not in with_reliefs:
                raise InputError(
                    files[rule.id], path, ref, f"a rule set with reliefs: {', '.join(with_reliefs)}"
                )
    return sorted(rules.values(), key=lambda r: (r.effective_from, r.id))


def check_rule_products(rules: list[RuleSet], catalog: Catalog, root: Path) -> None:
    """Products that rules name must be SKUs of the catalog, so a misspelt id cannot silently never match."""
    for rule in rules:
        for part in ("controls", "reliefs", "charges", "withdrawals"):
            for i, item in enumerate(getattr(rule, part)):
                for j, cond in enumerate(item.facts):
                    if cond.fact is not Fact.PRODUCT:
                        continue
                    for name in [*cond.any_of, *cond.none_of]:
                        if name not in catalog.skus:
                            raise InputError(
                                str(root / "constraints" / f"{rule.id}.toml"),
                                f"{part}[{i}].facts[{j}]",
                                name,
                                f"a SKU id of specs/skus: {', '.join(catalog.skus)}",
                            )


def _check_rule(rule: RuleSet, file: str, scopes: set[str], end_users: set[str]) -> None:
    if rule.effective_until is not None and rule.effective_until <= rule.effective_from:
        raise InputError(
            file,
            "effective_until",
            rule.effective_until.isoformat(),
            f"a date after effective_from ({rule.effective_from})",
        )
    dest = rule.destinations
    for scope in [*dest.include, *dest.exclude, *dest.unless_also, *(a.scope for a in dest.added)]:
        if scope not in scopes:
            raise InputError(file, "destinations", scope, "a country code, a country group or '*'")
    parts: list[tuple[str, Sequence[Control | Relief | Charge]]] = [
        ("controls", rule.controls),
        ("reliefs", rule.reliefs),
        ("charges", rule.charges),
    ]
    for i, w in enumerate(rule.withdrawals):
        if not w.facts:
            raise InputError(
                file, f"withdrawals[{i}].facts", "[]", "at least one fact the withdrawal turns on"
            )
        for j, cond in enumerate(w.facts):
            _check_condition(cond, file, f"withdrawals[{i}].facts[{j}]", scopes, end_users)
    for part, items in parts:
        for i, item in enumerate(items):
            for j, cond in enumerate(item.facts):
                _check_condition(cond, file, f"{part}[{i}].facts[{j}]", scopes, end_users)
            for j, clause in enumerate(item.clauses):
                _check_clause(clause, file, f"{part}[{i}].clauses[{j}]")
            for scope in getattr(item, "outcome", {}):
                if scope not in scopes:
                    raise InputError(
                        file,
                        f"{part}[{i}].outcome",
                        scope,
                        "a country code, a country group or '*'",
                    )
            if isinstance(item, Control) and "*" not in dest.include:
                needed = {*dest.include, *(a.scope for a in dest.added)}
                if "*" not in item.outcome and not needed <= set(item.outcome):
                    missing = sorted(needed - set(item.outcome))
                    raise InputError(
                        file,
                        f"{part}[{i}].outcome",
                        missing[0],
                        "an outcome for every included destination (or '*')",
                    )
            fee = getattr(item, "fee", None)
            if fee is not None and not 0 < fee.percent <= 100:
                raise InputError(file, f"{part}[{i}].fee.percent", float(fee.percent), "between 0 and 100")


def _check_condition(cond: Condition, file: str, path: str, scopes: set[str], end_users: set[str]) -> None:
    """A fact condition names a date (us_available) or exactly one list of values (the others)."""
    if cond.fact is Fact.US_AVAILABLE:
        if cond.on_or_before is None or cond.any_of or cond.none_of:
            raise InputError(file, path, cond.fact.value, "on_or_before = DATE (and no any_of/none_of)")
        return
    if cond.on_or_before is not None or bool(cond.any_of) == bool(cond.none_of):
        raise InputError(file, path, cond.fact.value, "exactly one of any_of or none_of (a non-empty list)")
    if cond.fact is Fact.END_USER_HQ:
        for scope in [*cond.any_of, *cond.none_of]:
            if scope not in scopes or scope == "*":
                raise InputError(file, path, scope, "a country code or a country group")
    if cond.fact is Fact.END_USER:
        for name in [*cond.any_of, *cond.none_of]:
            if name not in end_users:
                valid = ", ".join(sorted(end_users)) or "none"
                raise InputError(file, path, name, f"an end user of destinations.toml [end_users]: {valid}")


def check_references(catalog: Catalog, rules: list[RuleSet], root: Path) -> None:
    """Cross-file references, each error naming the file that holds the mistake."""
    rule_ids = {r.id for r in rules}
    specs = root / "specs"
    for sku in catalog.skus.values():
        file = str(specs / "skus" / f"{sku.id}.toml")
        if sku.derived_from is not None and sku.derived_from not in catalog.skus:
            raise InputError(file, "derived_from", sku.derived_from, "a SKU id of specs/skus")
        if sku.derived_from == sku.id:
            raise InputError(file, "derived_from", sku.derived_from, "another SKU than itself")
        if sku.designed_for is not None and sku.designed_for not in rule_ids:
            raise InputError(file, "designed_for", sku.designed_for, "a rule set id of constraints/")
    prices_file = specs / "economics" / "prices.toml"
    if prices_file.is_file():
        prices = load_prices(root)
        for i, a in enumerate(prices.anchors):
            anchored = catalog.skus.get(a.sku)
            own_die = anchored is not None and (a.borrowed or anchored.die == a.die)
            if anchored is None or not own_die or anchored.datacenter != a.datacenter:
                raise InputError(
                    str(prices_file), f"anchors[{i}].sku", a.sku, f"a SKU of die {a.die} in that market"
                )
            if (
                a.borrowed
                and (a.price_usd.status or prices.sources[a.price_usd.source].status) is not Status.ESTIMATED
            ):
                raise InputError(
                    str(prices_file),
                    f"anchors[{i}].price_usd.status",
                    a.price_usd.status,
                    "estimated (a borrowed anchor prices a die on another die's SKU)",
                )
    measured_file = specs / "calibration" / "measured.toml"
    if measured_file.is_file():
        measured_data = load_measured(root)
        _check_architecture_names(measured_data.setup, catalog, str(measured_file))
        for i, point in enumerate(measured_data.point):
            measured = catalog.skus.get(point.chip)
            if measured is None:
                raise InputError(str(measured_file), f"point[{i}].chip", point.chip, "a SKU id of specs/skus")
            runs = {t.precision for t in catalog.dies[measured.die].throughput}
            if point.precision not in runs:
                raise InputError(
                    str(measured_file),
                    f"point[{i}].precision",
                    point.precision.value,
                    f"a precision {measured.id} runs: {sorted(p.value for p in runs)}",
                )


def _check_architecture_names(setup: Setup, catalog: Catalog, file: str) -> None:
    """setup.own_collectives, setup.fallback, setup.memory_measured and each engine's reference_for name
    architectures of the catalog's dies: a misspelt one would silently take the shared or the pooled fit,
    no measured bandwidth, or the reference engine's step overhead; and an architecture has one reference
    engine."""
    known = {d.architecture for d in catalog.dies.values()}
    expected = "an architecture of specs/dies: " + ", ".join(sorted(known))
    for i, name in enumerate(setup.own_collectives):
        if name not in known:
            raise InputError(file, f"setup.own_collectives[{i}]", name, expected)
    for name, to in setup.fallback.items():
        for given in (name, to):
            if given not in known:
                raise InputError(file, f"setup.fallback.{name}", given, expected)
    for name in setup.memory_measured:
        if name not in known:
            raise InputError(file, f"setup.memory_measured.{name}", name, expected)
    reference: dict[str, str] = {}
    for engine_name, engine in setup.engines.items():
        for i, name in enumerate(engine.reference_for):
            where = f"setup.engines.{engine_name}.reference_for[{i}]"
            if name not in known:
                raise InputError(file, where, name, expected)
            if reference.setdefault(name, engine_name) != engine_name:
                raise InputError(
                    file,
                    where,
                    name,
                    f"an architecture no other engine is reference for ({reference[name]} is)",
                )


def _check_clause(clause: Clause, file: str, path: str) -> None:
    unit = m.METRIC_UNITS.get(clause.metric)
    if unit is None:
        raise InputError(file, f"{path}.metric", clause.metric, f"one of: {', '.join(m.METRIC_UNITS)}")
    if clause.unit != unit:
        raise InputError(file, f"{path}.unit", clause.unit, f"{unit!r} (the unit of {clause.metric})")
    if (unit == "bool") != isinstance(clause.value, bool):
        raise InputError(file, f"{path}.value", clause.value, "true/false" if unit == "bool" else "a number")
    if unit == "bool" and clause.op != "==":
        raise InputError(file, f"{path}.op", clause.op.value, "'==' for a true/false metric")
    if unit != "bool" and clause.value <= 0:
        raise InputError(file, f"{path}.value", float(clause.value), "a positive line (no metric is below 0)")


@functools.lru_cache(maxsize=8)
def load_space_config(root: Path | None = None) -> SpaceConfig:
    """How finely the search steps each knob (specs/spaces/default.toml)."""
    file = (root or default_data_dir()) / "specs" / "spaces" / "default.toml"
    cfg = parse(SpaceConfig, read_toml(file), str(file))
    for name in ("rate_limits", "narrow_rate_limits"):
        for i, r in enumerate(getattr(cfg, name)):
            if not 0 < r <= 1:
                raise InputError(str(file), f"{name}[{i}]", float(r), "a fraction in (0, 1]")
    for i, r in enumerate(cfg.link_rate_fractions):
        if not 0 < r <= 1:
            raise InputError(str(file), f"link_rate_fractions[{i}]", float(r), "a fraction in (0, 1]")
    if not 0 < cfg.units_min_fraction <= 1:
        raise InputError(
            str(file), "units_min_fraction", float(cfg.units_min_fraction), "a fraction in (0, 1]"
        )
    if cfg.clock_step_mhz <= 0 or cfg.gddr_bus_step_bits <= 0:
        raise InputError(str(file), "clock_step_mhz", cfg.clock_step_mhz, "positive steps")
    return cfg


def objective_names(root: Path | None = None) -> list[str]:
    return [f.stem for f in _files((root or default_data_dir()) / "specs" / "objectives")]


def _named_file(kind: str, option: str, name: str, root: Path | None) -> Path:
    """specs/KIND/NAME.toml, or NAME itself when it is the path of a file."""
    folder = (root or default_data_dir()) / "specs" / kind
    if name.endswith(".toml") and Path(name).is_file():
        return Path(name)
    file = folder / f"{name}.toml"
    if not file.is_file():
        names = ", ".join(f.stem for f in _files(folder))
        raise InputError(option, "", name, f"one of: {names} (or the path of a .toml file)")
    return file


def load_workload(name: str, root: Path | None = None) -> Workload:
    """A workload by name (specs/workloads/NAME.toml) or by file path."""
    file = _named_file("workloads", "--workload", name, root)
    w = parse(Workload, read_toml(file), str(file))
    if not 0 <= w.memory_reserve_fraction < 1:
        raise InputError(
            str(file), "memory_reserve_fraction", float(w.memory_reserve_fraction), "a fraction in [0, 1)"
        )
    if w.memory_reserve_of not in RESERVE_OF:
        raise InputError(str(file), "memory_reserve_of", w.memory_reserve_of, "total or free")
    if w.tensor_parallel < 1:
        raise InputError(str(file), "tensor_parallel", w.tensor_parallel, "a positive tensor-parallel group")
    if w.pipeline_parallel < 1:
        raise InputError(str(file), "pipeline_parallel", w.pipeline_parallel, "a positive number of stages")
    m = w.model
    if m.experts or m.experts_per_token or m.expert_parameters or m.moe_layers:
        if not 0 < m.experts_per_token <= m.experts:
            raise InputError(str(file), "model.experts_per_token", m.experts_per_token, "1 to model.experts")
        if not 0 < m.expert_parameters < m.parameters:
            raise InputError(
                str(file),
                "model.expert_parameters",
                m.expert_parameters,
                "a positive share of model.parameters",
            )
        if not 0 < m.moe_layers <= m.layers:
            raise InputError(str(file), "model.moe_layers", m.moe_layers, "1 to model.layers")
    if not 0 <= m.sliding_window_layers <= m.layers:
        raise InputError(
            str(file), "model.sliding_window_layers", m.sliding_window_layers, "0 to model.layers"
        )
    if m.sliding_window < 0 or (m.sliding_window_layers and m.sliding_window < 1):
        raise InputError(str(file), "model.sliding_window", m.sliding_window, "a positive window of tokens")
    if w.expert_parallel and not m.experts:
        raise InputError(str(file), "expert_parallel", True, "a mixture-of-experts model (model.experts)")
    if w.expert_parallel and w.pipeline_parallel > 1:
        raise InputError(str(file), "pipeline_parallel", w.pipeline_parallel, "1 with expert_parallel")
    if w.requests.max_tokens_per_step is not None and w.requests.max_tokens_per_step < 1:
        raise InputError(
            str(file),
            "requests.max_tokens_per_step",
            w.requests.max_tokens_per_step,
            "a positive token budget",
        )
    if w.requests.output_tokens_spread < 1:  # a mean square is never under the squared mean
        raise InputError(
            str(file), "requests.output_tokens_spread", float(w.requests.output_tokens_spread), "at least 1"
        )
    for name in ("input_tokens", "output_tokens", "max_batch"):
        if getattr(w.requests, name) < 1:
            raise InputError(
                str(file), f"requests.{name}", getattr(w.requests, name), "a positive whole number"
            )
    return w


@functools.lru_cache(maxsize=8)
def load_efficiency_table(root: Path | None = None) -> EfficiencyTable:
    """specs/calibration/efficiency.toml, checked: every efficiency in (0, 1]."""
    file = (root or default_data_dir()) / "specs" / "calibration" / "efficiency.toml"
    table = parse(EfficiencyTable, read_toml(file), str(file))
    for name, e in [("default", table.default), *table.architectures.items()]:
        for f in ("prefill_compute", "decode_compute", "memory", "link", "moe_compute", "ep_compute"):
            if not 0 < getattr(e, f) <= 1:
                raise InputError(str(file), f"{name}.{f}", float(getattr(e, f)), "an efficiency in (0, 1]")
        if not 0 <= e.overlap <= 1:
            raise InputError(str(file), f"{name}.overlap", float(e.overlap), "a share in [0, 1]")
        if e.narrow_gain is not None and not 1 <= e.narrow_gain <= 2:
            where, expected = f"{name}.narrow_gain", "a gain over FP8 from 1 (none) to 2 (the peak)"
            raise InputError(str(file), where, float(e.narrow_gain), expected)
    for name, layer_s in table.engine_layer_fixed_s.items():
        if layer_s < 0:
            raise InputError(str(file), f"engine_layer_fixed_s.{name}", float(layer_s), "seconds, at least 0")
    for name, to in table.fallback.items():
        if to not in table.architectures:
            raise InputError(str(file), f"fallback.{name}", to, "an architecture with its own fit")
    for name, bias in table.validated.items():
        for where in ("one_chip", "several_chips"):
            error, runs = getattr(bias, where), getattr(bias, f"{where}_runs")
            if (error is None) != (runs == 0) or runs < 0:
                expected = "an error with its count of runs (at least 1), or neither"
                raise InputError(str(file), f"validated.{name}.{where}_runs", runs, expected)
            if error is not None and error <= -1:
                raise InputError(str(file), f"validated.{name}.{where}", float(error), "an error above -1")
    return table


def load_efficiency(architecture: str | None, root: Path | None = None) -> Efficiency:
    """Fitted efficiencies for an architecture (specs/calibration/efficiency.toml), else its fallback's
    (its vendor's nearest calibrated architecture), else the pooled fit."""
    table = load_efficiency_table(root)
    name = fit_used(architecture, root)
    return table.architectures[name] if name is not None else table.default


def fit_used(architecture: str | None, root: Path | None = None) -> str | None:
    """Whose fit an architecture is valued at: its own, its fallback, or None (the pooled default)."""
    table = load_efficiency_table(root)
    for name in (architecture or "", table.fallback.get(architecture or "", "")):
        if name in table.architectures:
            return name
    return None


def calibrated_architectures(root: Path | None = None) -> dict[str, Efficiency]:
    """The architectures with their own fit (the others fall back to the pooled default)."""
    return dict(load_efficiency_table(root).architectures)


@functools.lru_cache(maxsize=64)
def load_objective(
    name: str, root: Path | None = None, architecture: str | None = None, workload: str | None = None
) -> Objective:
    """A value model by name, resolved with its workload (or `workload`) and the die's efficiencies."""
    file = _named_file("objectives", "--objective", name, root)
    spec = parse(ObjectiveFile, read_toml(file), str(file))
    if spec.tpot_ms is not None and spec.tpot_ms <= 0:
        raise InputError(str(file), "tpot_ms", float(spec.tpot_ms), "a positive time per output token")
    w = load_workload(workload or spec.workload, root)
    skus = {f.stem for f in _files((root or default_data_dir()) / "specs" / "skus")}
    for where, sku in ((str(file), spec.reference_sku), (w.id, w.reference_sku)):
        if sku is not None and sku not in skus:
            raise InputError(where, "reference_sku", sku, f"a SKU in specs/skus/ ({', '.join(sorted(skus))})")
    if spec.ttft_ms is not None and spec.ttft_ms <= 0:
        raise InputError(str(file), "ttft_ms", float(spec.ttft_ms), "a positive time to first token")
    return Objective(
        spec.id,
        spec.title,
        w,
        load_efficiency(architecture, root),
        spec.tpot_ms / 1000 if spec.tpot_ms is not None else None,
        w.reference_sku or spec.reference_sku,
        spec.ttft_ms / 1000 if spec.ttft_ms is not None else None,
        architecture if architecture in calibrated_architectures(root) else None,
    )


@functools.lru_cache(maxsize=8)
def load_costs(root: Path | None = None) -> CostData:
    """Wafer, yield, packaging and board figures (specs/economics/costs.toml)."""
    file = (root or default_data_dir()) / "specs" / "economics" / "costs.toml"
    return parse(CostData, read_toml(file), str(file))


def load_measured(root: Path | None = None) -> Measured:
    """Measured throughput points and how the benchmark ran (specs/calibration/measured.toml)."""
    from explorer.model.measured import SCENARIOS, Measured

    file = (root or default_data_dir()) / "specs" / "calibration" / "measured.toml"
    measured = parse(Measured, read_toml(file), str(file))
    for name, engine in measured.setup.engines.items():
        if engine.kv_memory_of not in RESERVE_OF:
            raise InputError(
                str(file), f"setup.engines.{name}.kv_memory_of", engine.kv_memory_of, "total or free"
            )
        if engine.kv_memory_fraction is not None and not 0 < engine.kv_memory_fraction <= 1:
            where = f"setup.engines.{name}.kv_memory_fraction"
            raise InputError(str(file), where, float(engine.kv_memory_fraction), "a fraction in (0, 1]")
    for name, entry in measured.setup.memory_measured.items():
        if not 0 < entry.share <= 1:
            where = f"setup.memory_measured.{name}.share"
            raise InputError(str(file), where, float(entry.share), "a share of rated bandwidth in (0, 1]")
    for i, name in enumerate(measured.setup.superseded):
        if name not in measured.sources:
            raise InputError(str(file), f"setup.superseded[{i}]", name, "a key of [sources]")
    for i, p in enumerate(measured.point):
        if p.source not in measured.sources:
            raise InputError(str(file), f"point[{i}].source", p.source, "a key of [sources]")
        if p.engine not in measured.setup.engines:
            known = ", ".join(measured.setup.engines) or "(none)"
            where = f"point[{i}].engine"
            raise InputError(str(file), where, p.engine, f"an engine of setup.engines: {known}")
        if p.kv_memory_fraction is not None and not 0 < p.kv_memory_fraction <= 1:
            where = f"point[{i}].kv_memory_fraction"
            raise InputError(str(file), where, float(p.kv_memory_fraction), "a fraction in (0, 1]")
        if p.kv_memory_fraction is None and measured.setup.engines[p.engine].kv_memory_fraction is None:
            where = f"point[{i}].kv_memory_fraction"
            raise InputError(str(file), where, "(none)", f"the run's setting ({p.engine} has no default)")
        if p.output_tokens_spread is not None and p.output_tokens_spread < 1:
            where = f"point[{i}].output_tokens_spread"
            raise InputError(str(file), where, float(p.output_tokens_spread), "at least 1 (E[L^2] / E[L]^2)")
        for key in ("bytes_per_kv", "bytes_per_weight"):
            given = getattr(p, key)
            if given is not None and given <= 0:
                raise InputError(str(file), f"point[{i}].{key}", float(given), "positive bytes")
        if p.scenario not in SCENARIOS:
            raise InputError(str(file), f"point[{i}].scenario", p.scenario, f"one of {', '.join(SCENARIOS)}")
        staged = measured.setup.engines[p.engine].limits_per_stage
        if p.ttft_ms is not None and p.pipeline_parallel > 1 and staged:
            # a prompt's chunks come one a round, each a stage's budget: value.demand counts the group's
            where = f"point[{i}].pipeline_parallel"
            raise InputError(str(file), where, p.pipeline_parallel, f"1 for a TTFT-limited {p.engine} run")
        if p.mean_tpot_ms is not None and not (p.tpot_ms is not None and 0 < p.mean_tpot_ms <= p.tpot_ms):
            where, limit = f"point[{i}].mean_tpot_ms", "the limit tpot_ms" if p.tpot_ms else "a tpot_ms limit"
            raise InputError(str(file), where, float(p.mean_tpot_ms), f"a positive mean within {limit}")
        if p.scenario == "concurrency" and (
            not p.max_batch or p.tpot_ms is not None or p.ttft_ms is not None
        ):
            raise InputError(
                str(file),
                f"point[{i}].scenario",
                p.scenario,
                "a closed-loop point: max_batch (the concurrency) and no tpot_ms or ttft_ms",
            )
    return measured


def load_workloads(root: Path | None = None) -> dict[str, Workload]:
    folder = (root or default_data_dir()) / "specs" / "workloads"
    return {f.stem: load_workload(f.stem, root) for f in _files(folder)}


@functools.lru_cache(maxsize=8)
def load_prices(root: Path | None = None) -> PriceData:
    """Price anchors (specs/economics/prices.toml)."""
    from explorer.model.economics import PriceData

    file = (root or default_data_dir()) / "specs" / "economics" / "prices.toml"
    return parse(PriceData, read_toml(file), str(file))


def load_portfolio(name: str, root: Path | None = None) -> ProductLine:
    """A product line by name (specs/portfolios/NAME.toml) or by file path, its markets checked."""
    from explorer.model.portfolio import ProductLine

    file = _named_file("portfolios", "portfolio", name, root)
    line = parse(ProductLine, read_toml(file), str(file))
    if not line.markets:
        raise InputError(str(file), "markets", [], "at least one [[markets]] table")
    names = [market.name for market in line.markets]
    skus = {f.stem for f in _files((root or default_data_dir()) / "specs" / "skus")}
    for i, market in enumerate(line.markets):
        where = f"markets[{i}]"
        if names.count(market.name) > 1:
            raise InputError(
                str(file), f"{where}.name", market.name, "a name no other market of the file has"
            )
        if market.volume.value <= 0:
            raise InputError(
                str(file), f"{where}.volume", float(market.volume.value), "a positive yearly volume"
            )
        if market.price_usd.value <= 0:
            raise InputError(
                str(file), f"{where}.price_usd", float(market.price_usd.value), "a positive price"
            )
        if market.anchor_sku is not None and market.anchor_sku not in skus:
            raise InputError(str(file), f"{where}.anchor_sku", market.anchor_sku, "a SKU in specs/skus/")
    return line


def scenario_names(root: Path | None = None) -> list[str]:
    folder = (root or default_data_dir()) / "constraints" / "scenarios"
    return [f.stem for f in sorted(folder.glob("*.toml"))] if folder.is_dir() else []


def load_scenario(
    name: str, rules: list[RuleSet], destinations: DestinationData, root: Path | None = None
) -> Scenario:
    """A scenario by id (constraints/scenarios/ID.toml) or by file, checked against the rules it names."""
    from explorer.model.scenarios import SCENARIO_STATUSES, Scenario

    folder = (root or default_data_dir()) / "constraints" / "scenarios"
    file = Path(name) if name.endswith(".toml") and Path(name).is_file() else folder / f"{name}.toml"
    if not file.is_file():
        names = ", ".join(scenario_names(root)) or "(none)"
        raise InputError("--scenario", "", name, f"a scenario id ({names}) or the path of a .toml file")
    where = str(file)
    sc = parse(Scenario, read_toml(file), where)
    allowed = ", ".join(s.value for s in SCENARIO_STATUSES)
    if sc.status not in SCENARIO_STATUSES:
        raise InputError(where, "status", sc.status.value, f"one of: {allowed} (a scenario is never law)")
    if not sc.sources:
        raise InputError(where, "sources", "{}", "at least one source for the scenario")
    by_id = {r.id: r for r in rules}
    scopes = destinations.scopes()
    for i, added in enumerate(sc.add):
        if added.id in by_id:
            raise InputError(where, f"add[{i}].id", added.id, "an id no rule set in constraints/ uses")
        if added.status not in SCENARIO_STATUSES:
            raise InputError(where, f"add[{i}].status", added.status.value, f"one of: {allowed}")
        _check_rule(added, where, scopes, set(destinations.end_users))
    known = {**by_id, **{r.id: r for r in sc.add}}
    for i, added in enumerate(sc.add):
        for j, relief in enumerate(added.reliefs):
            for target in relief.relieves:
                if target not in known:
                    raise InputError(where, f"add[{i}].reliefs[{j}].relieves", target, "a rule set id")
    for i, rid in enumerate(sc.remove):
        if rid not in by_id:
            raise InputError(where, f"remove[{i}]", rid, f"a rule set id: {', '.join(by_id)}")
    parts = {"control": "controls", "relief": "reliefs", "charge": "charges"}
    for i, ch in enumerate(sc.change_line):
        path = f"change_line[{i}]"
        if ch.role not in parts:
            raise InputError(where, f"{path}.role", ch.role, "control, relief or charge")
        items = [
            x
            for x in getattr(_rule(by_id, ch.rule, where, path), parts[ch.role])
            if x.paragraph == ch.paragraph
        ]
        if not items:
            raise InputError(where, f"{path}.paragraph", ch.paragraph, f"a {ch.role} paragraph of {ch.rule}")
        hits = [
            x
            for it in items
            for x in it.clauses
            if x.metric == ch.metric and (ch.op is None or x.op.value == ch.op)
        ]
        if not hits or isinstance(hits[0].value, bool):
            raise InputError(
                where, f"{path}.metric", ch.metric, f"a numeric clause of {ch.rule} {ch.paragraph}"
            )
        if ch.value <= 0:
            raise InputError(where, f"{path}.value", float(ch.value), "a positive line")
    for i, fee_change in enumerate(sc.change_charge):
        path = f"change_charge[{i}]"
        rule = _rule(by_id, fee_change.rule, where, path)
        paid: list[Charge | Relief] = [*rule.charges, *rule.reliefs]
        fees = [x for x in paid if x.paragraph == fee_change.paragraph and x.fee]
        if not fees:
            raise InputError(
                where,
                f"{path}.paragraph",
                fee_change.paragraph,
                f"a charge or fee-carrying relief of {fee_change.rule}",
            )
        if not 0 <= fee_change.percent <= 100:
            raise InputError(where, f"{path}.percent", float(fee_change.percent), "between 0 and 100")
    from explorer.model.scenarios import PARTS

    for i, removal in enumerate(sc.remove_item):
        path = f"remove_item[{i}]"
        if removal.role not in PARTS:
            raise InputError(where, f"{path}.role", removal.role, ", ".join(PARTS))
        held = getattr(_rule(by_id, removal.rule, where, path), PARTS[removal.role])
        if not any(x.paragraph == removal.paragraph for x in held):
            raise InputError(
                where, f"{path}.paragraph", removal.paragraph, f"a {removal.role} paragraph of {removal.rule}"
            )
    for i, condition in enumerate(sc.add_condition):
        path = f"add_condition[{i}]"
        if not any(
            x.paragraph == condition.paragraph for x in _rule(by_id, condition.rule, where, path).reliefs
        ):
            raise InputError(
                where, f"{path}.paragraph", condition.paragraph, f"a relief paragraph of {condition.rule}"
            )
    return sc


def _rule(by_id: dict[str, RuleSet], rid: str, where: str, path: str) -> RuleSet:
    if rid not in by_id:
        raise InputError(where, f"{path}.rule", rid, f"a rule set id: {', '.join(by_id)}")
    return by_id[rid]
