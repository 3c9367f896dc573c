"""How wide text output may be: tables fit a terminal (or --width) and are never cut off one; prose wraps.

The CLI sets the width once per run (`use`); a notebook gets the default: tables at full width, prose at 80.
"""

from __future__ import annotations

import os
import textwrap
from contextvars import ContextVar, Token

PROSE = 80  # prose wraps here when nothing says otherwise: readable in a file or a mail
MIN_WIDTH = 20  # narrower than this no table stays legible

_WIDTH: ContextVar[int | None] = ContextVar("width", default=None)


def use(width: int | None) -> Token:
    """Fit text output to `width` columns from now on (None: tables are never fitted, prose wraps at
    COLUMNS or 80). Returns the token that `reset` takes."""
    return _WIDTH.set(width)


def reset(token: Token) -> None:
    _WIDTH.reset(token)


def detect(stream) -> int | None:
    """The width to fit output on `stream` to: a terminal's (COLUMNS first, as `shutil` reads it), or
    None where the stream is a file or a pipe, so nothing written there is ever cut or wrapped mid-row."""
    import shutil

    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return None
    return max(MIN_WIDTH, shutil.get_terminal_size((80, 24)).columns)


def table_width() -> int | None:
    """The columns a table must fit, or None: at full width (a file, a pipe, `--width 0`)."""
    return _WIDTH.get()


def prose_width() -> int:
    """Where prose wraps: the table width, else COLUMNS where it is a number, else 80."""
    width = _WIDTH.get()
    if width:
        return width
    columns = os.environ.get("COLUMNS", "")
    return max(MIN_WIDTH, int(columns)) if columns.isdigit() else PROSE


def wrap(line: str, indent: str = "    ", first: str = "") -> list[str]:
    """One line of prose as lines that fit `prose_width`, continuations hanging by `indent`."""
    return textwrap.wrap(
        line, prose_width(), initial_indent=first, subsequent_indent=indent, break_on_hyphens=False
    )
