"""Bulk screening from a CSV: the catalog round trip, Epoch AI's layout, bad rows named by row and column."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from explorer import api
from explorer.cli import main
from explorer.load.chip_table import read_chip_table
from explorer.report.render import exact_text

WHEN = [("china", "2023-06-01"), ("china", "2024-06-01"), ("china", "2026-11-29"), ("vietnam", "2025-02-01")]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def catalog_csv(tmp_path_factory) -> Path:
    result = run("catalog", "--format", "csv")
    assert result.exit_code == 0, result.output
    path = tmp_path_factory.mktemp("table") / "catalog.csv"
    path.write_text(result.stdout)
    return path


@pytest.mark.parametrize(("target", "on"), WHEN)
def test_catalog_to_csv_to_screen_gives_the_catalog_verdicts(
    catalog_csv: Path, target: str, on: str, data
) -> None:
    """Every chip, read back from its figures alone, gets the outcome and the fired lines the catalog gets."""
    from_file, errors = api.classify_table(str(catalog_csv), target, on, data)
    assert not errors
    catalog = {c.chip: c for c in api.classify_catalog(target, on, data)}
    assert {c.chip for c in from_file} == set(catalog)
    for c in from_file:
        want = catalog[c.chip].verdict
        assert c.verdict.outcome == want.outcome, c.chip
        assert {(f.rule, f.paragraph) for f in c.verdict.fired} == {(f.rule, f.paragraph) for f in want.fired}


def test_the_cli_round_trip_prints_the_same_outcome_column(catalog_csv: Path) -> None:
    def outcomes(*extra: str) -> dict:
        result = run("screen", "--as-of", "2026-11-29", "--format", "csv", *extra)
        assert result.exit_code == 0, result.output
        return {r["chip"]: r["outcome"] for r in csv.DictReader(io.StringIO(result.stdout))}

    assert outcomes("--from", str(catalog_csv)) == outcomes()


@given(st.fractions(min_value=-(10**6), max_value=10**6))
def test_figures_are_written_so_they_read_back_exactly(x: Fraction) -> None:
    """A chip one part in 10^12 over a line must not be rounded under it on the way through a file."""
    assert Fraction(exact_text(x)) == x


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "chips.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)
    return path


GOOD = {
    "name": "my-chip",
    "tpp": "4800",
    "die_area_mm2": "800",
    "memory_bandwidth_gbps": "3000",
    "io_bidirectional_gbps": "900",
    "datacenter": "yes",
}


def test_bad_rows_are_named_by_row_and_column_and_the_rest_are_screened(tmp_path: Path) -> None:
    rows = [
        GOOD,
        {**GOOD, "name": "no-bandwidth", "memory_bandwidth_gbps": ""},
        {**GOOD, "name": "bad-flag", "datacenter": "maybe"},
        {**GOOD, "name": "bad-number", "tpp": "lots"},
        {**GOOD, "name": "no-compute", "tpp": ""},
        {**GOOD, "name": "just-under", "tpp": "4799.999999999999"},
    ]
    path = _write(tmp_path, rows)
    result = run("screen", "--from", str(path), "--as-of", "2024-06-01", "--format", "json")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    fired = {r["chip"]: {f["paragraph"] for f in r["fired"]} for r in json.loads(result.stdout)["results"]}
    assert set(fired) == {"my-chip", "just-under"}
    # 4800 TPP is on the 3A090.a.1 line, and 1e-12 under it is not
    assert "3A090.a.1" in fired["my-chip"] and "3A090.a.1" not in fired["just-under"]
    errors = result.stderr.strip().splitlines()
    assert errors[:4] == [
        f"{path}: row 2: memory_bandwidth_gbps: got '', expected a number (a rule in force reads it)",
        f"{path}: row 3: datacenter: got 'maybe', expected true or false",
        f"{path}: row 4: tpp: got 'lots', expected a number",
        f"{path}: row 5: tpp: got '', expected tpp or at least one dense throughput figure",
    ]
    assert errors[-1] == f"{path}: 4 of 6 rows not screened"


def test_a_row_named_like_a_catalog_product_is_that_product(tmp_path: Path, data) -> None:
    """The H20 licences name the product: a row called H20 with the H20's figures gets the licence path."""
    h20 = data.catalog.metrics(data.catalog.skus["h20"])
    row = {
        "name": "H20",
        "tpp": exact_text(h20.tpp),
        "die_area_mm2": exact_text(h20.die_area_mm2),
        "memory_bandwidth_gbps": exact_text(h20.memory_bandwidth_gbps),
        "io_bidirectional_gbps": exact_text(h20.io_bidirectional_gbps),
        "datacenter": "true",
    }
    [judged], errors = api.classify_table(str(_write(tmp_path, [row])), "china", "2025-09-01", data)
    assert not errors and judged.facts.product == "h20"
    assert judged.verdict.outcome == api.classify("h20", "china", "2025-09-01", data).verdict.outcome


EPOCH_HEADER = [
    "Hardware name",
    "Manufacturer",
    "Type",
    "Release date",
    "Tensor-FP16/BF16 performance (FLOP/s)",
    "FP8 performance (FLOP/s)",
    "Memory (bytes)",
    "Memory bandwidth (byte/s)",
    "Intranode bandwidth (byte/s)",
    "Die Size (mm^2)",
    "TDP (W)",
]


def test_epoch_ai_layout_is_read_in_its_units(tmp_path: Path) -> None:
    """Epoch's columns are in FLOP/s and bytes: the H100 SXM's figures in that layout give its catalog TPP."""
    path = tmp_path / "ml_hardware.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(EPOCH_HEADER)
        # the catalog's H100 SXM figures, written the way Epoch writes them
        w.writerow(
            [
                "H100 SXM5",
                "NVIDIA",
                "GPU",
                "2022-03-22",
                "9.895e14",
                "1.979e15",
                "8e10",
                "3.35e12",
                "9e11",
                "814",
                "700",
            ]
        )
        w.writerow(["No area", "X", "GPU", "2024-01-01", "1e15", "", "", "1e12", "1e11", "", ""])
    table = read_chip_table(path)
    assert table.layout == "epoch-ai" and table.assumptions
    [h100] = table.chips
    assert h100.metrics.tpp == Fraction(1979) * 8
    assert h100.metrics.memory_bandwidth_gbps == 3350 and h100.metrics.io_bidirectional_gbps == 900
    assert h100.metrics.datacenter  # no market column: judged as a datacenter part, the restrictive side
    [bad] = table.errors
    assert (bad.row, bad.column) == (2, "Die Size (mm^2)")


def test_an_unreadable_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = run("screen", "--from", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "--from" in missing.output and "Traceback" not in missing.output
    header_only = tmp_path / "empty.csv"
    header_only.write_text("foo,bar\n1,2\n")
    bad = run("screen", "--from", str(header_only))
    assert bad.exit_code == 2 and "id or name column" in bad.output
