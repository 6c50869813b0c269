"""Versioned council settings: one mechanism for every setting the council publishes in numbered
versions (the RAS grid, the tariff, the sign-off rules, the accreditation checklist).

Pure Python; imports no context. It holds no state of its own: each aggregate keeps its list of
versions exactly as its events have always built it (so stored events and snapshots read back as
before), and wraps that list in a `Versions` (or, when each version has an `effective_from`
date, a `DatedVersions`) to ask the questions every such setting has: the next version's
number, a version by its number, the latest, the one in force on a day, and whether a new
version may take effect on a date. Each context names the errors (subclasses of its own error
and of the ones here) and passes them in a `Setting`, so callers catch what they always caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, Protocol, TypeVar

from config.errors import DomainError


class VersionError(DomainError):
    """The base of the versioned settings' errors."""


class NotInForceError(VersionError):
    """No version of the setting is in force on the day asked: none yet, or every one later."""


class EffectiveDateError(VersionError):
    """A new version may not take effect on that date."""


class NoSuchVersionError(VersionError):
    """There is no version of the setting with that number."""


@dataclass(frozen=True)
class Setting:
    """A versioned setting: what it is called in messages, the field its "in force" errors
    name, and the context's own errors to raise."""

    name: str  # "RAS grid", "tariff", "sign-off parameters"
    field: str  # "grid", "tariff", "policy"
    not_in_force: type[NotInForceError] = NotInForceError
    date_refused: type[EffectiveDateError] = EffectiveDateError
    no_such_version: type[NoSuchVersionError] = NoSuchVersionError


class Dated(Protocol):
    @property
    def effective_from(self) -> date: ...


V = TypeVar("V")
D = TypeVar("D", bound=Dated)


def _day(day: date) -> str:
    return f"{day:%-d %B %Y}"


@dataclass(frozen=True)
class Versions(Generic[V]):
    """The versions of one setting, oldest first, numbered from 1 in the order published."""

    setting: Setting
    items: Sequence[V]

    @property
    def next_number(self) -> int:
        """The number the next version published gets."""
        return len(self.items) + 1

    @property
    def current_number(self) -> int:
        """The latest version's number; 0 before any is published."""
        return len(self.items)

    def number(self, number: int) -> V:
        if not 1 <= number <= len(self.items):
            raise self.setting.no_such_version(
                f"there is no {self.setting.name} version {number}",
                field=f"{self.setting.field}_version",
            )
        return self.items[number - 1]

    def latest(self) -> V:
        """The latest version: the one in force, for a setting whose versions take effect
        the moment they are published."""
        if not self.items:
            raise self.setting.not_in_force(
                f"the council has not set its {self.setting.name}", field=self.setting.field
            )
        return self.items[-1]


@dataclass(frozen=True)
class DatedVersions(Versions[D]):
    """Versions that each take effect from their own date, which may be in the future."""

    def in_force_if_any(self, day: date) -> D | None:
        """The version in force on the day: the latest whose date is on or before it."""
        started = [v for v in self.items if v.effective_from <= day]
        return max(started, key=lambda v: v.effective_from) if started else None

    def in_force(self, day: date) -> D:
        found = self.in_force_if_any(day)
        if found is None:
            raise self.setting.not_in_force(
                f"no {self.setting.name} is in force on {_day(day)}", field=self.setting.field
            )
        return found

    def check_effective_from(self, effective_from: date, *, today: date) -> None:
        """A new version takes effect after the latest one's date, so no two share a day, and,
        once there is one, not before today: what was in force on a past day stays as it was.
        (The first may start in the past: a council records the setting it already has.)"""
        if not self.items:
            return
        latest = self.items[-1].effective_from
        if effective_from <= latest:
            raise self.setting.date_refused(
                f"must be after the latest version's date ({_day(latest)})", field="effective_from"
            )
        if effective_from < today:
            raise self.setting.date_refused(
                "must be today or later: what was in force on a past day stays as it was",
                field="effective_from",
            )
