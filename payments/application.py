"""The payments context's one door: its commands and queries, over its own event store.

Each command takes an ``Actor`` (payments/policies.py decides what it may do), loads what it
needs, lets the aggregates check their rules and saves once.

**Direct payments.** An agreement follows the budget's decision: its weekly direct-payment
part and the contribution netted off it come from the budget (budgets/budget.py
``BudgetFigures``), never typed in twice; the agreement adds the needs met, the payee and the
schedule (payments/direct_payments.py).

**Payment runs.** ``start_run`` picks, across every agreement, what is due on the rail by the
run's day and not yet paid, and records a ``Payment`` for each (a payment left unpaid by an
earlier run moves to this one); ``work_run`` then takes each payment through its steps in
batches (payments/runs.py): the payable posted to the ledger (key: the payment's own), the rail
asked to pay it (payments/rails.py, with an idempotency key from that entry), the settlement
posted. Each step is saved as soon as it is done, so a run killed anywhere and worked again
takes only the steps left, and pays nothing twice. A payment the ledger or the rail refuses
is recorded as failed with the reason, for finance; one that may succeed later (Stripe down)
is tried again by the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import get_topic

import payments.direct_payments
import payments.domain
import payments.dp_returns
import payments.invoices
import payments.managed
import payments.provider_banks
import payments.reconciliation
import payments.runs
import payments.surplus
import payments.variances
from config.actor import Actor
from config.applications import application
from config.errors import DomainError, NotFound
from config.transcodings import ContextApplication
from core.process import Downstream
from ledger.domain import ConflictError as LedgerConflictError
from ledger.domain import EntryDraft, HoldDraft, HoldStatus, LedgerError, Owner, entry_id, hold_id
from ledger.domain import HoldNotPendingError as LedgerHoldNotPendingError
from ledger.domain import NotFoundError as LedgerNotFoundError
from ledger.domain import OverdraftError as LedgerOverdraftError
from ledger.money import format_pence
from payments import commitments, policies
from payments.calendar import WorkingDays
from payments.commitments import HOLD_DAYS, committed_amount
from payments.direct_payments import (
    KEY_PREFIX,
    Amounts,
    DirectPaymentAgreement,
    DirectPaymentError,
    Due,
    Payee,
    Schedule,
    agreement_id,
)
from payments.invoices import (
    Claim,
    DuplicateClaimError,
    FeeKind,
    Invoice,
    InvoiceFacts,
    InvoiceNumberReusedError,
    InvoiceStateError,
    InvoiceStatus,
    check_kind,
    claim_id,
)
from payments.managed import (
    LineFacts,
    LineStatus,
    ServiceLine,
    ServiceLineError,
    ServiceLineStateError,
)
from payments.provider_banks import (
    ProviderBank,
    ProviderBankStateError,
    provider_bank_id,
)
from payments.rails import Outcome, Rail
from payments.runs import (
    Destination,
    Payment,
    PaymentError,
    PaymentRun,
    PaymentStatus,
    payment_id,
    run_id,
    settlement_key,
)
from payments.variances import FeeVariance, variance_id

LONDON = ZoneInfo("Europe/London")
RUN_BATCH = 200


class AgreementNotFoundError(DirectPaymentError, NotFound):
    pass


class RunNotFoundError(NotFound):
    pass


def payable(ref: str) -> str:
    return f"DP:{ref}:PAYABLE"


def provider_payable(provider: UUID) -> str:
    return f"PROVIDER:{provider}:PAYABLE"


class InvoiceNotFoundError(NotFound):
    pass


class ServiceLineNotFoundError(NotFound):
    pass


def at_start_of(day: date) -> datetime:
    """A pay date as the ledger's effective moment: its first minute in Europe/London."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class ReviewDue:
    """A direct-payment review due (regulation 7): when, why, and whether the worker was
    reminded."""

    budget: str
    due_on: date
    reason: str
    overdue: bool
    reminded: bool


@dataclass(frozen=True)
class RunReport:
    run: UUID
    paid: int
    failed: list[tuple[str, str]]
    skipped: list[tuple[str, str]]
    pending: int
    total_paid: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "paid": self.paid,
            "total_paid": self.total_paid,
            "failed": [list(f) for f in self.failed],
            "skipped": [list(s) for s in self.skipped],
            "pending": self.pending,
        }


class PaymentsApplication(Downstream, ContextApplication):
    name = "Payments"
    # The council's settings the application reads (config/applications.py passes Django's).
    env: ClassVar[dict[str, str]] = {"INVOICE_APPROVALS": "1"}
    domain_modules = (
        payments.domain,
        payments.direct_payments,
        payments.runs,
        payments.invoices,
        payments.managed,
        payments.provider_banks,
        payments.variances,
        payments.reconciliation,
        payments.surplus,
        payments.dp_returns,
    )

    # ------------------------------------------------------------------ fee variances
    def approve_variance(
        self,
        actor: Actor,
        *,
        engagement: UUID,
        kind: object,
        amount: object,
        reason: object,
        engaged: Callable[[UUID], object],
    ) -> FeeVariance:
        """Approve a fee other than the agreed price for one engagement (``engaged`` finds the
        engagement in the marketplace, or refuses one that is not there)."""
        policies.check_may_approve_variances(actor)
        fee = check_kind(kind)
        engaged(engagement)
        try:
            found: FeeVariance = self.repository.get(variance_id(engagement, fee))
        except AggregateNotFoundError:
            found = FeeVariance(engagement, fee.value)
        found.approve(amount=amount, reason=reason, actor=actor.id)
        self.save(found)
        return found

    def variances(self) -> Iterator[FeeVariance]:
        """Every variance approved, in the order they were first approved."""
        for originator in self._originators(FeeVariance.Opened):  # type: ignore[attr-defined]
            found: FeeVariance = self.repository.get(originator)
            yield found

    def variance_of(self, engagement: UUID, kind: FeeKind) -> int | None:
        try:
            found: FeeVariance = self.repository.get(variance_id(engagement, kind))
        except AggregateNotFoundError:
            return None
        return found.amount

    # ------------------------------------------------------------------ providers' banks
    def record_provider_bank(
        self,
        actor: Actor,
        provider: UUID,
        *,
        registered: Callable[[UUID], str],
        **details: object,
    ) -> ProviderBank:
        """A finance officer records a provider's bank details (for Bacs), saying how they were
        checked; paid to once a second officer confirms (payments/provider_banks.py).
        ``registered`` names the provider from the register, or refuses one not in it."""
        policies.check_may_keep_provider_banks(actor)
        registered(provider)
        bank = self.provider_bank(provider) or ProviderBank(provider)
        bank.record(actor=actor.id, **details)  # type: ignore[arg-type]
        self.save(bank)
        return bank

    def confirm_provider_bank(self, actor: Actor, provider: UUID) -> ProviderBank:
        policies.check_may_keep_provider_banks(actor)
        bank = self._provider_bank(provider)
        bank.confirm(actor=actor.id)
        self.save(bank)
        return bank

    def reject_provider_bank(self, actor: Actor, provider: UUID, *, reason: object) -> ProviderBank:
        policies.check_may_keep_provider_banks(actor)
        bank = self._provider_bank(provider)
        bank.reject(actor=actor.id, reason=reason)
        self.save(bank)
        return bank

    def provider_bank(self, provider: UUID) -> ProviderBank | None:
        try:
            found: ProviderBank = self.repository.get(provider_bank_id(provider))
        except AggregateNotFoundError:
            return None
        return found

    def _provider_bank(self, provider: UUID) -> ProviderBank:
        found = self.provider_bank(provider)
        if found is None:
            raise ProviderBankStateError("no bank details are recorded", field="account")
        return found

    # ------------------------------------------------------------------ agreements
    def agree_direct_payment(
        self,
        actor: Actor,
        *,
        budget_ref: str,
        needs: list[str],
        payee: Payee,
        has_capacity: bool,
        start: date,
        today: date,
        figures: Any,
        period_weeks: int | None = None,
        pro_rata: bool = True,
    ) -> UUID:
        """Agree the direct payment of a budget whose ``figures`` (its ``BudgetFigures``) the
        caller read from the budgets context."""
        policies.check_may_manage_direct_payments(actor)
        amounts = Amounts.create(figures.direct_payment_weekly, figures.netted_weekly)
        agreement = DirectPaymentAgreement.agree(
            budget_ref=budget_ref,
            person=budget_ref,
            needs=needs,
            amounts=amounts,
            method=figures.method.value,
            start=start,
            today=today,
            payee=payee,
            has_capacity=has_capacity,
            actor=actor.id,
            period_weeks=period_weeks or figures.period_weeks,
            pro_rata=pro_rata,
        )
        try:
            self.save(agreement)
        except IntegrityError:
            raise DirectPaymentError(
                f"the budget {budget_ref} already has a direct-payment agreement: change it"
                " instead",
                field="budget_ref",
            ) from None
        return agreement.id

    def agreement(self, budget_ref: str) -> DirectPaymentAgreement:
        try:
            found: DirectPaymentAgreement = self.repository.get(agreement_id(budget_ref))
        except AggregateNotFoundError:
            raise AgreementNotFoundError(
                f"the budget {budget_ref} has no direct-payment agreement", field="budget_ref"
            ) from None
        return found

    def change_agreement(
        self, actor: Actor, budget_ref: str, change: Callable[[DirectPaymentAgreement], None]
    ) -> None:
        """Suspend, resume, stop, change amounts or payee, add a one-off: ``change`` calls the
        agreement's command (each records the actor it is given). A run that picked a payment
        from the agreement meanwhile makes the save conflict: the change is made again on the
        agreement as it is now."""
        policies.check_may_manage_direct_payments(actor)
        for attempt in range(5):
            agreement = self.agreement(budget_ref)
            change(agreement)
            try:
                self.save(agreement)
                return
            except IntegrityError:
                if attempt == 4:
                    raise

    def change_amounts(
        self,
        actor: Actor,
        budget_ref: str,
        *,
        on: date,
        amounts: Amounts,
        reason: str,
        today: date,
    ) -> None:
        """A case worker changes the amounts from ``on``: paid from the first period not yet
        paid, with the difference for any days before it (payments/direct_payments.py)."""
        self.change_agreement(
            actor,
            budget_ref,
            lambda a: a.change_amounts(
                on=on,
                amounts=amounts,
                reason=reason,
                actor=actor.id,
                paid_until=self.first_unpaid_period(a, on, today=today),
            ),
        )

    def follow_budget(
        self,
        budget_ref: str,
        *,
        figures: Any,
        on: date,
        reason: str,
        actor: str,
        source: str,
        today: date,
        tracking: Tracking | None,
    ) -> bool:
        """The budget revised or its contribution changed (its ``figures`` then, from the
        budgets context): the direct payment follows from its first unpaid period. False when
        nothing follows (no agreement, stopped, the same amounts, or done before)."""
        amounts = Amounts.create(figures.direct_payment_weekly, figures.netted_weekly)
        for attempt in range(5):
            try:
                agreement = self.agreement(budget_ref)
            except AgreementNotFoundError:
                return False
            if agreement.stopped_from is not None and on >= agreement.stopped_from:
                return False
            if amounts == agreement.amounts_on(on):
                return False
            agreement.change_amounts(
                on=on,
                amounts=amounts,
                reason=reason,
                actor=actor,
                paid_until=self.first_unpaid_period(agreement, on, today=today),
                source=source,
            )
            if not agreement.pending_events:
                return False  # recorded before (a parked step run again)
            try:
                self.save_tracked(agreement, tracking=tracking)
                return True
            except IntegrityError:
                # A run picked a payment from it meanwhile (worked out again, from what was
                # paid now), or another runner did this step (its position is recorded).
                if tracking is not None and self.is_tracked(tracking):
                    return False
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def first_unpaid_period(
        self, agreement: DirectPaymentAgreement, on: date, *, today: date
    ) -> date:
        """The start of the first period from ``on`` that no run has paid or picked: runs
        pay in order, so it follows the last period found paid (past any suspended gap),
        looking no further than 12 weeks ahead of today once none is found."""
        first = agreement.first_period_from(on)
        horizon = today + timedelta(weeks=12)
        for number, start, end in agreement.periods():
            if start < first:
                continue
            key = f"{KEY_PREFIX}{agreement.budget_ref}:P{number:02d}"
            if key in agreement.picked or self._payment_or_none(key) is not None:
                first = end + timedelta(days=1)
            elif start > horizon or (
                agreement.stopped_from is not None and start >= agreement.stopped_from
            ):
                break
        return first

    def dp_reviews_due(
        self, actor: Actor, *, today: date, within_days: int = 28
    ) -> list[ReviewDue]:
        """Direct-payment reviews (regulation 7) overdue or due within ``within_days``, soonest
        first."""
        policies.check_may_read_payments(actor)
        horizon = today + timedelta(days=within_days)
        found = []
        for agreement in self.agreements():
            if agreement.stopped_from is not None:
                continue
            due = agreement.review_due_on()
            if due <= horizon:
                found.append(
                    ReviewDue(
                        budget=agreement.budget_ref,
                        due_on=due,
                        reason=agreement.review_reason(),
                        overdue=due < today,
                        reminded=agreement.review_reminded_for == due,
                    )
                )
        return sorted(found, key=lambda r: (r.due_on, r.budget))

    def remind_dp_reviews(self, actor: Actor, *, today: date) -> int:
        """The daily job (as the system): each review due within four weeks, or overdue,
        reminded once per due date; the reminder is on the agreement for the worker's page
        (and for notices, when they are sent)."""
        policies.check_is_scheduled_job(actor)
        reminded = 0
        for agreement in self.agreements():
            if agreement.remind_review(today=today):
                self.save(agreement)
                reminded += 1
        return reminded

    def schedule(self, budget_ref: str, calendar: WorkingDays, *, until: date) -> Schedule:
        return self.agreement(budget_ref).schedule(calendar, until=until)

    def agreements(self) -> Iterable[DirectPaymentAgreement]:
        """Every agreement, in the order they were made (from the log's Agreed events)."""
        for originator in self._originators(DirectPaymentAgreement.Agreed):  # type: ignore[attr-defined]
            agreement: DirectPaymentAgreement = self.repository.get(originator)
            yield agreement

    def _originators(self, event_class: type[Any]) -> Iterator[UUID]:
        """The aggregates that recorded an event of ``event_class``, in the log's order (a
        scan of the notification log by topic: no read model needed, so never behind)."""
        topic = get_topic(event_class)
        start = 1
        while True:
            found = self.recorder.select_notifications(start, 500, topics=[topic])
            for notification in found:
                yield UUID(str(notification.originator_id))
            if len(found) < 500:
                return
            start = found[-1].id + 1

    # ------------------------------------------------------------------ invoices
    def submit_invoice(
        self,
        actor: Actor,
        *,
        engagement: UUID,
        number: object,
        kind: object,
        service_date: date,
        amount: object,
        today: date,
        facts_of: Callable[[UUID, UUID, FeeKind, date], InvoiceFacts],
        note: object = "",
    ) -> UUID:
        """A provider's invoice against its engagement (payments/invoices.py decides). The
        invoice and its claim are saved together: a second invoice for the same fee, or a
        reused number, is refused even when both arrive at once."""
        policies.check_may_invoice(actor)
        provider = actor.organisation
        assert provider is not None
        fee = check_kind(kind)
        facts = facts_of(provider, engagement, fee, service_date)
        invoice = Invoice.submit(
            provider=provider,
            number=number,
            kind=fee,
            engagement=engagement,
            service_date=service_date,
            amount=amount,
            facts=facts,
            today=today,
            actor=actor.id,
            note=note,
        )
        if self._invoice_or_none(invoice.id) is not None:
            raise InvoiceNumberReusedError(
                f"you have used invoice number {invoice.number} before: give each invoice its"
                " own number",
                field="number",
            )
        claim = self._claim_or_none(invoice.claim)
        if claim is None:
            claim = Claim(invoice.claim, invoice.id)
        else:
            claim.check_free(fee.label)
            claim.take(invoice.id)
        try:
            self.save(invoice, claim)
        except IntegrityError:
            if self._invoice_or_none(invoice.id) is not None:
                raise InvoiceNumberReusedError(
                    f"you have used invoice number {invoice.number} before: give each invoice"
                    " its own number",
                    field="number",
                ) from None
            raise DuplicateClaimError(
                f"the {fee.label} for this was invoiced already: it is paid once", field="fee"
            ) from None
        return invoice.id

    def get_invoice(self, invoice: UUID) -> Invoice:
        found = self._invoice_or_none(invoice)
        if found is None:
            raise InvoiceNotFoundError(f"no invoice {invoice}", field="invoice")
        return found

    def approve_invoice(
        self, actor: Actor, invoice: UUID, *, journal: Any, approvals_needed: int | None = None
    ) -> Invoice:
        """Finance approves; with the last approval the council asks for (``INVOICE_APPROVALS``,
        unless given), the fee becomes the provider's payable in the ledger (docs/ledger.md
        3.10), keyed by the invoice, then paid by a run."""
        policies.check_may_decide_invoices(actor)
        found = self.get_invoice(invoice)
        if found.status is not InvoiceStatus.SUBMITTED:
            found.check_status(InvoiceStatus.SUBMITTED, doing="approve")
        needed = approvals_needed or self.approvals_needed
        if not found.approve(actor=actor.id, approvals_needed=needed):
            self._save_decision(found)
            return found
        self._open_provider_payable(found.provider, journal)
        # Out of what its hold committed: posted now if its manager has not run yet (the fee is
        # payable, so what it waited for has happened), else out of what is available.
        # Invoices from before they named their commitment: a plan fee's was its price.
        committed = found.amount if found.kind is FeeKind.SUPPORT_PLAN else 0
        if found.commitment:
            with suppress(LedgerNotFoundError):  # nothing was ever held for it
                commitments.post(
                    journal,
                    found.commitment,
                    reason=f"Invoice {found.number} approved: the fee is committed",
                    effective_at=datetime.now(UTC),
                )
            committed = committed_amount(journal.ledger, found.commitment)
        entry = self._post_once(journal, _fee_draft(found, actor, committed=committed))
        found.record_payable(entry)
        self._save_decision(found, undo=(journal, entry))
        return found

    @property
    def approvals_needed(self) -> int:
        """How many finance officers approve an invoice (the council's setting)."""
        return int(self.env.get("INVOICE_APPROVALS") or 1)

    def reject_invoice(
        self, actor: Actor, invoice: UUID, *, reason: object, journal: Any = None
    ) -> Invoice:
        policies.check_may_decide_invoices(actor)
        found = self.get_invoice(invoice)
        found.reject(actor=actor.id, reason=reason)
        claim = self._claim_or_none(found.claim)
        if claim is not None and claim.invoice == found.id:
            claim.give_back()  # a corrected invoice may claim the fee
        self._save_decision(found, *([claim] if claim is not None else []))
        self._reverse_orphan(journal, f"payments:invoice:{found.id}:approve", "rejected")
        return found

    def credit_invoice(
        self, actor: Actor, invoice: UUID, *, reason: object, journal: Any
    ) -> Invoice:
        """A credit note: an approved invoice not yet paid is cancelled, its provider fee
        reversed (with the reason and the officer), and its fee free to be invoiced again."""
        policies.check_may_decide_invoices(actor)
        found = self.get_invoice(invoice)
        found.credit(actor=actor.id, reason=reason)
        payment = self._payment_or_none(invoice_payment_key(found.id))
        if payment is not None and payment.rail_ref:
            raise InvoiceStateError(
                "this invoice's payment is with the rail already: recover it once it is paid",
                field="status",
            )
        claim = self._claim_or_none(found.claim)
        if claim is not None and claim.invoice == found.id:
            claim.give_back()
        self._save_decision(found, *([claim] if claim is not None else []))
        assert found.entry is not None
        journal.reverse_entry(
            entry=found.entry,
            reason=f"Credit note for invoice {found.number}: {found.decision_reason}",
        )
        return found

    def _post_once(self, journal: Any, draft: EntryDraft) -> UUID:
        """Post ``draft``; if an approval that crashed before it was saved posted it already
        (its body dated then, so not the same), the entry posted then is the one."""
        try:
            return UUID(str(journal.post_entry(draft).id))
        except LedgerConflictError as conflict:
            if conflict.field != "idempotency_key":
                raise
            existing = entry_id(draft.idempotency_key)
            journal.ledger.get_entry(existing)  # it is there, or the conflict stands
            return existing

    def _save_decision(self, *decided: Any, undo: tuple[Any, UUID] | None = None) -> None:
        """Save a decision; if another decision on it was saved meanwhile (an approval racing a
        rejection), refuse, and take back any entry this one posted."""
        try:
            self.save(*decided)
        except IntegrityError:
            if undo is not None:
                journal, entry = undo
                journal.reverse_entry(
                    entry=entry, reason="Decided otherwise at the same moment: not approved"
                )
            raise InvoiceStateError(
                "someone decided this at the same moment: look at it again", field="status"
            ) from None

    def _reverse_orphan(
        self, journal: Any, key: str | None, why: str, *, entry: UUID | None = None
    ) -> None:
        """An approval that crashed after it posted and before it was saved left an entry for
        a decision never recorded (keyed by ``key``, or the ``entry`` itself): a rejection
        takes it back."""
        if journal is None:
            return
        try:
            found = journal.ledger.get_entry(entry or entry_id(key or ""))
        except LedgerNotFoundError:
            return
        if found.reversed_by is None:
            journal.reverse_entry(entry=found.id, reason=f"The approval was never recorded: {why}")

    def _invoice_or_none(self, invoice: UUID) -> Invoice | None:
        try:
            found: Invoice = self.repository.get(invoice)
        except AggregateNotFoundError:
            return None
        return found

    def _claim_or_none(self, key: str) -> Claim | None:
        try:
            found: Claim = self.repository.get(claim_id(key))
        except AggregateNotFoundError:
            return None
        return found

    def _open_provider_payable(self, provider: UUID, journal: Any) -> None:
        code = provider_payable(provider)
        if journal.ledger.missing_accounts([code]):
            journal.open_account(
                code=code,
                name=f"Provider {provider}: approved invoices payable",
                type="liability",
                owner_kind="provider",
                owner_id=str(provider),
            )

    # ------------------------------------------------------------------ managed spend
    def record_service_line(
        self,
        actor: Actor,
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
        facts_of: Callable[[str, UUID], LineFacts],
        journal: Any,
    ) -> UUID:
        """A commissioned service line for a person's managed budget (payments/managed.py).
        Its amount is held against the budget at once (an order the budget cannot cover is
        refused, nothing recorded), and approval posts the hold."""
        policies.check_may_record_service_lines(actor, provider=provider)
        line = ServiceLine.record(
            budget=budget,
            reference=reference,
            provider=provider,
            description=description,
            period_start=period_start,
            period_end=period_end,
            units=units,
            rate=rate,
            amount=amount,
            facts=facts_of(budget, provider),
            actor=actor.id,
        )
        self._hold_line(journal, line, actor)
        try:
            self.save(line)
        except IntegrityError:
            raise ServiceLineStateError(
                f"a service line {line.reference} is already recorded for {budget}: give each"
                " its own reference",
                field="reference",
            ) from None
        return line.id

    def _hold_line(self, journal: Any, line: ServiceLine, actor: Actor) -> None:
        """Hold the line's spend, keyed by the line; a hold left by an attempt that died
        before saving its line (the same spend) is taken as this one's."""
        self._open_provider_payable(line.provider, journal)
        draft = _line_hold(line, actor)
        try:
            journal.hold(draft)
            return
        except LedgerOverdraftError as short:
            raise ServiceLineError(
                f"the budget cannot cover {format_pence(line.amount)}: {short}", field="amount"
            ) from None
        except LedgerConflictError:
            found = journal.ledger.get_hold(hold_id(draft.idempotency_key))
        duplicate = ServiceLineStateError(
            f"a service line {line.reference} is already recorded for {line.budget}: give each"
            " its own reference",
            field="reference",
        )
        try:
            self.repository.get(line.id)
            raise duplicate
        except AggregateNotFoundError:
            pass
        if found.status is not HoldStatus.PENDING or list(found.legs) != list(draft.legs):
            raise duplicate

    def get_service_line(self, line: UUID) -> ServiceLine:
        try:
            found: ServiceLine = self.repository.get(line)
        except AggregateNotFoundError:
            raise ServiceLineNotFoundError(f"no service line {line}", field="line") from None
        return found

    def approve_service_line(self, actor: Actor, line: UUID, *, journal: Any) -> ServiceLine:
        """Finance approves: the line is posted as managed spend against the budget (refused,
        and nothing recorded, when the budget cannot cover it), then paid by the next run."""
        policies.check_may_decide_invoices(actor)
        found = self.get_service_line(line)
        found.check_approver(actor.id)
        self._open_provider_payable(found.provider, journal)
        hold = _hold_or_none(journal, line_hold_key(found.id))
        if hold is not None and hold.status is HoldStatus.POSTED:
            entry = hold.entry  # posted by an approval that crashed before it was saved
        elif hold is not None and hold.status is HoldStatus.PENDING:  # the order, as the spend
            why = f"Service line {found.reference} approved: {found.label}"
            entry = UUID(str(journal.post_hold(hold=hold.id, reason=why).id))
        else:  # recorded without a hold (before holds were kept), or it expired
            entry = self._post_once(journal, _line_draft(found, actor))
        found.record_payable(entry=entry, actor=actor.id)
        self._save_decision(found, undo=(journal, entry))
        return found

    def reject_service_line(
        self, actor: Actor, line: UUID, *, reason: object, journal: Any = None
    ) -> ServiceLine:
        policies.check_may_decide_invoices(actor)
        found = self.get_service_line(line)
        found.reject(actor=actor.id, reason=reason)
        self._save_decision(found)
        self._reverse_orphan(journal, f"payments:managed:{found.id}:approve", "rejected")
        hold = _hold_or_none(journal, line_hold_key(found.id)) if journal is not None else None
        if hold is not None and hold.status is HoldStatus.PENDING:
            with suppress(LedgerHoldNotPendingError):  # posted this moment: taken back below
                journal.void_hold(hold=hold.id, reason=f"Rejected: {found.decision_reason}")
            hold = journal.ledger.get_hold(hold.id)
        if hold is not None and hold.status is HoldStatus.POSTED and hold.entry is not None:
            # Posted by an approval that crashed (or lost to this rejection): taken back.
            self._reverse_orphan(journal, None, "rejected", entry=hold.entry)
        return found

    def approved_service_lines(self) -> Iterable[ServiceLine]:
        for originator in self._originators(ServiceLine.Approved):  # type: ignore[attr-defined]
            found = self.get_service_line(originator)
            if found.status is LineStatus.APPROVED:
                yield found

    # ------------------------------------------------------------------ runs
    def start_run(
        self,
        actor: Actor,
        *,
        rail: Rail,
        run_on: date,
        calendar: WorkingDays,
        provider_of: Callable[[UUID], Destination] | None = None,
        today: date | None = None,
    ) -> UUID:
        """Record what the run carries: every payment due by ``run_on`` on ``rail`` and not
        yet paid, and (given ``provider_of``, where each provider is paid) every approved
        invoice not yet paid. Starting the same day's run again adds what became due.

        Each agreement a new payment is made from records it in the same save, so a change
        to the agreement saved meanwhile (its amounts, a suspension) makes this save conflict
        and the run is worked out again from what the agreement says now: a payment is never
        made at amounts the agreement no longer has."""
        policies.check_may_run_payments(actor)
        policies.check_run_day(actor, run_on, today=today or date.today())
        for attempt in range(5):
            try:
                return self._start_run(actor, rail, run_on, calendar, provider_of)
            except IntegrityError:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _start_run(
        self,
        actor: Actor,
        rail: Rail,
        run_on: date,
        calendar: WorkingDays,
        provider_of: Callable[[UUID], Destination] | None,
    ) -> UUID:
        keys: list[str] = []
        skipped: list[tuple[str, str]] = []
        new: list[Payment] = []
        moved: list[Payment] = []
        the_run = run_id(rail.name.value, run_on)
        # What this run carries: each payment's key, and how to make it if it is new.
        owed: list[tuple[str, Callable[[], Payment]]] = []
        made_from: dict[str, DirectPaymentAgreement] = {}  # a direct payment's agreement
        for agreement in self.agreements():
            # Far enough ahead for any lead: the rail's run day decides what this run takes.
            schedule = agreement.schedule(calendar, until=_ahead(run_on))
            for item in schedule.skipped:
                if rail.run_day(item.pay_on, calendar) <= run_on:
                    skipped.append((item.key, f"{item.label}: {item.reason}"))
            for due in schedule.due:
                if rail.run_day(due.pay_on, calendar) <= run_on:
                    owed.append((due.key, partial(_payment, due, rail, the_run)))
                    made_from[due.key] = agreement
        if provider_of is not None:
            owed += [
                (
                    invoice_payment_key(i.id),
                    partial(_invoice_payment, i, provider_of, rail, the_run, run_on),
                )
                for i in self.approved_invoices()
            ]
            owed += [
                (
                    line_payment_key(line.id),
                    partial(_line_payment, line, provider_of, rail, the_run, run_on),
                )
                for line in self.approved_service_lines()
            ]
        picked: dict[UUID, tuple[DirectPaymentAgreement, list[str]]] = {}
        for key, make in owed:
            existing = self._payment_or_none(key)
            if existing is None:
                new.append(make())
                if key in made_from:
                    agreement = made_from[key]
                    picked.setdefault(agreement.id, (agreement, []))[1].append(key)
            elif existing.status is PaymentStatus.PAID:
                continue
            elif not existing.rail_ref:
                existing.move_to(the_run)
                moved.append(existing)
            # A payment sent already stays in its run (its file, its transfer): this run
            # only settles it.
            keys.append(key)
        try:
            run: PaymentRun = self.repository.get(the_run)
            run.add(keys)
            run.restart(actor.id)
        except AggregateNotFoundError:
            run = PaymentRun(rail.name.value, run_on, run_on, actor.id, tuple(keys))
        run.record_skipped(skipped)
        for agreement, made in picked.values():
            agreement.record_picked(made, run=run.id)
        self.save(run, *new, *moved, *(a for a, _ in picked.values()))
        return run.id

    def approved_invoices(self) -> Iterable[Invoice]:
        """Invoices approved and not yet paid (from the log's MadePayable events)."""
        for originator in self._originators(Invoice.MadePayable):  # type: ignore[attr-defined]
            invoice = self.get_invoice(originator)
            if invoice.status is InvoiceStatus.APPROVED:
                yield invoice

    def get_run(self, run: UUID) -> PaymentRun:
        try:
            found: PaymentRun = self.repository.get(run)
        except AggregateNotFoundError:
            raise RunNotFoundError(f"no payment run {run}", field="run") from None
        return found

    def get_payment(self, key: str) -> Payment:
        found = self._payment_or_none(key)
        if found is None:
            raise DomainError(f"no payment {key}", field="payment")
        return found

    def _payment_or_none(self, key: str) -> Payment | None:
        try:
            found: Payment = self.repository.get(payment_id(key))
        except AggregateNotFoundError:
            return None
        return found

    def put_right(
        self, actor: Actor, key: str, *, destination: Destination, reason: object
    ) -> Payment:
        """A payment failed for good, put right by finance: tried again by the next run, to
        where its payee is paid now (``destination``, found by the caller)."""
        policies.check_may_run_payments(actor)
        payment = self.get_payment(key)
        why = str(reason or "").strip()
        if not why:
            raise PaymentError("say what was put right", field="reason")
        payment.put_right(destination=destination, actor=actor.id, reason=why[:1000])
        self.save(payment)
        return payment

    def confirm_transfer(self, key: str, transfer: str) -> str:
        """Stripe says it made ``transfer`` for the payment ``key`` (its webhook): record it
        sent if the run had not yet (it crashed after Stripe answered); the next run settles it."""
        payment = self._payment_or_none(key)
        if payment is None:
            return f"transfer {transfer}: no payment {key}"
        if payment.rail_ref:
            same = payment.rail_ref == transfer
            return f"payment {key} already sent" + ("" if same else f" as {payment.rail_ref}")
        payment.record_sent(transfer)
        self.save(payment)
        return f"payment {key} sent as {transfer}"

    def work_run(
        self,
        actor: Actor,
        run: UUID,
        *,
        rail: Rail,
        journal: Any,
        batch_size: int = RUN_BATCH,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> RunReport:
        """Take every payment of the run through the steps it has left, in batches; the
        ledger's ``journal`` is the payments context's own (``Owner.PAYMENTS``)."""
        policies.check_may_run_payments(actor)
        the_run = self.get_run(run)
        keys = list(the_run.keys)
        done = 0
        # Each payment as it stands now, loaded once: each step replaces one it had to load
        # again (a webhook recorded it meanwhile).
        now: dict[str, Payment] = {}
        for start in range(0, len(keys), batch_size):
            chunk = keys[start : start + batch_size]
            now.update((k, self.get_payment(k)) for k in chunk)
            mine = [k for k in chunk if now[k].run == the_run.id]
            self._post_payables(mine, now, journal, actor)
            self._nothing_to_pay(mine, now)
            if rail.name.value == "stripe":
                self._send(rail, [k for k in mine if _to_send(now[k])], now, the_run.run_on)
                # Sent by an earlier run and not yet settled (its settlement failed) too:
                # settled here, never sent again.
                self._settle(chunk, now, rail, journal, actor)
            done = min(start + batch_size, len(keys))
            the_run.progress(done)
            self.save(the_run)
            if on_progress is not None:
                on_progress(done, len(keys))
        if rail.name.value == "bacs":
            # What no file holds yet goes into a new file (payments/rails.py: never rewritten).
            mine = [k for k in now if now[k].run == the_run.id]
            self._send(rail, [k for k in mine if _to_send(now[k])], now, the_run.run_on)
            self._settle(list(now), now, rail, journal, actor)
        report = self.report(the_run, [p for p in now.values() if p.run == the_run.id])
        the_run.finish(report.as_dict())
        self.save(the_run)
        return report

    def report(self, run: PaymentRun, carried: list[Payment] | None = None) -> RunReport:
        """Paid; failed for good (finance puts it right: each with its reason); pending (not
        yet paid, or failed in a way the next run may get past, such as Stripe down)."""
        if carried is None:
            carried = [p for p in (self.get_payment(k) for k in run.keys) if p.run == run.id]
        paid = [p for p in carried if p.status is PaymentStatus.PAID]
        failed = [
            (p.key, p.failure)
            for p in carried
            if p.status is PaymentStatus.FAILED and not p.retryable
        ]
        return RunReport(
            run=run.id,
            paid=len(paid),
            failed=failed,
            skipped=list(run.skipped),
            pending=len(carried) - len(paid) - len(failed),
            total_paid=sum(p.net for p in paid),
        )

    # ------------------------------------------------------------------ the steps
    def _apply_steps(
        self, steps: Sequence[tuple[str, Callable[[Payment], None]]], now: dict[str, Payment]
    ) -> None:
        """Apply each step to its payment and save them together. When the save loses to a
        write made meanwhile (Stripe's webhook recording a transfer), each payment is loaded
        again, its step applied to that (each step finds what is done already) and saved."""
        for key, step in steps:
            step(now[key])
        try:
            self.save(*(now[key] for key, _ in steps))
        except IntegrityError:
            for key, step in steps:
                for attempt in range(5):
                    fresh = self.get_payment(key)
                    step(fresh)
                    try:
                        self.save(fresh)
                        break
                    except IntegrityError:
                        if attempt == 4:
                            raise
                now[key] = fresh

    def _post_payables(
        self, keys: Sequence[str], now: dict[str, Payment], journal: Any, actor: Actor
    ) -> None:
        todo = [k for k in keys if now[k].entry is None and _may_try(now[k])]
        if not todo:
            return
        self._open_payables({now[k].budget for k in todo}, journal)
        drafts = {k: _payable_draft(now[k], actor) for k in todo}
        posted: dict[str, UUID] = {}
        refused: dict[str, str] = {}
        try:
            recorded = journal.post_entries(list(drafts.values()))
            posted = {k: r.id for k, r in zip(todo, recorded, strict=True)}
        except (LedgerError, DomainError):
            # One refused entry refuses the batch: post each alone, to find which and why.
            for k in todo:
                try:
                    posted[k] = journal.post_entry(drafts[k]).id
                except (LedgerError, DomainError) as refusal:
                    refused[k] = f"the ledger refused the payable: {refusal}"

        def step(key: str) -> Callable[[Payment], None]:
            def apply(p: Payment) -> None:
                if key in posted:
                    p.record_posted(posted[key])
                elif p.entry is None:
                    p.record_failure(refused[key], retryable=False)

            return apply

        self._apply_steps([(k, step(k)) for k in todo], now)

    def _nothing_to_pay(self, keys: Sequence[str], now: dict[str, Payment]) -> None:
        """A period whose contribution meets it all: its payable entry (the budget consumed,
        the contribution met) is the whole of it; no rail is asked to pay 0p."""
        done = [k for k in keys if now[k].net == 0 and now[k].entry is not None]
        done = [k for k in done if not now[k].rail_ref]
        at = datetime.now(UTC)

        def apply(p: Payment) -> None:
            if not p.rail_ref and p.entry is not None:
                p.record_sent("nothing to pay")
                p.record_paid(p.entry, at)

        if done:
            self._apply_steps([(k, apply) for k in done], now)

    def _open_payables(self, budgets: set[str], journal: Any) -> None:
        missing = journal.ledger.missing_accounts([payable(ref) for ref in budgets])
        if missing:
            journal.open_accounts(
                [
                    {
                        "code": code,
                        "name": f"{code.split(':')[1]}: direct payments payable",
                        "type": "liability",
                        "owner_kind": "budget",
                        "owner_id": code.split(":")[1],
                    }
                    for code in missing
                ]
            )

    def _send(self, rail: Rail, keys: Sequence[str], now: dict[str, Payment], run_on: date) -> None:
        keys = self._not_cancelled(keys, now)
        if not keys:
            return
        outcomes: list[Outcome] = rail.send([now[k] for k in keys], run_on=run_on)

        def step(outcome: Outcome) -> Callable[[Payment], None]:
            def apply(p: Payment) -> None:
                if p.rail_ref:
                    return  # sent already (the webhook told us first)
                if outcome.sent:
                    p.record_sent(outcome.ref)
                else:
                    p.record_failure(outcome.failure, retryable=outcome.retryable)

            return apply

        self._apply_steps([(k, step(o)) for k, o in zip(keys, outcomes, strict=True)], now)

    def _not_cancelled(self, keys: Sequence[str], now: dict[str, Payment]) -> list[str]:
        """Leave out (failed for good, with why) a provider's payment whose invoice a credit
        note cancelled after the run picked it."""
        cancelled = [
            k
            for k in keys
            if now[k].kind == "invoice"
            and self.get_invoice(UUID(k.rsplit(":", 1)[1])).status is InvoiceStatus.CREDITED
        ]

        def apply(p: Payment) -> None:
            if not p.rail_ref:
                p.record_failure("the invoice was cancelled by a credit note", retryable=False)

        if cancelled:
            self._apply_steps([(k, apply) for k in cancelled], now)
        return [k for k in keys if k not in set(cancelled)]

    def _settle(
        self, keys: Sequence[str], now: dict[str, Payment], rail: Rail, journal: Any, actor: Actor
    ) -> None:
        todo = [k for k in keys if now[k].rail_ref and now[k].settlement is None]
        if not todo:
            return
        recorded = journal.post_entries([_settlement_draft(now[k], rail, actor) for k in todo])
        at = datetime.now(UTC)

        def step(entry: UUID) -> Callable[[Payment], None]:
            return lambda p: p.record_paid(entry, at)

        self._apply_steps([(k, step(r.id)) for k, r in zip(todo, recorded, strict=True)], now)
        paid_for: list[Any] = []  # what each payment paid: an invoice, a service line
        for k in todo:
            p = now[k]
            if p.kind == "invoice":
                invoice = self.get_invoice(UUID(p.key.rsplit(":", 1)[1]))
                invoice.record_paid()
                paid_for.append(invoice)
            elif p.kind == "managed":
                line = self.get_service_line(UUID(p.key.rsplit(":", 1)[1]))
                line.record_paid()
                paid_for.append(line)
        if paid_for:
            self.save(*paid_for)


def _ahead(run_on: date) -> date:
    """Far enough ahead of a run for any rail's lead (Bacs: three working days)."""
    return run_on + timedelta(days=21)


def _may_try(p: Payment) -> bool:
    return p.status is not PaymentStatus.FAILED or p.retryable


def _to_send(p: Payment) -> bool:
    return p.entry is not None and not p.rail_ref and _may_try(p)


def _payment(due: Due, rail: Rail, run: UUID) -> Payment:
    payee = due.payee
    return Payment(
        due.key,
        due.budget,
        "one_off" if due.one_off else "period",
        rail.name.value,
        Destination(
            name=payee.name,
            stripe_account=payee.stripe_account,
            sort_code=payee.bank.sort_code if payee.bank else "",
            account_number=payee.bank.account_number if payee.bank else "",
        ),
        due.gross,
        due.netted,
        due.pay_on,
        due.period_start,
        due.period_end,
        due.label,
        due.reason,
        run,
    )


def invoice_payment_key(invoice: UUID) -> str:
    return f"payments:invoice:{invoice}"


def _provider_payment(
    key: str,
    budget: str,
    kind: str,
    provider: UUID,
    entry: UUID | None,
    amount: int,
    period: tuple[date, date],
    label: str,
    reason: str,
    *,
    provider_of: Callable[[UUID], Destination],
    rail: Rail,
    run: UUID,
    run_on: date,
) -> Payment:
    """A provider's payment (an approved invoice or service line): its payable is the
    approval's entry, posted already; it pays off the provider's payable."""
    payment = Payment(
        key,
        budget,
        kind,
        rail.name.value,
        provider_of(provider),
        amount,
        0,
        run_on,
        period[0],
        period[1],
        label,
        reason,
        run,
        provider_payable(provider),
    )
    assert entry is not None
    payment.record_posted(entry)
    return payment


def _invoice_payment(
    invoice: Invoice,
    provider_of: Callable[[UUID], Destination],
    rail: Rail,
    run: UUID,
    run_on: date,
) -> Payment:
    return _provider_payment(
        invoice_payment_key(invoice.id),
        invoice.person,
        "invoice",
        invoice.provider,
        invoice.entry,
        invoice.amount,
        (invoice.service_date, invoice.service_date),
        f"Invoice {invoice.number} ({invoice.kind.label})",
        f"Invoice {invoice.number}: {invoice.kind.label}, {format_pence(invoice.amount)}",
        provider_of=provider_of,
        rail=rail,
        run=run,
        run_on=run_on,
    )


def line_payment_key(line: UUID) -> str:
    return f"payments:managed:{line}"


def _line_payment(
    line: ServiceLine,
    provider_of: Callable[[UUID], Destination],
    rail: Rail,
    run: UUID,
    run_on: date,
) -> Payment:
    return _provider_payment(
        line_payment_key(line.id),
        line.budget,
        "managed",
        line.provider,
        line.entry,
        line.amount,
        (line.period_start, line.period_end),
        line.label,
        f"Managed budget: {line.label}, {format_pence(line.amount)}",
        provider_of=provider_of,
        rail=rail,
        run=run,
        run_on=run_on,
    )


def line_hold_key(line: UUID) -> str:
    return f"payments:managed:{line}:order"


def _line_hold(line: ServiceLine, actor: Actor) -> HoldDraft:
    """The order held against the budget: the spend's own legs, posted as it on approval."""
    spend = _line_draft(line, actor)
    return HoldDraft.create(
        idempotency_key=line_hold_key(line.id),
        kind="managed_spend",
        legs=[leg.as_dict() for leg in spend.legs],
        effective_at=spend.effective_at,
        expires_at=spend.effective_at + timedelta(days=HOLD_DAYS),
        actor=actor.id,
        reason=f"Service line {line.reference} ordered: {line.label}, held until approved",
        budget=line.budget,
        source_document=spend.source_document,
    )


def _hold_or_none(journal: Any, key: str) -> Any:
    """The ledger's hold under ``key``, or None."""
    try:
        return journal.ledger.get_hold(hold_id(key))
    except LedgerNotFoundError:
        return None


def _line_draft(line: ServiceLine, actor: Actor) -> EntryDraft:
    """docs/ledger.md 3.15: managed spend, out of what the budget has available."""
    return EntryDraft.create(
        idempotency_key=f"payments:managed:{line.id}:approve",
        kind="managed_spend",
        legs=[
            {"account": f"PB:{line.budget}:AVAILABLE", "side": "debit", "amount": line.amount},
            {"account": provider_payable(line.provider), "side": "credit", "amount": line.amount},
        ],
        effective_at=datetime.now(UTC),
        actor=actor.id,
        reason=f"Service line {line.reference} approved: {line.label}",
        budget=line.budget,
        source_document=f"service-line:{line.budget}/{line.reference}",
    )


def _payable_draft(p: Payment, actor: Actor) -> EntryDraft:
    """docs/ledger.md 3.3: the budget is consumed by the gross; the council owes the net; the
    netted contribution meets that much of what the person owes."""
    legs = [
        {"account": f"PB:{p.budget}:AVAILABLE", "side": "debit", "amount": p.gross},
        {"account": payable(p.budget), "side": "credit", "amount": p.net},
    ]
    if p.netted:
        legs.append(
            {"account": f"CONTRIBUTION:{p.budget}:DUE", "side": "credit", "amount": p.netted}
        )
    legs = [leg for leg in legs if leg["amount"]]
    return EntryDraft.create(
        idempotency_key=p.key,
        kind="direct_payment",
        legs=legs,
        effective_at=at_start_of(p.pay_on),
        actor=actor.id,
        reason=p.reason,
        budget=p.budget,
        source_document=f"remittance:{p.key.removeprefix('payments:dp:').replace(':', '-')}",
    )


def _fee_draft(invoice: Invoice, actor: Actor, *, committed: int) -> EntryDraft:
    """The approved fee becomes the provider's payable: out of what its hold ``committed``
    (the plan fee posted at sign-off, a review fee at the review), the rest out of what the
    budget has available; a fee for less than was committed (an approved variance, a tariff
    that changed) gives the difference back to what is available."""
    ref = invoice.person
    legs = [
        {"account": provider_payable(invoice.provider), "side": "credit", "amount": invoice.amount}
    ]
    if committed:
        legs.append({"account": f"PB:{ref}:COMMITTED", "side": "debit", "amount": committed})
    difference = invoice.amount - committed
    if difference:
        side = "debit" if difference > 0 else "credit"
        legs.append({"account": f"PB:{ref}:AVAILABLE", "side": side, "amount": abs(difference)})
    return EntryDraft.create(
        idempotency_key=f"payments:invoice:{invoice.id}:approve",
        kind="provider_fee",
        legs=legs,
        effective_at=datetime.now(UTC),
        actor=actor.id,
        reason=(
            f"Invoice {invoice.number} approved: {invoice.kind.label} for engagement"
            f" {invoice.engagement}, service date {invoice.service_date:%-d %B %Y}"
            f" ({', '.join(invoice.approvals)})"
        ),
        budget=invoice.person,
        source_document=f"invoice:{invoice.provider}/{invoice.number}",
    )


def _settlement_draft(p: Payment, rail: Rail, actor: Actor) -> EntryDraft:
    """docs/ledger.md 3.4: the payable is paid out of the rail's account."""
    return EntryDraft.create(
        idempotency_key=settlement_key(p.key),
        kind="settlement",
        legs=[
            {"account": p.payable or payable(p.budget), "side": "debit", "amount": p.net},
            {"account": rail.settles_against, "side": "credit", "amount": p.net},
        ],
        effective_at=at_start_of(p.pay_on),
        actor=actor.id,
        reason=f"{p.label} paid to {p.destination.name} by {rail.name.label} ({p.rail_ref}).",
        budget=p.budget,
        source_document=f"{rail.name.value}:{p.rail_ref}",
    )


def payments_app() -> PaymentsApplication:
    """This process's payments application, on the configured event store."""
    return application(PaymentsApplication)


__all__ = ["Owner", "PaymentsApplication", "payments_app"]
