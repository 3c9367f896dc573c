"""The measurement floor: how far a measured result moves when the same setup is measured again.

MLPerf rounds re-run the same benchmark on the same chips every six months; software, submitters and
settings move the results with no change of hardware. A model of the hardware alone cannot be expected
to predict a round's chip-to-chip ratios much closer than rounds repeat one another, so the validation
reports this floor beside its targets. No model is involved: measured points against measured points.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from explorer.model.measured import Point


def setup_of(p: Point) -> tuple:
    """What makes two points one benchmark setup: model, lengths and scenario; a closed-loop client's
    concurrency and precision (it runs every chip at several of each)."""
    closed = (p.max_batch or 0, p.precision.value) if p.scenario == "concurrency" else (0, "")
    return (p.model, p.input_tokens, p.output_tokens, p.scenario, *closed)


def chip_of(p: Point) -> tuple:
    """What makes two points one chip's result: the chip, its precision and the chips serving one copy
    (the engine, its version and the submitter may differ: that is what a later round changes)."""
    return (p.chip, p.precision.value, p.tensor_parallel, p.pipeline_parallel, p.chips)


@dataclass(frozen=True)
class Remeasured:
    """How far results of one setup moved between the sources that measured it."""

    repeats: int  # a chip's result measured by two sources
    chip_change: float  # median of max(a/b, b/a) - 1 over those
    pairs: int  # a chip-to-chip ratio measured by two sources
    ratio_change: float  # median of max(r/s, s/r) - 1 over those
    reversed_15: int  # ratios over a 15% gap in one source that the other ranks the other way round
    largest: str = ""  # the largest ratio change, named


def _results(points: Iterable[Point]) -> dict[tuple, dict[str, dict[tuple, float]]]:
    """setup -> source -> chip -> tokens/s per chip, where the source has exactly one point for that chip
    in that setup (several are not one result, and are left out)."""
    seen: dict[tuple, dict[str, dict[tuple, list[float]]]] = defaultdict(lambda: defaultdict(dict))
    for p in points:
        seen[setup_of(p)][p.source].setdefault(chip_of(p), []).append(float(p.per_chip))
    return {
        setup: {
            source: {chip: values[0] for chip, values in chips.items() if len(values) == 1}
            for source, chips in sources.items()
        }
        for setup, sources in seen.items()
    }


def _change(a: float, b: float) -> float:
    return max(a / b, b / a) - 1


def ranked_wrong(measured: float, other: float, gap: float) -> bool:
    """A ratio the other figure (a prediction, a later round) ranks the wrong way round, where the measured
    ratio is over 1 + gap or under 1 - gap (issue 24's target counts them at a 15% gap)."""
    return (other - 1) * (measured - 1) < 0 and abs(measured - 1) > gap


def remeasured(points: Iterable[Point], involving: str | None = None) -> Remeasured:
    """Every chip result and every chip-to-chip ratio of one setup that two sources both measured (with
    `involving`, only where one of the two is that source)."""
    chips, ratios, reversals, worst = [], [], 0, (0.0, "")
    for setup, by_source in sorted(_results(points).items()):
        for s, t in itertools.combinations(sorted(by_source), 2):
            if involving is not None and involving not in (s, t):
                continue
            common = sorted(set(by_source[s]) & set(by_source[t]))
            chips += [_change(by_source[s][c], by_source[t][c]) for c in common]
            for x, y in itertools.combinations(common, 2):
                first = by_source[s][x] / by_source[s][y]
                second = by_source[t][x] / by_source[t][y]
                change = _change(first, second)
                ratios.append(change)
                reversals += ranked_wrong(first, second, 0.15) or ranked_wrong(second, first, 0.15)
                if change > worst[0]:
                    name = f"{x[0]}/{y[0]} {setup[0]} {setup[3]}: {first:.2f} ({s}), {second:.2f} ({t})"
                    worst = (change, name)
    return Remeasured(
        len(chips),
        statistics.median(chips) if chips else float("nan"),
        len(ratios),
        statistics.median(ratios) if ratios else float("nan"),
        reversals,
        worst[1],
    )


def remeasured_text(r: Remeasured) -> str:
    """One paragraph: the floor, measured on the points it names."""
    if not r.pairs:
        return "  measurement floor: no setup measured by two sources"
    return (
        f"  measurement floor (no model: the same setup measured again by another source, e.g. a later"
        f" MLPerf round): a chip's tokens/s moved by a median {r.chip_change:.1%} over {r.repeats}"
        f" repeats; a chip-to-chip ratio by {r.ratio_change:.1%} over {r.pairs} repeated pairs,"
        f" {r.reversed_15} ranked the other way round over a 15% gap; largest {r.largest}"
    )
