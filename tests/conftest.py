"""Shared fixtures and the hypothesis profiles.

Tests mirror the package: tests/model, load, search, report and cli, with the
cross-layer checks (layers, api, calibration) at the top. Test bodies take the
data as fixtures (below); a module that parametrizes over the catalog reads it
at collection, once (`api.load` caches it). `helpers.py` here is
importable from every folder (pytest puts this conftest's folder on sys.path).

Hypothesis runs the `ci` profile when CI is set (derandomized: the same examples
on every run, so a red CI is reproducible) and `dev` otherwise (random examples,
which find new cases over time); both without a deadline, since a search on a
shared 2-core machine has no steady time. HYPOTHESIS_PROFILE picks one by name.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from explorer import api

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def data() -> api.Data:
    return api.load()


@pytest.fixture(scope="session")
def cfg():
    """The design-space configuration (specs/spaces/default.toml)."""
    from explorer.load.loader import load_space_config

    return load_space_config()


@pytest.fixture(scope="session")
def measured(data):
    """The measured serving throughput points (specs/calibration/measured.toml)."""
    return api.load_measured(data.root)


@pytest.fixture(scope="session")
def workloads(data):
    return api.load_workloads(data.root)
