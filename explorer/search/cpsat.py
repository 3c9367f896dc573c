"""OR-Tools CP-SAT's Python model, imported without pandas.

ortools 9.15's `cp_model` imports pandas at module level for its pandas helpers
(`new_int_var_series` and the like), which this project never calls; pandas is
about 0.25 s of the 0.4 s import and most of the main job's peak memory. While
`cp_model` is imported, a placeholder holding the two names its module body reads
(`pd.Index`, `pd.Series`) stands in for pandas, and is removed right after, so a
later `import pandas` (sweeps, DataFrames) gets the real one. If pandas is already
loaded, or the placeholder is not enough (another ortools version), the ordinary
import runs: slower, never wrong. pyproject pins ortools to 9.15.x, and
tests/search/test_search.py checks that a search leaves pandas unimported.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING


def _without_pandas():
    if "pandas" in sys.modules or "ortools.sat.python.cp_model" in sys.modules:
        return importlib.import_module("ortools.sat.python.cp_model")
    placeholder = types.ModuleType("pandas", "a placeholder while ortools.sat.python.cp_model is imported")
    placeholder.Index = type("Index", (), {})  # type: ignore[attr-defined]
    placeholder.Series = type("Series", (), {})  # type: ignore[attr-defined]
    sys.modules["pandas"] = placeholder
    try:
        return importlib.import_module("ortools.sat.python.cp_model")
    except AttributeError:  # the module body wanted more of pandas: import it the ordinary way
        sys.modules.pop("ortools.sat.python.cp_model", None)
        sys.modules.pop("pandas", None)
        return importlib.import_module("ortools.sat.python.cp_model")
    finally:
        if sys.modules.get("pandas") is placeholder:
            del sys.modules["pandas"]


if TYPE_CHECKING:
    from ortools.sat.python import cp_model
else:
    cp_model = _without_pandas()
