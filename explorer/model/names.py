"""How names typed by users match: chips, dies, destinations, all alike."""

from __future__ import annotations

import re


def name_key(text: str) -> str:
    """Case-insensitive, ignoring spaces, dashes, dots and underscores: 'RTX 4090D' = 'rtx-4090d'."""
    return re.sub(r"[\s_\-.]", "", text.lower())
