"""The `explore` command: parses options, calls explorer.api, picks the output format.

Heavy modules (pandas, ortools, matplotlib) are imported only where used, so
`explore --help` stays instant.
"""

from __future__ import annotations

import json
import sys
from enum import IntEnum

import click

from explorer.errors import InputError


class Exit(IntEnum):
    OK = 0
    FINDINGS = 1
    BAD_INPUT = 2


class _Group(click.Group):
    """Turns bad input into one line on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as e:
            click.echo(f"explore: error: {e}", err=True)
            ctx.exit(Exit.BAD_INPUT)


def _data(ctx: click.Context):
    from explorer import api

    return api.load(ctx.obj.get("data"))


def _print_json(obj: object) -> None:
    click.echo(json.dumps(obj, indent=2))


TARGET = click.option(
    "--target",
    "-t",
    default="china",
    show_default=True,
    help="Destination: country name or ISO code (china, cn, macau, hk, ...).",
)
AS_OF = click.option(
    "--as-of",
    default=None,
    help="Judge under the rules in force on this date (YYYY-MM-DD; default: today).",
)


@click.group(cls=_Group, invoke_without_command=True)
@click.option("--target", "-t", default=None, help="Destination for the main job (e.g. china).")
@click.option("--as-of", default=None, help="Date for the main job (YYYY-MM-DD; default: today).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--data",
    type=click.Path(file_okay=False),
    envvar="CHIP_EXPLORER_DATA",
    default=None,
    help="Folder holding constraints/ and specs/ (default: the built-in data).",
)
@click.pass_context
def main(ctx: click.Context, target: str | None, as_of: str | None, fmt: str, data: str | None) -> None:
    """Explore AI chip designs against US export-control rules (ECCN 3A090 and successors).

    `explore --target china` shows the rules in force for China today and
    classifies the whole catalog against them.
    """
    ctx.ensure_object(dict)
    ctx.obj["data"] = data
    if ctx.invoked_subcommand is not None:
        return
    if target is None:
        click.echo(ctx.get_help())
        return
    _overview(ctx, target, as_of, fmt)


def _overview(ctx: click.Context, target: str, as_of: str | None, fmt: str) -> None:
    from explorer import api, render

    data = _data(ctx)
    where, on, rules = api.rules_for(target, as_of, data)
    results = api.classify_catalog(target, on, data)
    if fmt == "json":
        _print_json(
            {
                "target": where.code,
                "as_of": on.isoformat(),
                "rules": [render.rule_dict(r) for r in rules],
                "results": [render.classification_dict(c) for c in results],
                "note": api.SCREEN_NOTE,
            }
        )
        return
    click.echo(f"Rules in force for {where.name} ({where.code}) on {on}:")
    click.echo(render.rules_text(rules))
    click.echo("")
    click.echo(f"Catalog classified for {where.name} on {on}:")
    click.echo(render.catalog_verdicts_text(results))
    click.echo("")
    click.echo(api.SCREEN_NOTE)


@main.command()
@click.argument("chip")
@TARGET
@AS_OF
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def classify(ctx: click.Context, chip: str, target: str, as_of: str | None, fmt: str) -> None:
    """Classify one CHIP (e.g. h20, "RTX 4090D") for a destination and date."""
    from explorer import api, render

    result = api.classify(chip, target, as_of, _data(ctx))
    if fmt == "json":
        _print_json(render.classification_dict(result))
    else:
        click.echo(render.classification_text(result))


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.pass_context
def catalog(ctx: click.Context, fmt: str) -> None:
    """Every SKU in the catalog with the metrics the rules use."""
    from explorer import render

    cat = _data(ctx).catalog
    rows = [render.sku_row(cat, sku_id) for sku_id in cat.skus]
    if fmt == "json":
        _print_json(rows)
    elif fmt == "csv":
        click.echo(render.csv_text(rows), nl=False)
    else:
        cols = [
            "id",
            "die",
            "tpp",
            "performance_density",
            "memory_bandwidth_gbps",
            "memory_gb",
            "memory_type",
            "io_bidirectional_gbps",
            "datacenter",
            "power_w",
        ]
        heads = ["chip", "die", "TPP", "PD", "DRAM GB/s", "GB", "memory", "I/O GB/s", "DC", "W"]
        click.echo(render.table([[r[c] for c in cols] for r in rows], heads))


@main.command()
@TARGET
@AS_OF
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def rules(ctx: click.Context, target: str, as_of: str | None, fmt: str) -> None:
    """The rule sets in force for a destination on a date, with citations and status."""
    from explorer import api, render

    where, on, active = api.rules_for(target, as_of, _data(ctx))
    if fmt == "json":
        _print_json(
            {
                "target": where.code,
                "as_of": on.isoformat(),
                "rules": [render.rule_dict(r) for r in active],
            }
        )
        return
    click.echo(f"Rules in force for {where.name} ({where.code}) on {on}:")
    click.echo(render.rules_text(active))
    for r in active:
        click.echo(f"\n{r.id}: {r.title}\n  status: {r.status.value}; source: {r.source_url}")
    click.echo(f"\n{api.SCREEN_NOTE}")


if __name__ == "__main__":
    sys.exit(main())
