"""Payments pages: finance's runs (started in a worker, their progress and report), exceptions,
and each payment's remittance advice. Each view asks the payments policy, calls one query or
enqueues one task, and renders a template; no page waits on Stripe."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.audit import record_read
from config.errors import NotFound
from config.roles import Role
from frontend.access import allowed_by, roles_required, signed_in
from identity.actors import actor_from_user
from ledger.money import format_pence
from payments import models, policies, queries
from payments.remittance import as_csv as remittance_csv
from payments.remittance import as_pdf as remittance_pdf
from payments.services import catch_up

PAGE_SIZE = 50


def _money(row: models.PaymentRecord) -> dict[str, str]:
    return {
        "gross": format_pence(row.gross),
        "netted": format_pence(row.netted),
        "net": format_pence(row.net),
    }


@allowed_by(policies.check_may_read_payments)
def runs(request: HttpRequest) -> HttpResponse:
    catch_up()
    actor = actor_from_user(signed_in(request))
    page = Paginator(queries.runs(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "may_run": actor.has(*policies.FINANCE),
        "today": timezone.localdate(),
        "started": request.GET.get("started", ""),
    }
    return render(request, "frontend/payments/runs.html", context)


@require_POST
@allowed_by(policies.check_may_run_payments)
def start_run(request: HttpRequest) -> HttpResponse:
    """Today's run on the council's rail, in a worker: the page shows its progress."""
    from payments.tasks import run_due_payments

    day = timezone.localdate()
    run_due_payments.delay(day.isoformat(), started_by=actor_from_user(signed_in(request)).id)
    return redirect(f"/finance/payments/?started={day.isoformat()}")


@allowed_by(policies.check_may_read_payments)
def run(request: HttpRequest, run_id: UUID) -> HttpResponse:
    catch_up()
    actor = actor_from_user(signed_in(request))
    try:
        found = queries.run(actor, run_id)
    except NotFound:
        raise Http404("no such payment run") from None
    status = request.GET.get("status", "")
    page = Paginator(queries.payments_of_run(actor, run_id, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for row in page:
        row.money = _money(row)  # type: ignore[attr-defined]
    report = found.report or {}
    context: dict[str, Any] = {
        "run": found,
        "page": page,
        "status": status,
        "query_prefix": f"status={status}&" if status else "",
        "percent": int(100 * found.done / found.total) if found.total else 100,
        "total_paid": format_pence(report.get("total_paid", 0)),
        "failed": report.get("failed", []),
        "running": found.status == "running",
    }
    return render(request, "frontend/payments/run.html", context)


@allowed_by(policies.check_may_read_payments)
def exceptions(request: HttpRequest) -> HttpResponse:
    catch_up()
    actor = actor_from_user(signed_in(request))
    page = Paginator(queries.exceptions(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.money = _money(row)  # type: ignore[attr-defined]
    return render(request, "frontend/payments/exceptions.html", {"page": page})


@roles_required(Role.PERSON, Role.PROVIDER_STAFF, *policies.READERS)
def remittance(request: HttpRequest, key: str) -> HttpResponse:
    """A payment's remittance advice: what was paid, for which period, net of which
    contribution. The person (or whoever acts for them) and staff see it (the budgets context
    decides who sees a budget); anyone else is told there is no such payment."""
    catch_up()
    row = models.PaymentRecord.objects.filter(key=key).first()
    if row is None:
        raise Http404("no such payment")
    actor = actor_from_user(signed_in(request))
    try:
        if row.kind == "invoice":
            queries.check_may_see_invoice_payment(actor, row)
        else:
            queries.payments_of_budget(actor, row.budget)
    except NotFound:  # someone else's: told as if it did not exist
        raise Http404("no such payment") from None
    record_read(request.user, [row.budget], request.path)
    shape = request.GET.get("format", "")
    if shape == "csv":
        response = HttpResponse(remittance_csv(row), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="remittance-{_file(row)}.csv"'
        return response
    if shape == "pdf":
        response = HttpResponse(remittance_pdf(row), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="remittance-{_file(row)}.pdf"'
        return response
    return render(
        request, "frontend/payments/remittance.html", {"payment": row, "money": _money(row)}
    )


def _file(row: models.PaymentRecord) -> str:
    return row.key.removeprefix("payments:").replace(":", "-")
