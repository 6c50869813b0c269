"""Wires the payments application to the ledger and the council's rail, for tasks and pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from config.actor import Actor
from config.errors import DomainError, NotFound
from ledger.domain import Owner
from payments.application import PaymentsApplication, RunReport, payments_app
from payments.calendar import england_and_wales
from payments.invoices import FeeKind, InvoiceFacts
from payments.managed import LineFacts
from payments.rails import Rail, rail_from_settings
from payments.runs import Destination

LONDON = ZoneInfo("Europe/London")


def catch_up(until: int | None = None) -> int:
    """Bring the payments read models up to ``until`` (or the end): read your own writes."""
    from payments.projections import PaymentsProjection

    return PaymentsProjection(payments_app()).catch_up(until)


def payments_journal() -> Any:
    """The payments context's own journal in the ledger."""
    from ledger.services import ledger_app

    return ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)


def run_payments(
    run_on: date,
    *,
    actor: Actor | None = None,
    rail: Rail | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 200,
) -> RunReport:
    """Start (or carry on) the day's run on the council's rail and work it to the end. Safe to
    call again after any failure: it pays only what the run has not yet paid."""
    app: PaymentsApplication = payments_app()
    who = actor or Actor.system()  # the scheduled job, or finance's officer who started it
    chosen = rail or rail_from_settings()
    from accreditation.services import catch_up as catch_up_register

    catch_up_register()  # once: where each provider is paid (provider_destination reads it)
    run = app.start_run(
        who,
        rail=chosen,
        run_on=run_on,
        calendar=england_and_wales(),
        provider_of=provider_destination,
    )
    return app.work_run(
        who,
        run,
        rail=chosen,
        journal=payments_journal(),
        batch_size=batch_size,
        on_progress=on_progress,
    )


def provider_destination(provider: UUID) -> Destination:
    """Where a provider is paid: its Stripe connected account, from the register, and its
    bank account (for Bacs) as finance confirmed it."""
    from accreditation.models import ProviderRecord
    from payments.application import payments_app

    record = ProviderRecord.objects.filter(id=provider).first()
    bank = payments_app().provider_bank(provider)
    account = bank.in_force if bank is not None else None
    return Destination(
        name=record.name if record is not None else str(provider),
        stripe_account=record.payment_account if record is not None else "",
        sort_code=account.sort_code if account else "",
        account_number=account.account_number if account else "",
    )


def registered_provider(provider: UUID) -> str:
    """The provider's name from the register, or ``NotFound`` (no bank details for a stranger)."""
    from accreditation.models import ProviderRecord
    from accreditation.services import catch_up as catch_up_register

    catch_up_register()
    record = ProviderRecord.objects.filter(id=provider).first()
    if record is None:
        raise NotFound(f"no provider {provider} in the register", field="provider")
    return str(record.name)


# The service each fee is for, in the register's terms.
FEE_SERVICES = {
    FeeKind.SUPPORT_PLAN: "support_planning",
    FeeKind.ANNUAL_REVIEW: "support_planning",
    FeeKind.MONEY_MANAGEMENT: "money_management",
}


def invoice_facts(provider: UUID, engagement: UUID, kind: FeeKind, day: date) -> InvoiceFacts:
    """What an invoice is checked against, as it stood on its service date: the register,
    the marketplace's engagement and tariff, the person's plan and reviews."""
    from accreditation.domain import Service, accreditation_id
    from marketplace.services import marketplace_app

    market = marketplace_app()
    try:
        found = market.get_engagement(engagement)
    except NotFound:
        return InvoiceFacts(False, None, "", False, None, 0, None, False, "")
    service = Service(FEE_SERVICES[kind])
    started, ended = found.started_on, found.ended_on
    try:
        tariff = market.tariff_in_force(day)
        fee = {
            FeeKind.SUPPORT_PLAN: tariff.support_plan_fee,
            FeeKind.ANNUAL_REVIEW: tariff.annual_review_fee,
            FeeKind.MONEY_MANAGEMENT: tariff.money_management_fee,
        }[kind]
    except DomainError:
        fee = None
    payable, why, commitment = _payable(kind, found.person, provider, day, engagement)
    return InvoiceFacts(
        accredited=_accredited_on(accreditation_id(provider, service), day),
        engagement_provider=found.provider if found.service.value == service.value else None,
        engagement_person=found.person,
        engagement_active=started is not None
        and started <= day
        and (ended is None or day <= ended),
        engagement_started=started,
        agreed_price=found.price if kind is not FeeKind.ANNUAL_REVIEW else fee or 0,
        tariff_fee=fee,
        payable=payable,
        payable_reason=why,
        commitment=commitment,
        variance=payments_app().variance_of(engagement, kind),
    )


def _accredited_on(accreditation: UUID, day: date) -> bool:
    """The accreditation as its events left it at the end of ``day``: suspended, withdrawn or
    lapsed then means not accredited then, whatever it is now."""
    from accreditation.services import accreditation_app

    app = accreditation_app()
    events: list[Any] = list(app.repository.event_store.get(accreditation))
    upto = [e for e in events if e.timestamp.astimezone(LONDON).date() <= day]
    if not upto:
        return False
    state: Any = app.repository.get(accreditation, version=upto[-1].originator_version)
    return bool(state.is_accredited_on(day))


def _payable(
    kind: FeeKind, person: str, provider: UUID, day: date, engagement: UUID
) -> tuple[bool, str, str]:
    """Whether the fee is payable, why not, and the commitment it was held under."""
    from accreditation.models import Membership
    from budgets.review import AT_LEAST_EVERY
    from budgets.services import budget_app
    from payments.processes import plan_fee_key, review_fee_key

    budgets = budget_app()
    if kind is FeeKind.SUPPORT_PLAN:
        try:
            signed = budgets.plan(person).signed_off
        except NotFound:
            signed = False
        return (
            signed,
            "the support-plan fee is payable once the plan is signed off",
            plan_fee_key(engagement),
        )
    if kind is FeeKind.ANNUAL_REVIEW:
        staff = set(
            Membership.objects.filter(provider_id=provider).values_list("user__username", flat=True)
        )
        try:
            reviews = budgets.reviews(person).reviews
        except NotFound:
            reviews = []
        year = _financial_year(day)
        done = [
            n
            for n, r in enumerate(reviews)
            if r["kind"] == "annual"
            and r["reviewer_kind"] == "planner"
            and r["reviewer"] in staff
            and _financial_year(r["on"]) == year
        ]
        # The review was due a year after the one before it: its fee was held for that day.
        commitment = (
            review_fee_key(engagement, reviews[done[0] - 1]["on"] + AT_LEAST_EVERY) if done else ""
        )
        return (
            bool(done),
            "the annual-review fee is payable once your annual review is recorded",
            commitment,
        )
    return True, "", ""


def _financial_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def line_facts(budget: str, provider: UUID) -> LineFacts:
    """Whether the budget has a managed part (council-managed or an ISF), and who the
    provider is, from the budgets context and the register."""
    from accreditation.models import ProviderRecord
    from budgets.services import budget_app

    try:
        split = budget_app().get_budget(budget).split
        managed = bool(split.council_managed or split.individual_service_fund)
    except NotFound:
        managed = False
    record = ProviderRecord.objects.filter(id=provider).first()
    return LineFacts(budget_managed=managed, provider_name=record.name if record else str(provider))


def current_destination(key: str) -> Destination:
    """Where a payment's payee is paid now: a direct payment's payee as the agreement has them
    for its period; a provider's from the register."""
    from payments.application import payments_app

    app = payments_app()
    payment = app.get_payment(key)
    if payment.kind in ("invoice", "managed"):
        from accreditation.services import catch_up as catch_up_register

        catch_up_register()
        provider = UUID(payment.payable.split(":")[1])
        return provider_destination(provider)
    payee = app.agreement(payment.budget).payee_on(payment.period_start)
    return Destination(
        name=payee.name,
        stripe_account=payee.stripe_account,
        sort_code=payee.bank.sort_code if payee.bank else "",
        account_number=payee.bank.account_number if payee.bank else "",
    )


def reconciler(account: str = "COUNCIL:BANK") -> Any:
    """The reconciliation of the council's bank, or (``STRIPE:CLEARING``) of Stripe's balance."""
    from django.conf import settings

    from payments.reconcile import Reconciler
    from payments.reconciliation import Tolerance

    tolerance = Tolerance.create(
        settings.RECONCILE_TOLERANCE_DAYS, settings.RECONCILE_TOLERANCE_PENCE
    )
    return Reconciler(payments_app(), account, tolerance)


def today() -> date:
    """The council's date today (one place, so a test may say which day it is)."""
    from django.utils import timezone

    return timezone.localdate()


def treasury() -> Any:
    """Top-ups of the Stripe balance from the council's bank, and Stripe's payouts back."""
    from payments.treasury import Treasury

    return Treasury(payments_app())


def stripe_expectations() -> list[Any]:
    """What Stripe's balance should show for each transfer made (its amount out, the transfer
    itself as the reference: a balance transaction's source), each top-up and each payout."""
    from datetime import timedelta

    from payments.models import PaymentRecord
    from payments.reconciliation import Expected

    catch_up()
    rows = PaymentRecord.objects.filter(rail="stripe", status__in=["sent", "paid"]).exclude(
        rail_ref=""
    )
    return [
        Expected(
            key=row.key,
            amount=-row.net,
            reference=row.rail_ref,
            earliest=row.pay_on - timedelta(days=7),
            latest=row.pay_on + timedelta(days=7),
            label=row.label,
        )
        for row in rows.order_by("pay_on", "key")
    ] + treasury().stripe_expected()


def bank_expectations() -> list[Any]:
    """What the bank should show for each Bacs payment sent (its net out, its reference, the
    days around its pay date it may land on, from the payments' read model, caught up), each
    top-up of Stripe and each payout from it."""
    from datetime import timedelta

    from payments.models import PaymentRecord
    from payments.rails import _reference
    from payments.reconciliation import Expected

    catch_up()
    rows = PaymentRecord.objects.filter(rail="bacs", status__in=["sent", "paid"]).exclude(
        rail_ref=""
    )
    return [
        Expected(
            key=row.key,
            amount=-row.net,
            reference=_reference(row.key),
            earliest=row.pay_on - timedelta(days=7),
            latest=row.pay_on + timedelta(days=3),
            label=row.label,
            batch=row.rail_ref.split("#")[0],
            batch_ref=_file_serial(row.rail_ref.split("#")[0]),
        )
        for row in rows.order_by("pay_on", "key")
    ] + treasury().bank_expected()


def _file_serial(name: str) -> str:
    """The serial a Bacs file (``bacs-2026-12-18-1.txt``) carries, as a bank names it."""
    from datetime import date as day

    from payments.rails import _serial

    try:
        stem = name.removeprefix("bacs-").removesuffix(".txt")
        on, number = stem.rsplit("-", 1)
        return f"{_serial(day.fromisoformat(on), int(number)):06d}"
    except ValueError:
        return ""


def bank_balance_at(day: date, code: str = "COUNCIL:BANK") -> int:
    """The ledger's balance of the council's bank account (or ``code``) at the start of
    ``day``."""
    from datetime import UTC, datetime, time

    from ledger import queries
    from ledger.services import catch_up as catch_up_ledger

    catch_up_ledger()
    try:
        account = queries.account_by_code(code)
    except DomainError:
        return 0
    return queries.balance(account, as_at=datetime.combine(day, time(), tzinfo=UTC))


@dataclass(frozen=True)
class Reconciliation:
    """One reconciled account: its reconciler, what the ledger expects on it, its balance."""

    account: str
    rec: Any
    expected: Callable[[], list[Any]]

    def balance_at(self, day: date) -> int:
        return bank_balance_at(day, self.account)


def reconciliation_of(account: str = "COUNCIL:BANK") -> Reconciliation:
    """The council's bank (``COUNCIL:BANK``) or Stripe's balance (``STRIPE:CLEARING``)."""
    from payments.reconciliation import ReconciliationError

    expected = {"COUNCIL:BANK": bank_expectations, "STRIPE:CLEARING": stripe_expectations}
    if account not in expected:
        raise ReconciliationError("COUNCIL:BANK or STRIPE:CLEARING", field="account")
    return Reconciliation(account, reconciler(account), expected[account])


def monitoring() -> Any:
    """Direct-payment monitoring under the council's surplus policy (its settings)."""
    from django.conf import settings

    from payments.monitoring import Monitoring
    from payments.surplus import SurplusPolicy

    policy = SurplusPolicy.create(settings.SURPLUS_WEEKS_KEPT, settings.SURPLUS_CONTINGENCY)
    return Monitoring(payments_app(), policy)


def dp_returns() -> Any:
    """Direct-payment returns, asking evidence for one payment over the council's threshold."""
    from django.conf import settings

    from payments.monitoring import Returns

    return Returns(payments_app(), threshold=settings.RETURN_EVIDENCE_OVER)


def match_import(actor: Actor, account: str, imported: Any, filename: str) -> Any:
    """Match an import: at once when it is small (a month's statement), else by a worker,
    its progress kept on a ``MatchingJob`` that the page and the API show."""
    from django.conf import settings
    from django.utils import timezone

    from payments.models import MatchingJob
    from payments.tasks import match_statement

    job, _ = MatchingJob.objects.get_or_create(
        id=imported.id,
        defaults={
            "account": account,
            "filename": filename[:300],
            "lines": imported.lines,
            "status": "waiting",
            "started_by": actor.id,
            "started_at": timezone.now(),
        },
    )
    if job.status == "done" and not imported.new:
        return job  # the same file again: matched before
    if imported.lines <= settings.RECONCILE_MATCH_IN_REQUEST:
        work_matching(actor, job)
    else:
        match_statement.delay(str(job.id), actor.id)
    return job


def work_matching(actor: Actor, job: Any) -> None:
    """Match the job's account, telling the job how far it is; a failure is kept on it."""
    from django.utils import timezone

    side = reconciliation_of(job.account)

    def progress(done: int, total: int) -> None:
        job.status, job.done, job.total = "matching", done, total
        job.save(update_fields=["status", "done", "total"])

    job.status = "matching"
    job.save(update_fields=["status"])
    try:
        state = side.rec.match_automatically(actor, side.expected(), progress=progress)
    except Exception as exc:
        job.status, job.error, job.finished_at = "failed", str(exc)[:2000], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        raise
    job.status, job.finished_at = "done", timezone.now()
    job.exceptions, job.suggestions = len(state.problems), len(state.suggestions)
    job.save(update_fields=["status", "finished_at", "exceptions", "suggestions"])
