"""Views of search results: the JSON contract (canonical), a ranked table, Markdown spec documents."""

from __future__ import annotations

from fractions import Fraction

from explorer.model import value as v
from explorer.model.classification import SCREEN_NOTE
from explorer.model.data import Data
from explorer.model.deciding import Deciding
from explorer.model.space import Design
from explorer.report import explain, layout
from explorer.report.render import (
    calibration_note_dict,
    charge_dict,
    conditions_dict,
    fired_dict,
    margin_dict,
    metrics_dict,
    num,
    paint,
    pct,
    table,
    uncertain_dict,
)
from explorer.search.run import Found, NoDesign, SearchResult


def design_dict(d: Design) -> dict:
    mem = d.memory
    memory = {
        "technology": mem.technology,
        "pin_rate_gbps": num(mem.pin_rate_gbps),
        "device_capacity_gb": num(mem.device_capacity_gb),
        "bandwidth_gbps": num(mem.bandwidth_gbps),
        "capacity_gb": num(mem.capacity_gb),
        "cost_usd": num(mem.cost_usd, 2),
    }
    if mem.stacks:
        memory["stacks"] = mem.stacks
    else:
        memory["bus_width_bits"], memory["clamshell"] = mem.bus_width_bits, mem.clamshell
    return {
        "die": d.die,
        "units": d.units,
        "clock_mhz": d.clock_mhz,
        "tensor_rate_limit": num(d.rate_limit.tensor),
        "narrow_rate_limit": num(d.rate_limit.narrow),  # FP6, FP4, INT4, on top of the tensor limit
        "memory": memory,
        "links": {"count": d.links.count, "gbps_per_link": num(d.links.gbps_per_link)},
        "datacenter": d.datacenter,
        "summary": d.describe(),
        "short": d.short(),
    }


def result_dict(r: SearchResult, data: Data) -> dict:
    found = r if isinstance(r, Found) else None
    out = {
        "base": r.base,
        "die": r.die.id,
        "status": r.status,
        "value": num(found.value if found else Fraction(0), 6),
        "value_before_fees": num(found.value_before_fees if found else Fraction(0), 6),
        "gap": found.gap if found else 0.0,
        "solve_seconds": round(r.solve_seconds, 3),
        "space_size": r.space_size,
        "design": None,
        "metrics": None,
        "outcome": None,
        "fired": [],
        "charges": [],
        "margins": [],
        "conditions": _conditions(r),
        "uncertain": [uncertain_dict(u) for u in found.uncertain] if found else [],
        "binding": [
            {
                "rule": b.rule,
                "paragraph": b.paragraph,
                "value_if_lifted": round(b.value_if_lifted, 6),
                "clauses": [f"{x.metric} {x.op.value} {num(x.value)}" for x in b.clauses],
            }
            for b in (found.binding if found else [])
        ],
        "conflicting_rules": r.conflicting_rules if isinstance(r, NoDesign) else [],
    }
    p = r.problem
    if p is not None and p.at_least:
        out["floor"] = {
            "at_least": list(p.at_least),
            "tokens_per_s_per_chip": num(p.floor, 1),
            "margin_pct": (
                round(float((found.value_before_fees * p.reference / p.floor - 1) * 100), 6)
                if found and p.floor
                else None
            ),
        }
    if not found:
        return out
    verdict = found.verdict
    out.update(
        {
            "design": design_dict(found.design),
            "metrics": metrics_dict(found.metrics),
            "outcome": verdict.outcome.value,
            "cost_usd": num(found.cost_usd, 2),
            "fired": [fired_dict(f) for f in verdict.fired],
            "charges": [charge_dict(c) for c in verdict.charges],
            "margins": [margin_dict(g) for g in verdict.margins],
            "nearest_line": nearest_line(found),
            "deciding_lines": [line_dict(found, d) for d in found.deciding],
            "throughput": throughput(found),
            "calibration": calibration_note_dict(found.efficiency),
            "changes": explain.changes(found.design, found.metrics, found.flagship, found.base_metrics),
            "economics": economics_dict(found),
            "base_design": design_dict(found.flagship),
        }
    )
    return out


def shipped_alongside(r: Found) -> list[dict]:
    """The die's shipped SKUs, as the search judged and scored them (SearchResult.siblings)."""
    return [
        {
            "sku": s.sku.id,
            "name": s.sku.name,
            "datacenter": s.sku.datacenter,
            "outcome": s.verdict.outcome.value,
            "value": num(s.value, 6),
            "against_design": explain.against_metrics(r.metrics, s.metrics),
        }
        for s in r.siblings
    ]


def _conditions(r: SearchResult) -> dict | None:
    """Non-metric conditions: the design's verdict, or (no design) the facts of the problem itself."""
    if isinstance(r, Found):
        return conditions_dict(r.verdict)
    if r.problem is None or not isinstance(r, NoDesign):
        return None
    from explorer.model.checker import Verdict
    from explorer.model.outcomes import Outcome

    return conditions_dict(Verdict(Outcome.NOT_CONTROLLED, [], [], [], facts=r.fact_checks))


NODE_CHIPS = 8


def throughput(r: Found) -> dict | None:
    """Absolute serving throughput of the design, from the value model the search optimised."""
    p = r.problem
    if p is None:
        return None
    return serving_dict(r.serving, p.objective, p.reference, r.base_tokens_per_s)


def serving_dict(b: v.Breakdown, obj: v.Objective, reference: Fraction, base: Fraction | None = None) -> dict:
    """Tokens/s per chip and per node, the batch reached and what limits it; vs the base die's `base`."""
    out = {
        "workload": obj.workload.id,
        "tpot_target_ms": num(obj.tpot_s * 1000) if obj.tpot_s is not None else None,
        "tokens_per_s_per_chip": round(b.tokens_per_s),
        f"tokens_per_s_per_{NODE_CHIPS}_chips": round(NODE_CHIPS * b.tokens_per_s),
        "relative_to": obj.reference_sku,
        "tokens_per_s_reference": round(float(reference)),
        "batch": round(b.batch, 1),
        "batch_limit": b.batch_limit,
        "step_ms": round(b.step_s * 1000, 2),
        "step_bound": b.step_bound,
    }
    if base is not None:
        out["vs_base_die"] = num(Fraction(b.tokens_per_s) / base, 4) if base else None
    return out


def nearest_line(r: Found) -> dict | None:
    """The line that decides the design's outcome: the nearest control or relief line whose crossing
    alone would change the verdict (Found.deciding), with the side the design sits on and its status."""
    return line_dict(r, r.deciding[0]) if r.deciding else None


def line_dict(r: Found, d: Deciding) -> dict:
    """One deciding line: where the design sits against it and what crossing it would make the design."""
    g = d.margin
    status = {x.id: x.status.value for x in (r.problem.data.rules if r.problem else [])}
    return {
        "rule": g.rule,
        "paragraph": g.paragraph,
        "role": g.role,
        "metric": g.metric,
        "line": f"{g.op} {float(g.threshold):g}",
        "value": num(g.value),
        "side": d.side,
        "distance_pct": num(d.distance_pct, 6),
        "margin_pct": num(g.margin_pct, 6),
        "outcome_if_crossed": d.outcome_if_crossed.value,
        "status": status.get(g.rule),
    }


NEAR_PCT = 1  # a design within this many percent of a line that is not official gets a warning


def closed_paths(results: list[dict]) -> list[str]:
    """Why a licence path is closed to these designs: reliefs whose product or buyer facts failed,
    and withdrawals that held (one line each, naming the bases)."""
    seen: dict[tuple, list[str]] = {}
    for r in results:
        for f in (r.get("conditions") or {}).get("facts", []):
            closed = (f["role"] == "relief" and not f["holds"]) or (f["role"] == "withdrawal" and f["holds"])
            if closed:
                key = (f["rule"], f["paragraph"], f["role"], f["condition"], f["actual"])
                seen.setdefault(key, []).append(r["base"])
    out = []
    for (rule, paragraph, role, condition, actual), bases in seen.items():
        verb = "withdrawn where" if role == "withdrawal" else "needs"
        out.append(f"{rule} {paragraph}: {verb} {condition}; {', '.join(bases)}: {actual}")
    if any("commercially available in the US" in line for line in out):
        out.append("(--assume-us-launch DATE judges a design as if it had been on sale in the US from DATE)")
    return out


def rank_ranges(results: list[dict]) -> dict[str, tuple[int, int]]:
    """Each base's best and worst rank when every uncalibrated base's value ranges over its span
    (value_low to value_high under the calibrated architectures' fits), the others at their values."""

    def span(r: dict) -> tuple[float, float]:
        c = r.get("calibration") or {}
        value = float(r["value"] or 0)
        if c.get("calibrated", True) or c.get("value_low") is None or not r["value"]:
            return value, value
        fees = value / float(r["value_before_fees"]) if r.get("value_before_fees") else 1.0
        return float(c["value_low"]) * fees, float(c["value_high"]) * fees

    spans = {r["base"]: span(r) for r in results}
    out = {}
    for base, (low, high) in spans.items():
        above_always = sum(1 for b, (lo, _) in spans.items() if b != base and lo > high)
        above_maybe = sum(1 for b, (_, hi) in spans.items() if b != base and hi > low)
        out[base] = (1 + above_always, 1 + above_maybe)
    return out


# an architecture whose validation runs (never fitted, served as the value model serves: on one chip or on
# several) the fit misses by more than this median share is named under the table
VALIDATED_MISS = 0.15


def validated_ranks(results: list[dict]) -> dict[str, tuple[float, int]]:
    """Each base whose architecture's validation runs the fit misses by over VALIDATED_MISS: its value at
    that median error (value / (1 + error)) and its rank when every such base is moved so at once."""

    def error(r: dict) -> float | None:
        c = r.get("calibration") or {}
        e = c.get("validated_error")
        return e if e is not None and abs(e) > VALIDATED_MISS and r["value"] else None

    moved = {r["base"]: float(r["value"] or 0) / (1 + e) for r in results if (e := error(r)) is not None}
    values = {r["base"]: moved.get(r["base"], float(r["value"] or 0)) for r in results}
    above = {base: sum(1 for b, x in values.items() if b != base and x > at) for base, at in moved.items()}
    return {base: (at, 1 + above[base]) for base, at in moved.items()}


def validated_lines(ranked: list[dict]) -> list[str]:
    """The bases whose value the independent runs of their architecture say is off, and by how much."""
    moved = validated_ranks(ranked)
    if not moved:
        return []
    head = (
        f"Validated: the fit misses the validation runs (never fitted) of {len(moved)} of {len(ranked)}"
        " bases' architectures (without runs of their own, of the fit they take), served as this value"
        f" model serves, by a median over {VALIDATED_MISS:.0%}; at those errors their values and ranks"
        " would be:"
    )
    lines = []
    for rank, r in enumerate(ranked, start=1):
        if r["base"] not in moved:
            continue
        c = r["calibration"]
        at, new_rank = moved[r["base"]]
        way = "over" if c["validated_error"] > 0 else "under"
        where = "several chips" if c.get("several_chips") else "one chip"
        whose = c.get("validated_on") or c["architecture"]
        runs = f"{c['validated_runs']} runs" + (f" of {whose}" if whose != c["architecture"] else "")
        lines.append(
            f"{r['base']} ({c['architecture']}): value {r['value']:.3f}, {at:.3f} at the median error"
            f" ({way}-predicted {c['validated_error']:+.0%} over {runs} on {where});"
            f" rank {rank}, {new_rank} so, of {len(ranked)}"
        )
    return _note(head, lines)


def _note(head: str, lines: list[str]) -> list[str]:
    """A note under the table: a blank line, its head flush, then one indented entry per line."""
    out = ["", *layout.wrap(head, indent="")]
    for line in lines:
        out += layout.wrap(line, first="  ")
    return out


def calibration_lines(ranked: list[dict]) -> list[str]:
    """Which bases rest on another fit than their own, their value range, and the ranks that range allows."""
    loose = [r for r in ranked if r.get("calibration") and not r["calibration"]["calibrated"] and r["value"]]
    if not loose:
        return []
    ranks = rank_ranges(ranked)
    moved = sum(1 for lo, hi in ranks.values() if lo != hi)
    head = (
        f"Uncalibrated: {len(loose)} of {len(ranked)} bases have no measured point of their architecture"
        " and are valued at the pooled default fit or their vendor's nearest calibrated architecture's;"
        " their value could lie anywhere between the calibrated"
        f" architectures' fits, which leaves the rank of {moved} of {len(ranked)} bases open:"
    )
    lines = []
    for r in loose:
        c = r["calibration"]
        lo, hi = ranks[r["base"]]
        fit = f"{c['fit']}'s fit" if c.get("fit") else "the pooled fit"
        lines.append(
            f"{r['base']} ({c['architecture']}): value {r['value']:.3f} at {fit}, "
            f"{c['value_low']:.3f}-{c['value_high']:.3f} before fees under the calibrated fits; "
            f"rank {lo}-{hi} of {len(ranked)}"
        )
    return _note(head, lines)


def ranked_table(results: list[dict], licensed_allowed: bool = False) -> str:
    """Ranked by value (tokens/s per chip): one row per base, then each design in full.

    With a licensed outcome allowed, the licence paths that product or buyer facts
    close are listed under the designs.
    """

    def absolute(x):
        return (x.get("throughput") or {}).get("tokens_per_s_per_chip", 0)

    ranked = sorted(results, key=lambda x: (-(x["value"] or 0), -absolute(x)))
    rows = []
    for r in ranked:
        binding = ", ".join(b["paragraph"].split(" (")[0] for b in r["binding"]) or "-"
        tput = r.get("throughput") or {}
        rows.append(
            [
                r["base"],
                f"{r['value']:.3f}",
                f"{tput['tokens_per_s_per_chip']:,}" if tput else "-",
                paint(r["outcome"] or "-"),
                binding,
                r["status"],
                f"{r['solve_seconds']:.2f}s",
            ]
        )
    heads = ["base", "value", "tok/s/chip", "outcome", "binding", "proof", "time"]
    out = [table(rows, heads, keep=(0, 3)), ""]
    for r in ranked:
        text = r["design"]["summary"] if r["design"] else "no complying design"
        out += layout.wrap(f"{r['base']}: {text}")
        detail = design_detail(r)
        if detail:
            out += layout.wrap(detail, first="    ")
    for r in ranked:
        near = r.get("nearest_line")
        if near:
            line = (
                f"{r['base']}: nearest line {near['paragraph']} {near['metric']} {near['line']} "
                f"({near['role']}, {near['status']}): {near['value']:,.6g} is {pct(near['distance_pct'])} "
                f"{near['side']} it; across it the design is {near['outcome_if_crossed']}"
            )
            if near["status"] != "official" and near["distance_pct"] < NEAR_PCT:
                line += f"; warning: within {NEAR_PCT}% of a line that is not official law (use --margin)"
            out += layout.wrap(line)
    for r in ranked:
        for u in r.get("uncertain", []):
            line = (
                f"uncertain: {r['base']}: {u['figure']} is estimated in [{u['low']:g}, {u['high']:g}];"
                f" the outcome is {' or '.join(u['outcomes'])}, flipping at {u['flips_at']:.6g}"
                " (--figures robust complies over the whole range)"
            )
            out += layout.wrap(line)
    out += calibration_lines(ranked)
    out += validated_lines(ranked)
    paths = closed_paths(results) if licensed_allowed else []
    if paths:
        out += ["", "Licence paths closed by product or buyer facts:"]
        for line in paths:
            out += layout.wrap(line, first="  ")
    return "\n".join(out)


DETAIL_LINES = 3  # deciding lines a design's detail shows, nearest first


def design_detail(r: dict) -> str:
    """The figures the lines read (TPP, density, bandwidth, I/O), the distance to the lines that decide
    the outcome, and the margin over an --at-least floor: one design's detail under the table."""
    m = r.get("metrics")
    if not m:
        return ""
    density = m.get("performance_density")
    parts = [
        f"TPP {m['tpp']:,.6g}",
        f"density {density:,.4g}" if density is not None else "density -",
        f"memory {m['memory_bandwidth_gbps']:,.6g} GB/s",
        f"I/O {m['io_bidirectional_gbps']:,.6g} GB/s",
    ]
    lines = r.get("deciding_lines") or []
    if lines:
        near = "; ".join(
            f"{d['paragraph'].split(' (')[0]} {d['metric']} {d['line']} {pct(d['distance_pct'])} {d['side']}"
            for d in lines[:DETAIL_LINES]
        )
        parts.append(f"lines: {near}")
    floor = r.get("floor")
    if floor and floor.get("margin_pct") is not None:
        parts.append(
            f"{pct(floor['margin_pct'], signed=True)} over the --at-least floor"
            f" ({floor['tokens_per_s_per_chip']:,.6g} tok/s/chip, {', '.join(floor['at_least'])})"
        )
    return ", ".join(parts[:4]) + "".join(f"; {x}" for x in parts[4:])


def economics_table(results: list[dict], goal: str) -> str:
    """What an economics objective optimised, per base: price, fees, unit cost, revenue and margin."""

    def money(x):
        return "-" if x is None else f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"

    rows = []
    for r in sorted(results, key=lambda x: -(x["value"] or 0)):
        e = r.get("economics") or {}
        rows.append(
            [
                r["base"],
                money(e.get("price_usd")),
                f"{e['fee_percent']:g}%" if e else "-",
                money(e.get("unit_cost_usd")),
                money(e.get("net_revenue_usd")),
                money(e.get("gross_margin_usd")),
                "-" if e.get("value_per_kusd") is None else f"{e['value_per_kusd']:.3f}",
            ]
        )
    heads = ["base", "price", "fees", "unit cost", "net revenue", "gross margin", "value/k$"]
    return f"Objective {goal}, in dollars (estimates from specs/economics/):\n" + table(rows, heads)


def economics_dict(r: SearchResult) -> dict | None:
    e = r.economics if isinstance(r, Found) else None
    if e is None:
        return None
    return {
        "value": num(e.value, 6),
        "value_before_fees": num(e.value_before_fees, 6),
        "fee_percent": num(e.fee_percent),
        "unit_cost_usd": num(e.unit_cost_usd, 2),
        "price_usd": num(e.price_usd, 2),
        "net_revenue_usd": num(e.net_revenue_usd, 2),
        "gross_margin_usd": num(e.gross_margin_usd, 2),
        "value_per_kusd": num(e.value_per_kusd, 6),
    }


def path_dict(r: SearchResult, path: str) -> dict:
    """One row of `explore compare`: the best design on one compliance path."""
    found = r if isinstance(r, Found) else None
    return {
        "base": r.base,
        "path": path,
        "status": r.status,
        "design": found.design.describe() if found else None,
        "outcome": found.verdict.outcome.value if found else None,
        "charges": [f"{float(c.percent):g}% {c.kind} ({c.status.value})" for c in found.verdict.charges]
        if found
        else [],
        "conditions": conditions_dict(found.verdict) if found else None,
        "economics": economics_dict(r),
    }


def compare_text(rows: list[dict], markdown: bool = False, note: str = SCREEN_NOTE) -> str:
    def money(x):
        """Compact dollars ($10.9k), so every column fits; the JSON and CSV have them exact."""
        if x is None:
            return "-"
        return f"${x / 1000:,.1f}k" if abs(x) >= 1000 else f"${x:,.0f}"

    out = []
    for r in rows:
        e = r["economics"] or {}
        out.append(
            [
                r["base"],
                r["path"],
                r["status"] if not r["design"] else f"{e['value']:.3f}",
                f"{e['fee_percent']:g}%" if r["design"] else "-",
                money(e.get("unit_cost_usd")),
                money(e.get("price_usd")),
                money(e.get("net_revenue_usd")),
                money(e.get("gross_margin_usd")),
            ]
        )
    heads = ["base", "path", "value", "fee", "unit cost", "price", "revenue", "margin"]
    # the status of a path with no design is kept whole in the value column
    caps = sorted({c for r in rows if r.get("conditions") for c in r["conditions"]["path"]})
    notes = "".join(f"\ncondition: {c}" for c in caps)
    if not markdown:
        prose = [line for c in caps for line in layout.wrap(f"condition: {c}")]
        return "\n".join([table(out, heads, keep=(0, 1, 2)), *prose, "", *layout.wrap(note, indent="")])
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in out]
    return "\n".join(lines) + notes + f"\n\n> {note}\n"


def frontier_rows(points, x_axis: str) -> list[dict]:
    rows = []
    for q in points:
        d = q.design
        x_name = "unit_cost_usd" if x_axis == "cost" else "guard_band_pct"
        rows.append(
            {
                x_name: num(q.x, 2),
                "value": num(q.value, 6),
                "status": q.solution.status.value,
                "design": d.describe(),
            }
        )
    return rows


def robust_dict(r) -> dict:
    """The record of one robust search (search.robustness.RobustResult): the design and every world."""

    def opt(x):
        return None if x is None else num(x, 6)

    return {
        "base": r.base,
        "target": r.target,
        "as_of": r.as_of.isoformat(),
        "objective": r.mode,
        "status": r.status,
        "value": num(r.objective, 6),
        "solve_seconds": round(r.solve_seconds, 3),
        "design": design_dict(r.design) if r.design else None,
        "cost_usd": num(r.cost_usd, 2) if r.design else None,
        "price_of_robustness": opt(r.price_of_robustness),
        "worlds": [
            {
                "world": w.world,
                "status": w.status,
                "weight": num(w.weight, 6),
                "outcome": w.verdict.outcome.value,
                "allowed": w.allowed,
                "charges": [charge_dict(c) for c in w.verdict.charges],
                "value": num(w.value, 6),
                "own_optimum": opt(w.own_best),
                "own_design": w.own_design.describe() if w.own_design else None,
                "regret": opt(w.regret),
            }
            for w in r.worlds
        ],
        "conflicting_rules": r.conflicting_rules,
    }


def robust_text(records: list[dict], markdown: bool = False) -> str:
    """Per base: the robust design, then one row per world (outcome, fees, value, own optimum, regret)."""
    heads = ["world", "status", "outcome", "fees", "value", "own best", "regret"]
    blocks = []
    for d in records:
        title = f"{d['base']}: {d['objective']} over {len(d['worlds']) or 'the'} worlds, {d['status']}"
        if d["design"] is None:
            blocks.append(
                f"{title}\n  no design is allowed in every world; conflicting: "
                + ", ".join(d["conflicting_rules"])
            )
            continue
        rows = [
            [
                w["world"],
                w["status"],
                paint(w["outcome"]) if not markdown else w["outcome"],
                " + ".join(f"{c['percent']:g}% {c['kind']}" for c in w["charges"]) or "-",
                f"{w['value']:.3f}",
                "-" if w["own_optimum"] is None else f"{w['own_optimum']:.3f}",
                "-" if w["regret"] is None else f"{w['regret']:.3f}",
            ]
            for w in d["worlds"]
        ]
        price = d["price_of_robustness"]
        tail = [
            f"robust value {d['value']:.3f} ({d['objective']}); unit cost ${d['cost_usd']:,.0f}",
            f"price of robustness (today's optimum less the robust value today): {price:.3f}"
            if price is not None
            else "price of robustness: - (today's rules not among the worlds)",
        ]
        if markdown:
            lines = [f"### {title}", "", f"Design: {d['design']['summary']}", ""]
            lines += ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
            lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
            blocks.append("\n".join([*lines, "", *(f"- {t}" for t in tail)]))
        else:
            design = layout.wrap(f"design: {d['design']['summary']}")
            blocks.append("\n".join([title, *design, table(rows, heads, keep=(0, 2)), *tail]))
    note = "Scenarios are what-ifs (proposed bills, reported plans, hypotheticals), never law."
    if markdown:
        return "\n\n".join(blocks) + f"\n\n> {SCREEN_NOTE} {note}\n"
    return "\n\n".join(blocks) + "\n\n" + "\n".join(layout.wrap(f"{SCREEN_NOTE} {note}", indent=""))
