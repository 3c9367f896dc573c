"""User options that need parsing against the data: dates and the buyer (headquarters, named end user)."""

from __future__ import annotations

import datetime as dt

from explorer.model.data import Data
from explorer.model.destinations import resolve_end_user, resolve_target
from explorer.model.errors import InputError


def parse_date(text: str | dt.date | None, option: str = "--as-of") -> dt.date:
    """A date given as YYYY-MM-DD; None means today."""
    if text is None:
        return dt.date.today()
    if isinstance(text, dt.date):
        return text
    import re

    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise InputError(option, "", text, "a date as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(option, "", text, "a date as YYYY-MM-DD") from None


def end_user_scopes(data: Data, end_user_hq: str | None, on: dt.date) -> frozenset[str] | None:
    """The scopes (country and groups) of the buyer's headquarters, from --end-user-hq."""
    if end_user_hq is None:
        return None
    try:
        return resolve_target(data.destinations, end_user_hq, on).scopes
    except InputError as e:
        raise InputError("--end-user-hq", "", end_user_hq, e.expected) from None


def buyer(
    data: Data, end_user_hq: str | None, end_user: str | None, on: dt.date
) -> tuple[frozenset[str] | None, str | None]:
    """The buyer's facts: the scopes of its headquarters and, for a named end user, its id.

    A named end user (--end-user) brings its own headquarters; --end-user-hq may repeat it,
    never contradict it.
    """
    if end_user is None:
        return end_user_scopes(data, end_user_hq, on), None
    uid = resolve_end_user(data.destinations, end_user)
    home = data.destinations.end_users[uid].headquarters
    if end_user_hq is not None:
        end_user_scopes(data, end_user_hq, on)  # a bad country is named as --end-user-hq's
        if resolve_target(data.destinations, end_user_hq, on).code != home:
            raise InputError(
                "--end-user-hq", "", end_user_hq, f"{home}, where {uid} is headquartered, or nothing"
            )
    return resolve_target(data.destinations, home, on).scopes, uid
