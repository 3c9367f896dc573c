"""Units the data files may use, and their factor to the canonical unit.

Integer scaling for the solver is not here: these are exact rational factors
between human units, applied once by the loader.
"""

from __future__ import annotations

from fractions import Fraction

# canonical unit -> {accepted spelling: factor to canonical}
UNITS: dict[str, dict[str, Fraction]] = {
    "count": {"count": Fraction(1)},
    "mm2": {"mm2": Fraction(1), "cm2": Fraction(100)},
    "MHz": {"MHz": Fraction(1), "GHz": Fraction(1000)},
    "GB": {"GB": Fraction(1), "TB": Fraction(1000)},
    "GB/s": {"GB/s": Fraction(1), "TB/s": Fraction(1000)},
    "Gbps": {"Gbps": Fraction(1)},
    "W": {"W": Fraction(1), "kW": Fraction(1000)},
    "ops/clk": {"ops/clk": Fraction(1)},
    "ratio": {"ratio": Fraction(1)},
    "percent": {"percent": Fraction(1)},
    "TFLOPS": {"TFLOPS": Fraction(1), "TOPS": Fraction(1), "PFLOPS": Fraction(1000)},
    "TPP": {"TPP": Fraction(1)},
    "TPP/mm2": {"TPP/mm2": Fraction(1)},
    "GB/s/mm2": {"GB/s/mm2": Fraction(1)},
    "bool": {"bool": Fraction(1)},
    "USD": {"USD": Fraction(1)},
    "per cm2": {"per cm2": Fraction(1), "per mm2": Fraction(100)},
}


def to_canonical(value: Fraction, unit: str, canonical: str) -> Fraction | None:
    """Convert to the canonical unit, or None when the unit is not one it accepts."""
    factor = UNITS[canonical].get(unit)
    return None if factor is None else value * factor


def accepted(canonical: str) -> str:
    return " or ".join(repr(u) for u in UNITS[canonical])
