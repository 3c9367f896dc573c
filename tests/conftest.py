"""Shared fixtures: the built-in data, loaded once per session."""

from __future__ import annotations

import pytest

from explorer import api


@pytest.fixture(scope="session")
def data() -> api.Data:
    return api.load()
