"""Everything one run judges against: the catalog, the rules (with any scenarios applied), destinations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from explorer.model.catalog import Catalog
from explorer.model.destinations import DestinationData
from explorer.model.rules import RuleSet


@dataclass(frozen=True)
class Data:
    catalog: Catalog
    rules: list[RuleSet]  # with the scenarios applied, if any
    destinations: DestinationData
    root: Path
    scenarios: tuple = ()  # the scenarios applied (explorer.model.scenarios.Scenario)
    law: list[RuleSet] | None = None  # the rules as encoded before any scenario

    def __repr__(self) -> str:
        """A line, not the whole catalog: a failing test's report prints its arguments (over 1 MB)."""
        applied = [getattr(x, "id", x) for x in self.scenarios]
        return (
            f"Data(root={str(self.root)!r}, {len(self.catalog.dies)} dies, {len(self.catalog.skus)} SKUs, "
            f"{len(self.rules)} rule sets, scenarios={applied})"
        )
