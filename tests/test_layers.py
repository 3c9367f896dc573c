"""The package layout is a contract: a module's folder says what it may import (issue 13).

model  <- load  <- search  <- report (result types only)  <- api, features  <- cli
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "explorer"

# what each layer may import, besides itself and anything outside explorer
ALLOWED = {
    "model": {"model"},
    "load": {"model", "load"},
    "search": {"model", "load", "search"},
    "report": {"model", "report"},
}
# reports read what the search found, through its result types: never the solver, tables or loader
REPORT_MAY_IMPORT = {"explorer.search.run"}
FRONT_DOOR_USERS = {"explorer.cli", "explorer", "explorer.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """Every explorer module a file imports, at the top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "explorer" or node.module.startswith("explorer."):
                # `from explorer.model import metrics` names a module; `from ...metrics import x` does not
                subs = {f"{node.module}.{a.name}" for a in node.names}
                out |= (subs & MODULES) or {node.module}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("explorer.")}
    return out


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


GRAPH = {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_graph_is_read() -> None:
    """Guard against a vacuous pass: the parser sees the package and its imports."""
    assert len(GRAPH) > 40
    assert "explorer.model.metrics" in GRAPH["explorer.model.catalog"]
    assert "explorer.search.encode" in GRAPH["explorer.search.run"]  # an import inside a function


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(package: str) -> None:
    bad = []
    for module, deps in GRAPH.items():
        if layer(module) != package:
            continue
        for dep in deps:
            if layer(dep) not in ALLOWED[package] and not (package == "report" and dep in REPORT_MAY_IMPORT):
                bad.append(f"{module} imports {dep}")
    assert not bad, "\n".join(bad)


def test_only_the_cli_and_the_package_import_the_front_door() -> None:
    users = {m for m, deps in GRAPH.items() if "explorer.api" in deps}
    assert users <= FRONT_DOOR_USERS, users - FRONT_DOOR_USERS
    assert {m for m, deps in GRAPH.items() if "explorer.cli" in deps} <= {"explorer.__main__"}


def test_a_violation_is_caught(tmp_path) -> None:
    """The checker itself: a model module importing the search is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from explorer.search.encode import encode\n")
    deps = imports(bad)
    assert deps == {"explorer.search.encode"} and layer("explorer.search.encode") not in ALLOWED["model"]
