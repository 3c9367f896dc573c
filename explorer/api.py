"""The public Python API: what the CLI calls, and what a notebook can call directly."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from explorer.catalog import Catalog
from explorer.checker import Verdict, applies
from explorer.chips import Sku
from explorer.destinations import DestinationData, Target, resolve_target
from explorer.errors import InputError
from explorer.facts import Facts
from explorer.loader import (
    check_references,
    check_rule_products,
    default_data_dir,
    load_catalog,
    load_destinations,
    load_objective,
    load_rules,
)
from explorer.metrics import Metrics
from explorer.ranges import Uncertain, area_figure, judge_over, sku_figures
from explorer.reference import sku_value
from explorer.rules import RuleSet

SCREEN_NOTE = (
    "An engineering screen against the rules as encoded, not legal advice: "
    "rules marked 'reported' are press accounts of unpublished lines, not law."
)


@dataclass(frozen=True)
class Data:
    catalog: Catalog
    rules: list[RuleSet]  # with the scenarios applied, if any
    destinations: DestinationData
    root: Path
    scenarios: tuple = ()  # the scenarios applied (explorer.scenarios.Scenario)
    law: list[RuleSet] | None = None  # the rules as encoded before any scenario


def with_scenarios(data: Data, names) -> Data:
    """The data with scenarios (ids or files) applied to its rules, in the order given."""
    from explorer.loader import load_scenario
    from explorer.scenarios import apply

    if not names:
        return data
    law = data.law if data.law is not None else data.rules
    loaded = [*data.scenarios, *(load_scenario(n, law, data.destinations, data.root) for n in names)]
    rules = apply(law, loaded)
    check_rule_products(rules, data.catalog, data.root)
    return dataclasses.replace(data, rules=rules, scenarios=tuple(loaded), law=law)


def screen_note(scenarios=()) -> str:
    """The standing caveat, naming any scenario applied."""
    if not scenarios:
        return SCREEN_NOTE
    named = "; ".join(f"{sc.id} ({sc.status.value})" for sc in scenarios)
    return f"{SCREEN_NOTE} Scenarios applied, what-ifs and not law: {named}."


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


def parse_date(text: str | dt.date | None, option: str = "--as-of") -> dt.date:
    """A date given as YYYY-MM-DD; None means today."""
    if text is None:
        return dt.date.today()
    if isinstance(text, dt.date):
        return text
    import re

    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise InputError(option, "", text, "a date as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(option, "", text, "a date as YYYY-MM-DD") from None


@dataclass(frozen=True)
class Classification:
    """One chip judged for one destination and date."""

    sku: Sku
    target: Target
    as_of: dt.date
    metrics: Metrics
    verdict: Verdict  # at the figures' nominal values
    rules: list[RuleSet]
    value: Fraction  # the default value model, relative to its reference SKU, after fees
    facts: Facts | None = None
    worst: Verdict | None = None  # the most restrictive verdict over estimated figures' ranges
    uncertain: list[Uncertain] = field(default_factory=list)
    scenarios: tuple = ()


DEFAULT_OBJECTIVE = "llm-serving"


def end_user_scopes(data: Data, end_user_hq: str | None, on: dt.date) -> frozenset[str] | None:
    """The scopes (country and groups) of the buyer's headquarters, from --end-user-hq."""
    if end_user_hq is None:
        return None
    try:
        return resolve_target(data.destinations, end_user_hq, on).scopes
    except InputError as e:
        raise InputError("--end-user-hq", "", end_user_hq, e.expected) from None


def classify(
    chip: str,
    target: str = "china",
    as_of: str | dt.date | None = None,
    data: Data | None = None,
    end_user_hq: str | None = None,
    assume_us_launch: str | dt.date | None = None,
) -> Classification:
    """Judge a catalog chip (matched by id, name or alias) for a target on a date.

    `end_user_hq`: where the buyer (or its ultimate parent) is headquartered;
    `assume_us_launch`: judge as if the chip had been on sale in the US from that date.
    """
    data = data or load()
    on = parse_date(as_of)
    sku = data.catalog.find_sku(chip)
    where = resolve_target(data.destinations, target, on)
    metrics = data.catalog.metrics(sku)
    facts = data.catalog.facts(sku, end_user_scopes(data, end_user_hq, on))
    if assume_us_launch is not None:
        facts = dataclasses.replace(
            facts, us_available_from=parse_date(assume_us_launch, "--assume-us-launch")
        )
    die = data.catalog.dies[sku.die]
    figures = [f for f in (area_figure(metrics, die),) if f] + sku_figures(sku, data.catalog)
    judged = judge_over(metrics, figures, where, on, data.rules, facts)
    verdict = judged.nominal
    active = [r for r in data.rules if r.id in verdict.rules_in_force and r.in_force(on)]
    obj = load_objective(DEFAULT_OBJECTIVE, data.root, die.architecture)
    worth = sku_value(sku, verdict, data.catalog, obj, data.root)
    return Classification(
        sku, where, on, metrics, verdict, active, worth, facts, judged.worst, judged.uncertain, data.scenarios
    )


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
