"""Every JSON output matches its published schema (explorer/schemas/), the golden spec documents too."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from explorer.cli import main


def schema(name: str) -> Draft202012Validator:
    text = (resources.files("explorer") / "schemas" / f"{name}.schema.json").read_text()
    s = json.loads(text)
    Draft202012Validator.check_schema(s)
    return Draft202012Validator(s)


def output(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


CASES = [
    ("classify", ["classify", "h20", "--as-of", "2024-06-01"]),
    ("classify", ["classify", "rtx-pro-6000d", "--as-of", "2025-09-01", "--scenario", "safe-chips-act"]),
    ("classify", ["classify", "h100", "--target", "singapore", "--end-user-hq", "china"]),
    ("search", ["--target", "china", "--base", "gh100", "--base", "gb202"]),
    ("search", ["--target", "iran", "--base", "gh100"]),  # no complying design
    (
        "search",
        [
            "--target",
            "china",
            "--base",
            "gh100",
            "--allow",
            "license-case-by-case",
            "--assume-us-launch",
            "2025-06-01",
        ],
    ),
    ("compare", ["compare", "--base", "gh100"]),
    ("frontier", ["frontier", "--base", "gb202"]),
    ("portfolio", ["portfolio", "hopper-2024"]),
    ("portfolio", ["portfolio", "blackwell-2026", "--scenario", "blackwell-allowed"]),
    ("portfolio", ["portfolio", "blackwell-2026", "--world", "blackwell-allowed", "--objective", "expected"]),
]


@pytest.mark.parametrize(
    ("name", "args"),
    [  # across worlds: one CP-SAT model per market with every world's rules, 7 s: the slow tier
        pytest.param(n, a, id=" ".join(a), marks=[pytest.mark.slow] if "--world" in a else [])
        for n, a in CASES
    ],
)
def test_each_output_matches_its_schema(name, args) -> None:
    errors = sorted(schema(name).iter_errors(output(*args)), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


@pytest.mark.parametrize(
    "golden", sorted((Path(__file__).parents[1] / "golden").glob("*.json")), ids=lambda p: p.name
)
def test_the_golden_spec_documents_match_the_document_schema(golden) -> None:
    errors = list(schema("spec-document").iter_errors(json.loads(golden.read_text())))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_a_schema_catches_a_broken_output() -> None:
    doc = output("classify", "h20")
    doc["outcome"] = "allowed-probably"
    del doc["margins"]
    assert len(list(schema("classify").iter_errors(doc))) == 2
