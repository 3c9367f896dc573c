"""The value model: roofline throughput of an LLM serving mix, normalised to the base die.

Each phase rate is a minimum of terms linear in one resource (compute, DRAM
bandwidth, link bandwidth), so the solver can encode it with min-equalities on
scaled integers. Formulas: shared/reference/peers_and_models.md section 4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from explorer.chips import Precision
from explorer.metrics import Metrics
from explorer.quantity import Source

GIGA = 10**9


@dataclass(frozen=True)
class ModelShape:
    name: str
    parameters: int
    layers: int
    d_model: int
    kv_heads: int
    head_dim: int
    bytes_per_weight: Fraction
    bytes_per_kv: Fraction
    bytes_per_activation: Fraction


@dataclass(frozen=True)
class Prefill:
    weight: Fraction
    batch: int
    prompt_tokens: int
    compute_efficiency: Fraction
    memory_efficiency: Fraction


@dataclass(frozen=True)
class Decode:
    weight: Fraction
    batch: int
    context_tokens: int
    compute_efficiency: Fraction
    memory_efficiency: Fraction


@dataclass(frozen=True)
class Communication:
    weight: Fraction


@dataclass(frozen=True)
class Objective:
    """A value model as data (specs/objectives/*.toml)."""

    id: str
    title: str
    precisions: list[Precision]
    tensor_parallel: int
    memory_reserve_fraction: Fraction
    model: ModelShape
    prefill: Prefill
    decode: Decode
    communication: Communication
    sources: dict[str, Source] = field(default_factory=dict)


@dataclass(frozen=True)
class Resources:
    """What the value model reads off a chip."""

    flops: Fraction  # dense FLOP/s at the workload precision
    memory_gbps: Fraction
    link_gbps_one_way: Fraction  # chip-to-chip links and PCIe, one direction
    memory_gb: Fraction


RESOURCES = ("flops", "memory_gbps", "link_gbps_one_way")


def workload_precision(obj: Objective, supported: set[Precision]) -> Precision:
    for p in obj.precisions:
        if p in supported:
            return p
    raise ValueError(f"the die runs none of {[p.value for p in obj.precisions]}")


def resources(metrics: Metrics, obj: Objective) -> Resources:
    p = workload_precision(obj, set(metrics.dense_tflops))
    return Resources(
        metrics.dense_tflops[p] * 10**12,
        metrics.memory_bandwidth_gbps,
        metrics.io_bidirectional_gbps / 2,
        metrics.memory_gb,
    )


def kv_bytes_per_token(obj: Objective) -> Fraction:
    m = obj.model
    return 2 * m.layers * m.kv_heads * m.head_dim * m.bytes_per_kv


def memory_needed_gb(obj: Objective) -> Fraction:
    """Weights plus the decode batch's KV cache, per chip of the tensor-parallel group (4.3)."""
    m, d = obj.model, obj.decode
    total = m.parameters * m.bytes_per_weight + d.batch * d.context_tokens * kv_bytes_per_token(obj)
    return total / obj.tensor_parallel / GIGA


def fits(res: Resources, obj: Objective) -> bool:
    return res.memory_gb * (1 - obj.memory_reserve_fraction) >= memory_needed_gb(obj)


def phase_terms(obj: Objective) -> dict[str, list[tuple[str, Fraction]]]:
    """Each phase's tokens/s as min over (resource, coefficient): rate = min(coef x resource)."""
    m, n = obj.model, obj.tensor_parallel
    weights = m.parameters * m.bytes_per_weight
    kv = kv_bytes_per_token(obj)
    p = obj.prefill
    tokens = p.batch * p.prompt_tokens
    prefill_flops = 2 * m.parameters + 2 * m.layers * p.prompt_tokens * m.d_model  # 4.4
    prefill_bytes = (weights + tokens * kv) / tokens
    d = obj.decode
    step_flops = 2 * m.parameters * d.batch + 4 * m.layers * m.d_model * d.batch * d.context_tokens  # 4.5
    step_bytes = weights + kv * d.batch * d.context_tokens
    allreduce_bytes = 2 * m.layers * Fraction(2 * (n - 1), n) * m.d_model * m.bytes_per_activation  # 4.6
    return {
        "prefill": [
            ("flops", p.compute_efficiency * n / prefill_flops),
            ("memory_gbps", p.memory_efficiency * n * GIGA / prefill_bytes),
        ],
        "decode": [
            ("flops", d.batch * d.compute_efficiency * n / step_flops),
            ("memory_gbps", d.batch * d.memory_efficiency * n * GIGA / step_bytes),
        ],
        "communication": [("link_gbps_one_way", GIGA / allreduce_bytes)],
    }


def weights(obj: Objective) -> dict[str, Fraction]:
    return {
        "prefill": obj.prefill.weight,
        "decode": obj.decode.weight,
        "communication": obj.communication.weight,
    }


def phase_rates(res: Resources, obj: Objective) -> dict[str, Fraction]:
    return {
        phase: min(coef * getattr(res, name) for name, coef in terms)
        for phase, terms in phase_terms(obj).items()
    }


def value(res: Resources, reference: Resources, obj: Objective) -> Fraction:
    """Weighted sum of phase rates, each relative to the reference (0 if the model does not fit)."""
    if not fits(res, obj):
        return Fraction(0)
    rates, ref = phase_rates(res, obj), phase_rates(reference, obj)
    w = weights(obj)
    return sum((w[p] * rates[p] / ref[p] for p in rates if ref[p]), start=Fraction(0))
