"""Finance's bank reconciliation page: import a statement, confirm what the rules suggest, put
each exception right (a manual match, or a correction a second officer approves), and close
the month at zero. The payments context decides every rule (payments/reconcile.py); this page
shows what it says and asks it to act."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.actor import Actor
from frontend.access import allowed_by, signed_in
from frontend.forms import attempt, pounds_or_refuse
from identity.actors import actor_from_user
from ledger.domain import Owner
from ledger.money import format_pence
from payments import policies, services
from payments.models import MatchingJob
from payments.reconciliation import Resolution
from payments.services import match_import, payments_journal, reconciliation_of, treasury
from payments.tasks import fund_stripe, import_stripe_balance

MAX_BYTES = 20 * 1024 * 1024
LABELS = {
    "file": "Statement file",
    "kind": "Format",
    "reason": "Reason",
    "payment": "Payment returned",
    "lines": "Lines",
    "period": "Month",
    "approver": "Approval",
    "line": "Line",
    "bank": "Bank",
    "amount_pence": "Amount",
    "idempotency_key": "Top-up",
}


MAPPING_FIELDS = [
    ("bank", "Bank", "As you will choose it when importing, like Lloyds"),
    ("date", "Date column", "The column's heading, as in the file"),
    ("reference", "Reference column", ""),
    ("description", "Description column (optional)", ""),
    ("amount", "Amount column", "One signed amount; or leave it empty and give the two below"),
    ("debit", "Money out column", ""),
    ("credit", "Money in column", ""),
    ("date_format", "Date format", "Like %d/%m/%Y for 24/12/2026; empty means that"),
]


STRIPE = "STRIPE:CLEARING"
ACCOUNTS = {"COUNCIL:BANK": "The council's bank", "STRIPE:CLEARING": "Stripe's balance"}


def _side(request: HttpRequest) -> Any:
    account = request.POST.get("account") or request.GET.get("account") or "COUNCIL:BANK"
    if account not in ACCOUNTS:
        raise Http404("no such account")
    return reconciliation_of(account)


@allowed_by(policies.check_may_read_payments)
def reconciliation(request: HttpRequest, errors: dict[str, str] | None = None) -> HttpResponse:
    side = _side(request)
    rec, expected = side.rec, side.expected()
    lines_read = rec.lines()
    state = rec.state(expected, lines=lines_read)
    lines = {x.id: x for x in lines_read}
    month = request.GET.get("month") or f"{timezone.localdate():%Y-%m}"
    try:
        report = rec.report(
            month, expected, balance_at=side.balance_at, lines=lines_read, state=state
        )
    except ValueError:
        raise Http404("no such month") from None
    stripe = side.account == "STRIPE:CLEARING"
    funds = treasury() if stripe else None
    jobs = list(MatchingJob.objects.filter(account=rec.account)[:5])
    pending = []
    for problem in state.problems:
        found = _resolution(rec, problem.line) if problem.line else None
        pending.append((problem, found))
    context = {
        "suggestions": state.suggestions,
        "problems": pending,
        "lines": lines,
        "month": month,
        "report": report,
        "money": {k: format_pence(v) for k, v in report.items() if k.endswith("_pence")},
        "jobs": jobs,
        "matching": any(j.status in ("waiting", "matching") for j in jobs),
        "banks": [m.bank for m in rec.mappings()],
        "mapping_fields": [
            (name, label, hint, (errors or {}).get(f"map-{name}", ""))
            for name, label, hint in MAPPING_FIELDS
        ],
        "may_act": actor_from_user(signed_in(request)).has(*policies.FINANCE),
        "errors": errors or {},
        "form": request.POST if errors else {},
        "account": side.account,
        "accounts": ACCOUNTS.items(),
        "stripe": stripe,
        "fundings": [(f, format_pence(f.amount)) for f in funds.fundings()] if funds else [],
        "payouts": [(p, format_pence(p.amount)) for p in funds.payouts()] if funds else [],
        "funding_key": uuid4(),  # one top-up however often the form is sent
    }
    return render(
        request,
        "frontend/payments/reconciliation.html",
        context,
        status=400 if errors else 200,
    )


def _resolution(rec: Any, line: str) -> Resolution | None:
    from eventsourcing.application import AggregateNotFoundError

    try:
        found: Resolution = rec.app.repository.get(Resolution.create_id(line))
    except AggregateNotFoundError:
        return None
    return found


@require_POST
@allowed_by(policies.check_may_reconcile)
def act(request: HttpRequest, step: str) -> HttpResponse:
    from ledger.services import ledger_app

    actor, data, side = actor_from_user(signed_in(request)), request.POST, _side(request)
    rec, expected = side.rec, side.expected()
    month = data.get("month", "")
    commands = {
        "import": lambda: _import(rec, actor, request),
        "stripe-import": lambda: import_stripe_balance.delay(actor.id),
        "fund": lambda: _fund(actor, data),
        "mapping": lambda: _save_mapping(rec, actor, data),
        "confirm": lambda: rec.confirm(
            actor,
            lines=data.getlist("lines"),
            expected=data.getlist("expected"),
            payments=expected,
            suggested=True,
        ),
        "correct": lambda: rec.propose_correction(
            actor,
            line=data.get("line", ""),
            kind=data.get("kind", ""),
            reason=data.get("reason", ""),
            payment=data.get("payment", ""),
            payments=expected,
        ),
        "approve": lambda: rec.approve_correction(
            actor,
            line=data.get("line", ""),
            journal=ledger_app().journal(Actor.system(), context=Owner.PAYMENTS),
        ),
        "close": lambda: rec.close(
            actor,
            month,
            expected,
            today=services.today(),
            balance_at=side.balance_at,
            journal=payments_journal(),
        ),
    }
    if step not in commands or (step in ("stripe-import", "fund") and rec.account != STRIPE):
        raise Http404("no such step")

    def where(path: str) -> tuple[str, str]:
        if step == "mapping":  # the columns form's own fields
            name = path.removeprefix("mapping.") if path != "mapping" else "date"
            label = dict((n, lab) for n, lab, _ in MAPPING_FIELDS).get(name, "Columns")
            return f"map-{name}", label
        return path, LABELS.get(path, path)

    done, errors = attempt(commands[step], where=where)
    if errors:
        return reconciliation(request, errors)
    messages.success(request, _said(step, done))
    query = {"month": month} if month else {}
    if side.account != "COUNCIL:BANK":
        query["account"] = side.account
    return redirect(f"/finance/reconciliation/{'?' + urlencode(query) if query else ''}")


def _fund(actor: Actor, data: Any) -> Any:
    """Ask a worker to top Stripe up (never this request); its key makes a resent form one
    top-up."""
    from payments.treasury import TreasuryError, bank_reference, check_funding

    key = data.get("key", "")
    pence = pounds_or_refuse(data.get("amount", ""), field="amount_pence", error=TreasuryError)
    amount, why = check_funding(pence, data.get("reason", ""), key)
    fund_stripe.delay(actor.id, key, amount, why, services.today().isoformat())
    return bank_reference(key)


def _import(rec: Any, actor: Actor, request: HttpRequest) -> Any:
    from payments.bank_statements import StatementError

    upload = request.FILES.get("file")
    if upload is None:
        raise StatementError("choose the bank's statement file", field="file")
    if upload.size and upload.size > MAX_BYTES:
        raise StatementError("must be smaller than 20 MB", field="file")
    kind = request.POST.get("kind", "")
    mapping = rec.mapping(request.POST.get("bank", "")) if kind == "csv" else None
    done = rec.import_statement(
        actor, kind=kind, filename=upload.name or "", data=upload.read(), mapping=mapping
    )
    return match_import(actor, rec.account, done, upload.name or ""), done


def _save_mapping(rec: Any, actor: Actor, data: Any) -> Any:
    columns = {
        name: data.get(name, "").strip()
        for name in ("date", "reference", "description", "amount", "debit", "credit")
    }
    columns["date_format"] = data.get("date_format", "").strip() or "%d/%m/%Y"
    return rec.save_mapping(actor, bank=data.get("bank", ""), columns=columns)


def _said(step: str, done: Any) -> str:
    if step == "import":
        job, imported = done
        if not imported.new:
            return "This file was imported before: nothing was added."
        if job.status != "done":
            return (
                f"The statement's {imported.lines} lines are imported. A worker is matching"
                " them: see how far it is under Imports."
            )
        return (
            f"The statement's {imported.lines} lines are imported and matched where the rules say."
        )
    if step == "fund":
        return (
            f"The top-up is asked for: the council's bank will show it as {done}. It is listed"
            " here once Stripe has made it."
        )
    return {
        "stripe-import": "A worker is reading Stripe's balance transactions: refresh in a moment.",
        "mapping": "The bank's CSV columns are saved: choose the bank when you import its file.",
        "confirm": "The match is confirmed.",
        "correct": "The correction is proposed: a second finance officer approves it.",
        "approve": "The correction is approved and in the ledger.",
        "close": "The month is closed at zero difference: it is frozen now.",
    }[step]
