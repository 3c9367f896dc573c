"""The notebook API returns result objects and DataFrames."""

from __future__ import annotations

import explorer
from explorer.model.outcomes import Outcome


def test_classify_explore_frontier_and_sweep_from_python():
    assert explorer.classify("h20", "china", "2024-06-01").verdict.outcome is Outcome.NOT_CONTROLLED
    ranked = explorer.explore("china", bases=["gh100", "gb202"], as_of="2024-01-01")
    assert sorted(ranked["base"]) == ["gb202", "gh100"] and ranked["value"].is_monotonic_decreasing
    front = explorer.frontier("gh100", "china", as_of="2024-06-01", points=5)
    assert {"unit_cost_usd", "value", "design"} <= set(front.columns) and len(front) >= 2
    swept = explorer.sweep(
        "china", vary="3A090.b.1:tpp", values="1600,3200", bases=["gh100"], executor="serial"
    )
    assert list(swept["parameter"]) == [1600.0, 3200.0]
