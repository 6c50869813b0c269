"""The register administrator's queue: assess against the checklist, decide, suspend, renew."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accreditation import models, queries
from accreditation.domain import Service
from accreditation.payment_accounts import accredit
from accreditation.services import accreditation_app, catch_up
from config.roles import Role
from frontend.access import roles_required, signed_in
from frontend.forms import attempt, date_field
from identity.actors import actor_from_user
from marketplace.models import EngagementRecord
from marketplace.services import marketplace_app


@roles_required(Role.REGISTER_ADMIN)
def queue(request: HttpRequest) -> HttpResponse:
    catch_up()
    waiting = list(queries.queue())
    for s in waiting:
        s.label = Service(s.service).label  # type: ignore[attr-defined]
    feedback = EngagementRecord.objects.filter(feedback_status="awaiting moderation")[:50]
    services = Paginator(queries.in_force(), 50).get_page(request.GET.get("page"))
    for s in services:
        s.label = Service(s.service).label  # type: ignore[attr-defined]
    context = {"waiting": waiting, "feedback": feedback, "page": services, "query_prefix": ""}
    return render(request, "frontend/admin/queue.html", context)


def _detail(
    request: HttpRequest,
    accreditation: UUID,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    catch_up()
    record = (
        models.ServiceRecord.objects.select_related("provider").filter(id=accreditation).first()
    )
    if record is None:
        raise Http404("no such accreditation")
    assessed = {a.criterion: a for a in record.assessments.all()}
    checklist = accreditation_app().checklist()
    version = record.checklist_version or checklist.current_version
    criteria = [
        {
            "code": c.code,
            "title": c.title,
            "description": c.description,
            "assessment": assessed.get(c.code),
        }
        for c in checklist.criteria(version)
    ]
    data = request.POST if errors else {}
    context: dict[str, Any] = {
        "record": record,
        "decide_actions": DECIDE,
        "change_actions": CHANGE_WHEN_SUSPENDED if record.status == "suspended" else CHANGE,
        "chosen": data.get("action", ""),
        "reason": data.get("reason", ""),
        "label": Service(record.service).label,
        "criteria": criteria,
        "version": version,
        "evidence": record.provider.evidence.all(),
        "today": timezone.localdate(),  # evidence past its expiry is marked for the assessor
        "errors": errors or {},
    }
    return render(request, "frontend/admin/accreditation.html", context, status=status)


# Each decision on one form: what to do, and one reason box for it.
DECIDE = [
    ("accredit", "Accredit", "Every criterion is met: people can choose them"),
    ("refuse", "Refuse", "The criteria are not met"),
]
CHANGE = [
    ("suspend", "Suspend", "No new requests while the council looks into a concern"),
    ("renew", "Renew", "Extend the accreditation to a new date"),
    ("withdraw", "Withdraw", "End the accreditation: they can no longer give this support"),
]
CHANGE_WHEN_SUSPENDED = [
    ("reinstate", "Reinstate", "The concern is resolved: people can choose them again"),
    CHANGE[2],
]
# Steps that affect the people already engaged: confirmed first, with how many.
CONFIRM = {"suspend": "Suspend", "withdraw": "Withdraw"}


def _confirm(
    request: HttpRequest,
    accreditation: UUID,
    step: str,
    errors: dict[str, str] | None = None,
) -> HttpResponse:
    """Before a suspension or a withdrawal: who it affects, and the reason once more."""
    from marketplace.queries import open_with
    from marketplace.services import catch_up as catch_up_marketplace

    catch_up()
    record = models.ServiceRecord.objects.select_related("provider").filter(id=accreditation)
    found = record.first()
    if found is None:
        raise Http404("no such accreditation")
    catch_up_marketplace()
    people = open_with(found.provider_id, found.service)
    context = {
        "record": found,
        "label": Service(found.service).label,
        "step": step,
        "verb": CONFIRM[step],
        "affected": len(people),
        "reason": request.POST.get("reason", ""),
        "errors": errors or {},
    }
    return render(request, "frontend/admin/confirm.html", context, status=400 if errors else 200)


@roles_required(Role.REGISTER_ADMIN)
def detail(request: HttpRequest, accreditation: UUID) -> HttpResponse:
    return _detail(request, accreditation)


@require_POST
@roles_required(Role.REGISTER_ADMIN)
def act(request: HttpRequest, accreditation: UUID, step: str) -> HttpResponse:
    app, actor, today, data = (
        accreditation_app(),
        actor_from_user(signed_in(request)),
        timezone.localdate(),
        request.POST,
    )
    expires_on, date_error = date_field(data, "expires_on")
    expiry = expires_on or today  # checked below before accredit or renew uses it
    commands = {
        "start": lambda: app.start_assessment(accreditation, actor=actor),
        "assess": lambda: app.assess(
            accreditation,
            criterion=data.get("criterion", ""),
            met=data.get("met") == "yes",
            evidence=data.getlist("evidence"),
            note=data.get("note", ""),
            actor=actor,
        ),
        "accredit": lambda: accredit(  # and open the provider's payment account
            accreditation,
            expires_on=expiry,
            today=today,
            conditions=data.get("conditions", ""),
            actor=actor,
            reason=data.get("reason", ""),
        ),
        "refuse": lambda: app.refuse(accreditation, actor=actor, reasons=data.get("reason", "")),
        "suspend": lambda: app.suspend(
            accreditation, actor=actor, reason=data.get("reason", ""), today=today
        ),
        "reinstate": lambda: app.reinstate(
            accreditation, actor=actor, reason=data.get("reason", ""), today=today
        ),
        "withdraw": lambda: app.withdraw(
            accreditation, actor=actor, reason=data.get("reason", ""), today=today
        ),
        "renew": lambda: app.renew(
            accreditation,
            actor=actor,
            expires_on=expiry,
            today=today,
            reason=data.get("reason", ""),
        ),
    }
    if step == "decide":  # the one form: its chosen action
        step = data.get("action", "")
        if step not in commands:
            return _detail(request, accreditation, {"action": "Select what you want to do"}, 400)
    if step not in commands:
        raise Http404("no such step")
    if step in CONFIRM and data.get("confirmed") != "yes":
        return _confirm(request, accreditation, step)
    if step in ("accredit", "renew") and (date_error or expires_on is None):
        return _detail(
            request,
            accreditation,
            {"expires_on": f"Expiry date {date_error or 'is required'}"},
            400,
        )
    _, errors = attempt(commands[step])
    if errors and step in CONFIRM:  # refused after "Yes": the same question, with why
        return _confirm(request, accreditation, step, errors)
    if errors:
        # The page has one reason box and one choice: a refusal of either lands there.
        moved = {"reasons": "reason", "status": "action"}
        return _detail(request, accreditation, {moved.get(k, k): v for k, v in errors.items()}, 400)
    catch_up()
    messages.success(request, "Recorded. The public register shows it now.")
    return redirect("register-admin-accreditation", accreditation=accreditation)


@require_POST
@roles_required(Role.REGISTER_ADMIN)
def moderate(request: HttpRequest, engagement: UUID) -> HttpResponse:
    _, errors = attempt(
        lambda: marketplace_app().moderate_feedback(
            engagement,
            actor=actor_from_user(signed_in(request)),
            publish=request.POST.get("publish") == "yes",
            note=request.POST.get("note", ""),
        )
    )
    if errors:
        messages.error(request, next(iter(errors.values())))
    return redirect("register-admin")
