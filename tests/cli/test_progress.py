"""Progress on stderr for the long commands, also off a terminal (one line per step, no carriage return),
silenced by -q; the search time leaves document writing out; Parquet refused before a sweep (issue 28)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from explorer.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def steps(stderr: str, label: str) -> list[tuple[int, int | None]]:
    """(done, total) of each progress line for `label`."""
    found = re.findall(rf"^\[(\d+)(?:/(\d+))?\] {re.escape(label)}", stderr, re.M)
    return [(int(a), int(b) if b else None) for a, b in found]


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["frontier", "--base", "ad104", "--as-of", "2024-06-01", "--points", "3"], "frontier points solved"),
        (
            ["frontier", "--base", "ad104", "--as-of", "2024-06-01", "--x", "margin", "--points", "3"],
            "guard bands solved",
        ),
        (["compare", "--base", "ad104", "--as-of", "2024-06-01"], "searches"),
        pytest.param(["calibrate"], "fits", marks=pytest.mark.slow),  # two full calibrations: 45 s
    ],
)
def test_a_long_command_shows_its_steps_off_a_terminal_and_q_silences_them(args, label) -> None:
    loud = run(*args)
    assert loud.exit_code == 0, loud.output
    seen = steps(loud.stderr, label)
    assert seen and "\r" not in loud.stderr, loud.stderr
    assert [d for d, _ in seen] == sorted({d for d, _ in seen})  # counts up, one line per step shown
    total = seen[-1][1]
    assert total is None or seen[-1][0] == total  # the last step is always shown
    quiet = run(*args, "-q")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == loud.stdout


def test_documents_show_progress_and_the_search_time_leaves_them_out(tmp_path, monkeypatch) -> None:
    import time

    from explorer.cli import app

    render = app.spec_documents

    def slow(*a, **k):
        time.sleep(1.5)
        return render(*a, **k)

    monkeypatch.setattr(app, "spec_documents", slow)
    result = run("--target", "china", "--base", "ad104", "--as-of", "2024-06-01", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert steps(result.stderr, "documents rendered") == [(1, 1)]
    (seconds,) = re.findall(r"1 base searched in ([\d.]+) s", result.stderr)
    assert float(seconds) < 1.5, result.stderr  # the 1.5 s spent on the document is not search time


def test_a_parquet_sweep_without_pyarrow_is_refused_before_any_search(tmp_path, monkeypatch) -> None:
    import importlib.util

    from explorer import sweeps

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )

    def no_search(*a, **k):
        raise AssertionError("a search ran before the Parquet check")

    monkeypatch.setattr(sweeps, "execute", no_search)
    out = tmp_path / "s.parquet"
    result = run("sweep", "--vary", "date", "--base", "ad104", "--out", str(out))
    assert result.exit_code == 2 and "pyarrow" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_a_sweep_shows_its_searches_as_lines_off_a_terminal() -> None:
    result = run("sweep", "--vary", "date", "--base", "ad104", "--as-of", "2024-06-01", "--workers", "1")
    assert result.exit_code == 0, result.output
    seen = steps(result.stderr, "searches")
    assert seen and seen[-1][0] == seen[-1][1] and "\r" not in result.stderr
