"""An architecture without measured points takes its vendor's nearest calibrated fit, in the tool and in the
validation alike; a fallback that names no fitted architecture is refused."""

from __future__ import annotations

import shutil

import pytest

from explorer import calibrate as cal
from explorer.load.loader import (
    default_data_dir,
    fit_used,
    load_efficiency,
    load_efficiency_table,
    load_objective,
)
from explorer.model import value as v
from explorer.model.errors import InputError
from explorer.search.reference import efficiency_note


def test_the_tool_and_the_calibration_read_one_fallback_table(measured) -> None:
    table = load_efficiency_table()
    assert table.fallback == measured.setup.fallback  # efficiency.toml is written from measured.toml
    assert table.fallback["CDNA 2"] == "CDNA 3"


def test_an_uncalibrated_amd_die_is_valued_at_cdna_3s_fit_and_others_at_the_pooled_one() -> None:
    table = load_efficiency_table()
    assert "CDNA 2" not in table.architectures
    assert load_efficiency("CDNA 2") == table.architectures["CDNA 3"] != table.default
    assert fit_used("CDNA 2") == "CDNA 3" and fit_used("CDNA 3") == "CDNA 3"
    assert "Gaudi 3" not in table.fallback
    assert load_efficiency("Gaudi 3") == table.default and fit_used("Gaudi 3") is None


def test_the_left_out_predictions_use_the_same_fallback() -> None:
    fits = {"CDNA 3": "cdna3-fit", cal.POOLED: "pooled"}
    fallback = {"CDNA 4": "CDNA 3"}
    assert cal.fitted_or_fallback(fits, "CDNA 4", fallback) == "cdna3-fit"  # its own points left out
    assert cal.fitted_or_fallback({**fits, "CDNA 4": "own"}, "CDNA 4", fallback) == "own"
    assert cal.fitted_or_fallback({cal.POOLED: "pooled"}, "CDNA 4", fallback) == "pooled"  # CDNA 3 out too
    assert cal.fitted_or_fallback(fits, "Gaudi 3", fallback) == "pooled"


def test_the_note_of_an_uncalibrated_die_names_the_fit_it_takes(data) -> None:
    sku = data.catalog.find_sku("mi250x")
    arch = data.catalog.dies[sku.die].architecture
    obj = load_objective("llm-serving", data.root, arch)
    reference = v.tokens_per_s(v.resources(data.catalog.metrics(data.catalog.skus["h100-sxm"]), obj), obj)
    note = efficiency_note(data.catalog.metrics(sku), arch, obj, reference, data.root)
    assert not note.calibrated and note.fit == "CDNA 3"
    assert "CDNA 3's fit" in note.describe() and "pooled" not in note.describe()


def test_a_fallback_to_an_architecture_without_a_fit_is_refused(tmp_path) -> None:
    source = load_efficiency_table.__wrapped__  # uncached: the copy below is another file
    here = tmp_path / "specs" / "calibration"
    here.mkdir(parents=True)
    shutil.copy(default_data_dir() / "specs" / "calibration" / "efficiency.toml", here / "efficiency.toml")
    text = (here / "efficiency.toml").read_text().replace('"CDNA 2" = "CDNA 3"', '"CDNA 2" = "CDNA 9"')
    (here / "efficiency.toml").write_text(text)
    with pytest.raises(InputError) as e:
        source(tmp_path)
    assert "fallback.CDNA 2" in str(e.value) and "CDNA 9" in str(e.value)
