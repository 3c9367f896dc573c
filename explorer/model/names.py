"""Names: how users' spellings match, which ids are allowed, and how a name or path is shown on a terminal."""

from __future__ import annotations

import re

# An id from a data file (die, SKU, rule set, scenario, workload, value model) names output files and is
# joined into references ("rule-id paragraph"): letters, digits, dots, dashes and underscores, starting with
# a letter or digit, so it is never a path (no separator, never "." or "..") and never holds a space.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ID_EXPECTED = "an id of letters, digits, '.', '-' or '_' (at most 64, starting with a letter or digit)"
# a file an output set holds: an id and its suffix, the same characters
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

# C0 and C1 controls and DEL (ESC starts CSI and OSC sequences; BEL, backspace and CR rewrite what is shown),
# and the bidirectional overrides that reorder what is shown
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def name_key(text: str) -> str:
    """Case-insensitive, ignoring spaces, dashes, dots and underscores: 'RTX 4090D' = 'rtx-4090d'."""
    return re.sub(r"[\s_\-.]", "", text.lower())


def is_id(text: object) -> bool:
    return isinstance(text, str) and ID_PATTERN.fullmatch(text) is not None


def is_file_name(text: str) -> bool:
    """A plain file name: never a path, never "." or "..", no space or control character."""
    return FILE_NAME.fullmatch(text) is not None


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    return repr(c)[1:-1] if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def printable(text: str, lines: bool = False) -> str:
    """`text` safe to show on a terminal: every control character (ESC of CSI and OSC sequences, BEL,
    backspace, CR, newlines unless `lines`) and bidirectional override written as its escape, `\\x1b`."""
    return (_CONTROL_BUT_LINES if lines else _CONTROL).sub(_escape, text)


def has_control(text: str, lines: bool = False) -> bool:
    """Whether `text` holds a character `printable` would escape."""
    return (_CONTROL_BUT_LINES if lines else _CONTROL).search(text) is not None
