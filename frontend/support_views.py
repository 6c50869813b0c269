"""The person's "my support" pages: their engagements, choosing, ending, feedback."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accreditation.domain import Service
from accreditation.models import ProviderRecord
from config.roles import Role
from frontend.access import roles_required, signed_in
from frontend.forms import attempt
from ledger.money import format_pence
from marketplace import queries
from marketplace.domain import Chooser
from marketplace.models import EngagementRecord, Notice, PersonAccount
from marketplace.services import catch_up, marketplace_app


def _people(request: HttpRequest) -> dict[str, str]:
    return dict(
        PersonAccount.objects.filter(user=signed_in(request)).values_list("person", "relationship")
    )


def _render(
    request: HttpRequest, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    catch_up()
    people = _people(request)
    engagements = list(EngagementRecord.objects.filter(person__in=list(people)))
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
    context: dict[str, Any] = {
        "engagements": engagements,
        "notices": Notice.objects.filter(recipient__in=list(people))[:20],
        "errors": errors or {},
        "has_person": bool(people),
    }
    return render(request, "frontend/support/my_support.html", context, status=status)


@roles_required(Role.PERSON)
def my_support(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _own(request: HttpRequest, engagement: UUID) -> EngagementRecord:
    catch_up()
    found = EngagementRecord.objects.filter(
        id=engagement, person__in=list(_people(request))
    ).first()
    if found is None:
        raise Http404("no such engagement")  # someone else's looks the same as none
    return found


@require_POST
@roles_required(Role.PERSON)
def choose(request: HttpRequest) -> HttpResponse:
    people = _people(request)
    if not people:
        return _render(
            request,
            {"provider": "Your account is not linked to a person yet: ask your social worker"},
            400,
        )
    # A nominee or advocate for more than one person says whom the support is for.
    person = request.POST.get("person", "") or (next(iter(people)) if len(people) == 1 else "")
    if person not in people:
        return _render(request, {"choice": "Choose who this support is for"}, 400)
    relationship = people[person]
    try:
        provider = UUID(request.POST.get("provider", ""))
    except ValueError:
        return _render(request, {"choice": "Choose a provider from the list"}, 400)
    # The form carries its own key, so pressing the button twice asks once.
    service, today = request.POST.get("service", ""), timezone.localdate()
    # The form's one-off key, scoped to this user: a double press asks once.
    key = f"{request.user.username}:{request.POST.get('key', '')[:64] or uuid4().hex}"
    chooser = Chooser(request.user.username, relationship)
    switching = request.POST.get("switch", "")
    if switching:
        # Changing provider: the current engagement ends the day the new one is accepted.
        try:
            current = _own(request, UUID(switching))
        except ValueError:
            return _render(request, {"choice": "Choose the support you are changing"}, 400)
        _, errors = attempt(
            lambda: marketplace_app().switch(
                current.id, to_provider=provider, chooser=chooser, today=today, key=key
            )
        )
    else:
        _, errors = attempt(
            lambda: marketplace_app().choose(
                person=person,
                provider=provider,
                service=service,
                chooser=chooser,
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
    _own(request, engagement)
    _, errors = attempt(
        lambda: marketplace_app().end(
            engagement,
            by="person",
            actor=request.user.username,
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
    _own(request, engagement)
    rating = request.POST.get("rating", "")
    _, errors = attempt(
        lambda: marketplace_app().give_feedback(
            engagement,
            rating=int(rating) if rating in ("1", "2", "3", "4", "5") else None,
            comment=request.POST.get("comment", ""),
            actor=request.user.username,
        )
    )
    if errors:
        return _render(request, errors, 400)
    messages.success(
        request, "Thank you. Your feedback will be published once it has been checked."
    )
    return redirect("my-support")
