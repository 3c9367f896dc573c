"""Fit the value model's efficiencies to measured LLM serving throughput, and say how well it predicts.

Each point is predicted by the value model itself (value.tokens_per_s), run the
way the benchmark ran: its model, precision, parallelism, request lengths, engine
limits and latency limits. The efficiencies are fitted on squared log error over the
points of the fitting rounds: compute (decode) and memory per architecture by grid,
shrunk toward the pooled fit (an architecture measured once is not left to the
grid's flat valley); shared by all, by coordinate descent over their grids: the
overlap, the clock-power law, the all-reduce's fixed time, prefill's efficiency over
decode's, the routed experts' over the dense layers', and the realised FP4 rate.
Validation is by chip, by source and by benchmark left out, never by rows of the
same table: see `validate`.
"""

from __future__ import annotations

import dataclasses
import itertools
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explorer.model import value as v
from explorer.model.catalog import Catalog
from explorer.model.chips import Precision
from explorer.model.measured import Measured, MemoryMeasured, Point, Setup
from explorer.model.remeasured import Remeasured, ranked_wrong, remeasured, remeasured_text, setup_of

COMPUTE_GRID = np.round(np.arange(0.1, 0.9501, 0.025), 3)
# achieved DRAM bandwidth: stream-like tests reach 70-95% of peak on HBM parts; below half is
# not a memory system but a fitting artefact (the points trade compute against memory time)
MEMORY_GRID = np.round(np.arange(0.5, 0.9501, 0.025), 3)
# every (compute, memory) pair of the two grids: the axes of each loss grid
GRID_COMPUTE, GRID_MEMORY = np.meshgrid(COMPUTE_GRID, MEMORY_GRID, indexing="ij")
OVERLAP_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
# sustained clock = power share ** exponent: none, cube law (voltage falls with clock), square root
CLOCK_POWER_GRID = (Fraction(0), Fraction(1, 3), Fraction(1, 2))
# the fixed time of one tensor-parallel all-reduce (launch, waiting for the slowest chip), in
# microseconds: custom all-reduce kernels take 5-30 us on serving's messages, so the grid stops
# at 40 (to 80 us, some chip-left-out fits pick 80); the same chip at two tensor-parallel widths
# (H100 at TP2 and TP8, H200 at TP1 and TP8) separates it from compute
ALLREDUCE_LATENCY_GRID_US = (0, 5, 10, 15, 20, 25, 30, 35, 40)
# the fixed time of one layer in a step whatever its batch (kernel launches and the latency of kernels
# too small to fill the chip), in microseconds; on one chip too, where there is no collective
LAYER_FIXED_GRID_US = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50)
# prefill's compute efficiency over decode's (prefill runs large GEMMs; capped at 1)
PREFILL_RATIO_GRID = (Fraction(3, 4), Fraction(1), Fraction(5, 4), Fraction(3, 2), Fraction(2))
# routed experts' compute efficiency as a share of the dense layers'
MOE_GRID = (
    Fraction(2, 5),
    Fraction(1, 2),
    Fraction(3, 5),
    Fraction(7, 10),
    Fraction(4, 5),
    Fraction(9, 10),
    Fraction(1),
)
# what an FP4/FP6 model gains over FP8 where its peak is twice FP8's (2: the peak; value.narrow_gain)
NARROW_GRID = (Fraction(1), Fraction(5, 4), Fraction(3, 2), Fraction(7, 4), Fraction(2))
# compute efficiency of a step served expert parallel over the same step's tensor parallel; only the
# expert-parallel fitting points (TensorRT-LLM's DeepSeek-R1 runs) move it, and a fit without them keeps 1
EP_COMPUTE_GRID = tuple(Fraction(k, 100) for k in (*range(20, 51), 60, 70, 80, 90, 100))
# an architecture of setup.own_collectives fits its own collective figures on its multi-chip points:
# the link's achieved share (the shared figure is assumed, setup.link_efficiency) and the fixed time of
# one all-reduce, to 200 us (a collective library's small-message latency is tens of microseconds; the
# rest stands for what a stack pays per collective beyond it)
OWN_LINK_GRID = (Fraction(1, 5), Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(3, 4))
OWN_ALLREDUCE_GRID_US = tuple(range(0, 201, 20))
# the fixed time of one layer in a step under an engine other than its architecture's reference engine
# (setup.engines.*.reference_for), us
ENGINE_LAYER_GRID_US = tuple(range(0, 401, 25))
# weight of the pull toward the pooled fit, per architecture (squared log distance of each efficiency):
# 0.02 costs a 14% departure what a 14% misfit of one point costs
SHRINK = 0.02
# weight of the pull toward an architecture's measured bandwidth share (setup.memory_measured), as one
# more observation of its memory efficiency: (sigma_points / sigma_measured)^2, with the fitting points'
# RMS log error near 0.09 and the microbenchmarks' spread (kernel to kernel, chip to chip of one
# architecture, and STREAM's access pattern against a serving step's) near 0.1 in log, so 1. It only
# decides where the points leave the memory efficiency open: a fit without the memory-bound
# perf-overview rows had slid Hopper and Blackwell to 0.525 (README, "The value model")
MEMORY_MEASURED_WEIGHT = 1.0
POOLED = "default"


@dataclass(frozen=True)
class Row:
    point: Point
    architecture: str
    predicted: float  # per chip, with the architecture's fit
    left_out_chip: float  # per chip, fitted without this chip's points
    left_out_source: float  # per chip, fitted without this point's source
    left_out_benchmark: float = 0.0  # per chip, fitted without every point of its model (benchmark)

    @property
    def error(self) -> float:
        return self.predicted / float(self.point.per_chip) - 1


def lengths_of(p: Point, end: str = "point") -> int:
    """The mean prompt length: the point's, or an end ("low", "high") of its estimated range."""
    if end == "point" or not p.input_tokens_range:
        return p.input_tokens
    return p.input_tokens_range[0] if end == "low" else p.input_tokens_range[-1]


def objective_for(
    p: Point, workloads: dict[str, v.Workload], setup: Setup, e: v.Efficiency, end: str = "point"
) -> v.Objective:
    """The value model set up the way the benchmark ran (`end`: the prompt length's estimate or range end)."""
    w = workloads[p.model]
    engine = setup.engines[p.engine]
    share = p.kv_memory_fraction or engine.kv_memory_fraction  # the loader requires one of the two
    assert share is not None, p
    # the model's step is a round of every stage's micro-batch: it holds and budgets them all
    stages = p.pipeline_parallel if engine.limits_per_stage else 1
    budget = p.max_tokens_per_step * stages if p.max_tokens_per_step is not None else None
    w = dataclasses.replace(
        w,
        precisions=[p.precision],
        bytes_per_weight=p.bytes_per_weight or setup.bytes_per_weight[p.precision.value],
        bytes_per_kv=p.bytes_per_kv or setup.bytes_per_kv,
        tensor_parallel=p.tensor_parallel,
        pipeline_parallel=p.pipeline_parallel,
        expert_parallel=p.expert_parallel,
        memory_reserve_fraction=1 - share,
        memory_reserve_of=engine.kv_memory_of,
        requests=v.Requests(
            lengths_of(p, end),
            p.output_tokens,
            (p.max_batch or setup.max_batch) * stages,
            budget,
            p.output_tokens_spread or Fraction(1),
        ),
    )
    share = setup.mean_latency_share  # MLPerf's limits are 99th percentiles: the mean the run met is lower
    tpot = p.tpot_ms / 1000 * share if p.tpot_ms is not None else None
    if p.mean_tpot_ms is not None:  # the step time the run measured
        tpot = p.mean_tpot_ms / 1000
    ttft = p.ttft_ms / 1000 * share if p.ttft_ms is not None else None
    return v.Objective("calibration", p.system or p.source, w, e, tpot, p.chip, ttft)


@dataclass(frozen=True)
class _Inputs:
    """What the vectorised fit needs of one point (efficiency-free parts of value.demand)."""

    flops: float  # realised peak at the point's precision (uncapped), before any power-limited clock
    fp8_flops: float  # the same at FP8: a narrow precision's other work runs at this (0: none)
    power_share: float  # power limit over the modelled draw (metrics.power_share)
    gbps: float  # memory bandwidth, GB/s
    link: float
    chips: int
    decode_dense: float  # FLOP per output token by phase and layer kind, at efficiency 1
    decode_moe: float
    prefill_dense: float
    prefill_moe: float
    dense_read: float  # weights read per step: dense part, every routed expert
    expert_read: float
    expert_miss: float
    tokens_per_seq_step: float
    kv_read: float
    batch: float  # the memory- and engine-capped batch
    link_bytes: float  # per chip per token at link efficiency 1
    tpot: float | None
    collectives: int  # per step: two per layer when tensor parallel, two per MoE layer under expert parallel
    layers: int  # per step: each pays the fixed time of a layer
    expert_parallel: int = 0  # 1: served expert parallel on several chips (compute at the shared EP share)
    engine: str = ""  # an engine other than its architecture's reference engine (foreign_engine), else ""


def foreign_engine(p: Point, architecture: str, setup: Setup) -> str:
    """The point's engine where its architecture is fitted under another (the engine whose `reference_for`
    names the architecture: its vendor's own), else "": such a point's steps pay that engine's own fixed
    time per layer (Shared.engines), where fitted."""
    reference = [name for name, e in setup.engines.items() if architecture in e.reference_for]
    return p.engine if reference and p.engine not in reference else ""


def _inputs(p: Point, catalog: Catalog, workloads, setup: Setup, end: str = "point") -> _Inputs:
    def ones(moe=Fraction(1)) -> v.Efficiency:
        return v.Efficiency(
            Fraction(1),
            Fraction(1),
            Fraction(1),
            Fraction(1),
            Fraction(0),
            allreduce_latency_s=Fraction(1),
            moe_compute=moe,
        )

    obj = objective_for(p, workloads, setup, ones(), end)
    metrics = catalog.metrics(catalog.find_sku(p.chip))
    res = v.resources(metrics, obj)
    d = v.demand(obj)
    half = v.demand(dataclasses.replace(obj, efficiency=ones(Fraction(1, 2))))  # MoE FLOPs count twice
    decode, prefill = d.flop_per_token - d.prefill_flop_per_token, d.prefill_flop_per_token
    decode_moe = half.flop_per_token - half.prefill_flop_per_token - decode
    prefill_moe = half.prefill_flop_per_token - prefill
    narrow = p.precision in v.NARROW and Precision.FP8 in metrics.dense_tflops
    fp8 = v.realised_ops(metrics.dense_tflops, Precision.FP8, obj.efficiency) if narrow else Fraction(0)
    return _Inputs(
        float(res.flops),
        float(fp8 * 10**12 * metrics.fp32_accumulate_rate),
        float(metrics.power_share),
        float(res.memory_gbps),
        float(res.link_gbps_one_way) * 1e9,
        d.chips,
        float(decode - decode_moe),
        float(decode_moe),
        float(prefill - prefill_moe),
        float(prefill_moe),
        float(d.dense_read_bytes),
        float(d.expert_read_bytes),
        d.expert_miss,
        float(d.tokens_per_seq_step),
        float(d.kv_read_per_seq),
        float(v.batch_cap(d, res.memory_gb)),
        float(d.link_bytes_per_token),
        float(d.tpot_s) if d.tpot_s is not None else None,
        int(d.sync_s) if d.chips > 1 else 0,
        obj.workload.model.layers,
        int(obj.workload.expert_parallel and d.chips > 1),
        foreign_engine(p, catalog.dies[catalog.find_sku(p.chip).die].architecture, setup),
    )


@dataclass(frozen=True)
class Shared:
    """The figures one fit shares across architectures."""

    overlap: float
    link: Fraction
    clock_power: Fraction
    allreduce_s: Fraction  # the fixed time of one all-reduce
    prefill_ratio: Fraction = Fraction(1)  # prefill compute efficiency over decode's (capped at 1)
    moe: Fraction = Fraction(1)  # routed experts' compute efficiency over the dense layers'
    narrow: Fraction | None = None  # value.Efficiency.narrow_gain (None: the FP4 peak)
    ep_compute: Fraction = Fraction(1)  # compute efficiency served expert parallel over tensor parallel
    layer_s: Fraction = Fraction(0)  # the fixed time of one layer in a step
    # (architecture, link share, all-reduce time): collectives fitted apart from the shared ones
    own: tuple[tuple[str, Fraction, Fraction], ...] = ()
    # (engine, fixed time of one layer): an engine's own step overhead on the points it serves on an
    # architecture fitted under another engine (foreign_engine); elsewhere, and for an engine not here,
    # layer_s
    engines: tuple[tuple[str, Fraction], ...] = ()

    def layer_s_of(self, engine: str) -> Fraction:
        """The fixed time of one layer under `engine` ("": the architecture's reference engine)."""
        return next((layer_s for name, layer_s in self.engines if name == engine), self.layer_s)

    def of(self, group: str) -> Shared:
        """The figures a group is fitted at: its own collectives where it has them."""
        for name, link, allreduce_s in self.own:
            if name == group:
                return dataclasses.replace(self, link=link, allreduce_s=allreduce_s, own=())
        return self


class _Batch:
    """Points' inputs as arrays of shape (points, 1, 1), so one evaluation covers every point and the grid."""

    def __init__(self, xs: list[_Inputs]) -> None:
        def col(name: str, none: float = 0.0) -> np.ndarray:
            vals = [getattr(x, name) for x in xs]
            return np.array([none if val is None else val for val in vals], dtype=float).reshape(-1, 1, 1)

        for f in dataclasses.fields(_Inputs):
            if f.name != "engine":
                setattr(self, f.name, col(f.name, np.inf if f.name == "tpot" else 0.0))
        self.n = len(xs)
        # the points whose weights read need the tangent batch's bisection: sparse and latency-bound
        self.bisect = np.nonzero([x.expert_read > 0 and x.tpot is not None for x in xs])[0]
        self.power_shares = [x.power_share for x in xs]
        self.engines = [x.engine for x in xs]


def _weights(x, bw_group, sync):
    """value.weights_read on arrays: the tangent (w0, w1) of the weights read per step."""
    shape = np.broadcast(bw_group, x.batch).shape
    b = np.array(np.broadcast_to(np.maximum(x.batch, 0.0), shape))
    if len(x.bisect):
        i = x.bisect
        bw_i = np.broadcast_to(bw_group, shape)[i]
        b[i] = v.tangent_batch(
            x.dense_read[i],
            x.expert_read[i],
            x.expert_miss[i],
            x.tokens_per_seq_step[i],
            x.kv_read[i],
            bw_i,
            np.broadcast_to(sync, shape)[i],
            x.tpot[i],
            b[i],
        )
    b = np.floor(b * 1024) / 1024
    tau, miss = x.tokens_per_seq_step, x.expert_miss
    inner = (miss > 0) & (miss < 1)
    hit = 1 - miss ** (b * tau)
    slope = np.where(inner, -np.log(np.where(inner, miss, 0.5)) * tau * miss ** (b * tau), 0.0)
    sparse = x.expert_read > 0
    w0 = np.where(sparse, x.dense_read + x.expert_read * (hit - slope * b), x.dense_read)
    return w0, np.where(sparse, x.expert_read * slope, 0.0)


def _predict(x, cp, cd, mem, shared: Shared):
    """value.tokens_per_s with exact harmonic sums, for arrays of points and of efficiencies.

    `x`: one _Inputs or a _Batch of them (points along the first axis).
    """
    if isinstance(x, _Inputs):
        return _predict(_Batch([x]), cp, cd, mem, shared)[0]
    clock = np.array(
        [float(v.sustained_clock_share(Fraction(s), shared.clock_power)) for s in x.power_shares]
    ).reshape(-1, 1, 1)
    flops = x.flops
    if shared.narrow is not None:
        share = float(v.narrow_share(shared.narrow))  # value.realised_ops
        f8 = np.where(x.fp8_flops > 0, x.fp8_flops, 1.0)
        flops = np.where((x.fp8_flops > 0) & (flops > f8), 1 / (share / flops + (1 - share) / f8), flops)
    flops = flops * clock
    moe, phi = float(shared.moe), shared.overlap
    per_token = (
        x.decode_dense / cd + x.decode_moe / (cd * moe) + x.prefill_dense / cp + x.prefill_moe / (cp * moe)
    )
    per_token = per_token / np.where(x.expert_parallel > 0, float(shared.ep_compute), 1.0)
    inv_x = per_token / flops  # seconds of compute per token per chip
    bw = mem * x.gbps * 1e9
    sync = np.array(
        [
            float(shared.allreduce_s * int(c) + shared.layer_s_of(engine) * int(n))
            for c, n, engine in zip(x.collectives.ravel(), x.layers.ravel(), x.engines, strict=True)
        ]
    ).reshape(-1, 1, 1)  # per step
    w0, w1 = _weights(x, x.chips * mem * x.gbps * 1e9, sync)
    batch = np.maximum(x.batch, 1e-30)
    inv_y = (w0 + batch * (x.kv_read + w1)) / (batch * bw)
    link = np.where(x.link > 0, x.link, 1.0)
    inv_z = np.where(x.link_bytes > 0, x.chips * x.link_bytes / (float(shared.link) * link), 0.0)
    inv_s = x.chips * sync / batch
    rate = 1 / (np.maximum(inv_x + phi * inv_y, phi * inv_x + inv_y) + inv_z + inv_s)
    inv_v = (x.kv_read + w1) / bw
    a1 = np.maximum(0, 1 - (phi * w0 / (x.chips * bw) + sync) / x.tpot)
    a2 = np.maximum(0, 1 - (w0 / (x.chips * bw) + sync) / x.tpot)
    rate = np.minimum(rate, np.where(np.isfinite(x.tpot), a1 / (inv_x + phi * inv_v + inv_z), np.inf))
    rate = np.minimum(rate, np.where(np.isfinite(x.tpot), a2 / (phi * inv_x + inv_v + inv_z), np.inf))
    return np.where(x.batch >= 1, rate, 0.0)


def _prefill(cd, ratio: Fraction):
    return np.minimum(cd * float(ratio), 1.0)


def _loss(xs, measured, shared: Shared) -> np.ndarray:
    """Squared log error over the (compute, memory) efficiency grid, at one choice of shared figures."""
    x = xs if isinstance(xs, _Batch) else _Batch(xs)
    y = np.asarray(measured, dtype=float).reshape(-1, 1, 1)
    c, mem = GRID_COMPUTE, GRID_MEMORY
    rate = _predict(x, _prefill(c, shared.prefill_ratio), c, mem, shared)
    return (np.log(np.maximum(rate, 1e-9) / y) ** 2).sum(axis=0)


def _shrink(loss: np.ndarray, toward: v.Efficiency | None) -> np.ndarray:
    """Add the pull toward the pooled fit (SHRINK x squared log distance of each efficiency)."""
    if toward is None:
        return loss
    c, mem = GRID_COMPUTE, GRID_MEMORY
    return loss + SHRINK * (
        np.log(c / float(toward.decode_compute)) ** 2 + np.log(mem / float(toward.memory)) ** 2
    )


def _measured_pull(loss: np.ndarray, share: float | None) -> np.ndarray:
    """Add the pull toward a measured bandwidth share (MEMORY_MEASURED_WEIGHT x squared log distance of the
    memory efficiency); none: no pull."""
    if share is None:
        return loss
    return loss + MEMORY_MEASURED_WEIGHT * np.log(GRID_MEMORY / share) ** 2


def _efficiency(loss: np.ndarray, shared: Shared) -> v.Efficiency:
    i, j = np.unravel_index(np.argmin(loss), loss.shape)
    c, mem = Fraction(str(float(COMPUTE_GRID[i]))), Fraction(str(float(MEMORY_GRID[j])))
    return v.Efficiency(
        min(Fraction(1), c * shared.prefill_ratio),
        c,
        mem,
        shared.link,
        Fraction(str(shared.overlap)),
        shared.clock_power,
        shared.allreduce_s,
        shared.moe,
        shared.narrow,
        shared.ep_compute,
        shared.layer_s,
    )


SHARED_GRIDS = {
    "overlap": OVERLAP_GRID,
    "clock_power": CLOCK_POWER_GRID,
    "allreduce_s": tuple(Fraction(us, 10**6) for us in ALLREDUCE_LATENCY_GRID_US),
    "layer_s": tuple(Fraction(us, 10**6) for us in LAYER_FIXED_GRID_US),
    "prefill_ratio": PREFILL_RATIO_GRID,
    # before the routed experts' share: the expert-parallel points alone cannot tell the two apart, and
    # the cost they measure is the serving's, not the experts' (Mixtral, served tensor parallel, fits moe)
    "ep_compute": EP_COMPUTE_GRID,
    "moe": MOE_GRID,
    "narrow": NARROW_GRID,
}
SHARES = ("prefill_ratio", "ep_compute", "moe", "narrow")  # efficiencies divided by: never 0
START = Shared(
    1.0, Fraction(3, 4), Fraction(1, 2), Fraction(40, 10**6), Fraction(1), Fraction(1), Fraction(2)
)


def _pooled(groups, shared: Shared) -> np.ndarray:
    """The loss of every point as one group (the pooled fit): the sum of the groups' loss grids."""
    return sum(
        (_loss(xs, ys, shared.of(name)) for name, (xs, ys) in groups.items()),
        start=np.zeros((len(COMPUTE_GRID), len(MEMORY_GRID))),
    )


def _total(
    groups,
    shared: Shared,
    toward: v.Efficiency,
    prior: dict[str, str] | None = None,
    memory_measured: dict[str, float] | None = None,
) -> tuple[float, dict[str, np.ndarray]]:
    """The loss at these shared figures: each group at its best (compute, memory), pulled to `toward`, or,
    for a group whose `prior` names another group (its vendor's nearest architecture), to that group's fit,
    and its memory efficiency toward its `memory_measured` bandwidth share where it has one."""
    prior = {name: p for name, p in (prior or {}).items() if p in groups and p not in (prior or {})}
    measured = memory_measured or {}
    losses: dict[str, np.ndarray] = {}
    for name in sorted(groups, key=lambda n: n in prior):  # the priors' own fits first
        xs, ys = groups[name]
        target = _efficiency(losses[prior[name]], shared.of(prior[name])) if name in prior else toward
        loss = _shrink(_loss(xs, ys, shared.of(name)), target)
        losses[name] = _measured_pull(loss, measured.get(name))
    return sum(float(loss.min()) for loss in losses.values()), losses


def shared_grids(replaced: Mapping[str, Iterable] | None = None) -> dict[str, tuple]:
    """SHARED_GRIDS with some grids replaced (values as fractions or their text); a name it does not
    have, an empty grid, a negative value or a share of 0 is refused."""
    out = dict(SHARED_GRIDS)
    for name, grid in (replaced or {}).items():
        if name not in out:
            raise ValueError(f"no shared figure {name!r}: expected one of {', '.join(SHARED_GRIDS)}")
        values = tuple(Fraction(x) for x in grid)
        if not values:
            raise ValueError(f"shared figure {name!r}: an empty grid")
        if any(x < 0 for x in values) or (name in SHARES and not all(values)):
            raise ValueError(f"shared figure {name!r}: expected values at least 0 (above 0 for a share)")
        # as the default grid has it: the overlap a float (numpy multiplies by it), the rest fractions
        out[name] = tuple(map(float, values)) if isinstance(SHARED_GRIDS[name][0], float) else values
    return out


def _within(shared: Shared, grids: Mapping[str, tuple]) -> Shared:
    """Each shared figure inside its grid: one whose start its grid lacks starts at the grid's first value."""
    moved = {name: grid[0] for name, grid in grids.items() if getattr(shared, name) not in grid}
    return dataclasses.replace(shared, **moved)


def _with(shared: Shared, name: str, choice) -> Shared:
    """Shared figures with one changed (by name: the descent walks SHARED_GRIDS)."""
    return dataclasses.replace(shared, **{name: choice})


def _with_own(shared: Shared, group: str, link: Fraction, allreduce_s: Fraction) -> Shared:
    """Shared figures with a group's own collective figures set."""
    own = tuple((group, link, allreduce_s) if entry[0] == group else entry for entry in shared.own)
    return dataclasses.replace(shared, own=own)


def _with_engine(shared: Shared, engine: str, layer_s: Fraction) -> Shared:
    """Shared figures with one engine's fixed time of a layer set."""
    engines = tuple((name, layer_s if name == engine else old) for name, old in shared.engines)
    return dataclasses.replace(shared, engines=engines)


def _own_pairs():
    """Every (link share, all-reduce time) a group's own collectives may take: walked as pairs, since the
    two trade against each other (one coordinate at a time stops where neither alone improves)."""
    allreduce = tuple(Fraction(us, 10**6) for us in OWN_ALLREDUCE_GRID_US)
    return [(link, t) for link in OWN_LINK_GRID for t in allreduce]


def fit(
    groups: dict[str, tuple[list[_Inputs], list[float]]],
    link: Fraction,
    start: Shared | None = None,
    prior: dict[str, str] | None = None,
    own_collectives: tuple[str, ...] = (),
    memory_measured: dict[str, float] | None = None,
    grids: Mapping[str, tuple] | None = None,
) -> tuple[dict[str, v.Efficiency], Shared]:
    """Per group a compute and a memory efficiency; the shared figures by coordinate descent.

    Decode's compute efficiency is fitted per architecture; prefill's is a shared
    multiple of it, and so are the routed experts' and the realised FP4 rate: the
    points separate them across architectures, not within most of them, and fewer
    figures per architecture keep the chip-left-out test honest. The link efficiency
    is assumed (measured.toml): fitted, it soaked up PCIe all-reduce error. An
    architecture is pulled toward the pooled fit, or, where `prior` (setup.fallback)
    names its vendor's nearest fitted architecture, toward that one's fit: what a few
    points leave open stays at its vendor's software stack, as without any point.
    A group of `own_collectives` with multi-chip points fits its own link share and
    all-reduce time on them (another vendor's collective library and fabric); without
    such points it has nothing to fit them on and takes the shared ones. A group with
    a `memory_measured` share (microbenchmarks) counts it as one more observation of
    its memory efficiency: where the points trade compute against memory along a ridge,
    the measured bandwidth, not the ridge's drift, decides. An engine serving points on
    an architecture fitted under another engine (foreign_engine: vLLM on an NVIDIA chip)
    fits its own fixed time per layer on them, shared across architectures: its heavier
    step overhead is the engine's, not the chip's fit nor the reference engine's.
    `grids` replaces some of SHARED_GRIDS (alternatives: a grid of one value pins its figure).
    """
    batches = {name: (_Batch(xs), ys) for name, (xs, ys) in groups.items()}
    grids = shared_grids(grids)
    shared = _within(dataclasses.replace(start or START, link=link), grids)
    own = [g for g in own_collectives if g in groups and any(x.chips > 1 for x in groups[g][0])]
    shared = dataclasses.replace(shared, own=tuple((g, shared.link, shared.allreduce_s) for g in own))
    foreign = sorted({x.engine for xs, _ in groups.values() for x in xs} - {""})
    shared = dataclasses.replace(shared, engines=tuple((e, shared.layer_s) for e in foreign))
    for _ in range(4):  # sweeps over the shared figures until none moves; the pull's target per sweep
        toward = _efficiency(_pooled(batches, shared), shared)
        best, _ = _total(batches, shared, toward, prior, memory_measured)
        moved = False

        def take_if_better(trial: Shared, toward: v.Efficiency = toward) -> None:
            nonlocal best, shared, moved
            total, _ = _total(batches, trial, toward, prior, memory_measured)
            if total < best - 1e-12:
                best, shared, moved = total, trial, True

        for name, grid in grids.items():
            for choice in grid:
                if choice != getattr(shared, name):
                    take_if_better(_with(shared, name, choice))
        for group in [entry[0] for entry in shared.own]:
            for link, allreduce_s in _own_pairs():
                take_if_better(_with_own(shared, group, link, allreduce_s))
        for engine in foreign:
            for us in ENGINE_LAYER_GRID_US:
                take_if_better(_with_engine(shared, engine, Fraction(us, 10**6)))
        if not moved:
            break
    toward = _efficiency(_pooled(batches, shared), shared)
    _, losses = _total(batches, shared, toward, prior, memory_measured)
    out = {name: _efficiency(loss, shared.of(name)) for name, loss in losses.items()}
    out[POOLED] = toward
    return out, shared


@dataclass(frozen=True)
class Calibration:
    efficiencies: dict[str, v.Efficiency]  # by architecture, plus POOLED
    rows: list[Row]
    points: dict[str, int] = dataclasses.field(default_factory=dict)  # fitting points per architecture
    # an engine's own fixed time of one layer on architectures fitted under another, where fitted
    engines: dict[str, Fraction] = dataclasses.field(default_factory=dict)


def under_engine(e: v.Efficiency, engine: str, shared: Shared) -> v.Efficiency:
    """An architecture's fit as `engine` serves it (foreign_engine; "": the reference engine's fit)."""
    return dataclasses.replace(e, layer_fixed_s=shared.layer_s_of(engine)) if engine else e


def fitted_or_fallback(fits: dict[str, v.Efficiency], architecture: str, fallback: dict[str, str]):
    """The architecture's own fit; without one, its fallback's (setup.fallback) where fitted; else pooled."""
    own = fits.get(architecture) or fits.get(fallback.get(architecture, ""))
    return own or fits[POOLED]


def benchmark_of(p: Point) -> str:
    """What leave-one-benchmark-out leaves out together: every point of one model."""
    return p.model


def fit_count(measured: Measured) -> int:
    """How many fits `calibrate` runs: all points, then each chip, source and benchmark left out."""
    pts = measured.point
    return 1 + len({p.chip for p in pts}) + len({p.source for p in pts}) + len({benchmark_of(p) for p in pts})


def calibrate(
    measured: Measured,
    catalog: Catalog,
    workloads: dict[str, v.Workload],
    end: str = "point",
    progress: Callable[[int], None] | None = None,
    grids: Mapping[str, tuple] | None = None,
) -> Calibration:
    """Fit per architecture (and pooled) on the fitting points; predict every point four ways.

    `end`: estimated prompt lengths at their estimate, or at the low or high end of their range.
    `progress(1)` after each fit (`fit_count` in all). `grids`: as `fit`'s, in every fit.
    """
    setup = measured.setup
    arch = {p.chip: catalog.dies[catalog.find_sku(p.chip).die].architecture for p in measured.point}
    xs = {id(p): _inputs(p, catalog, workloads, setup, end) for p in measured.point}
    train = [p for p in measured.point if p.role == "fit"]
    measured_share = {name: float(m.share) for name, m in setup.memory_measured.items()}

    def fits_without(keep, start: Shared | None = None) -> tuple[dict[str, v.Efficiency], Shared]:
        pts = sorted((p for p in train if keep(p)), key=lambda p: arch[p.chip])
        groups = {
            name: ([xs[id(p)] for p in g], [float(p.per_chip) for p in g])
            for name, g in ((k, list(g)) for k, g in itertools.groupby(pts, key=lambda p: arch[p.chip]))
        }
        out = fit(
            groups,
            setup.link_efficiency,
            start,
            setup.fallback,
            tuple(setup.own_collectives),
            measured_share,
            grids,
        )
        if progress is not None:
            progress(1)
        return out

    full = fits_without(lambda p: True)
    # each from START, as the full fit: a start may not depend on the data left out
    by_chip = {c: fits_without(lambda p, c=c: p.chip != c) for c in {p.chip for p in measured.point}}
    by_source = {s: fits_without(lambda p, s=s: p.source != s) for s in {p.source for p in measured.point}}
    by_bench = {
        b: fits_without(lambda p, b=b: benchmark_of(p) != b)
        for b in {benchmark_of(p) for p in measured.point}
    }

    def predict(p: Point, fitted: tuple[dict[str, v.Efficiency], Shared]) -> float:
        fits, shared = fitted
        e = fitted_or_fallback(fits, arch[p.chip], setup.fallback)
        e = under_engine(e, xs[id(p)].engine, shared)
        obj = objective_for(p, workloads, setup, e, end)
        return float(v.tokens_per_s(v.resources(catalog.metrics(catalog.find_sku(p.chip)), obj), obj))

    rows = [
        Row(
            p,
            arch[p.chip],
            predict(p, full),
            predict(p, by_chip[p.chip]),
            predict(p, by_source[p.source]),
            predict(p, by_bench[benchmark_of(p)]),
        )
        for p in measured.point
    ]
    counts = {a: sum(1 for p in train if arch[p.chip] == a) for a in {arch[p.chip] for p in train}}
    return Calibration(full[0], rows, counts, dict(full[1].engines))


# --- validation: figures on data the fit did not see ---------------------------------------------


def _pairs(rows: list[Row]):
    """Pairs of different chips measured by one source on one benchmark setup (model, lengths, scenario;
    a closed-loop client's concurrency and precision); each chip otherwise runs at the precision its
    submitter chose, as a buyer compares them."""

    def key(r: Row) -> tuple:
        return (r.point.source, *setup_of(r.point))

    for _, group in itertools.groupby(sorted(rows, key=lambda r: (key(r), r.point.chip)), key=key):
        g = list(group)
        for a, b in itertools.combinations(g, 2):
            if a.point.chip != b.point.chip:
                yield a, b


PROTOCOLS = {
    "chip": ("left_out_chip", "each chip predicted by a fit without its points"),
    "source": ("left_out_source", "each source predicted by a fit without it"),
    "benchmark": (
        "left_out_benchmark",
        "each benchmark (model) predicted by a fit without any of its points",
    ),
}


@dataclass(frozen=True)
class HeldOut:
    """One leave-out protocol's figures, on every point (each predicted by a fit that did not see it)."""

    protocol: str  # chip, source or benchmark
    measured_on: str
    points: int
    abs_error: float  # median |error| of tokens/s per chip
    ratio_error: float  # median |error| of chip-to-chip ratios within a source and setup
    pairs: int
    inversions_10: int  # pairs ranked the wrong way round where the measured gap exceeds 10%
    inversions_15: int
    worst_inversions: tuple[str, ...] = ()  # the inverted pairs over a 15% gap, named


def built_on(rows: list[Row]) -> list[Row]:
    """The rows of the sources the model was built on: those with fitting points (a validation-only
    source, never fitted, is a test of the model, and its figures are reported apart)."""
    fitted = {r.point.source for r in rows if r.point.role == "fit"}
    return [r for r in rows if r.point.source in fitted]


def held_out(rows: list[Row], protocol: str) -> HeldOut:
    field, how = PROTOCOLS[protocol]
    ratios, inv10, inv15, names = [], 0, 0, []
    for a, b in _pairs(rows):
        measured = float(a.point.per_chip / b.point.per_chip)
        pa, pb = getattr(a, field), getattr(b, field)
        predicted = pa / pb if pb else float("inf")
        ratios.append(abs(predicted / measured - 1))
        inv10 += ranked_wrong(measured, predicted, 0.10)
        if ranked_wrong(measured, predicted, 0.15):
            inv15 += 1
            names.append(
                f"{a.point.chip}/{b.point.chip} {a.point.model} {a.point.scenario} ({a.point.source}): "
                f"measured {measured:.2f}, predicted {predicted:.2f}"
            )
    errors = [abs(getattr(r, field) / float(r.point.per_chip) - 1) for r in rows]
    return HeldOut(
        protocol, how, len(rows), _med(errors), _med(ratios), len(ratios), inv10, inv15, tuple(names)
    )


def _med(xs) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


@dataclass(frozen=True)
class Validation:
    """What the calibration is worth, each figure on the points it names."""

    points: int
    fitted_abs: float  # median |error|, every fitting point, fitted on all of them
    left_out_chip_abs: float  # median |error| of each chip's points, fitted without that chip
    left_out_source_abs: float  # the same, leaving out each source
    left_out_chip_ratio: float  # median |error| of chip-to-chip ratios within a source, chips left out
    pairs: int
    inversions_10: int  # pairs ranked the wrong way round where the measured gap exceeds 10%
    inversions_15: int
    validation_abs: float  # later rounds, never fitted: median |error| with the full fit
    held_out_shapes_abs: float  # the old figure: shapes of the same source kept out (not independent)
    left_out_benchmark_abs: float = float("nan")
    protocols: tuple[HeldOut, ...] = ()
    # the floor: how far the same setups moved when another source measured them again (no model)
    remeasured: Remeasured | None = None


def validate(cal: Calibration, held_out_shapes: list[str]) -> Validation:
    rows = cal.rows
    fitting = [r for r in rows if r.point.role == "fit"]
    by = {name: held_out(rows, name) for name in PROTOCOLS}
    shapes = [
        abs(r.error) for r in fitting if f"{r.point.input_tokens}/{r.point.output_tokens}" in held_out_shapes
    ]
    chip = by["chip"]
    return Validation(
        len(rows),
        _med([abs(r.error) for r in fitting]),
        chip.abs_error,
        by["source"].abs_error,
        chip.ratio_error,
        chip.pairs,
        chip.inversions_10,
        chip.inversions_15,
        _med([abs(r.error) for r in rows if r.point.role == "validation"]),
        _med(shapes),
        by["benchmark"].abs_error,
        tuple(by.values()),
        remeasured(r.point for r in rows),
    )


def measured_ratio(rows: list[Row], chip_a: str, chip_b: str) -> list[tuple[str, float, float]]:
    """(source, measured, predicted) ratio of chip_a to chip_b for every source and setup that ran both."""
    out = []
    for a, b in _pairs(rows):
        if {a.point.chip, b.point.chip} != {chip_a, chip_b}:
            continue
        if a.point.chip != chip_a:
            a, b = b, a
        out.append((a.point.source, float(a.point.per_chip / b.point.per_chip), a.predicted / b.predicted))
    return out


def validated_errors(cal: Calibration, superseded: Iterable[str] = ()) -> dict[str, dict[str, float | int]]:
    """Per architecture, the fit's median signed error on its validation runs (never fitted), on one chip
    and on several apart: what every report on that architecture should say the value may be off by.
    Runs of a `superseded` source (setup.superseded: engines later runs of the same chips replaced) say
    what an early engine left undone, not what today's value may be off by."""
    early = set(superseded)
    runs: dict[tuple[str, str], list[float]] = {}
    for r in cal.rows:
        if r.point.role == "validation" and r.point.source not in early:
            group = r.point.tensor_parallel * r.point.pipeline_parallel
            where = "several_chips" if group > 1 else "one_chip"
            runs.setdefault((r.architecture, where), []).append(r.error)
    out: dict[str, dict[str, float | int]] = {}
    for (arch, where), errors in sorted(runs.items()):
        out.setdefault(arch, {})[where] = round(_med(errors), 3)
        out[arch][f"{where}_runs"] = len(errors)
    return out


def efficiency_toml(
    cal: Calibration,
    val: Validation,
    fallback: dict[str, str] | None = None,
    memory_measured: dict[str, MemoryMeasured] | None = None,
    superseded: Iterable[str] = (),
) -> str:
    """The fitted efficiencies as the data file the value model reads."""
    import tomli_w

    from explorer.load.serialize import to_data

    measured = ", ".join(f"{k} {float(m.share):g}" for k, m in sorted((memory_measured or {}).items()))
    doc = {
        "default": to_data(cal.efficiencies[POOLED]),
        "architectures": {k: to_data(e) for k, e in cal.efficiencies.items() if k != POOLED},
        "fit": {
            "how": "squared log error of output tokens/s per chip over the fitting points of "
            "specs/calibration/measured.toml: decode compute 0.1-0.95 and memory 0.5-0.95 by 0.025 per "
            f"architecture by grid, pulled toward the pooled fit ({SHRINK} x squared log distance) and "
            "the memory efficiency toward the share of rated bandwidth microbenchmarks measure "
            f"(setup.memory_measured: {measured or 'none'}; {MEMORY_MEASURED_WEIGHT:g} x squared log "
            "distance); "
            "shared by all, by coordinate descent over their grids: overlap by 0.25, clock-power "
            "exponent 0, 1/3 or 1/2 (a SKU whose power limit is below the power model's draw sustains "
            "power share ** exponent of its clock), the fixed time of one collective (0-40 us) and of one "
            "layer (0-50 us), prefill "
            "compute over decode's (3/4-2, capped at 1), routed experts' compute over dense layers' "
            "(0.4-1), the realised FP4/FP6 rate as a multiple of FP8 (1-2) and the compute efficiency of "
            "a step served expert parallel over tensor parallel (0.2-1: by 0.01 to 0.5, then 0.1); link "
            "efficiency assumed, except for an architecture of setup.own_collectives with multi-chip "
            "points, which fits its own link share (1/5-3/4) and all-reduce time (0-200 us) on them; "
            "an engine serving points on an architecture fitted under another (setup.engines.*."
            "reference_for) fits its own fixed time of a layer on them (0-400 us: engine_layer_fixed_s)",
            "fitted_median_abs_error": f"{val.fitted_abs:.3f}",
            "left_out_chip_median_abs_error": f"{val.left_out_chip_abs:.3f}",
            "left_out_source_median_abs_error": f"{val.left_out_source_abs:.3f}",
            "left_out_benchmark_median_abs_error": f"{val.left_out_benchmark_abs:.3f}",
            "written_by": "explore calibrate --write",
        },
        "points": dict(sorted(cal.points.items())),
        # an engine's own fixed time of one layer on an architecture fitted under another engine (the
        # calibration's points only: a design is valued under its vendor's reference engine)
        "engine_layer_fixed_s": {k: to_data(t) for k, t in sorted(cal.engines.items())},
        "fallback": dict(sorted((fallback or {}).items())),
        # the fit's median signed error (predicted / measured - 1) on each architecture's validation runs
        "validated": validated_errors(cal, superseded),
    }
    head = (
        "# Generated by `explore calibrate --write`; do not edit by hand.\n"
        "# source: measured points in specs/calibration/measured.toml\n"
        "# (TensorRT-LLM perf-overview and DeepSeek-R1 reproduction runs, MLPerf Inference).\n"
        "# default: pooled over every architecture; used for architectures without measured points\n"
        "# and without a fallback (an architecture's vendor's nearest calibrated one: setup.fallback).\n"
    )
    return head + tomli_w.dumps(doc)


def calibration_dict(cal: Calibration, val: Validation) -> dict:
    """`explore calibrate --format json`: the fitted efficiencies, the validation, every point."""
    return {
        "efficiencies": {k: efficiency_dict(e) for k, e in cal.efficiencies.items()},
        "engine_layer_fixed_s": {k: float(t) for k, t in cal.engines.items()},
        "validation": dataclasses.asdict(val),
        "points": [row_dict(r) for r in cal.rows],
    }


def efficiency_dict(e: v.Efficiency) -> dict[str, float]:
    return {k: float(x) for k, x in dataclasses.asdict(e).items()}


def row_dict(r: Row) -> dict:
    p = r.point
    measured = float(p.per_chip)
    return {
        "chip": p.chip,
        "architecture": r.architecture,
        "source": p.source,
        "system": p.system,
        "scenario": p.scenario,
        "setup": f"{p.model} {p.precision.value} TP{p.tensor_parallel}",
        "lengths": f"{p.input_tokens}/{p.output_tokens}",
        "role": p.role,
        "measured": round(measured, 1),
        "predicted": round(r.predicted, 1),
        "error": f"{r.error:+.1%}",
        "error_chip_left_out": f"{r.left_out_chip / measured - 1:+.1%}",
        "error_source_left_out": f"{r.left_out_source / measured - 1:+.1%}",
        "error_benchmark_left_out": f"{r.left_out_benchmark / measured - 1:+.1%}",
        "input_tokens_estimated": list(p.input_tokens_range) if p.input_tokens_range else None,
    }


def validation_text(val: Validation) -> str:
    lines = [
        f"median |error| over {val.points} points, each figure on data the fit named did not see:",
        f"  fitted (every fitting point, fitted on all of them; not held out): {val.fitted_abs:.1%}",
    ]
    for h in val.protocols:
        lines.append(
            f"  {h.protocol} left out ({h.measured_on}): tokens/s {h.abs_error:.1%}; chip-to-chip ratios"
            f" within a source and setup {h.ratio_error:.1%} over {h.pairs} pairs; ranked the wrong way"
            f" round: {h.inversions_10} with a measured gap over 10%, {h.inversions_15} over 15%"
        )
        lines += [f"    inverted: {name}" for name in h.worst_inversions]
    lines += [
        '  validation-only points (role = "validation" in measured.toml, never fitted; the full fit): '
        f"{val.validation_abs:.1%}",
        "  held-out shapes of the fitting sources (same source, other lengths; not independent): "
        f"{val.held_out_shapes_abs:.1%}",
    ]
    if val.remeasured is not None:
        lines.append(remeasured_text(val.remeasured))
    return "\n".join(lines)
