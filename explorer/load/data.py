"""The data folder read into one `Data` bundle (cached per folder), and scenarios applied to it."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

from explorer.load.loader import (
    check_references,
    check_rule_products,
    default_data_dir,
    load_catalog,
    load_destinations,
    load_rules,
)
from explorer.model.data import Data


def with_scenarios(data: Data, names) -> Data:
    """The data with scenarios (ids or files) applied to its rules, in the order given."""
    from explorer.load.loader import load_scenario
    from explorer.model.scenarios import apply

    if not names:
        return data
    law = data.law if data.law is not None else data.rules
    loaded = [*data.scenarios, *(load_scenario(n, law, data.destinations, data.root) for n in names)]
    rules = apply(law, loaded)
    check_rule_products(rules, data.catalog, data.root)
    return dataclasses.replace(data, rules=rules, scenarios=tuple(loaded), law=law)


@lru_cache(maxsize=4)
def _load(root: Path) -> Data:
    destinations = load_destinations(root)
    catalog, rules = load_catalog(root), load_rules(root, destinations)
    check_rule_products(rules, catalog, root)
    check_references(catalog, rules, root)
    return Data(catalog, rules, destinations, root)


def load(root: Path | str | None = None) -> Data:
    """Chips, rules and destinations from a data folder (default: this repository's)."""
    return _load(Path(root) if root else default_data_dir())
