"""What a search engine answers: a status and, where it found one, a design; no solver is imported here.

The CP-SAT search (solve.py) and the exact interval search (intervals.py) both
answer a `Solution`, so callers and reports never know which one ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from explorer.search.knobs import Knobs


class SolveStatus(StrEnum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"  # a design, not proved best within the time limit
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"  # no design found within the time limit
    MODEL_INVALID = "MODEL_INVALID"


@dataclass(frozen=True)
class Solution:
    status: SolveStatus
    knobs: Knobs | None  # None: nothing found
    net: int  # the objective: value x scale x basis points, after fees
    bound: int  # the best bound proved on it
    cost_cents: int
    seconds: float
    conflicting_rules: list[str]  # the solver's hint when INFEASIBLE

    @property
    def gap(self) -> float:
        return 0.0 if not self.bound else (self.bound - self.net) / self.bound
