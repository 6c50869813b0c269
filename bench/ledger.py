#!/usr/bin/env python
"""Benchmarks of the careledger core against the raw speed of the database under it.

Run through ``bash bench/run.sh``, which starts a throwaway PostgreSQL cluster and runs this
script once per store (Django reads its settings once per process)::

    bench/ledger.py --store postgres   # needs DATABASE_URL
    bench/ledger.py --store sqlite     # SQLite files in a temporary CARELEDGER_VAR
    bench/ledger.py --summary out/postgres.json out/sqlite.json

It measures, per store:

(a) single-entry posts per second through ``app.post_entry`` (one entry of two legs per
    command) against single-row-transaction INSERTs into a plain table;
(b) one command of ``--batch`` entries (``app.post_entries``) against executemany/COPY of
    the same number of rows into a plain table;
(c) as-at balance latency (``queries.balance(account, as_at=...)``) for an account with
    ``--entries`` entries, built with ``post_entries`` batches and projection catch-up;
(d) projection catch-up rate (events per second) over the events of (c)'s build;

and profiles a few hundred posts, one batch and one catch-up to show where the time goes.
The raw rows carry the same bytes as the app's stored events (a real ``Posted`` event).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This file is bench/ledger.py: keep bench/ off the path so "ledger" is the app's package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from ledger.application import LedgerApplication
    from ledger.domain import EntryDraft

TARGET_RATIO = 0.5
COUNTERPARTIES = 20
ACTOR = "bench"


# ----------------------------------------------------------------------------- helpers
def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


@dataclass(frozen=True)
class Row:
    """One line of the results table: the app's figure, the ceiling's, and their ratio."""

    measure: str
    unit: str
    app: float
    ceiling: float | None = None
    target: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.app / self.ceiling if self.ceiling else None


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def table(store: str, rows: Sequence[Row]) -> str:
    head = f"{'store':<9} {'measure':<44} {'unit':<10} {'app':>11} {'ceiling':>11} "
    head += f"{'ratio':>6} {'target':>7} {'met':>4}"
    lines = [head, "-" * len(head)]
    for row in rows:
        ratio = row.ratio
        met = "-"
        if row.target is not None and ratio is not None:
            met = "yes" if ratio >= row.target else "NO"
        target = f">={row.target}" if row.target is not None else "-"
        lines.append(
            f"{store:<9} {row.measure:<44} {row.unit:<10} {fmt(row.app):>11} "
            f"{fmt(row.ceiling):>11} {fmt(ratio) if ratio else '-':>6} {target:>7} {met:>4}"
        )
        if row.note:
            lines.append(f"{'':<9}   {row.note}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the app
def setup_django(store: str, var: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["CARELEDGER_VAR"] = str(var)
    os.environ.pop("EVENTSTORE_SQLITE", None)
    # The synthetic history starts in 2020, before any council's ledger opening date.
    os.environ["LEDGER_OPENING_DATE"] = "2020-01-01"
    os.environ["LEDGER_MAX_DAYS_AHEAD"] = "3650"
    if store == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--store postgres needs DATABASE_URL=postgresql://... (bench/run.sh sets it)")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


class Drafts:
    """Makes valid two-leg drafts with unique keys and effective times that keep rising.

    Each account has its own clock and its own counterparties, so no leg is backdated:
    a backdated leg makes the projection shift every later running balance (see (e)).
    """

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.serial = 0
        self.clocks: dict[str, datetime] = {}

    def make(
        self,
        n: int,
        account: str,
        step: timedelta,
        *,
        start: datetime | None = None,
        counterparty: str | None = None,
    ) -> list[EntryDraft]:
        """``n`` entries debiting ``account``, each ``step`` after the last one made for it."""
        from ledger.domain import EntryDraft

        at = start or self.clocks[account]
        prefix = counterparty or f"{account}-CP"
        drafts = []
        for _ in range(n):
            self.serial += 1
            amount = self.random.randint(1, 100_000)
            drafts.append(
                EntryDraft.create(
                    idempotency_key=f"bench-{self.serial}",
                    kind="allocation",
                    legs=[
                        {"account": account, "side": "debit", "amount": amount},
                        {
                            "account": f"{prefix}-{self.serial % COUNTERPARTIES}",
                            "side": "credit",
                            "amount": amount,
                        },
                    ],
                    effective_at=at,
                    actor=ACTOR,
                    reason="benchmark",
                )
            )
            at += step
        if start is None:
            self.clocks[account] = at
        return drafts


def open_accounts(app: LedgerApplication, codes: Sequence[str]) -> None:
    """Each account with its counterparties (``CODE-CP-0`` ...)."""
    for code in codes:
        app.open_account(code=code, name=code.title(), type="asset", actor=ACTOR)
        for i in range(COUNTERPARTIES):
            app.open_account(
                code=f"{code}-CP-{i}", name=f"{code} budget {i}", type="liability", actor=ACTOR
            )


def sample_event_row(app: LedgerApplication, draft: EntryDraft) -> tuple[str, bytes]:
    """The topic and state bytes the app stores for one posted entry."""
    from ledger.domain import JournalEntry

    event = JournalEntry.post(draft).collect_events()[0]
    stored = app.mapper.to_stored_event(event)
    return stored.topic, stored.state


# ----------------------------------------------------------------------------- ceilings
RawRow = tuple[uuid.UUID, int, str, bytes]


def raw_rows(n: int, topic: str, state: bytes) -> list[RawRow]:
    return [(uuid.uuid4(), 1, topic, state) for _ in range(n)]


class PostgresCeiling:
    """psycopg straight into a plain table (bigserial key, the stored event's columns)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("DROP TABLE IF EXISTS bench_raw")
        self.conn.execute(
            "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, originator_id uuid NOT NULL, "
            "originator_version integer NOT NULL, topic text NOT NULL, state bytea NOT NULL)"
        )
        self.insert = (
            "INSERT INTO bench_raw (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)"
        )

    def singles_autocommit(self, rows: Sequence[RawRow]) -> float:
        """Each INSERT is its own transaction (one round trip)."""
        start = time.perf_counter()
        for row in rows:
            self.conn.execute(self.insert, row, prepare=True)
        return time.perf_counter() - start

    def singles_explicit(self, rows: Sequence[RawRow]) -> float:
        """BEGIN; INSERT; COMMIT for each row."""
        start = time.perf_counter()
        for row in rows:
            with self.conn.transaction():
                self.conn.execute(self.insert, row, prepare=True)
        return time.perf_counter() - start

    def batch_executemany(self, rows: Sequence[RawRow]) -> float:
        start = time.perf_counter()
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(self.insert, rows)
        return time.perf_counter() - start

    def batch_copy(self, rows: Sequence[RawRow]) -> float:
        start = time.perf_counter()
        with self.conn.transaction(), self.conn.cursor() as cur:
            copy_sql = "COPY bench_raw (originator_id, originator_version, topic, state) FROM STDIN"
            with cur.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return time.perf_counter() - start

    def close(self) -> None:
        self.conn.execute("DROP TABLE IF EXISTS bench_raw")
        self.conn.close()


class SQLiteCeiling:
    """The sqlite3 module into a plain table in its own file, WAL mode."""

    def __init__(self, path: Path, synchronous: str = "NORMAL") -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
            "topic TEXT NOT NULL, state BLOB NOT NULL)"
        )
        self.insert = (
            "INSERT INTO bench_raw (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)"
        )

    @staticmethod
    def _params(rows: Sequence[RawRow]) -> list[tuple[str, int, str, bytes]]:
        return [(r[0].hex, r[1], r[2], r[3]) for r in rows]

    def singles(self, rows: Sequence[RawRow]) -> float:
        params = self._params(rows)
        start = time.perf_counter()
        for row in params:
            self.conn.execute("BEGIN")
            self.conn.execute(self.insert, row)
            self.conn.execute("COMMIT")
        return time.perf_counter() - start

    def batch_executemany(self, rows: Sequence[RawRow]) -> float:
        params = self._params(rows)
        start = time.perf_counter()
        self.conn.execute("BEGIN")
        self.conn.executemany(self.insert, params)
        self.conn.execute("COMMIT")
        return time.perf_counter() - start

    def close(self) -> None:
        self.conn.close()


# ----------------------------------------------------------------------------- profiling
# (label, path fragment, function name): cumulative time of the matching functions.
POST_PARTS = [
    ("the guard's one statement (PostgresGuard.post)", "ledger/guard.py", "post"),
    ("  of which psycopg's execute (the round trip)", "psycopg/cursor.py", "execute"),
    ("JournalEntry.post (aggregate, event objects)", "ledger/domain.py", "post"),
    ("  of which EntryDraft.body_hash (JSON+sha256)", "ledger/domain.py", "body_hash"),
    ("Application.save (core/process.py: save_tracked)", "core/process.py", "save_tracked"),
    (
        "  mapper.to_stored_event (transcoding, JSON)",
        "eventsourcing/persistence.py",
        "to_stored_event",
    ),
    ("  recorder.insert_events (the write)", "ledger/guard.py", "insert_events"),
    ("json encode (anywhere)", "json/encoder.py", "encode"),
    ("uuid5 (account/entry ids)", "uuid.py", "uuid5"),
]
CATCH_UP_PARTS = [
    ("select_notifications (read the log)", "eventsourcing/", "select_notifications"),
    (
        "mapper.to_domain_event (JSON decode, objects)",
        "eventsourcing/persistence.py",
        "to_domain_event",
    ),
    ("chain_hash (sha256 per event)", "ledger/chain.py", "chain_hash"),
    ("_add_entry (build Entry/Line objects)", "ledger/projections.py", "_add_entry"),
    ("  of which _last_line (one query per account)", "ledger/projections.py", "_last_line"),
    ("flush_rows (bulk_create Account/Entry/Line)", "ledger/projections.py", "flush_rows"),
    ("bulk_create (all, incl. ChainLink)", "django/db/models/query.py", "bulk_create"),
    ("  of which model __init__", "django/db/models/base.py", "__init__"),
    ("QuerySet.update (per-account balances)", "django/db/models/query.py", "update"),
    ("tracking.save", "django/db/models/base.py", "save"),
]


def profile(func: Callable[[], object], parts: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(func)
    wall = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max((v[3] for k, v in raw.items() if k[2] == func.__name__), default=wall)
    shares = []
    for label, path, name in parts:
        cum = sum(v[3] for k, v in raw.items() if path in k[0] and k[2] == name)
        shares.append({"part": label, "seconds": cum, "share": cum / total if total else 0})
    top = sorted(raw.items(), key=lambda kv: kv[1][3], reverse=True)[:25]
    top_rows = [
        {
            "function": f"{Path(k[0]).name}:{k[1]}({k[2]})",
            "calls": v[1],
            "tottime": v[2],
            "cumtime": v[3],
        }
        for k, v in top
    ]
    return {"profiled_seconds": total, "wall_seconds": wall, "parts": shares, "top": top_rows}


def print_profile(title: str, result: dict[str, Any]) -> None:
    print(f"\n{title}: {result['profiled_seconds']:.3f}s under cProfile")
    for part in result["parts"]:
        print(f"  {part['part']:<50} {part['seconds']:8.3f}s {100 * part['share']:5.1f}%")


# ----------------------------------------------------------------------------- the run
def run(args: argparse.Namespace) -> dict[str, Any]:
    store: str = args.store
    var = Path(tempfile.mkdtemp(prefix=f"careledger-bench-{store}-"))
    setup_django(store, var)

    from django.db import connection

    from ledger import queries
    from ledger.services import ledger_app, projection

    app = ledger_app()
    open_accounts(app, ("FUND", "BIG", "BACK"))
    drafts = Drafts(seed=args.seed)
    rows: list[Row] = []
    extra: dict[str, Any] = {"store": store, "var": str(var), "load_start": os.getloadavg()}
    now = datetime.now(UTC).replace(microsecond=0)
    second = timedelta(seconds=1)
    origin = datetime(2020, 1, 1, tzinfo=UTC)
    step = timedelta(seconds=60)
    drafts.clocks.update(FUND=now, BIG=origin, BACK=origin)

    if store == "postgres":
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            extra["server"] = cur.fetchone()[0]
    else:
        extra["server"] = f"SQLite {sqlite3.sqlite_version}"
        with app.recorder.datastore.transaction(commit=False) as cur:  # type: ignore[attr-defined]
            cur.execute("PRAGMA synchronous")
            extra["eventstore_synchronous"] = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
                cur.fetchone()[0]
            ]
            cur.execute("PRAGMA journal_mode")
            extra["eventstore_journal_mode"] = cur.fetchone()[0]

    topic, state = sample_event_row(app, drafts.make(1, "FUND", second, start=now)[0])
    extra["event_bytes"] = len(state)

    # ---- (a) single posts
    log(f"(a) {args.singles} single posts")
    for draft in drafts.make(50, "FUND", second):  # warm-up: connections, statements
        app.post_entry(draft)
    singles = drafts.make(args.singles, "FUND", second)
    latencies = []
    start = time.perf_counter()
    for draft in singles:
        t0 = time.perf_counter()
        app.post_entry(draft)
        latencies.append(time.perf_counter() - t0)
    app_single = args.singles / (time.perf_counter() - start)
    extra["post_entry_ms_p50"] = 1000 * percentile(latencies, 50)
    extra["post_entry_ms_p99"] = 1000 * percentile(latencies, 99)

    if store == "postgres":
        pg = PostgresCeiling(os.environ["DATABASE_URL"])
        pg.singles_autocommit(raw_rows(50, topic, state))
        auto = args.singles / pg.singles_autocommit(raw_rows(args.singles, topic, state))
        explicit = args.singles / pg.singles_explicit(raw_rows(args.singles, topic, state))
        ceiling_single = max(auto, explicit)
        note = f"raw autocommit INSERT {auto:,.0f}/s, BEGIN;INSERT;COMMIT {explicit:,.0f}/s"
    else:
        lite = SQLiteCeiling(var / "raw.sqlite3")
        lite.singles(raw_rows(50, topic, state))
        ceiling_single = args.singles / lite.singles(raw_rows(args.singles, topic, state))
        full = SQLiteCeiling(var / "raw-full.sqlite3", synchronous="FULL")
        full_rate = args.singles / full.singles(raw_rows(args.singles, topic, state))
        full.close()
        extra["raw_single_full_per_s"] = full_rate
        note = (
            f"raw WAL synchronous=NORMAL; with synchronous=FULL (the event store's setting: "
            f"{extra['eventstore_synchronous']}) raw is {full_rate:,.0f}/s"
        )
    rows.append(
        Row(
            f"(a) post_entry, {args.singles:,} singles",
            "entries/s",
            app_single,
            ceiling_single,
            TARGET_RATIO,
            note + f"; post_entry p50 {extra['post_entry_ms_p50']:.2f} ms, "
            f"p99 {extra['post_entry_ms_p99']:.2f} ms",
        )
    )

    # ---- (b) one batch command
    log(f"(b) {args.repeat} x batch of {args.batch}")
    app_batch_times, draft_times = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        batch = drafts.make(args.batch, "FUND", second)
        draft_times.append(time.perf_counter() - t0)
        app_batch_times.append(timed(lambda batch=batch: app.post_entries(batch)))
    raw_times: list[float] = []
    batch_note = ""
    for _ in range(args.repeat):
        rows_b = raw_rows(args.batch, topic, state)
        if store == "postgres":
            copy_s = pg.batch_copy(rows_b)
            many_s = pg.batch_executemany(raw_rows(args.batch, topic, state))
            raw_times.append(min(copy_s, many_s))
            batch_note = f"raw COPY {args.batch / copy_s:,.0f}/s, executemany "
            batch_note += f"{args.batch / many_s:,.0f}/s (last run)"
        else:
            raw_times.append(lite.batch_executemany(rows_b))
            batch_note = "raw executemany in one transaction"
    app_batch = args.batch / statistics.median(app_batch_times)
    ceiling_batch = args.batch / statistics.median(raw_times)
    extra["draft_create_us"] = 1e6 * statistics.median(draft_times) / args.batch
    rows.append(
        Row(
            f"(b) post_entries, one batch of {args.batch:,}",
            "entries/s",
            app_batch,
            ceiling_batch,
            TARGET_RATIO,
            f"median of {args.repeat}; {batch_note}; EntryDraft.create (not timed) "
            f"{extra['draft_create_us']:.0f} us/entry",
        )
    )
    if store == "postgres":
        pg.close()
    else:
        lite.close()

    # ---- catch up what (a) and (b) posted
    log("catch-up of (a)+(b)")
    proj = projection()
    before = proj.position()
    t0 = time.perf_counter()
    after = proj.catch_up()
    ab_rate = (after - before) / (time.perf_counter() - t0)
    extra["catch_up_ab_events"] = after - before

    # ---- (c)/(d) build the big account
    log(f"(c)/(d) building up to {args.entries:,} entries (budget {args.build_budget}s)")
    built = 0
    post_s = catch_s = make_s = 0.0
    events = 0
    build_start = time.perf_counter()
    while built < args.entries:
        n = min(args.build_batch, args.entries - built)
        t0 = time.perf_counter()
        batch = drafts.make(n, "BIG", step)
        t1 = time.perf_counter()
        app.post_entries(batch)
        t2 = time.perf_counter()
        position = proj.catch_up()
        t3 = time.perf_counter()
        make_s, post_s, catch_s = make_s + t1 - t0, post_s + t2 - t1, catch_s + t3 - t2
        events += n
        built += n
        elapsed = time.perf_counter() - build_start
        if built % (10 * args.build_batch) == 0 or built == args.entries:
            log(
                f"  {built:,} entries, {elapsed:.0f}s: post {built / post_s:,.0f}/s, "
                f"catch-up {events / catch_s:,.0f} events/s, position {position:,}"
            )
        if elapsed > args.build_budget and built < args.entries:
            log(f"  build budget reached: stopping at {built:,} entries")
            break
    extra.update(
        build_entries=built,
        build_seconds=time.perf_counter() - build_start,
        build_post_per_s=built / post_s,
        build_draft_s=make_s,
        build_catch_up_s=catch_s,
    )
    end = origin + (built - 1) * step

    account = queries.account_by_code("BIG")
    assert account.leg_count == built, (account.leg_count, built)
    assert queries.balance(account, as_at=end) == account.balance
    assert queries.balance(account, as_at=origin - second) == 0

    log(f"(c) {args.queries} as-at balance queries")
    rng = random.Random(args.seed + 1)
    span = (end - origin).total_seconds()

    def random_instant() -> datetime:
        return origin + timedelta(seconds=rng.uniform(-86_400, span + 86_400))

    for _ in range(50):
        queries.balance(account, as_at=random_instant())
    query_times = []
    for _ in range(args.queries):
        as_at = random_instant()
        t0 = time.perf_counter()
        queries.balance(account, as_at=as_at)
        query_times.append(time.perf_counter() - t0)
    p50 = 1000 * percentile(query_times, 50)
    p99 = 1000 * percentile(query_times, 99)
    size_note = "" if built == args.entries else f"; asked {args.entries:,}, cut by --build-budget"
    rows.append(
        Row(
            f"(c) as-at balance p50, {built:,} entries",
            "ms",
            p50,
            note=f"p99 {p99:.3f} ms, mean {1000 * statistics.mean(query_times):.3f} ms "
            f"over {args.queries:,} random instants{size_note}",
        )
    )
    rows.append(Row("(c) as-at balance p99", "ms", p99))
    extra["as_at_ms_p50"], extra["as_at_ms_p99"] = p50, p99
    rows.append(
        Row(
            f"(d) catch-up, {events:,} events in batches of {args.build_batch:,}",
            "events/s",
            events / catch_s,
            note=f"catch-up of the (a)+(b) log ({extra['catch_up_ab_events']:,} events, "
            f"FUND account): {ab_rate:,.0f} events/s; "
            f"build: post_entries {built / post_s:,.0f} entries/s, total "
            f"{extra['build_seconds']:.0f}s",
        )
    )

    # ---- (e) backdated legs
    if args.backdated:
        log(f"(e) {args.backdated} backdated entries into an account of {args.backdated_base:,}")
        for _ in range(0, args.backdated_base, args.build_batch):
            app.post_entries(drafts.make(args.build_batch, "BACK", step))
        proj.catch_up()
        last = drafts.clocks["BACK"]
        late = [
            drafts.make(1, "BACK", step, start=origin + (last - origin) * rng.random())[0]
            for _ in range(args.backdated)
        ]
        app.post_entries(late)
        before = proj.position()
        t0 = time.perf_counter()
        after = proj.catch_up()
        back_rate = (after - before) / (time.perf_counter() - t0)
        back = queries.account_by_code("BACK")
        assert queries.balance(back, as_at=last) == back.balance
        rows.append(
            Row(
                f"(e) catch-up, {args.backdated} backdated entries",
                "events/s",
                back_rate,
                note=f"random effective times inside an account of {args.backdated_base:,} "
                "lines: each backdated leg rewrites the running balance of every later line",
            )
        )

    # ---- where the time goes
    profiles: dict[str, Any] = {}
    if args.profile_posts:
        log("profiling")
        prof_drafts = drafts.make(args.profile_posts, "FUND", second)

        def posts() -> None:
            for draft in prof_drafts:
                app.post_entry(draft)

        profiles["post_entry"] = profile(posts, POST_PARTS)
        profiles["post_entry"]["count"] = args.profile_posts
        proj.catch_up()
        big = drafts.make(args.batch, "BIG", step)

        def batch_post() -> None:
            app.post_entries(big)

        profiles["post_entries"] = profile(batch_post, POST_PARTS)
        profiles["post_entries"]["count"] = args.batch

        def catch_up() -> None:
            proj.catch_up()

        profiles["catch_up"] = profile(catch_up, CATCH_UP_PARTS)
        profiles["catch_up"]["count"] = args.batch

    extra["load_end"] = os.getloadavg()
    from config.applications import reset_applications

    reset_applications()  # close the event store's pool before the interpreter shuts down
    return {
        "store": store,
        "args": vars(args),
        "rows": [{**row.__dict__, "ratio": row.ratio} for row in rows],
        "extra": extra,
        "profiles": profiles,
    }


def report(result: dict[str, Any]) -> None:
    rows = [Row(**{k: v for k, v in r.items() if k != "ratio"}) for r in result["rows"]]
    print(table(result["store"], rows))
    extra = result["extra"]
    print(f"  server: {extra.get('server')}; stored event {extra['event_bytes']} bytes")
    if "load_start" in extra:
        loads = [f"{x:.2f}" for x in (*extra["load_start"], *extra["load_end"])]
        print(
            f"  load average (1, 5, 15 min) at start {', '.join(loads[:3])}; "
            f"at end {', '.join(loads[3:])}"
        )
    for name, prof in result["profiles"].items():
        print_profile(f"{result['store']} {name} x {prof['count']:,}", prof)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--store", choices=["postgres", "sqlite"])
    parser.add_argument("--singles", type=int, default=2000, help="(a) posts")
    parser.add_argument("--batch", type=int, default=10_000, help="(b) entries per command")
    parser.add_argument("--repeat", type=int, default=3, help="(b) repetitions (median)")
    parser.add_argument("--entries", type=int, default=1_000_000, help="(c) account size")
    parser.add_argument("--build-batch", type=int, default=10_000)
    parser.add_argument(
        "--build-budget", type=float, default=600, help="stop building (c) after this many s"
    )
    parser.add_argument("--queries", type=int, default=2000, help="(c) as-at queries")
    parser.add_argument("--backdated", type=int, default=100, help="(e) backdated entries")
    parser.add_argument("--backdated-base", type=int, default=20_000, help="(e) account size")
    parser.add_argument("--profile-posts", type=int, default=300, help="0: no profiling")
    parser.add_argument("--seed", type=int, default=20251125)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--summary", type=Path, nargs="+", help="print the tables of earlier --json results"
    )
    args = parser.parse_args(argv)

    if args.summary:
        for path in args.summary:
            report(json.loads(path.read_text()))
            print()
        return
    if not args.store:
        parser.error("--store or --summary is required")
    result = run(args)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
