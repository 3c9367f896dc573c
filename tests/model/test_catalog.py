"""The chip model reproduces every published figure, and names resolve as users type them."""

from __future__ import annotations

import pytest

from explorer import api
from explorer.model.errors import InputError
from explorer.model.quantity import Status

REQUIRED_SKUS = [
    "a100-sxm",
    "a800",
    "h100-sxm",
    "h800",
    "h20",
    "h200-sxm",
    "l40s",
    "l20",
    "l4",
    "l2",
    "rtx-4090",
    "rtx-4090d",
    "rtx-5090",
    "rtx-5090d",
    "rtx-5090d-v2",
    "rtx-pro-6000",
    "rtx-pro-6000d",
    "b200",
    "mi300x",
    "mi325x",
    # issue 14's wider catalog
    "h100-pcie",
    "h100-nvl",
    "h200-nvl",
    "a100-pcie",
    "b100",
    "b300",
    "gb200",
    "gb300",
    "rtx-6000-ada",
    "l40",
    "mi250x",
    "mi210",
    "mi300a",
    "mi350x",
    "mi355x",
    "gaudi2-hl225h",
    "gaudi2-hl225b",
    "gaudi3-hl325l",
    "ascend-910b2",
    "ascend-910c-cm384",
]
REQUIRED_DIES = [
    "ga100",
    "gh100",
    "ad102",
    "ad104",
    "gb202",
    "gb100",
    "aqua-vanjaram",
    "gb110",
    "cdna4-mi350",
    "aldebaran-2gcd",
    "gaudi3",
    "ascend-910c",
]


def test_model_matches_published_figure_within_2_percent(published_figure: tuple[str, str], data) -> None:
    sku_id, key = published_figure
    sku = data.catalog.skus[sku_id]
    modelled = data.catalog.metrics(sku).value(key)
    published = sku.published[key].value
    assert modelled is not None, f"{sku_id} has no modelled {key}"
    assert abs(modelled / published - 1) <= 0.02, f"{sku_id} {key}: model {float(modelled)} vs {published}"


def test_catalog_has_the_required_chips_and_dies(data) -> None:
    assert set(REQUIRED_SKUS) <= set(data.catalog.skus)
    assert set(REQUIRED_DIES) <= set(data.catalog.dies)


@pytest.mark.parametrize("sku_id", REQUIRED_SKUS)
def test_every_sku_publishes_tpp_and_memory(sku_id: str, data) -> None:
    assert {"tpp", "memory_gb"} <= set(data.catalog.skus[sku_id].published)


def test_thin_public_record_is_never_presented_as_published(data) -> None:
    """Factors solved from published products are 'derived'; a figure that is a guess carries a range."""
    sku = data.catalog.skus
    assert sku["h20"].clock_mhz.status is Status.DERIVED
    assert sku["rtx-pro-6000d"].clock_mhz.status is Status.DERIVED
    assert all(q.status is Status.DERIVED for q in sku["rtx-pro-6000d"].rate_limits.values())
    pin = sku["rtx-pro-6000d"].memory.pin_rate_gbps
    assert pin.status is Status.ESTIMATED and pin.low < pin.high


@pytest.mark.parametrize("text", ["h20", "H20", "RTX 4090D", "rtx-4090d", "rtx4090d", "Rtx_4090d", "4090D"])
def test_names_match_ignoring_case_spaces_and_dashes(text: str, data) -> None:
    assert data.catalog.find_sku(text).id in {"h20", "rtx-4090d"}


def test_die_name_points_to_its_skus(data) -> None:
    with pytest.raises(InputError, match="h20"):
        data.catalog.find_sku("GH100")


def test_unknown_chip_lists_valid_names(data) -> None:
    with pytest.raises(InputError, match="rtx-4090d"):
        data.catalog.find_sku("rtx 9090")


def test_value_references_are_never_bases_and_never_screened_as_exports(data) -> None:
    """The Ascend parts are competitor floors, not US exports: a verdict or a derivation would mislead."""
    from click.testing import CliRunner

    from explorer.cli import main

    reference_only = [d.id for d in data.catalog.dies.values() if d.reference_only is not None]
    assert {"ascend-910b", "ascend-910c"} <= set(reference_only)
    assert not set(reference_only) & set(data.catalog.design_bases())
    refused = CliRunner().invoke(main, ["--target", "china", "--base", "ascend-910b2", "-q"])
    assert refused.exit_code == 2 and "value reference only" in refused.output
    judged = api.classify("ascend-910c-cm384", "china", None, data)
    assert judged.reference_only and "General Prohibition 10" in judged.reference_only
    screen = CliRunner().invoke(main, ["screen", "--format", "csv"])
    rows = {line.split(",")[0]: line for line in screen.stdout.splitlines()}
    assert ",reference-only," in rows["ascend-910b2"] and ",reference-only," not in rows["h20"]


def test_every_package_variant_points_to_a_die_file_that_declares_it(data) -> None:
    for die in data.catalog.dies.values():
        if die.variant_of is not None:
            full = data.catalog.dies[die.variant_of]
            assert full.package is not None and die.compute_dies in full.package.counts
