"""explore robust: one design across policy worlds."""

from __future__ import annotations

import click

from explorer.cli.app import Exit, main
from explorer.cli.options import (
    OUTCOME_NAMES,
    Finite,
    Format,
    data_of,
    format_option,
    target_option,
    unique_bases,
)
from explorer.cli.output import print_csv, print_json, say, write_robust_documents


@main.command()
@target_option()
@click.option(
    "--scenario",
    "worlds",
    multiple=True,
    help="A world: today's rules with this scenario (id or .toml file; repeatable).",
)
@click.option("--base", "bases", multiple=True, help="Base die or SKU (repeatable; default: every die).")
@click.option("--as-of", default=None, help="Rules in force on this date (YYYY-MM-DD; default: today).")
@click.option(
    "--objective",
    "mode",
    type=click.Choice(["worst-case", "expected"]),
    default="worst-case",
    show_default=True,
    help="worst-case: the smallest value over the worlds, allowed in each; expected: the weighted value.",
)
@click.option(
    "--weights", default=None, help="Weights for expected value, e.g. today=0.6,safe-chips-act=0.4."
)
@click.option("--no-baseline", is_flag=True, help="Leave today's rules out of the worlds.")
@click.option(
    "--allow",
    type=click.Choice(OUTCOME_NAMES),
    default="not-controlled",
    show_default=True,
    help="The most restrictive outcome accepted in a world.",
)
@click.option(
    "--value-model", default="llm-serving", show_default=True, help="Value model in specs/objectives/."
)
@click.option("--time-limit", type=Finite(0.1, 3600), default=10.0, show_default=True)
@format_option(Format.JSON, Format.MARKDOWN, Format.CSV)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Also write spec documents here.")
@click.option("--end-user-hq", default=None, help="Where the buyer is headquartered (applies 744.23(a)(3)).")
@click.option("--end-user", default=None, help="A named buyer that rules name (such as G42).")
@click.option(
    "--assume-us-launch", default=None, help="What-if: the design is on sale in the US from this date."
)
@click.option(
    "--figures",
    type=click.Choice(["robust", "nominal"]),
    default="robust",
    show_default=True,
    help="robust: comply across every estimated die area's range.",
)
@click.pass_context
def robust(
    ctx: click.Context,
    target,
    worlds,
    bases,
    as_of,
    mode,
    weights,
    no_baseline,
    allow,
    value_model,
    time_limit,
    fmt,
    out,
    end_user_hq,
    end_user,
    assume_us_launch,
    figures,
) -> None:
    """The design that keeps its market across policy worlds: today's rules and each --scenario.

    One CP-SAT model over the shared design variables with one copy of each
    world's rules; each world's verdict is re-judged by the checker and set
    against that world's own optimum (regret).
    """
    from explorer import api
    from explorer.model.outcomes import Outcome
    from explorer.report import payloads
    from explorer.report import results as report

    data = data_of(ctx)
    on = api.parse_date(as_of)
    api.buyer(data, end_user_hq, end_user, on)
    launch = api.parse_date(assume_us_launch, "--assume-us-launch") if assume_us_launch else None
    world_data = api.worlds_of(data, list(worlds), not no_baseline)
    names = [w for w, _ in world_data]
    api.parse_weights(weights, names)
    bases = unique_bases(data, bases)
    records, results = [], []
    for i, base in enumerate(bases, 1):
        say(ctx, f"[{i}/{len(bases)}] robust search on {base} across {len(names)} worlds ...")
        r = api.robust(
            base,
            target,
            list(worlds),
            mode,
            weights,
            not no_baseline,
            on,
            Outcome(allow),
            data,
            time_limit,
            objective=value_model,
            end_user_hq=end_user_hq,
            end_user=end_user,
            assume_us_launch=launch,
            robust=figures == "robust",
        )
        results.append(r)
        records.append(report.robust_dict(r))
    if out:
        write_robust_documents(data, out, results, allow)
    if fmt == Format.CSV:
        print_csv(payloads.robust_csv_rows(records))
    elif fmt == Format.JSON:
        scenarios = [d.scenarios[-1] for n, d in world_data if n != api.BASELINE]
        print_json(payloads.robust_payload(target, on, mode, names, records, scenarios))
    else:
        click.echo(report.robust_text(records, markdown=fmt == Format.MARKDOWN))
    if any(r["design"] is None for r in records):
        ctx.exit(Exit.FINDINGS)
