"""The one user-facing error type: bad input, reported on one line."""

from __future__ import annotations

from enum import Enum

from explorer.model.names import printable


class InputError(Exception):
    """Bad input (a data file, a chip name, a date, a target), worth exit code 2.

    Carries where the problem is and what was expected, so the CLI can print
    one line instead of a traceback. The line is safe on a terminal: a path or
    name holding newlines or escape sequences is shown escaped.
    """

    def __init__(self, where: str, field: str, value: object, expected: str) -> None:
        self.where = where
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(str(self))

    def __reduce__(self):
        """Rebuilt from its four parts, so an error raised in a worker process reaches the parent intact."""
        return (type(self), (self.where, self.field, self.value, self.expected))

    def __str__(self) -> str:
        value = self.value.value if isinstance(self.value, Enum) else self.value  # 'json', not <Format...>
        shown = "nothing" if value is None else repr(value)  # a missing option, not "got None"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        field = f": {self.field}" if self.field else ""
        return printable(f"{self.where}{field}: got {shown}, expected {self.expected}")
