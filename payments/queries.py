"""The payments context's reads, each asking its policy first (payments/policies.py), from the
read models (payments/models.py) brought up to date by the caller's own writes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from config.actor import Actor
from payments import models, policies
from payments.runs import PaymentStatus

MAX_PAGE = 200


def runs(actor: Actor) -> QuerySet[models.PaymentRunRecord]:
    policies.check_may_read_payments(actor)
    return models.PaymentRunRecord.objects.all()


def run(actor: Actor, run_id: UUID) -> models.PaymentRunRecord:
    policies.check_may_read_payments(actor)
    from payments.application import RunNotFoundError

    found = models.PaymentRunRecord.objects.filter(id=run_id).first()
    if found is None:
        raise RunNotFoundError(f"no payment run {run_id}", field="run")
    return found


def payments_of_run(
    actor: Actor, run_id: UUID, *, status: str = ""
) -> QuerySet[models.PaymentRecord]:
    policies.check_may_read_payments(actor)
    found = models.PaymentRecord.objects.filter(run=run_id)
    return found.filter(status=status) if status else found


def exceptions(actor: Actor) -> QuerySet[models.PaymentRecord]:
    """What finance must look at: payments failed for good, each with its reason."""
    policies.check_may_read_payments(actor)
    return models.PaymentRecord.objects.filter(status=PaymentStatus.FAILED.value, retryable=False)


def payments_of_budget(actor: Actor, budget_ref: str) -> QuerySet[models.PaymentRecord]:
    """A person's payments: the person (or whoever acts for them) and staff see them; anyone
    else is told there is no such person (the budgets context decides who sees a budget)."""
    from budgets.services import budget_app

    budget_app().may_see(actor, budget_ref)
    return models.PaymentRecord.objects.filter(budget=budget_ref)


def next_due(budget_ref: str, *, today: date) -> Any:
    """The person's next direct payment from their schedule (``Due``), or None."""
    from payments.application import AgreementNotFoundError, payments_app
    from payments.calendar import CalendarError, england_and_wales

    try:
        agreement = payments_app().agreement(budget_ref)
    except AgreementNotFoundError:
        return None
    try:
        schedule = agreement.schedule(england_and_wales(), until=today + timedelta(weeks=14))
    except CalendarError:
        return None
    paid = set(
        models.PaymentRecord.objects.filter(
            budget=budget_ref, status=PaymentStatus.PAID.value
        ).values_list("key", flat=True)
    )
    upcoming = [d for d in schedule.due if d.pay_on >= today and d.key not in paid]
    return upcoming[0] if upcoming else None


def check_may_see_invoice_payment(actor: Actor, payment: models.PaymentRecord) -> None:
    """An invoice's payment: its provider's staff and finance's readers see it; anyone else
    is told there is no such payment."""
    from config.errors import NotFound

    invoice = models.InvoiceRecord.objects.filter(id=payment.key.rsplit(":", 1)[1]).first()
    if actor.has(*policies.READERS):
        return
    if invoice is None or actor.organisation != invoice.provider:
        raise NotFound("no such payment", field="payment")


# Approved invoices are paid within this many working days (the council's target).
APPROVAL_TO_PAID_TARGET = 5


def approval_to_paid(actor: Actor, *, today: date, days: int = 90) -> dict[str, Any]:
    """How long approved invoices took to be paid, in working days, over the last ``days``:
    how many, the median and the longest, how many missed the target; and those approved and
    waiting, with how long."""
    import statistics

    from django.utils import timezone

    from payments.calendar import england_and_wales

    policies.check_may_read_payments(actor)
    calendar = england_and_wales()
    since = today - timedelta(days=days)
    local = timezone.localtime
    paid = [
        calendar.working_days_between(local(r.approved_at).date(), local(r.paid_at).date())
        for r in models.InvoiceRecord.objects.filter(
            status="paid", approved_at__isnull=False, paid_at__date__gte=since
        )
        if r.approved_at and r.paid_at
    ]
    waiting = [
        (r.number, calendar.working_days_between(local(r.approved_at).date(), today))
        for r in models.InvoiceRecord.objects.filter(status="approved", approved_at__isnull=False)
        if r.approved_at
    ]
    return {
        "target": APPROVAL_TO_PAID_TARGET,
        "paid": len(paid),
        "median": statistics.median(paid) if paid else None,
        "longest": max(paid) if paid else None,
        "missed": sum(d > APPROVAL_TO_PAID_TARGET for d in paid),
        "waiting": sorted(waiting, key=lambda w: -w[1]),
        "waiting_over_target": sum(d > APPROVAL_TO_PAID_TARGET for _, d in waiting),
    }
