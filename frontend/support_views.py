"""The person's "my support" pages: their engagements, choosing, ending, feedback."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accreditation.domain import Service
from accreditation.models import ProviderRecord
from config.roles import Role
from frontend.access import roles_required, signed_in
from frontend.forms import attempt
from identity.actors import actor_from_user
from ledger.money import format_pence
from marketplace import queries
from marketplace.services import catch_up, marketplace_app


def _render(
    request: HttpRequest, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    catch_up()
    actor = actor_from_user(signed_in(request))
    engagements = list(queries.engagements(actor))
    names = dict(
        ProviderRecord.objects.filter(id__in=[e.provider_id for e in engagements]).values_list(
            "id", "name"
        )
    )
    for e in engagements:
        e.provider_name = names.get(e.provider_id, "")  # type: ignore[attr-defined]
        e.service_label = Service(e.service).label  # type: ignore[attr-defined]
        e.price_text = format_pence(e.price)  # type: ignore[attr-defined]
        e.flag_text = queries.flag(e)  # type: ignore[attr-defined]
    people = [ref for ref, _ in actor.on_behalf_of]
    context: dict[str, Any] = {
        "engagements": engagements,
        "notices": queries.open_notices(people),
        "errors": errors or {},
        "has_person": bool(people),
    }
    return render(request, "frontend/support/my_support.html", context, status=status)


@roles_required(Role.PERSON)
def my_support(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


@require_POST
@roles_required(Role.PERSON)
def choose(request: HttpRequest) -> HttpResponse:
    """Choose a provider, or change to another (``switch``): whom it is for, and whether this
    person may choose it, are the marketplace's to decide."""
    actor = actor_from_user(signed_in(request))
    provider = _uuid(request.POST.get("provider", ""))
    if provider is None:
        return _render(request, {"choice": "Choose a provider from the list"}, 400)
    # The form carries its own one-off key: pressing the button twice asks once.
    key = request.POST.get("key", "")[:64] or uuid4().hex
    today, switching = timezone.localdate(), request.POST.get("switch", "")
    if switching:
        # Changing provider: the current engagement ends the day the new one is accepted.
        current = _uuid(switching)
        if current is None:
            return _render(request, {"choice": "Choose the support you are changing"}, 400)
        _, errors = attempt(
            lambda: marketplace_app().switch(
                current, actor=actor, to_provider=provider, today=today, key=key
            )
        )
    else:
        _, errors = attempt(
            lambda: marketplace_app().choose(
                actor=actor,
                person=request.POST.get("person", ""),
                provider=provider,
                service=request.POST.get("service", ""),
                today=today,
                key=key,
            )
        )
    if errors:
        # The choice was made on another page: the summary links to where to choose again.
        return _render(request, {"choice": " ".join(errors.values())}, 400)
    messages.success(
        request,
        "Your request has been sent. The organisation will accept or decline it."
        + (" Your current support carries on until then." if switching else ""),
    )
    return redirect("my-support")


@require_POST
@roles_required(Role.PERSON)
def end(request: HttpRequest, engagement: UUID) -> HttpResponse:
    _, errors = attempt(
        lambda: marketplace_app().end(
            engagement,
            actor=actor_from_user(signed_in(request)),
            reason=request.POST.get("reason", ""),
            today=timezone.localdate(),
        )
    )
    if errors:
        return _render(request, {"reason": errors.popitem()[1]}, 400)
    messages.success(request, "The engagement has ended.")
    return redirect("my-support")


@require_POST
@roles_required(Role.PERSON)
def feedback(request: HttpRequest, engagement: UUID) -> HttpResponse:
    rating = request.POST.get("rating", "")
    _, errors = attempt(
        lambda: marketplace_app().give_feedback(
            engagement,
            actor=actor_from_user(signed_in(request)),
            rating=int(rating) if rating in ("1", "2", "3", "4", "5") else None,
            comment=request.POST.get("comment", ""),
        )
    )
    if errors:
        return _render(request, errors, 400)
    messages.success(
        request, "Thank you. Your feedback will be published once it has been checked."
    )
    return redirect("my-support")
