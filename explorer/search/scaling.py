"""The one table of integer scales the solver works in, and exact bound rounding.

CP-SAT takes integers only. Every metric the model uses is an integer multiple
of a known unit, so a rule line `metric op t` becomes `x op' T` on integers with
no loss: the rounding below is exact, and where a value is not representable it
rounds toward the compliant side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from explorer.model.rules import Op


def lcm_of_denominators(values) -> int:
    return math.lcm(1, *(Fraction(v).denominator for v in values))


@dataclass(frozen=True)
class Scales:
    """Multiply a metric by its scale to get the solver's integer."""

    rate: int  # tensor rate limit r is r_num / rate
    gbps: int  # memory and link bandwidth, GB/s
    gb: int  # memory capacity, GB
    value: int = 2**36  # the objective: value x this (the reference SKU is value 1), before fees
    fee_basis: int = 10_000  # fees in basis points

    @property
    def tpp(self) -> int:
        """TPPx = units x clock_MHz x k(r), with k(r) = rate x max(r x tensor, vector) ops x bits."""
        return self.rate * 10**6


def integer_bound(op: Op, threshold: Fraction) -> tuple[Op, int]:
    """`x op threshold` for an integer x, as `x op' T` with T an integer: exactly equivalent."""
    if op is Op.GE:
        return Op.GE, math.ceil(threshold)
    if op is Op.GT:
        return Op.GE, math.floor(threshold) + 1
    if op is Op.LE:
        return Op.LE, math.floor(threshold)
    if op is Op.LT:
        return Op.LE, math.ceil(threshold) - 1
    raise ValueError(f"no integer bound for {op}")
