"""Spec documents match their golden files (regenerate: python tests/golden/regenerate.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "golden"))
from regenerate import CASES, HERE, golden_document, name  # noqa: E402


@pytest.mark.parametrize("case", CASES, ids=lambda c: name(*c))
def test_spec_document_matches_golden_files(case):
    js, md = golden_document(*case)
    assert js == (HERE / f"{name(*case)}.json").read_text(), "JSON changed: review, then regenerate"
    assert md == (HERE / f"{name(*case)}.md").read_text(), "Markdown changed: review, then regenerate"
