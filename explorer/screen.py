"""Screening catalog chips: one chip, or the whole catalog, judged for a destination and date."""

from __future__ import annotations

import dataclasses
import datetime as dt

from explorer.load.data import load
from explorer.load.loader import load_objective
from explorer.load.options import end_user_scopes, parse_date
from explorer.model.checker import applies
from explorer.model.classification import Classification
from explorer.model.data import Data
from explorer.model.destinations import Target, resolve_target
from explorer.model.ranges import area_figure, judge_over, sku_figures
from explorer.model.rules import RuleSet
from explorer.search.reference import sku_value

DEFAULT_OBJECTIVE = "llm-serving"


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
