"""Why a design looks as it does: what it cut from the base die, what it kept, how it differs from a SKU."""

from __future__ import annotations

from fractions import Fraction

from explorer.model.metrics import Metrics
from explorer.model.space import Design

# (label, unit, how to read it off a design's metrics or knobs)
_KNOBS = [
    ("compute units", "", lambda d, m: Fraction(d.units)),
    ("clock", "MHz", lambda d, m: Fraction(d.clock_mhz)),
    ("tensor rate limit", "", lambda d, m: d.rate_limit.tensor),
    ("under-8-bit rate limit", "", lambda d, m: d.rate_limit.narrow),
    ("TPP", "", lambda d, m: m.tpp),
    ("DRAM bandwidth", "GB/s", lambda d, m: m.memory_bandwidth_gbps),
    ("memory", "GB", lambda d, m: m.memory_gb),
    ("chip-to-chip links", "GB/s", lambda d, m: m.link_bidirectional_gbps),
]


def changes(design: Design, metrics: Metrics, base: Design, base_metrics: Metrics) -> list[dict]:
    """Each knob against the unmodified base die: kept, or cut by how much."""
    out = []
    for label, unit, read in _KNOBS:
        new, old = read(design, metrics), read(base, base_metrics)
        if label == "under-8-bit rate limit" and new == old == 1:
            continue  # a die without the knob, or a design that keeps FP4 at full rate: nothing to say
        pct = float((new - old) / old * 100) if old else 0.0
        verdict = "kept" if new == old else ("cut" if new < old else "raised")
        out.append(
            {
                "knob": label,
                "unit": unit,
                "base": round(float(old), 3),
                "design": round(float(new), 3),
                "change_pct": round(pct, 1),
                "verdict": verdict,
            }
        )
    if design.memory.technology != base.memory.technology:
        out.append(
            {
                "knob": "memory type",
                "unit": "",
                "base": base.memory.technology,
                "design": design.memory.technology,
                "change_pct": None,
                "verdict": "changed",
            }
        )
    return out


def against_metrics(metrics: Metrics, other: Metrics) -> list[dict]:
    """The design's headline metrics against another chip's (a shipped SKU)."""
    rows = []
    for label, key in [
        ("TPP", "tpp"),
        ("performance density", "performance_density"),
        ("DRAM bandwidth GB/s", "memory_bandwidth_gbps"),
        ("memory GB", "memory_gb"),
        ("I/O GB/s", "io_bidirectional_gbps"),
    ]:
        a, b = getattr(metrics, key), getattr(other, key)
        if a is None or b is None:
            continue
        rows.append(
            {
                "metric": label,
                "design": float(a),
                "other": float(b),
                "difference_pct": round(float((a - b) / b * 100), 1) if b else None,
            }
        )
    return rows
