"""explore portfolio: one die, a SKU for every market, chosen together."""

from __future__ import annotations

import click

from explorer.cli.app import Exit, main
from explorer.cli.options import Finite, Format, data_of, format_option
from explorer.cli.output import print_csv, print_json, say, write_documents


@main.command()
@click.argument("line", metavar="PORTFOLIO")
@click.option(
    "--base",
    "bases",
    multiple=True,
    help="A candidate die to tape out (repeatable; default: the file's, each with its package variants).",
)
@click.option(
    "--as-of", default=None, help="Rules for markets that name no date (YYYY-MM-DD; default: today)."
)
@click.option(
    "--value-model", default="llm-serving", show_default=True, help="Value model in specs/objectives/."
)
@click.option("--time-limit", type=Finite(0.1, 3600), default=10.0, show_default=True, help="Per search.")
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    help="What-if rules every market is judged under (id or .toml file; repeatable).",
)
@click.option(
    "--world",
    "worlds",
    multiple=True,
    help="Judge each SKU in today's rules and in today's with this scenario too (repeatable).",
)
@click.option(
    "--objective",
    "mode",
    type=click.Choice(["worst-case", "expected"]),
    default="worst-case",
    show_default=True,
    help="Across --world: each SKU allowed everywhere, best worst world; or the weighted margin.",
)
@click.option("--weights", default=None, help="Weights for expected, e.g. today=0.6,blackwell-allowed=0.4.")
@click.option("--no-baseline", is_flag=True, help="Leave today's rules out of the --world worlds.")
@format_option(Format.JSON, Format.CSV)
@click.option(
    "--out", type=click.Path(file_okay=False), default=None, help="Also write each SKU's spec documents here."
)
@click.pass_context
def portfolio(
    ctx: click.Context,
    line,
    bases,
    as_of,
    value_model,
    time_limit,
    scenarios,
    worlds,
    mode,
    weights,
    no_baseline,
    fmt,
    out,
) -> None:
    """The die to tape out and the SKU of it each market gets, for the most yearly gross margin in all.

    PORTFOLIO names a file in specs/portfolios/ (or is the path of one): the candidate dies
    and the markets, each with its target, date, allowed outcome, yearly volume and price.
    Each market's SKU is proved optimal for its gross margin on each candidate die and
    judged by the checker under that market's rules; the line is the best die's. With
    --world, each SKU is one design judged in several policy worlds (as explore robust).
    """
    import json

    from explorer import api
    from explorer.report import document
    from explorer.report import portfolio as view

    data = data_of(ctx)
    plan = api.load_portfolio(line, data.root)
    dies = api.candidate_dies(data, list(bases) or plan.bases)
    total = len(dies) * len(plan.markets)
    done = [0]

    def searched(n: int) -> None:
        done[0] += n
        say(ctx, f"[{done[0]}/{total}] market searches")

    result = api.portfolio(
        plan,
        dies,
        as_of,
        value_model,
        data,
        time_limit,
        searched,
        tuple(scenarios),
        worlds=tuple(worlds) if worlds or no_baseline else None,
        mode=mode,
        weights=weights,
        baseline=not no_baseline,
    )
    d = view.portfolio_dict(result)
    if out and result.best is not None:
        rendered = {}
        for s in result.best.skus:
            p = s.result.problem
            assert p is not None, "a search result carries the problem it solved"
            doc = document.build(
                s.result, p.data, {"allowed": s.market.allow.value, "objective": "gross-margin"}
            )
            rendered[f"{plan.id}-{s.market.name}-{result.best.die}"] = {
                ".json": json.dumps(doc, indent=2) + "\n",
                ".md": document.render(doc, "markdown"),
                ".html": document.render(doc, "html"),
            }
        for path in write_documents(out, rendered):
            say(ctx, f"wrote {path}")
    if fmt == Format.JSON:
        print_json(d)
    elif fmt == Format.CSV:
        print_csv(view.portfolio_csv_rows(d))
    else:
        click.echo(view.portfolio_text(d))
    say(
        ctx, f"{total} market searches on {len(dies)} candidate dies in {result.seconds:.2f} s; {d['status']}"
    )
    if result.best is None:
        ctx.exit(Exit.FINDINGS)
