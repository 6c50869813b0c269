"""Approved variances: a fee the council agrees to pay at other than the tariff for one
engagement (a plan for someone whose needs make it much more work, say). Pure Python.

A team manager or finance officer approves it, with a reason; an invoice for that fee of that
engagement may then be for the variance's amount instead of the agreed price. A later approval
replaces the one before, and each stays in the history.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import DomainError
from config.validation import clean_text
from ledger.money import MoneyError, check_pence
from payments.invoices import FeeKind

NAMESPACE = UUID("0f5e2d1c-3b4a-4c69-8d7e-6f5a4b3c2d1e")


class VarianceError(DomainError):
    pass


def variance_id(engagement: UUID, kind: FeeKind) -> UUID:
    return uuid5(NAMESPACE, f"variance:{engagement}:{kind.value}")


class FeeVariance(Aggregate):
    """The variance in force for one engagement's fee of one kind, and those before it."""

    @event("Opened")
    def __init__(self, engagement: UUID, kind: str) -> None:
        self.engagement = engagement
        self.kind = FeeKind(kind)
        self.amount: int | None = None
        self.reason = ""
        self.approved_by = ""
        self.history: list[tuple[int, str, str]] = []  # (pence, reason, approved by)

    @staticmethod
    def create_id(engagement: UUID, kind: str) -> UUID:  # type: ignore[override]
        return variance_id(engagement, FeeKind(kind))

    def approve(self, *, amount: object, reason: object, actor: str) -> None:
        try:
            pence = check_pence(amount)
        except MoneyError as exc:
            raise VarianceError(str(exc), field="amount") from None
        why = clean_text(reason, field="reason", limit=1000, error=VarianceError)
        self._approved(pence, why, actor)

    @event("Approved")
    def _approved(self, amount: int, reason: str, actor: str) -> None:
        self.amount, self.reason, self.approved_by = amount, reason, actor
        self.history.append((amount, reason, actor))
