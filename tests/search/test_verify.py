"""`explore verify`: clean on the shipped data and a user's folder, and it finds a planted encoding bug."""

from __future__ import annotations

import dataclasses
import json
import random

from click.testing import CliRunner

from explorer.cli import main
from explorer.model.rules import Op
from explorer.search import verify
from explorer.search.encode import encode


def off_by_one(t, plan, **kw):
    """A copy of the encoding with a flipped boundary: a design exactly on a >= line counts as below it."""
    controls = [
        dataclasses.replace(
            c,
            atoms=[
                dataclasses.replace(a, bound=a.bound + 1)
                if a.op is Op.GE and a.resource not in ("dc", "const")
                else a
                for a in c.atoms
            ],
        )
        for c in plan.controls
    ]
    return encode(t, dataclasses.replace(plan, controls=controls), **kw)


def test_verify_finds_a_planted_off_by_one_within_a_small_budget(data) -> None:
    rng = random.Random(7)
    found = []
    for _ in range(30):
        case = verify.sample_case(data, "gh100", "china", "2026-11-28", rng)
        real = verify.check_case(data, case)
        assert [f for f in real if f.check != "unproved"] == []  # the real encoding agrees on the same case
        found += [f for f in verify.check_case(data, case, off_by_one) if f.check != "unproved"]
        if found:
            break
    assert found and found[0].check in {"optimum", "checker", "feasibility"}
    # the counterexample is reproducible from its JSON alone
    again = verify.check_case(data, verify.Case.from_json(json.loads(json.dumps(found[0].case))), off_by_one)
    assert again and again[0].check == found[0].check


def test_verify_is_clean_on_the_shipped_data_and_says_what_it_checked(tmp_path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--base",
            "gh100",
            "--base",
            "gb202",
            "--samples",
            "8",
            "--designs",
            "40",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["clean"] and [b["base"] for b in report["bases"]] == ["gh100", "gb202"]
    assert all(b["cases"] == 8 and b["designs_judged"] == 40 for b in report["bases"])
    replay = CliRunner().invoke(main, ["verify", "--replay", str(out)])
    assert replay.exit_code == 0 and "clean on replay" in replay.output


def test_verify_runs_on_a_users_own_folder(data_copy) -> None:
    """A team's unpublished die: the built-in GH100 with a smaller area, in its own --data folder."""
    tmp_path = data_copy
    die = tmp_path / "specs" / "dies" / "gh100.toml"
    die.write_text(die.read_text().replace("value = 814,", "value = 700,"))
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--data",
            str(tmp_path),
            "--base",
            "gh100",
            "--samples",
            "5",
            "--designs",
            "20",
            "--workers",
            "1",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["clean"]


def test_a_disagreement_exits_3_and_replays(tmp_path, monkeypatch) -> None:
    import explorer.search.encode

    monkeypatch.setattr(explorer.search.encode, "encode", off_by_one)
    report = tmp_path / "bad.json"
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--base",
            "gh100",
            "--samples",
            "30",
            "--designs",
            "0",
            "--workers",
            "1",
            "--seed",
            "7",
            "--out",
            str(report),
        ],
    )
    assert result.exit_code == 3, result.output
    assert not json.loads(report.read_text())["clean"]
    replay = CliRunner().invoke(main, ["verify", "--replay", str(report)])
    assert replay.exit_code == 3 and "reproduces" in replay.output
