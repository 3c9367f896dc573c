"""explore calibrate and explore value: the value model's fit, and one chip's breakdown."""

from __future__ import annotations

import click

from explorer.cli.app import main
from explorer.cli.options import Format, data_of, format_option
from explorer.cli.output import Progress, print_csv, print_json, say
from explorer.model.errors import InputError


@main.command()
@click.option("--write", is_flag=True, help="Write the fit to specs/calibration/efficiency.toml.")
@format_option(Format.JSON, Format.CSV)
@click.pass_context
def calibrate(ctx: click.Context, write: bool, fmt: Format) -> None:
    """Fit the value model's efficiencies to measured serving throughput; validate on data left out.

    Each point is predicted four ways: with the fit, and fitted without its chip,
    its source and its benchmark (every point of its model). Points marked
    validation (MLPerf v5.1 Llama-2-70B, DeepSeek-R1) are never fitted.
    """
    from explorer import api
    from explorer import calibrate as cal
    from explorer.report import render

    data = data_of(ctx)
    if write and api.is_packaged(data.root):
        raise InputError(
            "--write",
            "",
            str(data.root),
            "a writable data folder given with --data (the installed package's own data is never written)",
        )
    measured = api.load_measured(data.root)
    say(ctx, f"fitting {len(measured.point)} measured points (each chip, source and benchmark left out)...")
    with Progress(ctx, "fits", cal.fit_count(measured)) as step:
        result = cal.calibrate(measured, data.catalog, api.load_workloads(data.root), progress=step)
    val = cal.validate(result, measured.setup.held_out_shapes)
    rows = [cal.row_dict(r) for r in result.rows]
    if fmt == Format.CSV:
        print_csv(rows)
    elif fmt == Format.JSON:
        print_json(cal.calibration_dict(result, val))
    else:
        click.echo("output tokens/s per chip, measured against predicted (fit, chip left out):")
        heads = [
            "chip",
            "source",
            "scenario",
            "setup",
            "in/out",
            "role",
            "measured",
            "predicted",
            "error",
            "chip out",
        ]
        click.echo(
            render.table(
                [
                    [
                        r[k]
                        for k in (
                            "chip",
                            "source",
                            "scenario",
                            "setup",
                            "lengths",
                            "role",
                            "measured",
                            "predicted",
                            "error",
                            "error_chip_left_out",
                        )
                    ]
                    for r in rows
                ],
                heads,
                keep=(0, 5, 8, 9),
            )
        )
        for k, e in result.efficiencies.items():
            bandwidth = measured.setup.memory_measured.get(k)
            seen = f" (measured bandwidth {float(bandwidth.share):g} of rated)" if bandwidth else ""
            click.echo(f"{k}: " + ", ".join(f"{f} {x:g}" for f, x in cal.efficiency_dict(e).items()) + seen)
        reference_us = float(result.efficiencies[cal.POOLED].layer_fixed_s) * 1e6
        for name, layer_s in result.engines.items():
            click.echo(
                f"{name} on an architecture fitted under another engine: fixed time of one layer "
                f"{float(layer_s) * 1e6:g} us (the reference engine's {reference_us:g} us)"
            )
        click.echo(cal.validation_text(val))
    if write:
        import os

        path = data.root / "specs" / "calibration" / "efficiency.toml"
        tmp = path.with_suffix(".tmp")
        setup = measured.setup
        tmp.write_text(
            cal.efficiency_toml(result, val, setup.fallback, setup.memory_measured, setup.superseded)
        )
        os.replace(tmp, path)
        say(ctx, f"wrote {path}", always=True)


@main.command("value")
@click.argument("chip", required=False)
@click.option(
    "--design", "design_file", default=None, help="A design as JSON: a result of explore --format json."
)
@click.option(
    "--value-model", default="llm-serving", show_default=True, help="Value model in specs/objectives/."
)
@format_option(Format.JSON)
@click.pass_context
def value_cmd(
    ctx: click.Context, chip: str | None, design_file: str | None, value_model: str, fmt: Format
) -> None:
    """The value model for one SKU or design: batch, step time by part, tokens/s, worth of each resource."""
    from explorer import api, valuation
    from explorer.report import render

    if (chip is None) == (design_file is None):
        raise InputError("CHIP", "", chip or design_file, "either a catalog chip or --design FILE, not both")
    if value_model not in api.objective_names(data_of(ctx).root):
        raise InputError(
            "--value-model", "", value_model, f"one of: {', '.join(api.objective_names(data_of(ctx).root))}"
        )
    data = data_of(ctx)
    rec = (
        valuation.of_sku(chip, data, value_model)
        if chip is not None
        else valuation.of_design(str(design_file), data, value_model)
    )
    if fmt == Format.JSON:
        print_json(rec)
    else:
        click.echo(render.value_text(rec))
