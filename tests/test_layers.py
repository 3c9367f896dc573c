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
REPORT_MAY_IMPORT = {"explorer.search.run", "explorer.search.portfolio"}
FRONT_DOOR_USERS = {"explorer", "explorer.__main__"}  # and every module of explorer.cli
# the CLI parses options, calls the front door (or a feature on top of it) and prints: never the search or
# the loader directly, except the signal handling that ends a run cleanly
CLI_MAY_IMPORT = {
    "explorer.api",
    "explorer.calibrate",
    "explorer.sweeps",
    "explorer.valuation",
    "explorer.search.interrupts",
}


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


LAYERS = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}


def layer(module: str) -> str:
    """The subpackage a module belongs to (explorer.cli itself included); '' for top-level modules."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else ""


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
    users = {m for m, deps in GRAPH.items() if "explorer.api" in deps and layer(m) != "cli"}
    assert users <= FRONT_DOOR_USERS, users - FRONT_DOOR_USERS
    cli_users = {m for m, deps in GRAPH.items() if any(d.startswith("explorer.cli") for d in deps)}
    assert {m for m in cli_users if layer(m) != "cli"} <= {"explorer.__main__"}


def test_the_cli_only_parses_calls_the_front_door_and_prints() -> None:
    """Commands reach the library through api (or a feature on top of it), models and reports only."""
    bad = [
        f"{module} imports {dep}"
        for module, deps in GRAPH.items()
        if layer(module) == "cli"
        for dep in deps
        if layer(dep) not in {"cli", "model", "report"} and dep not in CLI_MAY_IMPORT
    ]
    assert not bad, "\n".join(bad)
    assert len([m for m in GRAPH if layer(m) == "cli"]) >= 5  # the commands are in explorer/cli/


def test_a_violation_is_caught(tmp_path) -> None:
    """The checker itself: a model module importing the search is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from explorer.search.encode import encode\n")
    deps = imports(bad)
    assert deps == {"explorer.search.encode"} and layer("explorer.search.encode") not in ALLOWED["model"]
