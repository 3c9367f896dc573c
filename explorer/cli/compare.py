"""explore compare (licence paths side by side) and explore frontier (value against cost or guard band)."""

from __future__ import annotations

from fractions import Fraction

import click

from explorer.cli.app import main
from explorer.cli.options import (
    Finite,
    Format,
    format_option,
    parse_search_options,
    search_options,
    target_option,
)
from explorer.cli.output import Progress, check_picture, counted, print_csv, print_json, write_picture
from explorer.model.errors import InputError

PATHS = ["not-controlled", "notification", "license-case-by-case"]


@main.command()
@target_option()
@search_options
@format_option(Format.JSON, Format.MARKDOWN, Format.CSV)
@click.pass_context
def compare(ctx: click.Context, target, fmt, **search_params) -> None:
    """Side by side: the best design on each compliance path, with cost, price, fee and margin."""
    from explorer import api
    from explorer.model.outcomes import Outcome
    from explorer.report import payloads
    from explorer.report import results as report

    data, opts = parse_search_options(ctx, target, **search_params)
    rows = []
    with Progress(ctx, "searches", len(opts.bases) * len(PATHS)) as step:
        for base in opts.bases:
            for path in PATHS:
                r = opts.search(data, base, allow=Outcome(path), exact=True, explain=False)
                rows.append(report.path_dict(r, path))
                step(1, f"{base} {path}")
    if fmt == Format.CSV:
        print_csv(payloads.compare_csv_rows(rows))
    elif fmt == Format.JSON:
        print_json(payloads.compare_payload(opts.target, opts.on, opts.goal, rows, data.scenarios))
    else:
        text = report.compare_text(
            rows, markdown=fmt == Format.MARKDOWN, note=api.screen_note(data.scenarios)
        )
        click.echo(text)


@main.command()
@target_option()
@search_options
@click.option(
    "--x",
    "x_axis",
    type=click.Choice(["cost", "margin"]),
    default="cost",
    show_default=True,
    help="cost: value against unit cost; margin: value against the guard band to the nearest line.",
)
@click.option("--y", "y_axis", type=click.Choice(["value"]), default="value", show_default=True)
@click.option(
    "--points",
    type=click.IntRange(1, 1000),
    default=60,
    show_default=True,
    help="Most frontier points (cost), or guard-band steps from 0 to --max-margin (margin).",
)
@click.option("--max-margin", type=Finite(0, 50), default=20.0, show_default=True)
@format_option(Format.JSON, Format.CSV)
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Also draw it (PNG or SVG).")
@click.pass_context
def frontier(
    ctx: click.Context, target, x_axis, y_axis, points, max_margin, fmt, plot, **search_params
) -> None:
    """An exact Pareto frontier: each point proved optimal for its bound (epsilon constraint)."""

    from explorer import api
    from explorer.report import results as report

    check_picture(plot, "--plot")
    data, opts = parse_search_options(ctx, target, **search_params)
    if len(opts.bases) != 1:
        raise InputError("--base", "", ",".join(opts.bases), "exactly one base die or SKU")
    if opts.goal != "perf":
        raise InputError(
            "--objective", "", opts.goal, "perf or a value model: a frontier trades value against --x"
        )
    if opts.price is not None:
        raise InputError(
            "--price", "", float(opts.price), "no price: a frontier plots value against unit cost"
        )
    base = opts.bases[0]

    def build(margin):
        return api.problem(
            base,
            opts.target,
            opts.on,
            opts.value_model,
            opts.allowed,
            margin,
            opts.markets,
            data,
            workload=opts.workload,
            end_user_hq=opts.end_user_hq,
            assume_us_launch=opts.assume_us_launch,
            robust=opts.robust,
            end_user=opts.end_user,
        )

    if x_axis == "cost":
        with Progress(ctx, "frontier points solved", None) as step:
            pts, complete = api.cost_frontier(
                build(opts.margin), opts.time_limit, max_points=points, progress=step
            )
    else:
        steps = [Fraction(max_margin) * i / max(points - 1, 1) for i in range(points)]
        with Progress(ctx, "guard bands solved", len(steps)) as step:
            pts, complete = api.margin_frontier(build, steps, opts.time_limit, progress=step), True
    rows = report.frontier_rows(pts, x_axis)
    if plot:
        from explorer.report import plots

        write_picture(
            plot, lambda file: plots.frontier(rows, x_axis, f"{base} for {opts.target} on {opts.on}", file)
        )
    if fmt == Format.JSON:
        from explorer.report import payloads

        print_json(payloads.frontier_payload(base, x_axis, y_axis, complete, rows, data.scenarios))
    elif fmt == Format.CSV:
        from explorer.report.render import csv_text

        click.echo(csv_text(rows), nl=False)
    else:
        from explorer.report.render import decimals_apart, table

        heads = list(rows[0]) if rows else ["x", "value"]
        places = {h: decimals_apart([r[h] for r in rows], 2 if h != "value" else 3) for h in heads[:2]}
        cells = [[f"{r[h]:,.{places[h]}f}" if h in places else r[h] for h in heads] for r in rows]
        click.echo(table(cells, heads))
        why = ""
        if len(rows) == 1 and x_axis == "cost":
            why = " (the best design is also the cheapest that complies: nothing to trade)"
        click.echo(
            f"{counted(len(rows), 'point')}{why}, {'complete' if complete else 'truncated at --points'}; "
            "each proved optimal for its bound"
        )
