"""Pictures: the compliance map, the rules' timeline, and frontiers (matplotlib, PNG or SVG)."""

from __future__ import annotations

import datetime as dt
import io

OUTCOME_COLOURS = {
    "license-exception": "#c5e17a",
    "notification": "#f6d55c",
    "license-presumed-approval": "#9ecae1",
    "license-case-by-case": "#f4a261",
    "license-presumed-denial": "#e76f51",
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _box(control, metric: str, lo: float, hi: float) -> tuple[float, float]:
    """The interval a control's clauses allow on one metric, within [lo, hi]."""
    for c in control.clauses:
        if c.metric != metric or isinstance(c.value, bool):
            continue
        if c.op.value in (">=", ">"):
            lo = max(lo, float(c.value))
        else:
            hi = min(hi, float(c.value))
    return lo, hi


def compliance_map(
    rules,
    target,
    on: dt.date,
    chips: list[tuple[str, float, float]],
    highlight: list[tuple[str, float, float]],
    path: str | None = None,
    scenarios=(),
) -> str | None:
    """TPP against performance density with the datacenter regions of the rules in force shaded.

    `scenarios` applied to the rules are named in the title (what-ifs, never law).

    `chips` and `highlight` are (label, tpp, density). Writes `path` (PNG or SVG by suffix), or returns
    the SVG text.
    """
    from explorer.checker import outcome_for, rules_in_force

    plt = _pyplot()
    from matplotlib.patches import Patch, Rectangle

    x_lo, x_hi, y_lo, y_hi = 800, 60000, 1.0, 30.0
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
    ax.set_xscale("log")
    ax.set_yscale("log")
    seen = {}
    for rule in rules_in_force(rules, target, on):
        for c in rule.controls:
            metrics = {x.metric for x in c.clauses}
            if not metrics <= {"tpp", "performance_density", "datacenter"} or "tpp" not in metrics:
                continue
            if any(x.metric == "datacenter" and x.value is False for x in c.clauses):
                continue  # the map shows datacenter parts; consumer parts are judged on TPP alone
            if c.facts:
                continue  # lines that hold only for some products or buyers are not regions of the map
            outcome = outcome_for(c.outcome, target)
            if outcome is None or outcome.value not in OUTCOME_COLOURS:
                continue
            x0, x1 = _box(c, "tpp", x_lo, x_hi)
            y0, y1 = _box(c, "performance_density", y_lo, y_hi)
            if x0 >= x1 or y0 >= y1:
                continue
            colour = OUTCOME_COLOURS[outcome.value]
            ax.add_patch(
                Rectangle(
                    (x0, y0), x1 - x0, y1 - y0, facecolor=colour, alpha=0.35, edgecolor=colour, linewidth=0.8
                )
            )
            ax.text(
                x0 * 1.04,
                y1 / 1.08 if y1 < y_hi else y_hi / 1.15,
                c.paragraph,
                fontsize=8,
                va="top",
                color="#333",
            )
            seen[outcome.value] = colour
    same_spot: dict[tuple[float, float], list[str]] = {}
    for label, x, y in chips:
        same_spot.setdefault((round(x), round(y, 2)), []).append(label)
    for (x, y), labels in same_spot.items():
        ax.scatter([x], [y], s=14, color="#444", zorder=3)
        ax.annotate(
            " / ".join(labels), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7, color="#333"
        )
    for label, x, y in highlight:
        ax.scatter([x], [y], s=140, marker="*", color="#1f4e9c", zorder=4)
        ax.annotate(
            label,
            (x, y),
            xytext=(6, -10),
            textcoords="offset points",
            fontsize=9,
            color="#1f4e9c",
            fontweight="bold",
        )
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("total processing performance (TPP)")
    ax.set_ylabel("performance density (TPP per mm² of logic)")
    title = f"Datacenter chips for {target.name} on {on}: regions of the rules in force"
    if scenarios:
        title += "\nwith scenarios (what-ifs, not law): " + ", ".join(
            f"{x.id} ({x.status.value})" for x in scenarios
        )
    ax.set_title(title, fontsize=9 if scenarios else None)
    handles = [Patch(facecolor=c, alpha=0.5, label=o) for o, c in seen.items()]
    if handles:
        ax.legend(
            handles=handles,
            loc="lower right",
            fontsize=8,
            title="if designed for datacenters",
            title_fontsize=8,
        )
    ax.grid(alpha=0.25, which="both")
    fig.tight_layout()
    return _finish(plt, fig, path)


TIMELINE_START = dt.date(2022, 6, 1)  # older rules (embargoes) start here, their date in the label


def timeline(rules, skus: list, path: str | None = None, today: dt.date | None = None) -> str | None:
    """Each rule set as a bar over the dates it bound, with the chips designed against it.

    A rule that never bound (AI Diffusion: non-enforcement before its compliance
    date) is a hatched outline; rules older than the AI-chip rules start at the
    left edge, with their start date in the label.
    """
    plt = _pyplot()
    import matplotlib.dates as mdates

    today = today or dt.date.today()
    order = sorted(rules, key=lambda r: r.effective_from)
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(order) + 1.6), dpi=120)
    for i, r in enumerate(order):
        start = max(r.effective_from, TIMELINE_START)
        end = r.effective_until or today
        colour = "#2a6f97" if r.status.value == "official" else "#c77d2a"
        bound = r.ever_binds()
        ax.barh(
            i,
            (end - start).days,
            left=mdates.date2num(start),
            height=0.5,
            color=colour if bound else "none",
            edgecolor=colour,
            hatch=None if bound else "///",
            alpha=0.8,
        )
        label = f"{r.id} ({r.status.value})"
        if r.effective_from < TIMELINE_START:
            label += f", since {r.effective_from}"
        if not bound:
            label += f", never bound (compliance from {r.compliance_from})"
        ax.text(mdates.date2num(start), i - 0.38, label, fontsize=7, va="bottom")
        designed = [s for s in skus if s.designed_for == r.id and s.launched]
        for k, sku in enumerate(sorted(designed, key=lambda s: _launch_date(s.launched, r.effective_from))):
            when = mdates.date2num(_launch_date(sku.launched, r.effective_from))
            ax.scatter([when], [i], marker="v", s=40, color="#111", zorder=3)
            ax.annotate(
                sku.id,
                (when, i),
                xytext=(4, 6 - 9 * (k % 3)),
                textcoords="offset points",
                fontsize=7,
                color="#111",
                ha="left",
            )
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.set_title(
        "US rules on advanced-computing chips, and the chips designed against each (blue: official; "
        "orange: reported)",
        fontsize=9,
    )
    ax.grid(alpha=0.25, axis="x")
    fig.tight_layout()
    return _finish(plt, fig, path)


def _launch_date(text: str, not_before: dt.date) -> dt.date:
    """A launch given as a year or year-month, placed mid-period and not before the rule it answers."""
    parts = [int(x) for x in text.split("-")]
    when = dt.date(parts[0], parts[1] if len(parts) > 1 else 7, parts[2] if len(parts) > 2 else 15)
    return max(when, not_before)


def frontier(rows: list[dict], x_axis: str, title: str, path: str) -> None:
    """A frontier as a step plot (cost) or a line (guard band)."""
    plt = _pyplot()
    x_name = "unit_cost_usd" if x_axis == "cost" else "guard_band_pct"
    ordered = sorted(rows, key=lambda r: r[x_name])
    xs, ys = [r[x_name] for r in ordered], [r["value"] for r in ordered]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    if x_axis == "cost":
        ax.step(xs, ys, where="post", color="#1f77b4")  # the best value any budget at or above x reaches
    else:
        ax.plot(xs, ys, color="#1f77b4")
    ax.scatter(xs, ys, s=18, color="#1f77b4", zorder=3)
    ax.set_xlabel("unit cost (USD)" if x_axis == "cost" else "guard band below every line (%)")
    ax.set_ylabel("value relative to the unmodified die")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _finish(plt, fig, path)


def sweep(df, parameter: str, path: str) -> None:
    """Value against the swept parameter, one line per base die (steps between rule changes for dates)."""
    import pandas as pd

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    for base, group in df.groupby("base"):
        group = group.sort_values("parameter")
        if parameter == "date":
            ax.step(
                pd.to_datetime(group["parameter"]),
                group["value"],
                where="post",
                marker="o",
                markersize=3,
                label=base,
            )
        else:
            ax.plot(group["parameter"], group["value"], marker="o", markersize=3, label=base)
    ax.set_xlabel("rules in force on" if parameter == "date" else f"threshold of {parameter}")
    ax.set_ylabel("value relative to the unmodified die")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if parameter == "date":
        fig.autofmt_xdate()
    fig.tight_layout()
    _finish(plt, fig, path)


def _finish(plt, fig, path: str | None) -> str | None:
    if path is None:
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        plt.close(fig)
        text = buf.getvalue()
        return text[text.index("<svg") :]
    fig.savefig(path)
    plt.close(fig)
    return None


def chip_points(catalog) -> list[tuple[str, float, float]]:
    """(label, TPP, density) for every datacenter SKU in the catalog."""
    out = []
    for sku in catalog.skus.values():
        m = catalog.metrics(sku)
        if sku.datacenter and m.performance_density:
            out.append((sku.id, float(m.tpp), float(m.performance_density)))
    return out
