"""Reads of the ledger's read models: balances now or as at an instant, statements, entries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet

from ledger import models
from ledger.domain import CONTEXT_ACCOUNTS, NotFoundError, Owner, check_code

MAX_PAGE = 200


def account_by_code(code: str) -> models.Account:
    account = models.Account.objects.filter(code=check_code(code)).first()
    if account is None:
        raise NotFoundError(f"account {code} does not exist", field="code")
    return account


def budget_accounts(accounts: Iterable[models.Account]) -> dict[str, list[str]]:
    """Of these accounts, those holding a person's budget (personal money), by the person's
    council reference: what a staff read of them must log."""
    found: dict[str, list[str]] = {}
    for account in accounts:
        if CONTEXT_ACCOUNTS.get(account.owner_kind) is Owner.BUDGETS and account.owner_id:
            found.setdefault(account.owner_id, []).append(account.code)
    return found


def balance(account: models.Account, as_at: datetime | None = None) -> int:
    """Debits minus credits of every leg effective at or before ``as_at`` (default: all)."""
    if as_at is None:
        return account.balance
    running = (
        models.Line.objects.filter(account=account, effective_at__lte=as_at)
        .order_by("-effective_at", "-id")
        .values_list("running_balance", flat=True)
        .first()
    )
    return running or 0


@dataclass(frozen=True)
class Statement:
    account: models.Account
    opening: int
    closing: int
    lines: list[models.Line]
    has_more: bool


def statement(
    account: models.Account,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int = 100,
    after: tuple[datetime, int] | None = None,
) -> Statement:
    """Lines effective in [start, end] with their running balances, oldest first."""
    lines = models.Line.objects.filter(account=account).select_related("entry")
    if start is not None:
        lines = lines.filter(effective_at__gte=start)
    if end is not None:
        lines = lines.filter(effective_at__lte=end)
    if after is not None:
        # The cursor is the whole sort key: a backdated line has a later id but comes first.
        at, line_id = after
        lines = lines.filter(Q(effective_at__gt=at) | Q(effective_at=at, id__gt=line_id))
    page = list(lines.order_by("effective_at", "id")[: limit + 1])
    opening = 0
    if start is not None:
        opening = (
            models.Line.objects.filter(account=account, effective_at__lt=start)
            .order_by("-effective_at", "-id")
            .values_list("running_balance", flat=True)
            .first()
        ) or 0
    closing = balance(account, end) if end is not None else account.balance
    return Statement(account, opening, closing, page[:limit], len(page) > limit)


def entries(
    *,
    account: str | None = None,
    budget: str | None = None,
    kind: str | None = None,
    source_document: str | None = None,
    effective_from: datetime | None = None,
    effective_to: datetime | None = None,
) -> QuerySet[models.Entry]:
    found = models.Entry.objects.all()
    if account:
        found = found.filter(lines__account=account_by_code(account)).distinct()
    if budget:
        found = found.filter(budget=budget)
    if kind:
        found = found.filter(kind=kind)
    if source_document:
        found = found.filter(source_document=source_document)
    if effective_from:
        found = found.filter(effective_at__gte=effective_from)
    if effective_to:
        found = found.filter(effective_at__lte=effective_to)
    return found.order_by("position")


def page_after(
    found: QuerySet[models.Entry], cursor: int | None, limit: int
) -> tuple[list[models.Entry], int | None]:
    """Keyset pagination on the log position: stable while new entries arrive."""
    limit = max(1, min(limit, MAX_PAGE))
    if cursor is not None:
        found = found.filter(position__gt=cursor)
    rows = list(found[: limit + 1])
    next_cursor = rows[limit - 1].position if len(rows) > limit else None
    return rows[:limit], next_cursor


def entry(entry_id: UUID) -> models.Entry:
    found = models.Entry.objects.filter(id=entry_id).prefetch_related("lines__account").first()
    if found is None:
        raise NotFoundError(f"entry {entry_id} does not exist", field="entry_id")
    return found


def chain_hash_of(entry_id: UUID) -> str:
    link = models.ChainLink.objects.filter(originator_id=entry_id).order_by("position").first()
    return link.hash if link else ""
