"""Measured LLM serving throughput (specs/calibration/measured.toml): what the value model is fitted to."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from explorer.model.chips import Precision
from explorer.model.quantity import Source


@dataclass(frozen=True)
class Point:
    chip: str
    model: str
    precision: Precision
    tensor_parallel: int
    input_tokens: int
    output_tokens: int
    output_tokens_per_s: Fraction  # for all `chips` together
    source: str
    chips: int = 0  # accelerators the throughput is for (0: the tensor-parallel group)
    # offline, server, interactive (MLPerf's), or concurrency: a closed-loop client holding max_batch
    # requests, no latency limit (its chips' pairs also match on the batch and the precision)
    scenario: str = "offline"
    tpot_ms: Fraction | None = None  # the latency limit the run met (none: maximum throughput)
    role: str = "fit"  # fit, or validation (a later round: never fitted)
    system: str = ""
    ttft_ms: Fraction | None = None  # the time-to-first-token limit the run met
    pipeline_parallel: int = 1
    expert_parallel: bool = False  # wide expert parallel with data-parallel attention (value.Workload)
    max_batch: int | None = None  # the engine's batch limit, where the submission states it (else setup's)
    max_tokens_per_step: int | None = None  # the engine's token budget per step, where stated
    # an estimated mean prompt length: its plausible range (the figures are re-measured at both ends)
    input_tokens_range: list[int] | None = None
    bytes_per_kv: Fraction | None = None  # the run's KV cache bytes per element, where not setup's
    bytes_per_weight: Fraction | None = None  # the run's weight bytes per parameter, where not setup's
    engine: str = ""  # the serving engine: a key of setup.engines (how it sizes its KV cache)
    # the run's own KV memory setting, where its configuration is read (else the engine's default share)
    kv_memory_fraction: Fraction | None = None
    # the mean time per output token the run measured (its log), where read: the step time it ran at,
    # which the model targets in place of setup.mean_latency_share of the limit
    mean_tpot_ms: Fraction | None = None
    # the answers' length spread, E[L^2] / E[L]^2 (value.Requests.output_tokens_spread), where read (else 1)
    output_tokens_spread: Fraction | None = None

    @property
    def per_chip(self) -> Fraction:
        return self.output_tokens_per_s / (self.chips or self.tensor_parallel)


SCENARIOS = ("offline", "server", "interactive", "concurrency")


@dataclass(frozen=True)
class Engine:
    """How a serving engine sizes its KV cache: engines differ in what their memory setting is a share of.

    "total": the engine holds weights and cache in that share of the whole memory (vLLM's
    gpu_memory_utilization, SGLang's mem_fraction_static); "free": the cache takes that share of what
    the weights leave (TensorRT-LLM's free_gpu_memory_fraction). A big model on a small memory holds
    far more cache the second way, and a run can fit there that the first way would not hold.
    """

    kv_memory_of: str  # one of value.RESERVE_OF
    # the default share, for runs whose own setting is not read (none: each of its runs must state it)
    kv_memory_fraction: Fraction | None = None
    source: str = ""
    # true: a run's batch and token budget bound each pipeline stage's micro-batch, and as many micro-batches
    # as stages are in flight (TensorRT-LLM), so the group holds pipeline_parallel times the batch
    limits_per_stage: bool = False
    # architectures whose efficiencies are fitted under this engine (their vendor's own); a point another
    # engine serves on one of them pays that engine's own fitted step overhead (calibrate.foreign_engine)
    reference_for: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MemoryMeasured:
    """An architecture's HBM bandwidth as microbenchmarks reach it (STREAM-like copy and triad kernels),
    as a share of its rated peak: independent of the serving points, so the fit can lean on it where
    those points leave the memory efficiency open (calibrate.MEMORY_MEASURED_WEIGHT)."""

    share: Fraction
    measured: str  # what was measured: chips, kernels, figures
    source: str


@dataclass(frozen=True)
class Setup:
    engines: dict[str, Engine]
    max_batch: int
    bytes_per_kv: Fraction
    held_out_shapes: list[str]
    bytes_per_weight: dict[str, Fraction]
    link_efficiency: Fraction = Fraction(3, 4)
    # MLPerf's latency limits are 99th percentiles; runs meet them at a lower mean (the mean TPOT is
    # 0.76-0.87 of the limit in the v5.1 logs where the limit binds): the model targets this share
    # where a run's own mean (Point.mean_tpot_ms) is not read
    mean_latency_share: Fraction = Fraction(1)
    # an architecture without measured points of its own takes this calibrated architecture's fit (its
    # vendor's nearest: the same software stack), not the pooled fit of mostly NVIDIA points
    fallback: dict[str, str] = field(default_factory=dict)
    # architectures whose collectives (link share, all-reduce time) are fitted on their own multi-chip
    # points, not shared with the rest: another vendor's collective library over another fabric
    own_collectives: list[str] = field(default_factory=list)
    # by architecture: its measured share of rated memory bandwidth, which its fitted memory efficiency
    # is pulled toward (an architecture without an entry is pulled only toward the pooled fit; one without
    # fitting points takes its fallback's fit whole)
    memory_measured: dict[str, MemoryMeasured] = field(default_factory=dict)
    # sources whose engines later runs of the same chips and model supersede (an early software date):
    # validation like the rest and in every held-out figure, but left out of what each report says a
    # design's value may be off by today (efficiency.toml [validated])
    superseded: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Measured:
    point: list[Point]
    setup: Setup
    sources: dict[str, Source] = field(default_factory=dict)
