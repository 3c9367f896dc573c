"""Hostile input, round 2 (issue 25): the files users hand the tool, as a corpus.

By the issue's numbered items: ids that would be paths (1), CSV screening that must never turn bad data into
a permissive verdict (2), rule ids that would break relief references (3), unbounded reads (7) and replay and
design files whose fields are wrong (9). Every case ends in exit 2, one line naming the file or option and
the field, no traceback, and nothing written (`test_hostile_outputs.py` holds the outputs and processes).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from explorer import api
from explorer.cli import main
from explorer.search.verify import sample_case


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_line(result, *culprits: str, code: int = 2) -> str:
    """The run ended with `code`, one error line naming every culprit, and no traceback; that line."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    errors = [x for x in result.output.splitlines() if x.startswith("explore: ")]
    assert len(errors) == 1, result.output
    assert all(c in errors[0] for c in culprits), (culprits, errors[0])
    return errors[0]


def listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def copy(tmp_path, data):
    """The data folder copied to tmp_path/d/e/f to be broken (an id climbing out would land in tmp_path)."""
    root = tmp_path / "d" / "e" / "f"
    for folder in ("constraints", "specs"):
        shutil.copytree(data.root / folder, root / folder)
    return root


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


# ---- 1. ids are never paths ---------------------------------------------------------------------

BAD_IDS = ["../../../X", "/tmp/X", "x/y", "..", ".", "a b", "-x", "x\\y", "x" * 65, "gh100\n"]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_a_die_id_that_is_not_a_plain_name_is_refused_at_load(copy, tmp_path, monkeypatch, bad) -> None:
    """`id = "../../../X"` once wrote three folders up through --out; now the loader refuses it."""
    die = copy / "specs" / "dies" / "gh100.toml"
    replace_in(die, 'id = "gh100"', f"id = {json.dumps(bad)}")
    monkeypatch.chdir(copy)
    before = listing(tmp_path)
    result = run("--data", str(copy), "-q", "--target", "china", "--base", "gh100", "--out", "docs")
    one_line(result, "gh100.toml", "id")
    assert listing(tmp_path) == before  # nothing written, here or above


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        ("specs/skus/h20.toml", 'id = "h20"', 'id = "../h20"'),
        ("specs/workloads/llama-3-70b.toml", 'id = "llama-3-70b"', 'id = "/etc/x"'),
        ("specs/objectives/llm-serving.toml", 'id = "llm-serving"', 'id = "a b"'),
        ("constraints/scenarios/safe-chips-act.toml", 'id = "safe-chips-act"', 'id = "../s"'),
    ],
    ids=["sku", "workload", "value-model", "scenario"],
)
def test_every_kind_of_id_is_held_to_the_pattern(copy, rel, old, new) -> None:
    replace_in(copy / rel, old, new)
    args = ["classify", "h20"] + (["--scenario", "safe-chips-act"] if "scenario" in rel else [])
    one_line(run("--data", str(copy), *args), rel.split("/")[-1], "id")


def test_the_writer_refuses_a_name_that_is_a_path(tmp_path) -> None:
    """Every --out set goes through write_documents: a name with a separator is refused, not joined."""
    from explorer.cli.output import write_documents
    from explorer.model.errors import InputError

    for name in ("../x", "/tmp/x", "a/b", "..", "a\nb"):
        with pytest.raises(InputError):
            write_documents(str(tmp_path / "docs"), {name: {".json": "{}"}})
    assert listing(tmp_path) == set()


# ---- 2. bulk screening never turns bad data into a permissive verdict -------------------------------

GOOD = {
    "id": "my-chip",
    "tpp": "4800",
    "die_area_mm2": "800",
    "memory_bandwidth_gbps": "3000",
    "io_bidirectional_gbps": "900",
    "datacenter": "yes",
}


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


# (a change to the good row, the column the error must name)
BAD_ROWS = [
    ({"die_area_mm2": "0"}, "die_area_mm2"),  # a zero area makes every density line false
    ({"die_area_mm2": "", "performance_density": "0"}, "performance_density"),
    ({"die_area_mm2": "0.0"}, "die_area_mm2"),
    ({"us_available_from": "2024-01-01junk"}, "us_available_from"),
    ({"us_available_from": "2024-13-01"}, "us_available_from"),
    ({"us_available_from": "20240101"}, "us_available_from"),
    ({"tpp": "1e9999999"}, "tpp"),  # refused as written, not expanded
    ({"tpp": "1e-9999999"}, "tpp"),
    ({"tpp": "1/0"}, "tpp"),
    ({"tpp": "nan"}, "tpp"),
    ({"memory_bandwidth_gbps": "inf"}, "memory_bandwidth_gbps"),
    ({"id": "chip\x1b]0;owned\x07"}, "id"),  # a name that would retitle the terminal
    ({"id": "two\nlines"}, "id"),
]


@pytest.mark.parametrize(("change", "column"), BAD_ROWS, ids=[c for _, c in BAD_ROWS])
def test_a_bad_row_is_refused_by_row_and_column_never_screened(tmp_path, change, column) -> None:
    row = {**GOOD, **change}
    header = list(row)
    path = write_rows(
        tmp_path / "chips.csv",
        header,
        [list(GOOD.values()) + [""] * (len(row) - len(GOOD)), list(row.values())],
    )
    start = time.monotonic()
    result = run("screen", "--from", str(path), "--as-of", "2024-06-01", "--format", "json")
    assert time.monotonic() - start < 20
    assert result.exit_code == 2 and "Traceback" not in result.output
    screened = [r["chip"] for r in json.loads(result.stdout)["results"]]
    assert screened == ["my-chip"]  # the bad row has no verdict at all, least of all not-controlled
    errors = result.stderr.strip().splitlines()
    assert errors[0].startswith(f"{path}: row 2: {column}: got "), errors
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr  # shown escaped
    assert errors[-1] == f"{path}: 1 of 2 rows not screened"


def test_epoch_die_size_zero_is_refused(tmp_path) -> None:
    header = ["Hardware name", "FP8 performance (FLOP/s)", "Memory bandwidth (byte/s)",
              "Intranode bandwidth (byte/s)", "Die Size (mm^2)"]  # fmt: skip
    path = write_rows(tmp_path / "ml_hardware.csv", header, [["X1", "1.979e15", "3.35e12", "9e11", "0"]])
    result = run("screen", "--from", str(path), "--format", "json")
    assert result.exit_code == 2 and json.loads(result.stdout)["results"] == []
    assert "row 1: Die Size (mm^2): got '0', expected a number above 0" in result.stderr


@pytest.mark.parametrize(
    "header",
    [
        ["id", "tpp", "die_area_mm2", "memory_bandwidth_gbps", "io_bidirectional_gbps", "datacenter", "tpp"],
        ["id", "id", "tpp", "die_area_mm2", "memory_bandwidth_gbps", "io_bidirectional_gbps", "datacenter"],
        ["id", "tpp", " tpp", "die_area_mm2", "memory_bandwidth_gbps", "io_bidirectional_gbps", "datacenter"],
    ],
    ids=["tpp twice", "id twice", "tpp and ' tpp'"],
)
def test_a_duplicated_header_refuses_the_file(tmp_path, header) -> None:
    """csv.DictReader kept the last of two same-named columns: a TPP of 1 behind a TPP of 5,000."""
    path = write_rows(tmp_path / "dup.csv", header, [["x", "5000", "800", "100", "100", "true", "1"]])
    one_line(run("screen", "--from", str(path)), "dup.csv", "header", "each column once")


def test_a_file_over_the_row_cap_is_refused_not_screened_for_a_minute(tmp_path, monkeypatch) -> None:
    from explorer.load import chip_table

    monkeypatch.setattr(chip_table, "MAX_ROWS", 50)
    path = write_rows(tmp_path / "many.csv", list(GOOD), [list(GOOD.values())] * 51)
    one_line(run("screen", "--from", str(path)), "many.csv", "at most 50 chips")


# ---- 3. rule ids never break relief references ----------------------------------------------------


def test_a_rule_id_with_a_space_is_refused_at_load(copy) -> None:
    rule = copy / "constraints" / "usg-2025-08-h20-licences.toml"
    replace_in(rule, 'id = "usg-2025-08-h20-licences"', 'id = "usg 2025 08"')
    one_line(run("--data", str(copy), "classify", "h20"), "usg-2025-08-h20-licences.toml", "id")


def test_relief_references_are_never_split_on_spaces(data) -> None:
    """The checker carries a relief as (rule id, paragraph): renamed to hold spaces (bypassing the loader,
    which refuses that), the January 2026 path still carries the Section 232 charge tied to it."""
    old, new = "us-bis-2026-01-cn-case-by-case", "us bis 2026 01"

    def renamed(r):
        return dataclasses.replace(
            r,
            id=new if r.id == old else r.id,
            charges=[
                dataclasses.replace(c, after_relief=new if c.after_relief == old else c.after_relief)
                for c in r.charges
            ],
            withdrawals=[
                dataclasses.replace(w, reliefs_of=[new if x == old else x for x in w.reliefs_of])
                for w in r.withdrawals
            ],
        )

    spaced = dataclasses.replace(data, rules=[renamed(r) for r in data.rules])
    want = api.classify("h200-sxm", "china", "2026-02-01", data).verdict
    got = api.classify("h200-sxm", "china", "2026-02-01", spaced).verdict
    assert want.charges and [(c.paragraph, c.percent) for c in got.charges] == [
        (c.paragraph, c.percent) for c in want.charges
    ]
    assert {f.relief for f in got.fired if f.relief} == {(new, f.relief[1]) for f in want.fired if f.relief}


# ---- 7. bounded reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--from", "--replay", "--design"])
def test_a_fifo_is_refused_not_waited_on(tmp_path, option) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    args = {
        "--from": ["screen", "--from", str(fifo)],
        "--replay": ["verify", "--replay", str(fifo)],
        "--design": ["value", "--design", str(fifo)],
    }[option]
    start = time.monotonic()
    one_line(run(*args), option, "not a regular file")
    assert time.monotonic() - start < 20


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (["sweep", "--base", "gh100", "--vary", "3A090.a.1:tpp", "--values", "1e9999999"], "--values"),
        (["sweep", "--base", "gh100", "--vary", "3A090.a.1:tpp", "--values", "1,1e-9999999"], "--values"),
        (["sweep", "--base", "gh100", "--vary", "3A090.a.1:tpp", "--values", "1e400"], "--values"),
        (["sweep", "--base", "gh100", "--vary", "3A090.a.1:tpp", "--values", "0:1e400:1e399"], "--values"),
    ],
    ids=["1e9999999", "1e-9999999", "1e400", "range to 1e400"],
)
def test_huge_numbers_are_refused_as_written(args, culprit) -> None:
    start = time.monotonic()
    one_line(run(*args), culprit)
    assert time.monotonic() - start < 20


@pytest.mark.parametrize(
    "text",
    ["x = 1e9999999\n", "x = 1.5e-9999999\n", "x = " + "9" * 5000 + "\n", "x = " + "[" * 5000 + "]" * 5000],
)
def test_a_data_file_number_or_nesting_past_bounds_is_one_line(copy, text) -> None:
    """Appended to the interfaces table: refused in milliseconds, naming the file."""
    path = copy / "specs" / "interfaces.toml"
    path.write_text(text + path.read_text())
    start = time.monotonic()
    one_line(run("--data", str(copy), "classify", "h20"), "interfaces.toml")
    assert time.monotonic() - start < 20


def test_a_repeated_base_is_searched_once(tmp_path) -> None:
    result = run("-q", "--target", "china", "--as-of", "2024-06-01", "--format", "json",
                 *["--base", "gh100", "--base", "GH100", "--base", "gh-100"] * 67)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [r["base"] for r in json.loads(result.stdout)["results"]] == ["gh100"]


def test_more_distinct_bases_than_the_cap_are_refused(monkeypatch) -> None:
    from explorer.cli import options

    monkeypatch.setattr(options, "MAX_BASES", 2)
    one_line(
        run("--target", "china", "--base", "gh100", "--base", "gb202", "--base", "ga100"),
        "--base",
        "at most 2",
    )


# ---- 9. replay and design files: wrong fields are bad input, never a clean replay ---------------------


@pytest.fixture(scope="module")
def case(data) -> dict:
    return sample_case(data, "gh100", "china", "2024-06-01", random.Random(1)).to_json()


REPLAYS = {
    "report's bases not a list": (lambda c: {"bases": 5}, "bases"),
    "a pick out of range": (lambda c: {**c, "picks": {**c["picks"], "units": [9999]}}, "picks.units[0]"),
    "more picks than a case holds": (
        lambda c: {**c, "picks": {**c["picks"], "units": list(range(9))}},
        "picks.units",
    ),
    "a knob missing": (lambda c: {**c, "picks": {"units": [0]}}, "picks"),
    "a guard band of 1/0": (lambda c: {**c, "margin_pct": "1/0"}, "margin_pct"),
    "a guard band of 1e9999999": (lambda c: {**c, "margin_pct": "1e9999999"}, "margin_pct"),
    "a guard band of 90%": (lambda c: {**c, "margin_pct": "90"}, "margin_pct"),
    "an unknown rule": (
        lambda c: {**c, "lines": [{"rule": "no-such", "control": 0, "clause": 0, "value": "5"}]},
        "lines[0].rule",
    ),  # fmt: skip
    "a control out of range": (
        lambda c: {**c, "lines": [{"rule": "us-bis-2023-10-acs", "control": 99, "clause": 0, "value": "5"}]},
        "lines[0].control",
    ),
    "a line at 0": (
        lambda c: {**c, "lines": [{"rule": "us-bis-2023-10-acs", "control": 0, "clause": 0, "value": "0"}]},
        "lines[0].value",
    ),
    "an unknown base": (lambda c: {**c, "base": "gh999"}, "base"),
    "an unknown target": (lambda c: {**c, "target": "atlantis"}, "target"),
    "a bad date": (lambda c: {**c, "as_of": "2024-02-30"}, "as_of"),
    "an unknown key": (lambda c: {**c, "evil": 1}, "evil"),
    "a number, not a case": (lambda c: [c, 5], "[1]"),
    "a design's knob out of range": (
        lambda c: {
            "base": "gh100",
            "target": "china",
            "as_of": "2024-06-01",
            "knobs": {
                "units": 1,
                "clock_mhz": 1500,
                "rate_idx": 0,
                "memory_idx": 0,
                "link_idx": 0,
                "datacenter": True,
            },
        },  # fmt: skip
        "knobs.units",
    ),
}


@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_a_replay_file_with_a_wrong_field_is_bad_input(tmp_path, case, name) -> None:
    make, field = REPLAYS[name]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(make(case)))
    one_line(run("verify", "--replay", str(path)), "r.json", field)


def test_the_sample_case_itself_replays_clean(tmp_path, case) -> None:
    """The corpus's base case is a good one: every failure above is the field it changes."""
    path = tmp_path / "r.json"
    path.write_text(json.dumps(case))
    result = run("verify", "--replay", str(path))
    assert result.exit_code == 0 and "clean on replay" in result.output, result.output


@pytest.mark.parametrize("text", ["[" * 100000 + "]" * 100000, '{"margin_pct": NaN}', "9" * 5000])
def test_a_replay_file_nested_too_deeply_or_not_json_numbers_is_one_line(tmp_path, text) -> None:
    path = tmp_path / "r.json"
    path.write_text(text)
    one_line(run("verify", "--replay", str(path)), "--replay")


@pytest.fixture(scope="module")
def design() -> dict:
    result = run("-q", "--target", "china", "--base", "gh100", "--as-of", "2024-06-01", "--format", "json")
    return json.loads(result.stdout)["results"][0]["design"]


DESIGNS = {
    "pin rate 0": ({"memory": {"pin_rate_gbps": 0}}, "memory.pin_rate_gbps"),
    "pin rate over the technology's": ({"memory": {"pin_rate_gbps": 99}}, "memory.pin_rate_gbps"),
    "more units than the die": ({"units": 99999}, "units"),
    "a clock off the die's range": ({"clock_mhz": 99999}, "clock_mhz"),
    "more stacks than sites": ({"memory": {"stacks": 99}}, "memory.stacks"),
    "more links than the die": ({"links": {"count": 999}}, "links.count"),
    "a rate limit of 0": ({"tensor_rate_limit": 0}, "tensor_rate_limit"),
    "a capacity of 1e308": ({"memory": {"device_capacity_gb": 1e308}}, "memory.device_capacity_gb"),
    "a market that is not true or false": ({"datacenter": "yes"}, "datacenter"),
}


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_value_design_refuses_a_design_its_die_cannot_hold(tmp_path, design, name) -> None:
    change, field = DESIGNS[name]
    changed = json.loads(json.dumps(design))
    for key, value in change.items():
        if isinstance(value, dict):
            changed[key].update(value)
        else:
            changed[key] = value
    path = tmp_path / "d.json"
    path.write_text(json.dumps(changed))
    one_line(run("value", "--design", str(path)), "d.json", field)


def test_the_design_itself_is_valued(tmp_path, design) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(design))
    assert run("value", "--design", str(path)).exit_code == 0


def test_a_deep_design_file_is_one_line(tmp_path) -> None:
    path = tmp_path / "d.json"
    path.write_text("[" * 50000 + "]" * 50000)
    one_line(run("value", "--design", str(path)), "--design")
