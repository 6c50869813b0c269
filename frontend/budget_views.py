"""The person's "my budget" page: their budget, how it was reached, their plan, payments."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from budgets.services import person_summary
from config.errors import NotFound
from config.roles import Role
from frontend.access import roles_required, signed_in
from ledger.money import format_pence
from marketplace.models import PersonAccount


@roles_required(Role.PERSON)
def my_budget(request: HttpRequest) -> HttpResponse:
    refs = list(
        PersonAccount.objects.filter(user=signed_in(request)).values_list("person", flat=True)
    )
    summaries = []
    for ref in refs:
        try:
            summaries.append(person_summary(ref))
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
                }
                for e in s.paid
            ],
        }
        for s in summaries
    ]
    return render(request, "frontend/budget/my_budget.html", {"pages": pages})
