"""Providers' bank accounts for a council paying them by Bacs: finance lists the registered
providers and where each is paid, records new details (saying how they were checked), and a
second officer confirms or rejects them. The payments context decides every rule (who, the two
officers, the account's format); these pages only show it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accreditation.models import ProviderRecord
from config.errors import NotFound
from frontend.access import allowed_by, signed_in
from frontend.forms import attempt
from identity.actors import actor_from_user
from payments import policies
from payments.application import payments_app
from payments.provider_banks import masked
from payments.services import registered_provider

PAGE_SIZE = 50
LABELS = {
    "sort_code": "Sort code",
    "account_number": "Account number",
    "account_name": "Name on the account",
    "verified_how": "How you checked them",
    "approver": "Confirm",
    "account": "Bank details",
    "reason": "Why they are rejected",
}


@allowed_by(policies.check_may_see_provider_banks)
def providers(request: HttpRequest) -> HttpResponse:
    from accreditation.services import catch_up

    catch_up()
    page = Paginator(ProviderRecord.objects.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    app = payments_app()
    for record in page:
        bank = app.provider_bank(record.id)
        record.in_force = masked(bank.in_force) if bank else ""  # type: ignore[attr-defined]
        record.awaiting = bool(bank and bank.awaiting)  # type: ignore[attr-defined]
    return render(request, "frontend/payments/providers.html", {"page": page})


@allowed_by(policies.check_may_see_provider_banks)
def provider_bank(
    request: HttpRequest, provider: UUID, errors: dict[str, str] | None = None
) -> HttpResponse:
    try:
        name = registered_provider(provider)
    except NotFound:
        raise Http404("no such provider") from None
    actor = actor_from_user(signed_in(request))
    bank = payments_app().provider_bank(provider)
    data: Any = request.POST if errors else {}
    context = {
        "provider": provider,
        "name": name,
        "in_force": masked(bank.in_force) if bank else "",
        "confirmed_by": bank.confirmed_by if bank else ("", ""),
        "awaiting": masked(bank.awaiting) if bank and bank.awaiting else "",
        "awaiting_by": bank.awaiting_by if bank else "",
        "awaiting_how": bank.awaiting_how if bank else "",
        "history": len(bank.history) if bank else 0,
        "may_keep": actor.has(*policies.FINANCE),
        "form": data,
        "errors": errors or {},
    }
    status = 400 if errors else 200
    return render(request, "frontend/payments/provider_bank.html", context, status=status)


@require_POST
@allowed_by(policies.check_may_keep_provider_banks)
def decide_provider_bank(request: HttpRequest, provider: UUID, step: str) -> HttpResponse:
    actor = actor_from_user(signed_in(request))
    app, data = payments_app(), request.POST
    try:
        registered_provider(provider)
    except NotFound:
        raise Http404("no such provider") from None
    commands = {
        "record": lambda: app.record_provider_bank(
            actor,
            provider,
            registered=registered_provider,
            sort_code=data.get("sort_code", ""),
            account_number=data.get("account_number", ""),
            name=data.get("account_name", ""),
            how=data.get("verified_how", ""),
        ),
        "confirm": lambda: app.confirm_provider_bank(actor, provider),
        "reject": lambda: app.reject_provider_bank(actor, provider, reason=data.get("reason", "")),
    }
    if step not in commands:
        raise Http404("no such step")
    _, errors = attempt(commands[step], where=lambda path: (path, LABELS.get(path, path)))
    if errors:
        return provider_bank(request, provider, errors)
    messages.success(
        request,
        {
            "record": "The new bank details are recorded: a second finance officer confirms them"
            " before any payment goes to them.",
            "confirm": "The bank details are confirmed: payment runs pay to them from now.",
            "reject": "The new bank details are rejected: payments go where they went before.",
        }[step],
    )
    return redirect("provider-bank", provider=provider)
