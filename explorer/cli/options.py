"""Click options shared by several commands, and the checks that turn them into search options."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import click

from explorer.model.economics import Goal
from explorer.model.errors import InputError
from explorer.model.outcomes import Outcome

if TYPE_CHECKING:
    from explorer.api import SearchResult
    from explorer.model.data import Data


class Format(StrEnum):
    """What a command prints: one name per output format, shared by every command."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


def format_option(*kinds: Format):
    """--format, offering `kinds` (a table by default), given to the command as a Format. A subcommand
    also takes the format given before it (`explore --format json classify ...`), if it offers it."""
    offered = [k.value for k in (Format.TABLE, *kinds)]

    def chosen(ctx: click.Context, _param, value: str | None) -> Format:
        before = (ctx.find_root().obj or {}).get("format") if ctx.parent is not None else None
        if value is not None and before is not None and value != before:
            raise click.BadParameter(f"{value!r} here, but --format {before} before {ctx.info_name}")
        value = value or before or Format.TABLE.value
        if value not in offered:
            raise click.BadParameter(f"{value!r}: explore {ctx.info_name} offers {', '.join(offered)}")
        return Format(value)

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(offered),
        default=None,
        help=f"Output format: {', '.join(offered)} (default: table).",
        callback=chosen,
    )


def keep_quiet(ctx: click.Context, _param, value: bool) -> bool:
    """-q given before or after the subcommand: either silences the summary and progress on stderr."""
    if value:
        ctx.ensure_object(dict)
        ctx.obj["quiet"] = True
    return value


def keep_width(ctx: click.Context, _param, value: int | None) -> int | None:
    """--width N before or after the subcommand: fit tables and prose to N columns (0: never fit)."""
    if value is not None:
        from explorer.report import layout

        if 0 < value < layout.MIN_WIDTH:
            raise click.BadParameter(f"{value}: 0 (never fit) or at least {layout.MIN_WIDTH} columns")
        layout.use(value or None)
    return value


def global_options() -> list[click.Option]:
    """-q and --width, which every subcommand takes as well as the group (either place works)."""
    return [
        click.Option(
            ["--quiet", "-q"],
            is_flag=True,
            expose_value=False,
            callback=keep_quiet,
            help="No progress or summary on stderr.",
        ),
        click.Option(
            ["--width"],
            type=click.IntRange(min=0),
            expose_value=False,
            callback=keep_width,
            help="Fit tables and text to this many columns (default: the terminal's; off a terminal "
            "tables are never cut; 0: never fit).",
        ),
    ]


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


def keep_scenarios(ctx: click.Context, param, value):
    if value:
        ctx.ensure_object(dict)
        ctx.obj.setdefault("scenarios", []).extend(value)
    return value


SCENARIO = click.option(
    "--scenario",
    multiple=True,
    expose_value=False,
    callback=keep_scenarios,
    help="Apply a policy scenario (an id in constraints/scenarios/ or a .toml file; repeatable). "
    "A what-if, never law.",
)


def one_target(ctx: click.Context, param, values: tuple[str, ...]) -> str | None:
    """--target given more than once names several destinations; a run judges one, so that is refused
    (the same name twice is not)."""
    from explorer.model.names import name_key

    distinct = list(dict.fromkeys(values))
    if len({name_key(v) for v in distinct}) > 1:
        raise click.BadParameter(
            f"{', '.join(map(repr, distinct))}: one destination per run (run once per destination)"
        )
    return distinct[-1] if distinct else None


def target_option(default: str | None = "china", help: str = "Destination."):
    """--target/-t: one destination (a repeat naming another is refused, never silently the last)."""
    return click.option(
        "--target",
        "-t",
        multiple=True,
        default=(default,) if default else (),
        show_default=default is not None,
        callback=one_target,
        help=help,
    )


TARGET = target_option(help="Destination: country name or ISO code (china, cn, macau, hk, ...).")
AS_OF = click.option(
    "--as-of",
    default=None,
    help="Judge under the rules in force on this date (YYYY-MM-DD; default: today).",
)


OUTCOME_NAMES = [o.value for o in Outcome]  # least to most restrictive, as --help lists them
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
            "--end-user",
            default=None,
            help="A named buyer that rules name (such as G42 or the UAE government, in constraints/"
            "destinations.toml [end_users]); brings its headquarters. Default: none named.",
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
    """The search options, parsed and checked once (explore, compare, frontier)."""

    target: str
    bases: list[str]
    on: dt.date
    goal: Goal
    value_model: str
    workload: str | None
    allowed: Outcome
    margin: Fraction
    markets: list[bool] | None
    price: Fraction | None
    time_limit: float
    end_user_hq: str | None = None
    assume_us_launch: dt.date | None = None
    robust: bool = True
    at_least: tuple[str, ...] = ()  # competitor SKUs whose value a design must reach
    end_user: str | None = None  # a named buyer

    def search(self, data: Data, base: str, **overrides) -> SearchResult:
        from explorer import api

        return api.search(base, **{**self.search_options(data), **overrides})

    def search_all(self, data: Data, progress: Callable[[int], None] | None = None) -> list[SearchResult]:
        """Every base, in order (across processes where there are several bases and cores)."""
        from explorer import api

        options = self.search_options(data)
        del options["data"]
        return api.search_bases(self.bases, progress=progress, data=data, **options)

    def search_options(self, data: Data) -> dict[str, Any]:
        """What `api.search` takes besides the base."""
        return dict(
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
            end_user=self.end_user,
        )


def parse_search_options(
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
    end_user=None,
) -> tuple[Data, Options]:
    """Parse and check every input before the first search starts, so bad input stays one line."""

    from explorer import api
    from explorer.model.destinations import resolve_target
    from explorer.model.economics import GOALS
    from explorer.model.outcomes import Outcome

    data = data_of(ctx)
    on = api.parse_date(as_of)
    if objective not in GOALS:  # a value model by name means: maximise performance on it
        if objective not in api.objective_names(data.root):
            raise InputError("--objective", "", objective, GOAL_HELP)
        objective, value_model = "perf", objective
    resolve_target(data.destinations, target, on)
    api.load_objective(value_model, data.root, workload=workload)
    bases = unique_bases(data, bases)
    if market == "any" and objective in ("gross-margin", "net-revenue") and price_usd is None:
        raise InputError("--market", "", "any", "one market when pricing along a market curve (or a --price)")
    allowed = max((Outcome(a) for a in allow), key=lambda o: o.rank, default=Outcome.NOT_CONTROLLED)
    markets = {"datacenter": [True], "consumer": [False], "any": [False, True]}.get(market)
    price = Fraction(price_usd).limit_denominator(100) if price_usd is not None else None
    api.buyer(data, end_user_hq, end_user, on)
    launch = api.parse_date(assume_us_launch, "--assume-us-launch") if assume_us_launch else None
    return data, Options(
        target,
        bases,
        on,
        Goal(objective),
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
        end_user=end_user,
    )


MAX_BASES = 100  # distinct --base values in one run


def unique_bases(data: Data, bases) -> list[str]:
    """Each --base checked before any search (bad input stays one line), a family name expanded to its
    dies (with a note), a repeat of the same base (the same die in the same market, however spelt) dropped,
    and at most MAX_BASES; none given: every base."""
    from explorer import api

    if not bases:
        return data.catalog.design_bases()
    seen: dict[tuple, str] = {}
    for base in bases:
        family = api.family_bases(data, base)
        if family:  # `--base blackwell`: every die of the family, said out loud
            _note(f"--base {base}: the {base} family, {len(family)} bases: {', '.join(family)}")
        for one in family or [base]:
            die, market = api.resolve_base(data, one)
            seen.setdefault((die.id, market), one)
        if len(seen) > MAX_BASES:
            raise InputError("--base", "", f"{len(set(bases))} bases", f"at most {MAX_BASES} in one run")
    return list(seen.values())


def _note(text: str) -> None:
    """A line on stderr for the user (silent with -q)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or not (ctx.find_root().obj or {}).get("quiet"):
        click.echo(text, err=True)


def keep_data(ctx: click.Context, param, value):
    if value:
        ctx.ensure_object(dict)
        ctx.obj["data"] = value
    return value


def data_of(ctx: click.Context):
    """The data folder's chips and rules, with any --scenario applied (each named in the output)."""
    from explorer import api

    data = api.load(ctx.obj.get("data"))
    return api.with_scenarios(data, ctx.obj.get("scenarios"))
