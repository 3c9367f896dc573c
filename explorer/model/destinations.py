"""Destinations: countries, EAR country groups, and resolving a user's --target."""

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


@dataclass(frozen=True)
class CountryGroup:
    title: str
    source: str
    members: list[str]
    former: list[FormerMember] = field(default_factory=list)
    note: str = ""

    def has(self, code: str, on: dt.date) -> bool:
        """Membership on a date: current members, and former ones before they left."""
        return code in self.members or any(f.code == code and on < f.until for f in self.former)


@dataclass(frozen=True)
class Country:
    name: str
    aliases: list[str] = field(default_factory=list)
    treated_as: str | None = None  # Hong Kong has been treated as China since 2020-12-23
    treated_as_since: dt.date | None = None
    source: str | None = None


@dataclass(frozen=True)
class DestinationData:
    sources: dict[str, Source]
    groups: dict[str, CountryGroup]
    countries: dict[str, Country]

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


def _target(data: DestinationData, code: str, on: dt.date) -> Target:
    country = data.countries[code]
    as_code = code
    if country.treated_as and (country.treated_as_since is None or country.treated_as_since <= on):
        as_code = country.treated_as
    scopes = {code, as_code}
    scopes |= {g for g, group in data.groups.items() if group.has(as_code, on)}
    return Target(code=code, name=country.name, scopes=frozenset(scopes))
