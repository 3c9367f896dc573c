"""Policy scenarios: operations on rules from data, their validation, and the commands that take them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner

from explorer import api
from explorer.cli import main
from explorer.load.loader import scenario_names


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_every_shipped_scenario_loads_is_cited_and_is_never_law(data) -> None:
    shipped = scenario_names(data.root)
    assert {"safe-chips-act", "ai-overwatch-act", "blackwell-allowed", "april-2025-lines-lifted"} <= set(
        shipped
    )
    assert {"sec232-tighter", "sec232-looser"} <= set(shipped)
    for name in shipped:
        what_if = api.with_scenarios(data, [name])
        (sc,) = what_if.scenarios
        assert sc.status.value in {"proposed-bill", "reported-plan", "hypothetical"} and sc.sources
        changed = [r for r in what_if.rules if r.scenario == name]
        assert all(r.status.value == sc.status.value for r in changed)
        assert changed or {r.id for r in data.rules} - {r.id for r in what_if.rules} == set(sc.remove)


@pytest.mark.parametrize(
    ("chip", "scenario", "expected", "charges"),
    [
        ("h20", "safe-chips-act", "license-presumed-denial", []),  # DRAM + interconnect 5,028 >= 5,000
        ("h200-sxm", "sec232-tighter", "license-case-by-case", [35]),  # the duty above the 25% share
        ("h100-sxm", "sec232-looser", "license-case-by-case", []),  # outside both bands, no share
        ("h200-sxm", "sec232-looser", "license-case-by-case", [10]),
        ("rtx-pro-6000", "blackwell-allowed", "license-case-by-case", [25]),
        ("rtx-5090d", "april-2025-lines-lifted", "not-controlled", []),
    ],
)
def test_a_scenario_changes_exactly_what_it_says(chip, scenario, expected, charges, data) -> None:
    on = dt.date(2026, 11, 28)
    today = api.classify(chip, "china", on, data)
    what_if = api.classify(chip, "china", on, api.with_scenarios(data, [scenario]))
    assert what_if.verdict.outcome.value == expected
    assert [float(c.percent) for c in what_if.verdict.charges] == charges
    assert (
        what_if.verdict.outcome != today.verdict.outcome or what_if.verdict.charges != today.verdict.charges
    )


def test_congressional_review_is_a_condition_of_the_path_not_a_new_outcome(data) -> None:
    on = dt.date(2026, 11, 28)
    today = api.classify("h200-sxm", "china", on, data).verdict
    bill = api.classify("h200-sxm", "china", on, api.with_scenarios(data, ["ai-overwatch-act"])).verdict
    assert bill.outcome == today.outcome
    assert any("joint resolution of disapproval" in c for c in bill.conditions)


def _scenario_file(tmp_path: Path, **ops) -> str:
    raw = {"id": "test-what-if", "title": "t", "status": "hypothetical", **ops}
    raw["sources"] = {"x": {"title": "a test", "status": "reported"}}
    path = tmp_path / "what-if.toml"
    path.write_text(tomli_w.dumps(raw))
    return str(path)


def test_a_dated_scenario_leaves_the_rules_before_its_day_alone(tmp_path, data) -> None:
    where = {"rule": "usg-2025-04-h20-notice", "paragraph": "H20-class (reported lines)"}
    lines = [
        {**where, "metric": "memory_bandwidth_gbps", "value": 2000},
        {**where, "metric": "memory_plus_io_gbps", "value": 2500},
    ]
    f = _scenario_file(tmp_path, effective_from=dt.date(2026, 6, 1), change_line=lines)
    what_if = api.with_scenarios(data, [f])
    assert (
        api.classify("rtx-5090d", "china", "2026-03-01", what_if).verdict.outcome.value
        == "license-presumed-denial"
    )
    assert api.classify("rtx-5090d", "china", "2026-07-01", what_if).verdict.outcome.value == "not-controlled"
    split = [r for r in what_if.rules if r.id == "usg-2025-04-h20-notice"]
    assert [r.scenario for r in split] == [None, "test-what-if"]


@pytest.mark.parametrize(
    ("ops", "field"),
    [
        ({"remove": ["no-such-rule"]}, "remove[0]"),
        (
            {
                "change_line": [
                    {"rule": "us-bis-2023-10-acs", "paragraph": "3A090.z", "metric": "tpp", "value": 1}
                ]
            },
            "change_line[0].paragraph",
        ),
        (
            {
                "change_line": [
                    {"rule": "us-bis-2023-10-acs", "paragraph": "3A090.a.1", "metric": "power_w", "value": 1}
                ]
            },
            "change_line[0].metric",
        ),
        (
            {
                "change_charge": [
                    {"rule": "us-sec232-2026-01-tariff", "paragraph": "9903.79.01 band 1", "percent": 120}
                ]
            },
            "change_charge[0].percent",
        ),
        (
            {"add_condition": [{"rule": "us-bis-2023-10-acs", "paragraph": "3A090.a.1", "text": "x"}]},
            "add_condition[0].paragraph",
        ),
        (
            {
                "remove_item": [
                    {"rule": "usg-2025-12-h200-announcement", "paragraph": "nope", "role": "withdrawal"}
                ]
            },
            "remove_item[0].paragraph",
        ),
    ],
    ids=["remove", "paragraph", "metric", "percent", "condition", "remove-item"],
)
def test_a_scenario_naming_what_does_not_exist_is_one_line_and_exit_2(tmp_path, ops, field) -> None:
    f = _scenario_file(tmp_path, **ops)
    result = run("classify", "h20", "--scenario", f)
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert len(line.splitlines()) == 1 and f in line and field in line, line


def test_a_scenario_cannot_claim_to_be_law(tmp_path) -> None:
    f = _scenario_file(tmp_path)
    raw = tomllib.loads(Path(f).read_text())
    raw["status"] = "official"
    Path(f).write_text(tomli_w.dumps(raw))
    result = run("classify", "h20", "--scenario", f)
    assert result.exit_code == 2 and "never law" in result.output


def test_every_output_names_the_scenario_and_its_status() -> None:
    cls = json.loads(run("classify", "h200", "--scenario", "safe-chips-act", "--format", "json").stdout)
    assert cls["scenarios"][0]["id"] == "safe-chips-act" and "proposed-bill" in cls["note"]
    search = run("--target", "china", "--base", "gh100", "--scenario", "safe-chips-act", "--format", "json")
    payload = json.loads(search.stdout)
    assert payload["scenarios"][0]["status"] == "proposed-bill" and "not law" in payload["note"]
    text = run("--target", "china", "--base", "gh100", "--scenario", "sec232-looser", "-q")
    assert "sec232-looser (hypothetical)" in text.output.replace("\n", " ")
    rules = run("rules", "--target", "china", "--scenario", "safe-chips-act")
    assert "changed by scenario safe-chips-act" in rules.output and "safe-chips-act-s3374" in rules.output


def test_a_sweep_over_scenarios_runs_one_search_per_world() -> None:
    result = run(
        "sweep",
        "--target",
        "china",
        "--base",
        "gh100",
        "--vary",
        "scenario",
        "--values",
        "safe-chips-act,april-2025-lines-lifted",
        "--workers",
        "1",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["parameter"] for r in rows] == ["", "safe-chips-act", "april-2025-lines-lifted"]
    assert rows[2]["value"] > rows[0]["value"]  # lifting the April lines frees bandwidth


def test_robust_command_table_json_and_documents(tmp_path) -> None:
    args = ["robust", "--target", "china", "--base", "gh100", "--scenario", "april-2025-lines-lifted"]
    table = run(*args)
    assert table.exit_code == 0, table.output
    assert "price of robustness" in table.output and "april-2025-lines-lifted" in table.output
    out = json.loads(run(*args, "--format", "json").stdout)
    (r,) = out["results"]
    assert [w["world"] for w in r["worlds"]] == ["today", "april-2025-lines-lifted"]
    assert r["value"] == min(w["value"] for w in r["worlds"])
    docs = run(*args, "--out", str(tmp_path))
    assert docs.exit_code == 0 and "Robustness across policy worlds" in (tmp_path / "gh100.md").read_text()
    shutil.rmtree(tmp_path)


def test_robust_over_worlds_where_nothing_complies_exits_1() -> None:
    result = run("robust", "--target", "iran", "--base", "gh100", "--scenario", "safe-chips-act")
    assert result.exit_code == 1 and "us-ear-746-7-iran" in result.output
