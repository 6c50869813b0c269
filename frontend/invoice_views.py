"""Invoice pages: a provider submits an invoice and sees its invoices (and their remittances);
finance approves or rejects them. Each view asks the payments policy (through the command or
query it calls), and a refusal shows the GOV.UK error summary with nothing recorded."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.actor import Actor
from config.roles import Role
from frontend.access import roles_required, signed_in
from frontend.forms import attempt, date_field, date_value, sentence
from identity.actors import actor_from_user
from ledger.domain import Owner
from ledger.money import MoneyError, format_pence, parse_pounds
from ledger.services import ledger_app
from payments import models
from payments.application import invoice_payment_key, payments_app
from payments.invoices import FeeKind
from payments.services import catch_up, invoice_facts

KINDS = [(k.value, k.label.capitalize()) for k in FeeKind]


def _engagements(provider: UUID | None) -> list[Any]:
    from marketplace.models import EngagementRecord
    from marketplace.services import catch_up as catch_up_market

    if provider is None:
        return []
    catch_up_market()
    return list(
        EngagementRecord.objects.filter(provider_id=provider, status__in=["active", "ended"])
    )


def _invoices_page(request: HttpRequest, errors: dict[str, str], status: int = 200) -> HttpResponse:
    catch_up()
    actor = actor_from_user(signed_in(request))
    own = actor.organisation
    found = (
        models.InvoiceRecord.objects.filter(provider=own)
        if own
        else models.InvoiceRecord.objects.none()
    )
    invoices = list(found[:100])
    paid = {
        p.key: p
        for p in models.PaymentRecord.objects.filter(
            key__in=[invoice_payment_key(i.id) for i in invoices]
        )
    }
    for invoice in invoices:
        invoice.amount_text = format_pence(invoice.amount)  # type: ignore[attr-defined]
        invoice.payment = paid.get(invoice_payment_key(invoice.id))  # type: ignore[attr-defined]
        invoice.kind_label = FeeKind(invoice.kind).label.capitalize()  # type: ignore[attr-defined]
    context = {
        "invoices": invoices,
        "engagements": _engagements(actor.organisation),
        "kinds": KINDS,
        "errors": errors,
        "form": request.POST if errors else {},
        "service_date": date_value(request.POST, "service_date") if errors else {},
        "submitted": request.GET.get("submitted", ""),
    }
    return render(request, "frontend/payments/provider_invoices.html", context, status=status)


@roles_required(Role.PROVIDER_STAFF)
def provider_invoices(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _invoices_page(request, {})
    actor = actor_from_user(signed_in(request))
    data = request.POST
    errors: dict[str, str] = {}
    day, date_error = date_field(data, "service_date")
    if date_error or day is None:
        errors["service_date"] = sentence(
            "Service date", date_error or "enter the date of the service"
        )
    try:
        amount: object = parse_pounds(data.get("amount", ""))
    except MoneyError as exc:
        errors["amount"] = sentence("Amount", str(exc))
        amount = None
    try:
        engagement = UUID(data.get("engagement", ""))
    except ValueError:
        errors["engagement"] = "Choose the engagement the invoice is for"
    if errors:
        return _invoices_page(request, errors, 400)
    assert day is not None
    _, errors = attempt(
        lambda: payments_app().submit_invoice(
            actor,
            engagement=engagement,
            number=data.get("number", ""),
            kind=data.get("kind", ""),
            service_date=day,
            amount=amount,
            today=timezone.localdate(),
            facts_of=invoice_facts,
        )
    )
    if errors:
        return _invoices_page(request, errors, 400)
    return redirect("/provider/invoices/?submitted=" + data.get("number", "").strip().upper())


@roles_required(Role.FINANCE_OFFICER)
def finance_invoices(request: HttpRequest, errors: dict[str, str] | None = None) -> HttpResponse:
    catch_up()
    waiting = list(
        models.InvoiceRecord.objects.filter(status="submitted").order_by("submitted_at")[:100]
    )
    for invoice in waiting:
        invoice.amount_text = format_pence(invoice.amount)  # type: ignore[attr-defined]
        invoice.kind_label = FeeKind(invoice.kind).label.capitalize()  # type: ignore[attr-defined]
    from payments.queries import approval_to_paid

    actor = actor_from_user(signed_in(request))
    context = {
        "invoices": waiting,
        "errors": errors or {},
        "done": request.GET.get("done", ""),
        "speed": approval_to_paid(actor, today=timezone.localdate()),
    }
    return render(
        request, "frontend/payments/finance_invoices.html", context, status=400 if errors else 200
    )


@require_POST
@roles_required(Role.FINANCE_OFFICER)
def decide_invoice(request: HttpRequest, invoice: UUID, decision: str) -> HttpResponse:
    from django.http import Http404

    actor = actor_from_user(signed_in(request))
    app = payments_app()
    if decision == "approve":
        journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
        _, errors = attempt(lambda: app.approve_invoice(actor, invoice, journal=journal))
    elif decision == "reject":
        journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
        _, errors = attempt(
            lambda: app.reject_invoice(
                actor, invoice, reason=request.POST.get("reason", ""), journal=journal
            )
        )
    else:
        raise Http404("no such decision")
    if errors:
        return finance_invoices(request, errors)
    return redirect(f"/finance/invoices/?done={decision}")
