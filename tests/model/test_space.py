"""The design space's rate knobs: a limit on the precisions under 8 bits where it moves TPP, only there."""

from __future__ import annotations

from fractions import Fraction

from explorer.model.chips import Precision
from explorer.model.metrics import dense_tflops, tpp
from explorer.model.space import RateLimit, build_space, rate_options

HALF = Fraction(1, 2)


def per_unit_clock_tpp(die, limit: RateLimit) -> Fraction:
    """TPP of one unit at 1 MHz, in ops x bits per clock."""
    return tpp(dense_tflops(die, Fraction(1), Fraction(1), limit.as_sku_limits(die))) * 10**6


def test_halving_fp4_leaves_fp8_to_set_tpp_on_blackwell_ultra(data, cfg) -> None:
    """GB110 runs FP4 at 3x FP8 (1.5x the FP8 TPP): capped, FP8 sets TPP and serving keeps its rate."""
    die = data.catalog.dies["gb110"]
    full, capped = RateLimit(), RateLimit(Fraction(1), HALF)
    assert per_unit_clock_tpp(die, full) == 49152 * 4
    assert per_unit_clock_tpp(die, capped) == 16384 * 8
    free = dense_tflops(die, Fraction(1), Fraction(1), {})
    held = dense_tflops(die, Fraction(1), Fraction(1), capped.as_sku_limits(die))
    assert held[Precision.FP8] == free[Precision.FP8] and held[Precision.FP4] == free[Precision.FP4] / 2
    assert capped in rate_options(die, cfg)


def test_a_narrow_limit_that_moves_no_line_is_not_offered(data, cfg) -> None:
    """B200's FP4 x 4 bits ties FP8 x 8, and Hopper has no FP4: a cap there only costs throughput."""
    for die_id in ("gb100", "gh100", "gb202"):
        options = rate_options(data.catalog.dies[die_id], cfg)
        assert all(o.narrow == 1 for o in options), die_id
        assert [o.tensor for o in options] == sorted(set(cfg.rate_limits))


def test_every_offered_narrow_limit_lowers_tpp_and_the_flagship_has_none(data, cfg) -> None:
    for die in data.catalog.dies.values():
        space = build_space(die, data.catalog, cfg)
        assert space.flagship().rate_limit == RateLimit()
        for o in space.rate_limits:
            if o.narrow != 1:
                assert per_unit_clock_tpp(die, o) < per_unit_clock_tpp(die, RateLimit(o.tensor)), die.id
