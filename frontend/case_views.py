"""Staff pages for personal budgets: the caseload, the sign-off and panel queues, a case.

The queues, each case's stage and who may sign, refer or decide at which stage are the budgets
context's (budgets/policies.py, budgets/queries.py); these views ask them and render.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accreditation.domain import Service
from accreditation.models import ProviderRecord
from budgets import policies, queries
from budgets.policies import Step
from budgets.services import budget_app, person_summary
from config.audit import record_read
from config.errors import DomainError, NotFound
from config.roles import Role
from frontend.access import roles_required, signed_in
from frontend.budget_views import plan_pdf_response
from frontend.forms import LABELS, attempt
from identity.actors import actor_from_user
from identity.names import display_name
from ledger.money import format_pence
from marketplace.models import EngagementRecord
from marketplace.queries import flag
from marketplace.services import catch_up as catch_up_marketplace

STAFF = (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.PANEL_MEMBER, Role.AUDITOR)
CLOSED = ("declined", "ended", "withdrawn")


@roles_required(*STAFF)
def caseload(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    search = request.GET.get("q", "").strip()[:100]
    queue, cases = queries.caseload(
        request.GET.get("queue", "all"),
        actor=actor_from_user(signed_in(request)),
        today=today,
        search=search,
    )
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    queries.describe(page, today=today)
    # Each worker named once for the page, not once a row.
    names = {worker: display_name(worker) for worker in {case.worker for case in page} if worker}
    for case in page:
        case.weekly_text = format_pence(case.weekly) if case.weekly is not None else ""  # type: ignore[attr-defined]
        case.worker_name = names.get(case.worker, "")  # type: ignore[attr-defined]
    record_read(signed_in(request), [case.council_ref for case in page], request.get_full_path())
    queues = {name: q.label for name, q in queries.QUEUES.items()}
    prefix = urlencode({"queue": queue, **({"q": search} if search else {})}) + "&"
    context = {
        "page": page,
        "queue": queue,
        "queues": queues,
        "query_prefix": prefix,
        "search": search,
    }
    return render(request, "frontend/cases/caseload.html", context)


def _case(
    request: HttpRequest, council_ref: str, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_from_user(signed_in(request))
    try:
        summary = person_summary(council_ref, actor=actor)
    except NotFound:
        raise Http404("no such person") from None
    record_read(signed_in(request), [council_ref], request.path)
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
    from notifications.application import notifications_app
    from notifications.services import for_case

    context: dict[str, Any] = {
        "s": summary,
        "reach": notifications_app().contact_of(actor, council_ref),
        # What the team manager signs and the panel decides on: the plan as it stands now,
        # and every review, on the page where they decide.
        "plan_parts": _plan_parts(plan),
        "reviews": _reviews(summary.reviews),
        "notices": for_case(council_ref)[:50],
        "weekly_text": format_pence(summary.budget.weekly) if summary.budget else "",
        "indicative_text": (
            format_pence(summary.budget.indicative_weekly) if summary.budget else ""
        ),
        "errors": errors or {},
        "support": support,
        "is_worker": policies.is_worker(actor),
        # The buttons the policy would let this actor press at the plan's stage.
        "can_worker_sign": policies.may(actor, Step.WORKER_SIGNS, plan),
        "can_manager_sign": policies.may(actor, Step.MANAGER_SIGNS, plan),
        # Sign-off happens at the 6-week review: until it is recorded, the page says so.
        "reviewed": bool(summary.reviews and summary.reviews.reviews),
        "can_panel_decide": policies.may(actor, Step.PANEL_DECIDES, plan),
    }
    return render(request, "frontend/cases/case.html", context, status=status)


def _plan_parts(plan: Any) -> list[tuple[str, str]]:
    from budgets.plan import DIRECT_PAYMENT_PARTS, REQUIRED_PARTS

    if not plan or not plan.versions:
        return []
    titles = {**REQUIRED_PARTS, **DIRECT_PAYMENT_PARTS}
    latest = plan.versions[-1]["parts"]
    return [(titles.get(key, key), value) for key, value in latest.items() if value]


def _reviews(reviews: Any) -> list[dict[str, Any]]:
    from budgets.review import SCALE

    found = []
    for review in reversed(reviews.reviews if reviews else []):
        outcomes = [
            (outcome, SCALE.get(answer["scale"], answer["scale"]), answer.get("in_their_words"))
            for outcome, answer in review["outcomes"].items()
        ]
        found.append({**review, "outcome_lines": outcomes})
    return found


@roles_required(*STAFF)
def case(request: HttpRequest, council_ref: str) -> HttpResponse:
    return _case(request, council_ref)


@roles_required(*STAFF)
def plan_pdf(request: HttpRequest, council_ref: str) -> HttpResponse:
    response = plan_pdf_response(council_ref, actor=actor_from_user(signed_in(request)))
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
    """One step of sign-off or the panel; the command decides who may take it, and when."""
    app, actor = budget_app(), actor_from_user(signed_in(request))
    post = request.POST
    commands = {
        Step.WORKER_SIGNS: lambda: app.sign_plan(
            council_ref, actor=actor, as_role=policies.SIGNATURES[Step.WORKER_SIGNS]
        ),
        Step.MANAGER_SIGNS: lambda: app.sign_plan(
            council_ref,
            actor=actor,
            as_role=policies.SIGNATURES[Step.MANAGER_SIGNS],
            reason=post.get("reason", ""),
        ),
        Step.REFER: lambda: app.refer_to_panel(
            council_ref, actor=actor, note=post.get("reason", "")
        ),
        Step.PANEL_DECIDES: lambda: app.panel_decides(
            council_ref,
            actor=actor,
            decision=post.get("decision", ""),
            reasons=post.get("reasons", ""),
        ),
    }
    if step not in commands:
        raise Http404("no such step")
    _, errors = attempt(commands[Step(step)], where=_case_field)  # refused actor: forbidden page
    if errors:
        return _case(request, council_ref, errors, 400)
    messages.success(request, "Recorded.")
    return redirect("case", council_ref=council_ref)


@roles_required(*STAFF)
def decision(request: HttpRequest, council_ref: str) -> HttpResponse:
    """The written decision for a person found not eligible, as they were given it."""
    return decision_page(request, council_ref, for_staff=True)


def decision_page(request: HttpRequest, council_ref: str, *, for_staff: bool) -> HttpResponse:
    actor = actor_from_user(signed_in(request))
    try:
        found = budget_app().not_eligible_decision(actor, council_ref)
    except NotFound:
        raise Http404("no such person") from None
    except DomainError:  # no assessment, or found eligible: there is no such letter
        raise Http404("no eligibility decision") from None
    record_read(signed_in(request), [council_ref], request.path)
    context = {"d": found, "for_staff": for_staff}
    return render(request, "frontend/cases/decision.html", context)
