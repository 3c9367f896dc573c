"""A design space and value model as integer tables: what both the solver and the enumerator read.

One place turns every rational quantity into an integer of a known scale, so
the CP-SAT model and the brute-force enumerator optimise the very same numbers.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explorer.model import cost
from explorer.model import value as v
from explorer.model.chips import PcieGeneration, Precision
from explorer.model.cost import CostData
from explorer.model.metrics import applicable_die_area_mm2, applicable_die_area_range_mm2, dense_tflops, tpp
from explorer.model.rules import Clause, Op
from explorer.model.space import DesignSpace, LinkOption, MemoryOption, RateLimit
from explorer.model.value import PLANE_DENOMINATOR, PLANES
from explorer.search.scaling import Scales, integer_bound, lcm_of_denominators

# metric -> (integer resource it is read from, which scale applies)
METRIC_RESOURCE = {
    "tpp": "tpp",
    "performance_density": "tpp",
    "memory_bandwidth_gbps": "bw",
    "io_bidirectional_gbps": "io",
    "link_bidirectional_gbps": "link",
    "memory_plus_io_gbps": "bw_io",
    "memory_plus_link_gbps": "bw_link",
    "memory_gb": "cap",
}


@dataclass(frozen=True)
class Atom:
    """A clause on integers: `resource op bound`, or a constant when the metric cannot vary."""

    resource: str
    op: Op
    bound: int | bool


SCALE_ONE = 2**20  # a latency factor A in [0, 1] is held as floor(A x SCALE_ONE)


@dataclass(frozen=True)
class IntRate:
    """One rate of a value piece on integers, in value units (the reference SKU is Scales.value).

    flops: coef x F; memory / link: table[option].
    """

    kind: str
    coef: int = 0
    table: tuple[int, ...] = ()


@dataclass(frozen=True)
class IntPiece:
    """floor(harmonic of the rates x scale[memory] / SCALE_ONE), or the harmonic alone without a scale."""

    rates: tuple[IntRate, ...]
    scale: tuple[int, ...] = ()


def harmonic_int(values):
    """value.harmonic on integers (Python ints or numpy arrays), each step floored."""
    out = values[0]
    for y in values[1:]:
        if isinstance(out, np.ndarray) or isinstance(y, np.ndarray):
            out = _lowest_plane(np.asarray(out, dtype=np.int64), np.asarray(y, dtype=np.int64))
        else:
            out = min(a * out + b * y for a, b in PLANES)
        out = out // PLANE_DENOMINATOR
    return out


_A = np.array([a for a, _ in PLANES], dtype=np.int64)
_B = np.array([b for _, b in PLANES], dtype=np.int64)
# plane i+1 (larger a, smaller b) is lower than plane i exactly where u/v < _CROSS[i] (falling in i)
_CROSS = (_B[:-1] - _B[1:]) / (_A[1:] - _A[:-1])
_WINDOW = 3  # planes on each side of the estimate; tests hold this to the full minimum
# the planes with the end planes repeated _WINDOW times on each side: a window never leaves the list
_A_PADDED = np.concatenate([np.repeat(_A[:1], _WINDOW), _A, np.repeat(_A[-1:], _WINDOW)])
_B_PADDED = np.concatenate([np.repeat(_B[:1], _WINDOW), _B, np.repeat(_B[-1:], _WINDOW)])


def _lowest_plane(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """min over PLANES of a*u + b*v, evaluating only the planes around the one the ratio u/v picks.

    The planes are tangents of one concave function, so at a given ratio their
    values fall and then rise along the sorted list; the float ratio locates the
    lowest to within a plane, and a window around it holds the exact minimum.
    """
    u, v = np.broadcast_arrays(u, v)
    ratio = np.divide(u, v, out=np.where(u > 0, np.inf, 0.0), where=v > 0)
    start = len(_CROSS) - np.searchsorted(_CROSS[::-1], ratio, side="right")  # crossings above the ratio
    best = None
    for shift in range(2 * _WINDOW + 1):  # the padded planes: start - _WINDOW .. start + _WINDOW
        i = start + shift
        got = _A_PADDED[i] * u + _B_PADDED[i] * v
        best = got if best is None else np.minimum(best, got)
    assert best is not None, "the window holds at least one plane"
    return best


@dataclass(frozen=True)
class IntTables:
    scales: Scales
    units: list[int]
    clocks: list[int]
    k_tpp: list[int]  # per rate option: TPPx = units x clock x k_tpp
    k_flops: list[
        int
    ]  # per rate option: FLOPx = units x clock x k_flops, FLOP/s in steps (workload precision)
    mem_bw: list[int]
    mem_cap: list[int]
    mem_cost: list[int]  # cents: memory and its package
    die_cost: list[int]  # cents per units option: logic dies per good part
    fixed_cost: int  # cents: test, assembly, board
    link: list[int]  # chip-to-chip links, bidirectional
    io: list[int]  # links plus PCIe, bidirectional
    markets: list[bool]
    need_cap: int
    value_pieces: tuple[IntPiece, ...]  # the value is the smallest piece
    value_upper: int  # no design's value exceeds this
    area_mm2: Fraction
    area_range_mm2: tuple[Fraction, Fraction] | None = None  # estimated area: judged over the range
    value_floor: int = 0  # --at-least: a design's value (before fees) must reach this, rounded up

    def _area(self, op: Op, surely: bool) -> Fraction:
        """The end of the area range at which a density clause is hardest (surely) or easiest to meet.

        Density falls as area grows, so a lower bound on density is easiest to meet at
        the smallest area; an upper bound at the largest. Each clause is monotone in
        the area, so one end decides it exactly.
        """
        if self.area_range_mm2 is None:
            return self.area_mm2
        low, high = self.area_range_mm2
        lower_bound = op in (Op.GE, Op.GT)
        return (high if surely else low) if lower_bound else (low if surely else high)

    def atom(self, clause: Clause, surely: bool = False) -> Atom:
        """A rule clause on this space's integers (exact; see scaling.integer_bound).

        `surely`: the clause must hold over the whole range of an estimated die area
        (a relief); otherwise it holds if it can hold anywhere in it (a control, a charge).
        """
        if clause.metric == "datacenter":
            return Atom("dc", Op.EQ, bool(clause.value))
        if clause.metric == "die_area_mm2":
            return Atom("const", Op.EQ, clause.op.holds(self.area_mm2, clause.value))
        if clause.metric not in METRIC_RESOURCE:
            raise ValueError(f"the search cannot encode a clause on {clause.metric}")
        resource = METRIC_RESOURCE[clause.metric]
        line = clause.value
        assert not isinstance(line, bool), f"{clause.metric} is numeric (the loader checks each clause)"
        s = self.scales
        if clause.metric == "performance_density":
            if not self.area_mm2:
                return Atom("const", Op.EQ, False)  # no applicable area: density undefined
            threshold = line * self._area(clause.op, surely) * s.tpp
        elif resource == "tpp":
            threshold = line * s.tpp
        elif resource == "cap":
            threshold = line * s.gb
        else:
            threshold = line * s.gbps
        op, bound = integer_bound(clause.op, threshold)
        return Atom(resource, op, bound)


def _exact_int(x: Fraction) -> int:
    """A scaled quantity that must be a whole number (the scales are chosen so it is)."""
    if Fraction(x).denominator != 1:
        raise ValueError(f"{x} is not an integer at this scale")
    return int(x)


def _per_unit_clock(space: DesignSpace, rate: RateLimit) -> dict[Precision, Fraction]:
    """Dense ops per unit per clock of each precision under a rate limit: metrics.dense_tflops itself,
    at one unit and 1 MHz, so the tables and the checker read one arithmetic."""
    per_mhz = dense_tflops(space.die, Fraction(1), Fraction(1), rate.as_sku_limits(space.die))
    return {p: x * 10**6 for p, x in per_mhz.items()}


def tables(
    space: DesignSpace,
    obj: v.Objective,
    pcie: PcieGeneration,
    reference: Fraction,
    costs: CostData,
    robust: bool = True,
    floor_tokens_per_s: Fraction = Fraction(0),
) -> IntTables:
    """`robust`: judge density over an estimated die area's whole range (else at its point value);
    `floor_tokens_per_s`: the competitor floor (--at-least), in tokens/s per chip."""
    rate_den = lcm_of_denominators([x for r in space.rate_limits for x in (r.tensor, r.tensor * r.narrow)])
    mem_values = [q for m in space.memory for q in (m.bandwidth_gbps,)]
    pcie_bidir = space.die.pcie_lanes * pcie.gbps_per_lane_per_direction.value * 2
    link_values = [k.bidirectional_gbps for k in space.links] + [pcie_bidir]
    scales = Scales(
        rate=rate_den,
        gbps=lcm_of_denominators(mem_values + link_values),
        gb=lcm_of_denominators([m.capacity_gb for m in space.memory]),
    )
    precision = v.workload_precision(obj.workload, {th.precision for th in space.die.throughput})
    per_clock = [_per_unit_clock(space, r) for r in space.rate_limits]
    k_tpp = [_exact_int(rate_den * tpp(ops)) for ops in per_clock]
    # the rate the value reads: the realised low-precision peak (value.realised_ops), on its own denominator
    realised = [v.realised_ops(ops, precision, obj.efficiency) for ops in per_clock]
    flops_den = rate_den * lcm_of_denominators(realised)
    k_flops = [_exact_int(flops_den * x) for x in realised]
    flops_step = math.gcd(*k_flops)  # keeps FLOPx small, so value coefficients keep their digits
    k_flops = [k // flops_step for k in k_flops]
    g = scales.gbps
    need = v.memory_floor_gb(obj) * scales.gb
    flops_unit = Fraction(10**6 * flops_step, flops_den)  # FLOP/s per flops integer
    per_value = Fraction(scales.value) / reference  # value units per token/s per chip
    pieces = _value_pieces(space, obj, pcie_bidir, flops_unit, per_value)
    top_flops = max(space.units) * max(space.clocks_mhz) * max(k_flops)
    upper = max(harmonic_int([_upper(r, top_flops) for r in piece.rates]) for piece in pieces)
    return IntTables(
        scales=scales,
        units=space.units,
        clocks=space.clocks_mhz,
        k_tpp=k_tpp,
        k_flops=k_flops,
        mem_bw=[_exact_int(m.bandwidth_gbps * g) for m in space.memory],
        mem_cap=[_exact_int(m.capacity_gb * scales.gb) for m in space.memory],
        mem_cost=[round(cost.memory_cost_usd(m, costs, space.die) * 100) for m in space.memory],
        die_cost=[round(cost.logic_cost_usd(space.die, u, costs) * 100) for u in space.units],
        fixed_cost=round(cost.fixed_cost_usd(space.die, costs) * 100),
        link=[_exact_int(k.bidirectional_gbps * g) for k in space.links],
        io=[_exact_int((k.bidirectional_gbps + pcie_bidir) * g) for k in space.links],
        markets=space.datacenter,
        need_cap=-(-need.numerator // need.denominator),
        value_pieces=pieces,
        value_upper=upper,
        area_mm2=applicable_die_area_mm2(space.die),
        area_range_mm2=applicable_die_area_range_mm2(space.die) if robust else None,
        value_floor=math.ceil(floor_tokens_per_s * per_value),
    )


def _upper(r: IntRate, top_flops: int) -> int:
    return r.coef * top_flops if r.kind == "flops" else max(r.table)


def _value_pieces(
    space: DesignSpace, obj: v.Objective, pcie_bidir: Fraction, flops_unit: Fraction, per_value: Fraction
) -> tuple[IntPiece, ...]:
    """value.pieces on this space's integers: coefficients and per-option tables, rounded to value units."""
    d = v.demand(obj)

    def res(mem: MemoryOption | None = None, link: LinkOption | None = None) -> v.Resources:
        io = (link.bidirectional_gbps if link else 0) + pcie_bidir
        return v.Resources(
            Fraction(0),
            mem.bandwidth_gbps if mem else Fraction(0),
            Fraction(io, 2),
            mem.capacity_gb if mem else Fraction(0),
        )

    @functools.cache  # pieces share rates and scales: each table is computed once
    def as_int(rate: v.Rate) -> IntRate:
        if rate.kind == "flops":
            return IntRate("flops", coef=round(rate.per_flop * flops_unit * per_value))
        options = (
            [res(mem=m) for m in space.memory]
            if rate.kind == "memory"
            else [res(link=k) for k in space.links]
        )
        return IntRate(
            rate.kind, table=tuple(math.floor(v.rate_value(d, rate, x) * per_value) for x in options)
        )

    @functools.cache
    def scale(scaled_by: str | None) -> tuple[int, ...]:
        if not scaled_by:
            return ()
        return tuple(
            math.floor(v.latency_factor(d, scaled_by, m.bandwidth_gbps, m.capacity_gb) * SCALE_ONE)
            for m in space.memory
        )

    def piece(p: v.Piece) -> IntPiece:
        return IntPiece(tuple(as_int(r) for r in p.rates), scale(p.scaled_by))

    return tuple(piece(p) for p in v.pieces(obj))
