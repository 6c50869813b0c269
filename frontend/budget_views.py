"""The person's "my budget" page: their budget, how it was reached, their plan, payments."""

from __future__ import annotations

from typing import Any

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
    from notifications.application import notifications_app

    pages = [
        {
            "s": s,
            "reach": notifications_app().contact_of(actor, s.council_ref),
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
            **direct_payments_of(s.council_ref),
        }
        for s in summaries
    ]
    context = {"pages": pages, "part_titles": {**REQUIRED_PARTS, **DIRECT_PAYMENT_PARTS}}
    return render(request, "frontend/budget/my_budget.html", context)


def direct_payments_of(council_ref: str) -> dict[str, Any]:
    """The person's next direct payment (from their schedule) and the last they were paid,
    each with its remittance (the payments context's read model)."""
    from payments import models, queries
    from payments.services import catch_up

    catch_up()
    recent = list(models.PaymentRecord.objects.filter(budget=council_ref).order_by("-pay_on")[:13])
    for row in recent:
        row.net_text = format_pence(row.net)  # type: ignore[attr-defined]
    due = queries.next_due(council_ref, today=timezone.localdate())
    shown = None
    if due is not None:
        shown = {
            "pay_on": due.pay_on,
            "label": due.label,
            "gross": format_pence(due.gross),
            "netted": format_pence(due.netted),
            "net": format_pence(due.net),
            "payee": due.payee.name,
        }
    from payments.services import dp_returns, monitoring

    returns = dp_returns().of_budget(council_ref) if shown or recent else []
    open_return = returns[0] if returns and not returns[0].confirmed_by else None
    # A surplus the person has been told of (one only worked out is not theirs to see yet).
    told = [
        {"found": found, "amount": format_pence(found.amount), "key": found.on.isoformat()}
        for found in monitoring().of_budget(council_ref)
        if found.status.value != "found"
    ]
    return {
        "next_payment": shown,
        "direct_payments": recent,
        "open_return": open_return,
        "surpluses": told,
    }


@roles_required(Role.PERSON)
def my_surplus(request: HttpRequest, council_ref: str, on: str) -> HttpResponse:
    """A surplus notice with each of its reasons; the person may ask for it to be looked at
    again, saying why."""
    from datetime import date

    from django.contrib import messages
    from django.shortcuts import redirect

    from frontend.forms import attempt
    from payments.services import monitoring
    from payments.surplus import SurplusError

    actor = own_budget(request, council_ref)
    watch = monitoring()
    try:
        found = watch.get(council_ref, date.fromisoformat(on))
    except (ValueError, SurplusError):
        raise Http404("no such surplus") from None
    if found.status.value == "found":
        raise Http404("not told yet")
    errors: dict[str, str] = {}
    if request.method == "POST":
        _, errors = attempt(
            lambda: watch.ask_again(
                actor, budget=council_ref, on=found.on, reason=request.POST.get("reason", "")
            ),
            where=lambda path: ("reason", "Why it should be looked at again"),
        )
        if not errors:
            messages.success(request, "Thank you: we will look at it again and write to you.")
            return redirect("my-surplus", council_ref=council_ref, on=on)
    context = {
        "council_ref": council_ref,
        "found": found,
        "amount": format_pence(found.amount),
        "balance": format_pence(found.balance),
        "errors": errors,
        "reason": request.POST.get("reason", "") if errors else "",
    }
    status = 400 if errors else 200
    return render(request, "frontend/budget/surplus.html", context, status=status)


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


@roles_required(Role.PERSON)
def my_decision(request: HttpRequest, council_ref: str) -> HttpResponse:
    """The person's written eligibility decision; someone else's reference is not found."""
    from frontend.case_views import decision_page

    return decision_page(request, council_ref, for_staff=False)


@roles_required(Role.PERSON)
def my_statement(request: HttpRequest, council_ref: str) -> HttpResponse:
    """The person's statement anyone can check (docs/verify.md), as a JSON download; someone
    else's reference is not found."""
    import json

    from ledger import transparency

    own_budget(request, council_ref)
    body = json.dumps(transparency.statement(council_ref).as_json(), indent=1)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="statement-{council_ref}.json"'
    return response


@roles_required(Role.PERSON)
def my_statement_page(request: HttpRequest, council_ref: str) -> HttpResponse:
    """The person's statement as a page (and, ?format=pdf, a PDF): each entry, the closing
    balance, and what it is checked against."""
    from ledger import transparency
    from ledger.statement_pdf import rows, statement_pdf

    own_budget(request, council_ref)
    document = transparency.statement(council_ref).as_json()
    if request.GET.get("format") == "pdf":
        content = statement_pdf(document, fingerprint=transparency.fingerprint())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="statement-{council_ref}.pdf"'
        return response
    context = {
        "council_ref": council_ref,
        "statement": document["statement"],
        "rows": rows(document),
        "closing": format_pence(document["statement"]["closing_balance_pence"]),
        "fingerprint": transparency.fingerprint(),
    }
    return render(request, "frontend/budget/statement.html", context)


@roles_required(Role.PERSON)
def who_has_looked(request: HttpRequest, council_ref: str) -> HttpResponse:
    """Every read of the person's record by the council's staff: who, in what role, when, what
    they looked at (config/audit.py records each)."""
    from django.core.paginator import Paginator

    from api.models import PersonalDataRead

    own_budget(request, council_ref)
    reads = PersonalDataRead.objects.filter(subject=council_ref).select_related("user")
    page = Paginator(reads.order_by("-id"), 50).get_page(request.GET.get("page"))
    for read in page:
        full = read.user.get_full_name() if read.user else ""
        read.who = full or (read.user.username if read.user else "")  # type: ignore[attr-defined]
    return render(
        request, "frontend/budget/who_has_looked.html", {"page": page, "council_ref": council_ref}
    )


@roles_required(Role.PERSON)
def my_return(request: HttpRequest, council_ref: str) -> HttpResponse:
    """The person's direct-payment return, pre-filled from their account: they confirm it,
    answering only the lines marked for evidence."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from frontend.forms import attempt
    from payments.services import dp_returns

    actor = own_budget(request, council_ref)
    returns = dp_returns()
    found = next(iter(returns.of_budget(council_ref)), None)
    if found is None:
        raise Http404("no return to confirm")
    errors: dict[str, str] = {}
    if request.method == "POST" and not found.confirmed_by:
        answers = {n: request.POST.get(f"evidence-{n}", "") for n in found.exceptions}
        _, errors = attempt(
            lambda: returns.confirm(
                actor, budget=council_ref, return_id=found.id, evidence=answers
            ),
            where=lambda path: (
                path.replace("evidence[", "evidence-").rstrip("]"),
                "Your answer",
            ),
        )
        if not errors:
            messages.success(request, "Thank you: your return is confirmed.")
            return redirect("my-return", council_ref=council_ref)
    rows = [
        {
            "n": n,
            "on": line.on,
            "amount": ("+" if line.amount >= 0 else "−") + format_pence(abs(line.amount)),
            "what": f"{line.reference} {line.description}".strip(),
            "why": line.evidence_needed,
            "answer": request.POST.get(f"evidence-{n}", "") if errors else "",
            "error": errors.get(f"evidence-{n}", ""),
            "key": str(n),
        }
        for n, line in enumerate(found.lines)
    ]
    context = {
        "council_ref": council_ref,
        "found": found,
        "rows": rows,
        "balance": format_pence(found.balance),
        "errors": errors,
    }
    return render(request, "frontend/budget/dp_return.html", context, status=400 if errors else 200)


def own_budget(request: HttpRequest, council_ref: str) -> Actor:
    """The signed-in actor, if the budgets context lets them see this budget; anyone else is
    told there is no such budget."""
    from budgets.services import budget_app

    actor = actor_from_user(signed_in(request))
    try:
        budget_app().may_see(actor, council_ref)
    except NotFound:
        raise Http404("no such budget") from None
    return actor
