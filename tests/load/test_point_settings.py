"""A measured run's own settings, where its source states them, override the setup's: the prediction is
set up the way that run ran."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from explorer import calibrate as cal
from explorer.load.loader import load_workloads
from explorer.model import value as v


def test_an_mxfp4_run_reads_its_own_bytes_per_weight(measured) -> None:
    """MI355X's FP4 runs are MXFP4 (a scale per 32 values: 0.53125 bytes per weight), not the setup's
    NVFP4 (0.5625): their weights read 1/18 less, and a run without the field keeps the setup's."""
    workloads = load_workloads()
    e = v.Efficiency(Fraction(1, 2), Fraction(1, 2), Fraction(9, 10), Fraction(3, 4), Fraction(1))
    mx = next(
        p
        for p in measured.point
        if p.chip == "mi355x" and p.precision.value == "fp4" and p.model == "llama-2-70b"
    )
    assert mx.bytes_per_weight == Fraction(17, 32)
    plain = dataclasses.replace(mx, bytes_per_weight=None)
    own = v.demand(cal.objective_for(mx, workloads, measured.setup, e))
    setup_s = v.demand(cal.objective_for(plain, workloads, measured.setup, e))
    assert setup_s.weight_bytes / own.weight_bytes == measured.setup.bytes_per_weight["fp4"] / Fraction(
        17, 32
    )
