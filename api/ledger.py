"""The ledger's routes: thin, each parses input, calls one command or query, shapes output.

The commands go through the caller's journal (``LedgerApplication.journal(actor)``): the
ledger's policy (ledger/policies.py) gives a finance officer finance's own journal and
refuses anyone else, and the domain refuses (409) finance's journal an entry or account that
belongs to a context; the problem then names the route of the command to use instead. The
reads are the ledger's queries, which take the ``Actor`` too. Each route's ``auth`` asks the
same policy before the body is read. Staff reads of a budget's accounts are logged
(config/audit.py).

Holds are read-only here: they are placed, posted and voided by the context that agreed the
commitment (ledger/policies.py, ``check_may_hold``), never through finance's journal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Header, Query, Router, Schema, Status

from api.auth import allowed_by, caller, caller_actor
from api.schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    BalanceOut,
    CloseIn,
    EntryIn,
    EntryOut,
    EntryPage,
    HoldLegOut,
    HoldOut,
    HoldPage,
    LegOut,
    RecordedOut,
    ReverseIn,
    StatementLineOut,
    StatementOut,
)
from config.audit import record_read, record_reads
from ledger import models, queries
from ledger.application import Journal, Recorded
from ledger.domain import EntryDraft, InvalidEntryError, OwnedByContextError, Owner
from ledger.money import format_pence
from ledger.policies import check_may_keep_journal, check_may_read
from ledger.services import catch_up, ledger_app

router = Router(tags=["ledger"])
READERS = allowed_by(check_may_read)
WRITERS = allowed_by(check_may_keep_journal)

# Where each context takes the commands that post and correct its entries (wording only:
# the refusal is the domain's).
COMMANDS = {
    Owner.BUDGETS: "revise it with POST /api/v1/budgets/people/{ref}/budget/revision",
}


@contextmanager
def naming_the_command() -> Iterator[None]:
    """Add the route of the command to use to a refusal of another context's entry."""
    try:
        yield
    except OwnedByContextError as exc:
        route = COMMANDS.get(exc.owner)
        if route is None:
            raise
        raise OwnedByContextError(
            f"{exc.message} ({route.format(ref=exc.budget or '<council_ref>')})",
            owner=exc.owner,
            budget=exc.budget,
            field=exc.field,
        ) from None


def journal(request: HttpRequest) -> Journal:
    """The caller's journal, as the ledger's policy gives it."""
    return ledger_app().journal(caller_actor(request))


def recorded(result: Recorded) -> Status[RecordedOut]:
    position = catch_up(result.position)  # read your writes
    return Status(
        201 if result.created else 200,
        RecordedOut(id=result.id, created=result.created, position=result.position or position),
    )


def account_out(account: models.Account) -> AccountOut:
    return AccountOut(
        code=account.code,
        name=account.name,
        type=account.type,
        owner_kind=account.owner_kind,
        owner_id=account.owner_id,
        is_closed=account.is_closed,
        no_overdraft=account.no_overdraft,
        balance_pence=account.balance,
        balance=format_pence(account.normal_balance),
        held_pence=account.held,
        held=format_pence(account.held),
        available_pence=account.available,
        available=format_pence(account.available),
    )


def hold_out(hold: models.Hold) -> HoldOut:
    return HoldOut(
        id=hold.id,
        position=hold.position,
        idempotency_key=hold.idempotency_key,
        kind=hold.kind,
        status=hold.status,
        amount_pence=hold.amount,
        amount=format_pence(hold.amount),
        posted_amount_pence=hold.posted_amount,
        effective_at=hold.effective_at,
        expires_at=hold.expires_at,
        released_at=hold.released_at,
        recorded_at=hold.recorded_at,
        actor=hold.actor,
        reason=hold.reason,
        budget=hold.budget,
        source_document=hold.source_document,
        entry=hold.entry,
        resolved_by_actor=hold.resolved_by_actor,
        resolution_reason=hold.resolution_reason,
        legs=[
            HoldLegOut(
                account=leg.account.code,
                side=leg.side,
                amount_pence=leg.amount,
                amount=format_pence(leg.amount),
            )
            for leg in hold.legs.all()
        ],
    )


def entry_out(entry: models.Entry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        position=entry.position,
        kind=entry.kind,
        effective_at=entry.effective_at,
        recorded_at=entry.recorded_at,
        actor=entry.actor,
        reason=entry.reason,
        budget=entry.budget,
        source_document=entry.source_document,
        idempotency_key=entry.idempotency_key,
        correlation_id=entry.correlation_id,
        causation_id=entry.causation_id,
        amount_pence=entry.amount,
        amount=format_pence(entry.amount),
        overdraft_authorisation=entry.overdraft_authorisation,
        reverses=entry.reverses,
        reversed_by=entry.reversed_by,
        hold=entry.hold,
        hash=queries.chain_hash_of(entry.id),
        legs=[
            LegOut(
                account=line.account.code,
                side=line.side,
                amount_pence=line.amount,
                amount=format_pence(line.amount),
                running_balance_pence=line.running_balance,
            )
            for line in entry.lines.all()
        ],
    )


@router.post("/accounts", response={200: RecordedOut, 201: RecordedOut}, auth=WRITERS)
def open_account(request: HttpRequest, payload: AccountIn) -> Status[RecordedOut]:
    return recorded(journal(request).open_account(**payload.dict()))


@router.post("/accounts/{code}/close", response={201: RecordedOut}, auth=WRITERS)
def close_account(request: HttpRequest, code: str, payload: CloseIn) -> Status[RecordedOut]:
    with naming_the_command():
        result = journal(request).close_account(code=code, reason=payload.reason)
    return recorded(result)


@router.get("/accounts", response=AccountPage, auth=READERS)
def list_accounts(
    request: HttpRequest, cursor: str | None = None, limit: int = 50, owner_id: str = ""
) -> AccountPage:
    limit = max(1, min(limit, queries.MAX_PAGE))
    found = queries.accounts(caller_actor(request), owner_id=owner_id, after=cursor or "")
    rows = list(found[: limit + 1])
    next_cursor = rows[limit - 1].code if len(rows) > limit else None
    shown = rows[:limit]
    record_reads(caller(request), queries.budget_accounts(shown), request.get_full_path())
    return AccountPage(items=[account_out(a) for a in shown], next_cursor=next_cursor)


@router.get("/accounts/{code}", response=AccountOut, auth=READERS)
def get_account(request: HttpRequest, code: str) -> AccountOut:
    account = queries.account(caller_actor(request), code)
    record_read(caller(request), list(queries.budget_accounts([account])), request.get_full_path())
    return account_out(account)


@router.get("/accounts/{code}/balance", response=BalanceOut, auth=READERS)
def account_balance(request: HttpRequest, code: str, as_at: datetime | None = None) -> BalanceOut:
    found = queries.standing_of(caller_actor(request), code, as_at=aware(as_at, "as_at"))
    account = found.account
    record_read(caller(request), list(queries.budget_accounts([account])), request.get_full_path())
    return BalanceOut(
        account=code,
        as_at=as_at,
        balance_pence=found.balance,
        balance=format_pence(found.normal_balance),
        held_pence=found.held,
        held=format_pence(found.held),
        available_pence=found.available,
        available=format_pence(found.available),
    )


@router.get("/accounts/{code}/holds", response=HoldPage, auth=READERS)
def account_holds(
    request: HttpRequest,
    code: str,
    as_at: datetime | None = None,
    status: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> HoldPage:
    """The holds on an account, in log order: those pending as they stood at ``as_at``, or
    every hold (of one ``status``: pending, posted, voided, expired)."""
    actor = caller_actor(request)
    rows, next_cursor = queries.holds(
        actor,
        code,
        as_at=aware(as_at, "as_at"),
        status=status,
        cursor=cursor,
        limit=max(1, min(limit, queries.MAX_PAGE)),
    )
    account = queries.account(actor, code)
    record_read(caller(request), list(queries.budget_accounts([account])), request.get_full_path())
    return HoldPage(items=[hold_out(h) for h in rows], next_cursor=next_cursor)


@router.get("/holds/{hold_id}", response=HoldOut, auth=READERS)
def get_hold(request: HttpRequest, hold_id: UUID) -> HoldOut:
    found = queries.hold(caller_actor(request), hold_id)
    record_read(caller(request), [found.budget], request.path)
    return hold_out(found)


@router.get("/accounts/{code}/statement", response=StatementOut, auth=READERS)
def account_statement(
    request: HttpRequest,
    code: str,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> StatementOut:
    found = queries.statement(
        caller_actor(request),
        code,
        start=aware(start, "start"),
        end=aware(end, "end"),
        limit=max(1, min(limit, queries.MAX_PAGE)),
        after=statement_cursor(cursor),
    )
    shown = queries.budget_accounts([found.account])
    record_read(caller(request), list(shown), request.get_full_path())
    lines = list(found.lines)
    return StatementOut(
        account=code,
        start=start,
        end=end,
        opening_balance_pence=found.opening,
        closing_balance_pence=found.closing,
        closing_held_pence=found.held,
        closing_available_pence=found.available,
        lines=[
            StatementLineOut(
                entry=line.entry_id,
                effective_at=line.effective_at,
                kind=line.entry.kind,
                reason=line.entry.reason,
                side=line.side,
                amount_pence=line.amount,
                running_balance_pence=line.running_balance,
            )
            for line in lines
        ],
        next_cursor=(
            f"{lines[-1].effective_at.isoformat()}|{lines[-1].id}" if found.has_more else None
        ),
    )


def aware(value: datetime | None, field: str) -> datetime | None:
    """A time a client gives must say its zone: a guess would move money across a day."""
    if value is not None and value.tzinfo is None:
        raise InvalidEntryError("must include a time zone, e.g. 2026-09-10T00:00:00Z", field=field)
    return value


def statement_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    at, _, line_id = cursor.rpartition("|")
    try:
        when = datetime.fromisoformat(at)
        return when, int(line_id)
    except ValueError:
        raise InvalidEntryError("is not a cursor this API gave", field="cursor") from None


@router.post("/entries", response={200: RecordedOut, 201: RecordedOut}, auth=WRITERS)
def post_entry(
    request: HttpRequest,
    payload: EntryIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Status[RecordedOut]:
    writer = journal(request)
    draft = EntryDraft.create(
        idempotency_key=idempotency_key,
        kind=payload.kind,
        legs=[leg.dict() for leg in payload.legs],
        effective_at=payload.effective_at,
        actor=writer.actor.id,
        reason=payload.reason,
        budget=payload.budget,
        source_document=payload.source_document,
        correlation_id=payload.correlation_id or request.headers.get("X-Correlation-ID", ""),
        causation_id=payload.causation_id,
        overdraft_authorisation=payload.overdraft_authorisation,
    )
    with naming_the_command():
        result = writer.post_entry(draft)
    return recorded(result)


@router.post("/entries/{entry_id}/reverse", response={201: RecordedOut}, auth=WRITERS)
def reverse_entry(request: HttpRequest, entry_id: UUID, payload: ReverseIn) -> Status[RecordedOut]:
    with naming_the_command():
        result = journal(request).reverse_entry(
            entry=entry_id,
            reason=payload.reason,
            effective_at=payload.effective_at,
            overdraft_authorisation=payload.overdraft_authorisation,
        )
    return recorded(result)


@router.get("/entries/{entry_id}", response=EntryOut, auth=READERS)
def get_entry(request: HttpRequest, entry_id: UUID) -> EntryOut:
    found = queries.entry(caller_actor(request), entry_id)
    record_read(caller(request), [found.budget], request.path)
    return entry_out(found)


class EntryFilters(Schema):
    account: str | None = None
    budget: str | None = None
    kind: str | None = None
    source_document: str | None = None
    effective_from: datetime | None = None
    effective_to: datetime | None = None


@router.get("/entries", response=EntryPage, auth=READERS)
def list_entries(
    request: HttpRequest,
    filters: Query[EntryFilters],
    cursor: int | None = None,
    limit: int = 50,
) -> EntryPage:
    aware(filters.effective_from, "effective_from")
    aware(filters.effective_to, "effective_to")
    rows, next_cursor = queries.entries(
        caller_actor(request), cursor=cursor, limit=limit, **filters.dict()
    )
    record_read(caller(request), [e.budget for e in rows], request.get_full_path())
    return EntryPage(items=[entry_out(e) for e in rows], next_cursor=next_cursor)
