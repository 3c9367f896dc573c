"""An alternative to the fit's shared grids (benchmarks/alternatives.py) changes only what it names."""

from __future__ import annotations

import dataclasses
import importlib.util
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from explorer import calibrate as cal


def test_a_grid_the_fit_does_not_have_or_cannot_divide_by_is_refused() -> None:
    assert cal.shared_grids() == cal.SHARED_GRIDS
    assert cal.shared_grids({"narrow": ("7/4",)})["narrow"] == (Fraction(7, 4),)
    assert cal.shared_grids({"overlap": (Fraction(3, 4),)})["overlap"] == (
        0.75,
    )  # a float, as numpy takes it
    for bad, said in (
        ({"overlapp": (1,)}, "no shared figure 'overlapp'"),
        ({"overlap": ()}, "an empty grid"),
        ({"layer_s": (Fraction(-1, 10**6),)}, "at least 0"),
        ({"moe": (0, 1)}, "above 0 for a share"),
    ):
        with pytest.raises(ValueError, match=said):
            cal.shared_grids(bad)


def _alternatives():
    """benchmarks/alternatives.py, imported from its file (benchmarks/ is not a package)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "alternatives.py"
    spec = importlib.util.spec_from_file_location("alternatives", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmarks_alternatives_are_read_as_grids_and_bad_ones_refused_in_a_line() -> None:
    alt = _alternatives()
    got = alt.alternative_of("allreduce_s=0:100e-6:5e-6 narrow=7/4,2")
    assert got["allreduce_s"] == tuple(Fraction(us, 10**6) for us in range(0, 101, 5))
    assert got["narrow"] == (Fraction(7, 4), Fraction(2))
    for text, said in (
        ("overlapp=1", "no shared figure"),
        ("overlap", "expected name=values"),
        ("overlap=1e999999999", "expected a number"),  # refused before Fraction builds 10**999999999
        ("overlap=0:1:1e-9", "at most 1000 values"),  # refused before the grid is built
        ("overlap=1:0:1", "start <= stop"),
        ("moe=0", "above 0 for a share"),
        ("", "an empty alternative"),
    ):
        with pytest.raises(ValueError, match=said):
            alt.alternative_of(text)
    assert all(text == " ".join(text.split()) and alt.alternative_of(text) for text in alt.DEFAULTS)


@pytest.mark.slow
def test_a_pinned_figure_holds_where_the_points_would_move_it(data, measured, workloads) -> None:
    """Throughput the model makes at overlap 1 on Hopper's Llama points: the committed grids recover 1;
    pinned at 1/2, the fit keeps 1/2 and moves the efficiencies instead. Made at an all-reduce time off
    the committed grid (80 us), it is found only on a grid that reaches it."""
    truth = cal.Shared(1.0, Fraction(3, 4), Fraction(1, 2), Fraction(40, 10**6), layer_s=Fraction(40, 10**6))
    pick = [
        p
        for p in measured.point
        if p.model.startswith("llama")
        and p.role == "fit"
        and data.catalog.dies[data.catalog.find_sku(p.chip).die].architecture == "Hopper"
    ]
    xs = [cal._inputs(p, data.catalog, workloads, measured.setup) for p in pick]
    ys = [float(np.asarray(cal._predict(x, 0.55, 0.55, 0.9, truth)).ravel()[0]) for x in xs]
    start = dataclasses.replace(truth, overlap=0.75)
    fits, free = cal.fit({"Hopper": (xs, ys)}, Fraction(3, 4), start)
    assert free.overlap == 1.0 and fits["Hopper"].decode_compute == Fraction(11, 20)
    fits, pinned = cal.fit({"Hopper": (xs, ys)}, Fraction(3, 4), start, grids={"overlap": (0.5,)})
    assert pinned.overlap == 0.5 and fits["Hopper"].overlap == Fraction(1, 2)
    assert (fits["Hopper"].decode_compute, fits["Hopper"].memory) != (Fraction(11, 20), Fraction(9, 10))
    # a truth off the committed grid (all-reduce 0-40 us): found only on a grid that reaches it
    far = dataclasses.replace(truth, allreduce_s=Fraction(80, 10**6))
    ys = [float(np.asarray(cal._predict(x, 0.55, 0.55, 0.9, far)).ravel()[0]) for x in xs]
    _, committed = cal.fit({"Hopper": (xs, ys)}, Fraction(3, 4), start)
    widened = {"allreduce_s": tuple(Fraction(us, 10**6) for us in range(0, 101, 20))}
    _, wide = cal.fit({"Hopper": (xs, ys)}, Fraction(3, 4), start, grids=widened)
    assert committed.allreduce_s <= Fraction(40, 10**6) and wide.allreduce_s == Fraction(80, 10**6)
