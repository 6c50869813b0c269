"""Pages: each view checks who may use it, calls one query or command, renders a template.

The ledger explorer's pages read through the ledger's queries, which take the ``Actor``; the
ledger's policy (ledger/policies.py ``check_may_read``) decides who may, asked first by the
page's gate, as the API's routes ask it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import authenticate, login, logout
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from budgets.services import reviews_due_for
from config.audit import record_read, record_reads
from config.validation import ascii_digits
from frontend.access import allowed_by, signed_in
from frontend.start_pages import start_page
from identity.actors import actor_from_user
from ledger import models, queries
from ledger.domain import EntryKind, LedgerError, NotFoundError
from ledger.money import format_pence
from ledger.policies import check_may_read

PAGE_SIZE = 50


def home(request: HttpRequest) -> HttpResponse:
    """The start page; a worker also sees the reviews their own cases have coming (the
    budgets context decides who holds cases)."""
    actor = actor_from_user(request.user)
    context = {"reviews": reviews_due_for(actor, today=timezone.localdate())}
    return render(request, "frontend/home.html", context)


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    errors: dict[str, str] = {}
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        if not username:
            errors["username"] = "Enter your username"
        if not password:
            errors["password"] = "Enter your password"
        if not errors:
            user = authenticate(request, username=username, password=password)
            if user is None:
                errors["username"] = "Enter a username and password that match an account"
            else:
                login(request, user)
                # Where they were going, else their role's own start page.
                return redirect(next_url or start_page(user))
    status = 400 if errors else 200
    context = {"errors": errors, "username": username, "next": next_url}
    return render(request, "frontend/sign_in.html", context, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("sign-in")


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """The timeout warning's "Stay signed in": the session lives its full time again; 401 if
    it has ended already."""
    import time

    from config.middleware import TOUCHED

    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    request.session[TOUCHED] = int(time.time())
    return HttpResponse(status=204)


def signed_out(request: HttpRequest) -> HttpResponse:
    """Where the timeout warning goes when the time is up (or its "Sign out" is chosen)."""
    logout(request)
    return render(request, "frontend/signed_out.html")


def _display(account: models.Account, value: int) -> str:
    return format_pence(account.on_normal_side(value))


def _show_sides(line: models.Line) -> None:
    """Put the amount in the debit or the credit column, as a statement shows it."""
    line.debit = format_pence(line.amount) if line.side == "debit" else ""  # type: ignore[attr-defined]
    line.credit = format_pence(line.amount) if line.side == "credit" else ""  # type: ignore[attr-defined]


@allowed_by(check_may_read)
def ledger_accounts(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:64]
    found = queries.accounts(actor_from_user(signed_in(request)), q=q)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    record_reads(request.user, queries.budget_accounts(page), request.get_full_path())
    for account in page:
        account.display_balance = format_pence(account.normal_balance)  # type: ignore[attr-defined]
    return render(
        request,
        "frontend/ledger/accounts.html",
        {"page": page, "q": q, "query_prefix": f"q={q}&" if q else ""},
    )


def _as_at(form: dict[str, str]) -> tuple[date | None, str | None]:
    """Read a GOV.UK date input; empty means today."""
    parts = [form.get(k, "").strip() for k in ("day", "month", "year")]
    if not any(parts):
        return None, None
    if not all(parts):
        missing = [n for n, p in zip(("day", "month", "year"), parts, strict=True) if not p]
        return None, "The as at date must include a " + " and ".join(missing)
    try:
        if not all(ascii_digits(p) and len(p) <= 4 for p in parts):
            raise ValueError("not digits 0-9")  # int() would read "١٢" or "+1_2" too
        day, month, year = (int(p) for p in parts)
        if not 1900 <= year <= 2999:
            raise ValueError("year out of range")
        return date(year, month, day), None
    except ValueError:
        return None, "The as at date must be a real date, for example 27 3 2026"


@allowed_by(check_may_read)
def ledger_statement(request: HttpRequest, code: str) -> HttpResponse:
    form = {k: request.GET.get(k, "")[:4] for k in ("day", "month", "year")}
    chosen, error = _as_at(form)
    errors = {"as_at": error} if error else {}
    day = chosen or timezone.localdate()
    # The end of the chosen day in the council's time zone.
    as_at = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) - timedelta(
        microseconds=1
    )
    actor = actor_from_user(signed_in(request))
    try:
        found = queries.statement(actor, code, end=as_at, newest_first=True)
        holding, more_held = queries.holds(actor, code, as_at=as_at, limit=PAGE_SIZE)
    except LedgerError as exc:  # unknown, or not even a valid code
        raise Http404(str(exc)) from None
    account = found.account
    record_read(request.user, list(queries.budget_accounts([account])), request.path)
    page = Paginator(found.lines, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {k.value: k.value.replace("_", " ").capitalize() for k in EntryKind}
    for line in page:
        _show_sides(line)
        line.running = _display(account, line.running_balance)  # type: ignore[attr-defined]
        line.kind_label = labels.get(line.entry.kind, line.entry.kind)  # type: ignore[attr-defined]
    query_prefix = "".join(f"{k}={v}&" for k, v in form.items() if v)
    context: dict[str, Any] = {
        "account": account,
        "form": form,
        "errors": errors,
        "page": page,
        "query_prefix": query_prefix,
        "as_at_label": day.strftime("%-d %B %Y"),
        "as_at_balance": _display(account, found.closing),
        "current_balance": _display(account, account.balance),
        # What holds took as they stood that day, and what was left; and the same now.
        "as_at_held": format_pence(found.held),
        "as_at_available": format_pence(found.available),
        "current_held": format_pence(account.held),
        "current_available": format_pence(account.available),
        "holds": [
            {
                "hold": h,
                "amount": format_pence(h.amount),
                "kind_label": labels.get(h.kind, h.kind),
            }
            for h in holding
        ],
        "more_held": more_held is not None,
    }
    return render(request, "frontend/ledger/statement.html", context, status=400 if errors else 200)


@allowed_by(check_may_read)
def ledger_entry(request: HttpRequest, entry_id: UUID) -> HttpResponse:
    try:
        entry = queries.entry(actor_from_user(signed_in(request)), entry_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from None
    record_read(request.user, [entry.budget], request.path)
    legs = list(entry.lines.all())
    for line in legs:
        _show_sides(line)
    context = {
        "entry": entry,
        "legs": legs,
        "hash": queries.chain_hash_of(entry.id),
        "amount": format_pence(entry.amount),
        "kind_label": entry.kind.replace("_", " ").capitalize(),
    }
    return render(request, "frontend/ledger/entry.html", context)
