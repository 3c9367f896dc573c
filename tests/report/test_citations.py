"""Documents cite only what ships: a path a spec document (or the data it quotes) names is a file of the
installed package, never a research note of the repository around it (issue 28)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import explorer
from explorer import api
from explorer.cli import main

# a path-looking token: folders, then a file with a known suffix or a trailing slash (not "GB/s", "TPP/mm2")
PATH = re.compile(
    r"(?<![\w/.:-])([a-z_][\w-]*/(?:[\w.-]+/)*(?:[\w-]+\.(?:md|csv|toml|json|py|j2|html|txt))?)(?![\w/])"
)
# first folders that name this project's checkout; anything else is another repository's (cited by URL)
PROJECT = {"specs", "constraints", "explorer", "examples", "shared", "benchmarks", "tests"}
ROOT = api.load().root
PACKAGE = Path(explorer.__file__).parent


def shipped(path: str) -> bool:
    """Whether `path` is in the wheel: data under specs/ and constraints/, or a file of the package."""
    top = path.split("/", 1)[0]
    if top in ("specs", "constraints"):
        return (ROOT / path).exists()
    if top == "explorer":
        return (PACKAGE.parent / path).exists()
    return False  # examples/, benchmarks/, tests/ and shared/ are not in the package


def cited(text: str) -> set[str]:
    return {p for p in PATH.findall(text) if p.split("/", 1)[0] in PROJECT}


def test_the_path_finder_finds_paths_and_not_units() -> None:
    text = "see shared/reference/chips.csv and specs/economics/; 3.2 TB/s, TPP/mm2, tokens/s, ops/clk/SM"
    assert cited(text) == {"shared/reference/chips.csv", "specs/economics/"}
    assert not shipped("shared/reference/chips.csv") and shipped("specs/economics/")


def test_no_data_file_cites_a_path_that_does_not_ship() -> None:
    """Every source title and note a document can quote comes from these files."""
    bad = {
        str(f.relative_to(ROOT)): sorted(p for p in cited(f.read_text()) if not shipped(p))
        for top in ("specs", "constraints")
        for f in sorted((ROOT / top).rglob("*.toml"))
    }
    assert not {k: v for k, v in bad.items() if v}


@pytest.mark.parametrize(
    "base",
    ["gh100", *(pytest.param(b, marks=pytest.mark.slow) for b in ("gb110", "cdna4-mi350", "aldebaran-2gcd"))],
)
def test_no_generated_document_cites_a_path_that_does_not_ship(tmp_path, base) -> None:
    template = ROOT / "examples" / "company.txt.j2"
    args = ["-q", "--target", "china", "--base", base, "--as-of", "2025-09-01", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, [*args, "--template", str(template)])
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.iterdir())
    assert {f.suffix for f in files} == {".json", ".md", ".html", ".txt"}
    for f in files:
        assert not [p for p in cited(f.read_text()) if not shipped(p)], f.name


def test_the_company_template_names_the_reference_sku_it_is_measured_against(tmp_path) -> None:
    template = ROOT / "examples" / "company.txt.j2"
    args = [
        "-q",
        "--target",
        "china",
        "--base",
        "gh100",
        "--as-of",
        "2025-09-01",
        "--template",
        str(template),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("Value:")]
    assert "h100-sxm" in line and "unmodified" not in line
