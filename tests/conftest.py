"""Shared fixtures, the catalog-driven parametrization and the hypothesis profiles.

Tests mirror the package: tests/model, load, search, report and cli, with the
cross-layer checks (layers, api, calibration) at the top. No test module reads
the data when it is imported: test bodies take it as fixtures (below), objects a
single module derives from it are that module's `scope="module"` fixtures, and
hypothesis strategies over it are drawn through `st.data()` from a fixture or
built with `st.deferred` when hypothesis first draws. A test that runs once per
die, SKU, published figure or SKU file names the argument below
(`CATALOG_PARAMETERS`); `pytest_generate_tests` parametrizes it from the catalog
when collecting (`api.load` caches it, so it is read once). `helpers.py` here is
importable from every folder (pytest puts this conftest's folder on sys.path).

Hypothesis runs the `ci` profile when CI is set (derandomized: the same examples
on every run, so a red CI is reproducible) and `dev` otherwise (random examples,
which find new cases over time); both without a deadline, since a search on a
shared 2-core machine has no steady time. HYPOTHESIS_PROFILE picks one by name.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from explorer import api

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def data() -> api.Data:
    return api.load()


@pytest.fixture
def data_copy(tmp_path, data) -> Path:
    """The shipped rules and specs copied into tmp_path, a --data folder a test may change."""
    for folder in ("constraints", "specs"):
        shutil.copytree(data.root / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture(scope="session")
def cfg():
    """The design-space configuration (specs/spaces/default.toml)."""
    from explorer.load.loader import load_space_config

    return load_space_config()


@pytest.fixture(scope="session")
def costs(data):
    """Wafer, yield, packaging and board figures (specs/economics/costs.toml)."""
    from explorer.load.loader import load_costs

    return load_costs(data.root)


@pytest.fixture(scope="session")
def measured(data):
    """The measured serving throughput points (specs/calibration/measured.toml)."""
    return api.load_measured(data.root)


@pytest.fixture(scope="session")
def workloads(data):
    return api.load_workloads(data.root)


# ---- parametrization over the catalog ----------------------------------------------------------


def _die_ids(data: api.Data) -> tuple[list, list[str]]:
    ids = sorted(data.catalog.dies)
    return ids, ids


def _sku_ids(data: api.Data) -> tuple[list, list[str]]:
    ids = sorted(data.catalog.skus)
    return ids, ids


def _published_figures(data: api.Data) -> tuple[list, list[str]]:
    """(SKU id, figure key) for every figure a SKU file publishes."""
    pairs = [(sku.id, key) for sku in data.catalog.skus.values() for key in sku.published]
    return pairs, [f"{sku_id}-{key}" for sku_id, key in pairs]


def _sku_files(data: api.Data) -> tuple[list, list[str]]:
    """Every SKU file, as a path relative to the data folder (specs/skus/h20.toml)."""
    files = [f"specs/skus/{f.name}" for f in sorted((data.root / "specs" / "skus").glob("*.toml"))]
    return files, files


# argument name -> its values and test ids, from today's data
CATALOG_PARAMETERS: dict[str, Callable[[api.Data], tuple[list, list[str]]]] = {
    "die_id": _die_ids,
    "sku_id": _sku_ids,
    "published_figure": _published_figures,
    "sku_file": _sku_files,
}


def _parametrized_by_the_test(metafunc: pytest.Metafunc) -> set[str]:
    """The argument names a test's own @pytest.mark.parametrize markers give values to."""
    names: set[str] = set()
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs["argnames"]
        if isinstance(argnames, str):
            argnames = [n.strip() for n in argnames.split(",") if n.strip()]
        names.update(argnames)
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test once per catalog entry for each argument of CATALOG_PARAMETERS it takes.

    A test that parametrizes the same argument itself (a hand-written list, such as the SKUs the
    catalog must hold) keeps its own values.
    """
    wanted = [n for n in CATALOG_PARAMETERS if n in metafunc.fixturenames]
    wanted = [n for n in wanted if n not in _parametrized_by_the_test(metafunc)]
    for name in wanted:
        values, ids = CATALOG_PARAMETERS[name](api.load())
        metafunc.parametrize(name, values, ids=ids)
