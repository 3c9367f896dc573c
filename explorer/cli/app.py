"""The `explore` group: one line and exit 2 on bad input, the main search command, and --data everywhere."""

from __future__ import annotations

import dataclasses
import sys
from enum import IntEnum

import click

from explorer.cli.options import (
    Format,
    Options,
    format_option,
    global_options,
    keep_data,
    parse_search_options,
    search_options,
    target_option,
)
from explorer.cli.output import (
    OutputError,
    Progress,
    checked_stdout,
    counted,
    print_csv,
    print_json,
    say,
    silence_stdout,
    spec_documents,
    wrapped,
    write_documents,
)
from explorer.model.errors import InputError


class Exit(IntEnum):
    OK = 0
    FINDINGS = 1
    BAD_INPUT = 2
    INTERNAL = 3
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
    TERMINATED = 143  # SIGTERM
    HUNG_UP = 129  # SIGHUP: the terminal went away


class _Group(click.Group):
    """The one catch-all: bad input is one line on stderr and exit 2, an internal fault one line and exit 3,
    never a traceback (EXPLORE_DEBUG=1 shows it)."""

    def main(self, *args, **kwargs):
        """Signals end the run cleanly (explorer.search.interrupts): exit 130 on SIGINT, 143 on SIGTERM,
        129 on SIGHUP. A closed stdout is refused before any work, and stdout is checked on every write."""
        import threading

        from explorer.report import layout
        from explorer.search import interrupts

        previous, hook = interrupts.install(), threading.excepthook
        try:
            if sys.stdout is None:  # `explore ... >&-`: Python found no fd 1
                click.echo(f"explore: error: {_CLOSED}", err=True)
                sys.exit(Exit.BAD_INPUT)
            checked_stdout()
            _quiet_threads()
            width = layout.use(layout.detect(sys.stdout))  # --width, parsed next, may set another
            try:
                return super().main(*args, **kwargs)
            finally:
                layout.reset(width)
        finally:
            interrupts.restore(previous)
            threading.excepthook = hook

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as e:
            raise _one_line(e) from None

    def invoke(self, ctx: click.Context):
        try:
            try:
                return super().invoke(ctx)
            finally:  # a full disk or a file size limit on stdout surfaces here, while it sets the exit code
                if sys.stdout is not None:
                    sys.stdout.flush()
        except OutputError as e:
            silence_stdout()
            click.echo(f"explore: error: {e}", err=True)
            ctx.exit(Exit.BAD_INPUT)
        except InputError as e:
            click.echo(f"explore: error: {e}", err=True)
            ctx.exit(Exit.BAD_INPUT)
        except BrokenPipeError:  # `explore ... | head`: the reader left; end quietly
            silence_stdout()
            ctx.exit(Exit.OK)
        except click.UsageError as e:  # a subcommand's arguments
            raise _one_line(e) from None
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as e:  # a bug or a broken environment: one line, exit 3
            import os

            if os.environ.get("EXPLORE_DEBUG"):
                raise
            click.echo(f"explore: {_internal(e)}", err=True)
            ctx.exit(Exit.INTERNAL)


class _OneLineUsage(click.UsageError):
    """Click's usage error as the one line every bad input gets (click's own is three: usage, hint, error)."""

    def show(self, file=None) -> None:
        from explorer.model.names import printable

        hint = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        click.echo(f"explore: error: {printable(' '.join(self.message.split()))}{hint}", err=True)


def _one_line(e: click.UsageError) -> _OneLineUsage:
    if isinstance(e, _OneLineUsage):
        return e
    return _OneLineUsage(e.format_message(), e.ctx)


_CLOSED = (
    "stdout: got a closed standard output, expected one to print to (redirect it to /dev/null to discard)"
)


def _quiet_threads() -> None:
    """A library thread that dies (a process pool's, a thread that could not start) prints no traceback:
    the main thread reports what it meant for the run, in one line (EXPLORE_DEBUG=1 shows both)."""
    import os
    import threading

    if not os.environ.get("EXPLORE_DEBUG"):
        threading.excepthook = lambda args: None


def _internal(e: Exception) -> str:
    """One line for an internal fault: what failed, and that it is worth a report."""
    from concurrent.futures.process import BrokenProcessPool

    from explorer.api import CheckerDisagrees
    from explorer.model.names import printable

    if isinstance(e, CheckerDisagrees):
        return f"INTERNAL ERROR, solver and checker disagree (please report): {e}"
    if isinstance(e, BrokenProcessPool):
        what = "a worker process died (killed, or out of memory)"
    else:
        what = f"{type(e).__name__}: {e}"
    return printable(f"internal error, please report: {what}")


@click.group(
    cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="chip-explorer", prog_name="explore")
@target_option(None, "Destination to search for (e.g. china).")
@search_options
@format_option(Format.JSON, Format.MARKDOWN, Format.CSV)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Write each spec document (JSON, Markdown, HTML) into this folder.",
)
@click.option(
    "--data",
    type=click.Path(file_okay=False),
    envvar="CHIP_EXPLORER_DATA",
    default=None,
    help="Folder holding constraints/ and specs/ (default: the built-in data).",
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Also render each spec document with this Jinja2 template (written into --out, or printed).",
)
@click.option(
    "--at-least",
    "at_least",
    multiple=True,
    help="Competitor floor: the design must serve at least this catalog chip's tokens/s per chip on "
    "the same workload (repeatable: the highest counts).",
)
@click.pass_context
def main(ctx: click.Context, target, fmt, out, data, template, at_least, **search_params) -> None:
    """Explore AI chip designs against US export-control rules (ECCN 3A090 and successors).

    `explore --target china` searches every base die for the most valuable
    design that complies on that date, proves it optimal and explains it.
    """
    from click.core import ParameterSource

    ctx.ensure_object(dict)
    ctx.obj.setdefault("data", data)
    if ctx.invoked_subcommand is not None:
        if ctx.get_parameter_source("fmt") is ParameterSource.COMMANDLINE:
            ctx.obj["format"] = fmt.value  # the subcommand takes it (format_option)
        _refuse_group_options(ctx)
        return
    if target is None:
        given = [
            p
            for p in ctx.params
            if p != "data" and ctx.get_parameter_source(p) is ParameterSource.COMMANDLINE
        ]
        if given:  # `explore --base gh100`: a search without its destination
            raise InputError("--target", "", None, "a destination for the search (e.g. --target china)")
        click.echo(ctx.get_help())
        return
    if template and not out and fmt != Format.TABLE:
        raise InputError(
            "--format", "", fmt, "no --format with --template (its output is the payload), or --out"
        )
    data, opts = parse_search_options(ctx, target, **search_params)
    for chip in at_least:
        try:
            data.catalog.find_sku(chip)
        except InputError as e:
            raise InputError("--at-least", "", chip, e.expected) from None
    opts = dataclasses.replace(opts, at_least=tuple(at_least))
    if template:
        from pathlib import Path

        from explorer.report.document import check_template

        check_template(Path(template))
    _search(ctx, data, opts, fmt, out, template)


def _search(ctx, data, opts: Options, fmt: Format, out: str | None, template: str | None = None) -> None:
    import time

    from explorer import api
    from explorer.report import payloads
    from explorer.report import results as report

    start = time.perf_counter()
    done = [0]

    def searched(n: int) -> None:
        done[0] += n
        say(ctx, f"[{done[0]}/{len(opts.bases)}] bases searched")

    found = opts.search_all(data, searched)
    results = [report.result_dict(r, data) for r in found]
    searched_s = time.perf_counter() - start  # the search alone: documents and printing come after
    docs = [(r.die.id, r) for r in found] if out or template or fmt == Format.MARKDOWN else []
    where, on, rules = api.rules_for(opts.target, opts.on, data)
    only = None if out else (".md" if fmt == Format.MARKDOWN and not template else "custom")
    chips: dict = {}  # the catalog's verdicts, judged once for every document's map
    rendered = {}
    with Progress(ctx, "documents rendered", len(docs)) as step:
        for name, r in docs:
            rendered[name] = spec_documents(data, opts, r, template, only, chips)
            step(1, name)
    if out:
        for path in write_documents(out, rendered, template):
            say(ctx, f"wrote {path}")
    elif template:  # the user's own format is the payload
        click.echo("\n".join(files["custom"] for files in rendered.values()), nl=False)
    if template and not out:
        pass  # the template's output was the payload
    elif fmt == Format.JSON:
        print_json(
            payloads.search_payload(
                where,
                on,
                opts.goal,
                opts.value_model,
                opts.allowed.value,
                float(opts.margin),
                results,
                rules,
                data.scenarios,
            )
        )
    elif fmt == Format.CSV:
        print_csv(payloads.search_csv_rows(results))
    elif fmt == Format.MARKDOWN:
        click.echo("\n".join(files[".md"] for files in rendered.values()))
    else:
        click.echo(
            wrapped(
                f"Best design allowed up to {opts.allowed.value}, per base die, for {where.name} "
                f"({where.code}) "
                f"on {on}, objective {opts.goal}; value = {opts.value_model} output tokens/s per chip "
                "after fees, relative to its reference SKU (= 1); ranked by value:"
            )
        )
        from explorer.model.outcomes import LICENSED_MIN

        licensed = opts.allowed.rank >= LICENSED_MIN
        click.echo(report.ranked_table(results, licensed))
        if opts.goal != "perf":
            click.echo("")
            click.echo(report.economics_table(results, opts.goal))
        click.echo("")
        click.echo(wrapped(api.screen_note(data.scenarios)))
    proved = sum(r["status"] == "OPTIMAL" for r in results)
    say(
        ctx,
        f"{counted(len(results), 'base')} searched in {searched_s:.2f} s; {proved} proved optimal",
    )
    infeasible = [r for r in results if r["status"] == "INFEASIBLE"]
    for rec in infeasible:
        floor = rec.get("floor")
        what = (
            f"no complying design serves the --at-least floor of {floor['tokens_per_s_per_chip']:,} "
            f"tokens/s per chip ({', '.join(floor['at_least'])}); the rules that hold it below"
            if floor
            else "no design complies; conflicting rules"
        )
        say(ctx, f"explore: {rec['base']}: {what}: {', '.join(rec['conflicting_rules'])}", always=True)
    if infeasible:
        ctx.exit(Exit.FINDINGS)


def _refuse_group_options(ctx: click.Context) -> None:
    """An option of the main search given before a subcommand would be silently ignored: refuse it."""
    from click.core import ParameterSource

    passes = {"data", "fmt"}
    sub = main.commands.get(ctx.invoked_subcommand or "")
    if "format" in ctx.obj and sub is not None and not any(p.name == "fmt" for p in sub.params):
        raise InputError("--format", "", ctx.obj["format"], f"no --format: explore {sub.name} has none")
    for param in ctx.command.params:
        if param.name in passes or not param.expose_value:
            continue
        if ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
            flag = max(param.opts, key=len)
            raise InputError(
                flag,
                "",
                ctx.params.get(param.name),
                f"to come after the subcommand (explore {ctx.invoked_subcommand} {flag} ...), "
                "where the subcommand takes it",
            )


def finish() -> None:
    """Once every command is registered: --data, -q and --width on each, and the frontier's inapplicable
    options hidden."""
    _add_data_option()
    for command in [main, *main.commands.values()]:
        command.params += global_options()
    frontier = main.commands["frontier"]
    for param in frontier.params:  # a frontier plots value against cost or guard band: no objective, no price
        if isinstance(param, click.Option) and param.name in ("objective", "price_usd"):
            param.hidden = True


def _add_data_option() -> None:
    """Every subcommand takes --data too, so it works wherever users put it."""
    for command in main.commands.values():
        if any(p.name == "data" for p in command.params):
            continue
        command.params.append(
            click.Option(
                ["--data"],
                type=click.Path(file_okay=False),
                expose_value=False,
                callback=keep_data,
                help="Folder holding constraints/ and specs/ (default: the built-in data).",
            )
        )
