"""Direct-payment reviews (regulation 7) for case workers: the ones due or overdue, each with
why and whether the worker was reminded, and a page to record one and what it decided. The
payments context decides who may and what a review may record; these pages only show it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from config.audit import record_read
from config.errors import NotFound
from config.roles import Role
from frontend.access import allowed_by, signed_in
from frontend.forms import attempt, date_field, date_value
from identity.actors import actor_from_user
from ledger.money import format_pence
from payments import policies
from payments.application import payments_app
from payments.direct_payments import ReviewOutcome

PAGE_SIZE = 50
OUTCOMES = [
    (ReviewOutcome.CARRY_ON.value, "Carry on", "The payments go on as they are."),
    (ReviewOutcome.CHANGE.value, "Change", "Change the amounts or who is paid next."),
    (ReviewOutcome.STOP.value, "Stop", "The payments stop from the day of the review."),
]


@allowed_by(policies.check_may_read_payments)
def dp_reviews(request: HttpRequest) -> HttpResponse:
    actor = actor_from_user(signed_in(request))
    within = 366 if request.GET.get("within") == "year" else 28
    found = payments_app().dp_reviews_due(actor, today=timezone.localdate(), within_days=within)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "within": within,
        "may_record": actor.has(*policies.CASE_WORKERS),
    }
    return render(request, "frontend/payments/dp_reviews.html", context)


@allowed_by(policies.check_may_manage_direct_payments)
def record_dp_review(request: HttpRequest, council_ref: str) -> HttpResponse:
    app = payments_app()
    try:
        agreement = app.agreement(council_ref)
    except NotFound:
        raise Http404("no direct payment") from None
    record_read(signed_in(request), [council_ref], request.path)
    actor = actor_from_user(signed_in(request))
    errors: dict[str, str] = {}
    data: Any = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        on, wrong = date_field(data, "on")
        if wrong or on is None:
            errors["on"] = f"Date of the review {wrong or 'is required'}"
        if not errors:
            assert on is not None
            _, errors = attempt(
                lambda: app.change_agreement(
                    actor,
                    council_ref,
                    lambda a: a.record_dp_review(
                        on=on,
                        outcome=data.get("outcome", ""),
                        reason=data.get("reason", ""),
                        actor=actor.id,
                        today=timezone.localdate(),
                    ),
                )
            )
        if not errors:
            messages.success(request, f"The direct-payment review of {council_ref} is recorded.")
            return redirect("dp-reviews")
    from payments.services import dp_returns, monitoring

    latest = next(iter(dp_returns().of_budget(council_ref)), None)
    context = {
        "council_ref": council_ref,
        # Regulation 7: the review sees the monitoring, the latest return and each surplus.
        "latest_return": latest,
        "surpluses": [
            (s.on, format_pence(s.amount), s.status.value)
            for s in monitoring().of_budget(council_ref)
        ],
        "may_monitor": actor.has(Role.FINANCE_OFFICER, Role.TEAM_MANAGER),
        "due_on": agreement.review_due_on(),
        "why": agreement.review_reason(),
        "outcomes": OUTCOMES,
        "chosen": data.get("outcome", ""),
        "on": date_value(data, "on") if data else {},
        "reason": data.get("reason", ""),
        "errors": errors,
    }
    return render(
        request, "frontend/payments/dp_review.html", context, status=400 if errors else 200
    )
