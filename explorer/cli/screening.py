"""explore screen, classify, catalog and rules: catalog chips (or a CSV's) judged, the rules listed."""

from __future__ import annotations

import click

from explorer.cli.app import main
from explorer.cli.options import AS_OF, SCENARIO, TARGET, Format, data_of, format_option
from explorer.cli.output import print_csv, print_json, say, wrapped


def _overview(
    ctx: click.Context, target: str, as_of: str | None, fmt: Format, table_file: str | None = None
) -> None:
    """The catalog (or the chips of a CSV file) classified; a file's bad rows go to stderr and exit 2."""
    from explorer import api

    data = data_of(ctx)
    where, on, rules = api.rules_for(target, as_of, data)
    errors: list = []  # rows of the CSV that could not be read (chip_table.RowError)
    if table_file is None:
        results = api.classify_catalog(target, on, data)
    else:
        results, errors = api.classify_table(table_file, target, on, data)
    _print_overview(data, where, on, rules, results, fmt)
    for e in errors:  # one line each, the file's name and cells shown with control characters escaped
        say(ctx, f"{table_file}: {e}", always=True)
    if errors:
        say(
            ctx, f"{table_file}: {len(errors)} of {len(errors) + len(results)} rows not screened", always=True
        )
        ctx.exit(2)


def _print_overview(data, where, on, rules, results, fmt: Format) -> None:
    from explorer import api
    from explorer.report import payloads, render

    if fmt == Format.CSV:
        print_csv(payloads.screen_csv_rows(results))
        return
    if fmt == Format.JSON:
        print_json(payloads.screen_payload(where, on, rules, results, data.scenarios))
        return
    click.echo(f"Rules in force for {where.name} ({where.code}) on {on}:")
    click.echo(render.rules_text(rules))
    click.echo("")
    click.echo(f"Catalog classified for {where.name} on {on}:")
    click.echo(render.catalog_verdicts_text(results))
    click.echo("")
    click.echo(wrapped(api.screen_note(data.scenarios)))


@main.command()
@TARGET
@AS_OF
@format_option(Format.JSON, Format.CSV)
@click.option(
    "--from",
    "table_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Classify the chips of this CSV instead of the catalog: the columns `explore catalog --format "
    "csv` writes, or Epoch AI's ML hardware layout. Bad rows are listed on stderr (exit 2); the rest are "
    "screened.",
)
@SCENARIO
@click.pass_context
def screen(ctx: click.Context, target: str, as_of: str | None, fmt: Format, table_file: str | None) -> None:
    """The rules in force for a destination, and the whole catalog (or a CSV of chips) classified."""
    _overview(ctx, target, as_of, fmt, table_file)


@main.command()
@click.argument("chip")
@TARGET
@AS_OF
@format_option(Format.JSON, Format.CSV)
@click.option("--end-user-hq", default=None, help="Where the buyer is headquartered (applies 744.23(a)(3)).")
@click.option("--end-user", default=None, help="A named buyer that rules name (such as G42).")
@click.option("--assume-us-launch", default=None, help="What-if: on sale in the US from this date.")
@SCENARIO
@click.pass_context
def classify(
    ctx: click.Context,
    chip: str,
    target: str,
    as_of: str | None,
    fmt: Format,
    end_user_hq,
    end_user,
    assume_us_launch,
) -> None:
    """Classify one catalog chip, such as h20 or "RTX 4090D", for a destination and date.

    Estimated figures are judged across their ranges; an outcome that changes
    within one is reported as uncertain, with the value where it flips.
    """
    from explorer import api
    from explorer.report import payloads, render

    result = api.classify(chip, target, as_of, data_of(ctx), end_user_hq, assume_us_launch, end_user)
    if fmt == Format.CSV:  # one row per line in force: the margins
        print_csv(payloads.classify_csv_rows(result))
    elif fmt == Format.JSON:
        print_json(render.classification_dict(result))
    else:
        click.echo(wrapped(render.classification_text(result)))


@main.command()
@format_option(Format.JSON, Format.CSV)
@click.pass_context
def catalog(ctx: click.Context, fmt: Format) -> None:
    """Every SKU in the catalog with the metrics the rules use."""
    from explorer.report import render

    cat = data_of(ctx).catalog
    rows = [render.sku_row(cat, sku_id, exact=fmt == Format.CSV) for sku_id in cat.skus]
    if fmt == Format.JSON:
        print_json(rows)
    elif fmt == Format.CSV:
        click.echo(render.csv_text(rows), nl=False)
    else:
        cols = [
            "id",
            "tpp",
            "performance_density",
            "memory_bandwidth_gbps",
            "memory_gb",
            "memory_type",
            "io_bidirectional_gbps",
            "datacenter",
            "power_w",
        ]
        heads = ["chip", "TPP", "PD", "DRAM GB/s", "GB", "memory", "I/O GB/s", "DC", "W"]
        click.echo(render.table([[r[c] for c in cols] for r in rows], heads))


@main.command()
@TARGET
@AS_OF
@format_option(Format.JSON, Format.CSV)
@SCENARIO
@click.pass_context
def rules(ctx: click.Context, target: str, as_of: str | None, fmt: Format) -> None:
    """The rule sets in force for a destination on a date, with citations and status."""
    from explorer import api
    from explorer.report import payloads, render

    data = data_of(ctx)
    where, on, active = api.rules_for(target, as_of, data)
    if fmt == Format.CSV:
        print_csv([render.rule_dict(r) for r in active])
        return
    if fmt == Format.JSON:
        print_json(payloads.rules_payload(where, on, active, data.scenarios))
        return
    click.echo(f"Rules in force for {where.name} ({where.code}) on {on}:")
    click.echo(render.rules_text(active))
    for r in active:
        changed = f"; changed by scenario {r.scenario}" if r.scenario else ""
        click.echo(
            wrapped(f"\n{r.id}: {r.title}\n  status: {r.status.value}{changed}; source: {r.source_url}")
        )
    click.echo(wrapped(f"\n{api.screen_note(data.scenarios)}"))
