"""The base of every context's domain errors: a message, the field at fault, an HTTP status.

Pure Python (no Django), so domain modules can raise them; api/problems.py turns them
into problem details and pages into the GOV.UK error summary.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class NotAllowed(DomainError):
    """The caller may not do this to this thing (another provider's engagement, say)."""

    status = 403
