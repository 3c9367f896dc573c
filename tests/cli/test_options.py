"""Global options in either place, one destination per run, family names, and output width (issue 28)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from explorer.cli import main
from explorer.model.errors import InputError
from explorer.report import layout
from explorer.report.render import paint, table


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "json", "classify", "h20", "--as-of", "2024-06-01"],
        ["classify", "h20", "--as-of", "2024-06-01", "--format", "json"],
        ["--format", "json", "classify", "h20", "--as-of", "2024-06-01", "--format", "json"],
    ],
)
def test_format_is_taken_before_or_after_the_subcommand(args) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["chip"] == "h20"


def test_a_format_the_subcommand_lacks_or_contradicts_is_refused_without_a_repr() -> None:
    for args in (
        ["--format", "markdown", "classify", "h20"],
        ["--format", "json", "classify", "h20", "--format", "csv"],
        ["--format", "json", "plot", "map", "--out", "x.png"],
    ):
        result = run(*args)
        assert result.exit_code == 2 and "--format" in result.output, (args, result.output)
        assert "<Format" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_works_before_or_after_the_subcommand(where) -> None:
    args = ["compare", "--base", "ad104", "--as-of", "2024-06-01"]
    args = ["-q", *args] if where == "before" else [*args, "-q"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    loud = run(*args[1:] if where == "before" else args[:-1])
    assert result.stderr == "" and loud.stdout == result.stdout


def test_a_search_option_without_a_target_is_one_line_and_exit_2() -> None:
    result = run("--base", "gh100")
    assert result.exit_code == 2 and "--target" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Usage" not in result.output
    assert run().exit_code == 0  # bare `explore` still shows the help


def test_two_destinations_are_refused_one_repeated_is_not() -> None:
    two = run("--target", "china", "--target", "us", "--base", "gh100")
    assert two.exit_code == 2 and "one destination per run" in two.output
    again = run("classify", "h20", "-t", "china", "-t", "china", "--format", "json")
    assert again.exit_code == 0 and json.loads(again.stdout)["target"] == "CN"


def test_a_family_name_expands_to_each_of_its_dies_and_says_so() -> None:
    from explorer import api

    data = api.load()
    family = api.family_bases(data, "blackwell")
    assert {"gb100", "gb110", "gb202"} <= set(family)
    result = run("--target", "china", "--base", "blackwell", "--as-of", "2024-06-01", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["base"] for r in json.loads(result.stdout)["results"]] == family
    assert "the blackwell family" in result.stderr
    with pytest.raises(InputError, match="is a family"):  # the API never picks one die for a family
        api.resolve_base(data, "blackwell")


def test_an_alias_that_is_a_family_name_is_refused_at_load(data_copy) -> None:
    from explorer import api

    tmp_path = data_copy
    die = tmp_path / "specs" / "dies" / "gb100.toml"
    die.write_text(die.read_text().replace('aliases = ["b200 package"]', 'aliases = ["Blackwell"]'))
    with pytest.raises(InputError, match="not the family of"):
        api.load(tmp_path)


# ---- width ---------------------------------------------------------------------------------------------

ROWS = [["gb110", "license-case-by-case " * 3, "3A090.a.1, 3A090.b.1, 742.6(b)(10) tpp"]]
HEADS = ["base", "why", "binding"]


def test_a_table_off_a_terminal_is_never_cut_or_wrapped() -> None:
    text = table(ROWS, HEADS)  # no width set: as in a pipe or a file
    assert "\u2026" not in text and len(text.splitlines()) == 3
    assert ROWS[0][2] in text


def columns(text: str) -> list[str]:
    """Each column's text, read back from a fitted table: continuation lines joined, spaces dropped."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if set(line) <= {"-", " "} and line)
    spans, x = [], 0
    for dashes in lines[at].split("  "):
        spans.append((x, x + len(dashes)))
        x += len(dashes) + 2
    return ["".join(line[a:b] for line in lines[at + 1 :]).replace(" ", "") for a, b in spans]


@pytest.mark.parametrize("width", [30, 45, 60])
def test_a_fitted_table_wraps_cells_and_loses_nothing(width) -> None:
    text = table(ROWS, HEADS, width=width)
    assert all(len(line) <= width for line in text.splitlines()), text
    assert "\u2026" not in text
    assert columns(text) == [c.replace(" ", "") for c in ROWS[0]]


def test_a_painted_cell_is_never_split() -> None:
    cell = paint("license-presumed-denial")
    text = table([["x", cell]], ["chip", "outcome"], width=20)
    assert cell in text


def test_width_option_and_columns_reach_compare(monkeypatch) -> None:
    args = ["compare", "--base", "gb110", "--as-of", "2026-02-01", "--scenario", "blackwell-allowed"]
    wide = run(*args, "--width", "200")
    assert wide.exit_code == 0, wide.output
    lines = wide.stdout.splitlines()
    assert max(map(len, lines)) > 80  # the table and its notes use the 200 columns
    assert all(len(line) <= 200 for line in lines)
    narrow = run("--width", "76", *args)
    assert all(len(line) <= 76 for line in narrow.stdout.splitlines()), narrow.stdout
    assert "\u2026" not in narrow.stdout
    cols = run(*args, env={"COLUMNS": "200"})  # off a terminal: prose follows COLUMNS, tables are whole
    assert max(map(len, cols.stdout.splitlines())) > 80
    assert run(*args, "--width", "5").exit_code == 2


def test_a_pipe_gets_whole_rows_even_with_a_narrow_columns() -> None:
    """The real process, its stdout a pipe: nothing cut with an ellipsis, whatever COLUMNS says."""
    out = subprocess.run(
        [sys.executable, "-m", "explorer", "screen", "--target", "china", "--as-of", "2025-09-01"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "COLUMNS": "40"},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "\u2026" not in out.stdout
    assert any(len(line) > 40 for line in out.stdout.splitlines())


def test_the_detected_width_is_a_terminals_only() -> None:
    class Pipe:
        def isatty(self) -> bool:
            return False

    class Tty(Pipe):
        def isatty(self) -> bool:
            return True

    assert layout.detect(Pipe()) is None
    assert layout.detect(Tty()) >= layout.MIN_WIDTH
