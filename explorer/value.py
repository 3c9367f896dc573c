"""The value model: roofline throughput of an LLM serving mix, normalised to the base die.

Each phase rate is a minimum of terms linear in one resource (compute, DRAM
bandwidth, link bandwidth), so the solver can encode it with min-equalities on
scaled integers. Formulas: shared/reference/peers_and_models.md section 4;
efficiencies per architecture are fitted to measured throughput (calibrate.py).
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
    active_parameters: int | None = None  # mixture of experts: parameters used per token
    kv_elements_per_token_per_layer: int | None = None  # latent attention (MLA) caches fewer than 2 x heads

    @property
    def active(self) -> int:
        return self.active_parameters or self.parameters

    @property
    def kv_elements(self) -> int:
        return self.kv_elements_per_token_per_layer or 2 * self.kv_heads * self.head_dim


@dataclass(frozen=True)
class PrefillShape:
    batch: int
    prompt_tokens: int


@dataclass(frozen=True)
class DecodeShape:
    batch: int
    context_tokens: int


@dataclass(frozen=True)
class Workload:
    """A model served one way (specs/workloads/*.toml): precision, tensor parallel, batch, lengths."""

    id: str
    title: str
    model: ModelShape
    precisions: list[Precision]  # runs at the first the die supports
    bytes_per_weight: Fraction
    bytes_per_kv: Fraction
    bytes_per_activation: Fraction
    tensor_parallel: int
    memory_reserve_fraction: Fraction
    prefill: PrefillShape
    decode: DecodeShape
    sources: dict[str, Source] = field(default_factory=dict)


@dataclass(frozen=True)
class PhaseWeights:
    prefill: Fraction
    decode: Fraction
    communication: Fraction


@dataclass(frozen=True)
class ObjectiveFile:
    """A value model as data (specs/objectives/*.toml): a workload and how much each phase counts."""

    id: str
    title: str
    workload: str
    weights: PhaseWeights
    sources: dict[str, Source] = field(default_factory=dict)


@dataclass(frozen=True)
class Efficiency:
    """Achieved share of peak, by phase (fitted per architecture to measured throughput)."""

    prefill_compute: Fraction
    decode_compute: Fraction
    memory: Fraction
    link: Fraction = Fraction(1)


@dataclass(frozen=True)
class Objective:
    """A value model resolved for one architecture: what the search and the reports evaluate."""

    id: str
    title: str
    workload: Workload
    weights: PhaseWeights
    efficiency: Efficiency


@dataclass(frozen=True)
class Resources:
    """What the value model reads off a chip."""

    flops: Fraction  # dense FLOP/s at the workload precision
    memory_gbps: Fraction
    link_gbps_one_way: Fraction  # chip-to-chip links and PCIe, one direction
    memory_gb: Fraction


def workload_precision(w: Workload, supported: set[Precision]) -> Precision:
    for p in w.precisions:
        if p in supported:
            return p
    raise ValueError(f"the die runs none of {[p.value for p in w.precisions]}")


def resources(metrics: Metrics, obj: Objective) -> Resources:
    p = workload_precision(obj.workload, set(metrics.dense_tflops))
    return Resources(
        metrics.dense_tflops[p] * 10**12,
        metrics.memory_bandwidth_gbps,
        metrics.io_bidirectional_gbps / 2,
        metrics.memory_gb,
    )


def weight_bytes(w: Workload) -> Fraction:
    return w.model.parameters * w.bytes_per_weight


def kv_bytes_per_token(w: Workload) -> Fraction:
    return w.model.layers * w.model.kv_elements * w.bytes_per_kv


def memory_needed_gb(obj: Objective) -> Fraction:
    """Weights plus the decode batch's KV cache, per chip of the tensor-parallel group (4.3)."""
    w = obj.workload
    total = weight_bytes(w) + w.decode.batch * w.decode.context_tokens * kv_bytes_per_token(w)
    return total / w.tensor_parallel / GIGA


def fits(res: Resources, obj: Objective) -> bool:
    return res.memory_gb * (1 - obj.workload.memory_reserve_fraction) >= memory_needed_gb(obj)


def phase_terms(obj: Objective) -> dict[str, list[tuple[str, Fraction]]]:
    """Each phase's tokens/s as min over (resource, coefficient): rate = min(coef x resource)."""
    w, e = obj.workload, obj.efficiency
    m, n = w.model, w.tensor_parallel
    weights, kv = weight_bytes(w), kv_bytes_per_token(w)
    p, d = w.prefill, w.decode
    tokens = p.batch * p.prompt_tokens
    prefill_flops = 2 * m.active + 2 * m.layers * p.prompt_tokens * m.d_model  # 4.4
    prefill_bytes = (weights + tokens * kv) / tokens
    step_flops = 2 * m.active * d.batch + 4 * m.layers * m.d_model * d.batch * d.context_tokens  # 4.5
    step_bytes = weights + kv * d.batch * d.context_tokens
    allreduce_bytes = (
        2 * m.layers * Fraction(2 * (n - 1), n) * m.d_model * w.bytes_per_activation if n > 1 else 1
    )
    return {
        "prefill": [
            ("flops", e.prefill_compute * n / prefill_flops),
            ("memory_gbps", e.memory * n * GIGA / prefill_bytes),
        ],
        "decode": [
            ("flops", d.batch * e.decode_compute * n / step_flops),
            ("memory_gbps", d.batch * e.memory * n * GIGA / step_bytes),
        ],
        "communication": [("link_gbps_one_way", e.link * GIGA / allreduce_bytes)],  # 4.6
    }


def weights(obj: Objective) -> dict[str, Fraction]:
    return {
        "prefill": obj.weights.prefill,
        "decode": obj.weights.decode,
        "communication": obj.weights.communication,
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
