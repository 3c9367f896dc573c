"""What the validation runs (never fitted) say of an architecture's value reaches every report on it: the
median error on one chip and on several apart, as the objective serves, and the rank it would move to."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from explorer import calibrate as cal
from explorer.load.loader import default_data_dir, load_efficiency_table, load_objective
from explorer.model import value as v
from explorer.model.errors import InputError
from explorer.report.results import validated_lines, validated_ranks
from explorer.search.reference import efficiency_note


def _rows(measured, predicted_over_measured: float) -> list[cal.Row]:
    """Rows of every point predicted at a fixed multiple of its measurement except MI300X's validation
    runs on several chips, which are predicted at twice it."""
    rows = []
    for p in measured.point:
        several = p.role == "validation" and p.chip == "mi300x" and p.tensor_parallel > 1
        y = float(p.per_chip) * (2.0 if several else predicted_over_measured)
        rows.append(cal.Row(p, "CDNA 3" if p.chip.startswith("mi3") else "other", y, y, y, y))
    return rows


def test_the_median_error_is_taken_on_validation_runs_alone_one_chip_and_several_apart(measured) -> None:
    calibration = cal.Calibration({}, _rows(measured, 1.25), {})
    errors = cal.validated_errors(calibration)
    cdna3 = errors["CDNA 3"]
    several = [p for p in measured.point if p.role == "validation" and p.chip.startswith("mi3")]
    several = [p for p in several if p.tensor_parallel * p.pipeline_parallel > 1]
    assert cdna3["several_chips_runs"] == len(several) > 0
    mi300x = sum(1 for p in several if p.chip == "mi300x")
    # MI300X's runs at +100%, the rest at +25%: the median follows whichever holds the middle run
    assert cdna3["several_chips"] == (1.0 if mi300x * 2 > len(several) else 0.25)
    assert cdna3["one_chip"] == 0.25  # MLPerf v5.1's one-chip CDNA 3 runs
    fitted_only = dataclasses.replace(
        measured, point=[p for p in measured.point if p.role == "fit" or not p.chip.startswith("mi3")]
    )
    assert "CDNA 3" not in cal.validated_errors(cal.Calibration({}, _rows(fitted_only, 1.25), {}))


def test_a_superseded_sources_runs_stay_out_of_what_reports_say_the_value_may_be_off_by(measured) -> None:
    """An early engine's runs (setup.superseded) would move what every report says of today's value: its
    rows are held out like the rest, but not counted in the architecture's validated median."""
    early = set(measured.setup.superseded)
    assert early, "the data names no superseded source: this test would hold nothing"
    rows = _rows(measured, 1.25)
    # the early source's runs predicted at five times their measurement: counted, they would move the
    # median of any architecture they are the most runs of
    rows = [dataclasses.replace(r, predicted=r.predicted * 4) if r.point.source in early else r for r in rows]
    with_early = cal.validated_errors(cal.Calibration({}, rows, {}))
    without = cal.validated_errors(cal.Calibration({}, rows, {}), early)
    counted = sum(1 for r in rows if r.point.role == "validation" and r.point.source in early)
    assert counted > 0
    assert sum(e.get("several_chips_runs", 0) + e.get("one_chip_runs", 0) for e in with_early.values()) == (
        sum(e.get("several_chips_runs", 0) + e.get("one_chip_runs", 0) for e in without.values()) + counted
    )
    kept = [r for r in rows if r.point.source not in early]
    assert without == cal.validated_errors(cal.Calibration({}, kept, {}))
    assert with_early != without


def _table_with(tmp_path, old: str, new: str):
    here = tmp_path / "specs" / "calibration"
    here.mkdir(parents=True)
    shutil.copy(default_data_dir() / "specs" / "calibration" / "efficiency.toml", here / "efficiency.toml")
    text = (here / "efficiency.toml").read_text()
    assert old in text
    (here / "efficiency.toml").write_text(text.replace(old, new))
    return load_efficiency_table.__wrapped__(tmp_path)  # uncached: the copy is another file


def test_an_error_without_its_runs_or_at_minus_one_is_refused(tmp_path) -> None:
    runs = load_efficiency_table().validated["CDNA 3"].several_chips_runs
    with pytest.raises(InputError, match=r"validated\.CDNA 3\.several_chips_runs"):
        _table_with(tmp_path / "a", f"several_chips_runs = {runs}\n", "several_chips_runs = 0\n")
    error = float(load_efficiency_table().validated["CDNA 3"].several_chips)
    with pytest.raises(InputError, match=r"validated\.CDNA 3\.several_chips"):
        _table_with(tmp_path / "b", f"several_chips = {error}\n", "several_chips = -1.0\n")


def test_a_cdna_3_die_served_on_eight_chips_says_what_its_runs_on_several_chips_say(data) -> None:
    sku = data.catalog.find_sku("mi300x")
    obj = load_objective("llm-serving", data.root, "CDNA 3")
    reference = v.tokens_per_s(v.resources(data.catalog.metrics(data.catalog.skus["h100-sxm"]), obj), obj)
    bias = load_efficiency_table().validated["CDNA 3"]
    assert obj.workload.chips == 8
    note = efficiency_note(data.catalog.metrics(sku), "CDNA 3", obj, reference, data.root)
    assert note.several_chips and note.validated_error == bias.several_chips
    assert note.validated_runs == bias.several_chips_runs and "on several chips" in note.describe()
    one = dataclasses.replace(obj, workload=dataclasses.replace(obj.workload, tensor_parallel=1))
    note = efficiency_note(data.catalog.metrics(sku), "CDNA 3", one, reference, data.root)
    assert not note.several_chips and note.validated_error == bias.one_chip


def test_a_die_valued_at_another_architectures_fit_carries_that_fits_error(data) -> None:
    """CDNA 2 has no fit and no runs: valued at CDNA 3's fit, it says what CDNA 3's runs say of that fit;
    a die at the pooled fit (Ampere) says nothing."""
    obj = load_objective("llm-serving", data.root, "CDNA 2")
    reference = v.tokens_per_s(v.resources(data.catalog.metrics(data.catalog.skus["h100-sxm"]), obj), obj)
    mi250x = efficiency_note(data.catalog.metrics(data.catalog.find_sku("mi250x")), "CDNA 2", obj, reference)
    assert mi250x.fit == "CDNA 3" and mi250x.validated_on == "CDNA 3"
    assert mi250x.validated_error == load_efficiency_table().validated["CDNA 3"].several_chips
    assert "CDNA 3's validation runs" in mi250x.describe()
    a100 = efficiency_note(data.catalog.metrics(data.catalog.find_sku("a100-sxm")), "Ampere", obj, reference)
    assert a100.fit is None and a100.validated_error is None and "validation" not in a100.describe()


def _record(base: str, value: float, error: float | None) -> dict:
    note = {"architecture": "X", "validated_error": error, "validated_runs": 9, "several_chips": True}
    return {"base": base, "value": value, "calibration": note}


def test_a_base_whose_runs_are_missed_by_over_15_percent_is_ranked_again_at_that_error() -> None:
    ranked = [_record("a", 1.0, 0.5), _record("b", 0.8, None), _record("c", 0.5, 0.1)]
    ranked.append(_record("d", 0.4, -0.5))
    moved = validated_ranks(ranked)
    assert set(moved) == {"a", "d"}  # c's 10% is within the line
    # moved together: a falls below b and below d, which rises to tie b (a tie is no rank lower)
    assert moved["a"] == (pytest.approx(1.0 / 1.5), 3)
    assert moved["d"] == (pytest.approx(0.8), 1)
    text = "\n".join(validated_lines(ranked))
    assert "a (X): value 1.000, 0.667" in text and "rank 1, 3 so, of 4" in text
    assert validated_lines([_record("b", 0.8, None)]) == []
