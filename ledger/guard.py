"""The command side's guard table: each account's state as the ledger's rules need it, kept in
the same transaction as the events that move it.

A post checks its accounts and appends its entry in one transaction, without loading an
``Account`` aggregate: the application hands the event store a *step* (``during``), which the
recorder runs inside the transaction that inserts the events (``GuardedRecorder``). The step
locks the guard rows of the accounts named (PostgreSQL: ``SELECT … ORDER BY code FOR UPDATE``,
so writers racing for one budget's last pounds queue on its row instead of retrying; SQLite:
the write transaction itself, taken at once), lets the domain decide (ledger/domain.py:
``take_entries``, ``take_hold``, ``post_held``, ``close_guarded``), writes the rows back and
lets the events follow. A refusal raises inside the transaction, so nothing is recorded; an
entry whose key was taken rolls the rows back with it.

The events are still the record: read models are projected from them, the ``Account``
aggregate still loads (its balance and holds served from its guard row, since accounts no
longer record an event per leg), and ``verify_balances`` checks every row against a replay.
A store from before the table gets a row for every account, from its own events, when the
application first starts on it (``LedgerApplication.seed_guard``); an account with no row
(saved by hand) gets one the first time a command needs it.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

import psycopg

from ledger.domain import AccountMove, AccountState, AccountType, Side, UnknownAccountError

TABLE = "ledger_guard"
COLUMNS = (
    "code",
    "type",
    "owner_kind",
    "owner_id",
    "no_overdraft",
    "keeps_balance",
    "closed",
    "balance",
    "pending_debits",
    "pending_credits",
)

# What the recorder runs inside the events' transaction: given the transaction (a cursor, or
# for the in-memory store a dict of staged rows).
Step = Callable[[Any], None]
_STEP: ContextVar[Step | None] = ContextVar("ledger_guard_step", default=None)
# What the same insert may try first, where the store can decide it in one statement: each
# account's move (PostgreSQL: ``PostgresGuard.post``). The step decides when that refuses.
_MOVES: ContextVar[Sequence[AccountMove] | None] = ContextVar("ledger_guard_moves", default=None)
# The SQLSTATE the one-statement check raises when an account refuses its move.
REFUSED = "CL001"
# Batches at least this long are copied in (binary COPY) after one check, not sent as one array.
COPY_FROM = 200


class GuardRefused(Exception):
    """The one-statement check refused an account (``code``): the step then decides, and names
    the leg as the domain does."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class MissingGuardError(UnknownAccountError):
    """Accounts with no guard row: never opened, or opened before the table (then seeded)."""

    def __init__(self, message: str, *, codes: Sequence[str], field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.codes = tuple(codes)


@contextmanager
def during(step: Step, *, moves: Sequence[AccountMove] | None = None) -> Iterator[None]:
    """Run ``step`` inside the transaction of the next events this context inserts; where the
    store has a one-statement check and ``moves`` are given, try that first."""
    token, moves_token = _STEP.set(step), _MOVES.set(moves)
    try:
        yield
    finally:
        _STEP.reset(token)
        _MOVES.reset(moves_token)


def _row(state: AccountState) -> tuple[Any, ...]:
    return (
        state.code,
        state.type.value,
        state.owner_kind,
        state.owner_id,
        state.no_overdraft,
        state.keeps_balance,
        state.is_closed,
        state.balance,
        state.pending_debits,
        state.pending_credits,
    )


def _state(row: Any) -> AccountState:
    return AccountState(
        code=row["code"],
        type=AccountType(row["type"]),
        owner_kind=row["owner_kind"],
        owner_id=row["owner_id"],
        no_overdraft=bool(row["no_overdraft"]),
        keeps_balance=bool(row["keeps_balance"]),
        is_closed=bool(row["closed"]),
        balance=int(row["balance"]),
        pending_debits=int(row["pending_debits"]),
        pending_credits=int(row["pending_credits"]),
    )


class GuardStore(ABC):
    """The guard table of one store. ``lock``/``write``/``insert`` run inside the events'
    transaction (``tx``); ``read``/``seed``/``all`` on their own."""

    @abstractmethod
    def create_table(self) -> None: ...

    @abstractmethod
    def lock(self, tx: Any, codes: Iterable[str]) -> dict[str, AccountState]: ...

    @abstractmethod
    def write(self, tx: Any, states: Iterable[AccountState]) -> None: ...

    @abstractmethod
    def insert(self, tx: Any, state: AccountState) -> None: ...

    @abstractmethod
    def read(self, codes: Iterable[str]) -> dict[str, AccountState]: ...

    @abstractmethod
    def seed(self, states: Iterable[AccountState]) -> None: ...

    @abstractmethod
    def all(self) -> dict[str, AccountState]: ...

    @abstractmethod
    def is_empty(self) -> bool: ...

    def locked(self, tx: Any, codes: Iterable[str], *, field: str) -> dict[str, AccountState]:
        """The rows of ``codes``, locked; refuse when one has none (``MissingGuardError``, which
        the application answers by seeding from the account's events, or as unknown)."""
        wanted = sorted(set(codes))
        found = self.lock(tx, wanted)
        missing = [code for code in wanted if code not in found]
        if missing:
            raise MissingGuardError(
                f"account {missing[0]} does not exist", codes=missing, field=field
            )
        return found


# The account types whose normal side is the debit side, for the one-statement check.
_DEBIT_NORMAL = "ARRAY[{}]::text[]".format(
    ", ".join(f"'{t.value}'" for t in AccountType if t.normal_side is Side.DEBIT)
)


class PostgresGuard(GuardStore):
    """The guard table in the application's schema, and two functions beside it that let a
    post check its accounts and append its events in one statement (``post``): each account's
    row is moved only if ``AccountMove.passes`` would let it (the same test, in SQL: the
    property test in tests/integration/test_guard_statement.py holds the two together), in
    the order of their codes, then the events table is locked (so ids commit in order, as
    eventsourcing's own insert does) and the events inserted. No NOTIFY: nothing listens."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.datastore = recorder.datastore
        schema = self.datastore.schema
        self.table = f'"{schema}".{TABLE}'
        self.events = f'"{schema}"."{recorder.events_table_name}"'
        self.take_function = f'"{schema}".careledger_guard_take'
        self.post_function = f'"{schema}".careledger_guard_post'

    def create_table(self) -> None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            curs.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                " code text PRIMARY KEY, type text NOT NULL, owner_kind text NOT NULL,"
                " owner_id text NOT NULL, no_overdraft boolean NOT NULL,"
                " keeps_balance boolean NOT NULL, closed boolean NOT NULL,"
                " balance bigint NOT NULL,"
                " pending_debits bigint NOT NULL CHECK (pending_debits >= 0),"
                " pending_credits bigint NOT NULL CHECK (pending_credits >= 0))"
            )
            # Take every account's move or refuse (naming the account), then lock the events
            # table; returns the highest notification id before this transaction's.
            curs.execute(
                f"CREATE OR REPLACE FUNCTION {self.take_function}(codes text[], deltas bigint[],"
                " lowest_debit bigint[], lowest_credit bigint[]) RETURNS bigint"
                " LANGUAGE plpgsql AS $$ BEGIN"
                " FOR i IN 1 .. coalesce(array_length(codes, 1), 0) LOOP"
                f" UPDATE {self.table} AS g SET balance = g.balance + deltas[i]"
                " WHERE g.code = codes[i] AND NOT g.closed AND (NOT g.no_overdraft OR"
                f" CASE WHEN g.type = ANY({_DEBIT_NORMAL})"
                " THEN g.balance + lowest_debit[i] - g.pending_credits"
                " ELSE lowest_credit[i] - g.balance - g.pending_debits END >= 0);"
                " IF NOT FOUND THEN"
                f" RAISE EXCEPTION USING ERRCODE = '{REFUSED}', MESSAGE = codes[i];"
                " END IF; END LOOP;"
                f" LOCK TABLE {self.events} IN EXCLUSIVE MODE;"
                f" RETURN coalesce((SELECT max(notification_id) FROM {self.events}), 0);"
                " END $$"
            )
            curs.execute(
                f"CREATE OR REPLACE FUNCTION {self.post_function}(codes text[], deltas bigint[],"
                " lowest_debit bigint[], lowest_credit bigint[], ids uuid[], versions bigint[],"
                " topics text[], states bytea[])"
                " RETURNS SETOF bigint LANGUAGE plpgsql AS $$ BEGIN"
                f" PERFORM {self.take_function}(codes, deltas, lowest_debit, lowest_credit);"
                f" RETURN QUERY INSERT INTO {self.events}"
                " (originator_id, originator_version, topic, state)"
                " SELECT * FROM unnest(ids, versions, topics, states)"
                " RETURNING notification_id;"
                " END $$"
            )

    def post(self, stored_events: Sequence[Any], moves: Sequence[AccountMove]) -> list[int]:
        """Check and move the accounts and append the events: one statement, or for a long
        batch one check then a binary COPY. Raises ``GuardRefused`` naming an account that
        refused (nothing is recorded), or eventsourcing's IntegrityError for a key taken."""
        moved = (
            [m.code for m in moves],
            [m.delta for m in moves],
            [m.lowest_debit for m in moves],
            [m.lowest_credit for m in moves],
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                if len(stored_events) < COPY_FROM:
                    # Binary parameters (%b): psycopg's text form of arrays costs some 70 us.
                    curs.execute(
                        f"SELECT notification_id FROM {self.post_function}"
                        "(%b, %b, %b, %b, %b, %b, %b, %b) AS notification_id",
                        (
                            *moved,
                            [e.originator_id for e in stored_events],
                            [e.originator_version for e in stored_events],
                            [e.topic for e in stored_events],
                            [e.state for e in stored_events],
                        ),
                        prepare=True,
                    )
                    return [row["notification_id"] for row in curs.fetchall()]
                with conn.transaction():
                    return self._copy(curs, moved, stored_events)
            except psycopg.Error as error:
                if error.sqlstate == REFUSED:
                    raise GuardRefused(str(error.diag.message_primary)) from None
                raise

    def _copy(
        self, curs: Any, moved: tuple[list[Any], ...], stored_events: Sequence[Any]
    ) -> list[int]:
        curs.execute(f"SELECT {self.take_function}(%s, %s, %s, %s) AS last", moved)
        last = curs.fetchone()["last"]
        with curs.copy(
            f"COPY {self.events} (originator_id, originator_version, topic, state)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for e in stored_events:
                copy.write_row((e.originator_id, e.originator_version, e.topic, e.state))
        # The table is locked: every id above the last before the COPY is one of these.
        curs.execute(
            f"SELECT notification_id FROM {self.events} WHERE notification_id > %s"
            " ORDER BY notification_id",
            (last,),
        )
        return [row["notification_id"] for row in curs.fetchall()]

    def lock(self, tx: Any, codes: Iterable[str]) -> dict[str, AccountState]:
        # In the order of their codes, so two writers never wait on each other's rows.
        tx.execute(
            # COLLATE "C": code points, as Python's sorted() and the one-statement function
            # order them, whatever the database's collation: every path locks in one order.
            f'SELECT * FROM {self.table} WHERE code = ANY(%s) ORDER BY code COLLATE "C" FOR UPDATE',
            (list(codes),),
        )
        return {row["code"]: _state(row) for row in tx.fetchall()}

    def write(self, tx: Any, states: Iterable[AccountState]) -> None:
        rows = list(states)
        if not rows:
            return
        tx.execute(
            f"UPDATE {self.table} AS g SET balance = d.balance, pending_debits = d.pd,"
            " pending_credits = d.pc, closed = d.closed"
            " FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::boolean[])"
            " AS d(code, balance, pd, pc, closed) WHERE g.code = d.code",
            (
                [s.code for s in rows],
                [s.balance for s in rows],
                [s.pending_debits for s in rows],
                [s.pending_credits for s in rows],
                [s.is_closed for s in rows],
            ),
        )

    def _insert_sql(self) -> str:
        marks = ", ".join(["%s"] * len(COLUMNS))
        return (
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES ({marks})"
            " ON CONFLICT (code) DO NOTHING"
        )

    def insert(self, tx: Any, state: AccountState) -> None:
        tx.execute(self._insert_sql(), _row(state))

    def read(self, codes: Iterable[str]) -> dict[str, AccountState]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(f"SELECT * FROM {self.table} WHERE code = ANY(%s)", (list(codes),))
            return {row["code"]: _state(row) for row in curs.fetchall()}

    def seed(self, states: Iterable[AccountState]) -> None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            curs.executemany(self._insert_sql(), [_row(s) for s in states])

    def all(self) -> dict[str, AccountState]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(f"SELECT * FROM {self.table}")
            return {row["code"]: _state(row) for row in curs.fetchall()}

    def is_empty(self) -> bool:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(f"SELECT 1 FROM {self.table} LIMIT 1")
            return curs.fetchone() is None


class SQLiteGuard(GuardStore):
    """The same table in the ledger's own SQLite file. A write transaction is one writer at a
    time, so the step's first statement takes the write lock, and the rows are then its own."""

    CHUNK = 500

    def __init__(self, recorder: Any) -> None:
        self.datastore = recorder.datastore

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                " code TEXT PRIMARY KEY, type TEXT NOT NULL, owner_kind TEXT NOT NULL,"
                " owner_id TEXT NOT NULL, no_overdraft INTEGER NOT NULL,"
                " keeps_balance INTEGER NOT NULL, closed INTEGER NOT NULL,"
                " balance INTEGER NOT NULL,"
                " pending_debits INTEGER NOT NULL CHECK (pending_debits >= 0),"
                " pending_credits INTEGER NOT NULL CHECK (pending_credits >= 0))"
            )

    def _select(self, c: Any, codes: list[str]) -> dict[str, AccountState]:
        found: dict[str, AccountState] = {}
        for i in range(0, len(codes), self.CHUNK):
            chunk = codes[i : i + self.CHUNK]
            c.execute(f"SELECT * FROM {TABLE} WHERE code IN ({', '.join('?' * len(chunk))})", chunk)
            found.update((row["code"], _state(row)) for row in c.fetchall())
        return found

    def lock(self, tx: Any, codes: Iterable[str]) -> dict[str, AccountState]:
        # A write first: a read would take a shared lock that another writer's commit could
        # then refuse to upgrade ("database is locked") instead of waiting its turn.
        tx.execute(f"UPDATE {TABLE} SET balance = balance WHERE 0")
        return self._select(tx, list(codes))

    def write(self, tx: Any, states: Iterable[AccountState]) -> None:
        tx.executemany(
            f"UPDATE {TABLE} SET balance = ?, pending_debits = ?, pending_credits = ?,"
            " closed = ? WHERE code = ?",
            [(s.balance, s.pending_debits, s.pending_credits, s.is_closed, s.code) for s in states],
        )

    def _insert_sql(self) -> str:
        return (
            f"INSERT OR IGNORE INTO {TABLE} ({', '.join(COLUMNS)})"
            f" VALUES ({', '.join('?' * len(COLUMNS))})"
        )

    def insert(self, tx: Any, state: AccountState) -> None:
        tx.execute(self._insert_sql(), _row(state))

    def read(self, codes: Iterable[str]) -> dict[str, AccountState]:
        with self.datastore.transaction(commit=False) as c:
            return self._select(c, list(codes))

    def seed(self, states: Iterable[AccountState]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(self._insert_sql(), [_row(s) for s in states])

    def all(self) -> dict[str, AccountState]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {TABLE}")
            return {row["code"]: _state(row) for row in c.fetchall()}

    def is_empty(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
            return c.fetchone() is None


class MemoryGuard(GuardStore):
    """The in-memory store's (eventsourcing.popo, the unit tests'): rows staged by the step are
    kept only when the events are (``GuardedMemoryRecorder``)."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.rows: dict[str, AccountState] = recorder.guard_rows

    def create_table(self) -> None:
        pass

    def lock(self, tx: Any, codes: Iterable[str]) -> dict[str, AccountState]:
        found = {}
        for code in codes:
            row = tx.get(code) or self.rows.get(code)
            if row is not None:
                found[code] = replace(row)
        return found

    def write(self, tx: Any, states: Iterable[AccountState]) -> None:
        for state in states:
            tx[state.code] = replace(state)

    def insert(self, tx: Any, state: AccountState) -> None:
        if state.code not in self.rows and state.code not in tx:
            tx[state.code] = replace(state)

    def read(self, codes: Iterable[str]) -> dict[str, AccountState]:
        with self.recorder._database_lock:
            return {c: replace(self.rows[c]) for c in codes if c in self.rows}

    def seed(self, states: Iterable[AccountState]) -> None:
        with self.recorder._database_lock:
            for state in states:
                self.rows.setdefault(state.code, replace(state))

    def all(self) -> dict[str, AccountState]:
        with self.recorder._database_lock:
            return {c: replace(s) for c, s in self.rows.items()}

    def is_empty(self) -> bool:
        return not self.rows


class GuardedRecorder:
    """Runs the step (if one is set) inside the transaction that inserts the events, before
    them. ``_insert_events`` is eventsourcing's hook inside that transaction on both SQL
    stores (where the process recorder writes its tracking position)."""

    def _insert_events(self, c: Any, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        step = _STEP.get()
        if step is not None:
            step(c)
        return super()._insert_events(c, stored_events, **kwargs)  # type: ignore[misc]


class GuardedPostgresRecorder(GuardedRecorder):
    """PostgreSQL: a post with its accounts' moves goes in one statement (``PostgresGuard.post``);
    when that refuses, the step decides in the usual transaction, and names the leg (or finds
    the account moved meanwhile and lets the post through). A process manager's save, which
    records its tracking position with its events, always takes the usual transaction."""

    guard_store: PostgresGuard

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        moves = _MOVES.get()
        if moves is not None and stored_events and kwargs.get("tracking") is None:
            with suppress(GuardRefused):
                return self.guard_store.post(stored_events, moves)
        return super().insert_events(stored_events, **kwargs)  # type: ignore[misc]


class GuardedMemoryRecorder:
    """The in-memory store: stage the step's rows, keep them only if the events go in."""

    guard_rows: dict[str, AccountState]

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        step = _STEP.get()
        if step is None:
            return super().insert_events(stored_events, **kwargs)  # type: ignore[misc]
        lock: Any = getattr(self, "_database_lock")  # noqa: B009 - the library's own RLock
        with lock:
            staged: dict[str, AccountState] = {}
            step(staged)
            result = super().insert_events(stored_events, **kwargs)  # type: ignore[misc]
            self.guard_rows.update(staged)
            return result


_classes: dict[type, type] = {}
_classes_lock = threading.Lock()


def guarded(recorder: Any) -> GuardStore:
    """Give ``recorder`` the step hook (by a subclass of its own class) and its guard table."""
    cls = type(recorder)
    module = cls.__module__
    memory = module.startswith("eventsourcing.popo")
    postgres = not memory and hasattr(recorder.datastore, "schema")
    with _classes_lock:
        if cls not in _classes:
            mixin = (
                GuardedMemoryRecorder
                if memory
                else GuardedPostgresRecorder
                if postgres
                else GuardedRecorder
            )
            _classes[cls] = type(f"Guarded{cls.__name__}", (mixin, cls), {})
    recorder.__class__ = _classes[cls]
    store: GuardStore
    if memory:
        recorder.guard_rows = {}
        store = MemoryGuard(recorder)
    elif postgres:
        store = recorder.guard_store = PostgresGuard(recorder)
    else:
        store = SQLiteGuard(recorder)
    store.create_table()
    return store
