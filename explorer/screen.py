"""Screening catalog chips: one chip, or the whole catalog, judged for a destination and date."""

from __future__ import annotations

import dataclasses
import datetime as dt

from explorer.load.chip_table import RowError, TableChip, read_chip_table
from explorer.load.data import load
from explorer.load.loader import load_objective
from explorer.load.options import buyer, parse_date
from explorer.model.checker import applies
from explorer.model.checker import classify as classify_metrics
from explorer.model.classification import Classification
from explorer.model.data import Data
from explorer.model.destinations import Target, resolve_target
from explorer.model.names import name_key
from explorer.model.ranges import area_figure, judge_over, sku_figures
from explorer.model.rules import RuleSet
from explorer.search.reference import efficiency_note, reference_rate, sku_value

DEFAULT_OBJECTIVE = "llm-serving"


def classify(
    chip: str,
    target: str = "china",
    as_of: str | dt.date | None = None,
    data: Data | None = None,
    end_user_hq: str | None = None,
    assume_us_launch: str | dt.date | None = None,
    end_user: str | None = None,
) -> Classification:
    """Judge a catalog chip (matched by id, name or alias) for a target on a date.

    `end_user_hq`: where the buyer (or its ultimate parent) is headquartered;
    `assume_us_launch`: judge as if the chip had been on sale in the US from that date;
    `end_user`: a named buyer (destinations.toml [end_users], such as G42).
    """
    data = data or load()
    on = parse_date(as_of)
    sku = data.catalog.find_sku(chip)
    where = resolve_target(data.destinations, target, on)
    metrics = data.catalog.metrics(sku)
    facts = data.catalog.facts(sku, *buyer(data, end_user_hq, end_user, on))
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
    note = efficiency_note(
        metrics, die.architecture, obj, reference_rate(data.catalog, obj, data.root), data.root
    )
    reference = die.reference_only.note if die.reference_only else ""
    return Classification(
        sku,
        where,
        on,
        metrics,
        verdict,
        active,
        worth,
        facts,
        judged.worst,
        judged.uncertain,
        data.scenarios,
        reference,
        efficiency=note,
    )


def classify_figures(
    chip: TableChip,
    target: str = "china",
    as_of: str | dt.date | None = None,
    data: Data | None = None,
    assumptions: tuple[str, ...] = (),
) -> Classification:
    """Judge a chip known only by its figures (a row of `explore screen --from`).

    A row named like a catalog SKU is that product, so rules naming products apply to it.
    """
    data = data or load()
    on = parse_date(as_of)
    where = resolve_target(data.destinations, target, on)
    wanted = name_key(chip.name)
    named = next(
        (
            s.id
            for s in data.catalog.skus.values()
            if wanted in {name_key(n) for n in (s.id, s.name, *s.aliases)}
        ),
        None,
    )
    facts = dataclasses.replace(chip.facts, product=named)
    verdict = classify_metrics(chip.metrics, where, on, data.rules, facts)
    active = [r for r in data.rules if r.id in verdict.rules_in_force and r.in_force(on)]
    return Classification(
        None,
        where,
        on,
        chip.metrics,
        verdict,
        active,
        None,
        facts,
        scenarios=data.scenarios,
        reference_only=_reference_note(data, named),
        label=chip.name,
        assumptions=assumptions,
    )


def _reference_note(data: Data, sku_id: str | None) -> str:
    """A row named like a catalog value reference is that reference, and is not screened either."""
    if sku_id is None:
        return ""
    ref = data.catalog.dies[data.catalog.skus[sku_id].die].reference_only
    return ref.note if ref else ""


def classify_table(
    path: str, target: str = "china", as_of: str | dt.date | None = None, data: Data | None = None
) -> tuple[list[Classification], list[RowError]]:
    """Every readable row of a chip table judged; the unreadable rows, by row and column."""
    data = data or load()
    table = read_chip_table(path)
    judged = [classify_figures(c, target, as_of, data, tuple(table.assumptions)) for c in table.chips]
    return judged, table.errors


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
