"""Direct-payment monitoring for finance and team managers: a person's returns, and each
surplus found in their account, explained line by line, noticed, looked at again when they
ask, then recovered from the next payments, repaid, or waived. The payments context decides
every rule (payments/monitoring.py, surplus.py); this page shows what it says and asks it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.audit import record_reads
from config.errors import NotFound
from frontend.access import allowed_by, signed_in
from frontend.forms import attempt, date_field, date_value, pounds_or_refuse
from identity.actors import actor_from_user
from ledger.money import format_pence
from payments import policies
from payments.services import dp_returns, monitoring, payments_journal
from payments.surplus import SurplusError

LABELS = {
    "on": "Date of the balance",
    "balance": "Balance of the account",
    "owed": "Still to pay from the account",
    "reason": "Reason",
    "status": "Surplus",
    "amount": "Surplus",
}
DONE = {
    "find": "The surplus is worked out: check its reasons, then send the notice.",
    "notice": "The notice is recorded as sent, with its reasons.",
    "reconsider": "The surplus is worked out again.",
    "recover": "The surplus comes off the next payments not yet made.",
    "repaid": "The repayment is in the ledger.",
    "waive": "The surplus is waived.",
}


@allowed_by(policies.check_may_decide_surplus)
def monitoring_page(
    request: HttpRequest, council_ref: str, errors: dict[str, str] | None = None
) -> HttpResponse:
    from payments.application import payments_app

    try:
        payments_app().agreement(council_ref)
    except NotFound:
        raise Http404("no direct payment") from None
    record_reads(signed_in(request), {council_ref: ["direct-payment monitoring"]}, request.path)
    posted = request.POST.get("surplus", "") if errors else ""
    surpluses = [
        {
            "found": s,
            "amount": format_pence(s.amount),
            "balance": format_pence(s.balance),
            "key": s.on.isoformat(),
            "reason_error": (errors or {}).get(f"reason-{s.on.isoformat()}", ""),
            "owed_error": (errors or {}).get(f"owed-{s.on.isoformat()}", ""),
            "typed": request.POST if posted == s.on.isoformat() else {},
        }
        for s in monitoring().of_budget(council_ref)
    ]
    returns = [
        {"found": r, "balance": format_pence(r.balance)}
        for r in dp_returns().of_budget(council_ref)
    ]
    data: Any = request.POST if errors else {}
    context = {
        "council_ref": council_ref,
        "surpluses": surpluses,
        "returns": returns,
        "errors": errors or {},
        "form": data,
        "on_value": date_value(data, "on") if errors else {},
        "step": request.POST.get("step", "") if errors else "",
    }
    status = 400 if errors else 200
    return render(request, "frontend/payments/monitoring.html", context, status=status)


@require_POST
@allowed_by(policies.check_may_decide_surplus)
def monitoring_act(request: HttpRequest, council_ref: str) -> HttpResponse:
    actor, data, watch = actor_from_user(signed_in(request)), request.POST, monitoring()
    step = data.get("step", "")
    on = _on(data.get("surplus", ""))

    def find() -> Any:
        day, wrong = date_field(data, "on")
        if wrong or day is None:
            raise SurplusError(wrong or "is required", field="on")
        return watch.find(
            actor,
            budget=council_ref,
            on=day,
            balance=pounds_or_refuse(
                data.get("balance", ""), field="balance", error=SurplusError, empty=0
            ),
            owed=_owed(data.get("owed", "")),
        )

    kw: dict[str, Any] = {"budget": council_ref, "on": on}
    commands = {
        "find": find,
        "notice": lambda: watch.notice(actor, **kw),
        "reconsider": lambda: watch.reconsider(
            actor, **kw, owed=_owed(data.get("owed", "")), reason=data.get("reason", "")
        ),
        "recover": lambda: watch.recover_from_payments(
            actor, **kw, reason=data.get("reason", ""), today=timezone.localdate()
        ),
        "repaid": lambda: watch.repaid(actor, **kw, journal=payments_journal()),
        "waive": lambda: watch.waive(actor, **kw, reason=data.get("reason", "")),
    }
    if step not in commands or (step != "find" and on is None):
        raise Http404("no such step")

    def where(path: str) -> tuple[str, str]:
        field = path.split("[")[0]
        label = LABELS.get(field, "Surplus")
        if step == "find":
            return field, label
        # A surplus's own form: its fields carry its day, and a refusal of the step itself
        # (not yet noticed, asked again) lands on its reason.
        key = data.get("surplus", "")
        return (f"owed-{key}" if field == "owed" else f"reason-{key}"), label

    _, errors = attempt(commands[step], where=where)
    if errors:
        return monitoring_page(request, council_ref, errors)
    messages.success(request, DONE[step])
    return redirect("dp-monitoring", council_ref=council_ref)


def _on(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _owed(text: str) -> list[dict[str, object]]:
    """One line each, "what, £amount": what is still to pay from the account."""
    found: list[dict[str, object]] = []
    for n, row in enumerate(x for x in text.splitlines() if x.strip()):
        what, _, amount = row.rpartition(",")
        if not what.strip():
            raise SurplusError(
                f"line {n + 1}: write what it is, a comma, then the amount", field="owed"
            )
        pence = pounds_or_refuse(amount, field="owed", error=SurplusError, empty=0)
        found.append({"what": what.strip(), "amount": pence})
    return found
