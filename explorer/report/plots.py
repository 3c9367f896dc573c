"""Pictures: the compliance map, the rules' timeline, and frontiers (matplotlib, PNG or SVG)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.artist import Artist

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


OUTCOME_COLOURS_ALL = {"not-controlled": "#ffffff", **OUTCOME_COLOURS}


@dataclass(frozen=True)
class MapPoint:
    """A chip on the map, coloured by the outcome the checker gives it on that date and target."""

    label: str
    tpp: float
    density: float
    dram_gbps: float
    io_gbps: float
    datacenter: bool
    outcome: str


def point_colour(p: MapPoint) -> str:
    return OUTCOME_COLOURS_ALL[p.outcome]


def _probe(tpp, density, dram, io):
    """Metrics of a datacenter chip with only these four figures: what the map's backgrounds judge."""
    from fractions import Fraction

    from explorer.model.metrics import Metrics

    tpp, density = Fraction(tpp), Fraction(density)
    return Metrics(
        tpp=tpp,
        performance_density=density,
        memory_bandwidth_gbps=Fraction(dram),
        memory_gb=Fraction(80),
        memory_type="HBM3",
        memory_bandwidth_density=None,
        io_bidirectional_gbps=Fraction(io),
        link_bidirectional_gbps=Fraction(io),
        die_area_mm2=tpp / density if density else Fraction(1),
        datacenter=True,
        power_w=Fraction(700),
        dense_tflops={},
    )


def _grid(rules, target, on, facts, xs, ys, probe) -> list[list[int]]:
    """The checker's outcome rank at every grid cell (probe(x, y) gives the metrics)."""
    from explorer.model.checker import classify, rules_in_force

    active = rules_in_force(rules, target, on)  # the same verdicts, without re-filtering every cell
    return [
        [classify(probe(x, y), target, on, active, facts, detail=False).outcome.rank for x in xs] for y in ys
    ]


_BACKGROUNDS: dict = {}  # (rules, target, date, facts) -> grids: one per run, not one per document


def _backgrounds(rules, target, on, facts):
    """Both panels' grids and their verdicts, computed once for the same rules, target, date and facts."""
    key = (id(rules), target.code, on, facts)
    hit = _BACKGROUNDS.get(key)
    if hit is not None and hit[0] is rules:
        return hit[1]
    xs, ys = _log_steps(800, 60000, 64), _log_steps(1.0, 30.0, 48)
    drams = [i * 10000 / 63 for i in range(64)]
    ios = [i * 2400 / 47 for i in range(48)]
    grids = (
        xs,
        ys,
        drams,
        ios,
        _grid(rules, target, on, facts, xs, ys, lambda x, y: _probe(x, y, 0, 0)),
        _grid(rules, target, on, facts, drams, ios, lambda x, y: _probe(1, 1, x, y)),
    )
    _BACKGROUNDS[key] = (rules, grids)
    return grids


def _log_steps(lo: float, hi: float, n: int) -> list[float]:
    return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]


def compliance_map(
    rules,
    target,
    on: dt.date,
    chips: list[MapPoint],
    highlight: list[MapPoint],
    path: str | None = None,
    scenarios=(),
    facts=None,
) -> str | None:
    """Two panels, each shaded by the checker's own verdict on a grid of datacenter chips.

    Left: TPP against performance density for a chip with no memory or I/O bandwidth
    (the compute lines); right: DRAM bandwidth against chip-to-chip I/O for a chip below
    every compute line (the bandwidth lines). Each chip is drawn in the colour of its own
    verdict (`MapPoint.outcome`, from the checker), on both panels; consumer parts are
    squares, since the datacenter backgrounds do not apply to them. A new design's facts
    (`facts`) decide the backgrounds: no named product, never sold in the US.
    Writes `path` (PNG or SVG by suffix), or returns the SVG text.
    """

    from explorer.model.facts import Facts

    facts = facts or Facts("", "")
    plt = _pyplot()
    fig = compliance_figure(rules, target, on, chips, highlight, scenarios, facts)
    return _finish(plt, fig, path)


MAP_WIDTH_IN = 7.2  # an A4 page's width inside its margins: printed at about 1:1, labels stay >= 7 pt
LABEL_PT = 7.5


def compliance_figure(rules, target, on: dt.date, chips, highlight, scenarios=(), facts=None):
    """The compliance map as a matplotlib figure (`compliance_map` saves it): the two panels stacked,
    laid out before the labels are placed (so their distances hold), the legend below both panels."""
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from explorer.model.facts import Facts
    from explorer.model.outcomes import Outcome

    facts = facts or Facts("", "")
    plt = _pyplot()
    names = [o.value for o in Outcome]
    cmap = ListedColormap([OUTCOME_COLOURS_ALL[n] for n in names])
    fig, (left, right) = plt.subplots(2, 1, figsize=(MAP_WIDTH_IN, 10.6), dpi=110)
    fig.subplots_adjust(left=0.11, right=0.97, top=0.93, bottom=0.11, hspace=0.22)
    xs, ys, drams, ios, compute, bandwidth = _backgrounds(rules, target, on, facts)
    for ax, grid, gx, gy in ((left, compute, xs, ys), (right, bandwidth, drams, ios)):
        ax.pcolormesh(
            gx,
            gy,
            grid,
            cmap=cmap,
            vmin=-0.5,
            vmax=len(names) - 0.5,
            shading="nearest",
            alpha=0.55,
            rasterized=True,  # one embedded image, not thousands of SVG cells
        )
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlim(800, 60000)
    left.set_ylim(1.0, 30.0)
    left.set_xlabel("total processing performance (TPP)", fontsize=9)
    left.set_ylabel("performance density (TPP per mm² of logic)", fontsize=9)
    left.set_title("compute lines (no memory or I/O bandwidth)", fontsize=9)
    right.set_xlim(-400, 10000)  # room below and left of the crowd of low-bandwidth parts for their labels
    right.set_ylim(-300, 2400)
    for span in (right.axhspan, right.axvspan):  # no chip has negative bandwidth: grey, not white
        span(-1e4, 0, color="#e4e4e4", zorder=1, linewidth=0)
    right.set_xlabel("DRAM bandwidth (GB/s)", fontsize=9)
    right.set_ylabel("chip-to-chip I/O, links + PCIe (GB/s)", fontsize=9)
    right.set_title("bandwidth lines (compute below every line)", fontsize=9)
    renderer = fig.canvas.get_renderer()
    for ax, xy in ((left, lambda p: (p.tpp, p.density)), (right, lambda p: (p.dram_gbps, p.io_gbps))):
        ax.tick_params(labelsize=8)
        shown = [(p, *xy(p)) for p in chips if xy(p)[0] and xy(p)[1]]
        for p, x, y in shown:
            marker = "o" if p.datacenter else "s"  # consumer parts: squares, judged on their own lines
            ax.scatter(
                [x],
                [y],
                s=28,
                marker=marker,
                facecolor=point_colour(p),
                edgecolor="#222",
                linewidth=0.8,
                zorder=3,
            )
        marks = [(x, y) for _, x, y in shown] + [xy(p) for p in highlight]
        taken = [_box(ax, x, y, 5) for x, y in marks]  # labels keep off every point, too
        for p in highlight:
            x, y = xy(p)
            ax.scatter([x], [y], s=170, marker="*", color=point_colour(p), edgecolor="#1f4e9c", zorder=4)
            _label(ax, renderer, p.label, x, y, taken, color="#1f4e9c", fontsize=9, fontweight="bold")
        for text, x, y in _together(ax, shown):
            _label(ax, renderer, text, x, y, taken)
        ax.grid(alpha=0.25, which="both")
    title = f"Chips for {target.name} on {on}:\nshaded by the checker's verdict for a new datacenter design"
    if scenarios:
        title += "\nwith scenarios (what-ifs, not law): " + ", ".join(
            f"{x.id} ({x.status.value})" for x in scenarios
        )
    fig.suptitle(title, fontsize=10)
    used = {p.outcome for p in [*chips, *highlight]} | {names[v] for row in compute + bandwidth for v in row}
    handles: list[Artist] = [
        Patch(facecolor=OUTCOME_COLOURS_ALL[n], edgecolor="#999", label=n) for n in names if n in used
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="s",
            linestyle="",
            markerfacecolor="#fff",
            markeredgecolor="#222",
            label="square: consumer part (own verdict)",
        )
    )
    # outside both panels, so it hides no point
    fig.legend(
        handles=handles, loc="lower center", ncol=2, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 0)
    )
    return fig


# where a label may go, in points from its point: near first, then further out with a leader line
_OFFSETS = [
    (dx * r, dy * r)
    for r in (1, 2, 3.2, 4.6, 6.5, 9, 12, 15)
    for dx, dy in (
        (5, 4), (5, -11), (-5, 4), (-5, -11), (0, 9), (0, -16), (9, -3), (-9, -3), (7, 9), (-7, -16),
        (7, -16), (-7, 9),
    )
]  # fmt: skip


def _together(ax, shown, near_px: float = 6) -> list[tuple[str, float, float]]:
    """Chips drawn on (almost) the same spot share one label, three names a line: no pile of labels."""
    groups: list[tuple[list[str], float, float, tuple]] = []
    for p, x, y in shown:
        px, py = ax.transData.transform((x, y))
        for names, _, _, (gx, gy) in groups:
            if abs(px - gx) <= near_px and abs(py - gy) <= near_px:
                names.append(p.label)
                break
        else:
            groups.append(([p.label], x, y, (px, py)))
    return [
        ("\n".join(", ".join(names[i : i + 3]) for i in range(0, len(names), 3)), x, y)
        for names, x, y, _ in groups
    ]


def _box(ax, x: float, y: float, half_px: float):
    """A small square around a data point, in display space."""
    from matplotlib.transforms import Bbox

    px, py = ax.transData.transform((x, y))
    return Bbox.from_extents(px - half_px, py - half_px, px + half_px, py + half_px)


def _label(ax, renderer, text: str, x: float, y: float, taken: list, **style) -> None:
    """Place a label at the nearest offset where it overlaps no earlier label and no point (its box measured
    by the renderer); far offsets get a thin leader line. Where none is free, the least crowded is used."""
    from matplotlib.text import Text

    style = {"fontsize": LABEL_PT, "color": "#222", **style}
    best = None
    for dx, dy in _OFFSETS:
        far = abs(dx) > 10 or abs(dy) > 18
        ann = ax.annotate(
            text,
            (x, y),
            xytext=(dx, dy),
            textcoords="offset points",
            ha="left" if dx > 0 else "right" if dx < 0 else "center",
            va="bottom" if dy > 0 else "top",
            arrowprops={"arrowstyle": "-", "color": "#888", "lw": 0.5} if far else None,
            **style,
        )
        ann.update_positions(renderer)  # the offset applied, as drawing would
        box = Text.get_window_extent(ann, renderer).expanded(1.04, 1.1)  # the text alone, not its leader
        frame = ax.get_window_extent(renderer)
        inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
        hits = sum(box.overlaps(t) for t in taken) + (0 if inside else 100)
        if hits == 0:
            taken.append(box)
            if best is not None:
                best[0].remove()
            return
        if best is None or hits < best[1]:
            if best is not None:
                best[0].remove()
            best = (ann, hits, box)
        else:
            ann.remove()
    assert best is not None
    taken.append(best[2])


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
    ax.set_ylabel("value (tokens/s per chip, reference SKU = 1)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _finish(plt, fig, path)


MARKERS = ["o", "s", "^", "D", "v", "P", "X"]  # 7 markers against 20 colours: no pair repeats below 140
LINESTYLES = ["-", "--", "-.", ":"]


def series_styles(n: int) -> list[dict]:
    """`n` line styles no two of which look alike: a colour of tab20, a marker, and past 20 a dash pattern."""
    import matplotlib

    colours = matplotlib.colormaps["tab20"].colors  # type: ignore[attr-defined]  # a ListedColormap
    return [
        {
            "color": colours[i % 20],
            "marker": MARKERS[i % len(MARKERS)],
            "linestyle": LINESTYLES[(i // 20) % len(LINESTYLES)],
        }
        for i in range(n)
    ]


def sweep(df, parameter: str, path: str) -> None:
    """Value against the swept parameter, one line per base die (steps between rule changes for dates),
    each base its own colour and marker, the legend beside the plot."""
    plt = _pyplot()
    fig = sweep_figure(df, parameter)
    _finish(plt, fig, path)


def sweep_figure(df, parameter: str):
    import pandas as pd

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=120)
    groups = list(df.groupby("base"))
    for (base, group), style in zip(groups, series_styles(len(groups)), strict=True):
        group = group.sort_values("parameter")
        if parameter == "date":
            ax.step(
                pd.to_datetime(group["parameter"]),
                group["value"],
                where="post",
                markersize=4,
                label=base,
                **style,
            )
        else:
            ax.plot(group["parameter"], group["value"], markersize=4, label=base, **style)
    ax.set_xlabel("rules in force on" if parameter == "date" else f"threshold of {parameter}")
    ax.set_ylabel("value (tokens/s per chip, reference SKU = 1)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False)
    ax.grid(alpha=0.3)
    if parameter == "date":
        fig.autofmt_xdate()
    fig.tight_layout()
    return fig


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


def chip_points(classifications) -> list[MapPoint]:
    """Every catalog chip at its figures, with the outcome the checker gave it (api.Classification)."""
    return [
        MapPoint(
            c.chip,
            float(c.metrics.tpp),
            float(c.metrics.performance_density or 0),
            float(c.metrics.memory_bandwidth_gbps),
            float(c.metrics.io_bidirectional_gbps),
            c.metrics.datacenter,
            c.verdict.outcome.value,
        )
        for c in classifications
    ]


def design_point(label: str, metrics, outcome: str) -> MapPoint:
    return MapPoint(
        label,
        float(metrics.tpp),
        float(metrics.performance_density or 0),
        float(metrics.memory_bandwidth_gbps),
        float(metrics.io_bidirectional_gbps),
        metrics.datacenter,
        outcome,
    )
