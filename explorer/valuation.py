"""`explore value`: the value model opened up for one SKU or one design, so engineers can check it.

The record says the batch reached and what limits it, each part of the step time
(compute with its prefill share, memory, all-reduce), tokens/s per chip and per
node, the value against the reference SKU, and what each resource is worth at
the margin (the change in tokens/s for 1% more of it).
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path

from explorer import value as v
from explorer.api import Data
from explorer.chips import MemoryKind
from explorer.errors import InputError
from explorer.loader import load_objective
from explorer.reference import reference_rate
from explorer.report import serving_dict
from explorer.space import Design, LinkOption, MemoryOption, to_sku

MARGIN = Fraction(1, 100)
RESOURCES = {
    "flops": "compute (dense FLOP/s at the workload precision)",
    "memory_gbps": "memory bandwidth",
    "memory_gb": "memory capacity",
    "link_gbps_one_way": "chip-to-chip links and PCIe",
}


def margins(res: v.Resources, obj: v.Objective) -> dict[str, float]:
    """Percent change in tokens/s per chip for 1% more of each resource, the others held."""
    base = v.tokens_per_s(res, obj)
    out = {}
    for name in RESOURCES:
        more = dataclasses.replace(res, **{name: getattr(res, name) * (1 + MARGIN)})
        out[name] = round(float((v.tokens_per_s(more, obj) / base - 1) * 100), 3) if base else 0.0
    return out


def record(name: str, metrics, die, data: Data, objective: str) -> dict:
    obj = load_objective(objective, data.root, die.architecture)
    ref = reference_rate(data.catalog, obj, data.root)
    res = v.resources(metrics, obj)
    b = v.breakdown(res, obj)
    return {
        "chip": name,
        "die": die.id,
        "architecture": die.architecture,
        "value_model": obj.id,
        "value": round(float(v.value(res, ref, obj)), 4),
        "serving": serving_dict(res, obj, ref),
        "step": {
            "compute_ms": round(b.compute_s * 1000, 3),
            "of_which_prefill_ms": round(b.prefill_s * 1000, 3),
            "memory_ms": round(b.memory_s * 1000, 3),
            "allreduce_ms": round(b.allreduce_s * 1000, 3),
            "overlap": float(obj.efficiency.overlap),
            "tokens_per_s_exact": round(b.tokens_per_s_exact, 1),
        },
        "resources": {
            "dense_tflops": round(float(res.flops) / 1e12, 1),
            "memory_bandwidth_gbps": round(float(res.memory_gbps), 1),
            "memory_gb": round(float(res.memory_gb), 1),
            "link_gbps_one_way": round(float(res.link_gbps_one_way), 1),
        },
        "percent_per_percent_more": margins(res, obj),
        "efficiency": {k: float(x) for k, x in dataclasses.asdict(obj.efficiency).items()},
    }


def of_sku(chip: str, data: Data, objective: str = "llm-serving") -> dict:
    sku = data.catalog.find_sku(chip)
    return record(sku.id, data.catalog.metrics(sku), data.catalog.dies[sku.die], data, objective)


def of_design(file: str, data: Data, objective: str = "llm-serving") -> dict:
    design = read_design(file, data)
    die = data.catalog.dies[design.die]
    return record(f"{die.id} design", data.catalog.metrics(to_sku(design, die)), die, data, objective)


def read_design(file: str, data: Data) -> Design:
    """A design as the search prints it (a result's `design` object, JSON), checked field by field."""
    path = Path(file)
    if not path.is_file() or path.stat().st_size > 64_000:
        raise InputError("--design", "", file, "a JSON file of at most 64 kB holding a design")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(file, "", "(unparseable)", f"JSON text ({e})") from None
    if isinstance(raw, dict) and isinstance(raw.get("design"), dict):
        raw = raw["design"]
    if not isinstance(raw, dict):
        raise InputError(
            file, "", type(raw).__name__, "an object with die, units, clock_mhz, memory and links"
        )

    def get(obj, key, kind, where=""):
        x = obj.get(key) if isinstance(obj, dict) else None
        ok = isinstance(x, kind) and not isinstance(x, bool) if kind is not bool else isinstance(x, bool)
        if not ok or (isinstance(x, (int, float)) and not isinstance(x, bool) and not 0 <= x <= 1e12):
            raise InputError(
                file,
                where + key,
                x,
                f"a {'number' if kind is not str else 'string'} (see explore --format json)",
            )
        return x

    die_id = get(raw, "die", str)
    if die_id not in data.catalog.dies:
        raise InputError(file, "die", die_id, f"one of: {', '.join(data.catalog.dies)}")
    die = data.catalog.dies[die_id]
    units, clock = get(raw, "units", int), get(raw, "clock_mhz", int)
    if not 1 <= units <= die.units_full.value or clock < 1:
        raise InputError(file, "units", units, f"1 to {die.units_full.value} units and a positive clock")
    mem, links = raw.get("memory"), raw.get("links")
    tech = get(mem, "technology", str, "memory.")
    drives = [t for iface in (die.hbm, die.gddr) if iface is not None for t in iface.technologies]
    if tech not in drives or tech not in data.catalog.memory:
        raise InputError(file, "memory.technology", tech, f"one {die.id} drives: {', '.join(drives)}")
    t = data.catalog.memory[tech]
    pin = Fraction(str(get(mem, "pin_rate_gbps", (int, float), "memory.")))
    cap = Fraction(str(get(mem, "device_capacity_gb", (int, float), "memory.")))
    if t.kind is MemoryKind.HBM:
        stacks = get(mem, "stacks", int, "memory.")
        bits, devices, bus, shell = stacks * t.interface_bits.value, Fraction(stacks), None, False
    else:
        stacks, bus = None, get(mem, "bus_width_bits", int, "memory.")
        shell = bool(mem.get("clamshell", False))
        bits, devices = Fraction(bus), bus / t.interface_bits.value * (2 if shell else 1)
    memory = MemoryOption(tech, t.kind, pin, cap, stacks, bus, shell, bits * pin / 8, devices * cap)
    link = LinkOption(
        get(links, "count", int, "links."), Fraction(str(get(links, "gbps_per_link", (int, float), "links.")))
    )
    rate = Fraction(str(raw.get("tensor_rate_limit", 1)))
    if not 0 < rate <= 1:
        raise InputError(file, "tensor_rate_limit", float(rate), "a fraction in (0, 1]")
    return Design(die.id, units, clock, rate, memory, link, bool(raw.get("datacenter", die.datacenter)))
