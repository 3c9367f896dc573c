"""The public Python API, the single front door: what the CLI calls, and what a notebook can call directly.

Only the CLI and `explorer/__init__` import it; library modules import the module that owns a name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from explorer.load.data import load, with_scenarios
from explorer.load.loader import (
    is_packaged,
    load_measured,
    load_objective,
    load_portfolio,
    load_workloads,
    objective_names,
    read_json,
    scenario_names,
)
from explorer.load.options import buyer, end_user_scopes, parse_date
from explorer.model.classification import SCREEN_NOTE, Classification, screen_note
from explorer.model.data import Data
from explorer.model.destinations import resolve_target
from explorer.screen import DEFAULT_OBJECTIVE, classify, classify_catalog, classify_table, rules_for

if TYPE_CHECKING:  # imported on first use (below), so classify and screen never load the solver
    from explorer.search.frontiers import cost_frontier, margin_frontier
    from explorer.search.portfolio import PortfolioResult, candidate_dies, portfolio
    from explorer.search.robustness import BASELINE, parse_weights, robust, worlds_of
    from explorer.search.run import (
        CheckerDisagrees,
        Found,
        NoDesign,
        Problem,
        SearchResult,
        family_bases,
        problem,
        resolve_base,
        search,
        search_bases,
    )
    from explorer.search.verify import replay, replay_cases, replay_dict, report_dict, report_rows, verify

_ON_FIRST_USE = {
    **dict.fromkeys(("cost_frontier", "margin_frontier"), "explorer.search.frontiers"),
    **dict.fromkeys(("PortfolioResult", "candidate_dies", "portfolio"), "explorer.search.portfolio"),
    **dict.fromkeys(("BASELINE", "parse_weights", "robust", "worlds_of"), "explorer.search.robustness"),
    **dict.fromkeys(
        (
            "CheckerDisagrees",
            "Found",
            "NoDesign",
            "Problem",
            "SearchResult",
            "family_bases",
            "problem",
            "resolve_base",
            "search",
            "search_bases",
        ),
        "explorer.search.run",
    ),
    **dict.fromkeys(
        ("replay", "replay_cases", "replay_dict", "report_dict", "report_rows", "verify"),
        "explorer.search.verify",
    ),
}


def __getattr__(name: str):
    """The search's names, imported when first asked for: the solver and pandas load in about 0.3 s."""
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer.api' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "BASELINE",
    "DEFAULT_OBJECTIVE",
    "CheckerDisagrees",
    "Found",
    "NoDesign",
    "Problem",
    "SearchResult",
    "SCREEN_NOTE",
    "Classification",
    "Data",
    "candidate_dies",
    "classify",
    "classify_catalog",
    "classify_table",
    "cost_frontier",
    "buyer",
    "end_user_scopes",
    "is_packaged",
    "load",
    "load_measured",
    "load_objective",
    "load_portfolio",
    "load_workloads",
    "margin_frontier",
    "objective_names",
    "parse_date",
    "family_bases",
    "parse_weights",
    "portfolio",
    "PortfolioResult",
    "problem",
    "read_json",
    "replay",
    "replay_cases",
    "replay_dict",
    "report_dict",
    "report_rows",
    "resolve_base",
    "resolve_target",
    "robust",
    "rules_for",
    "scenario_names",
    "screen_note",
    "search",
    "search_bases",
    "verify",
    "with_scenarios",
    "worlds_of",
]
