"""The `explore` command end to end: JSON contract, exit codes, and a fast --help."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from explorer.cli import main

OUTCOMES = {
    "not-controlled",
    "notification",
    "license-presumed-approval",
    "license-case-by-case",
    "license-presumed-denial",
}
METRIC_KEYS = {
    "tpp",
    "performance_density",
    "memory_bandwidth_gbps",
    "memory_gb",
    "memory_type",
    "io_bidirectional_gbps",
    "die_area_mm2",
    "datacenter",
    "power_w",
}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_classify_json_contract() -> None:
    result = run("classify", "H20", "--target", "china", "--as-of", "2024-06-01", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {"chip", "target", "as_of", "metrics", "outcome", "fired", "margins"} <= set(out)
    assert out["chip"] == "h20" and out["target"] == "CN" and out["as_of"] == "2024-06-01"
    assert set(out["metrics"]) >= METRIC_KEYS
    assert out["outcome"] == "not-controlled" and out["fired"] == []
    b2 = [
        g
        for g in out["margins"]
        if g["paragraph"] == "3A090.b.2" and g["metric"] == "performance_density" and g["op"] == ">="
    ]
    assert b2 and b2[0]["margin"] > 0 and not b2[0]["holds"]


def test_classify_json_names_fired_paragraphs() -> None:
    out = json.loads(run("classify", "l4", "--as-of", "2024-01-01", "--format", "json").output)
    assert out["outcome"] in OUTCOMES
    assert {"rule": "us-bis-2023-10-acs", "paragraph": "3A090.a.2"}.items() <= out["fired"][0].items()


def test_main_job_lists_rules_and_classifies_the_catalog() -> None:
    result = run("--target", "china", "--as-of", "2024-06-01")
    assert result.exit_code == 0, result.output
    assert "us-bis-2023-10-acs" in result.output and "rtx-4090d" in result.output
    assert "not legal advice" in result.output


def test_main_job_json() -> None:
    out = json.loads(run("--target", "cn", "--format", "json").output)
    assert len(out["results"]) >= 20 and all(r["outcome"] in OUTCOMES for r in out["results"])


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_catalog_formats(fmt: str) -> None:
    result = run("catalog", "--format", fmt)
    assert result.exit_code == 0 and "rtx-pro-6000d" in result.output


def test_rules_shows_citations_and_status() -> None:
    result = run("rules", "--target", "china", "--as-of", "2025-06-01")
    assert "88 FR 73458" in result.output and "reported" in result.output


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["classify", "h20", "--as-of", "2024-13-01"], "--as-of"),
        (["classify", "h20", "--as-of", "yesterday"], "YYYY-MM-DD"),
        (["classify", "no-such-chip"], "no-such-chip"),
        (["classify", "h20", "--target", "atlantis"], "atlantis"),
        (["rules", "--target", "narnia"], "narnia"),
        (["--target", "china", "--as-of", "2024-02-30"], "--as-of"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], mentions: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and mentions in lines[0] and "Traceback" not in result.output


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from explorer.cli import main; "
        "CliRunner().invoke(main, ['--help']); "
        "print(sorted(m for m in ('pandas', 'ortools', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
