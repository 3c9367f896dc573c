"""Shared test helpers."""

from __future__ import annotations

from fractions import Fraction

from explorer.model.facts import Facts
from explorer.model.metrics import Metrics

# a new design on a Hopper-class die: no named product, never sold in the US, buyer not stated
NEW_DESIGN = Facts("NVIDIA", "hopper")


def chip(tpp, area, memory, io, datacenter=True) -> Metrics:
    """A chip's metrics for the checker, from the few numbers the rules read."""
    return Metrics(
        tpp=tpp,
        performance_density=tpp / area,
        memory_bandwidth_gbps=memory,
        memory_gb=Fraction(80),
        memory_type="HBM3",
        memory_bandwidth_density=None,
        io_bidirectional_gbps=io,
        link_bidirectional_gbps=io,
        die_area_mm2=area,
        datacenter=datacenter,
        power_w=Fraction(700),
        dense_tflops={},
    )
