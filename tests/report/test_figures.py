"""Readable figures and HTML (issue 28): map labels apart and large enough on an A4 page, the legend off
the points, every sweep series its own look, tables that break between words and print.

What a test can check without a browser: the geometry matplotlib reports and the CSS the page carries.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from explorer import api
from explorer.report import plots

A4_TEXT_WIDTH_IN = (210 - 2 * 12) / 25.4  # the page's width inside the print CSS margins (@page 12 mm)


@pytest.fixture(scope="module")
def maps():
    from explorer.model.facts import Facts

    data = api.load()
    out = []
    for target, on in (
        ("china", dt.date(2026, 1, 1)),
        ("china", dt.date(2024, 6, 1)),
        ("uae", dt.date(2025, 9, 1)),
    ):
        where = api.resolve_target(data.destinations, target, on)
        chips = plots.chip_points(api.classify_catalog(target, on, data))
        marks = [plots.MapPoint("gh100 design", 2399.0, 2.9, 1000.0, 400.0, True, "not-controlled")]
        out.append((chips, plots.compliance_figure(data.rules, where, on, chips, marks, facts=Facts("", ""))))
    return out


def labels(fig):
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        texts = list(ax.texts)
        yield ax, texts, [Text.get_window_extent(t, renderer) for t in texts]


@pytest.mark.slow
def test_no_two_map_labels_overlap(maps) -> None:
    for _, fig in maps:
        for _, texts, boxes in labels(fig):
            assert len(texts) > 20
            clash = [
                (texts[i].get_text(), texts[j].get_text())
                for i, j in itertools.combinations(range(len(boxes)), 2)
                if boxes[i].overlaps(boxes[j])
            ]
            assert not clash


@pytest.mark.slow
def test_map_labels_print_at_seven_points_or_more_on_a4(maps) -> None:
    for _, fig in maps:
        width = fig.get_size_inches()[0]
        scale = min(1.0, A4_TEXT_WIDTH_IN / width)  # the HTML fits the figure to the page width
        for _, texts, _ in labels(fig):
            assert min(t.get_fontsize() for t in texts) * scale >= 7


@pytest.mark.slow
def test_every_chip_is_named_on_each_panel(maps) -> None:
    """Labels are merged for chips on one spot, never dropped."""
    for chips, fig in maps:
        panels = (lambda p: (p.tpp, p.density), lambda p: (p.dram_gbps, p.io_gbps))
        for (_, texts, _), xy in zip(labels(fig), panels, strict=True):
            shown = {n.strip() for t in texts for n in t.get_text().replace("\n", ", ").split(",")}
            assert {p.label for p in chips if all(xy(p))} | {"gh100 design"} <= shown


@pytest.mark.slow
def test_the_map_legend_is_outside_both_panels(maps) -> None:
    for _, fig in maps:
        renderer = fig.canvas.get_renderer()
        (legend,) = fig.legends
        box = legend.get_window_extent(renderer)
        assert not any(box.overlaps(ax.get_window_extent(renderer)) for ax in fig.axes)
        assert box.y0 >= 0 and box.y1 <= fig.bbox.height  # and on the figure


@pytest.mark.parametrize("n", [1, 17, 20, 60, 139])
def test_no_two_sweep_series_look_alike(n) -> None:
    styles = plots.series_styles(n)
    looks = {(s["color"], s["marker"], s["linestyle"]) for s in styles}
    colour_marker = {(s["color"], s["marker"]) for s in styles}
    assert len(looks) == n and len(colour_marker) == n
    if n <= 20:
        assert len({s["color"] for s in styles}) == n  # up to 20 bases, the colour alone tells them apart


def test_the_sweep_plot_draws_each_base_in_its_own_style() -> None:
    import pandas as pd

    bases = [f"base{i}" for i in range(17)]
    df = pd.DataFrame(
        [{"base": b, "parameter": p, "value": i + p} for i, b in enumerate(bases) for p in (1, 2)]
    )
    fig = plots.sweep_figure(df, "3A090.a.1:tpp")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 17
    assert len({(str(line.get_color()), line.get_marker()) for line in lines}) == 17
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))  # beside the plot, not over the lines


def test_the_html_breaks_between_words_scrolls_wide_tables_and_prints(tmp_path) -> None:
    from click.testing import CliRunner

    from explorer.cli import main

    result = CliRunner().invoke(main, ["-q", "--target", "china", "--base", "gh100", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "gh100.html").read_text()
    style = html[html.index("<style>") : html.index("</style>")]
    assert "overflow-wrap: anywhere; }  /* a long URL" in style  # only links may break anywhere
    assert "td { overflow-wrap: anywhere" not in style and "table-layout: fixed" not in style
    assert "word-break: normal" in style and "overflow-wrap: break-word" in style
    assert html.count("<table>") == html.count('<div class="scroll"><table>') > 0
    assert ".scroll { overflow-x: auto" in style
    assert "@media print" in style and "@page { size: A4" in style
