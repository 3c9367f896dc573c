"""Metric definitions: exact values on known chips, and monotone in the knobs."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from explorer import api
from explorer.model import metrics as m

# every die in the catalog, read when hypothesis first draws (st.deferred), not at import
any_die = st.deferred(lambda: st.sampled_from(list(api.load().catalog.dies.values())))


def test_tpp_is_max_over_precisions_of_dense_rate_times_bits(data) -> None:
    # H100 SXM: 1978.9 TFLOPS FP8 x 8 bits = FP16 989.4 x 16
    h100 = data.catalog.metrics(data.catalog.skus["h100-sxm"])
    fp8, fp16 = h100.dense_tflops[m.Precision.FP8], h100.dense_tflops[m.Precision.FP16]
    assert h100.tpp == fp8 * 8 == fp16 * 16


def test_h20_density_counts_the_whole_gh100_die(data) -> None:
    h20 = data.catalog.metrics(data.catalog.skus["h20"])
    assert h20.die_area_mm2 == 814
    assert h20.performance_density == h20.tpp / 814
    assert h20.tpp < 2400 and h20.performance_density < Fraction("3.2")


def test_multi_die_area_sums_every_non_planar_logic_die(data) -> None:
    assert m.applicable_die_area_mm2(data.catalog.dies["gb100"]) == 1600
    assert m.applicable_die_area_mm2(data.catalog.dies["aqua-vanjaram"]) == 8 * 115 + 4 * 370


@given(
    die=any_die,
    units=st.fractions(min_value=1, max_value=200),
    more_units=st.fractions(min_value=0, max_value=50),
    clock=st.fractions(min_value=500, max_value=3000),
    more_clock=st.fractions(min_value=0, max_value=500),
    limit=st.fractions(min_value=Fraction(1, 64), max_value=1),
)
def test_more_units_or_a_higher_clock_never_lowers_tpp(die, units, more_units, clock, more_clock, limit):
    limits = {t.precision.value: limit for t in die.throughput[::2]}
    base = m.tpp(m.dense_tflops(die, units, clock, limits))
    assert m.tpp(m.dense_tflops(die, units + more_units, clock, limits)) >= base
    assert m.tpp(m.dense_tflops(die, units, clock + more_clock, limits)) >= base
