"""Numbers read from untrusted text (CSV cells, JSON, command lines, TOML decimals), made exact and bounded.

`Fraction("1e9999999")` builds a ten-million-digit integer, and so does `1e-9999999`; a bound on the
value alone misses the second. Every number is checked on its written form first: finite, at most
`most` in magnitude and at most `PLACES` decimal places, so parsing it costs microseconds whatever it says.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

MAX_MAGNITUDE = 10**12  # no figure in a data file is larger: keeps the solver's 64-bit products safe
PLACES = 64  # decimal places a written number may carry
_RATIO = re.compile(r"\s*([+-]?\d{1,40})\s*/\s*(\d{1,40})\s*")  # p/q, as the catalog CSV writes exact figures


def exact(raw: object, most: int = MAX_MAGNITUDE) -> Fraction:
    """`raw` (a str, int, float or Decimal) as an exact Fraction; ValueError saying why when it is not a
    finite number within `most` in magnitude and `PLACES` decimal places."""
    if isinstance(raw, bool):
        raise ValueError("a number, not true or false")
    if isinstance(raw, int):
        value = Fraction(raw)
    elif isinstance(raw, float | Decimal):
        value = _decimal(Decimal(raw) if isinstance(raw, Decimal) else Decimal(repr(raw)), most)
    elif isinstance(raw, str):
        ratio = _RATIO.fullmatch(raw)
        if ratio:
            if int(ratio.group(2)) == 0:
                raise ValueError("a ratio with a non-zero denominator")
            value = Fraction(int(ratio.group(1)), int(ratio.group(2)))
        else:
            try:
                value = _decimal(Decimal(raw.strip()), most)
            except InvalidOperation:
                raise ValueError("a number") from None
    else:
        raise ValueError("a number")
    if abs(value) > most:
        raise ValueError(f"a number of at most {most:.0e} in magnitude")
    return value


def _decimal(d: Decimal, most: int) -> Fraction:
    if not d.is_finite():
        raise ValueError("a finite number (not nan or inf)")
    exponent = d.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent < -PLACES:
        raise ValueError(f"a number with at most {PLACES} decimal places")
    if d.adjusted() > len(str(most)):  # refused before it is expanded
        raise ValueError(f"a number of at most {most:.0e} in magnitude")
    return Fraction(d)
