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
    context: dict[str, Any] = {
        "record": record,
        "label": Service(record.service).label,
        "criteria": criteria,
        "version": version,
        "evidence": record.provider.evidence.all(),
        "today": timezone.localdate(),  # evidence past its expiry is marked for the assessor
        "errors": errors or {},
    }
    return render(request, "frontend/admin/accreditation.html", context, status=status)


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
    if step not in commands:
        raise Http404("no such step")
    if step in ("accredit", "renew") and (date_error or expires_on is None):
        return _detail(
            request,
            accreditation,
            {"expires_on": f"Expiry date {date_error or 'is required'}"},
            400,
        )
    _, errors = attempt(commands[step])
    if errors:
        return _detail(request, accreditation, errors, 400)
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
