"""Real chips on real dates, judged against the encoded rules; expectations are data."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from explorer import api

CASES = tomllib.loads((Path(__file__).parents[1] / "data" / "known_answers.toml").read_text())["case"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['chip']}-{c['target']}-{c['date']}")
def test_known_answer(case: dict, data: api.Data) -> None:
    assert case["source"], "every known answer carries its source"
    data = api.with_scenarios(data, case.get("scenarios", []))
    result = api.classify(
        case["chip"],
        case["target"],
        case["date"],
        data,
        case.get("end_user_hq"),
        end_user=case.get("end_user"),
    )
    verdict = result.verdict
    assert verdict.outcome.value == case["expected"], case["source"]
    setting = {f.paragraph for f in verdict.fired if f.outcome == verdict.outcome}
    assert set(case.get("paragraphs", [])) <= setting
    assert sorted(c.kind for c in verdict.charges) == sorted(case.get("charges", []))
    assert result.worst.outcome.value == case.get("worst", case["expected"]), case["source"]
    assert [u.figure for u in result.uncertain] == ([case["uncertain"]] if "uncertain" in case else [])


def test_the_a100_equivalent_line_is_the_catalogs_a100(data: api.Data) -> None:
    """The August 2022 notice's 'roughly equivalent to the A100' reads the A100's own figures: the line
    must move with the catalog's A100, or the A100 itself would escape its own notice."""
    rule = next(r for r in data.rules if r.id == "usg-2022-08-nvidia-amd-notices")
    control = next(c for c in rule.controls if c.paragraph == "A100-equivalent (reading)")
    a100 = api.classify("a100-sxm", "china", "2022-09-01", data).metrics
    lines = {x.metric: x.value for x in control.clauses}
    assert lines == {"tpp": a100.tpp, "link_bidirectional_gbps": a100.link_bidirectional_gbps}
