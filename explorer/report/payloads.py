"""The whole JSON documents and CSV rows the commands print, built here so the CLI only prints them.

Each command's records (results.result_dict, path_dict, robust_dict, render's
classification and rule dicts) go into one envelope that says what was asked:
destination, date, objective, the rules or scenarios in force, and the caveat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from explorer.model.classification import SCREEN_NOTE, Classification, screen_note
from explorer.model.destinations import Target
from explorer.model.rules import RuleSet
from explorer.report.render import classification_dict, rule_dict, scenario_dict


def search_payload(
    where: Target,
    on: dt.date,
    goal: str,
    value_model: str,
    allowed: str,
    margin_pct: float,
    records: list[dict],
    rules: Sequence[RuleSet],
    scenarios: Sequence,
) -> dict:
    """The main job: one result record per base (results.result_dict), with the question asked."""
    return {
        "target": where.code,
        "as_of": on.isoformat(),
        "objective": goal,
        "value_model": value_model,
        "allowed": allowed,
        "margin_pct": margin_pct,
        "results": records,
        "ranking": ranking_dict(records),
        "rules": [rule_dict(r) for r in rules],
        "scenarios": [scenario_dict(sc) for sc in scenarios],
        "note": screen_note(scenarios),
    }


def ranking_dict(records: list[dict]) -> dict:
    """How much the ranking rests on uncalibrated efficiencies: each base's best and worst rank when every
    base without a fit of its own ranges over its value under the calibrated fits (results.rank_ranges)."""
    from explorer.report.results import rank_ranges, validated_ranks

    ranks = rank_ranges(records)
    moved = validated_ranks(records)
    return {
        "uncalibrated": [
            r["base"]
            for r in records
            if r.get("calibration") and not r["calibration"]["calibrated"] and r["value"]
        ],
        "rank_ranges": {base: list(span) for base, span in ranks.items()},
        "ranks_open": sum(1 for lo, hi in ranks.values() if lo != hi),
        # bases whose architecture's validation runs the fit misses by over 15%: value and rank at that error
        "validated": {base: {"value": round(at, 4), "rank": rank} for base, (at, rank) in moved.items()},
    }


def search_csv_rows(records: list[dict]) -> list[dict]:
    """The main job as one row per base: the design, its headline metrics and the lines that bind."""
    return [
        {
            "base": r["base"],
            "status": r["status"],
            "value": r["value"],
            "outcome": r["outcome"],
            "design": r["design"]["summary"] if r["design"] else None,
            "tpp": r["metrics"]["tpp"] if r["metrics"] else None,
            "memory_bandwidth_gbps": r["metrics"]["memory_bandwidth_gbps"] if r["metrics"] else None,
            "binding": [b["paragraph"] for b in r["binding"]],
            "cost_usd": r.get("cost_usd"),
        }
        for r in records
    ]


def compare_payload(target: str, on: dt.date, goal: str, paths: list[dict], scenarios: Sequence) -> dict:
    """`explore compare`: the best design on each compliance path (results.path_dict rows)."""
    return {
        "target": target,
        "as_of": on.isoformat(),
        "objective": goal,
        "paths": paths,
        "scenarios": [scenario_dict(sc) for sc in scenarios],
        "note": screen_note(scenarios),
    }


def compare_csv_rows(paths: list[dict]) -> list[dict]:
    """One row per base and path, with the path's economics beside it."""
    return [{**r, **(r.get("economics") or {})} for r in paths]


def frontier_payload(
    base: str, x: str, y: str, complete: bool, points: list[dict], scenarios: Sequence
) -> dict:
    """`explore frontier`: the points of one base's trade-off curve (results.frontier_rows)."""
    return {
        "base": base,
        "x": x,
        "y": y,
        "complete": complete,
        "points": points,
        "scenarios": [scenario_dict(sc) for sc in scenarios],
    }


def robust_payload(
    target: str, on: dt.date, mode: str, worlds: list[str], records: list[dict], scenarios: Sequence
) -> dict:
    """`explore robust`: one record per base (results.robust_dict) over the named worlds."""
    return {
        "target": target,
        "as_of": on.isoformat(),
        "objective": mode,
        "worlds": worlds,
        "results": records,
        "scenarios": [scenario_dict(sc) for sc in scenarios],
        "note": SCREEN_NOTE + " Scenarios are what-ifs, never law.",
    }


def robust_csv_rows(records: list[dict]) -> list[dict]:
    """One row per base and world."""
    return [{"base": r["base"], "robust_value": r["value"], **w} for r in records for w in r["worlds"]]


def screen_payload(
    where: Target, on: dt.date, rules: Sequence[RuleSet], results: list[Classification], scenarios: Sequence
) -> dict:
    """`explore screen`: the rules in force and every chip classified."""
    return {
        "target": where.code,
        "as_of": on.isoformat(),
        "rules": [rule_dict(r) for r in rules],
        "results": [classification_dict(c) for c in results],
        "scenarios": [scenario_dict(sc) for sc in scenarios],
        "note": screen_note(scenarios),
    }


def screen_csv_rows(results: list[Classification]) -> list[dict]:
    """One row per chip: the figures the rules read and the outcome (a value reference says so)."""
    return [
        {
            "chip": c.chip,
            "tpp": float(c.metrics.tpp),
            "performance_density": float(c.metrics.performance_density or 0),
            "memory_bandwidth_gbps": float(c.metrics.memory_bandwidth_gbps),
            "datacenter": c.metrics.datacenter,
            "outcome": "reference-only" if c.reference_only else c.verdict.outcome.value,
            "worst_outcome": "reference-only" if c.reference_only else (c.worst or c.verdict).outcome.value,
            "fired": sorted({f.paragraph for f in c.verdict.fired if f.outcome == c.verdict.outcome}),
            "charges": [f"{float(x.percent):g}% {x.kind}" for x in c.verdict.charges],
            "uncertain": [u.figure for u in c.uncertain],
        }
        for c in results
    ]


def classify_csv_rows(result: Classification) -> list[dict]:
    """`explore classify` as CSV: one row per line in force, with the chip's margin to it."""
    d = classification_dict(result)
    head = {"chip": result.chip, "target": result.target.code, "as_of": result.as_of.isoformat()}
    return [{**head, "outcome": result.verdict.outcome.value, **m} for m in d["margins"]]


def rules_payload(where: Target, on: dt.date, rules: Sequence[RuleSet], scenarios: Sequence) -> dict:
    """`explore rules`: the rule sets in force, with citations and status."""
    return {
        "target": where.code,
        "as_of": on.isoformat(),
        "rules": [rule_dict(r) for r in rules],
        "scenarios": [scenario_dict(sc) for sc in scenarios],
    }
