"""The measurement floor compares one setup's results between the sources that measured it, and nothing
else: a round where every chip got faster moves no ratio; a flipped ranking is counted; other setups and
ambiguous repeats are never compared."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from explorer import calibrate as cal
from explorer.model.chips import Precision
from explorer.model.measured import Point
from explorer.model.remeasured import remeasured

CHIPS = ("b200", "b300", "mi355x", "h200-sxm", "rtx-pro-6000")


def _point(chip: str, source: str, tokens_per_s: float, **kw) -> Point:
    settings = {"model": "llama-2-70b", "input_tokens": 222, "output_tokens": 294, "scenario": "offline"}
    settings.update(kw)
    return Point(
        chip=chip,
        precision=Precision.FP8,
        tensor_parallel=1,
        output_tokens_per_s=Fraction(tokens_per_s),
        source=source,
        **settings,
    )


@given(
    st.lists(st.floats(100, 20_000), min_size=2, max_size=len(CHIPS)),
    st.floats(0.5, 3.0),
)
def test_a_round_that_speeds_every_chip_alike_moves_their_results_but_no_ratio(rates, factor) -> None:
    earlier = [_point(c, "round-1", x) for c, x in zip(CHIPS, rates, strict=False)]
    later = [_point(c, "round-2", x * factor) for c, x in zip(CHIPS, rates, strict=False)]
    r = remeasured(earlier + later)
    n = len(rates)
    assert (r.repeats, r.pairs) == (n, n * (n - 1) // 2)
    assert math.isclose(r.chip_change, max(factor, 1 / factor) - 1, rel_tol=1e-9, abs_tol=1e-9)
    assert r.ratio_change < 1e-9
    assert r.reversed_15 == 0


def test_a_ranking_flipped_over_a_15_percent_gap_is_counted_and_named() -> None:
    points = [
        _point("b200", "round-1", 1300),
        _point("mi355x", "round-1", 1000),
        _point("b200", "round-2", 900),
        _point("mi355x", "round-2", 1000),
        # a pair 10% apart that swaps is not over the gap
        _point("b300", "round-1", 1100, scenario="server"),
        _point("mi355x", "round-1", 1000, scenario="server"),
        _point("b300", "round-2", 950, scenario="server"),
        _point("mi355x", "round-2", 1000, scenario="server"),
    ]
    r = remeasured(points)
    assert r.pairs == 2 and r.reversed_15 == 1
    assert r.largest.startswith("b200/mi355x llama-2-70b offline: 1.30 (round-1), 0.90 (round-2)")


def test_other_setups_and_ambiguous_repeats_are_never_compared() -> None:
    points = [
        _point("b200", "round-1", 1000),
        _point("b200", "round-2", 5000, output_tokens=1000),  # other lengths: another setup
        _point("b200", "round-2", 5000, scenario="server"),  # another scenario
        _point("b200", "round-3", 1100),
        _point("mi355x", "round-1", 800),
        _point("mi355x", "round-3", 700),
        _point("mi355x", "round-3", 900),  # two results for one chip in one round: neither is taken
    ]
    r = remeasured(points)
    assert r.repeats == 1 and math.isclose(r.chip_change, 0.1)
    assert r.pairs == 0 and math.isnan(r.ratio_change)
    assert remeasured(points, involving="round-3").repeats == 1
    assert remeasured(points, involving="round-2").repeats == 0


def test_the_validation_reports_the_floor_of_the_data_it_validates_on(measured) -> None:
    rows = [cal.Row(p, "any", 1.0, 1.0, 1.0, 1.0) for p in measured.point]
    val = cal.validate(cal.Calibration({}, rows, {}), [])
    floor = val.remeasured
    assert floor is not None and floor.pairs > 0  # MLPerf rounds repeat Llama-2-70B on the same chips
    assert floor == remeasured(measured.point)
    assert "measurement floor" in cal.validation_text(val)
