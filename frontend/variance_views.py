"""Fee variances: a team manager or finance officer approves, for one engagement, a fee other
than its agreed price, with a reason; the page lists those approved. The payments context
decides (payments/variances.py); this page only asks it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accreditation.models import ProviderRecord
from frontend.access import allowed_by, signed_in
from frontend.forms import attempt, sentence
from identity.actors import actor_from_user
from ledger.money import MoneyError, format_pence, parse_pounds
from marketplace.models import EngagementRecord
from payments import policies
from payments.application import payments_app
from payments.invoices import FeeKind

KINDS = [(k.value, k.label.capitalize()) for k in FeeKind]
LABELS = {"engagement": "Engagement", "kind": "Fee", "amount": "Amount", "reason": "Reason"}


@allowed_by(policies.check_may_approve_variances)
def variances(request: HttpRequest) -> HttpResponse:
    from marketplace.services import catch_up, marketplace_app

    catch_up()
    errors: dict[str, str] = {}
    data: Any = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        amount: int | None = None
        try:
            amount = parse_pounds(data.get("amount", ""))
        except MoneyError as exc:
            errors["amount"] = sentence("Amount", str(exc))
        engagement = _engagement(data.get("engagement", ""))
        if engagement is None:
            errors["engagement"] = "Choose the engagement"
        if not errors:
            _, errors = attempt(
                lambda: payments_app().approve_variance(
                    actor_from_user(signed_in(request)),
                    engagement=engagement,
                    kind=data.get("kind", ""),
                    amount=amount,
                    reason=data.get("reason", ""),
                    engaged=marketplace_app().get_engagement,
                ),
                where=lambda path: (path, LABELS.get(path, path)),
            )
            if not errors:
                messages.success(request, "The variance is approved: its invoice may be for it.")
                return redirect("variances")
    engagements = list(EngagementRecord.objects.filter(status="active").order_by("person"))
    names = dict(ProviderRecord.objects.values_list("id", "name"))
    for e in engagements:
        provider = names.get(e.provider_id, e.provider_id)
        e.label = f"{e.person}: {provider}, {e.service.replace('_', ' ')}"  # type: ignore[attr-defined]
    approved = [
        {
            "engagement": v.engagement,
            "kind": v.kind.label,
            "amount": format_pence(v.amount or 0),
            "reason": v.reason,
            "by": v.approved_by,
        }
        for v in payments_app().variances()
    ]
    context = {
        "engagements": engagements,
        "kinds": KINDS,
        "approved": approved[-100:],
        "form": data,
        "errors": errors,
    }
    return render(
        request, "frontend/payments/variances.html", context, status=400 if errors else 200
    )


def _engagement(value: str) -> Any:
    from uuid import UUID

    try:
        return UUID(value)
    except ValueError:
        return None
