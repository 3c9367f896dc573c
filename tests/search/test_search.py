"""The search on the real data: it matches or beats history, and shows the known derivations."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest

from explorer import api
from explorer.model.names import name_key
from explorer.report import document
from explorer.search import run as s

CASES = tomllib.loads((Path(__file__).parents[1] / "data" / "known_answers.toml").read_text())["case"]
COMPLYING = [c for c in CASES if c["expected"] == "not-controlled"]


def test_gh100_under_the_2023_rule_matches_or_beats_h20(data) -> None:
    result = s.search("gh100", "china", "2024-06-01", data=data)
    assert result.status == "OPTIMAL"
    assert result.verdict.outcome.value == "not-controlled"
    h20 = api.classify("h20", "china", "2024-06-01", data)
    assert h20.verdict.outcome.value == "not-controlled"
    assert result.value >= h20.value
    assert result.metrics.tpp < 2400 or result.metrics.performance_density < Fraction("1.6")
    doc = document.render(
        document.build(result, data, {"allowed": "not-controlled", "objective": "perf"}), "markdown"
    )
    assert "NVIDIA H20 96GB" in doc and "Changes against the base die" in doc


@pytest.mark.parametrize("case", COMPLYING, ids=lambda c: f"{c['chip']}-{c['target']}-{c['date']}")
def test_the_search_dominates_every_complying_shipped_chip(case: dict, data) -> None:
    """Under the case's buyer and scenarios too: the search and the checker read the same facts."""
    data = api.with_scenarios(data, case.get("scenarios", []))
    buyer = {"end_user_hq": case.get("end_user_hq"), "end_user": case.get("end_user")}
    shipped = api.classify(case["chip"], case["target"], case["date"], data, **buyer)
    result = s.search(shipped.sku.id, case["target"], case["date"], data=data, explain=False, **buyer)
    assert result.status == "OPTIMAL"
    assert result.value >= shipped.value, f"{shipped.sku.id} beats the optimum: model or data is wrong"


def test_after_april_2025_a_gb202_consumer_design_stays_under_the_bandwidth_line(data) -> None:
    result = s.search("gb202", "china", "2025-09-01", markets=[False], data=data)
    assert result.verdict.outcome.value == "not-controlled"
    assert result.metrics.memory_bandwidth_gbps < 1400
    assert "H20-class (reported lines)" in {b.paragraph for b in result.binding}
    before = s.search("gb202", "china", "2025-03-01", markets=[False], data=data, explain=False)
    assert before.metrics.memory_bandwidth_gbps > 1400  # the line is what cut it


def test_with_bandwidth_capped_the_search_prefers_gddr7_to_hbm(data) -> None:
    result = s.search("gb202-hbm", "china", "2025-09-01", data=data)
    assert result.design.memory.technology == "gddr7"
    open_market = s.search("gb202-hbm", "germany", "2025-09-01", data=data, explain=False)
    assert open_market.design.memory.technology == "hbm3e"  # where bandwidth is free, HBM wins


def test_an_sku_base_searches_its_own_market(data) -> None:
    die, market = s.resolve_base(data, "RTX 4090D")
    assert die.id == "ad102" and market is False
    assert s.resolve_base(data, "GH100")[0].id == "gh100"


def test_every_default_search_is_proved_optimal(data) -> None:
    for die in data.catalog.design_bases():
        result = s.search(die, "china", dt.date(2026, 11, 28), data=data, explain=False)
        assert result.status == "OPTIMAL", die
        assert name_key(result.base) == name_key(die)


def test_a_workload_by_name_or_file_changes_the_value_model(tmp_path, data) -> None:
    moe = s.search("gh100", "germany", "2024-06-01", data=data, explain=False, workload="deepseek-v3")
    assert moe.status == "OPTIMAL" and moe.value > 0
    custom = tmp_path / "tiny.toml"
    text = (data.root / "specs" / "workloads" / "llama-3-8b.toml").read_text()
    custom.write_text(text.replace('"llama-3-8b"', '"tiny"'))
    result = s.search("gh100", "germany", "2024-06-01", data=data, explain=False, workload=str(custom))
    assert result.value > 0


def test_today_no_new_design_gets_the_case_by_case_path_without_a_us_launch(data) -> None:
    """91 FR 1684 covers items sold in the US at publication; a new design was not (issue 8, finding 1)."""
    from explorer.model.outcomes import Outcome

    today = dt.date(2026, 11, 28)
    for die in data.catalog.design_bases():
        r = s.search(die, "china", today, allow=Outcome.LICENSE_CASE_BY_CASE, data=data, explain=False)
        facts = r.verdict.facts if isinstance(r, s.Found) else r.fact_checks
        if isinstance(r, s.Found):
            assert r.verdict.outcome.rank < Outcome.LICENSE_PRESUMED_APPROVAL.rank, die
        failed = {(f.rule, f.holds) for f in facts}
        assert ("us-bis-2026-01-cn-case-by-case", False) in failed, die
    launched = s.search(
        "gh100",
        "china",
        today,
        allow=Outcome.LICENSE_CASE_BY_CASE,
        data=data,
        explain=False,
        assume_us_launch="2025-06-01",
    )
    assert launched.verdict.outcome is Outcome.LICENSE_CASE_BY_CASE
    # the announced 25% share is taken wherever the design sits against the tariff bands: one payment
    assert [c.percent for c in launched.verdict.charges] == [25]
    assert launched.value == launched.value_before_fees * Fraction(3, 4)
    assert any("third-party testing" in c for c in launched.verdict.conditions)


def test_blackwell_gets_no_case_by_case_path_even_when_launched_in_the_us(data) -> None:
    from explorer.model.outcomes import Outcome

    r = s.search(
        "gb100",
        "china",
        "2026-11-28",
        allow=Outcome.LICENSE_CASE_BY_CASE,
        data=data,
        explain=False,
        assume_us_launch="2025-06-01",
    )
    assert r.verdict.outcome.rank < Outcome.LICENSE_PRESUMED_APPROVAL.rank
    held = {f.rule for f in r.verdict.facts if f.role == "withdrawal" and f.holds}
    assert held == {"usg-2025-12-h200-announcement"}


def test_an_embargoed_target_has_no_complying_design_and_the_embargo_is_named(data) -> None:
    r = s.search("gh100", "iran", "2024-06-01", data=data, explain=False)
    assert r.status == "INFEASIBLE" and r.conflicting_rules == ["us-ear-746-7-iran"]


def test_a_search_without_a_design_is_its_own_type_and_prints_the_same_record_keys(data) -> None:
    """Found and NoDesign replace optional fields: a result without a design has no design to misread."""
    from explorer.report.results import result_dict

    none = s.search("gh100", "iran", "2024-06-01", data=data, explain=False)
    found = s.search("gh100", "germany", "2024-06-01", data=data, explain=False)
    assert isinstance(none, s.NoDesign) and not hasattr(none, "design") and not hasattr(none, "verdict")
    assert isinstance(found, s.Found) and not hasattr(found, "conflicting_rules")
    no_record, record = result_dict(none, data), result_dict(found, data)
    assert set(no_record) <= set(record) and no_record["design"] is None and record["design"] is not None
    assert no_record["conflicting_rules"] == ["us-ear-746-7-iran"] and record["conflicting_rules"] == []


def test_a_buyer_headquartered_in_china_is_judged_wherever_the_chip_ships(data) -> None:
    free = s.search("gh100", "singapore", "2026-11-28", data=data, explain=False)
    assert free.metrics.tpp > 4800  # Singapore (A:6) is outside the destination rules
    bound = s.search("gh100", "singapore", "2026-11-28", data=data, explain=False, end_user_hq="china")
    assert bound.verdict.outcome.value == "not-controlled"
    assert bound.metrics.tpp < 4800 and bound.value < free.value
    assert free.verdict.not_applied and not bound.verdict.not_applied


def test_a_china_headquartered_buyer_in_china_takes_the_january_2026_path(data) -> None:
    """744.23(a)(3) excludes D:1/D:4/D:5 destinations: the destination's rule, and its case-by-case
    path, govern a China-headquartered buyer in China (issue 23, item 1)."""
    from explorer.model.outcomes import Outcome

    options = dict(
        allow=Outcome.LICENSE_CASE_BY_CASE, data=data, explain=False, assume_us_launch="2025-06-01"
    )
    anyone = s.search("gh100", "china", "2026-03-01", **options)
    chinese = s.search("gh100", "china", "2026-03-01", end_user_hq="china", **options)
    assert chinese.verdict.outcome is Outcome.LICENSE_CASE_BY_CASE
    assert (chinese.design, chinese.value) == (anyone.design, anyone.value)
    assert "us-bis-2024-04-hq" not in chinese.verdict.rules_in_force


def test_a_named_uae_buyer_gets_the_whole_die_and_an_unnamed_one_does_not(data) -> None:
    """91 FR 43034: the UAE government, G42 and Core42 need no licence; other buyers keep one (item 5)."""
    g42 = s.search("gh100", "uae", "2026-08-01", data=data, explain=False, end_user="g42")
    unnamed = s.search("gh100", "uae", "2026-08-01", data=data, explain=False)
    assert g42.verdict.outcome.value == "not-controlled" and g42.metrics.tpp > 4800
    assert unnamed.metrics.tpp < 4800 and unnamed.value < g42.value
    assert unnamed.verdict.not_applied and not g42.verdict.not_applied
    after = s.search("gh100", "uae", "2027-05-01", data=data, explain=False, end_user="g42")
    assert (after.design, after.value) == (unnamed.design, unnamed.value)  # G42's status expired


def test_the_safe_chips_act_readings_bound_the_search_differently(data) -> None:
    """Links alone admit more interconnect than links plus PCIe: the links-only optimum is at least as
    good, and each verdict names its reading's lines (item 7)."""
    today = dt.date(2026, 3, 1)
    broad = s.search(
        "gh100", "china", today, data=api.with_scenarios(data, ["safe-chips-act"]), explain=False
    )
    narrow = s.search(
        "gh100", "china", today, data=api.with_scenarios(data, ["safe-chips-act-links-only"]), explain=False
    )
    assert narrow.value >= broad.value
    assert {m.paragraph for m in narrow.verdict.margins if "1758A" in m.paragraph} >= {
        "1758A(a)(1) combined bandwidth (links alone)"
    }


@pytest.mark.parametrize("die", ["gb100", "aqua-vanjaram"])
def test_a_nominal_optimum_on_an_estimated_area_is_flagged_and_the_robust_one_is_safe(die, data) -> None:
    """Both optima sat within 0.01% of the 1.6 density line over an estimated die area (issue 8)."""
    nominal = s.search(die, "china", "2026-11-28", data=data, explain=False, robust=False)
    (u,) = nominal.uncertain
    assert u.figure.startswith(die) and "notification" in u.outcomes
    robust = s.search(die, "china", "2026-11-28", data=data, explain=False)
    assert robust.uncertain == [] and robust.value < nominal.value
    assert robust.verdict.outcome.value == "not-controlled"


def test_only_the_clauses_between_the_design_and_a_better_step_bind(data) -> None:
    r = s.search("gh100", "china", "2026-11-28", data=data)
    b1 = next(b for b in r.binding if b.paragraph == "3A090.b.1")
    assert [(c.metric, c.op.value) for c in b1.clauses] == [("tpp", ">=")]  # not tpp < 4800, not density
    doc = document.build(r, data, {"allowed": "not-controlled", "objective": "perf"})
    rows = [x for x in doc["sensitivity"] if x["paragraph"] == "3A090.b.1"]
    assert [x["loosen"].startswith("binding") for x in rows] == [x["metric"] == "tpp" for x in rows]


def test_at_least_a_competitor_reports_the_margin_and_an_impossible_floor_names_the_rules() -> None:
    from click.testing import CliRunner

    from explorer.cli import main

    args = ["--target", "china", "--base", "gh100", "--as-of", "2024-06-01", "-q"]
    ok = CliRunner().invoke(main, [*args, "--at-least", "h20", "--format", "json"])
    r = json.loads(ok.output)["results"][0]
    assert ok.exit_code == 0 and r["floor"]["at_least"] == ["h20"] and r["floor"]["margin_pct"] >= 0
    assert r["throughput"]["tokens_per_s_per_chip"] >= r["floor"]["tokens_per_s_per_chip"] - 0.1
    high = CliRunner().invoke(main, [*args, "--at-least", "h200"])
    assert high.exit_code == 1 and "floor" in high.output and "us-bis-2023-10-acs" in high.output
    bad = CliRunner().invoke(main, [*args, "--at-least", "no-such-chip"])
    assert bad.exit_code == 2 and "--at-least" in bad.output


def test_a_search_leaves_pandas_unimported_and_pandas_still_works_after() -> None:
    """The main job loads no pandas (explorer/search/cpsat.py); a later import gets the real pandas."""
    import subprocess
    import sys

    code = (
        "import sys; from explorer.search import run; "
        "r = run.search('gh100', 'china', '2026-11-29', explain=False); "
        "print(r.status, 'pandas' in sys.modules); "
        "import pandas; print(hasattr(pandas, 'DataFrame'))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["OPTIMAL", "False", "True"]
