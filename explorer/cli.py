"""The `explore` command: parses options, calls explorer.api, picks the output format.

Heavy modules (pandas, ortools, matplotlib) are imported only where used, so
`explore --help` stays instant.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from enum import IntEnum
from fractions import Fraction

import click

from explorer.model.errors import InputError


class Exit(IntEnum):
    OK = 0
    FINDINGS = 1
    BAD_INPUT = 2
    INTERNAL = 3
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
    TERMINATED = 143  # SIGTERM


class Finite(click.ParamType):
    """A finite number within [low, high] (refuses nan, inf and out-of-range values with exit 2)."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, low_open: bool = False):
        self.low, self.high, self.low_open = low, high, low_open

    def convert(self, value, param, ctx):
        import math

        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(x):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.low is not None and (x < self.low or (self.low_open and x == self.low)):
            self.fail(f"{value!r} is below {'or at ' if self.low_open else ''}{self.low:g}", param, ctx)
        if self.high is not None and x > self.high:
            self.fail(f"{value!r} is above {self.high:g}", param, ctx)
        return x


class _Group(click.Group):
    """Turns bad input into one line on stderr and exit code 2, never a traceback."""

    def main(self, *args, **kwargs):
        """Signals end the run cleanly (explorer.search.interrupts): exit 130 on SIGINT, 143 on SIGTERM."""
        from explorer.search import interrupts

        previous = interrupts.install()
        try:
            return super().main(*args, **kwargs)
        finally:
            interrupts.restore(previous)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as e:
            click.echo(f"explore: error: {e}", err=True)
            ctx.exit(Exit.BAD_INPUT)
        except RuntimeError as e:
            from explorer.search.run import CheckerDisagrees

            if not isinstance(e, CheckerDisagrees):
                raise
            click.echo(f"explore: INTERNAL ERROR, solver and checker disagree (please report): {e}", err=True)
            ctx.exit(Exit.INTERNAL)
        except BrokenPipeError:  # `explore ... | head`: the reader left; end quietly
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(Exit.OK)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as e:  # a bug: one line, exit 3 (EXPLORE_DEBUG=1 shows the traceback)
            import os

            if os.environ.get("EXPLORE_DEBUG"):
                raise
            click.echo(f"explore: internal error, please report: {type(e).__name__}: {e}", err=True)
            ctx.exit(Exit.INTERNAL)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _data(ctx: click.Context):
    """The data folder's chips and rules, with any --scenario applied (each named in the output)."""
    from explorer import api

    data = api.load(ctx.obj.get("data"))
    return api.with_scenarios(data, ctx.obj.get("scenarios"))


def _keep_scenarios(ctx: click.Context, param, value):
    if value:
        ctx.ensure_object(dict)
        ctx.obj.setdefault("scenarios", []).extend(value)
    return value


SCENARIO = click.option(
    "--scenario",
    multiple=True,
    expose_value=False,
    callback=_keep_scenarios,
    help="Apply a policy scenario (an id in constraints/scenarios/ or a .toml file; repeatable). "
    "A what-if, never law.",
)


def _wrapped(text: str) -> str:
    """Long lines wrapped at 80 columns, continuation lines indented under their own line."""
    import textwrap

    def fill(line: str) -> str:
        if len(line) <= 80:
            return line
        lead = len(line) - len(line.lstrip())
        indent = " " * (lead + 4 if lead else 0)  # prose wraps flush, indented items hang
        return textwrap.fill(line, 80, subsequent_indent=indent, break_on_hyphens=False)

    return "\n".join(fill(line) for line in text.split("\n"))


def _say(ctx: click.Context, text: str) -> None:
    """The human summary: on stderr, so stdout carries only the payload; silent with --quiet."""
    if not ctx.find_root().obj.get("quiet"):
        click.echo(text, err=True)


def _print_json(obj: object) -> None:
    click.echo(json.dumps(obj, indent=2))


def _print_csv(rows: list[dict]) -> None:
    """One row per record; lists are joined with '; ', nested tables left to the JSON."""
    from explorer.report.render import csv_text

    flat = [
        {
            k: "; ".join(map(str, v)) if isinstance(v, list) else v
            for k, v in r.items()
            if not isinstance(v, dict)
        }
        for r in rows
    ]
    click.echo(csv_text(flat), nl=False)


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


OUTCOME_NAMES = [
    "not-controlled",
    "license-exception",
    "notification",
    "license-presumed-approval",
    "license-case-by-case",
    "license-presumed-denial",
]
GOAL_HELP = (
    "perf (the value model; default), perf-per-dollar, gross-margin or net-revenue; "
    "or the name of a value model in specs/objectives/"
)


def search_options(f):
    """The options every search-based command shares."""
    options = (
        [
            click.option(
                "--base", "bases", multiple=True, help="Base die or SKU (repeatable; default: every die)."
            ),
            click.option(
                "--as-of", default=None, help="Rules in force on this date (YYYY-MM-DD; default: today)."
            ),
            click.option("--objective", default="perf", show_default=True, help=GOAL_HELP),
            click.option(
                "--value-model",
                default="llm-serving",
                show_default=True,
                help="Value model in specs/objectives/.",
            ),
            click.option(
                "--workload",
                default=None,
                help="Workload in specs/workloads/ or a .toml file (default: the value model's).",
            ),
            click.option(
                "--allow",
                "allow",
                multiple=True,
                type=click.Choice(OUTCOME_NAMES),
                help="Also accept this outcome and every less restrictive one (default: not-controlled).",
            ),
            click.option(
                "--margin",
                "margin_pct",
                type=Finite(0, 50),
                default=0.0,
                show_default=True,
                help="Guard band in percent below every line.",
            ),
            click.option(
                "--market",
                type=click.Choice(["datacenter", "consumer", "any"]),
                default=None,
                help="Designed or marketed for datacenters (default: the die's own; a SKU base: its own).",
            ),
            click.option(
                "--price",
                "price_usd",
                type=Finite(0, None, low_open=True),
                default=None,
                help="One price in USD for every design (default: the market curve through an anchor SKU).",
            ),
            click.option(
                "--time-limit",
                type=Finite(0.1, 3600),
                default=10.0,
                show_default=True,
                help="Seconds per solve.",
            ),
        ]
        + product_options()
        + [SCENARIO]
    )
    for option in reversed(options):
        f = option(f)
    return f


def parallel_options(f):
    """Where sweeps and verify run: local processes, or a Dask cluster."""
    options = [
        click.option(
            "--workers", type=click.IntRange(1, 256), default=None, help="Processes (default: one per core)."
        ),
        click.option(
            "--scheduler", default=None, help="Run on a Dask cluster at this address (tcp://HOST:PORT)."
        ),
        click.option(
            "--scheduler-timeout",
            type=Finite(0.1, 600),
            default=10.0,
            show_default=True,
            help="Seconds to wait for --scheduler before giving up.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def product_options() -> list:
    """Facts about the product and buyer that rules name besides metrics."""
    return [
        click.option(
            "--end-user-hq",
            default=None,
            help="Where the buyer (or its ultimate parent) is headquartered; applies 15 CFR 744.23(a)(3) "
            "(default: not stated, and that requirement is not applied).",
        ),
        click.option(
            "--assume-us-launch",
            default=None,
            help="What-if: the part is on sale in the US from this date (YYYY-MM-DD); "
            "default: a new design never was.",
        ),
        click.option(
            "--figures",
            type=click.Choice(["robust", "nominal"]),
            default="robust",
            show_default=True,
            help="robust: comply across every estimated figure's range; nominal: at its point value.",
        ),
    ]


@dataclass(frozen=True)
class Options:
    target: str
    bases: list[str]
    on: object
    goal: str
    value_model: str
    workload: str | None
    allowed: object
    margin: object
    markets: list[bool] | None
    price: object
    time_limit: float
    end_user_hq: str | None = None
    assume_us_launch: object = None
    robust: bool = True
    at_least: tuple[str, ...] = ()  # competitor SKUs whose value a design must reach

    def search(self, data, base: str, **overrides):
        from explorer.search import run as search

        kw = dict(
            target=self.target,
            as_of=self.on,
            objective=self.value_model,
            allow=self.allowed,
            margin_pct=self.margin,
            time_limit=self.time_limit,
            markets=self.markets,
            data=data,
            workload=self.workload,
            goal=self.goal,
            price_usd=self.price,
            end_user_hq=self.end_user_hq,
            assume_us_launch=self.assume_us_launch,
            robust=self.robust,
            at_least=self.at_least,
        )
        kw.update(overrides)
        return search.search(base, **kw)


def _options(
    ctx,
    target,
    bases,
    as_of,
    objective,
    value_model,
    workload,
    allow,
    margin_pct,
    market,
    price_usd,
    time_limit,
    end_user_hq=None,
    assume_us_launch=None,
    figures="robust",
) -> tuple[object, Options]:
    """Parse and check every input before the first search starts, so bad input stays one line."""
    from fractions import Fraction

    from explorer import api
    from explorer.load.loader import load_objective, objective_names
    from explorer.model.destinations import resolve_target
    from explorer.model.economics import GOALS
    from explorer.model.outcomes import Outcome
    from explorer.search import run as search

    data = _data(ctx)
    on = api.parse_date(as_of)
    if objective not in GOALS:  # a value model by name means: maximise performance on it
        if objective not in objective_names(data.root):
            raise InputError("--objective", "", objective, GOAL_HELP)
        objective, value_model = "perf", objective
    resolve_target(data.destinations, target, on)
    load_objective(value_model, data.root, workload=workload)
    bases = list(bases) or data.catalog.design_bases()
    for base in bases:
        search.resolve_base(data, base)
    if market == "any" and objective in ("gross-margin", "net-revenue") and price_usd is None:
        raise InputError("--market", "", "any", "one market when pricing along a market curve (or a --price)")
    allowed = max((Outcome(a) for a in allow), key=lambda o: o.rank, default=Outcome.NOT_CONTROLLED)
    markets = {"datacenter": [True], "consumer": [False], "any": [False, True]}.get(market)
    price = Fraction(price_usd).limit_denominator(100) if price_usd is not None else None
    api.end_user_scopes(data, end_user_hq, on)
    launch = api.parse_date(assume_us_launch, "--assume-us-launch") if assume_us_launch else None
    return data, Options(
        target,
        bases,
        on,
        objective,
        value_model,
        workload,
        allowed,
        Fraction(margin_pct).limit_denominator(10**6),
        markets,
        price,
        time_limit,
        end_user_hq,
        launch,
        figures == "robust",
    )


@click.group(
    cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="chip-explorer", prog_name="explore")
@click.option("--target", "-t", default=None, help="Destination to search for (e.g. china).")
@search_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown", "csv"]),
    default="table",
    show_default=True,
)
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
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary on stderr.")
@click.pass_context
def main(ctx: click.Context, target, fmt, out, data, template, quiet, at_least, **search_params) -> None:
    """Explore AI chip designs against US export-control rules (ECCN 3A090 and successors).

    `explore --target china` searches every base die for the most valuable
    design that complies on that date, proves it optimal and explains it.
    """
    ctx.ensure_object(dict)
    ctx.obj.setdefault("data", data)
    ctx.obj["quiet"] = quiet
    if ctx.invoked_subcommand is not None:
        _refuse_group_options(ctx)
        return
    if target is None:
        click.echo(ctx.get_help())
        return
    if template and not out and fmt != "table":
        raise InputError(
            "--format", "", fmt, "no --format with --template (its output is the payload), or --out"
        )
    data, opts = _options(ctx, target, **search_params)
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


def _search(ctx, data, opts: Options, fmt: str, out: str | None, template: str | None = None) -> None:
    import time

    from explorer import api
    from explorer.report import render
    from explorer.report import results as report

    results, docs = [], []
    start = time.perf_counter()
    for i, base in enumerate(opts.bases, 1):
        _say(ctx, f"[{i}/{len(opts.bases)}] searching {base} ...")
        r = opts.search(data, base)
        d = report.result_dict(r, data)
        results.append(d)
        if out or template or fmt == "markdown":
            docs.append((r.die.id, r))
    where, on, rules = api.rules_for(opts.target, opts.on, data)
    payload = {
        "target": where.code,
        "as_of": on.isoformat(),
        "objective": opts.goal,
        "value_model": opts.value_model,
        "allowed": opts.allowed.value,
        "margin_pct": float(opts.margin),
        "results": results,
        "rules": [render.rule_dict(r) for r in rules],
        "scenarios": [render.scenario_dict(sc) for sc in data.scenarios],
        "note": api.screen_note(data.scenarios),
    }
    only = None if out else (".md" if fmt == "markdown" and not template else "custom")
    chips: dict = {}  # the catalog's verdicts, judged once for every document's map
    rendered = {name: _documents(data, opts, r, template, only, chips) for name, r in docs}
    if out:
        for path in _write_documents(out, rendered, template):
            _say(ctx, f"wrote {path}")
    elif template:  # the user's own format is the payload
        click.echo("\n".join(files["custom"] for files in rendered.values()), nl=False)
        fmt = "none"
    if fmt == "json":
        _print_json(payload)
    elif fmt == "csv":
        _print_csv(
            [
                {
                    "base": r["base"],
                    "status": r["status"],
                    "value": r["value"],
                    "outcome": r["outcome"],
                    "design": r["design"]["summary"] if r["design"] else None,
                    "tpp": r["metrics"]["tpp"] if r["metrics"] else None,
                    "memory_bandwidth_gbps": r["metrics"]["memory_bandwidth_gbps"] if r["metrics"] else None,
                    "binding": [b["paragraph"] for b in r["binding"]],
                    "cost_usd": r.get("cost_usd"),
                }
                for r in results
            ]
        )
    elif fmt == "markdown":
        click.echo("\n".join(files[".md"] for files in rendered.values()))
    elif fmt != "none":
        click.echo(
            _wrapped(
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
        click.echo(_wrapped(api.screen_note(data.scenarios)))
    proved = sum(r["status"] == "OPTIMAL" for r in results)
    _say(
        ctx,
        f"{_count(len(results), 'base')} searched in {time.perf_counter() - start:.2f} s; "
        f"{proved} proved optimal",
    )
    infeasible = [r for r in results if r["status"] == "INFEASIBLE"]
    for r in infeasible:
        floor = r.get("floor")
        what = (
            f"no complying design serves the --at-least floor of {floor['tokens_per_s_per_chip']:,} "
            f"tokens/s per chip ({', '.join(floor['at_least'])}); the rules that hold it below"
            if floor
            else "no design complies; conflicting rules"
        )
        click.echo(f"explore: {r['base']}: {what}: {', '.join(r['conflicting_rules'])}", err=True)
    if infeasible:
        ctx.exit(Exit.FINDINGS)


@main.command()
@click.option("--target", "-t", default="china", show_default=True, help="Destination.")
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown", "csv"]),
    default="table",
    show_default=True,
)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Also write spec documents here.")
@click.option("--end-user-hq", default=None, help="Where the buyer is headquartered (applies 744.23(a)(3)).")
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
    from explorer.report import results as report
    from explorer.search import robustness as rb
    from explorer.search import run as search

    data = _data(ctx)
    on = api.parse_date(as_of)
    api.end_user_scopes(data, end_user_hq, on)
    launch = api.parse_date(assume_us_launch, "--assume-us-launch") if assume_us_launch else None
    world_data = rb.worlds_of(data, list(worlds), not no_baseline)
    names = [w for w, _ in world_data]
    rb.parse_weights(weights, names)
    bases = list(bases) or data.catalog.design_bases()
    for base in bases:
        search.resolve_base(data, base)
    records, results = [], []
    for i, base in enumerate(bases, 1):
        _say(ctx, f"[{i}/{len(bases)}] robust search on {base} across {len(names)} worlds ...")
        r = rb.robust(
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
            assume_us_launch=launch,
            robust=figures == "robust",
        )
        results.append(r)
        records.append(report.robust_dict(r))
    if out:
        _write_robust_documents(data, out, results, allow)
    if fmt == "csv":
        _print_csv(
            [{"base": r["base"], "robust_value": r["value"], **w} for r in records for w in r["worlds"]]
        )
    elif fmt == "json":
        _print_json(
            {
                "target": target,
                "as_of": on.isoformat(),
                "objective": mode,
                "worlds": names,
                "results": records,
                "scenarios": [render_scenario(d.scenarios[-1]) for n, d in world_data if n != rb.BASELINE],
                "note": api.SCREEN_NOTE + " Scenarios are what-ifs, never law.",
            }
        )
    else:
        click.echo(report.robust_text(records, markdown=fmt == "markdown"))
    if any(r["design"] is None for r in records):
        ctx.exit(Exit.FINDINGS)


def render_scenario(sc) -> dict:
    from explorer.report.render import scenario_dict

    return scenario_dict(sc)


def _write_robust_documents(data, out: str, results, allow: str) -> None:
    """Per base: the robust design judged in the first world, with a robustness section."""
    from explorer.report import document
    from explorer.report import results as report

    rendered = {}
    for r in results:
        if r.design is None or r.problem is None:
            continue
        first = r.first_world_result()
        doc = document.build(first, first.problem.data, {"allowed": allow, "objective": "perf"})
        doc["robustness"] = report.robust_dict(r)
        rendered[r.base] = {
            ".json": json.dumps(doc, indent=2) + "\n",
            ".md": document.render(doc, "markdown"),
            ".html": document.render(doc, "html"),
        }
    _write_documents(out, rendered)


def _keep_data(ctx: click.Context, param, value):
    if value:
        ctx.ensure_object(dict)
        ctx.obj["data"] = value
    return value


@main.command()
@click.option("--target", "-t", default="china", show_default=True, help="Destination.")
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
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.option(
    "--data",
    type=click.Path(file_okay=False),
    expose_value=False,
    callback=_keep_data,
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
    from explorer.search import run as search
    from explorer.search import verify as v

    data = _data(ctx)
    if replay:
        raw = _read_json(replay)
        if isinstance(raw, dict) and "bases" in raw:  # a whole report: its counterexamples
            cases = [f["case"] for b in raw["bases"] for f in b.get("counterexamples", [])]
        else:  # one case, or a list of them
            cases = raw if isinstance(raw, list) else [raw]
        try:
            findings = v.replay(cases, data.root)
        except (KeyError, TypeError, ValueError) as e:
            raise InputError("--replay", "", replay, f"verify cases as written by --out ({e!r})") from None
        report = {
            "clean": not findings,
            "replayed": len(cases),
            "counterexamples": [dataclasses_asdict(f) for f in findings],
        }
    else:
        api.resolve_target(data.destinations, target, api.parse_date(as_of))
        for b in bases:
            search.resolve_base(data, b)
        todo = list(bases) or data.catalog.design_bases()
        start = time.perf_counter()
        hidden = bool(ctx.find_root().obj.get("quiet")) or not sys.stderr.isatty()
        with click.progressbar(
            length=len(todo), label=f"verifying {len(todo)} bases", file=sys.stderr, hidden=hidden
        ) as bar:
            reports = v.verify(
                data.root,
                todo,
                target,
                as_of,
                samples,
                designs,
                seed,
                workers,
                scheduler,
                bar.update,
                tuple(ctx.obj.get("scenarios") or ()),
                scheduler_timeout,
            )
        report = v.report_dict(reports)
        _say(ctx, f"verified {len(todo)} bases in {time.perf_counter() - start:.1f} s")
    if out:

        def write(tmp: str) -> None:
            with open(tmp, "w") as f:
                f.write(json.dumps(report, indent=2) + "\n")

        _write_file(out, write)
    if fmt == "json":
        _print_json(report)
    elif fmt == "csv" and "bases" in report:
        _print_csv(
            [
                {k: v for k, v in b.items() if k != "counterexamples"}
                | {"disagreements": len(b["counterexamples"])}
                for b in report["bases"]
            ]
        )
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
                click.echo(_wrapped(f"{b['base']}: {f['check']}: {f['detail']}"))
        click.echo(
            "clean: every check agreed"
            if report["clean"]
            else "DISAGREEMENT: see the counterexamples (--out FILE, then --replay FILE)"
        )
    else:
        for f in report["counterexamples"]:
            click.echo(_wrapped(f"{f['check']}: {f['detail']}"))
        click.echo("clean on replay" if report["clean"] else "the disagreement reproduces")
    if not report["clean"]:
        ctx.exit(Exit.INTERNAL)


def _read_json(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError("--replay", "", path, f"a verify report in JSON ({e})") from None


def dataclasses_asdict(x):
    import dataclasses

    return dataclasses.asdict(x)


PATHS = ["not-controlled", "notification", "license-case-by-case"]
SWEEP_LIMIT = 2000  # a larger sweep needs --yes


@main.command()
@click.option("--target", "-t", default="china", show_default=True, help="Destination.")
@search_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown", "csv"]),
    default="table",
    show_default=True,
)
@click.pass_context
def compare(ctx: click.Context, target, fmt, **search_params) -> None:
    """Side by side: the best design on each compliance path, with cost, price, fee and margin."""
    from explorer import api
    from explorer.model.outcomes import Outcome
    from explorer.report import results as report

    data, opts = _options(ctx, target, **search_params)
    rows = []
    for base in opts.bases:
        for path in PATHS:
            r = opts.search(data, base, allow=Outcome(path), exact=True, explain=False)
            rows.append(report.path_dict(r, path))
    if fmt == "csv":
        _print_csv([{**r, **(r.get("economics") or {})} for r in rows])
    elif fmt == "json":
        _print_json(
            {
                "target": opts.target,
                "as_of": opts.on.isoformat(),
                "objective": opts.goal,
                "paths": rows,
                "scenarios": [render_scenario(sc) for sc in data.scenarios],
                "note": api.screen_note(data.scenarios),
            }
        )
    else:
        text = report.compare_text(rows, markdown=fmt == "markdown", note=api.screen_note(data.scenarios))
        click.echo(text if fmt == "markdown" else _wrapped(text))


@main.command()
@click.option("--target", "-t", default="china", show_default=True, help="Destination.")
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
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Also draw it (PNG or SVG).")
@click.pass_context
def frontier(
    ctx: click.Context, target, x_axis, y_axis, points, max_margin, fmt, plot, **search_params
) -> None:
    """An exact Pareto frontier: each point proved optimal for its bound (epsilon constraint)."""
    from fractions import Fraction

    from explorer.report import results as report
    from explorer.search import frontiers as fr
    from explorer.search import run as search

    data, opts = _options(ctx, target, **search_params)
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
        return search.problem(
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
        )

    if x_axis == "cost":
        pts, complete = fr.cost_frontier(build(opts.margin), opts.time_limit, max_points=points)
    else:
        steps = [Fraction(max_margin) * i / max(points - 1, 1) for i in range(points)]
        pts, complete = fr.margin_frontier(build, steps, opts.time_limit), True
    rows = report.frontier_rows(pts, x_axis, build(opts.margin))
    if plot:
        from explorer.report import plots

        plots.frontier(rows, x_axis, f"{base} for {opts.target} on {opts.on}", plot)
    if fmt == "json":
        _print_json(
            {
                "base": base,
                "x": x_axis,
                "y": y_axis,
                "complete": complete,
                "points": rows,
                "scenarios": [render_scenario(sc) for sc in data.scenarios],
            }
        )
    elif fmt == "csv":
        from explorer.report.render import csv_text

        click.echo(csv_text(rows), nl=False)
    else:
        from explorer.report.render import table

        heads = list(rows[0]) if rows else ["x", "value"]
        click.echo(table([[r[h] for h in heads] for r in rows], heads))
        why = ""
        if len(rows) == 1 and x_axis == "cost":
            why = " (the best design is also the cheapest that complies: nothing to trade)"
        click.echo(
            f"{_count(len(rows), 'point')}{why}, {'complete' if complete else 'truncated at --points'}; "
            "each proved optimal for its bound"
        )


def _documents(
    data, opts: Options, r, template: str | None, only: str | None = None, chips: dict | None = None
) -> dict[str, str]:
    """Every rendering of one result's spec document, by file suffix (`only`: just that one).

    `chips` holds the catalog's map points by (target, date), shared across a run's documents.
    """
    from pathlib import Path

    from explorer.report import document, plots

    p = r.problem
    doc = document.build(r, data, {"allowed": opts.allowed.value, "objective": opts.goal})
    if only == ".md":
        return {".md": document.render(doc, "markdown")}
    if only == "custom":
        return {"custom": document.render_with(doc, Path(template))}
    figure = None
    if r.design is not None:
        from explorer import api

        me = [plots.design_point(f"{r.die.id} design", r.metrics, r.verdict.outcome.value)]
        chips = {} if chips is None else chips
        key = (p.target.code, p.as_of)
        if key not in chips:
            chips[key] = plots.chip_points(api.classify_catalog(p.target.code, p.as_of, data))
        figure = plots.compliance_map(
            data.rules, p.target, p.as_of, chips[key], me, scenarios=data.scenarios, facts=p.facts
        )
    files = {
        ".json": json.dumps(doc, indent=2) + "\n",
        ".md": document.render(doc, "markdown"),
        ".html": document.render(doc, "html", figure),
    }
    if template:
        files["custom"] = document.render_with(doc, Path(template))
    return files


def _write_documents(out: str, rendered: dict[str, dict[str, str]], template: str | None = None) -> list:
    """The whole set is written as one unit: rendered first, written into a temporary folder beside the
    target, then moved into place; on any failure nothing new remains. Returns the paths written."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from explorer.search import interrupts

    folder = Path(out)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    except OSError as e:
        raise InputError("--out", "", out, f"a folder that can be written ({e.strerror})") from None
    interrupts.temporary(staging)
    written = []
    try:
        for name, files in rendered.items():
            for suffix, text in files.items():
                if suffix == "custom":
                    suffix = _template_suffix(template)
                (staging / f"{name}{suffix}").write_text(text)
                written.append(folder / f"{name}{suffix}")
        folder.mkdir(exist_ok=True)
        for path in written:
            os.replace(staging / path.name, path)
    except OSError as e:
        raise InputError("--out", "", out, f"a folder that can be written ({e.strerror})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        interrupts.done(staging)
    return written


def _write_file(path: str, write, option: str = "--out") -> None:
    """Write through a temporary file beside `path`, then move it; one line and exit 2 if it cannot be."""
    import os

    from explorer.search import interrupts

    tmp = f"{path}.tmp-{os.getpid()}"
    interrupts.temporary(tmp)
    interrupts.temporary(tmp + ".png")
    interrupts.temporary(tmp + ".svg")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise InputError(option, "", path, f"a file that can be written ({e.strerror})") from None
    finally:
        for x in (tmp, tmp + ".png", tmp + ".svg"):
            if os.path.exists(x):
                os.remove(x)
            interrupts.done(x)


def _template_suffix(template: str | None) -> str:
    """`company.txt.j2` writes `NAME.txt`; a template without a second suffix writes `NAME.out`."""
    from pathlib import Path

    suffixes = Path(template or "x.out").suffixes
    return suffixes[-2] if len(suffixes) >= 2 and suffixes[-1] == ".j2" else ".out"


def _overview(
    ctx: click.Context, target: str, as_of: str | None, fmt: str, table_file: str | None = None
) -> None:
    """The catalog (or the chips of a CSV file) classified; a file's bad rows go to stderr and exit 2."""
    from explorer import api

    data = _data(ctx)
    where, on, rules = api.rules_for(target, as_of, data)
    errors = []
    if table_file is None:
        results = api.classify_catalog(target, on, data)
    else:
        results, errors = api.classify_table(table_file, target, on, data)
    _print_overview(data, where, on, rules, results, fmt)
    for e in errors:
        click.echo(f"{table_file}: {e}", err=True)
    if errors:
        click.echo(f"{table_file}: {len(errors)} of {len(errors) + len(results)} rows not screened", err=True)
        ctx.exit(2)


def _print_overview(data, where, on, rules, results, fmt: str) -> None:
    from explorer import api
    from explorer.report import render

    if fmt == "csv":
        _print_csv(
            [
                {
                    "chip": c.chip,
                    "tpp": float(c.metrics.tpp),
                    "performance_density": float(c.metrics.performance_density or 0),
                    "memory_bandwidth_gbps": float(c.metrics.memory_bandwidth_gbps),
                    "datacenter": c.metrics.datacenter,
                    "outcome": "reference-only" if c.reference_only else c.verdict.outcome.value,
                    "worst_outcome": "reference-only"
                    if c.reference_only
                    else (c.worst or c.verdict).outcome.value,
                    "fired": sorted({f.paragraph for f in c.verdict.fired if f.outcome == c.verdict.outcome}),
                    "charges": [f"{float(x.percent):g}% {x.kind}" for x in c.verdict.charges],
                    "uncertain": [u.figure for u in c.uncertain],
                }
                for c in results
            ]
        )
        return
    if fmt == "json":
        _print_json(
            {
                "target": where.code,
                "as_of": on.isoformat(),
                "rules": [render.rule_dict(r) for r in rules],
                "results": [render.classification_dict(c) for c in results],
                "scenarios": [render.scenario_dict(sc) for sc in data.scenarios],
                "note": api.screen_note(data.scenarios),
            }
        )
        return
    click.echo(f"Rules in force for {where.name} ({where.code}) on {on}:")
    click.echo(render.rules_text(rules))
    click.echo("")
    click.echo(f"Catalog classified for {where.name} on {on}:")
    click.echo(render.catalog_verdicts_text(results))
    click.echo("")
    click.echo(_wrapped(api.screen_note(data.scenarios)))


@main.command()
@TARGET
@AS_OF
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
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
def screen(ctx: click.Context, target: str, as_of: str | None, fmt: str, table_file: str | None) -> None:
    """The rules in force for a destination, and the whole catalog (or a CSV of chips) classified."""
    _overview(ctx, target, as_of, fmt, table_file)


@main.command()
@click.option("--target", "-t", default="china", show_default=True, help="Destination.")
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
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
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
    from explorer.search import run as search_mod

    data = _data(ctx)
    on = api.parse_date(as_of)
    resolve_target(data.destinations, target, on)
    bases = list(bases) or data.catalog.design_bases()
    for base in bases:
        search_mod.resolve_base(data, base)
    if out and not out.endswith((".csv", ".parquet")):
        raise InputError("--out", "", out, "a file ending in .csv or .parquet")
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
        from explorer.load.loader import scenario_names

        params = ["", *(values.split(",") if values else scenario_names(data.root))]
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

    quiet = ctx.find_root().obj.get("quiet")
    start = time.perf_counter()
    hidden = bool(quiet) or not sys.stderr.isatty()
    with click.progressbar(
        length=len(jobs), label=f"{len(jobs)} searches", file=sys.stderr, hidden=hidden
    ) as bar:
        df = sw.execute(
            jobs, workers=workers, scheduler=scheduler, progress=bar.update, timeout=scheduler_timeout
        )
    where = f"Dask at {scheduler}" if scheduler else "local processes"
    _say(ctx, f"{len(jobs)} searches in {time.perf_counter() - start:.1f} s on {where}")
    if out:

        def write(tmp: str) -> None:
            if not out.endswith(".parquet"):
                df.to_csv(tmp, index=False)
                return
            try:
                df.to_parquet(tmp, index=False, engine="pyarrow")
            except ImportError:
                raise InputError(
                    "--out",
                    "",
                    out,
                    "pyarrow for Parquet: pip install 'chip-explorer[distributed]' (or .csv)",
                ) from None

        _write_file(out, write)
    if plot:
        from explorer.report import plots

        plots.sweep(df, "date" if vary == "date" else vary, plot)
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", indent=2))
    else:
        from explorer.report.render import table

        cols = ["base", "parameter", "outcome", "value", "binding"]
        click.echo(table(df[cols].fillna("-").values.tolist(), cols))


@main.command()
@click.argument("kind", type=click.Choice(["map", "timeline"]))
@click.option("--target", "-t", default="china", show_default=True, help="Destination.")
@click.option("--as-of", default=None, help="Rules in force on this date (map; default: today).")
@click.option("--base", "bases", multiple=True, help="Search these bases and mark their designs on the map.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The picture: .png or .svg.")
@SCENARIO
@click.pass_context
def plot(ctx: click.Context, kind, target, as_of, bases, out) -> None:
    """Draw the compliance map (TPP against density, regions by outcome) or the rules' timeline."""
    import os

    from explorer import api
    from explorer.model.destinations import resolve_target
    from explorer.report import plots
    from explorer.search import run as search

    if not out.endswith((".png", ".svg")):
        raise InputError("--out", "", out, "a file ending in .png or .svg")
    data = _data(ctx)
    on = api.parse_date(as_of)
    suffix = ".png" if out.endswith(".png") else ".svg"
    if kind == "timeline":

        def draw(tmp: str) -> None:
            plots.timeline(data.rules, list(data.catalog.skus.values()), tmp, on)

    else:
        where = resolve_target(data.destinations, target, on)
        marks = []
        for base in bases:
            r = search.search(base, target, on, data=data, explain=False)
            if r.metrics is not None:
                marks.append(plots.design_point(f"{r.die.id} design", r.metrics, r.verdict.outcome.value))
        chips = plots.chip_points(api.classify_catalog(target, on, data))

        def draw(tmp: str) -> None:
            plots.compliance_map(data.rules, where, on, chips, marks, tmp, scenarios=data.scenarios)

    # matplotlib picks the format from the suffix, so the temporary file keeps it
    _write_file(out, lambda tmp: (draw(tmp + suffix), os.replace(tmp + suffix, tmp)))
    _say(ctx, f"wrote {out}")


@main.command()
@click.option("--write", is_flag=True, help="Write the fit to specs/calibration/efficiency.toml.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.pass_context
def calibrate(ctx: click.Context, write: bool, fmt: str) -> None:
    """Fit the value model's efficiencies to measured serving throughput; validate on data left out.

    Each point is predicted three ways: with the fit, fitted without its chip,
    and fitted without its source. Later MLPerf rounds are validation only.
    """
    from explorer import calibrate as cal
    from explorer.load.loader import is_packaged, load_measured, load_workloads
    from explorer.report import render

    data = _data(ctx)
    if write and is_packaged(data.root):
        raise InputError(
            "--write",
            "",
            str(data.root),
            "a writable data folder given with --data (the installed package's own data is never written)",
        )
    measured = load_measured(data.root)
    _say(
        ctx, f"fitting {len(measured.point)} measured points (each chip and each source left out in turn)..."
    )
    result = cal.calibrate(measured, data.catalog, load_workloads(data.root))
    val = cal.validate(result, measured.setup.held_out_shapes)
    rows = [cal.row_dict(r) for r in result.rows]
    if fmt == "csv":
        _print_csv(rows)
    elif fmt == "json":
        _print_json(
            {
                "efficiencies": {k: cal.efficiency_dict(e) for k, e in result.efficiencies.items()},
                "validation": dataclasses.asdict(val),
                "points": rows,
            }
        )
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
            click.echo(f"{k}: " + ", ".join(f"{f} {x:g}" for f, x in cal.efficiency_dict(e).items()))
        click.echo(cal.validation_text(val))
    if write:
        import os

        path = data.root / "specs" / "calibration" / "efficiency.toml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(cal.efficiency_toml(result, val))
        os.replace(tmp, path)
        click.echo(f"wrote {path}", err=True)


@main.command("value")
@click.argument("chip", required=False)
@click.option(
    "--design", "design_file", default=None, help="A design as JSON: a result of explore --format json."
)
@click.option(
    "--value-model", default="llm-serving", show_default=True, help="Value model in specs/objectives/."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def value_cmd(
    ctx: click.Context, chip: str | None, design_file: str | None, value_model: str, fmt: str
) -> None:
    """The value model for one SKU or design: batch, step time by part, tokens/s, worth of each resource."""
    from explorer import valuation
    from explorer.load.loader import objective_names
    from explorer.report import render

    if (chip is None) == (design_file is None):
        raise InputError("CHIP", "", chip or design_file, "either a catalog chip or --design FILE, not both")
    if value_model not in objective_names(_data(ctx).root):
        raise InputError(
            "--value-model", "", value_model, f"one of: {', '.join(objective_names(_data(ctx).root))}"
        )
    data = _data(ctx)
    rec = (
        valuation.of_sku(chip, data, value_model)
        if chip
        else valuation.of_design(design_file, data, value_model)
    )
    if fmt == "json":
        _print_json(rec)
    else:
        click.echo(render.value_text(rec))


@main.command()
@click.argument("chip")
@TARGET
@AS_OF
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.option("--end-user-hq", default=None, help="Where the buyer is headquartered (applies 744.23(a)(3)).")
@click.option("--assume-us-launch", default=None, help="What-if: on sale in the US from this date.")
@SCENARIO
@click.pass_context
def classify(
    ctx: click.Context, chip: str, target: str, as_of: str | None, fmt: str, end_user_hq, assume_us_launch
) -> None:
    """Classify one catalog chip, such as h20 or "RTX 4090D", for a destination and date.

    Estimated figures are judged across their ranges; an outcome that changes
    within one is reported as uncertain, with the value where it flips.
    """
    from explorer import api
    from explorer.report import render

    result = api.classify(chip, target, as_of, _data(ctx), end_user_hq, assume_us_launch)
    if fmt == "csv":  # one row per line in force: the margins
        _print_csv([{"chip": result.chip, **m} for m in render.classification_dict(result)["margins"]])
    elif fmt == "json":
        _print_json(render.classification_dict(result))
    else:
        click.echo(_wrapped(render.classification_text(result)))


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
    from explorer.report import render

    cat = _data(ctx).catalog
    rows = [render.sku_row(cat, sku_id, exact=fmt == "csv") for sku_id in cat.skus]
    if fmt == "json":
        _print_json(rows)
    elif fmt == "csv":
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
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@SCENARIO
@click.pass_context
def rules(ctx: click.Context, target: str, as_of: str | None, fmt: str) -> None:
    """The rule sets in force for a destination on a date, with citations and status."""
    from explorer import api
    from explorer.report import render

    data = _data(ctx)
    where, on, active = api.rules_for(target, as_of, data)
    if fmt == "csv":
        _print_csv([render.rule_dict(r) for r in active])
        return
    if fmt == "json":
        _print_json(
            {
                "target": where.code,
                "as_of": on.isoformat(),
                "rules": [render.rule_dict(r) for r in active],
                "scenarios": [render.scenario_dict(sc) for sc in data.scenarios],
            }
        )
        return
    click.echo(f"Rules in force for {where.name} ({where.code}) on {on}:")
    click.echo(render.rules_text(active))
    for r in active:
        changed = f"; changed by scenario {r.scenario}" if r.scenario else ""
        click.echo(
            _wrapped(f"\n{r.id}: {r.title}\n  status: {r.status.value}{changed}; source: {r.source_url}")
        )
    click.echo(_wrapped(f"\n{api.screen_note(data.scenarios)}"))


def _refuse_group_options(ctx: click.Context) -> None:
    """An option of the main search given before a subcommand would be silently ignored: refuse it."""
    from click.core import ParameterSource

    passes = {"data", "quiet"}
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
                callback=_keep_data,
                help="Folder holding constraints/ and specs/ (default: the built-in data).",
            )
        )


_add_data_option()
for _param in frontier.params:  # a frontier plots value against cost or guard band: no objective, no price
    if _param.name in ("objective", "price_usd"):
        _param.hidden = True


if __name__ == "__main__":
    sys.exit(main())
