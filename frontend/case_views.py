"""Staff pages for personal budgets: the caseload, the sign-off and panel queues, a case."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accreditation.domain import Service
from accreditation.models import ProviderRecord
from budgets.models import CaseRecord
from budgets.services import budget_app, catch_up_cases, person_summary, reviews_due_soon
from config.audit import record_read
from config.errors import NotFound
from config.roles import Role, roles_of
from frontend.access import roles_required, signed_in
from frontend.budget_views import plan_pdf_response
from frontend.forms import LABELS, attempt
from ledger.money import format_pence
from marketplace.models import EngagementRecord
from marketplace.queries import flag
from marketplace.services import catch_up as catch_up_marketplace

STAFF = (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.PANEL_MEMBER, Role.AUDITOR)
CLOSED = ("declined", "ended", "withdrawn")
QUEUES = {
    "all": "Everyone",
    "mine": "My cases",
    "sign-off": "Plans waiting for the team manager",
    "panel": "Plans with the panel",
    "due-soon": "Reviews due in the next two weeks",
    "overdue": "Reviews overdue",
}


def stage(case: CaseRecord) -> str:
    if case.panel_why and not case.panel_decision:
        return "With the panel"
    if case.signed_off:
        return "Plan signed off"
    if case.worker_signed_by:
        return "Waiting for the team manager"
    if case.plan_versions:
        return "Plan written"
    if case.weekly is not None:
        return "Budget allocated"
    if case.assessed:
        return "Assessed" if case.eligible else "Assessed: not eligible"
    return "Registered"


@roles_required(*STAFF)
def caseload(request: HttpRequest) -> HttpResponse:
    catch_up_cases()
    queue = request.GET.get("queue", "all")
    cases = CaseRecord.objects.all()
    if queue == "mine":
        cases = cases.filter(worker=signed_in(request).username)
    elif queue == "sign-off":
        cases = cases.exclude(worker_signed_by="").filter(signed_off=False, panel_why="")
    elif queue == "panel":
        cases = cases.exclude(panel_why="").filter(panel_decision="")
    elif queue == "due-soon":
        cases = reviews_due_soon(cases, today=timezone.localdate())
    elif queue == "overdue":
        cases = cases.filter(review_due__lt=timezone.localdate())
    else:
        queue = "all"
    page = Paginator(cases.order_by("name"), 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for case in page:
        case.stage = stage(case)  # type: ignore[attr-defined]
        case.weekly_text = format_pence(case.weekly) if case.weekly is not None else ""  # type: ignore[attr-defined]
        case.overdue = bool(case.review_due and case.review_due < today)  # type: ignore[attr-defined]
        case.reminded = bool(case.review_due and case.review_reminded_for == case.review_due)  # type: ignore[attr-defined]
    record_read(signed_in(request), [case.council_ref for case in page], request.get_full_path())
    context = {"page": page, "queue": queue, "queues": QUEUES, "query_prefix": f"queue={queue}&"}
    return render(request, "frontend/cases/caseload.html", context)


def _case(
    request: HttpRequest, council_ref: str, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    try:
        summary = person_summary(council_ref)
    except NotFound:
        raise Http404("no such person") from None
    record_read(signed_in(request), [council_ref], request.path)
    roles = roles_of(request.user)
    plan = summary.plan
    catch_up_marketplace()
    engagements = list(
        EngagementRecord.objects.filter(person=council_ref).exclude(status__in=CLOSED)
    )
    names = dict(
        ProviderRecord.objects.filter(id__in=[e.provider_id for e in engagements]).values_list(
            "id", "name"
        )
    )
    # The worker sees what the person was told: support whose service can no longer be chosen.
    support = [
        {
            "provider": names.get(e.provider_id, str(e.provider_id)),
            "service": Service(e.service).label,
            "status": e.status,
            "flag": flag(e),
        }
        for e in engagements
    ]
    context: dict[str, Any] = {
        "s": summary,
        "weekly_text": format_pence(summary.budget.weekly) if summary.budget else "",
        "indicative_text": (
            format_pence(summary.budget.indicative_weekly) if summary.budget else ""
        ),
        "errors": errors or {},
        "support": support,
        "is_worker": bool(roles & {Role.SOCIAL_WORKER.value, Role.TEAM_MANAGER.value}),
        "can_worker_sign": Role.SOCIAL_WORKER.value in roles
        and plan
        and not plan.signatures.get("social worker"),
        "can_manager_sign": Role.TEAM_MANAGER.value in roles
        and plan
        and plan.signatures.get("social worker")
        and not plan.signed_off
        and not plan.waiting_for_panel,
        # Sign-off happens at the 6-week review: until it is recorded, the page says so.
        "reviewed": bool(summary.reviews and summary.reviews.reviews),
        "can_panel_decide": Role.PANEL_MEMBER.value in roles and plan and plan.waiting_for_panel,
    }
    return render(request, "frontend/cases/case.html", context, status=status)


@roles_required(*STAFF)
def case(request: HttpRequest, council_ref: str) -> HttpResponse:
    return _case(request, council_ref)


@roles_required(*STAFF)
def plan_pdf(request: HttpRequest, council_ref: str) -> HttpResponse:
    response = plan_pdf_response(council_ref)
    record_read(signed_in(request), [council_ref], request.path)
    return response


# The case page's fields: a refusal about who signs or which route is shown at the reason box.
CASE_FIELDS = {"route": "reason", "actor": "reason", "role": "reason", "note": "reason"}


def _case_field(path: str) -> tuple[str, str]:
    field = path.split(".")[0]
    return CASE_FIELDS.get(field, field), LABELS.get(field, field.replace("_", " ").capitalize())


@require_POST
@roles_required(Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.PANEL_MEMBER)
def act(request: HttpRequest, council_ref: str, step: str) -> HttpResponse:
    app, user = budget_app(), signed_in(request)
    roles = roles_of(user)
    commands = {
        "worker-sign": (
            Role.SOCIAL_WORKER,
            lambda: app.sign_plan(council_ref, role="social worker", actor=user.username),
        ),
        "manager-sign": (
            Role.TEAM_MANAGER,
            lambda: app.sign_plan(
                council_ref,
                role="team manager",
                actor=user.username,
                reason=request.POST.get("reason", ""),
            ),
        ),
        "refer": (
            Role.TEAM_MANAGER,
            lambda: app.refer_to_panel(
                council_ref,
                actor=user.username,
                note=request.POST.get("reason", ""),
            ),
        ),
        "panel-decide": (
            Role.PANEL_MEMBER,
            lambda: app.panel_decides(
                council_ref,
                decision=request.POST.get("decision", ""),
                actor=user.username,
                reasons=request.POST.get("reasons", ""),
            ),
        ),
    }
    if step not in commands:
        raise Http404("no such step")
    needed, command = commands[step]
    if needed.value not in roles:
        return render(request, "frontend/forbidden.html", {"needed": needed.value}, status=403)
    _, errors = attempt(command, where=_case_field)
    if errors:
        return _case(request, council_ref, errors, 400)
    messages.success(request, "Recorded.")
    return redirect("case", council_ref=council_ref)
