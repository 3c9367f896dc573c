"""Views of result objects: JSON-ready dicts (the canonical form), text tables, CSV."""

from __future__ import annotations

import csv
import io
import math
import re
import textwrap
from collections.abc import Sequence
from fractions import Fraction

from explorer.model.catalog import Catalog
from explorer.model.checker import Fired, Margin
from explorer.model.classification import Classification, screen_note
from explorer.model.metrics import Metrics
from explorer.model.names import printable
from explorer.model.rules import RuleSet
from explorer.report import layout

METRIC_KEYS = (
    "tpp",
    "performance_density",
    "memory_bandwidth_gbps",
    "memory_gb",
    "memory_type",
    "io_bidirectional_gbps",
    "die_area_mm2",
    "datacenter",
    "power_w",
)


def num(x: Fraction | int | None, digits: int = 4) -> float | None:
    """A Fraction (or an int: a datacenter line's flag) as a float for output, rounded only for display."""
    return None if x is None else round(float(x), digits)


def pct(x: Fraction | float | None, signed: bool = False) -> str:
    """A percentage for text, with the digits its size needs: 337.3%, 1.54%, 0.036%, 0.006%.

    Under 1% two significant digits are kept, so a margin of 0.006% never reads +0.0%.
    """
    if x is None:
        return "-"
    x = float(x)
    if x == 0:
        return "0%"
    a = abs(x)
    if a >= 10:
        text = f"{x:.1f}"
    elif a >= 1:
        text = f"{x:.2f}"
    else:
        text = f"{x:.{1 - math.floor(math.log10(a))}f}".rstrip("0").rstrip(".")
    return f"{'+' if signed and x > 0 else ''}{text}%"


VALUE_DECIMALS = 3  # every table prints a value (relative to the reference SKU) with at least these


def decimals_apart(values: Sequence[float | None], least: int = VALUE_DECIMALS, most: int = 6) -> int:
    """The fewest decimals (at least `least`, at most `most`) at which distinct values print distinctly,
    so a column of near-equal values reads 0.1512, 0.1518 rather than 0.15, 0.15."""
    xs = {float(x) for x in values if x is not None}
    for d in range(least, most + 1):
        if len({f"{x:.{d}f}" for x in xs}) == len(xs):
            return d
    return most


def metrics_dict(m: Metrics) -> dict:
    out = {}
    for key in METRIC_KEYS:
        v = getattr(m, key)
        out[key] = num(v) if isinstance(v, Fraction) else v
    out["link_bidirectional_gbps"] = num(m.link_bidirectional_gbps)
    out["memory_bandwidth_density"] = num(m.memory_bandwidth_density)
    out["dense_tflops"] = {p.value: num(t) for p, t in m.dense_tflops.items()}
    return out


def fired_dict(f: Fired) -> dict:
    """A control that fired: its rule, paragraph, status, the outcome it set, any relief that lowered it."""
    return {
        "rule": f.rule,
        "paragraph": f.paragraph,
        "status": f.status.value,
        "outcome": f.outcome.value,
        "relieved_by": f.relieved_by,
    }


def margin_dict(g: Margin) -> dict:
    return {
        "rule": g.rule,
        "paragraph": g.paragraph,
        "role": g.role,
        "metric": g.metric,
        "op": g.op,
        "threshold": num(g.threshold),
        "value": num(g.value),
        "holds": g.holds,
        "margin": num(g.margin),
        "margin_pct": num(g.margin_pct, 6),
    }


def charge_dict(c) -> dict:
    """A fee or tariff on an outcome's path."""
    return {
        "rule": c.rule,
        "paragraph": c.paragraph,
        "kind": c.kind,
        "percent": num(c.percent),
        "status": c.status.value,
        "base": c.base,
        "overlaps": c.overlaps,
    }


def conditions_dict(v) -> dict:
    """What the verdict rests on besides metric lines: path conditions, product and buyer facts."""
    return {
        "path": v.conditions,
        "facts": [
            {
                "rule": f.rule,
                "paragraph": f.paragraph,
                "role": f.role,
                "condition": f.condition,
                "actual": f.actual,
                "holds": f.holds,
            }
            for f in v.facts
        ],
        "not_applied": v.not_applied,
        "covered_charges": [charge_dict(c) for c in v.overlapped],
    }


def uncertain_dict(u) -> dict:
    return {
        "figure": u.figure,
        "low": num(u.low),
        "high": num(u.high),
        "nominal": num(u.nominal),
        "outcomes": u.outcomes,
        "flips_at": num(u.flips_at),
    }


def conditions_lines(v) -> list[str]:
    """Text lines for the non-metric side of a verdict (empty when there is nothing to say)."""
    out = [f"  path condition: {text}" for text in v.conditions]
    out += [
        f"  {'held' if f.holds else 'failed'}: {f.rule} {f.paragraph} ({f.role}) needs {f.condition};"
        f" this is {f.actual}"
        for f in v.facts
        if f.role != "control" or f.holds
    ]
    out += [f"  not applied: {text}" for text in v.not_applied]
    out += [
        f"  covered: {fmt(c.percent)}% {c.kind} ({c.rule} {c.paragraph}, {c.status.value})"
        " is the same payment as a larger or equal one taken above"
        for c in v.overlapped
    ]
    return out


def uncertain_lines(items) -> list[str]:
    return [
        f"  uncertain: {u.figure} is estimated at {fmt(u.nominal)} in [{fmt(u.low)}, {fmt(u.high)}];"
        f" the outcome is {' or '.join(u.outcomes)}, flipping at {float(u.flips_at):.6g}"
        for u in items
    ]


def scenario_dict(sc) -> dict:
    """A scenario applied to the rules: a what-if, never law."""
    return {
        "id": sc.id,
        "title": sc.title,
        "status": sc.status.value,
        "effective_from": sc.effective_from.isoformat() if sc.effective_from else None,
        "sources": [{"title": x.title, "url": x.url, "status": x.status.value} for x in sc.sources.values()],
    }


def rule_dict(r: RuleSet) -> dict:
    return {
        "id": r.id,
        "title": r.title,
        "status": r.status.value,
        "citation": {k: v for k, v in vars(r.citation).items() if v},
        "source_url": r.source_url,
        "effective_from": r.effective_from.isoformat(),
        "compliance_from": r.compliance_from.isoformat() if r.compliance_from else None,
        "effective_until": r.effective_until.isoformat() if r.effective_until else None,
        "ever_bound": r.ever_binds(),
        "applies_to": r.applies_to.value,
        "scenario": r.scenario,
    }


def classification_dict(c: Classification) -> dict:
    v = c.verdict
    return {
        "chip": c.chip,
        "name": c.chip_name,
        "target": c.target.code,
        "as_of": c.as_of.isoformat(),
        "metrics": metrics_dict(c.metrics),
        "outcome": v.outcome.value,
        "value": num(c.value, 6),
        "value_objective": "llm-serving tokens/s per chip, relative to its reference SKU, after fees",
        "calibration": calibration_note_dict(c.efficiency),
        "fired": [fired_dict(f) for f in v.fired],
        "charges": [charge_dict(c) for c in v.charges],
        "margins": [margin_dict(g) for g in v.margins],
        "conditions": conditions_dict(v),
        "worst_outcome": c.worst.outcome.value if c.worst else v.outcome.value,
        "uncertain": [uncertain_dict(u) for u in c.uncertain],
        "rules": [rule_dict(r) for r in c.rules],
        "scenarios": [scenario_dict(sc) for sc in c.scenarios],
        "note": screen_note(c.scenarios),
        "reference_only": c.reference_only or None,
        "assumptions": list(c.assumptions),
    }


def calibration_note_dict(note) -> dict | None:
    """A value.EfficiencyNote as JSON: whose fit the value rests on, and its range where there is none."""
    if note is None:
        return None
    return {
        "architecture": note.architecture,
        "calibrated": note.calibrated,
        "points": note.points,
        "value_low": num(note.low, 6) if note.low is not None else None,
        "value_high": num(note.high, 6) if note.high is not None else None,
        "fit": note.fit,  # without its own fit: the calibrated architecture whose fit it takes (none: pooled)
        # the fit's median signed error on the architecture's validation runs served as here (one chip or
        # several), never fitted; none: no such run
        "validated_error": num(note.validated_error, 3) if note.validated_error is not None else None,
        "validated_runs": note.validated_runs,
        "several_chips": note.several_chips,
        "validated_on": note.validated_on or note.architecture,  # whose runs: its own, or its fit's
        "note": note.describe(),
    }


def exact_text(x: Fraction) -> str:
    """A Fraction written so it reads back exactly: a decimal where one ends, else p/q."""
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return f"{x.numerator}/{x.denominator}"
    places = 0
    while (x * 10**places).denominator != 1:
        places += 1
    digits = str(abs(int(x * 10**places))).rjust(places + 1, "0")
    whole, frac = digits[: len(digits) - places], digits[len(digits) - places :]
    return ("-" if x < 0 else "") + whole + (f".{frac}" if places else "")


# the figures `explore screen --from` reads back, written exactly (explorer/load/chip_table.py)
TABLE_FIGURES = ("tpp", "die_area_mm2", "memory_bandwidth_gbps", "memory_gb", "io_bidirectional_gbps")


def sku_row(catalog: Catalog, sku_id: str, exact: bool = False) -> dict:
    """A catalog SKU's metrics; `exact` writes the figures a chip table reads back as exact text."""
    sku = catalog.skus[sku_id]
    m = catalog.metrics(sku)
    die = catalog.dies[sku.die]
    row = {
        "id": sku.id,
        "name": sku.name,
        "die": sku.die,
        "vendor": die.vendor,
        "family": die.family,
        **metrics_dict(m),
        "us_available_from": sku.us_available.since.isoformat()
        if sku.us_available and sku.us_available.since
        else None,
        "reference_only": die.reference_only is not None,
        "derived_from": sku.derived_from,
        "designed_for": sku.designed_for,
    }
    if exact:
        row |= {k: exact_text(getattr(m, k)) for k in TABLE_FIGURES}
        row |= {
            "link_bidirectional_gbps": exact_text(m.link_bidirectional_gbps),
            **{f"dense_tflops_{p.value}": exact_text(t) for p, t in m.dense_tflops.items()},
        }
    return row


# ---- text ---------------------------------------------------------------------


def fmt(x: object) -> str:
    """A table cell: a name or path from a file is shown with its control characters escaped (one line,
    no escape sequence reaches the terminal); outcomes painted here keep their colour."""
    if isinstance(x, Painted):
        return x
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, Fraction):
        x = float(x)
    if isinstance(x, float):
        return f"{x:,.0f}" if abs(x) >= 100 or x.is_integer() else f"{x:.2f}"
    return printable(str(x))


OUTCOME_COLOURS = {
    "not-controlled": "green",
    "license-exception": "green",
    "notification": "yellow",
    "license-presumed-approval": "cyan",
    "license-case-by-case": "magenta",
    "license-presumed-denial": "red",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Painted(str):
    """Text this module coloured: the only escape sequences a table lets through."""


def paint(outcome: str) -> str:
    """An outcome in its colour; click.echo drops the colour when the output is not a terminal,
    and NO_COLOR (https://no-color.org) turns it off everywhere."""
    import os

    import click

    colour = OUTCOME_COLOURS.get(outcome)
    if not colour or os.environ.get("NO_COLOR"):
        return outcome
    return Painted(click.style(outcome, fg=colour, bold=colour == "red"))


def visible_len(text: str) -> int:
    return len(_ANSI.sub("", text))


def table(
    rows: Sequence[Sequence[object]],
    headers: list[str],
    width: int | None = None,
    keep: tuple[int, ...] = (0,),
) -> str:
    """A plain text table that fits `width` columns (default: `layout.table_width()`, the terminal's or
    --width; off a terminal nothing is fitted). The widest columns give way and their cells wrap onto
    continuation lines, so nothing is ever cut. Columns in `keep` (by default the first, an id) and
    painted cells are never wrapped."""
    if width is None:
        width = layout.table_width()
    cells = [[fmt(c) for c in r] for r in rows]
    widths = [
        max(len(h), *(visible_len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    # a column gives way down to 6 characters or its header's longest word (a header wraps between words)
    floor = [min(w, max(6, *map(len, h.split()))) for w, h in zip(widths, headers, strict=True)]
    for k in keep:
        floor[k] = widths[k]
    for i in range(len(headers)):  # a painted cell carries escape codes: it is never split
        floor[i] = max([floor[i], *(visible_len(r[i]) for r in cells if isinstance(r[i], Painted))])
    while width and sum(widths) + 2 * (len(widths) - 1) > width:
        i = max(range(len(widths)), key=lambda k: widths[k] - floor[k])
        if widths[i] <= floor[i]:
            break
        widths[i] -= 1

    def split(text: str, w: int) -> list[str]:
        if visible_len(text) <= w or isinstance(text, Painted):
            return [text]
        return textwrap.wrap(text, w, break_on_hyphens=False) or [text]

    def line(values: list[str]) -> list[str]:
        parts = [split(v, w) for v, w in zip(values, widths, strict=True)]
        return [
            "  ".join(
                (p[k] if k < len(p) else "") + " " * (w - visible_len(p[k] if k < len(p) else ""))
                for p, w in zip(parts, widths, strict=True)
            ).rstrip()
            for k in range(max(map(len, parts)))
        ]

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([*line(headers), rule, *(x for r in cells for x in line(r))])


# a cell a spreadsheet would read as a formula (OWASP, CSV injection), unless it is a plain number
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/\d+)?")


def csv_cell(value: object) -> object:
    """A CSV cell no spreadsheet runs: text starting with =, +, -, @, tab or CR gets a leading ' (OWASP's
    CSV-injection guidance); numbers, and text that is a plain number such as -12.5, are kept as they are.
    Every CSV this tool writes goes through it."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(rows: list[dict]) -> str:
    """Rows as CSV, each cell through `csv_cell`; nested tables are left out (the JSON has them), every
    row's keys make the header."""
    buf = io.StringIO()
    nested = {k for r in rows for k, v in r.items() if isinstance(v, dict)}
    flat = [{k: csv_cell(v) for k, v in r.items() if k not in nested} for r in rows]
    names = list(dict.fromkeys(k for r in flat for k in r))
    writer = csv.DictWriter(buf, fieldnames=names, restval="")
    writer.writeheader()
    writer.writerows(flat)
    return buf.getvalue()


def frame_csv(df) -> str:
    """A pandas DataFrame as CSV, each text cell through `csv_cell` (sweeps)."""
    return df.map(csv_cell).to_csv(index=False)


def rules_text(rules: list[RuleSet]) -> str:
    rows = []
    for r in rules:
        cite = r.citation.federal_register or r.citation.document_number or (r.citation.other or "")[:40]
        until = r.effective_until.isoformat() if r.effective_until else "-"
        rows.append([r.id, r.status.value, r.effective_from.isoformat(), until, cite])
    return table(rows, ["rule set", "status", "from", "until", "citation"])


def classification_text(c: Classification) -> str:
    v, m = c.verdict, c.metrics
    lines = [
        f"{c.chip_name} ({c.chip}) for {c.target.name} ({c.target.code}), as of {c.as_of}",
        *([f"reference only, not screened as a US export: {c.reference_only}"] if c.reference_only else []),
        f"outcome{' if it were a US-origin item' if c.reference_only else ''}: {paint(v.outcome.value)}",
    ]
    if c.value is not None:
        lines.append(
            f"value: {float(c.value):.3f} of the reference SKU (llm-serving tokens/s per chip, after fees)"
        )
        if c.efficiency is not None:
            lines.append(f"efficiencies: {c.efficiency.describe()}")
    lines += [f"assumed: {a}" for a in c.assumptions]
    for ch in v.charges:
        lines.append(
            f"  charge: {fmt(ch.percent)}% {ch.kind} on {ch.base}"
            f" ({ch.rule} {ch.paragraph}; {ch.status.value})"
        )
    lines += conditions_lines(v) + uncertain_lines(c.uncertain)
    lines.append(
        f"TPP {fmt(m.tpp)}  density {fmt(m.performance_density)}/mm2"
        f"  DRAM {fmt(m.memory_bandwidth_gbps)} GB/s"
        f"  {fmt(m.memory_gb)} GB {m.memory_type}  I/O {fmt(m.io_bidirectional_gbps)} GB/s"
        f"  datacenter {fmt(m.datacenter)}"
    )
    lines.append("")
    if v.fired:
        lines.append("fired:")
        for f in v.fired:
            relieved = f" (relieved by {f.relieved_by})" if f.relieved_by else ""
            lines.append(f"  {f.rule} {f.paragraph} [{f.status.value}] -> {paint(f.outcome.value)}{relieved}")
    else:
        lines.append("fired: none")
    lines.append("")
    if v.margins:
        lines.append("every line in force (clear: the clause does not hold; margin in % of the line):")
        status = {r.id: r.status.value for r in c.rules}
        last = None
        for g in v.margins:
            if (g.rule, g.paragraph, g.role) != last:
                last = (g.rule, g.paragraph, g.role)
                lines.append(f"  {g.paragraph} ({g.role}, {g.rule}, {status.get(g.rule, '?')})")
            share = f", {pct(g.margin_pct, signed=True)}" if g.margin_pct is not None else ""
            state = "holds" if g.holds else "clear"
            lines.append(f"    {g.metric} {g.op} {fmt(g.threshold)}: {fmt(g.value)}, {state}{share}")
        lines.append("")
    lines.append(rules_text(c.rules))
    lines.append("")
    lines.append(screen_note(c.scenarios))
    return "\n".join(lines)


def catalog_verdicts_text(results: list[Classification]) -> str:
    """One row per chip, then why, in full: the lines that set the outcome, fees, and any uncertainty."""
    rows, reasons = [], []
    for c in results:
        m, v = c.metrics, c.verdict
        why = ", ".join(sorted({f.paragraph for f in v.fired if f.outcome == v.outcome}))
        fees = " + ".join(f"{fmt(ch.percent)}% {ch.kind} ({ch.status.value})" for ch in v.charges)
        parts = [why, fees] + [f"uncertain: {u.figure} flips at {float(u.flips_at):.6g}" for u in c.uncertain]
        rows.append(
            [
                c.chip,
                m.tpp,
                m.performance_density,
                m.memory_bandwidth_gbps,
                "yes" if m.datacenter else "no",
                "reference only" if c.reference_only else paint(v.outcome.value),
            ]
        )
        if c.reference_only:
            parts = ["a value reference, not screened as a US export (explore classify shows why)"]
        if any(parts):
            line = f"{c.chip}: " + "; ".join(x for x in parts if x)
            reasons += layout.wrap(line)
    heads = ["chip", "TPP", "PD", "DRAM GB/s", "DC", "outcome"]
    return "\n".join([table(rows, heads, keep=(0, 5)), "", "why:", *reasons])


def value_text(rec: dict) -> str:
    """explore value: the breakdown of one SKU or design, in lines an engineer reads top to bottom."""
    s, st, res = rec["serving"], rec["step"], rec["resources"]
    tpot = s["tpot_target_ms"]
    target = f"TPOT target {tpot} ms" if tpot is not None else "no latency target"
    node = next(k for k in s if k.startswith("tokens_per_s_per_") and k != "tokens_per_s_per_chip")
    chips = node.rsplit("_", 2)[-2]
    margins = ", ".join(f"{k} {x:+.2f}" for k, x in rec["percent_per_percent_more"].items())
    lines = [
        f"{rec['chip']} ({rec['die']}, {rec['architecture']}) on {rec['value_model']}"
        f" ({s['workload']}, {target})",
        f"  value {rec['value']:.3f} of {s['relative_to']}'s"
        f" {s['tokens_per_s_reference']:,} tokens/s per chip (the reference; {rec['chip']}:"
        f" {s['tokens_per_s_per_chip']:,})",
        f"  efficiencies: {rec['calibration']['note']}",
        f"  tokens/s: {s['tokens_per_s_per_chip']:,} per chip, {s[node]:,} per {chips} chips"
        f" (exact harmonic sums: {st['tokens_per_s_exact']:,.1f} per chip)",
        f"  batch: {s['batch']:g} sequences in flight per tensor-parallel group,"
        f" limited by {s['batch_limit']}",
        f"  step (= time per output token): {s['step_ms']} ms, {s['step_bound']}-bound;"
        f" compute {st['compute_ms']} ms (prefill {st['of_which_prefill_ms']} ms),"
        f" memory {st['memory_ms']} ms, all-reduce {st['allreduce_ms']} ms"
        f" + {st['sync_ms']} ms fixed;"
        f" overlap {st['overlap']:g} of the shorter one not hidden",
        f"  resources: {res['dense_tflops']:,} TFLOPS dense, {res['memory_bandwidth_gbps']:,} GB/s,"
        f" {res['memory_gb']:g} GB, links+PCIe {res['link_gbps_one_way']:,} GB/s each way",
        *(
            [
                f"  power: {res['power_w']:g} W limit, {res['power_share']:.1%} of what the power model"
                f" says its units and clock draw: {res['sustained_clock_share']:.1%} of the rated clock"
                " sustained (TFLOPS above are sustained)"
            ]
            if res["power_share"] < 1
            else []
        ),
        f"  worth at the margin (% tokens/s for 1% more): {margins}",
        *(
            ["  one knob step up (% tokens/s): " + ", ".join(f"{k} {x:+.2f}" for k, x in steps.items())]
            if (steps := rec.get("percent_per_knob_step"))
            else []
        ),
        "  efficiencies: " + ", ".join(f"{k} {x:g}" for k, x in rec["efficiency"].items()),
    ]
    return "\n".join(lines)
