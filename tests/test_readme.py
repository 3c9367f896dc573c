"""The README's Python examples run as written: a renamed call or type breaks them, and this says so."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def python_examples() -> list[str]:
    text = README.read_text()
    section = text[text.index("## From Python") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_python_examples_run() -> None:
    blocks = python_examples()
    assert len(blocks) >= 2, "the README's 'From Python' section lost its examples"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
