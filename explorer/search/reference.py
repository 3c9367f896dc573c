"""The value model's yardstick: one reference SKU (the objective's, H100 SXM by default) is value 1."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

from explorer.load.loader import (
    ValidatedError,
    calibrated_architectures,
    fit_used,
    load_efficiency,
    load_efficiency_table,
)
from explorer.model import value as v
from explorer.model.catalog import Catalog
from explorer.model.checker import Verdict
from explorer.model.chips import Sku
from explorer.model.errors import InputError


def sku_rate(sku: Sku, catalog: Catalog, obj: v.Objective, root: Path | None = None) -> Fraction:
    """Tokens/s per chip of a catalog SKU on the objective's workload, at its own architecture's fit."""
    own = dataclasses.replace(obj, efficiency=load_efficiency(catalog.dies[sku.die].architecture, root))
    return v.tokens_per_s(v.resources(catalog.metrics(sku), own), own)


def floor_rate(
    chips: tuple[str, ...], catalog: Catalog, obj: v.Objective, root: Path | None = None
) -> Fraction:
    """--at-least: the highest tokens/s per chip of the named SKUs (0 if none named)."""
    return max((sku_rate(catalog.find_sku(c), catalog, obj, root) for c in chips), default=Fraction(0))


def reference_rate(catalog: Catalog, obj: v.Objective, root: Path | None = None) -> Fraction:
    """Tokens/s per chip of the reference SKU on the objective's workload, at its own architecture's fit."""
    rate = sku_rate(catalog.skus[obj.reference_sku], catalog, obj, root)
    if not rate:  # name the file that chose the reference: the workload's overrides the objective's
        objective = f"specs/objectives/{obj.id}.toml"
        where = f"workload {obj.workload.id}" if obj.workload.reference_sku else objective
        raise InputError(
            where,
            "reference_sku",
            obj.reference_sku,
            f"a SKU that can serve {obj.workload.id} (it does not fit or misses the latency target)",
        )
    return rate


def sku_value(
    sku: Sku, verdict: Verdict, catalog: Catalog, obj: v.Objective, root: Path | None = None
) -> Fraction:
    """A shipped SKU on the search's scale (the reference SKU is 1), fees taken off."""
    gross = v.value(v.resources(catalog.metrics(sku), obj), reference_rate(catalog, obj, root), obj)
    fees = sum((c.percent for c in verdict.charges), start=Fraction(0))
    return gross * (1 - fees / 100)


def efficiency_note(
    metrics, architecture: str, obj: v.Objective, reference: Fraction, root: Path | None = None
) -> v.EfficiencyNote:
    """Whether `architecture` has its own fit; if not, the value's range under every calibrated fit.

    A die without measured points is valued at its vendor's nearest calibrated architecture's
    fit (setup.fallback) or the pooled default: its rank can move anywhere in the range the
    calibrated architectures' efficiencies span.
    """
    table = load_efficiency_table(root)
    several = obj.workload.chips > 1
    where = "several_chips" if several else "one_chip"
    # its own runs; without any, the runs of the fit it is valued at (which the fit's error then carries)
    fit = fit_used(architecture, root)
    whose = architecture if architecture in table.validated else (fit or "")
    bias = table.validated.get(whose, ValidatedError())
    note = v.EfficiencyNote(
        architecture,
        architecture in table.architectures,
        table.points.get(architecture, 0),
        validated_error=getattr(bias, where),
        validated_runs=getattr(bias, f"{where}_runs"),
        several_chips=several,
        validated_on=whose if whose != architecture else "",
    )
    if note.calibrated:
        return note
    values = []
    for e in calibrated_architectures(root).values():
        other = dataclasses.replace(obj, efficiency=e)
        values.append(v.value(v.resources(metrics, other), reference, other))
    low, high = min(values, default=None), max(values, default=None)
    return dataclasses.replace(note, low=low, high=high, fit=fit)
