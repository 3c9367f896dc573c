"""Frozen values back to plain TOML-ready data: the inverse of the loader's parse."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal, localcontext
from enum import Enum
from fractions import Fraction


def exact_decimal(x: Fraction) -> Decimal:
    """A Fraction as a Decimal, refusing any that would lose precision."""
    with localcontext() as ctx:
        ctx.prec = 60
        d = Decimal(x.numerator) / Decimal(x.denominator)
    if Fraction(d) != x:
        raise ValueError(f"{x} has no exact decimal form")
    return d.normalize() if d != d.to_integral_value() else d.quantize(Decimal(1))


def to_data(obj: object) -> object:
    """Dataclasses, Fractions and Enums as dicts, Decimals and strings; None fields dropped."""
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is not None:
                out[f.name] = to_data(value)
        return out
    if isinstance(obj, Fraction):
        return exact_decimal(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_data(v) for v in obj]
    if isinstance(obj, (str, int, bool, dt.date)):
        return obj
    raise TypeError(f"cannot serialise {type(obj).__name__}")
