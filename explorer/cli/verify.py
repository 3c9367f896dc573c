"""explore verify: the solver held to the enumerator on random spaces, or a replayed finding."""

from __future__ import annotations

import json

import click

from explorer.cli.app import Exit, main
from explorer.cli.options import (
    SCENARIO,
    Format,
    data_of,
    format_option,
    keep_data,
    parallel_options,
    target_option,
    unique_bases,
)
from explorer.cli.output import (
    Progress,
    print_csv,
    print_json,
    say,
    wrapped,
    write_file,
)


@main.command()
@target_option()
@click.option("--base", "bases", multiple=True, help="Base die (repeatable; default: every die).")
@click.option("--as-of", default=None, help="Rules in force on this date (YYYY-MM-DD; default: today).")
@click.option(
    "--samples",
    type=click.IntRange(0, 100000),
    default=40,
    show_default=True,
    help="Random small cases per base: CP-SAT against the enumerator and the checker.",
)
@click.option(
    "--designs",
    type=click.IntRange(0, 10**7),
    default=200,
    show_default=True,
    help="Random designs per base judged by the checker and the integer model.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@parallel_options
@click.option(
    "--replay",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Run the counterexamples of a verify report (JSON) again.",
)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Also write the JSON report here.")
@format_option(Format.JSON, Format.CSV)
@click.option(
    "--data",
    type=click.Path(file_okay=False),
    expose_value=False,
    callback=keep_data,
    help="Folder holding constraints/ and specs/ (your own dies and rules).",
)
@SCENARIO
@click.pass_context
def verify(
    ctx, target, bases, as_of, samples, designs, seed, workers, scheduler, scheduler_timeout, replay, out, fmt
) -> None:
    """Check the solver on your data: CP-SAT against the enumerator and the checker.

    Exit 0 when every check agrees, 3 on any disagreement (each a reproducible
    counterexample that --replay runs again).
    """
    import time

    from explorer import api

    data = data_of(ctx)
    if replay:
        raw = api.read_json(replay, "--replay")
        cases = api.replay_cases(raw, api.load(data.root), replay)  # every field checked before any runs
        findings = api.replay(raw, data.root, replay)
        report = api.replay_dict(cases, findings)
    else:
        api.resolve_target(data.destinations, target, api.parse_date(as_of))
        todo = unique_bases(data, bases)
        start = time.perf_counter()
        with Progress(ctx, "bases verified", len(todo)) as bar:
            reports = api.verify(
                data.root,
                todo,
                target,
                as_of,
                samples,
                designs,
                seed,
                workers,
                scheduler,
                bar,
                tuple(ctx.obj.get("scenarios") or ()),
                scheduler_timeout,
            )
        report = api.report_dict(reports)
        say(ctx, f"verified {len(todo)} bases in {time.perf_counter() - start:.1f} s")
    if out:

        def write(tmp: str) -> None:
            with open(tmp, "w") as f:
                f.write(json.dumps(report, indent=2) + "\n")

        write_file(out, write)
    if fmt == Format.JSON:
        print_json(report)
    elif fmt == Format.CSV and "bases" in report:
        print_csv(api.report_rows(report))
    elif "bases" in report:
        from explorer.report.render import table

        rows = [
            [
                b["base"],
                b["cases"],
                b["designs_judged"],
                b["designs_judged_by_cp_sat"],
                b["unproved_within_time_limit"],
                len(b["counterexamples"]),
            ]
            for b in report["bases"]
        ]
        click.echo(table(rows, ["base", "cases", "designs", "by CP-SAT", "unproved", "disagreements"]))
        for b in report["bases"]:
            for f in b["counterexamples"]:
                click.echo(wrapped(f"{b['base']}: {f['check']}: {f['detail']}"))
        click.echo(
            "clean: every check agreed"
            if report["clean"]
            else "DISAGREEMENT: see the counterexamples (--out FILE, then --replay FILE)"
        )
    else:
        for f in report["counterexamples"]:
            click.echo(wrapped(f"{f['check']}: {f['detail']}"))
        click.echo("clean on replay" if report["clean"] else "the disagreement reproduces")
    if not report["clean"]:
        ctx.exit(Exit.INTERNAL)
