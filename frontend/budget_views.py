"""The person's "my budget" page: their budget, how it was reached, their plan, payments."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from budgets.plan import DIRECT_PAYMENT_PARTS, REQUIRED_PARTS
from budgets.plan_pdf import plan_pdf
from budgets.services import person_summary
from config.actor import Actor
from config.errors import NotFound
from config.roles import Role
from frontend.access import roles_required, signed_in
from identity.actors import actor_from_user
from ledger.money import format_pence


@roles_required(Role.PERSON)
def my_budget(request: HttpRequest) -> HttpResponse:
    actor = actor_from_user(signed_in(request))
    summaries = []
    for ref, _relationship in actor.on_behalf_of:  # themselves, or those they are nominee for
        try:
            summaries.append(person_summary(ref, actor=actor))
        except NotFound:
            continue  # no record yet for this person
    pages = [
        {
            "s": s,
            "weekly_text": format_pence(s.budget.weekly) if s.budget else "",
            "payments": [
                {
                    "on": e.effective_at,
                    "kind": e.kind.replace("_", " ").capitalize(),
                    "amount": format_pence(e.amount),
                    "reason": e.reason,
                    "reversed": e.reversal_reason if e.reversed_by else "",
                }
                for e in s.paid
            ],
            "changes": [
                {"on": e.effective_at, "reason": e.reason, "actor": e.actor} for e in s.changes
            ],
        }
        for s in summaries
    ]
    context = {"pages": pages, "part_titles": {**REQUIRED_PARTS, **DIRECT_PAYMENT_PARTS}}
    return render(request, "frontend/budget/my_budget.html", context)


def plan_pdf_response(council_ref: str, *, actor: Actor) -> HttpResponse:
    """The plan as a PDF download, for those the policy lets see it; 404 for anyone else, or
    when there is no plan yet."""
    try:
        summary = person_summary(council_ref, actor=actor)
        content = plan_pdf(summary, printed_on=timezone.localdate())
    except (NotFound, ValueError):
        raise Http404("no plan yet") from None
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="care-plan-{council_ref}.pdf"'
    return response


@roles_required(Role.PERSON)
def my_plan_pdf(request: HttpRequest, council_ref: str) -> HttpResponse:
    """The person's own copy; someone else's reference is not found, not forbidden."""
    return plan_pdf_response(council_ref, actor=actor_from_user(signed_in(request)))
