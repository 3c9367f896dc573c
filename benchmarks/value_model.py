"""How well the value model ranks real chips: the issue-10 targets, measured on data the fit did not see.

    python benchmarks/value_model.py

Every figure is computed in this run from specs/calibration/measured.toml and
says which points it is measured on. Targets (issue 10): chip-left-out median
error on chip-to-chip ratios at most 10%, no rank inversion where the measured
gap exceeds 15%, chip-left-out absolute median error at most 10%, H200/H100 and
MI325X/MI300X ratios within 10% of the measured ones.
"""

from __future__ import annotations

import statistics

from explorer import api
from explorer import calibrate as cal
from explorer.load.loader import load_measured, load_objective, load_workloads
from explorer.model import value as v


def target(name: str, got: float, limit: float, unit: str = "%") -> str:
    mark = "met" if got <= limit else "NOT met"
    return f"{name}: {got:.1f}{unit} (target at most {limit:g}{unit}): {mark}"


def ratio_lines(rows, a: str, b: str) -> list[str]:
    out = []
    for source, measured, predicted in cal.measured_ratio(rows, a, b):
        err = (predicted / measured - 1) * 100
        out.append(f"  {a}/{b} {source}: measured {measured:.2f}, predicted {predicted:.2f} ({err:+.1f}%)")
    return out


def main() -> None:
    data = api.load()
    measured = load_measured(data.root)
    result = cal.calibrate(measured, data.catalog, load_workloads(data.root))
    val = cal.validate(result, measured.setup.held_out_shapes)
    print(cal.validation_text(val))
    print(target("chip left out, ratio error", val.left_out_chip_ratio * 100, 10))
    print(target("chip left out, absolute error", val.left_out_chip_abs * 100, 10))
    print(target("rank inversions over a 15% measured gap", val.inversions_15, 0, ""))
    for a, b in (("h200-sxm", "h100-sxm"), ("mi325x", "mi300x")):
        lines = ratio_lines([r for r in result.rows if r.point.source.startswith("mlperf")], a, b)
        print(f"{a}/{b} (MLPerf, same round and scenario; predictions with the full fit):")
        print("\n".join(lines) or "  no source measured both")
        errs = [
            abs(p / m - 1) * 100
            for _, m, p in cal.measured_ratio(result.rows, a, b)
            if _.startswith("mlperf")
        ]
        if errs:
            print(target(f"  median {a}/{b} ratio error", statistics.median(errs), 10))
    obj = load_objective("llm-serving", data.root, "Hopper")
    rates = {
        chip: v.breakdown(v.resources(data.catalog.metrics(data.catalog.find_sku(chip)), obj), obj)
        for chip in ("h200-sxm", "h20")
    }
    h200, h20 = rates["h200-sxm"], rates["h20"]
    print(
        f"default workload ({obj.title}): H200 {h200.tokens_per_s:.0f}, H20 {h20.tokens_per_s:.0f} "
        f"tokens/s per chip, H200/H20 = {h200.tokens_per_s / h20.tokens_per_s:.2f}; "
        f"batch {h200.batch:.0f} against {h20.batch:.0f} ({h20.batch_limit}); H20 step: compute "
        f"{h20.compute_s * 1000:.1f} ms of {h20.step_s * 1000:.1f} (prefill {h20.prefill_s * 1000:.1f})"
    )


if __name__ == "__main__":
    main()
