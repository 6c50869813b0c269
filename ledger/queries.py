"""Reads of the ledger's read models: balances now or as at an instant, statements, entries,
and holds: what each account has held, and so has available, now or as at an instant.

The door: ``accounts``, ``account``, ``balance_of``, ``standing_of``, ``statement``, ``entry``,
``entries``, ``holds`` and ``hold`` take the ``Actor`` asking, and the ledger's policy
(ledger/policies.py, ``check_may_read``) decides, for the API and the pages alike. The adapters
log each staff read of a budget's accounts (``budget_accounts``, config/audit.py).
``account_by_code``, ``balance``, ``held`` and ``standing`` are the door's own helpers, for code
that already holds the answer (tests, benchmarks). ``left_in`` is one for a context that has
decided who sees a budget by its own policy (the budgets context's "What is left").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from django.db.models import Q, QuerySet, Sum

from config.actor import Actor
from ledger import models, policies
from ledger.domain import CONTEXT_ACCOUNTS, NotFoundError, Owner, check_code

MAX_PAGE = 200
Row = TypeVar("Row", models.Entry, models.Hold)  # what is paged on its log position


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


def held(account: models.Account, as_at: datetime | None = None) -> int:
    """Pence that holds take from the account's normal side: now, or as they stood at
    ``as_at`` (placed by then and not yet posted, voided or expired)."""
    if as_at is None:
        return account.held
    legs = holding_legs(account, as_at).filter(side=account.against_normal)
    return legs.aggregate(total=Sum("amount"))["total"] or 0


def holding_legs(account: models.Account, as_at: datetime) -> QuerySet[models.HoldLeg]:
    return models.HoldLeg.objects.filter(account=account, effective_at__lte=as_at).filter(
        Q(released_at__isnull=True) | Q(released_at__gt=as_at)
    )


@dataclass(frozen=True)
class Standing:
    """An account's balance, what is held on it and what is left, now or as at an instant."""

    account: models.Account
    balance: int  # debits minus credits
    held: int  # taken from the normal side by pending holds, never negative
    as_at: datetime | None = None

    @property
    def normal_balance(self) -> int:
        return self.account.on_normal_side(self.balance)

    @property
    def available(self) -> int:
        """What is left: the balance on the normal side less what is held."""
        return self.normal_balance - self.held


def standing(account: models.Account, as_at: datetime | None = None) -> Standing:
    return Standing(account, balance(account, as_at), held(account, as_at), as_at)


def left_in(code: str) -> Standing | None:
    """The account's standing now, or None when it is not open yet: for a context that has
    already decided, by its own policy, who may see it (a person's budget on their page)."""
    found = models.Account.objects.filter(code=check_code(code)).first()
    return standing(found) if found is not None else None


def expiring_holds(now: datetime, *, after: int = 0, limit: int = 200) -> list[tuple[int, UUID]]:
    """Pending holds whose expiry has passed by ``now``, in log order after ``after``: the
    expiry job's work (position, id)."""
    found = models.Hold.objects.filter(status="pending", expires_at__lte=now, position__gt=after)
    return list(found.order_by("position").values_list("position", "id")[:limit])


# -- the door: reads that take the Actor
def accounts(
    actor: Actor, *, q: str = "", owner_id: str = "", after: str = ""
) -> QuerySet[models.Account]:
    """Every account in code order: those whose code or name contains ``q``, of one owner,
    after the code ``after`` (a cursor)."""
    policies.check_may_read(actor)
    found = models.Account.objects.order_by("code")
    if q:
        found = found.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if owner_id:
        found = found.filter(owner_id=owner_id)
    if after:
        found = found.filter(code__gt=after)
    return found


def account(actor: Actor, code: str) -> models.Account:
    policies.check_may_read(actor)
    return account_by_code(code)


def balance_of(
    actor: Actor, code: str, *, as_at: datetime | None = None
) -> tuple[models.Account, int]:
    """The account, and its balance (debits minus credits) as at an instant, or now."""
    found = account(actor, code)
    return found, balance(found, as_at)


def standing_of(actor: Actor, code: str, *, as_at: datetime | None = None) -> Standing:
    """The account's balance, held and available as at an instant, or now."""
    return standing(account(actor, code), as_at)


@dataclass(frozen=True)
class Statement:
    account: models.Account
    opening: int  # the balance before ``start`` (0 without one)
    closing: int  # the balance at ``end`` (now without one)
    # The lines, with their running balances: a page of ``limit`` lines, or (no limit) every
    # line as a query for the adapter to page.
    lines: list[models.Line] | QuerySet[models.Line]
    has_more: bool
    held: int = 0  # held at ``end`` (now without one), from the normal side

    @property
    def available(self) -> int:
        """What was left at ``end``: the closing balance on the normal side less held."""
        return self.account.on_normal_side(self.closing) - self.held


def statement(
    actor: Actor,
    code: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    after: tuple[datetime, int] | None = None,
    newest_first: bool = False,
) -> Statement:
    """An account's lines effective in [start, end], oldest first (or newest first), from
    the cursor ``after`` (oldest first only), at most ``limit`` of them."""
    found = account(actor, code)
    lines = models.Line.objects.filter(account=found).select_related("entry")
    if start is not None:
        lines = lines.filter(effective_at__gte=start)
    if end is not None:
        lines = lines.filter(effective_at__lte=end)
    if after is not None:
        # The cursor is the whole sort key: a backdated line has a later id but comes first.
        at, line_id = after
        lines = lines.filter(Q(effective_at__gt=at) | Q(effective_at=at, id__gt=line_id))
    lines = lines.order_by(*(("-effective_at", "-id") if newest_first else ("effective_at", "id")))
    opening = 0
    if start is not None:
        opening = (
            models.Line.objects.filter(account=found, effective_at__lt=start)
            .order_by("-effective_at", "-id")
            .values_list("running_balance", flat=True)
            .first()
        ) or 0
    closing = balance(found, end) if end is not None else found.balance
    holding = held(found, end)
    if limit is None:
        return Statement(found, opening, closing, lines, has_more=False, held=holding)
    page = list(lines[: limit + 1])
    return Statement(found, opening, closing, page[:limit], len(page) > limit, held=holding)


def holds(
    actor: Actor,
    code: str,
    *,
    as_at: datetime | None = None,
    status: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> tuple[list[models.Hold], int | None]:
    """A page of the holds with a leg on the account, in log order after the cursor: those
    pending as they stood at ``as_at``, or (without it) every hold, of one ``status`` if
    asked."""
    found = account(actor, code)
    rows = models.Hold.objects.filter(legs__account=found)
    if as_at is not None:
        rows = models.Hold.objects.filter(id__in=holding_legs(found, as_at).values("hold_id"))
    if status:
        rows = rows.filter(status=status)
    return page_after(rows.distinct().prefetch_related("legs__account"), cursor, limit)


def hold(actor: Actor, hold_id: UUID) -> models.Hold:
    policies.check_may_read(actor)
    found = models.Hold.objects.filter(id=hold_id).prefetch_related("legs__account").first()
    if found is None:
        raise NotFoundError(f"hold {hold_id} does not exist", field="hold_id")
    return found


def entry(actor: Actor, entry_id: UUID) -> models.Entry:
    policies.check_may_read(actor)
    found = models.Entry.objects.filter(id=entry_id).prefetch_related("lines__account").first()
    if found is None:
        raise NotFoundError(f"entry {entry_id} does not exist", field="entry_id")
    return found


def entries(
    actor: Actor,
    *,
    account: str | None = None,
    budget: str | None = None,
    kind: str | None = None,
    source_document: str | None = None,
    effective_from: datetime | None = None,
    effective_to: datetime | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> tuple[list[models.Entry], int | None]:
    """A page of entries in log order, filtered as ``matching``, after the cursor."""
    policies.check_may_read(actor)
    found = matching(
        account=account,
        budget=budget,
        kind=kind,
        source_document=source_document,
        effective_from=effective_from,
        effective_to=effective_to,
    )
    return page_after(found.prefetch_related("lines__account"), cursor, limit)


# -- the door's helpers
def matching(
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
    found: QuerySet[Row], cursor: int | None, limit: int
) -> tuple[list[Row], int | None]:
    """Keyset pagination on the log position: stable while new entries arrive."""
    limit = max(1, min(limit, MAX_PAGE))
    if cursor is not None:
        found = found.filter(position__gt=cursor)
    rows = list(found.order_by("position")[: limit + 1])
    next_cursor = rows[limit - 1].position if len(rows) > limit else None
    return rows[:limit], next_cursor


def chain_hash_of(entry_id: UUID) -> str:
    link = models.ChainLink.objects.filter(originator_id=entry_id).order_by("position").first()
    return link.hash if link else ""
