"""The value model: output tokens/s per chip of an LLM served under a latency target.

Serving with in-flight batching (prompt prefill shares each decode step). The
batch is the largest whose KV cache fits in the memory the weights leave and
whose time per output token (TPOT) meets the target. A step costs compute
(decode plus the prompts' prefill), memory traffic (the weights once, every
sequence's KV cache), the tensor-parallel all-reduce over the chip's links, and
a fixed time per all-reduce (launch and synchronisation, two per layer):

    step = max(compute, memory) + overlap x min(compute, memory) + all-reduce + sync

Solved for the batch, tokens/s is a minimum of a few harmonic sums
h(u, v, ...) = 1 / (1/u + 1/v + ...) of rates that are each linear in one
resource or read off the memory or link option. Each harmonic sum is evaluated
on fixed tangent planes (PLANES: never below the exact sum; at most 0.74% above
for two rates and 1.17% for three, where the two planes' errors compound),
so the CP-SAT model, the enumerator and the reports compute the same function.
Derivation: docs in the README ("How the value model works").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from explorer.model.chips import Precision
from explorer.model.metrics import Metrics
from explorer.model.quantity import Source

GIGA = 10**9
# a memory capacity's "GB" is binary, as vendors state it: an "80 GB" H100 is five 16 GiB HBM3 stacks
# (nvidia-smi: 81,559 MiB, 85.5e9 bytes), a "180 GB" B200 shows 183,359 MiB, and a 24 GB HBM3 stack is
# twelve 16 Gbit dies. Weights and caches are counted in bytes, so a capacity in GB is taken as GiB
MEMORY_GB = 2**30

PLANE_DENOMINATOR = 2**16


def _planes() -> tuple[tuple[int, int], ...]:
    """Tangent planes a*u + b*v >= D*h(u, v), touching at u/v = 2^(k/2) for |k| <= 24, and the two axes.

    (a, b) is valid when sqrt(a) + sqrt(b) >= sqrt(D) (Cauchy-Schwarz); b is at
    most one above the smallest such integer, so every plane lies on or above the exact sum.
    """
    d = PLANE_DENOMINATOR
    out = {(d, 0), (0, d)}
    for k in range(-24, 25):
        q = 1 / (1 + 2 ** (k / 2))
        a = round(q * q * d)
        out.add((a, d + a - math.isqrt(4 * d * a)))  # b >= (sqrt(d) - sqrt(a))^2, exactly
    hull: list[tuple[int, int]] = []  # the planes lowest somewhere: rounding makes a few redundant
    for a, b in sorted(out):
        if hull and hull[-1][1] <= b:
            continue  # a larger a and no smaller b: never lowest
        while len(hull) >= 2 and _never_lowest(hull[-2], hull[-1], (a, b)):
            hull.pop()
        hull.append((a, b))
    return tuple(hull)


def _never_lowest(p, q, r) -> bool:
    """As lines in u/v, q (slope between p's and r's) is lowest nowhere: r meets q no left of p meeting q."""
    (ap, bp), (aq, bq), (ar, br) = p, q, r
    return (bq - br) * (aq - ap) >= (bp - bq) * (ar - aq)


PLANES = _planes()


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
    # attention's multiply-accumulates per context token per layer (scores plus values); none: 2 x d_model,
    # as multi-head and grouped-query attention do. MLA decodes absorbed, in its latent (heads x (latent +
    # rope + latent)), and prefills decompressed (heads x (query-key + value head dims))
    decode_attention_width: int | None = None
    prefill_attention_width: int | None = None
    # mixture of experts: the routed experts, read only where a token is routed (0: a dense model)
    experts: int = 0  # routed experts per MoE layer
    experts_per_token: int = 0  # top-k
    expert_parameters: int = 0  # parameters of every routed expert of every layer together
    moe_layers: int = 0  # layers with routed experts (the all-to-alls of expert parallelism)
    # sliding-window attention: these layers attend to, and cache, only the last sliding_window tokens
    # (gpt-oss alternates them with full-attention layers); 0: every layer sees the whole context
    sliding_window_layers: int = 0
    sliding_window: int = 0

    def context_layers(self, context: Fraction | int) -> Fraction:
        """Tokens times layers that a token at this context attends to and the cache holds."""
        full = Fraction(self.layers - self.sliding_window_layers) * context
        return full + self.sliding_window_layers * min(context, self.sliding_window)

    def prefill_pairs(self, isl: int) -> Fraction:
        """Query-key pairs of causal attention over a prompt, summed over layers, as isl^2 a layer
        (twice the isl^2 / 2 pairs); a windowed layer: 2 x w x isl - w^2 once the prompt is longer."""
        w = self.sliding_window
        windowed = isl**2 if isl <= w else 2 * w * isl - w**2
        return Fraction(
            (self.layers - self.sliding_window_layers) * isl**2 + self.sliding_window_layers * windowed
        )

    @property
    def active(self) -> int:
        return self.active_parameters or self.parameters

    @property
    def active_expert_parameters(self) -> Fraction:
        """Routed expert parameters one token uses: top-k of the experts."""
        return (
            Fraction(self.expert_parameters * self.experts_per_token, self.experts)
            if self.experts
            else Fraction(0)
        )

    @property
    def dense_parameters(self) -> int:
        """Parameters every token uses and every step reads: all but the routed experts."""
        return self.parameters - self.expert_parameters

    @property
    def decode_width(self) -> int:
        return self.decode_attention_width or 2 * self.d_model

    @property
    def prefill_width(self) -> int:
        return self.prefill_attention_width or 2 * self.d_model

    @property
    def kv_elements(self) -> int:
        return self.kv_elements_per_token_per_layer or 2 * self.kv_heads * self.head_dim


@dataclass(frozen=True)
class Requests:
    """The request mix: mean prompt and output lengths, and the engine's batch limit."""

    input_tokens: int
    output_tokens: int
    max_batch: int  # sequences in flight per model-parallel group (every pipeline stage's micro-batch)
    # the engine's token budget per step (chunked prefill: decode tokens plus prompt chunks); none: no budget
    max_tokens_per_step: int | None = None
    # the answers' mean square length over their squared mean, E[L^2] / E[L]^2 (1: all one length): a
    # long answer is in flight longer and generates more tokens, each at a longer context
    output_tokens_spread: Fraction = Fraction(1)


RESERVE_OF = ("total", "free")  # what a memory reserve (or an engine's memory share) is a share of


@dataclass(frozen=True)
class Workload:
    """A model served one way (specs/workloads/*.toml): precision, tensor parallel, request mix."""

    id: str
    title: str
    model: ModelShape
    precisions: list[Precision]  # runs at the first the die supports
    bytes_per_weight: Fraction
    bytes_per_kv: Fraction
    bytes_per_activation: Fraction
    tensor_parallel: int
    memory_reserve_fraction: Fraction
    requests: Requests
    reference_sku: str | None = None  # the yardstick where the objective's cannot serve this workload
    sources: dict[str, Source] = field(default_factory=dict)
    # wide expert parallelism with data-parallel attention (DeepSeek-style): each chip holds the dense
    # weights and serves its own sequences' attention (KV cache not replicated), the routed experts are
    # spread over the group and reached by an all-to-all; false: every layer tensor parallel
    expert_parallel: bool = False
    pipeline_parallel: int = 1  # stages; the group is tensor_parallel x pipeline_parallel chips
    # what the reserve is a share of: "total", the whole memory (vLLM, SGLang: the engine keeps weights
    # and cache within 1 - reserve of it); "free", what the weights leave (TensorRT-LLM: the cache takes
    # 1 - reserve of that)
    memory_reserve_of: str = "total"  # one of RESERVE_OF

    @property
    def chips(self) -> int:
        return self.tensor_parallel * self.pipeline_parallel


@dataclass(frozen=True)
class ObjectiveFile:
    """A value model as data (specs/objectives/*.toml): a workload, a latency target, a yardstick."""

    id: str
    title: str
    workload: str
    reference_sku: str  # its tokens/s per chip is value 1
    tpot_ms: Fraction | None = None  # time per output token target; none: maximum throughput
    sources: dict[str, Source] = field(default_factory=dict)
    ttft_ms: Fraction | None = None  # time to first token target; none: no target


@dataclass(frozen=True)
class Efficiency:
    """Achieved shares of peak and the compute/memory overlap, fitted per architecture (calibrate.py)."""

    prefill_compute: Fraction
    decode_compute: Fraction
    memory: Fraction
    link: Fraction = Fraction(1)  # tensor-parallel communication: achieved share of link bandwidth
    overlap: Fraction = Fraction(0)  # share of the shorter of compute and memory time not hidden
    # sustained clock = power share ** this, for a SKU limited below what its clock draws (0: none)
    clock_power_exponent: Fraction = Fraction(0)
    # seconds each tensor-parallel all-reduce costs whatever its size (launch, synchronisation)
    allreduce_latency_s: Fraction = Fraction(0)
    # routed-expert (MoE) layers' compute efficiency as a share of the dense layers' (grouped GEMMs
    # of a few tokens per expert, load imbalance)
    moe_compute: Fraction = Fraction(1)
    # realised low-precision rate: what an FP4, FP6 or INT4 model gains over FP8 on a die whose narrow
    # peak is twice its FP8 (B200, MI355X); part of the work (attention, activations, the KV cache,
    # scaling) stays at FP8, so other dies gain by the same share of the work (narrow_share); none: the peak
    narrow_gain: Fraction | None = None
    # compute efficiency of a step served expert parallel (value.Workload.expert_parallel) as a share of
    # the same step's tensor parallel: grouped GEMMs of a few tokens per expert, load imbalance across the
    # ranks, all-to-all waits, all growing with the tokens a step routes; only such workloads pay it
    ep_compute: Fraction = Fraction(1)
    # seconds each layer costs a step whatever its batch (kernel launches, kernels too small to fill the
    # chip), on one chip too
    layer_fixed_s: Fraction = Fraction(0)


@dataclass(frozen=True)
class Objective:
    """A value model resolved for one architecture: what the search and the reports evaluate."""

    id: str
    title: str
    workload: Workload
    efficiency: Efficiency
    tpot_s: Fraction | None = None
    reference_sku: str = "h100-sxm"
    ttft_s: Fraction | None = None  # time to first token target
    # which architecture's fitted efficiencies these are; none: the pooled default (no calibration)
    calibrated_as: str | None = None


@dataclass(frozen=True)
class EfficiencyNote:
    """Whose fitted efficiencies a value rests on, and, without a fit of its own, how far it could move."""

    architecture: str
    calibrated: bool  # its architecture has measured points of its own (specs/calibration/efficiency.toml)
    points: int = 0  # measured points its architecture was fitted on
    # without a fit of its own: the value under each calibrated architecture's efficiencies, lowest and
    # highest (relative to the reference SKU, before fees)
    low: Fraction | None = None
    high: Fraction | None = None
    # without a fit of its own: the calibrated architecture whose fit it takes (its vendor's nearest,
    # specs/calibration/measured.toml setup.fallback); none: the pooled default
    fit: str | None = None
    # the fit's median signed error on its architecture's validation runs (never fitted) served as the
    # objective is, on one chip or on several; none: no such run
    validated_error: Fraction | None = None
    validated_runs: int = 0
    several_chips: bool = False
    # whose runs those are: its own architecture's, or, without runs of its own, those of the fit it takes
    validated_on: str = ""

    def validated(self) -> str:
        """What the independent runs say of the value: '' where there are none."""
        if self.validated_error is None:
            return ""
        where = "several chips" if self.several_chips else "one chip"
        way = "over" if self.validated_error > 0 else "under"
        runs = f"{self.validated_runs} run{'s' * (self.validated_runs != 1)}"
        whose = self.validated_on or self.architecture
        return (
            f"; on {where} the model {way}-predicts {whose}'s validation runs (never fitted) by a"
            f" median {float(self.validated_error):+.0%} ({runs})"
        )

    def describe(self) -> str:
        if self.calibrated:
            points = f"{self.points} measured point{'s' * (self.points != 1)}"
            return f"{self.architecture}: fitted on {points}{self.validated()}"
        span = (
            f"; the value would be {float(self.low):.3f}-{float(self.high):.3f} under the calibrated"
            " architectures' fits"
            if self.low is not None and self.high is not None
            else ""
        )
        fit = (
            f"{self.fit}'s fit, its vendor's nearest calibrated architecture"
            if self.fit
            else "the pooled default fit"
        )
        return f"{self.architecture}: no measured point ({fit}){span}{self.validated()}"


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


def sustained_clock_share(power_share: Fraction, exponent: Fraction) -> Fraction:
    """The clock a power-limited chip sustains, as a share of its rated clock (rounded down to 2^-20).

    Dynamic power goes as clock x voltage^2 and voltage falls with clock, so the
    clock falls as a power of the power share: exponent 1/3 (cube law) to 1/2;
    the calibration fits it. Designs draw what the power model says: share 1.
    """
    if power_share >= 1 or not exponent:
        return Fraction(1)
    return Fraction(math.floor(float(power_share) ** float(exponent) * 2**20), 2**20)


NARROW = frozenset({Precision.FP4, Precision.FP6, Precision.INT4})


def realised_ops(ops: dict[Precision, Fraction], p: Precision, e: Efficiency) -> Fraction:
    """The dense rate a workload at precision p realises: for a narrow precision, narrow_share(e) of the
    work at its rate and the rest at FP8's, 1 / (share / narrow + (1 - share) / FP8).

    FP4 GEMMs reach their peak, but attention, activations and the KV cache of an
    FP4 checkpoint stay in FP8 and the scales cost work: measured FP4 serving
    gains less than the FP4 peak over FP8 (README, "The value model"). As time
    spent (Amdahl), not as a cap on the rate: a die with a larger FP4 peak over the
    same FP8 (B300 over B200) still gains from it. The rules read the peak; only
    the value reads this.
    """
    x = ops[p]
    if p in NARROW and e.narrow_gain is not None and Precision.FP8 in ops and x > ops[Precision.FP8]:
        share = narrow_share(e.narrow_gain)
        return 1 / (share / x + (1 - share) / ops[Precision.FP8])
    return x


def narrow_share(gain: Fraction) -> Fraction:
    """The share of a narrow-precision model's work at the narrow rate that gains `gain` over FP8 where
    that rate is twice FP8's: 1 / gain = share / 2 + (1 - share)."""
    return 2 * (1 - 1 / gain)


def resources(metrics: Metrics, obj: Objective) -> Resources:
    p = workload_precision(obj.workload, set(metrics.dense_tflops))
    clock = sustained_clock_share(metrics.power_share, obj.efficiency.clock_power_exponent)
    return Resources(
        realised_ops(metrics.dense_tflops, p, obj.efficiency) * 10**12 * metrics.fp32_accumulate_rate * clock,
        metrics.memory_bandwidth_gbps,
        metrics.io_bidirectional_gbps / 2,
        metrics.memory_gb,
    )


@dataclass(frozen=True)
class Demand:
    """What one output token and one sequence cost, for the whole model (efficiencies folded in)."""

    flop_per_token: Fraction  # decode plus its share of prefill, each over its compute efficiency
    prefill_flop_per_token: Fraction  # the prefill part alone (for the breakdown)
    weight_bytes: Fraction  # held by the group (replicated dense weights counted on every chip)
    kv_read_per_seq: Fraction  # bytes read per step per sequence, at the mean context
    # bytes held per sequence in flight: a paged cache grows with the sequence (vLLM allocates on demand,
    # trtllm-bench schedules MAX_UTILIZATION), so the batch spread over its answers holds the mean context
    kv_held_per_seq: Fraction
    link_bytes_per_token: Fraction  # per chip per output token over the link efficiency (0: one chip)
    sync_s: Fraction  # per step: the fixed time of the collectives (0: one chip) and of the layers
    memory_efficiency: Fraction
    overlap: Fraction
    chips: int  # the model-parallel group: tensor x pipeline parallel
    reserve: Fraction
    max_batch: Fraction  # the engine's limit, and its token budget per step over the tokens a sequence brings
    tpot_s: Fraction | None  # the step-time target: TPOT, or what the TTFT target leaves, the smaller
    # weights read per step: the dense part always, the routed experts where a token of the step goes
    # (every step reads them once per pipeline stage's micro-batch)
    dense_read_bytes: Fraction = Fraction(0)
    expert_read_bytes: Fraction = Fraction(0)  # every routed expert, were all of them hit
    expert_miss: float = 1.0  # chance a token leaves one expert untouched: 1 - top-k / experts
    # a sequence's routed tokens per step, as the share of experts a step touches counts them: its decode
    # token and its prompt's chunks (see demand)
    tokens_per_seq_step: Fraction = Fraction(1)
    kv_full_per_seq: Fraction = Fraction(0)  # bytes one sequence holds at its last token
    reserve_of: str = "total"  # Workload.memory_reserve_of


def _routed_tokens_per_seq_step(m: ModelShape, isl: int, osl: int, budget: int | None) -> Fraction:
    """Tokens a sequence routes per step, as 1 - miss^(batch x this) counts the share of experts a step
    touches: its decode token, and its prompt's prefill, which comes in chunks of the step's token
    budget (the whole prompt where there is none), chunks/osl of them a step.

    A chunk's tokens reach most experts at once, so a step either carries one (and reads nearly every
    expert) or not: with the chunks a step carries Poisson-distributed, the expected share untouched is
    miss^batch x exp(-batch x chunks x (1 - miss^chunk) / osl). Spreading the prompt's tokens evenly over
    the answer's steps instead (1 + isl/osl tokens a step) would have a few long-prompt sequences read
    most of DeepSeek's 256 experts on every step.
    """
    if not m.experts:
        return Fraction(1)
    miss = 1 - m.experts_per_token / m.experts
    chunks = -(-isl // (budget or isl)) if isl else 0
    reached = 1 - miss ** (isl / chunks) if chunks else 0.0
    return 1 + Fraction(chunks * reached / (-math.log(miss) * osl)) if 0 < miss < 1 else Fraction(1)


def demand(obj: Objective) -> Demand:
    """Formulas: the README's "The value model" (a roofline serving step), with the request mix's mean
    lengths."""
    w, e, m = obj.workload, obj.efficiency, obj.workload.model
    tp, pp = w.tensor_parallel, w.pipeline_parallel
    n, isl, osl = w.chips, w.requests.input_tokens, w.requests.output_tokens
    # the context a generated token sees, and a sequence in flight holds, on average: answers of varying
    # length L weight each by its L tokens, so the mean is isl + E[L^2] / (2 E[L])
    mean_context = isl + osl * w.requests.output_tokens_spread / 2
    experts = 2 * m.active_expert_parameters  # routed-expert FLOPs per token, at the MoE efficiency
    dense = 2 * m.active - experts
    attended = m.context_layers(mean_context)  # tokens x layers a decoded token attends over and caches
    decode_rest = 2 * m.decode_width * attended  # attention over the context
    # causal attention over the prompt: position i attends to i tokens, about isl^2 / 2 in all
    prefill_rest = m.prefill_width * m.prefill_pairs(isl)
    moe = e.moe_compute
    decode = (dense + decode_rest) / e.decode_compute + experts / (e.decode_compute * moe)
    prefill = Fraction((dense + experts / moe) * isl + prefill_rest, osl) / e.prefill_compute
    if w.expert_parallel and n > 1:
        decode, prefill = decode / e.ep_compute, prefill / e.ep_compute
    if w.expert_parallel:
        replicas = 1  # data-parallel attention: a sequence's cache lives on one chip
    elif m.kv_elements_per_token_per_layer is None:
        replicas = max(1, tp // m.kv_heads)
    else:
        replicas = tp  # a latent cache is not split by heads: every tensor-parallel chip holds it
    kv_layer = m.kv_elements * w.bytes_per_kv * replicas  # a token's cache in one layer
    kv_at_mean = kv_layer * attended  # a sequence's cache at the mean context
    tokens_per_output = Fraction(isl + osl, osl)  # every prompt token crosses the collectives too
    act = m.d_model * w.bytes_per_activation * tokens_per_output
    dense_copies = n if w.expert_parallel else 1
    if w.expert_parallel and n > 1:
        # all-to-all dispatch and combine per MoE layer, to the distinct remote chips holding a token's
        # experts: (n - 1) x (1 - (1 - 1/n)^k), each chip sending its share of the group's tokens
        remote = (n - 1) * (1 - Fraction(n - 1, n) ** m.experts_per_token)
        link = 2 * m.moe_layers * remote * act / n
        collectives = 2 * m.moe_layers
    else:
        link = 2 * Fraction(m.layers, pp) * Fraction(2 * (tp - 1), tp) * act  # ring all-reduce, two per layer
        collectives = 2 * m.layers if tp > 1 else 0
    tau = tokens_per_output  # tokens a sequence brings to each step: one decoded, its prompt's share
    cap = Fraction(w.requests.max_batch)
    if w.requests.max_tokens_per_step is not None:
        cap = min(cap, w.requests.max_tokens_per_step / tau)
    tpot = obj.tpot_s
    if obj.ttft_s is not None:
        # a prompt is prefilled in chunks of the step's token budget, one chunk a step, and waits a step
        steps = 1 + (Fraction(isl, w.requests.max_tokens_per_step) if w.requests.max_tokens_per_step else 1)
        tpot = min(tpot, obj.ttft_s / steps) if tpot is not None else obj.ttft_s / steps
    routed = _routed_tokens_per_seq_step(m, isl, osl, w.requests.max_tokens_per_step)
    return Demand(
        flop_per_token=decode + prefill,
        prefill_flop_per_token=prefill,
        weight_bytes=(m.dense_parameters * dense_copies + m.expert_parameters) * w.bytes_per_weight,
        kv_read_per_seq=kv_at_mean,
        kv_held_per_seq=kv_at_mean,
        kv_full_per_seq=kv_layer * m.context_layers(isl + osl),
        link_bytes_per_token=link / e.link if n > 1 else Fraction(0),
        sync_s=(collectives * e.allreduce_latency_s if n > 1 else Fraction(0)) + m.layers * e.layer_fixed_s,
        memory_efficiency=e.memory,
        overlap=e.overlap,
        chips=n,
        reserve=w.memory_reserve_fraction,
        reserve_of=w.memory_reserve_of,
        max_batch=cap,
        tpot_s=tpot,
        dense_read_bytes=m.dense_parameters * dense_copies * w.bytes_per_weight * pp,
        expert_read_bytes=m.expert_parameters * w.bytes_per_weight * pp,
        expert_miss=1 - m.experts_per_token / m.experts if m.experts else 1.0,
        tokens_per_seq_step=routed,
    )


def batch_cap(d: Demand, memory_gb: Fraction) -> Fraction:
    """Sequences the group's memory holds after the weights (mean batch, so not rounded), engine-capped;
    none where one sequence at its full length does not fit."""
    whole = d.chips * memory_gb * MEMORY_GB
    if d.reserve_of == "free":
        free = (whole - d.weight_bytes) * (1 - d.reserve)
    else:
        free = whole * (1 - d.reserve) - d.weight_bytes
    if free < d.kv_full_per_seq:
        return Fraction(0)
    return min(d.max_batch, free / d.kv_held_per_seq)


def memory_floor_gb(obj: Objective) -> Fraction:
    """Per chip: the least memory that holds the weights and one sequence at its full length, the
    reserve taken the workload's way (batch_cap is positive from here up)."""
    d = demand(obj)
    if d.reserve_of == "free":
        return (d.weight_bytes + d.kv_full_per_seq / (1 - d.reserve)) / d.chips / MEMORY_GB
    return (d.weight_bytes + d.kv_full_per_seq) / (1 - d.reserve) / d.chips / MEMORY_GB


TANGENT_STEPS = 48  # bisection steps for the tangent batch (floats; the same in the vectorised fit)


def tangent_batch(d_read, e_read, miss, tau, kv, bw_group, sync, tpot, cap):
    """The batch a memory-bound step reaches within the step-time target (capped), by bisection.

    Floats or numpy arrays (the fit's grid) alike, with the same operations in the same order,
    so the search's tables and the fit's vectorised model read one number.
    """
    import numpy as np

    def over(b):
        return (d_read + e_read * (1 - miss ** (b * tau)) + b * kv) / bw_group + sync - tpot

    lo, hi = np.zeros_like(cap), cap
    fits = over(hi) <= 0
    for _ in range(TANGENT_STEPS):
        mid = (lo + hi) / 2
        ok = over(mid) <= 0
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    return np.where(fits, cap, lo)


def weights_read(d: Demand, memory_gbps: Fraction, memory_gb: Fraction) -> tuple[Fraction, Fraction]:
    """Weights read per step as w0 + w1 x batch: for a mixture of experts, the tangent at the batch a
    memory-bound step reaches (the expected share of experts a step's decode tokens touch,
    1 - miss^(batch x tokens), is concave in the batch, so the tangent is exact there and above it
    elsewhere); dense: (weights, 0).
    """
    if not d.expert_read_bytes:
        return d.dense_read_bytes, Fraction(0)
    cap = batch_cap(d, memory_gb)
    bw = d.chips * float(d.memory_efficiency) * float(memory_gbps) * 1e9  # as the fit's arrays compute it
    tau, miss = float(d.tokens_per_seq_step), d.expert_miss
    if d.tpot_s is None or cap <= 0 or not bw:
        b = max(float(cap), 0.0)
    else:
        b = float(
            tangent_batch(
                float(d.dense_read_bytes),
                float(d.expert_read_bytes),
                miss,
                tau,
                float(d.kv_read_per_seq),
                bw,
                float(d.sync_s),
                float(d.tpot_s),
                float(cap),
            )
        )
    b = math.floor(b * 1024) / 1024
    hit = 1 - miss ** (b * tau)  # the share of experts a step touches
    slope = -math.log(miss) * tau * miss ** (b * tau) if 0 < miss < 1 else 0.0
    e = d.expert_read_bytes
    return d.dense_read_bytes + e * Fraction(hit - slope * b), e * Fraction(slope)


# --- the throughput as pieces: what the solver tables are built from ---------------------------
#
# A rate is flops x a coefficient, or a function of the memory option or of the link option;
# a piece may be scaled by a latency factor of the memory option.


@dataclass(frozen=True)
class Rate:
    """One argument of a harmonic sum, in tokens/s per chip."""

    kind: str  # "flops", "memory" or "link"
    per_flop: Fraction = Fraction(0)  # kind flops: tokens/s per FLOP/s
    of: str = ""  # kind memory or link: which function of the option (see rate_value)


@dataclass(frozen=True)
class Piece:
    """A harmonic sum of rates, times a latency factor of the memory option; the value is the least piece."""

    rates: tuple[Rate, ...]
    name: str
    scaled_by: str | None = None  # "A1" or "A2": see latency_factor


def pieces(obj: Objective) -> list[Piece]:
    """The throughput as min over pieces (see the module docstring); terms of infinite rate are left out."""
    d = demand(obj)
    phi, comm = d.overlap, d.link_bytes_per_token > 0
    z = (Rate("link", of="z"),) if comm else ()
    x = Rate("flops", per_flop=1 / d.flop_per_token)
    x_phi = (Rate("flops", per_flop=1 / (phi * d.flop_per_token)),) if phi else ()
    # at the batch memory allows: step = (compute + phi x memory) or (memory + phi x compute), plus comm
    # and sync; the sync time rides in the memory rate (both depend on the memory option alone), so a
    # piece keeps at most three arguments and the planes their 1.2% bound (four would allow 1.6%)
    y_phi = (Rate("memory", of="y_cap/phi"),) if phi or d.sync_s else ()
    out = [
        Piece((x, *y_phi, *z), "memory-capped batch, compute-bound step"),
        Piece((*x_phi, Rate("memory", of="y_cap"), *z), "memory-capped batch, memory-bound step"),
    ]
    if d.tpot_s is None:
        return out
    # at the batch the latency target allows: tokens/s = batch / TPOT, less the weights' read and sync time
    v_phi = (Rate("memory", of="v/phi"),) if phi else ()
    out.append(Piece((x, *v_phi, *z), "latency-capped batch, compute-bound step", "A1"))
    out.append(Piece((*x_phi, Rate("memory", of="v"), *z), "latency-capped batch, memory-bound step", "A2"))
    return out


def latency_factor(d: Demand, which: str, memory_gbps: Fraction, memory_gb: Fraction) -> Fraction:
    """The share of the TPOT target left after the sync time and the weights' read (A1: overlapped share)."""
    if not memory_gbps or d.tpot_s is None:
        return Fraction(0)
    w0, _ = weights_read(d, memory_gbps, memory_gb)
    weights_s = w0 / (d.chips * d.memory_efficiency * memory_gbps * GIGA)
    share = d.overlap if which == "A1" else Fraction(1)
    return max(Fraction(0), 1 - (share * weights_s + d.sync_s) / d.tpot_s)


def rate_value(d: Demand, r: Rate, res: Resources) -> Fraction:
    """One rate of a piece for a chip's resources, in tokens/s per chip (exact)."""
    bw = d.memory_efficiency * res.memory_gbps * GIGA
    if r.kind == "flops":
        return r.per_flop * res.flops
    if r.of == "z":
        return res.link_gbps_one_way * GIGA / (d.chips * d.link_bytes_per_token)
    if r.of in ("y_cap", "y_cap/phi"):  # at the memory-capped batch: (share of) memory time plus sync
        b = batch_cap(d, res.memory_gb)
        if b <= 0 or not bw:
            return Fraction(0)
        w0, w1 = weights_read(d, res.memory_gbps, res.memory_gb)
        share = d.overlap if r.of == "y_cap/phi" else Fraction(1)
        return b / (share * (w0 + b * (d.kv_read_per_seq + w1)) / bw + d.chips * d.sync_s)
    y = bw / (d.kv_read_per_seq + weights_read(d, res.memory_gbps, res.memory_gb)[1])
    return y / d.overlap if r.of.endswith("/phi") else y


def harmonic(values: list[Fraction]) -> Fraction:
    """h(u, v, w) = h(h(u, v), w) on the tangent planes: never below the exact harmonic sum.

    Exact: each plane a*u + b*v is compared on the common denominator of u and v, in integers (the
    same minimum as in Fractions, a tenth of the time: the reports score every design with it).
    """
    out = Fraction(values[0])
    for v in values[1:]:
        v = Fraction(v)
        p, q, r, t = out.numerator, out.denominator, v.numerator, v.denominator
        top = min(a * p * t + b * r * q for a, b in PLANES)
        out = Fraction(top, q * t * PLANE_DENOMINATOR)
    return out


def tokens_per_s(res: Resources, obj: Objective) -> Fraction:
    """Output tokens/s per chip on the workload (0 if the model does not fit or meets no latency)."""
    d = demand(obj)
    if batch_cap(d, res.memory_gb) < 1:
        return Fraction(0)
    return min(piece_value(d, p, res) for p in pieces(obj))


def piece_value(d: Demand, p: Piece, res: Resources) -> Fraction:
    h = harmonic([rate_value(d, r, res) for r in p.rates])
    return h * latency_factor(d, p.scaled_by, res.memory_gbps, res.memory_gb) if p.scaled_by else h


def value(res: Resources, reference_tokens_per_s: Fraction, obj: Objective) -> Fraction:
    """Tokens/s per chip relative to the reference SKU's (0 if the model does not fit)."""
    if not reference_tokens_per_s:
        return Fraction(0)
    return tokens_per_s(res, obj) / reference_tokens_per_s


# --- the breakdown an engineer reads: exact, without the planes ---------------------------------


@dataclass(frozen=True)
class Breakdown:
    batch: float  # sequences in flight per tensor-parallel group
    batch_limit: str  # memory capacity, engine limit or latency target
    compute_s: float  # per step: decode and prefill compute
    prefill_s: float  # the prefill part of compute_s
    memory_s: float
    allreduce_s: float  # the all-reduces' traffic over the links
    sync_s: float  # the fixed time: the collectives' and the layers'
    step_s: float  # = TPOT
    step_bound: str  # compute or memory
    tokens_per_s_exact: float  # per chip, exact harmonic sums
    tokens_per_s: float  # per chip, the model (tangent planes), what the search optimises


def breakdown(res: Resources, obj: Objective) -> Breakdown:
    """Batch reached, each part of the step time, and what binds."""
    d = demand(obj)
    n, phi = d.chips, d.overlap
    bw = d.memory_efficiency * res.memory_gbps * GIGA
    link = res.link_gbps_one_way * GIGA
    cap = batch_cap(d, res.memory_gb)
    w0, w1 = weights_read(d, res.memory_gbps, res.memory_gb) if cap > 0 else (d.dense_read_bytes, Fraction(0))

    def times(b: Fraction) -> tuple[Fraction, Fraction, Fraction]:
        tc = b * d.flop_per_token / (n * res.flops)
        tm = (w0 + b * (d.kv_read_per_seq + w1)) / (n * bw)
        tz = b * d.link_bytes_per_token / link if d.link_bytes_per_token else Fraction(0)
        return tc, tm, tz

    def step(b: Fraction) -> Fraction:
        tc, tm, tz = times(b)
        return max(tc, tm) + phi * min(tc, tm) + tz + d.sync_s

    batch, limit = cap, ("engine batch limit" if cap == d.max_batch else "memory capacity")
    if cap < 1:
        return Breakdown(0.0, "model does not fit", 0, 0, 0, 0, 0, 0, "-", 0.0, 0.0)
    if d.tpot_s is not None and step(cap) > d.tpot_s:
        lo, hi = Fraction(0), cap  # step time rises with the batch: bisect for TPOT = target
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if step(mid) <= d.tpot_s else (lo, mid)
        batch, limit = lo, "latency target"
    tc, tm, tz = times(batch)
    t = step(batch)
    prefill = batch * d.prefill_flop_per_token / (n * res.flops)
    return Breakdown(
        float(batch),
        limit,
        float(tc),
        float(prefill),
        float(tm),
        float(tz),
        float(d.sync_s),
        float(t),
        "compute" if tc >= tm else "memory",
        float(batch / (n * t)) if t else 0.0,
        float(tokens_per_s(res, obj)),
    )
