"""The base of every context's domain errors: a message, the field at fault, an HTTP status.

Pure Python (no Django), so domain modules can raise them; api/problems.py turns them
into problem details and pages into the GOV.UK error summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    status = 422

    def __init__(
        self, message: str, *, field: str | None = None, also: list[DomainError] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.also = also or []  # further refusals of the same command, shown together

    def all(self) -> list[DomainError]:
        return [self, *self.also]


def gather(checks: Mapping[str, Callable[[], T]]) -> dict[str, T]:
    """Run every check and refuse with all their errors at once, so a form can show each
    field at fault together rather than one per attempt."""
    results: dict[str, T] = {}
    errors: list[DomainError] = []
    for key, check in checks.items():
        try:
            results[key] = check()
        except DomainError as exc:
            errors.extend(exc.all())
    if errors:
        first = errors[0]
        raise type(first)(first.message, field=first.field, also=errors[1:])
    return results


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class NotAllowed(DomainError):
    """The caller may not do this to this thing (another provider's engagement, say)."""

    status = 403


class NotVisible(NotFound):
    """The actor may not see this thing, or it does not exist: the same answer either way
    (404), so nothing leaks. A page shows its 404 page rather than a form error, as the API
    answers 404."""
