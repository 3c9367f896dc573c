"""Fit the value model's efficiencies to measured LLM throughput, and say how well it predicts.

The prediction is the same roofline as the value model, run the way the
benchmark ran (maximum throughput: the largest batch whose KV cache fits). Three
efficiencies per architecture (prefill compute, decode compute, memory) are
fitted on some points by a grid search on squared log error; the held-out
points measure the error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from explorer.catalog import Catalog
from explorer.chips import Precision
from explorer.quantity import Source
from explorer.value import Efficiency, Workload

GRID = np.round(np.arange(0.05, 1.0001, 0.025), 3)


@dataclass(frozen=True)
class Point:
    chip: str
    model: str
    precision: Precision
    tensor_parallel: int
    input_tokens: int
    output_tokens: int
    output_tokens_per_s: Fraction
    source: str


@dataclass(frozen=True)
class Setup:
    kv_memory_fraction: Fraction
    max_batch: int
    bytes_per_kv: Fraction
    held_out_shapes: list[str]
    bytes_per_weight: dict[str, Fraction]


@dataclass(frozen=True)
class Measured:
    point: list[Point]
    setup: Setup
    sources: dict[str, Source] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    point: Point
    architecture: str
    held_out: bool
    predicted: float

    @property
    def error(self) -> float:
        return self.predicted / float(self.point.output_tokens_per_s) - 1


def _inputs(p: Point, catalog: Catalog, workloads: dict[str, Workload], setup: Setup) -> dict[str, float]:
    sku = catalog.find_sku(p.chip)
    metrics = catalog.metrics(sku)
    m = workloads[p.model].model
    n = p.tensor_parallel
    weights = m.parameters * float(setup.bytes_per_weight[p.precision.value])
    kv = m.layers * m.kv_elements * float(setup.bytes_per_kv)
    free = float(metrics.memory_gb) * 1e9 * n - weights
    batch = min(
        setup.max_batch,
        int(free * float(setup.kv_memory_fraction) // (kv * (p.input_tokens + p.output_tokens))),
    )
    context = p.input_tokens + p.output_tokens / 2
    return {
        "batch": max(batch, 0),
        "flops": float(metrics.dense_tflops[p.precision]) * 1e12 * n,
        "bandwidth": float(metrics.memory_bandwidth_gbps) * 1e9 * n,
        "prefill_flops": 2 * m.active * p.input_tokens + 2 * m.layers * p.input_tokens**2 * m.d_model,
        "step_flops": 2 * m.active + 4 * m.layers * m.d_model * context,
        "step_bytes_fixed": weights,
        "step_bytes_per_seq": kv * context,
        "isl": p.input_tokens,
        "osl": p.output_tokens,
    }


def _predict(x: dict[str, float], cp, cd, mem):
    """Output tokens/s at maximum throughput; arrays of efficiencies broadcast."""
    b = x["batch"]
    if b <= 0:
        return np.zeros(np.broadcast(cp, cd, mem).shape)
    prefill = b * x["prefill_flops"] / (cp * x["flops"])
    step = np.maximum(
        b * x["step_flops"] / (cd * x["flops"]),
        (x["step_bytes_fixed"] + b * x["step_bytes_per_seq"]) / (mem * x["bandwidth"]),
    )
    return b * x["osl"] / (prefill + x["osl"] * step)


def _fit(xs: list[dict], measured: list[float]) -> tuple[float, float, float]:
    cp, cd, mem = np.meshgrid(GRID, GRID, GRID, indexing="ij")
    loss = np.zeros(cp.shape)
    for x, y in zip(xs, measured, strict=True):
        loss += np.log(np.maximum(_predict(x, cp, cd, mem), 1e-9) / y) ** 2
    i = np.unravel_index(np.argmin(loss), loss.shape)
    return float(cp[i]), float(cd[i]), float(mem[i])


@dataclass(frozen=True)
class Calibration:
    efficiencies: dict[str, Efficiency]  # by architecture, plus "default" (pooled)
    rows: list[Row]

    def median_error(self, held_out: bool) -> float:
        errs = [abs(r.error) for r in self.rows if r.held_out == held_out]
        return float(np.median(errs)) if errs else float("nan")


def calibrate(measured: Measured, catalog: Catalog, workloads: dict[str, Workload]) -> Calibration:
    """Fit per architecture (and pooled) on the kept points; predict each point with its own fit."""
    setup = measured.setup
    arch = {p.chip: catalog.dies[catalog.find_sku(p.chip).die].architecture for p in measured.point}
    xs = {id(p): _inputs(p, catalog, workloads, setup) for p in measured.point}
    held = {id(p): f"{p.input_tokens}/{p.output_tokens}" in setup.held_out_shapes for p in measured.point}
    fits = {}
    groups = itertools.groupby(sorted(measured.point, key=lambda p: arch[p.chip]), key=lambda p: arch[p.chip])
    for name, pts in [("default", measured.point), *((k, list(g)) for k, g in groups)]:
        train = [p for p in pts if not held[id(p)]]
        cp, cd, mem = _fit([xs[id(p)] for p in train], [float(p.output_tokens_per_s) for p in train])
        fits[name] = Efficiency(Fraction(str(cp)), Fraction(str(cd)), Fraction(str(mem)))
    rows = []
    for p in measured.point:
        e = fits[arch[p.chip]]
        pred = float(_predict(xs[id(p)], float(e.prefill_compute), float(e.decode_compute), float(e.memory)))
        rows.append(Row(p, arch[p.chip], held[id(p)], pred))
    return Calibration(fits, rows)


def efficiency_toml(cal: Calibration) -> str:
    """The fitted efficiencies as the data file the value model reads."""
    import tomli_w

    from explorer.serialize import to_data

    def table(e: Efficiency) -> dict:
        return {k: v for k, v in to_data(e).items() if k != "link"}

    doc = {
        "default": table(cal.efficiencies["default"]),
        "architectures": {k: table(e) for k, e in cal.efficiencies.items() if k != "default"},
        "fit": {
            "how": "grid search (step 0.025) on squared log error of output tokens/s, "
            "measured points in specs/calibration/measured.toml",
            "held_out_median_abs_error": f"{cal.median_error(True):.3f}",
            "fitted_median_abs_error": f"{cal.median_error(False):.3f}",
            "written_by": "explore calibrate --write",
        },
    }
    head = (
        "# Generated by `explore calibrate --write`; do not edit by hand.\n"
        "# source: measured points in specs/calibration/measured.toml (TensorRT-LLM perf-overview).\n"
    )
    return head + tomli_w.dumps(doc)
