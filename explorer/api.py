"""The public Python API: what the CLI calls, and what a notebook can call directly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from explorer.catalog import Catalog
from explorer.checker import Verdict, applies
from explorer.checker import classify as judge
from explorer.chips import Sku
from explorer.destinations import DestinationData, Target, resolve_target
from explorer.errors import InputError
from explorer.loader import (
    default_data_dir,
    load_catalog,
    load_destinations,
    load_objective,
    load_rules,
    load_space_config,
)
from explorer.metrics import Metrics
from explorer.reference import sku_value
from explorer.rules import RuleSet

SCREEN_NOTE = (
    "An engineering screen against the rules as encoded, not legal advice: "
    "rules marked 'reported' are press accounts of unpublished lines, not law."
)


@dataclass(frozen=True)
class Data:
    catalog: Catalog
    rules: list[RuleSet]
    destinations: DestinationData
    root: Path


@lru_cache(maxsize=4)
def _load(root: Path) -> Data:
    destinations = load_destinations(root)
    return Data(load_catalog(root), load_rules(root, destinations), destinations, root)


def load(root: Path | str | None = None) -> Data:
    """Chips, rules and destinations from a data folder (default: this repository's)."""
    return _load(Path(root) if root else default_data_dir())


def parse_date(text: str | dt.date | None) -> dt.date:
    """A date given as YYYY-MM-DD; None means today."""
    if text is None:
        return dt.date.today()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("--as-of", "", text, "a date as YYYY-MM-DD") from None


@dataclass(frozen=True)
class Classification:
    """One chip judged for one destination and date."""

    sku: Sku
    target: Target
    as_of: dt.date
    metrics: Metrics
    verdict: Verdict
    rules: list[RuleSet]
    value: Fraction  # the default value model, relative to the unmodified base die, after fees


DEFAULT_OBJECTIVE = "llm-serving"


def classify(
    chip: str, target: str = "china", as_of: str | dt.date | None = None, data: Data | None = None
) -> Classification:
    """Judge a catalog chip (matched by id, name or alias) for a target on a date."""
    data = data or load()
    on = parse_date(as_of)
    sku = data.catalog.find_sku(chip)
    where = resolve_target(data.destinations, target, on)
    metrics = data.catalog.metrics(sku)
    verdict = judge(metrics, where, on, data.rules)
    active = [r for r in data.rules if r.id in verdict.rules_in_force]
    obj = load_objective(DEFAULT_OBJECTIVE, data.root, data.catalog.dies[sku.die].architecture)
    worth = sku_value(sku, verdict, data.catalog, load_space_config(data.root), obj)
    return Classification(sku, where, on, metrics, verdict, active, worth)


def classify_catalog(
    target: str = "china", as_of: str | dt.date | None = None, data: Data | None = None
) -> list[Classification]:
    """Every SKU in the catalog, judged for one target and date."""
    data = data or load()
    return [classify(sku.id, target, as_of, data) for sku in data.catalog.skus.values()]


def rules_for(
    target: str = "china", as_of: str | dt.date | None = None, data: Data | None = None
) -> tuple[Target, dt.date, list[RuleSet]]:
    """The rule sets in force for a target on a date, HBM-only rules included."""
    data = data or load()
    on = parse_date(as_of)
    where = resolve_target(data.destinations, target, on)
    return where, on, [r for r in data.rules if applies(r, where, on)]
