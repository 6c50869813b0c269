"""How a person is told (email, text message or letter), and the notices they were sent.

The rules (who may say, what a good address is) are the notifications context's
(notifications/policies.py, domain.py ``Reach``); this view asks it and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from budgets.services import person_summary
from config.audit import record_read
from config.errors import NotFound
from config.roles import Role
from frontend.access import roles_required, signed_in
from frontend.forms import attempt
from identity.actors import actor_from_user
from marketplace import queries as marketplace
from notifications.application import notifications_app

WAYS = [("email", "Email"), ("sms", "Text message"), ("letter", "Letter")]


@roles_required(Role.SOCIAL_WORKER, Role.TEAM_MANAGER)
def case_contact(request: HttpRequest, council_ref: str) -> HttpResponse:
    return _contact(request, council_ref, own=False)


@roles_required(Role.PERSON)
def my_contact(request: HttpRequest, council_ref: str) -> HttpResponse:
    """The person (or whoever acts for them) says how they want to be told; someone else's
    reference is not found (the notifications context's policy)."""
    return _contact(request, council_ref, own=True)


def _contact(request: HttpRequest, council_ref: str, *, own: bool) -> HttpResponse:
    actor = actor_from_user(signed_in(request))
    try:
        name = person_summary(council_ref, actor=actor).name
    except NotFound:
        raise Http404("no such person") from None
    app = notifications_app()
    record_read(signed_in(request), [council_ref], request.path)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values: dict[str, Any] = {
            k: request.POST.get(k, "") for k in ("preferred", "email", "phone", "address")
        }
        _, errors = attempt(lambda: app.state_contact(actor, person=council_ref, **values))
        if not errors:
            if own:
                messages.success(request, "Saved. We will tell you this way from now on.")
                return redirect("my-budget")
            messages.success(request, f"Recorded how {name} wants to be told.")
            return redirect("case", council_ref=council_ref)
    else:
        reach = app.contact_of(actor, council_ref)
        values = {
            "preferred": reach.preferred if reach else "",
            "email": reach.email if reach else "",
            "phone": reach.phone if reach else "",
            "address": "\n".join(reach.address) if reach else "",
        }
    context = {
        "council_ref": council_ref,
        "name": name,
        "values": values,
        "ways": WAYS,
        "errors": errors,
        "own": own,
    }
    return render(request, "frontend/cases/contact.html", context, status=400 if errors else 200)


@require_POST
@roles_required(Role.PERSON, Role.PROVIDER_STAFF)
def dismiss(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The recipient has read a notice: it clears (the marketplace's policy decides whose)."""
    try:
        marketplace.dismiss_notice(actor_from_user(signed_in(request)), notice_id)
    except NotFound:
        raise Http404("no such notice") from None
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    return redirect(back)
