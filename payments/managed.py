"""Managed-budget spend: what the council (or an Individual Service Fund provider) commissions
for a person from their budget, one service line at a time. Pure Python: no Django, no I/O.

A line names the provider, the period, the hours or units, the rate and the amount, and is
approved by finance (never by whoever recorded it). Approval posts it to the ledger as managed
spend against the right budget (Dr ``PB:<ref>:AVAILABLE`` / Cr ``PROVIDER:<id>:PAYABLE``,
refused if the budget cannot cover it), and the next payment run pays the provider. The person
sees each line on "My budget", as every entry of their budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError
from config.validation import clean_text
from ledger.money import MoneyError, check_pence, format_pence

NAMESPACE = UUID("6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f")
# Units are kept in hundredths (12.5 hours is 1250), so money never meets a float.
UNIT_SCALE = 100


class ServiceLineError(DomainError):
    pass


class ServiceLineStateError(ServiceLineError, Conflict):
    pass


class LineStatus(StrEnum):
    RECORDED = "recorded"
    APPROVED = "approved"  # posted to the ledger, payable
    REJECTED = "rejected"
    PAID = "paid"


@dataclass(frozen=True)
class LineFacts:
    """What the application found: whether the budget is managed (a council-managed or ISF
    part) and the provider's name."""

    budget_managed: bool
    provider_name: str


def service_line_id(budget: str, reference: str) -> UUID:
    return uuid5(NAMESPACE, f"service-line:{budget}:{reference.strip().upper()}")


def parse_units(value: object) -> int:
    """Hours or units as typed ("12.5", 12) into hundredths, refusing anything else."""
    try:
        units = Decimal(str(value).strip())
    except InvalidOperation:
        raise ServiceLineError("enter the hours or units, like 12.5", field="units") from None
    if not units.is_finite() or units <= 0 or units != units.quantize(Decimal("0.01")):
        raise ServiceLineError(
            "enter more than 0 hours or units, to at most two decimal places", field="units"
        )
    if units > 10_000:
        raise ServiceLineError("enter at most 10,000 hours or units", field="units")
    return int(units * UNIT_SCALE)


def line_amount(units: int, rate: int) -> int:
    """Units (hundredths) × rate (pence a unit), rounded half up to the penny."""
    return (units * rate * 2 + UNIT_SCALE) // (2 * UNIT_SCALE)


class ServiceLine(Aggregate):
    @event("Recorded")
    def __init__(
        self,
        budget: str,
        reference: str,
        provider: UUID,
        provider_name: str,
        description: str,
        period_start: date,
        period_end: date,
        units: int,
        rate: int,
        amount: int,
        actor: str,
    ) -> None:
        self.budget = budget
        self.reference = reference
        self.provider = provider
        self.provider_name = provider_name
        self.description = description
        self.period_start = period_start
        self.period_end = period_end
        self.units = units
        self.rate = rate
        self.amount = amount
        self.recorded_by = actor
        self.status = LineStatus.RECORDED
        self.entry: UUID | None = None
        self.decision_reason = ""

    @staticmethod
    def create_id(budget: str, reference: str) -> UUID:  # type: ignore[override]
        return service_line_id(budget, reference)

    @classmethod
    def record(
        cls,
        *,
        budget: str,
        reference: object,
        provider: UUID,
        description: object,
        period_start: date,
        period_end: date,
        units: object,
        rate: object,
        amount: object | None,
        facts: LineFacts,
        actor: str,
    ) -> ServiceLine:
        ref = clean_text(reference, field="reference", limit=35, error=ServiceLineError).upper()
        what = clean_text(description, field="description", limit=300, error=ServiceLineError)
        if period_end < period_start:
            raise ServiceLineError("the period must end on or after it starts", field="period_end")
        hundredths = parse_units(units)
        try:
            pence = check_pence(rate)
        except MoneyError as exc:
            raise ServiceLineError(str(exc), field="rate") from None
        total = line_amount(hundredths, pence)
        if amount is not None and amount != total:
            given = format_pence(amount) if isinstance(amount, int) else str(amount)
            raise ServiceLineError(
                f"{Decimal(hundredths) / UNIT_SCALE} at {format_pence(pence)} is"
                f" {format_pence(total)}, not {given}",
                field="amount",
            )
        if not facts.budget_managed:
            raise ServiceLineError(
                f"the budget {budget} has no council-managed or Individual Service Fund part:"
                " its money is paid as a direct payment",
                field="budget",
            )
        return cls(
            budget,
            ref,
            provider,
            facts.provider_name,
            what,
            period_start,
            period_end,
            hundredths,
            pence,
            total,
            actor,
        )

    def check_status(self, *allowed: LineStatus, doing: str) -> None:
        if self.status not in allowed:
            raise ServiceLineStateError(
                f"cannot {doing}: the service line is {self.status.value}", field="status"
            )

    def check_approver(self, actor: str) -> None:
        self.check_status(LineStatus.RECORDED, doing="approve")
        if actor == self.recorded_by:
            raise ServiceLineError(
                "a service line is approved by someone other than who recorded it",
                field="approver",
            )

    def record_payable(self, *, entry: UUID, actor: str) -> None:
        self.check_approver(actor)
        self._approved(entry, actor)

    @event("Approved")
    def _approved(self, entry: UUID, actor: str) -> None:
        self.entry = entry
        self.status = LineStatus.APPROVED

    def reject(self, *, actor: str, reason: object) -> None:
        self.check_status(LineStatus.RECORDED, doing="reject")
        why = clean_text(reason, field="reason", limit=1000, error=ServiceLineError)
        self._rejected(actor, why)

    @event("Rejected")
    def _rejected(self, actor: str, reason: str) -> None:
        self.status = LineStatus.REJECTED
        self.decision_reason = reason

    def record_paid(self) -> None:
        if self.status is LineStatus.APPROVED:
            self._paid()

    @event("Paid")
    def _paid(self) -> None:
        self.status = LineStatus.PAID

    @property
    def label(self) -> str:
        period = f"{self.period_start:%-d %b}–{self.period_end:%-d %b %Y}"
        return f"{self.description} ({self.provider_name}, {period})"
