"""The provider's own area: status, requests to accept or decline, applying, evidence."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accreditation import models as register
from accreditation import policies
from accreditation.application import EVIDENCE_KINDS, MAX_EVIDENCE_BYTES
from accreditation.domain import Service
from accreditation.models import OnboardingLink
from accreditation.payment_accounts import request_onboarding_link
from accreditation.services import accreditation_app
from accreditation.services import catch_up as catch_up_register
from accreditation.tasks import refresh_payouts
from config.actor import Actor
from config.errors import NotFound
from config.roles import Role
from frontend.access import roles_required, signed_in
from frontend.forms import attempt, date_field
from identity.actors import actor_from_user
from marketplace import queries
from marketplace.services import catch_up, marketplace_app


def _render(
    request: HttpRequest, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    catch_up()
    actor = actor_from_user(signed_in(request))
    provider_id = actor.organisation  # none until the organisation is registered
    context: dict[str, Any] = {"errors": errors or {}, "provider": None, "kinds": EVIDENCE_KINDS}
    if provider_id is not None:
        provider = register.ProviderRecord.objects.filter(id=provider_id).first()
        services = list(register.ServiceRecord.objects.filter(provider_id=provider_id))
        for s in services:
            s.label = Service(s.service).label  # type: ignore[attr-defined]
        today = timezone.localdate()
        evidence = list(register.Evidence.objects.filter(provider_id=provider_id))
        for e in evidence:
            e.expired = e.expires_on is not None and e.expires_on < today  # type: ignore[attr-defined]
            e.expiring = (  # type: ignore[attr-defined]
                e.expires_on is not None and not e.expired and (e.expires_on - today).days <= 30  # type: ignore[attr-defined]
            )
        engagements = list(queries.engagements(actor))  # only this provider's (the policy)
        people = _people(actor, engagements)
        for g in engagements:
            g.service_label = Service(g.service).label  # type: ignore[attr-defined]
            g.name, g.contact = people.get(g.person, (g.person, ""))  # type: ignore[attr-defined]
        applied = {
            s.service for s in services if s.status not in ("refused", "withdrawn", "expired")
        }
        context.update(
            provider=provider,
            services=services,
            evidence=evidence,
            requests=[g for g in engagements if g.status == "requested"],
            active=[g for g in engagements if g.status == "active"],
            notices=queries.open_notices([str(provider_id)]),
            can_apply=[(s.value, s.label) for s in Service if s.value not in applied],
        )
    return render(request, "frontend/provider/area.html", context, status=status)


def _people(actor: Actor, engagements: list[Any]) -> dict[str, tuple[str, str]]:
    """The name and the way to reach each person with an open engagement: the notifications
    context's policy lets a provider read the contact of someone who chose them."""
    from budgets.models import CaseRecord
    from budgets.services import catch_up_cases
    from notifications.application import notifications_app

    catch_up_cases()
    refs = {g.person for g in engagements if g.status in ("requested", "active")}
    names = dict(CaseRecord.objects.filter(council_ref__in=refs).values_list("council_ref", "name"))
    found: dict[str, tuple[str, str]] = {}
    for ref in sorted(refs):
        try:
            reach = notifications_app().contact_of(actor, ref)
        except NotFound:
            reach = None
        found[ref] = (names.get(ref, ref), reach.route()[1].replace("\n", ", ") if reach else "")
    return found


@roles_required(Role.PROVIDER_STAFF)
def area(request: HttpRequest) -> HttpResponse:
    provider_id = actor_from_user(signed_in(request)).organisation
    record = register.ProviderRecord.objects.filter(id=provider_id).first() if provider_id else None
    if record and record.payment_account and not record.payouts_ready:
        # Back from onboarding, perhaps: a worker asks Stripe (Stripe's webhook says so too).
        refresh_payouts.delay(str(record.id))
    return _render(request)


@roles_required(Role.PROVIDER_STAFF)
def set_up_payments(request: HttpRequest) -> HttpResponse:
    """Asked for (POST), a worker makes the onboarding link with Stripe; this page shows it
    once ready, refreshing itself until then. No request waits on Stripe."""
    actor = actor_from_user(signed_in(request))
    provider = policies.own_organisation(actor)
    if request.method == "POST":
        back = request.build_absolute_uri(reverse("provider-area"))
        request_onboarding_link(provider, actor=actor, return_url=back)
        return redirect("provider-payments")
    link = OnboardingLink.objects.filter(provider_id=provider).first()
    context = {"link": link, "waiting": link is not None and link.ready_at is None}
    return render(request, "frontend/provider/payments.html", context)


# The page's words for the decision in its address; any other address is no page at all.
DECISIONS = ("accept", "decline")


@require_POST
@roles_required(Role.PROVIDER_STAFF)
def decide(request: HttpRequest, engagement: UUID, decision: str) -> HttpResponse:
    if decision not in DECISIONS:
        raise Http404("no such decision")  # a mistyped address must not decline a request
    app, today, actor = marketplace_app(), timezone.localdate(), actor_from_user(signed_in(request))
    if decision == "accept":
        _, errors = attempt(lambda: app.accept(engagement, actor=actor, today=today))
    else:
        _, errors = attempt(
            lambda: app.decline(engagement, actor=actor, reason=request.POST.get("reason", ""))
        )
    if errors:
        return _render(request, {"reason": next(iter(errors.values()))}, 400)
    messages.success(request, "Request accepted." if decision == "accept" else "Request declined.")
    return redirect("provider-area")


def _provider(request: HttpRequest) -> UUID:
    """The organisation the provider's own area is about: the staff member's own, refused by
    the register's policy until it is registered (the forbidden page says so)."""
    return policies.own_organisation(actor_from_user(signed_in(request)))


@require_POST
@roles_required(Role.PROVIDER_STAFF)
def apply(request: HttpRequest) -> HttpResponse:
    _, errors = attempt(
        lambda: accreditation_app().apply(
            _provider(request),
            service=request.POST.get("service", ""),
            actor=actor_from_user(signed_in(request)),
            note=request.POST.get("note", ""),
        )
    )
    if errors:
        return _render(request, errors, 400)
    catch_up_register()
    messages.success(request, "Application sent to the register administrator.")
    return redirect("provider-area")


@require_POST
@roles_required(Role.PROVIDER_STAFF)
def upload(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    expires_on, date_error = date_field(request.POST, "expires_on")
    if date_error:
        return _render(request, {"expires_on": f"Expiry date {date_error}"}, 400)
    if upload is None:
        return _render(request, {"file": "Choose a file to upload"}, 400)
    if upload.size and upload.size > MAX_EVIDENCE_BYTES:
        return _render(request, {"file": "The file must be smaller than 5 MB"}, 400)
    _, errors = attempt(
        lambda: accreditation_app().add_evidence(
            _provider(request),
            kind=request.POST.get("kind", ""),
            filename=upload.name,
            content=upload.read(MAX_EVIDENCE_BYTES + 1),
            expires_on=expires_on,
            today=timezone.localdate(),
            actor=actor_from_user(signed_in(request)),
        )
    )
    if errors:
        return _render(request, errors, 400)
    catch_up_register()
    messages.success(request, f"{upload.name} uploaded.")
    return redirect("provider-area")
