"""How much a benchmark's answer lengths vary, read from a serving log's latency percentiles.

A served answer's latency is its time to first token plus one step per further token, and the
steps of one run take much the same time, so the latency percentiles of a server-scenario log
(MLPerf's mlperf_log_summary.txt) are the answer-length percentiles up to a scale. The value model
needs only the scale-free E[L^2] / E[L]^2 (value.Requests.output_tokens_spread): the context a generated
token sees averages input + E[L^2] / (2 E[L]), since a long answer generates more tokens, each at a
longer context, and stays in flight longer.
"""

from __future__ import annotations

import itertools
from statistics import NormalDist

import numpy as np

GRID = 200_000  # quantile levels the integrals are taken over


def output_spread(percentiles: dict[float, float], low: float, mean: float, high: float) -> float:
    """E[L^2] / E[L]^2 of the lengths whose percentiles (percent: value), least, mean and most are given.

    Above the median the log-length runs linearly in the level's normal quantile between the given
    percentiles (exact for log-normal lengths), and on to the most above the last; below the median,
    from the least to the median as a power of the level, its exponent chosen so the mean is the
    given one (the log states no percentile there). The upper tail carries E[L^2], and it is read.
    """
    levels = sorted(percentiles)
    if not levels or levels[0] != 50 or not (0 < low <= percentiles[50] <= high and low <= mean <= high):
        raise ValueError("expected the 50th percentile, and 0 < least <= median, mean <= most")
    values = [percentiles[p] for p in levels]
    if any(b < a for a, b in itertools.pairwise(values)) or values[-1] > high:
        raise ValueError("expected percentiles rising with their level, up to the most")
    u = (np.arange(GRID) + 0.5) / GRID
    # between the percentiles log-length is linear in the normal quantile; above the last, in the level
    probit = np.vectorize(NormalDist().inv_cdf)
    top = levels[-1] / 100
    upper = np.exp(np.interp(probit(np.minimum(u, top)), probit(np.array(levels) / 100), np.log(values)))
    tail = u > top
    upper[tail] = np.exp(np.interp(u[tail], [top, 1.0], np.log([values[-1], high])))
    below = u < 0.5

    def quantiles(exponent: float) -> np.ndarray:
        return np.where(below, low + (percentiles[50] - low) * (u / 0.5) ** exponent, upper)

    lo, hi = 1e-3, 1e3  # the mean falls as the exponent rises: bisect on it
    for _ in range(100):
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if quantiles(mid).mean() > mean else (lo, mid)
    q = quantiles((lo * hi) ** 0.5)
    if abs(q.mean() / mean - 1) > 0.01:
        raise ValueError("no spread below the median meets the mean with the percentiles above it")
    return float((q**2).mean() / q.mean() ** 2)
