"""Provider invoices. Pure Python: no Django, no I/O.

A provider invoices what its engagement earned, on the tariff:

- the **support-plan fee** (Doncaster's £450): once per plan, payable once the plan is signed off;
- the **annual-review fee** (£200): once per review year, payable once that provider's annual
  review is recorded;
- **money management**, per four-weekly tariff period.

What the invoice claims is a ``Claim`` (its id from what is claimed: the engagement's plan, the
person's review year, the engagement's period), saved in the same transaction as the
``Invoice`` (its id from the provider and its invoice number). So a second invoice for the same
fee, or a reused number, is refused by the event store itself, however many are submitted at
once: exactly one wins. A rejected invoice gives its claim back, for a corrected one.

The application finds the facts (``InvoiceFacts``: the register, the marketplace, the plan, the
tariff, each as it stood on the service date) and the domain decides here, each rule a named
check raising a named error with the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError
from config.validation import clean_text
from ledger.money import MoneyError, check_pence, format_pence

NAMESPACE = UUID("1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6")


class InvoiceError(DomainError):
    pass


class DuplicateClaimError(InvoiceError, Conflict):
    pass


class InvoiceNumberReusedError(InvoiceError, Conflict):
    pass


class InvoiceStateError(InvoiceError, Conflict):
    pass


class FeeKind(StrEnum):
    SUPPORT_PLAN = "support_plan"
    ANNUAL_REVIEW = "annual_review"
    MONEY_MANAGEMENT = "money_management"

    @property
    def label(self) -> str:
        return {
            "support_plan": "support-plan fee",
            "annual_review": "annual-review fee",
            "money_management": "money-management fee",
        }[self.value]


class InvoiceStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"  # its provider fee is in the ledger, payable
    REJECTED = "rejected"
    CREDITED = "credited"  # a credit note cancelled it after approval, before payment
    PAID = "paid"


@dataclass(frozen=True)
class InvoiceFacts:
    """What the application found, as it stood on the service date."""

    accredited: bool  # the provider's service was accredited on the service date
    engagement_provider: UUID | None  # None: no such engagement
    engagement_person: str
    engagement_active: bool  # started on or before the service date, not ended before it
    engagement_started: date | None
    agreed_price: int  # the engagement's price (the tariff, or the provider's approved offer)
    tariff_fee: int | None  # the tariff's fee of this kind in force on the service date
    payable: bool  # the plan signed off / the provider's review recorded for that year
    payable_reason: str  # why not, in the words a provider understands
    commitment: str = ""  # the hold the fee was committed by, if any (payments/commitments.py)
    variance: int | None = None  # a fee the council approved for this engagement instead


def invoice_id(provider: UUID, number: str) -> UUID:
    return uuid5(NAMESPACE, f"invoice:{provider}:{number.strip().upper()}")


# Money management is charged per four-weekly tariff period of the engagement.
MONEY_MANAGEMENT_PERIOD_DAYS = 28


def claim_key(
    kind: FeeKind,
    *,
    engagement: UUID,
    person: str,
    service_date: date,
    started_on: date | None = None,
) -> str:
    """What the fee is claimed for, once: the plan (per engagement), the review year (per
    person: one review fee a year, whichever provider), the engagement's four-weekly period
    the service date falls in (counted from the day it started)."""
    if kind is FeeKind.SUPPORT_PLAN:
        return f"plan-fee:{engagement}"
    if kind is FeeKind.ANNUAL_REVIEW:
        return f"review-fee:{person}:{_review_year(service_date)}"
    period = (service_date - (started_on or service_date)).days // MONEY_MANAGEMENT_PERIOD_DAYS
    return f"money-management:{engagement}:P{period + 1}"


def _review_year(day: date) -> str:
    """The financial year (from 1 April) the review falls in: "2026-27"."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def claim_id(key: str) -> UUID:
    return uuid5(NAMESPACE, f"claim:{key}")


class Claim(Aggregate):
    """A fee claimed once: which invoice holds it (none after a rejection)."""

    @event("Claimed")
    def __init__(self, key: str, invoice: UUID) -> None:
        self.key = key
        self.invoice: UUID | None = invoice

    @staticmethod
    def create_id(key: str) -> UUID:  # type: ignore[override]
        return claim_id(key)

    def check_free(self, label: str) -> None:
        if self.invoice is not None:
            raise DuplicateClaimError(
                f"the {label} for this was invoiced already (invoice {self.invoice}): it is paid"
                " once",
                field="fee",
            )

    def take(self, invoice: UUID) -> None:
        self._taken(invoice)

    @event("Taken")
    def _taken(self, invoice: UUID) -> None:
        self.invoice = invoice

    def give_back(self) -> None:
        self._given_back()

    @event("GivenBack")
    def _given_back(self) -> None:
        self.invoice = None


class Invoice(Aggregate):
    @event("Submitted")
    def __init__(
        self,
        provider: UUID,
        number: str,
        kind: str,
        engagement: UUID,
        person: str,
        service_date: date,
        amount: int,
        claim: str,
        actor: str,
        note: str,
        commitment: str = "",  # invoices submitted before it was kept have none
    ) -> None:
        self.provider = provider
        self.number = number
        self.kind = FeeKind(kind)
        self.engagement = engagement
        self.person = person
        self.service_date = service_date
        self.amount = amount
        self.claim = claim
        self.submitted_by = actor
        self.note = note
        self.commitment = commitment
        self.status = InvoiceStatus.SUBMITTED
        self.approvals: list[str] = []
        self.decision_reason = ""
        self.entry: UUID | None = None

    @staticmethod
    def create_id(provider: UUID, number: str) -> UUID:  # type: ignore[override]
        return invoice_id(provider, number)

    @classmethod
    def submit(
        cls,
        *,
        provider: UUID,
        number: object,
        kind: object,
        engagement: UUID,
        service_date: date,
        amount: object,
        facts: InvoiceFacts,
        today: date,
        actor: str,
        note: object = "",
    ) -> Invoice:
        """Every rule of a provider's invoice; the first refusal names its field."""
        fee = check_kind(kind)
        cleaned_number = clean_text(number, field="number", limit=35, error=InvoiceError).upper()
        pence = check_amount(amount)
        if service_date > today:
            raise InvoiceError("the service date cannot be in the future", field="service_date")
        if facts.engagement_provider is None or facts.engagement_provider != provider:
            raise InvoiceError("no engagement of yours matches this invoice", field="engagement")
        if not facts.accredited:
            raise InvoiceError(
                f"your service was not accredited on {service_date:%-d %B %Y}, the service date",
                field="service_date",
            )
        if not facts.engagement_active:
            raise InvoiceError(
                f"the engagement was not active on {service_date:%-d %B %Y}", field="service_date"
            )
        # The price agreed for the engagement: the tariff in force when it was chosen, or the
        # provider's own lower offer (what was held and committed for it), or a variance the
        # council approved for it.
        if pence != facts.agreed_price and pence != facts.variance:
            tariff = (
                f" (the tariff on that day is {format_pence(facts.tariff_fee)})"
                if facts.tariff_fee is not None and facts.tariff_fee != facts.agreed_price
                else ""
            )
            variance = (
                f" or the approved variance of {format_pence(facts.variance)}"
                if facts.variance is not None
                else ""
            )
            raise InvoiceError(
                f"the {fee.label} agreed for this engagement is"
                f" {format_pence(facts.agreed_price)}{tariff}{variance},"
                f" not {format_pence(pence)}",
                field="amount",
            )
        if facts.tariff_fee is None:
            raise InvoiceError(
                f"no tariff was in force on {service_date:%-d %B %Y}", field="service_date"
            )
        if not facts.payable:
            raise InvoiceError(facts.payable_reason, field="fee")
        return cls(
            provider,
            cleaned_number,
            fee.value,
            engagement,
            facts.engagement_person,
            service_date,
            pence,
            claim_key(
                fee,
                engagement=engagement,
                person=facts.engagement_person,
                service_date=service_date,
                started_on=facts.engagement_started,
            ),
            actor,
            clean_text(note, field="note", limit=1000, required=False, error=InvoiceError),
            facts.commitment,
        )

    def check_status(self, *allowed: InvoiceStatus, doing: str) -> None:
        if self.status not in allowed:
            raise InvoiceStateError(
                f"cannot {doing}: the invoice is {self.status.value}", field="status"
            )

    def approve(self, *, actor: str, approvals_needed: int) -> bool:
        """Record an approval; True when it is the last one needed (two people where the
        council says so, never the same one twice, never the provider's own staff)."""
        self.check_status(InvoiceStatus.SUBMITTED, doing="approve")
        if actor in self.approvals:
            raise InvoiceError("a second approval must come from someone else", field="approver")
        self._approved(actor)
        return len(self.approvals) >= approvals_needed

    @event("Approved")
    def _approved(self, actor: str) -> None:
        self.approvals.append(actor)

    def record_payable(self, entry: UUID) -> None:
        self.check_status(InvoiceStatus.SUBMITTED, doing="record its payable")
        self._payable(entry)

    @event("MadePayable")
    def _payable(self, entry: UUID) -> None:
        self.entry = entry
        self.status = InvoiceStatus.APPROVED

    def reject(self, *, actor: str, reason: object) -> None:
        self.check_status(InvoiceStatus.SUBMITTED, doing="reject")
        self._rejected(actor, clean_text(reason, field="reason", limit=1000, error=InvoiceError))

    @event("Rejected")
    def _rejected(self, actor: str, reason: str) -> None:
        self.status = InvoiceStatus.REJECTED
        self.decision_reason = reason

    def credit(self, *, actor: str, reason: object) -> None:
        """A credit note for the whole invoice, approved and not yet paid: its payable is taken
        back and its fee may be invoiced again. A paid invoice is recovered, not credited."""
        if self.status is InvoiceStatus.PAID:
            raise InvoiceStateError(
                "this invoice is paid: its money is recovered from the provider, not credited",
                field="status",
            )
        self.check_status(InvoiceStatus.APPROVED, doing="credit")
        why = clean_text(reason, field="reason", limit=1000, error=InvoiceError)
        self._credited(actor, why)

    @event("Credited")
    def _credited(self, actor: str, reason: str) -> None:
        self.status = InvoiceStatus.CREDITED
        self.decision_reason = reason

    def record_paid(self) -> None:
        if self.status is InvoiceStatus.APPROVED:
            self._paid()

    @event("Paid")
    def _paid(self) -> None:
        self.status = InvoiceStatus.PAID


def check_kind(kind: object) -> FeeKind:
    try:
        return FeeKind(str(kind))
    except ValueError:
        raise InvoiceError(
            "choose the fee: " + ", ".join(k.label for k in FeeKind), field="kind"
        ) from None


def check_amount(amount: object) -> int:
    try:
        return check_pence(amount)
    except MoneyError as exc:
        raise InvoiceError(str(exc), field="amount") from None
