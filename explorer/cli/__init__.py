"""The `explore` command: parses options, calls explorer.api, picks the output format.

One module per command group; `app.py` holds the group and the main search,
`options.py` the shared options, `output.py` the printing. Heavy modules (pandas,
ortools, matplotlib) are imported only where used, so `explore --help` stays instant.
"""

from __future__ import annotations

from explorer.cli import (  # noqa: F401  (registers the commands)
    compare,
    portfolio,
    robust,
    screening,
    sweep,
    value,
    verify,
)
from explorer.cli.app import finish, main

finish()

__all__ = ["main"]
