"""The payments routes: Stripe's webhooks (verified by signature, stored before acting, safe
twice or out of order), and payment runs and payments (finance's, the auditor's, the person's)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Header, Router, Schema, Status, UploadedFile

from api.auth import allowed_by, caller, caller_actor
from config.audit import record_reads
from ledger.money import format_pence
from payments import models, policies, queries, stripe
from payments.application import payments_app
from payments.models import StripeEvent
from payments.services import catch_up

router = Router(tags=["payments"])


@router.post("/stripe/webhook", auth=None, include_in_schema=False)
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify, store, and leave the acting to a worker (payments/webhooks.py): Stripe is
    answered at once, and a second delivery of a stored event does nothing more."""
    from payments.tasks import act_on_stripe_event

    try:
        event = stripe.verify_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except stripe.StripeFailure as exc:
        return HttpResponse(f"refused: {exc}", status=400)
    payload: dict[str, Any] = json.loads(request.body)
    stored, new = StripeEvent.objects.get_or_create(
        id=event.id, defaults={"type": event.type, "payload": payload}
    )
    if stored.processed_at is not None:
        return HttpResponse("already processed")
    act_on_stripe_event.delay(stored.id)
    return HttpResponse("stored" if new else "stored before")


# ---------------------------------------------------------------------------- runs and payments
# Thin: each route asks the payments policy (its auth), calls one query or enqueues one task,
# and shapes the output. Runs are worked by a Celery worker, never in the request: the start
# route answers 202 at once with where to watch the run's progress.


class PaymentOut(Schema):
    key: str
    budget: str
    kind: str
    rail: str
    payee: str
    label: str
    reason: str
    status: str
    pay_on: date
    period_start: date
    period_end: date
    gross_pence: int
    gross: str
    netted_pence: int
    netted: str
    net_pence: int
    net: str
    failure: str
    retryable: bool
    rail_ref: str
    run: UUID
    ledger_entry: UUID | None
    settlement_entry: UUID | None
    paid_at: datetime | None


class PaymentPage(Schema):
    items: list[PaymentOut]
    next_cursor: str | None


class RunOut(Schema):
    id: UUID
    rail: str
    run_on: date
    status: str
    total: int
    done: int
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    runs: int
    report: dict[str, Any]
    skipped: list[list[str]]


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None


class RunIn(Schema):
    run_on: date | None = None


class RunStarted(Schema):
    task: str
    run_on: date
    watch: str


class NextPaymentOut(Schema):
    key: str
    label: str
    pay_on: date
    gross: str
    netted: str
    net: str
    net_pence: int
    payee: str


def payment_out(row: models.PaymentRecord) -> PaymentOut:
    return PaymentOut(
        key=row.key,
        budget=row.budget,
        kind=row.kind,
        rail=row.rail,
        payee=row.payee,
        label=row.label,
        reason=row.reason,
        status=row.status,
        pay_on=row.pay_on,
        period_start=row.period_start,
        period_end=row.period_end,
        gross_pence=row.gross,
        gross=format_pence(row.gross),
        netted_pence=row.netted,
        netted=format_pence(row.netted),
        net_pence=row.net,
        net=format_pence(row.net),
        failure=row.failure,
        retryable=row.retryable,
        rail_ref=row.rail_ref,
        run=row.run,
        ledger_entry=row.entry,
        settlement_entry=row.settlement,
        paid_at=row.paid_at,
    )


def run_out(row: models.PaymentRunRecord) -> RunOut:
    return RunOut(
        id=row.id,
        rail=row.rail,
        run_on=row.run_on,
        status=row.status,
        total=row.total,
        done=row.done,
        started_by=row.started_by,
        started_at=row.started_at,
        finished_at=row.finished_at,
        runs=row.runs,
        report=row.report,
        skipped=row.skipped,
    )


def payment_page(found: Any, cursor: str | None, limit: int) -> PaymentPage:
    limit = max(1, min(limit, queries.MAX_PAGE))
    rows = list(found.filter(key__gt=cursor or "").order_by("key")[: limit + 1])
    next_cursor = rows[limit - 1].key if len(rows) > limit else None
    return PaymentPage(items=[payment_out(r) for r in rows[:limit]], next_cursor=next_cursor)


READ = allowed_by(policies.check_may_read_payments)
RUN = allowed_by(policies.check_may_run_payments)
CASE = allowed_by(policies.check_may_manage_direct_payments)


@router.get("/runs", response=RunPage, auth=READ)
def list_runs(request: HttpRequest, cursor: str | None = None, limit: int = 50) -> RunPage:
    """Payment runs, newest first; ``cursor``: the last run's day and rail (2026-12-07/stripe)."""
    catch_up()
    limit = max(1, min(limit, queries.MAX_PAGE))
    found = queries.runs(caller_actor(request)).order_by("-run_on", "rail")
    if cursor:
        day, _, rail = cursor.partition("/")
        found = found.filter(run_on__lt=day) | found.filter(run_on=day, rail__gt=rail)
        found = found.order_by("-run_on", "rail")
    rows = list(found[: limit + 1])
    last = rows[limit - 1] if len(rows) > limit else None
    return RunPage(
        items=[run_out(r) for r in rows[:limit]],
        next_cursor=f"{last.run_on.isoformat()}/{last.rail}" if last else None,
    )


@router.post("/runs", response={202: RunStarted}, auth=RUN)
def start_run(request: HttpRequest, payload: RunIn) -> Status[RunStarted]:
    """Start (or carry on) a day's run on the council's rail, in a worker; watch it at
    ``watch``. Safe to send again: a run pays only what it has not yet paid."""
    from payments.tasks import run_due_payments

    actor, today = caller_actor(request), timezone.localdate()
    day = payload.run_on or today
    policies.check_run_day(actor, day, today=today)  # the same rule the run keeps
    result = run_due_payments.delay(day.isoformat(), started_by=actor.id)
    return Status(202, RunStarted(task=result.id, run_on=day, watch="/api/v1/payments/runs"))


@router.get("/runs/{run_id}", response=RunOut, auth=READ)
def get_run(request: HttpRequest, run_id: UUID) -> RunOut:
    catch_up()
    return run_out(queries.run(caller_actor(request), run_id))


@router.get("/runs/{run_id}/payments", response=PaymentPage, auth=READ)
def run_payments(
    request: HttpRequest,
    run_id: UUID,
    status: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> PaymentPage:
    catch_up()
    return payment_page(
        queries.payments_of_run(caller_actor(request), run_id, status=status), cursor, limit
    )


@router.get("/exceptions", response=PaymentPage, auth=READ)
def payment_exceptions(
    request: HttpRequest, cursor: str | None = None, limit: int = 50
) -> PaymentPage:
    """Payments failed for good, each with its reason: finance puts each right."""
    catch_up()
    return payment_page(queries.exceptions(caller_actor(request)), cursor, limit)


@router.get("/budgets/{council_ref}/payments", response=PaymentPage)
def budget_payments(
    request: HttpRequest, council_ref: str, cursor: str | None = None, limit: int = 50
) -> PaymentPage:
    """A person's direct payments made and on their way (the person, or staff)."""
    catch_up()
    found = queries.payments_of_budget(caller_actor(request), council_ref)
    record_reads(caller(request), {council_ref: ["direct payments"]}, request.get_full_path())
    return payment_page(found, cursor, limit)


@router.get("/budgets/{council_ref}/next-payment", response={200: NextPaymentOut, 204: None})
def next_payment(request: HttpRequest, council_ref: str) -> Any:
    """The person's next direct payment: its date, what it is for and how much."""
    queries.payments_of_budget(caller_actor(request), council_ref)  # who may see: the policy
    due = queries.next_due(council_ref, today=timezone.localdate())
    if due is None:
        return Status(204, None)
    return NextPaymentOut(
        key=due.key,
        label=due.label,
        pay_on=due.pay_on,
        gross=format_pence(due.gross),
        netted=format_pence(due.netted),
        net=format_pence(due.net),
        net_pence=due.net,
        payee=due.payee.name,
    )


# ---------------------------------------------------------------------------- reviews (reg. 7)


class ReviewDueOut(Schema):
    budget: str
    due_on: date
    reason: str
    overdue: bool
    reminded: bool  # the case worker was reminded of this due date


class ReviewIn(Schema):
    on: date
    outcome: str
    reason: str


class TriggerIn(Schema):
    on: date
    kind: str
    note: str


class ReviewDuePage(Schema):
    items: list[ReviewDueOut]


@router.get("/dp-reviews", response=ReviewDuePage, auth=READ)
def dp_reviews_due(request: HttpRequest, within_days: int = 28) -> ReviewDuePage:
    """Direct-payment reviews overdue or due soon (regulation 7), soonest first."""
    found = payments_app().dp_reviews_due(
        caller_actor(request), today=timezone.localdate(), within_days=max(0, min(within_days, 366))
    )
    return ReviewDuePage(
        items=[
            ReviewDueOut(
                budget=r.budget,
                due_on=r.due_on,
                reason=r.reason,
                overdue=r.overdue,
                reminded=r.reminded,
            )
            for r in found
        ]
    )


def review_due_out(council_ref: str) -> ReviewDueOut:
    """When the budget's next direct-payment review is due, and why."""
    agreement = payments_app().agreement(council_ref)
    return ReviewDueOut(
        budget=council_ref,
        reminded=agreement.review_reminded_for == agreement.review_due_on(),
        due_on=agreement.review_due_on(),
        reason=agreement.review_reason(),
        overdue=agreement.is_review_overdue(timezone.localdate()),
    )


@router.post("/budgets/{council_ref}/dp-reviews", response={201: ReviewDueOut}, auth=CASE)
def record_dp_review(request: HttpRequest, council_ref: str, payload: ReviewIn) -> Any:
    """Record a direct-payment review and what it decided (carry_on, change or stop)."""
    actor = caller_actor(request)
    app = payments_app()
    app.change_agreement(
        actor,
        council_ref,
        lambda a: a.record_dp_review(
            on=payload.on,
            outcome=payload.outcome,
            reason=payload.reason,
            actor=actor.id,
            today=timezone.localdate(),
        ),
    )
    return Status(201, review_due_out(council_ref))


@router.post("/budgets/{council_ref}/dp-review-triggers", response={201: ReviewDueOut}, auth=CASE)
def record_review_trigger(request: HttpRequest, council_ref: str, payload: TriggerIn) -> Any:
    """A concern, a breached condition or a change in capacity: a review is due at once."""
    actor = caller_actor(request)
    app = payments_app()
    app.change_agreement(
        actor,
        council_ref,
        lambda a: a.record_trigger(
            on=payload.on, kind=payload.kind, note=payload.note, actor=actor.id
        ),
    )
    return Status(201, review_due_out(council_ref))


# ---------------------------------------------------------------------------- invoices


class InvoiceIn(Schema):
    engagement: UUID
    fee: str
    number: str
    service_date: date
    amount_pence: int


class InvoiceOut(Schema):
    id: UUID
    provider: UUID
    number: str
    fee: str
    engagement: UUID
    person: str
    service_date: date
    amount_pence: int
    amount: str
    status: str
    approvals: list[str]
    decision_reason: str
    submitted_at: datetime


class InvoicePage(Schema):
    items: list[InvoiceOut]
    next_cursor: str | None


class LineOut(Schema):
    line: int
    number: str
    accepted: bool
    invoice: UUID | None
    field: str
    message: str


class BatchOut(Schema):
    accepted: int
    refused: int
    lines: list[LineOut]


INVOICERS = allowed_by(policies.check_may_invoice)


def invoice_out(row: models.InvoiceRecord) -> InvoiceOut:
    return InvoiceOut(
        id=row.id,
        provider=row.provider,
        number=row.number,
        fee=row.kind,
        engagement=row.engagement,
        person=row.person,
        service_date=row.service_date,
        amount_pence=row.amount,
        amount=format_pence(row.amount),
        status=row.status,
        approvals=row.approvals,
        decision_reason=row.decision_reason,
        submitted_at=row.submitted_at,
    )


def _submitter(request: HttpRequest) -> Any:
    from functools import partial

    from payments.services import invoice_facts

    return partial(
        payments_app().submit_invoice,
        caller_actor(request),
        today=timezone.localdate(),
        facts_of=invoice_facts,
    )


@router.post("/invoices", response={201: InvoiceOut}, auth=INVOICERS)
def submit_invoice(request: HttpRequest, payload: InvoiceIn) -> Any:
    """One invoice against one of the provider's engagements (every rule of docs/payments.md)."""
    invoice = _submitter(request)(
        engagement=payload.engagement,
        number=payload.number,
        kind=payload.fee,
        service_date=payload.service_date,
        amount=payload.amount_pence,
    )
    catch_up()
    return Status(201, invoice_out(models.InvoiceRecord.objects.get(id=invoice)))


@router.post("/invoices/batch", response=BatchOut, auth=INVOICERS)
def submit_invoice_batch(request: HttpRequest) -> BatchOut:
    """A CSV of invoices (text/csv: engagement, fee, number, service_date, amount), a result
    for every line: each good line is accepted whatever the lines around it."""
    from payments.invoice_csv import submit_batch

    text = request.body.decode("utf-8-sig", errors="replace")
    results = submit_batch(text, _submitter(request))
    return BatchOut(
        accepted=sum(r.accepted for r in results),
        refused=sum(not r.accepted for r in results),
        lines=[LineOut(**r.as_dict()) for r in results],
    )


@router.get("/invoices", response=InvoicePage, auth=allowed_by(policies.check_may_see_invoices))
def list_invoices(
    request: HttpRequest, status: str = "", cursor: str | None = None, limit: int = 50
) -> InvoicePage:
    """A provider's own invoices; finance and auditors see every provider's."""
    catch_up()
    actor = caller_actor(request)
    found = models.InvoiceRecord.objects.all()
    if not actor.has(*policies.READERS):
        assert actor.organisation is not None  # the policy let in only a provider's staff
        found = found.filter(provider=actor.organisation)
    if status:
        found = found.filter(status=status)
    limit = max(1, min(limit, queries.MAX_PAGE))
    rows = list(found.filter(number__gt=cursor or "").order_by("number")[: limit + 1])
    next_cursor = rows[limit - 1].number if len(rows) > limit else None
    return InvoicePage(items=[invoice_out(r) for r in rows[:limit]], next_cursor=next_cursor)


class SpeedOut(Schema):
    target: int
    paid: int
    median: float | None
    longest: int | None
    missed: int
    waiting: list[tuple[str, int]]
    waiting_over_target: int


@router.get("/invoices/approval-to-paid", response=SpeedOut, auth=READ)
def approval_to_paid(request: HttpRequest) -> SpeedOut:
    """Working days from approval to payment over the last 90 days, against the target (5)."""
    catch_up()
    return SpeedOut(**queries.approval_to_paid(caller_actor(request), today=timezone.localdate()))


# ---------------------------------------------------------------------------- managed spend


class ServiceLineIn(Schema):
    reference: str
    provider: UUID
    description: str
    period_start: date
    period_end: date
    units: str  # hours or units, like "12.5"
    rate_pence: int
    amount_pence: int | None = None


class ServiceLineOut(Schema):
    id: UUID
    budget: str
    reference: str
    provider: UUID
    provider_name: str
    description: str
    period_start: date
    period_end: date
    units: str
    rate: str
    amount_pence: int
    amount: str
    status: str
    recorded_by: str
    ledger_entry: UUID | None


class DecisionIn(Schema):
    reason: str = ""


def line_out(line: Any) -> ServiceLineOut:
    from payments.managed import UNIT_SCALE

    return ServiceLineOut(
        id=line.id,
        budget=line.budget,
        reference=line.reference,
        provider=line.provider,
        provider_name=line.provider_name,
        description=line.description,
        period_start=line.period_start,
        period_end=line.period_end,
        units=f"{line.units / UNIT_SCALE:g}",
        rate=format_pence(line.rate),
        amount_pence=line.amount,
        amount=format_pence(line.amount),
        status=line.status.value,
        recorded_by=line.recorded_by,
        ledger_entry=line.entry,
    )


@router.post("/budgets/{council_ref}/service-lines", response={201: ServiceLineOut})
def record_service_line(request: HttpRequest, council_ref: str, payload: ServiceLineIn) -> Any:
    """A commissioned service line for the person's managed budget (the council's case
    workers, or an ISF provider for its own), held against it; finance approves it."""
    from config.actor import Actor
    from ledger.domain import Owner
    from ledger.services import ledger_app
    from payments.services import line_facts

    app = payments_app()
    line = app.record_service_line(
        caller_actor(request),
        budget=council_ref,
        reference=payload.reference,
        provider=payload.provider,
        description=payload.description,
        period_start=payload.period_start,
        period_end=payload.period_end,
        units=payload.units,
        rate=payload.rate_pence,
        amount=payload.amount_pence,
        facts_of=line_facts,
        journal=ledger_app().journal(Actor.system(), context=Owner.PAYMENTS),
    )
    return Status(201, line_out(app.get_service_line(line)))


@router.post(
    "/service-lines/{line}/{decision}",
    response=ServiceLineOut,
    auth=allowed_by(policies.check_may_decide_invoices),
)
def decide_service_line(
    request: HttpRequest, line: UUID, decision: str, payload: DecisionIn
) -> ServiceLineOut:
    """Finance approves (posting it as managed spend) or rejects (with a reason) a line."""
    from config.actor import Actor
    from config.errors import NotFound
    from ledger.domain import Owner
    from ledger.services import ledger_app

    actor, app = caller_actor(request), payments_app()
    if decision == "approve":
        journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
        return line_out(app.approve_service_line(actor, line, journal=journal))
    if decision == "reject":
        journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
        return line_out(
            app.reject_service_line(actor, line, reason=payload.reason, journal=journal)
        )
    raise NotFound("no such decision: approve or reject", field="decision")


# ---------------------------------------------------------------------------- agreements


class PayeeIn(Schema):
    kind: str  # person, nominated, authorised, money_manager
    name: str
    relationship: str = ""
    close_relative_in_household: bool = False
    necessity_reason: str = ""
    provider_id: str = ""
    stripe_account: str = ""
    sort_code: str = ""
    account_number: str = ""


class AgreementIn(Schema):
    needs: list[str]
    payee: PayeeIn
    has_capacity: bool
    start: date
    period_weeks: int | None = None


class ChangeIn(Schema):
    on: date
    reason: str


class OneOffIn(Schema):
    pay_on: date
    amount_pence: int
    purpose: str
    reason: str


class DueOut(Schema):
    key: str
    label: str
    pay_on: date
    gross: str
    netted: str
    net: str
    payee: str


class AgreementOut(Schema):
    budget: str
    needs: list[str]
    payee: str
    period_weeks: int
    start: date
    suspended: bool
    stopped_from: date | None
    review_due_on: date
    next: list[DueOut]
    skipped: list[list[str]]


def _payee(actor: Any, data: PayeeIn) -> Any:
    from payments.direct_payments import BankAccount, Payee

    bank = (
        BankAccount.create(
            sort_code=data.sort_code, account_number=data.account_number, name=data.name
        )
        if data.sort_code or data.account_number
        else None
    )
    return Payee.create(
        kind=data.kind,
        name=data.name,
        relationship=data.relationship,
        close_relative_in_household=data.close_relative_in_household,
        necessity_reason=data.necessity_reason,
        necessity_decided_by=actor.id,
        provider_id=data.provider_id,
        stripe_account=data.stripe_account,
        bank=bank,
    )


def agreement_out(council_ref: str) -> AgreementOut:
    from payments.calendar import england_and_wales

    agreement = payments_app().agreement(council_ref)
    today = timezone.localdate()
    schedule = agreement.schedule(england_and_wales(), until=today + timedelta(weeks=13))
    return AgreementOut(
        budget=council_ref,
        needs=list(agreement.needs),
        payee=agreement.payee_on(today).name,
        period_weeks=agreement.period_weeks,
        start=agreement.start,
        suspended=agreement.suspended,
        stopped_from=agreement.stopped_from,
        review_due_on=agreement.review_due_on(),
        next=[
            DueOut(
                key=d.key,
                label=d.label,
                pay_on=d.pay_on,
                gross=format_pence(d.gross),
                netted=format_pence(d.netted),
                net=format_pence(d.net),
                payee=d.payee.name,
            )
            for d in schedule.due
            if d.pay_on >= today
        ][:4],
        skipped=[[s.key, s.reason] for s in schedule.skipped],
    )


@router.post("/budgets/{council_ref}/direct-payment", response={201: AgreementOut}, auth=CASE)
def agree_direct_payment(request: HttpRequest, council_ref: str, payload: AgreementIn) -> Any:
    """Agree the budget's direct payment: its weekly part and the contribution netted off it
    come from the budget; this says which needs it meets, who is paid and from when."""
    from budgets.services import budget_app

    actor = caller_actor(request)
    budget_app().may_see(actor, council_ref)
    figures = budget_app().get_budget(council_ref).figures
    payments_app().agree_direct_payment(
        actor,
        budget_ref=council_ref,
        needs=payload.needs,
        payee=_payee(actor, payload.payee),
        has_capacity=payload.has_capacity,
        start=payload.start,
        today=timezone.localdate(),
        figures=figures,
        period_weeks=payload.period_weeks,
    )
    return Status(201, agreement_out(council_ref))


@router.get("/budgets/{council_ref}/direct-payment", response=AgreementOut)
def get_direct_payment(request: HttpRequest, council_ref: str) -> AgreementOut:
    queries.payments_of_budget(caller_actor(request), council_ref)  # who may see: the policy
    return agreement_out(council_ref)


@router.post("/budgets/{council_ref}/direct-payment/{change}", response=AgreementOut, auth=CASE)
def change_direct_payment(
    request: HttpRequest, council_ref: str, change: str, payload: ChangeIn
) -> AgreementOut:
    """Suspend, resume or stop (s.33) the direct payment, from a day, with a reason."""
    from config.errors import NotFound

    actor = caller_actor(request)
    commands = {"suspend": "suspend", "resume": "resume", "stop": "stop"}
    if change not in commands:
        raise NotFound("no such change: suspend, resume or stop", field="change")
    payments_app().change_agreement(
        actor,
        council_ref,
        lambda a: getattr(a, commands[change])(
            on=payload.on, reason=payload.reason, actor=actor.id
        ),
    )
    return agreement_out(council_ref)


@router.post("/budgets/{council_ref}/one-off-payments", response={201: AgreementOut}, auth=CASE)
def add_one_off(request: HttpRequest, council_ref: str, payload: OneOffIn) -> Any:
    """A one-off payment: equipment, start-up, recruiting a personal assistant, or other."""
    actor = caller_actor(request)
    payments_app().change_agreement(
        actor,
        council_ref,
        lambda a: a.add_one_off(
            pay_on=payload.pay_on,
            amount=payload.amount_pence,
            purpose=payload.purpose,
            reason=payload.reason,
            actor=actor.id,
        ),
    )
    return Status(201, agreement_out(council_ref))


class PutRightIn(Schema):
    reason: str


@router.post("/payments/{key}/put-right", response=PaymentOut, auth=RUN)
def put_right(request: HttpRequest, key: str, payload: PutRightIn) -> PaymentOut:
    """A payment failed for good, put right (the payee's account set up, say): the next run
    tries again, to where the payee is paid now."""
    from payments.services import current_destination

    payments_app().put_right(
        caller_actor(request), key, destination=current_destination(key), reason=payload.reason
    )
    catch_up()
    return payment_out(models.PaymentRecord.objects.get(key=key))


@router.post(
    "/invoices/{invoice}/credit",
    response=InvoiceOut,
    auth=allowed_by(policies.check_may_decide_invoices),
)
def credit_invoice(request: HttpRequest, invoice: UUID, payload: DecisionIn) -> InvoiceOut:
    """A credit note for an approved invoice not yet paid: its fee reversed, free to be
    invoiced again (a paid one is recovered, not credited)."""
    from config.actor import Actor
    from ledger.domain import Owner
    from ledger.services import ledger_app

    journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
    payments_app().credit_invoice(
        caller_actor(request), invoice, reason=payload.reason, journal=journal
    )
    catch_up()
    return invoice_out(models.InvoiceRecord.objects.get(id=invoice))


# ---------------------------------------------------------------------------- provider banks


class ProviderBankIn(Schema):
    sort_code: str
    account_number: str
    account_name: str
    verified_how: str


class ReasonIn(Schema):
    reason: str


class ProviderBankOut(Schema):
    provider: UUID
    provider_name: str
    in_force: str  # sort code and the last four digits only
    recorded_by: str
    confirmed_by: str
    awaiting: str
    awaiting_by: str
    awaiting_how: str


def provider_bank_out(provider: UUID) -> ProviderBankOut:
    from payments.provider_banks import masked
    from payments.services import registered_provider

    name = registered_provider(provider)
    bank = payments_app().provider_bank(provider)
    return ProviderBankOut(
        provider=provider,
        provider_name=name,
        in_force=masked(bank.in_force) if bank else "",
        recorded_by=bank.confirmed_by[0] if bank else "",
        confirmed_by=bank.confirmed_by[1] if bank else "",
        awaiting=masked(bank.awaiting) if bank else "",
        awaiting_by=bank.awaiting_by if bank else "",
        awaiting_how=bank.awaiting_how if bank else "",
    )


BANKS = allowed_by(policies.check_may_keep_provider_banks)


@router.get(
    "/providers/{provider}/bank-account",
    response=ProviderBankOut,
    auth=allowed_by(policies.check_may_see_provider_banks),
)
def get_provider_bank(request: HttpRequest, provider: UUID) -> ProviderBankOut:
    """Where a Bacs run pays the provider, and any new details awaiting confirmation."""
    return provider_bank_out(provider)


@router.post("/providers/{provider}/bank-account", response={201: ProviderBankOut}, auth=BANKS)
def record_provider_bank(request: HttpRequest, provider: UUID, payload: ProviderBankIn) -> Any:
    """New bank details, checked by the officer (say how: a call back on a number already
    known); paid to once a second finance officer confirms them."""
    from payments.services import registered_provider

    payments_app().record_provider_bank(
        caller_actor(request),
        provider,
        registered=registered_provider,
        sort_code=payload.sort_code,
        account_number=payload.account_number,
        name=payload.account_name,
        how=payload.verified_how,
    )
    return Status(201, provider_bank_out(provider))


@router.post("/providers/{provider}/bank-account/confirm", response=ProviderBankOut, auth=BANKS)
def confirm_provider_bank(request: HttpRequest, provider: UUID) -> ProviderBankOut:
    """The second finance officer confirms the new details: runs pay to them from now."""
    payments_app().confirm_provider_bank(caller_actor(request), provider)
    return provider_bank_out(provider)


@router.post("/providers/{provider}/bank-account/reject", response=ProviderBankOut, auth=BANKS)
def reject_provider_bank(
    request: HttpRequest, provider: UUID, payload: ReasonIn
) -> ProviderBankOut:
    """The new details are wrong (or not the provider's): dropped; the old ones stay."""
    payments_app().reject_provider_bank(caller_actor(request), provider, reason=payload.reason)
    return provider_bank_out(provider)


# ---------------------------------------------------------------------------- fee variances


class VarianceIn(Schema):
    kind: str
    amount_pence: int
    reason: str


class VarianceOut(Schema):
    engagement: UUID
    kind: str
    amount_pence: int
    amount: str
    reason: str
    approved_by: str
    history: list[dict[str, Any]]


@router.post(
    "/engagements/{engagement}/variances",
    response={201: VarianceOut},
    auth=allowed_by(policies.check_may_approve_variances),
)
def approve_variance(request: HttpRequest, engagement: UUID, payload: VarianceIn) -> Any:
    """A fee other than the agreed price for one engagement's plan, review or money
    management; its invoice may then be for this amount. A later one replaces it."""
    from marketplace.services import marketplace_app

    found = payments_app().approve_variance(
        caller_actor(request),
        engagement=engagement,
        kind=payload.kind,
        amount=payload.amount_pence,
        reason=payload.reason,
        engaged=marketplace_app().get_engagement,
    )
    assert found.amount is not None
    return Status(
        201,
        VarianceOut(
            engagement=engagement,
            kind=found.kind.value,
            amount_pence=found.amount,
            amount=format_pence(found.amount),
            reason=found.reason,
            approved_by=found.approved_by,
            history=[
                {"amount_pence": p, "reason": r, "approved_by": by} for p, r, by in found.history
            ],
        ),
    )


# ---------------------------------------------------------------------------- reconciliation

RECONCILE = allowed_by(policies.check_may_reconcile)
MAX_STATEMENT_BYTES = 20 * 1024 * 1024


class MatchingOut(Schema):
    status: str  # waiting, matching, done, failed
    lines: int
    done: int  # matches saved so far …
    total: int  # … of those the rules make
    exceptions: int
    suggestions: int
    error: str
    watch: str


class ImportOut(Schema):
    id: UUID
    lines: int
    new: bool  # False: this file was imported before, and nothing was added
    matching: MatchingOut


class ProposalOut(Schema):
    rule: str
    lines: list[str]
    expected: list[str]
    evidence: str


class ProblemOut(Schema):
    kind: str
    line: str | None
    expected: str | None
    why: str


class ReconciliationOut(Schema):
    matched: int
    suggestions: list[ProposalOut]
    exceptions: list[ProblemOut]


class MatchIn(Schema):
    lines: list[str]
    expected: list[str]
    reason: str = ""
    suggested: bool = False  # confirming the rule's suggestion (no reason needed)


class CorrectionIn(Schema):
    line: str
    kind: str  # write_off, recover, returned or difference
    reason: str
    payment: str = ""  # for a return or a difference: the payment key it is for


def reconciliation_out(state: Any) -> ReconciliationOut:
    return ReconciliationOut(
        matched=len(state.matched),
        suggestions=[
            ProposalOut(
                rule=p.rule, lines=list(p.lines), expected=list(p.expected), evidence=p.evidence
            )
            for p in state.suggestions
        ],
        exceptions=[
            ProblemOut(kind=p.kind.value, line=p.line, expected=p.expected, why=p.why)
            for p in state.problems
        ],
    )


@router.post("/reconciliation/imports", response={201: ImportOut, 200: ImportOut}, auth=RECONCILE)
def import_statement(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str],
    mapping: Form[str] = "",
    bank: Form[str] = "",
) -> Any:
    """A bank statement (mt940, camt053, or csv read through ``bank``'s saved mapping or a
    ``mapping`` given as JSON): kept once (the same file again adds nothing), then matched,
    at once when small, else by a worker (``matching.watch`` shows how far it is)."""
    from payments.bank_statements import CsvMapping, StatementError
    from payments.services import match_import, reconciler

    if file.size and file.size > MAX_STATEMENT_BYTES:
        raise StatementError("must be smaller than 20 MB", field="file")
    rec = reconciler()
    try:
        columns = CsvMapping(**json.loads(mapping)) if mapping else None
    except (ValueError, TypeError) as exc:
        raise StatementError(
            f"the mapping is not the columns' JSON: {exc}", field="mapping"
        ) from None
    if columns is None and bank:
        columns = rec.mapping(bank)
    actor = caller_actor(request)
    done = rec.import_statement(
        actor, kind=kind, filename=file.name or "", data=file.read(), mapping=columns
    )
    job = match_import(actor, rec.account, done, file.name or "")
    return Status(
        201 if done.new else 200,
        ImportOut(id=done.id, lines=done.lines, new=done.new, matching=job_out(job)),
    )


@router.get("/reconciliation/imports/{import_id}", response=MatchingOut, auth=READ)
def matching_job(request: HttpRequest, import_id: UUID) -> MatchingOut:
    """How far the matching of an import is."""
    from config.errors import NotFound
    from payments.models import MatchingJob

    job = MatchingJob.objects.filter(id=import_id).first()
    if job is None:
        raise NotFound(f"no import {import_id}", field="import_id")
    return job_out(job)


def job_out(job: Any) -> MatchingOut:
    return MatchingOut(
        status=job.status,
        lines=job.lines,
        done=job.done,
        total=job.total,
        exceptions=job.exceptions,
        suggestions=job.suggestions,
        error=job.error,
        watch=f"/api/v1/payments/reconciliation/imports/{job.id}",
    )


class MappingIn(Schema):
    date: str
    reference: str
    description: str = ""
    amount: str = ""
    debit: str = ""
    credit: str = ""
    date_format: str = "%d/%m/%Y"
    delimiter: str = ","


class MappingOut(Schema):
    bank: str
    columns: dict[str, str]
    by: str


@router.put("/reconciliation/csv-mappings/{bank}", response=MappingOut, auth=RECONCILE)
def save_mapping(request: HttpRequest, bank: str, payload: MappingIn) -> MappingOut:
    """Keep a bank's CSV columns, so its files are imported with ``bank`` alone."""
    from payments.services import reconciler

    saved = reconciler().save_mapping(caller_actor(request), bank=bank, columns=payload.dict())
    return MappingOut(bank=saved.bank, columns=saved.columns, by=saved.by)


@router.get("/reconciliation/csv-mappings", response=list[MappingOut], auth=READ)
def mappings(request: HttpRequest) -> list[MappingOut]:
    from payments.services import reconciler

    return [MappingOut(bank=m.bank, columns=m.columns, by=m.by) for m in reconciler().mappings()]


@router.post("/reconciliation/stripe-imports", response={202: RunStarted}, auth=RECONCILE)
def import_stripe(request: HttpRequest) -> Any:
    """Stripe's transfers since the last import, read by a worker (never in this request) into
    the reconciliation of Stripe's balance, then matched."""
    from payments.tasks import import_stripe_balance

    task = import_stripe_balance.delay(caller_actor(request).id)
    watch = "/api/v1/payments/reconciliation?account=STRIPE:CLEARING"
    return Status(202, RunStarted(task=str(task.id), run_on=timezone.localdate(), watch=watch))


class FundingIn(Schema):
    amount_pence: int
    reason: str


class FundingStarted(Schema):
    task: str
    key: str
    reference: str
    watch: str


class FundingOut(Schema):
    key: str
    status: str  # requested (Stripe not yet answered), made
    amount_pence: int
    amount: str
    on: date
    reference: str
    topup: str
    by: str
    reason: str


class PayoutOut(Schema):
    payout: str
    amount_pence: int
    amount: str
    arrival: date
    trace_id: str
    transactions: int
    kinds: dict[str, int]


class TreasuryOut(Schema):
    fundings: list[FundingOut]
    payouts: list[PayoutOut]


FUND = allowed_by(policies.check_may_fund_stripe)


@router.post("/stripe-funding", response={202: FundingStarted}, auth=FUND)
def fund_stripe(
    request: HttpRequest,
    payload: FundingIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Any:
    """Top the Stripe balance up from the council's bank: a worker asks Stripe (never this
    request); the same Idempotency-Key again tops up once. The bank shows ``reference``."""
    from payments.services import today
    from payments.tasks import fund_stripe as task
    from payments.treasury import bank_reference, check_funding

    pence, why = check_funding(payload.amount_pence, payload.reason, idempotency_key)
    on = today().isoformat()  # the day asked for, however late the worker makes it
    started = task.delay(caller_actor(request).id, idempotency_key, pence, why, on)
    return Status(
        202,
        FundingStarted(
            task=str(started.id),
            key=idempotency_key,
            reference=bank_reference(idempotency_key),
            watch="/api/v1/payments/stripe-funding",
        ),
    )


@router.get("/stripe-funding", response=TreasuryOut, auth=READ)
def stripe_funding(request: HttpRequest) -> TreasuryOut:
    """Each top-up of the Stripe balance, and each payout from it to the council's bank."""
    from payments.services import treasury

    funds = treasury()
    return TreasuryOut(
        fundings=[
            FundingOut(
                key=f.key,
                status="made" if f.entry is not None else "requested",
                amount_pence=f.amount,
                amount=format_pence(f.amount),
                on=f.on,
                reference=f.reference,
                topup=f.topup,
                by=f.actor,
                reason=f.reason,
            )
            for f in funds.fundings()
        ],
        payouts=[
            PayoutOut(
                payout=p.payout,
                amount_pence=p.amount,
                amount=format_pence(p.amount),
                arrival=p.arrival,
                trace_id=p.trace_id,
                transactions=len(p.transactions),
                kinds=p.kinds,
            )
            for p in funds.payouts()
        ],
    )


@router.get("/reconciliation", response=ReconciliationOut, auth=READ)
def reconciliation(request: HttpRequest, account: str = "COUNCIL:BANK") -> ReconciliationOut:
    """What is matched, the suggestions waiting for a person, and the exceptions to clear, for
    the council's bank (``COUNCIL:BANK``) or Stripe's balance (``STRIPE:CLEARING``)."""
    from payments.services import reconciliation_of

    side = reconciliation_of(account)
    return reconciliation_out(side.rec.state(side.expected()))


@router.post("/reconciliation/matches", response={201: ReconciliationOut}, auth=RECONCILE)
def match(request: HttpRequest, payload: MatchIn, account: str = "COUNCIL:BANK") -> Any:
    """Confirm a suggestion, or match lines and payments by hand with a reason."""
    from payments.services import reconciliation_of

    side = reconciliation_of(account)
    expected = side.expected()
    side.rec.confirm(
        caller_actor(request),
        lines=payload.lines,
        expected=payload.expected,
        payments=expected,
        reason=payload.reason,
        suggested=payload.suggested,
    )
    return Status(201, reconciliation_out(side.rec.state(expected)))


@router.post("/reconciliation/corrections", response={201: ReconciliationOut}, auth=RECONCILE)
def propose_correction(
    request: HttpRequest, payload: CorrectionIn, account: str = "COUNCIL:BANK"
) -> Any:
    """A correcting ledger entry for a line: posted when a second finance officer approves."""
    from payments.services import reconciliation_of

    side = reconciliation_of(account)
    side.rec.propose_correction(
        caller_actor(request),
        line=payload.line,
        kind=payload.kind,
        reason=payload.reason,
        payment=payload.payment,
        payments=side.expected(),
    )
    return Status(201, reconciliation_out(side.rec.state(side.expected())))


@router.post(
    "/reconciliation/corrections/{line}/approve", response=ReconciliationOut, auth=RECONCILE
)
def approve_correction(
    request: HttpRequest, line: str, account: str = "COUNCIL:BANK"
) -> ReconciliationOut:
    from payments.services import payments_journal, reconciliation_of

    side = reconciliation_of(account)
    side.rec.approve_correction(caller_actor(request), line=line, journal=payments_journal())
    return reconciliation_out(side.rec.state(side.expected()))


@router.get("/reconciliation/periods/{month}", auth=READ)
def period_report(
    request: HttpRequest, month: str, account: str = "COUNCIL:BANK"
) -> dict[str, Any]:
    """A month's report: the lines, matched and open, the difference, the balances."""
    from payments.services import reconciliation_of

    side = reconciliation_of(account)
    return side.rec.report(_month(month), side.expected(), balance_at=side.balance_at)


@router.post("/reconciliation/periods/{month}/close", auth=RECONCILE)
def close_period(request: HttpRequest, month: str, account: str = "COUNCIL:BANK") -> dict[str, Any]:
    """Close the month at zero difference (recording who); it is then frozen."""
    from payments.services import payments_journal, reconciliation_of, today

    side = reconciliation_of(account)
    return side.rec.close(
        caller_actor(request),
        _month(month),
        side.expected(),
        today=today(),
        balance_at=side.balance_at,
        journal=payments_journal(),
    )


def _month(month: str) -> str:
    from payments.reconciliation import ReconciliationError

    try:
        date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ReconciliationError("a month is YYYY-MM, like 2026-12", field="month") from None
    return month


# ---------------------------------------------------------------------------- surpluses

SURPLUS = allowed_by(policies.check_may_decide_surplus)


class OwedIn(Schema):
    what: str
    amount: int  # pence


class SurplusIn(Schema):
    on: date
    balance_pence: int
    owed: list[OwedIn] = []


class ReconsiderIn(Schema):
    owed: list[OwedIn]
    reason: str


class SurplusOut(Schema):
    budget: str
    on: date
    status: str
    amount_pence: int
    amount: str
    lines: list[str]
    history: list[list[str]]
    asked_again: str


def surplus_out(found: Any) -> SurplusOut:
    return SurplusOut(
        budget=found.budget,
        on=found.on,
        status=found.status.value,
        amount_pence=found.amount,
        amount=format_pence(found.amount),
        lines=list(found.lines),
        history=[list(h) for h in found.history],
        asked_again=found.asked_again,
    )


@router.post("/budgets/{council_ref}/surpluses", response={201: SurplusOut}, auth=SURPLUS)
def find_surplus(request: HttpRequest, council_ref: str, payload: SurplusIn) -> Any:
    """Work out the surplus in the person's direct-payment account on a day, from its balance
    and what is still to pay from it, under the council's policy; each reason a line."""
    from payments.services import monitoring

    found = monitoring().find(
        caller_actor(request),
        budget=council_ref,
        on=payload.on,
        balance=payload.balance_pence,
        owed=[o.dict() for o in payload.owed],
    )
    return Status(201, surplus_out(found))


@router.get("/budgets/{council_ref}/surpluses", response=list[SurplusOut], auth=SURPLUS)
def surpluses(request: HttpRequest, council_ref: str) -> list[SurplusOut]:
    """The budget's surpluses, newest first, each with its reasons and what was decided."""
    from payments.services import monitoring

    record_reads(caller(request), {council_ref: ["direct-payment surpluses"]}, request.path)
    return [surplus_out(found) for found in monitoring().of_budget(council_ref)]


@router.post("/budgets/{council_ref}/surpluses/{on}/ask-again", response=SurplusOut)
def ask_again(request: HttpRequest, council_ref: str, on: date, payload: ReasonIn) -> SurplusOut:
    """The person (or whoever acts for them) asks for a surplus notice to be looked at again:
    nothing is recovered until it is reconsidered."""
    from payments.services import monitoring

    found = monitoring().ask_again(
        caller_actor(request), budget=council_ref, on=on, reason=payload.reason
    )
    return surplus_out(found)


@router.post("/budgets/{council_ref}/surpluses/{on}/reconsider", response=SurplusOut, auth=SURPLUS)
def reconsider_surplus(
    request: HttpRequest, council_ref: str, on: date, payload: ReconsiderIn
) -> SurplusOut:
    """The person asked again: worked out anew with what they showed is still to pay."""
    from payments.services import monitoring

    found = monitoring().reconsider(
        caller_actor(request),
        budget=council_ref,
        on=on,
        owed=[o.dict() for o in payload.owed],
        reason=payload.reason,
    )
    return surplus_out(found)


@router.post("/budgets/{council_ref}/surpluses/{on}/{step}", response=SurplusOut, auth=SURPLUS)
def decide_surplus(
    request: HttpRequest, council_ref: str, on: date, step: str, payload: ReasonIn
) -> SurplusOut:
    """notice (tell the person), recover (from the next payments), repaid, or waive."""
    from config.actor import Actor
    from config.errors import NotFound
    from ledger.domain import Owner
    from ledger.services import ledger_app
    from payments.services import monitoring

    actor, watch = caller_actor(request), monitoring()
    kw = {"budget": council_ref, "on": on}
    if step == "notice":
        found = watch.notice(actor, **kw)
    elif step == "recover":
        found = watch.recover_from_payments(
            actor, **kw, reason=payload.reason, today=timezone.localdate()
        )
    elif step == "repaid":
        journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
        found = watch.repaid(actor, **kw, journal=journal)
    elif step == "waive":
        found = watch.waive(actor, **kw, reason=payload.reason)
    else:
        raise NotFound("no such step: notice, recover, repaid or waive", field="step")
    return surplus_out(found)


# ---------------------------------------------------------------------------- DP returns


class ActivityOut(Schema):
    on: date
    amount_pence: int
    reference: str
    description: str
    evidence_needed: str


class ReturnOut(Schema):
    id: UUID
    budget: str
    as_at: date
    balance_pence: int
    lines: list[ActivityOut]
    exceptions: list[int]
    confirmed_by: str


class ConfirmReturnIn(Schema):
    evidence: dict[int, str] = {}  # line number -> the person's answer, for the marked lines


def return_out(found: Any) -> ReturnOut:
    return ReturnOut(
        id=found.id,
        budget=found.budget,
        as_at=found.as_at,
        balance_pence=found.balance,
        lines=[
            ActivityOut(
                on=x.on,
                amount_pence=x.amount,
                reference=x.reference,
                description=x.description,
                evidence_needed=x.evidence_needed,
            )
            for x in found.lines
        ],
        exceptions=found.exceptions,
        confirmed_by=found.confirmed_by,
    )


@router.post("/budgets/{council_ref}/dp-returns", response={201: ReturnOut}, auth=SURPLUS)
def record_dp_return(
    request: HttpRequest,
    council_ref: str,
    file: File[UploadedFile],
    kind: Form[str],
    closing_balance_pence: Form[int],
    bank: Form[str] = "",
) -> Any:
    """The direct-payment account's statement (MT940, camt.053), or a bank's or prepaid card
    provider's CSV feed read with the columns saved for ``bank`` (the reconciliation's saved
    mappings), recorded against the budget and pre-filled as the person's return: only the
    exceptions ask for evidence."""
    from payments.services import dp_returns, reconciler

    mapping = reconciler().mapping(bank) if kind == "csv" and bank else None
    found = dp_returns().record(
        caller_actor(request),
        budget=council_ref,
        kind=kind,
        data=file.read(MAX_STATEMENT_BYTES + 1),
        closing_balance=closing_balance_pence,
        mapping=mapping,
    )
    return Status(201, return_out(found))


@router.post("/budgets/{council_ref}/dp-returns/{return_id}/confirm", response=ReturnOut)
def confirm_dp_return(
    request: HttpRequest, council_ref: str, return_id: UUID, payload: ConfirmReturnIn
) -> ReturnOut:
    """The person confirms their return, answering only the lines marked for evidence."""
    from payments.services import dp_returns

    found = dp_returns().confirm(
        caller_actor(request),
        budget=council_ref,
        return_id=return_id,
        evidence=dict(payload.evidence),
    )
    return return_out(found)
