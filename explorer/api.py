"""The public Python API, the single front door: what the CLI calls, and what a notebook can call directly.

Only the CLI and `explorer/__init__` import it; library modules import the module that owns a name.
"""

from __future__ import annotations

from explorer.load.data import load, with_scenarios
from explorer.load.options import end_user_scopes, parse_date
from explorer.model.classification import SCREEN_NOTE, Classification, screen_note
from explorer.model.data import Data
from explorer.model.destinations import resolve_target
from explorer.screen import DEFAULT_OBJECTIVE, classify, classify_catalog, classify_table, rules_for

__all__ = [
    "DEFAULT_OBJECTIVE",
    "SCREEN_NOTE",
    "Classification",
    "Data",
    "classify",
    "classify_catalog",
    "classify_table",
    "end_user_scopes",
    "load",
    "parse_date",
    "resolve_target",
    "rules_for",
    "screen_note",
    "with_scenarios",
]
