"""Regenerate the golden spec documents: python tests/golden/regenerate.py

Run it after a deliberate change to the document, the data or the search, and
review the diff: the golden test fails until the files match again.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
CASES = [("gh100", "china", "2024-06-01"), ("gb202", "china", "2025-09-01")]


def golden_document(base: str, target: str, as_of: str) -> tuple[str, str]:
    """The JSON and Markdown spec documents, with the one volatile field (solve time) zeroed."""
    from explorer import api
    from explorer.report import document
    from explorer.search import run as search

    data = api.load()
    result = search.search(base, target, as_of, data=data)
    doc = document.build(result, data, {"allowed": "not-controlled", "objective": "perf"})
    doc["summary"]["solve_seconds"] = 0.0
    return json.dumps(doc, indent=2) + "\n", document.render(doc, "markdown")


def name(base: str, target: str, as_of: str) -> str:
    return f"{base}-{target}-{as_of}"


if __name__ == "__main__":
    for case in CASES:
        js, md = golden_document(*case)
        (HERE / f"{name(*case)}.json").write_text(js)
        (HERE / f"{name(*case)}.md").write_text(md)
        print(f"wrote {name(*case)}.json and .md")
