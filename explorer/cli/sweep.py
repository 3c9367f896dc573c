"""explore sweep: one search per date, scenario or line value; explore plot: the rule map."""

from __future__ import annotations

from fractions import Fraction

import click

from explorer.cli.app import main
from explorer.cli.options import (
    OUTCOME_NAMES,
    SCENARIO,
    Format,
    data_of,
    format_option,
    parallel_options,
    target_option,
    unique_bases,
)
from explorer.cli.output import Progress, check_picture, say, write_file, write_picture
from explorer.model.errors import InputError

SWEEP_LIMIT = 2000  # a larger sweep needs --yes
PYARROW_HINT = "pip install 'chip-explorer[distributed]'"


@main.command()
@target_option()
@click.option("--base", "bases", multiple=True, help="Base die or SKU (repeatable; default: every die).")
@click.option(
    "--vary",
    required=True,
    help="'date' (every rule change up to --as-of), 'scenario' (today's rules, then each scenario "
    "in constraints/scenarios/ or --values A,B) or PARAGRAPH:METRIC, e.g. 3A090.a.1:tpp, to move that line.",
)
@click.option("--values", default=None, help="For a line: start:stop:step (inclusive) or a comma list.")
@click.option("--as-of", default=None, help="Date of the rules (YYYY-MM-DD; default: today).")
@click.option("--value-model", default="llm-serving", show_default=True)
@click.option("--allow", type=click.Choice(OUTCOME_NAMES), default="not-controlled", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None, help="Write the table: .csv or .parquet."
)
@click.option(
    "--plot", type=click.Path(dir_okay=False), default=None, help="Value against the parameter (PNG/SVG)."
)
@parallel_options
@format_option(Format.CSV, Format.JSON)
@click.option("--yes", is_flag=True, help=f"Run a sweep of more than {SWEEP_LIMIT} searches.")
@SCENARIO
@click.pass_context
def sweep(
    ctx: click.Context,
    target,
    bases,
    vary,
    values,
    as_of,
    value_model,
    allow,
    out,
    plot,
    workers,
    scheduler,
    scheduler_timeout,
    fmt,
    yes,
) -> None:
    """What-if: vary a line or the date across bases; a DataFrame to CSV or Parquet, and a plot."""
    from explorer import api
    from explorer import sweeps as sw
    from explorer.model.destinations import resolve_target

    data = data_of(ctx)
    on = api.parse_date(as_of)
    resolve_target(data.destinations, target, on)
    bases = unique_bases(data, bases)
    try:  # a bad value model fails here, not in every worker
        api.load_objective(value_model, data.root)
    except InputError as e:
        raise (
            InputError("--value-model", "", value_model, e.expected) if e.where == "--objective" else e
        ) from None
    if out and not out.endswith((".csv", ".parquet")):
        raise InputError("--out", "", out, "a file ending in .csv or .parquet")
    if out and out.endswith(".parquet"):  # checked before the searches, not after them
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            raise InputError("--out", "", out, f"pyarrow for Parquet: {PYARROW_HINT} (or a .csv)")
    check_picture(plot, "--plot")
    if vary in ("date",) and values is not None:
        raise InputError(
            "--values", "", values, "no --values with --vary date (every rule change is a point)"
        )
    if vary == "date":
        params = [
            d.isoformat()
            for d in sw.rule_change_dates(data.rules, on, resolve_target(data.destinations, target, on))
        ]
    elif vary == "scenario":
        params = ["", *(values.split(",") if values else api.scenario_names(data.root))]
        for name in params[1:]:
            api.with_scenarios(data, [name])  # a bad scenario fails before any search
    else:
        if values is None:
            raise InputError(
                "--values", "", None, "start:stop:step or a comma list, with --vary PARAGRAPH:METRIC"
            )
        params = [str(v) for v in sw.parse_values(values)]
        sw.with_threshold(data.rules, vary, Fraction(params[0]))  # a bad --vary fails before any search
    jobs = [
        sw.Job(
            b,
            target,
            on.isoformat(),
            vary,
            p,
            value_model,
            allow,
            str(data.root),
            tuple(ctx.obj.get("scenarios") or ()),
        )
        for b in bases
        for p in params
    ]
    if len(jobs) > SWEEP_LIMIT and not yes:
        raise InputError(
            "--values", "", f"{len(jobs)} searches", f"at most {SWEEP_LIMIT}, or --yes to run them all"
        )
    import time

    start = time.perf_counter()
    with Progress(ctx, "searches", len(jobs)) as bar:
        df = sw.execute(jobs, workers=workers, scheduler=scheduler, progress=bar, timeout=scheduler_timeout)
    where = f"Dask at {scheduler}" if scheduler else "local processes"
    say(ctx, f"{len(jobs)} searches in {time.perf_counter() - start:.1f} s on {where}")
    if out:

        def write(tmp: str) -> None:
            if not out.endswith(".parquet"):
                from explorer.report.render import frame_csv

                with open(tmp, "w", encoding="utf-8", newline="") as f:
                    f.write(frame_csv(df))
                return
            try:
                df.to_parquet(tmp, index=False, engine="pyarrow")
            except ImportError:
                raise InputError(
                    "--out",
                    "",
                    out,
                    f"pyarrow for Parquet: {PYARROW_HINT} (or a .csv)",
                ) from None

        write_file(out, write)
    if plot:
        from explorer.report import plots

        write_picture(plot, lambda file: plots.sweep(df, "date" if vary == "date" else vary, file))
    if fmt == Format.CSV:
        from explorer.report.render import frame_csv

        click.echo(frame_csv(df), nl=False)
    elif fmt == Format.JSON:
        click.echo(df.to_json(orient="records", indent=2))
    else:
        from explorer.report.render import table

        cols = ["base", "parameter", "outcome", "value", "binding"]
        click.echo(table(df[cols].fillna("-").values.tolist(), cols))


@main.command()
@click.argument("kind", type=click.Choice(["map", "timeline"]))
@target_option()
@click.option("--as-of", default=None, help="Rules in force on this date (map; default: today).")
@click.option("--base", "bases", multiple=True, help="Search these bases and mark their designs on the map.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The picture: .png or .svg.")
@SCENARIO
@click.pass_context
def plot(ctx: click.Context, kind, target, as_of, bases, out) -> None:
    """Draw the compliance map (TPP against density, regions by outcome) or the rules' timeline."""

    from explorer import api
    from explorer.model.destinations import resolve_target
    from explorer.report import plots

    check_picture(out, "--out")
    data = data_of(ctx)
    on = api.parse_date(as_of)
    if kind == "timeline":

        def draw(tmp: str) -> None:
            plots.timeline(data.rules, list(data.catalog.skus.values()), tmp, on)

    else:
        where = resolve_target(data.destinations, target, on)
        marks = []
        for base in unique_bases(data, bases) if bases else []:
            r = api.search(base, target, on, data=data, explain=False)
            if isinstance(r, api.Found):
                marks.append(plots.design_point(f"{r.die.id} design", r.metrics, r.verdict.outcome.value))
        chips = plots.chip_points(api.classify_catalog(target, on, data))

        def draw(tmp: str) -> None:
            plots.compliance_map(data.rules, where, on, chips, marks, tmp, scenarios=data.scenarios)

    write_picture(out, draw, "--out")
    say(ctx, f"wrote {out}")
