"""`explore value`: the value model opened up for one SKU or one design, so engineers can check it.

The record says the batch reached and what limits it, each part of the step time
(compute with its prefill share, memory, all-reduce), tokens/s per chip and per
node, the value against the reference SKU, and what each resource is worth at
the margin (the change in tokens/s for 1% more of it).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, cast

from explorer.calibrate import efficiency_dict
from explorer.load.loader import load_objective, read_json
from explorer.model import value as v
from explorer.model.chips import MemoryKind
from explorer.model.data import Data
from explorer.model.errors import InputError
from explorer.model.numbers import exact
from explorer.model.space import Design, LinkOption, MemoryOption, RateLimit, to_sku
from explorer.report.render import calibration_note_dict
from explorer.report.results import serving_dict
from explorer.search.reference import efficiency_note, reference_rate

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
        "calibration": calibration_note_dict(efficiency_note(metrics, die.architecture, obj, ref, data.root)),
        "serving": serving_dict(b, obj, ref),
        "step": {
            "compute_ms": round(b.compute_s * 1000, 3),
            "of_which_prefill_ms": round(b.prefill_s * 1000, 3),
            "memory_ms": round(b.memory_s * 1000, 3),
            "allreduce_ms": round(b.allreduce_s * 1000, 3),
            "sync_ms": round(b.sync_s * 1000, 3),
            "overlap": float(obj.efficiency.overlap),
            "tokens_per_s_exact": round(b.tokens_per_s_exact, 1),
        },
        "resources": {
            "dense_tflops": round(float(res.flops) / 1e12, 1),
            "power_w": round(float(metrics.power_w), 1),
            "power_share": round(float(metrics.power_share), 4),
            "sustained_clock_share": round(
                float(v.sustained_clock_share(metrics.power_share, obj.efficiency.clock_power_exponent)), 4
            ),
            "memory_bandwidth_gbps": round(float(res.memory_gbps), 1),
            "memory_gb": round(float(res.memory_gb), 1),
            "link_gbps_one_way": round(float(res.link_gbps_one_way), 1),
        },
        "percent_per_percent_more": margins(res, obj),
        "efficiency": efficiency_dict(obj.efficiency),
    }


def of_sku(chip: str, data: Data, objective: str = "llm-serving") -> dict:
    sku = data.catalog.find_sku(chip)
    return record(sku.id, data.catalog.metrics(sku), data.catalog.dies[sku.die], data, objective)


def of_design(file: str, data: Data, objective: str = "llm-serving") -> dict:
    design = read_design(file, data)
    die = data.catalog.dies[design.die]
    rec = record(f"{die.id} design", data.catalog.metrics(to_sku(design, die)), die, data, objective)
    rec["percent_per_knob_step"] = knob_steps(
        design, data, load_objective(objective, data.root, die.architecture)
    )
    return rec


def read_design(file: str, data: Data) -> Design:
    """A design as the search prints it (its JSON, one result or a `design`), checked field by field against
    what its die can hold: units, clock, a memory the die drives at a rate its technology reaches, links."""
    raw = read_json(file, "--design", 64_000)
    if isinstance(raw, dict) and isinstance(raw.get("results"), list):  # a whole search output
        found = [r for r in raw["results"] if isinstance(r, dict) and isinstance(r.get("design"), dict)]
        if len(found) != 1:
            raise InputError(file, "results", len(found), "exactly one result with a design (use --base)")
        raw = found[0]
    if isinstance(raw, dict) and isinstance(raw.get("design"), dict):
        raw = raw["design"]
    if not isinstance(raw, dict):
        raise InputError(
            file, "", type(raw).__name__, "an object with die, units, clock_mhz, memory and links"
        )

    def get(obj, key: str, kind: type, where: str = "") -> Any:
        x = obj.get(key) if isinstance(obj, dict) else None
        ok = isinstance(x, kind) and (kind is bool or not isinstance(x, bool))
        if not ok:
            raise InputError(file, where + key, x, f"a {kind.__name__} (see explore --format json)")
        return x

    def number(obj, key: str, where: str, low: Fraction, high: Fraction, why: str = "") -> Fraction:
        """A figure in [low, high] (low itself excluded when it is 0: a zero rate divides nothing)."""
        x = obj.get(key) if isinstance(obj, dict) else None
        if isinstance(x, bool) or not isinstance(x, int | float):
            raise InputError(file, where + key, x, "a number (see explore --format json)")
        try:
            value = exact(x)
        except ValueError as e:
            raise InputError(file, where + key, x, str(e)) from None
        if not (low < value if low == 0 else low <= value) or value > high:
            span = (
                f"above 0 and at most {float(high):g}" if low == 0 else f"{float(low):g} to {float(high):g}"
            )
            raise InputError(file, where + key, x, f"a number {span}{why}")
        return value

    die_id = get(raw, "die", str)
    if die_id not in data.catalog.dies:
        raise InputError(file, "die", die_id, f"one of: {', '.join(data.catalog.dies)}")
    die = data.catalog.dies[die_id]
    units = int(number(raw, "units", "", Fraction(1), die.units_full.value, f" ({die.id}'s units)"))
    clock = number(
        raw, "clock_mhz", "", die.clock_mhz_min.value, die.clock_mhz_max.value, f" ({die.id}'s clock)"
    )
    if units != get(raw, "units", int) or clock.denominator != 1:
        raise InputError(file, "units", raw.get("units"), "whole units and a whole clock in MHz")
    mem, links = raw.get("memory"), raw.get("links")
    tech = get(mem, "technology", str, "memory.")
    drives = [t for iface in (die.hbm, die.gddr) if iface is not None for t in iface.technologies]
    if tech not in drives or tech not in data.catalog.memory:
        raise InputError(file, "memory.technology", tech, f"one {die.id} drives: {', '.join(drives)}")
    t = data.catalog.memory[tech]
    pin = number(
        mem, "pin_rate_gbps", "memory.", Fraction(0), t.pin_rate_gbps_max.value, f" ({tech}'s top rate)"
    )
    cap = number(mem, "device_capacity_gb", "memory.", Fraction(0), Fraction(1024))
    if t.kind is MemoryKind.HBM:
        assert die.hbm is not None  # the technology is one the die drives, so it has the interface
        stacks = int(
            number(mem, "stacks", "memory.", Fraction(1), die.hbm.sites.value, f" ({die.id}'s sites)")
        )
        bits, devices, bus, shell = stacks * t.interface_bits.value, Fraction(stacks), None, False
    else:
        assert die.gddr is not None
        stacks = None
        bus = int(number(mem, "bus_width_bits", "memory.", Fraction(32), die.gddr.bus_width_bits_max.value))
        if bus % 32:
            raise InputError(file, "memory.bus_width_bits", bus, "a multiple of 32")
        table = cast(dict[str, Any], mem)  # number() above raised unless memory is a table
        shell = table.get("clamshell", False)
        if not isinstance(shell, bool):
            raise InputError(file, "memory.clamshell", shell, "true or false")
        bits, devices = Fraction(bus), bus / t.interface_bits.value * (2 if shell else 1)
    memory = MemoryOption(tech, t.kind, pin, cap, stacks, bus, shell, bits * pin / 8, devices * cap)
    count_max = die.links.count_max.value if die.links else Fraction(0)
    per_link_max = die.links.gbps_per_link.value if die.links else Fraction(0)
    count = get(links, "count", int, "links.")
    if not 0 <= count <= count_max:
        raise InputError(file, "links.count", count, f"0 to {count_max} links ({die.id}'s)")
    per_link = Fraction(0)
    if count:
        per_link = number(links, "gbps_per_link", "links.", Fraction(0), per_link_max, f" ({die.id}'s links)")
    limits = []
    for key in ("tensor_rate_limit", "narrow_rate_limit"):
        limits.append(number({key: raw.get(key, 1)}, key, "", Fraction(0), Fraction(1)))
    market = raw.get("datacenter", die.datacenter)
    if not isinstance(market, bool):
        raise InputError(file, "datacenter", market, "true or false")
    return Design(die.id, units, int(clock), RateLimit(*limits), memory, LinkOption(count, per_link), market)


def knob_steps(design: Design, data: Data, obj: v.Objective) -> dict[str, float]:
    """Percent change in tokens/s per chip for one step up of each knob of a design (the others held).

    A step: one more unit, 15 MHz more, the next tensor-rate limit, the next
    faster memory speed grade of the same fit, one more link. Knobs at their top are left out.
    """
    die = data.catalog.dies[design.die]

    def rate(d: Design) -> Fraction:
        return v.tokens_per_s(v.resources(data.catalog.metrics(to_sku(d, die)), obj), obj)

    base = rate(design)
    steps = {}
    if design.units < die.units_max_enabled.value:
        steps["units +1"] = dataclasses.replace(design, units=design.units + 1)
    if design.clock_mhz + 15 <= die.clock_mhz_max.value:
        steps["clock +15 MHz"] = dataclasses.replace(design, clock_mhz=design.clock_mhz + 15)
    if design.rate_limit.tensor < 1:
        doubled = dataclasses.replace(
            design.rate_limit, tensor=min(Fraction(1), design.rate_limit.tensor * 2)
        )
        steps["tensor rate x2"] = dataclasses.replace(design, rate_limit=doubled)
    mem = design.memory
    faster = mem.pin_rate_gbps * Fraction(9, 8)
    if faster <= data.catalog.memory[mem.technology].pin_rate_gbps_max.value:
        quicker = dataclasses.replace(
            mem, pin_rate_gbps=faster, bandwidth_gbps=mem.bandwidth_gbps * Fraction(9, 8)
        )
        steps["memory pin rate +12.5%"] = dataclasses.replace(design, memory=quicker)
    if die.links is not None and design.links.count < die.links.count_max.value:
        per_link = design.links.gbps_per_link or die.links.gbps_per_link.value
        steps["links +1"] = dataclasses.replace(design, links=LinkOption(design.links.count + 1, per_link))
    return {name: round(float((rate(d) / base - 1) * 100), 3) if base else 0.0 for name, d in steps.items()}
