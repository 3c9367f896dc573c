"""Destinations: countries, EAR country groups, named end users, and resolving a user's --target."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from explorer.model.errors import InputError
from explorer.model.names import name_key
from explorer.model.quantity import Source


@dataclass(frozen=True)
class FormerMember:
    code: str
    until: dt.date  # first day it was no longer a member
    source: str
    note: str = ""  # e.g. another date a reading could take, and why this one


@dataclass(frozen=True)
class JoinedMember:
    code: str
    since: dt.date  # first day it was a member
    source: str


@dataclass(frozen=True)
class CountryGroup:
    title: str
    source: str
    members: list[str]
    former: list[FormerMember] = field(default_factory=list)
    joined: list[JoinedMember] = field(default_factory=list)  # members since a date (not in `members`)
    note: str = ""

    def has(self, code: str, on: dt.date) -> bool:
        """Membership on a date: current members, former ones before they left, later ones once joined."""
        return (
            code in self.members
            or any(f.code == code and on < f.until for f in self.former)
            or any(j.code == code and j.since <= on for j in self.joined)
        )


@dataclass(frozen=True)
class Country:
    name: str
    aliases: list[str] = field(default_factory=list)
    treated_as: str | None = None  # Hong Kong has been treated as China since 2020-12-23
    treated_as_since: dt.date | None = None
    source: str | None = None


@dataclass(frozen=True)
class EndUser:
    """A buyer a rule names (G42, the UAE government): where it is headquartered, and who says so."""

    name: str
    headquarters: str  # a country code
    source: str
    aliases: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class DestinationData:
    sources: dict[str, Source]
    groups: dict[str, CountryGroup]
    countries: dict[str, Country]
    end_users: dict[str, EndUser] = field(default_factory=dict)

    def scopes(self) -> set[str]:
        """Every name a rule may use for a destination scope."""
        return set(self.groups) | set(self.countries) | {"*"}


@dataclass(frozen=True)
class Target:
    """A resolved destination: its code and every scope (groups included) it belongs to."""

    code: str
    name: str
    scopes: frozenset[str]


def resolve_target(data: DestinationData, text: str, on: dt.date) -> Target:
    """Match a target by ISO code, name or alias, case-insensitively; groups as of `on`."""
    wanted = name_key(text)
    for code, country in data.countries.items():
        names = [code, country.name, *country.aliases]
        if wanted in {name_key(n) for n in names}:
            return _target(data, code, on)
    valid = ", ".join(sorted(data.countries))
    raise InputError("--target", "", text, f"a country name or ISO code, one of: {valid}")


def resolve_end_user(data: DestinationData, text: str) -> str:
    """A named end user's id, matched by id, name or alias, case-insensitively."""
    wanted = name_key(text)
    for key, user in data.end_users.items():
        if wanted in {name_key(n) for n in (key, user.name, *user.aliases)}:
            return key
    valid = ", ".join(sorted(data.end_users)) or "(none in the data)"
    raise InputError("--end-user", "", text, f"a named end user, one of: {valid}")


def _target(data: DestinationData, code: str, on: dt.date) -> Target:
    country = data.countries[code]
    as_code = code
    if country.treated_as and (country.treated_as_since is None or country.treated_as_since <= on):
        as_code = country.treated_as
    scopes = {code, as_code}
    scopes |= {g for g, group in data.groups.items() if group.has(as_code, on)}
    return Target(code=code, name=country.name, scopes=frozenset(scopes))
