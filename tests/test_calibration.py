"""The calibrated performance model predicts held-out measured throughput within 15%."""

from __future__ import annotations

import tomllib

from explorer import api
from explorer import calibrate as cal
from explorer.loader import default_data_dir, load_efficiency, load_measured, load_workloads

DATA = api.load()
MEASURED = load_measured()
WORKLOADS = load_workloads()
RESULT = cal.calibrate(MEASURED, DATA.catalog, WORKLOADS)


def test_held_out_median_error_is_at_most_15_percent() -> None:
    held = [r for r in RESULT.rows if r.held_out]
    assert len(held) >= 10
    assert RESULT.median_error(held_out=True) <= 0.15


def test_every_measured_point_is_predicted_and_reported() -> None:
    assert len(RESULT.rows) == len(MEASURED.point) >= 40
    assert all(r.predicted > 0 for r in RESULT.rows)
    assert {r.architecture for r in RESULT.rows} >= {"Hopper", "Blackwell", "Blackwell (consumer)"}


def test_the_value_model_uses_the_current_fit() -> None:
    """efficiency.toml must be what `explore calibrate --write` gives for today's measured points."""
    for arch, fitted in RESULT.efficiencies.items():
        stored = load_efficiency(None if arch == "default" else arch)
        assert stored == fitted, f"{arch}: rerun `explore calibrate --write`"
    text = (default_data_dir() / "specs" / "calibration" / "efficiency.toml").read_text()
    assert tomllib.loads(text)["fit"]["held_out_median_abs_error"] == f"{RESULT.median_error(True):.3f}"


def test_an_uncalibrated_roofline_is_far_off() -> None:
    """The fit matters: at full efficiency the roofline overshoots the measurements."""
    ratios = sorted(
        float(cal._predict(cal._inputs(r.point, DATA.catalog, WORKLOADS, MEASURED.setup), 1.0, 1.0, 1.0))
        / float(r.point.output_tokens_per_s)
        for r in RESULT.rows
    )
    assert ratios[len(ratios) // 2] > 1.4
