#!/usr/bin/env python
"""careledger against its ceilings and its peers, in one run on one PostgreSQL cluster (issue 9,
point 5). Run it through ``bash bench/run.sh --peers [--quick]``, which starts a throwaway
cluster; by hand::

    bench/peers.py --url postgresql://postgres@127.0.0.1:PORT/careledger [--quick] [--json F]
    bench/peers.py --summary peers.json

Each figure comes from a fresh worker process (bench/protocol.py), and records the load
average at its start and end. In this order, each measure's systems back to back:

(a) single posts: raw autocommit INSERT (the ceiling); eventsourcing alone (an Application
    saving one new aggregate of two events per call, with its insert function off, the
    library's default, and on); django-hordak ``Account.transfer_to``; careledger
    ``post_entry`` (one entry of two legs);
(b) one batch of ``--batch`` (10,000): raw COPY (the ceiling); eventsourcing ``save`` of that
    many aggregates (function on: with it off, the library's pipelined insert hangs on a batch
    this size, see core/postgres.py); hordak ``bulk_create`` of transactions and legs;
    careledger ``post_entries``;
(e) posts per second with 1, 2, 4 and 8 writer processes, started together and each posting
    for ``--seconds`` from a shared fund to its own 20 counterpart accounts: raw autocommit
    INSERT into one table, hordak ``transfer_to``, careledger ``post_entry``;
(f) careledger ``hold`` then ``post_hold`` (all of it), if the ledger has holds;
(c)/(d) as-at p99 and projection catch-up, from bench/ledger.py run on its own database of the
    same cluster (at ``--entries``, 1,000,000 unless ``--quick``).

Every system gets its own database on the cluster: peers_raw, peers_es, peers_hordak,
peers_careledger, peers_ledger (dropped and created afresh). django-hordak runs in its own
virtual environment (``.bench-venvs/hordak``, created on first use from PyPI) and its own small
Django project (bench/hordak_settings.py, bench/hordak_peer.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This file is in bench/, beside bench/ledger.py: keep bench/ off the path so "ledger" is the
# app's package, and import the bench's own modules as bench.*.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from eventsourcing.domain import Aggregate, event  # noqa: E402

from bench.protocol import Run, WorkerError, gang, serve  # noqa: E402

HORDAK_REQUIREMENTS = ["django-hordak==2.0.0", "Django>=5.0,<5.1", "psycopg[binary]>=3.1,<4"]
COUNTERPARTIES = 20
ACTOR = "bench"
DATABASES = ("raw", "es", "hordak", "careledger", "ledger")
# The targets: careledger against raw at the same concurrency, and against hordak.
TARGETS = {"(a)": 0.6, "(b)": 0.3, "(e)": 0.5}
HORDAK_TARGET = 3.0
AS_AT_P99_MS = 5.0
CATCH_UP_EVENTS_PER_S = 5000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def database_url(base: str, name: str) -> str:
    return urlsplit(base)._replace(path=f"/{name}").geturl()


# ============================================================================ workers
# Each runs in its own process of the project's venv: ``peers.py --worker`` (bench/protocol.py).


def careledger_django(spec: Mapping[str, Any]) -> None:
    """Django for careledger on the spec's database, as bench/ledger.py sets it up."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = spec["url"]
    os.environ["CARELEDGER_VAR"] = spec["var"]
    for name in ("EVENTSTORE_SQLITE", "EVENTSTORE_DBNAME", "EVENTSTORE_SCHEMA"):
        os.environ.pop(name, None)
    # Entries take effect from now on, well inside these bounds (bench/ledger.py's too).
    os.environ["LEDGER_OPENING_DATE"] = "2020-01-01"
    os.environ["LEDGER_MAX_DAYS_AHEAD"] = "3650"
    import django

    django.setup()


def counterparts(group: str) -> list[str]:
    return [f"{group}-CP-{k}" for k in range(COUNTERPARTIES)]


def entry_drafts(spec: Mapping[str, Any], group: str, n: int, *, offset: int = 0) -> list[Any]:
    """``n`` entries from FUND to the group's counterparts, with keys unique to this run and
    effective times a millisecond apart from now on."""
    from ledger.domain import EntryDraft

    rng = random.Random(f"{spec['seed']}-{group}-{offset}")
    start = datetime.now(UTC)
    step = timedelta(milliseconds=1)
    cps = counterparts(group)
    drafts = []
    for i in range(offset, offset + n):
        amount = rng.randint(1, 100_000)
        drafts.append(
            EntryDraft.create(
                idempotency_key=f"{spec['run']}-{group}-{i}",
                kind="allocation",
                legs=[
                    {"account": "FUND", "side": "debit", "amount": amount},
                    {"account": cps[i % COUNTERPARTIES], "side": "credit", "amount": amount},
                ],
                effective_at=start + (i - offset) * step,
                actor=ACTOR,
                reason="benchmark",
            )
        )
    return drafts


def has_holds() -> bool:
    import ledger.domain
    from ledger.application import LedgerApplication

    return all(hasattr(LedgerApplication, name) for name in ("hold", "post_hold")) and hasattr(
        ledger.domain, "HoldDraft"
    )


def prepare_careledger_setup(spec: dict[str, Any]) -> Run:
    careledger_django(spec)
    from importlib import metadata

    from django.core.management import call_command
    from django.db import connection

    def run(start: float) -> dict[str, Any]:
        from config.applications import reset_applications
        from ledger.domain import JournalEntry
        from ledger.services import ledger_app

        call_command("migrate", verbosity=0)
        app = ledger_app()
        app.open_account(code="FUND", name="Fund", type="asset", actor=ACTOR)
        for group in spec["groups"]:
            for code in counterparts(group):
                app.open_account(code=code, name=f"Budget {code}", type="liability", actor=ACTOR)
        sample = JournalEntry.post(entry_drafts(spec, "sample", 1)[0]).collect_events()[0]
        stored = app.mapper.to_stored_event(sample)
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            server = cur.fetchone()[0]
        reset_applications()
        return {
            "topic": stored.topic,
            "state": stored.state.hex(),
            "server": server,
            "has_holds": has_holds(),
            "python": sys.version.split()[0],
            "versions": {n: metadata.version(n) for n in ("Django", "eventsourcing", "psycopg")},
        }

    return run


def retry_counter() -> list[int]:
    """Counts the ledger's back-offs (a command clashing with another writer goes again)."""
    import ledger.application as application

    count = [0]
    original = getattr(application, "back_off", None)
    if original is not None:

        def counting(attempt: int) -> None:
            count[0] += 1
            original(attempt)

        application.back_off = counting
    return count


def prepare_careledger_singles(spec: dict[str, Any]) -> Run:
    careledger_django(spec)
    from ledger.services import ledger_app

    app = ledger_app()
    warm = entry_drafts(spec, spec["group"], 50, offset=10**8)
    drafts = entry_drafts(spec, spec["group"], spec["count"])
    for draft in warm:  # connections, statements, the account cache
        app.post_entry(draft)
    retries = retry_counter()

    def run(start: float) -> dict[str, Any]:
        latencies = []
        begin = time.perf_counter()
        for draft in drafts:
            t0 = time.perf_counter()
            app.post_entry(draft)
            latencies.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - begin
        return {
            "count": len(drafts),
            "seconds": seconds,
            "rate": len(drafts) / seconds,
            "p50_ms": 1000 * percentile(latencies, 50),
            "p99_ms": 1000 * percentile(latencies, 99),
            "retries": retries[0],
        }

    return run


def prepare_careledger_batch(spec: dict[str, Any]) -> Run:
    careledger_django(spec)
    from ledger.services import ledger_app

    app = ledger_app()
    app.post_entries(entry_drafts(spec, spec["group"], 50, offset=10**8))

    def run(start: float) -> dict[str, Any]:
        times, build = [], []
        for i in range(spec["repeat"]):
            t0 = time.perf_counter()
            drafts = entry_drafts(spec, spec["group"], spec["count"], offset=i * spec["count"])
            t1 = time.perf_counter()
            app.post_entries(drafts)
            times.append(time.perf_counter() - t1)
            build.append(t1 - t0)
        seconds = statistics.median(times)
        return {
            "count": spec["count"],
            "seconds": seconds,
            "rate": spec["count"] / seconds,
            "all_seconds": times,
            "draft_us": 1e6 * statistics.median(build) / spec["count"],
        }

    return run


def prepare_careledger_writer(spec: dict[str, Any]) -> Run:
    careledger_django(spec)
    from ledger.services import ledger_app

    app = ledger_app()
    for draft in entry_drafts(spec, spec["group"], 20, offset=10**8):
        app.post_entry(draft)
    # Enough drafts for the time at a generous rate; more are made (timed) if they run out.
    made = int(spec["seconds"] * spec.get("drafts_per_s", 1500))
    drafts = entry_drafts(spec, spec["group"], made)
    retries = retry_counter()

    def run(start: float) -> dict[str, Any]:
        deadline = start + spec["seconds"]
        count = errors = extra = 0
        queue = iter(drafts)
        while time.time() < deadline:
            draft = next(queue, None)
            if draft is None:
                more = entry_drafts(spec, spec["group"], 1000, offset=made + extra)
                extra += len(more)
                queue = iter(more)
                continue
            try:
                app.post_entry(draft)
                count += 1
            except Exception as error:  # a writer keeps going; the harness reports the count
                errors += 1
                if errors == 1:
                    print(f"careledger writer {spec['group']}: {error!r}", file=sys.stderr)
        seconds = time.time() - start
        return {
            "count": count,
            "errors": errors,
            "retries": retries[0],
            "seconds": seconds,
            "rate": count / seconds,
            "drafts_made_while_timed": extra,
        }

    return run


def prepare_careledger_holds(spec: dict[str, Any]) -> Run:
    careledger_django(spec)
    from ledger.domain import HoldDraft
    from ledger.services import ledger_app

    app = ledger_app()
    cps = counterparts(spec["group"])
    rng = random.Random(spec["seed"])

    def holds(n: int, tag: str) -> list[Any]:
        expires = datetime.now(UTC) + timedelta(days=1)
        made = []
        for i in range(n):
            amount = rng.randint(1, 100_000)
            made.append(
                HoldDraft.create(
                    idempotency_key=f"{spec['run']}-{tag}-{i}",
                    kind="commitment",
                    legs=[
                        {"account": "FUND", "side": "debit", "amount": amount},
                        {"account": cps[i % COUNTERPARTIES], "side": "credit", "amount": amount},
                    ],
                    expires_at=expires,
                    actor=ACTOR,
                    reason="benchmark",
                )
            )
        return made

    for draft in holds(10, "warm"):
        app.post_hold(hold=app.hold(draft).id, actor=ACTOR)
    drafts = holds(spec["count"], "hold")

    def run(start: float) -> dict[str, Any]:
        hold_s = post_s = 0.0
        pairs = []
        begin = time.perf_counter()
        for draft in drafts:
            t0 = time.perf_counter()
            placed = app.hold(draft)
            t1 = time.perf_counter()
            app.post_hold(hold=placed.id, actor=ACTOR)
            t2 = time.perf_counter()
            hold_s, post_s = hold_s + t1 - t0, post_s + t2 - t1
            pairs.append(t2 - t0)
        seconds = time.perf_counter() - begin
        n = len(drafts)
        return {
            "count": n,
            "seconds": seconds,
            "rate": n / seconds,
            "hold_ms": 1000 * hold_s / n,
            "post_hold_ms": 1000 * post_s / n,
            "p50_ms": 1000 * percentile(pairs, 50),
            "p99_ms": 1000 * percentile(pairs, 99),
        }

    return run


class Transfer(Aggregate):
    """The eventsourcing library alone: an aggregate created and posted, two events."""

    @event("Opened")
    def __init__(self, key: str, legs: list[dict[str, Any]], effective_at: datetime) -> None:
        self.key = key
        self.legs = legs
        self.effective_at = effective_at
        self.posted = False

    @event("Posted")
    def post(self, actor: str, reason: str) -> None:
        self.posted = True


def eventsourcing_app(spec: Mapping[str, Any]) -> Any:
    from eventsourcing.application import Application

    url = urlsplit(spec["url"])
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_SCHEMA": spec["schema"],
        "POSTGRES_ENABLE_DB_FUNCTIONS": spec["functions"],
    }
    return Application(env=env)


def transfers(spec: Mapping[str, Any], n: int, tag: str) -> list[Transfer]:
    rng = random.Random(f"{spec['seed']}-{tag}")
    now = datetime.now(UTC)
    made = []
    for i in range(n):
        amount = rng.randint(1, 100_000)
        transfer = Transfer(
            key=f"{spec['run']}-{tag}-{i}",
            legs=[
                {"account": "FUND", "side": "debit", "amount": amount},
                {"account": f"ES-CP-{i % COUNTERPARTIES}", "side": "credit", "amount": amount},
            ],
            effective_at=now,
        )
        transfer.post(actor=ACTOR, reason="benchmark")
        made.append(transfer)
    return made


def prepare_eventsourcing(spec: dict[str, Any]) -> Run:
    app = eventsourcing_app(spec)
    for transfer in transfers(spec, 50, "warm"):
        app.save(transfer)

    def run(start: float) -> dict[str, Any]:
        if spec["kind"] == "eventsourcing-singles":
            made = transfers(spec, spec["count"], "single")  # not timed, as careledger's drafts
            latencies = []
            begin = time.perf_counter()
            for transfer in made:
                t0 = time.perf_counter()
                app.save(transfer)
                latencies.append(time.perf_counter() - t0)
            seconds = time.perf_counter() - begin
            app.close()
            return {
                "count": len(made),
                "seconds": seconds,
                "rate": len(made) / seconds,
                "p50_ms": 1000 * percentile(latencies, 50),
                "p99_ms": 1000 * percentile(latencies, 99),
            }
        times = []
        for i in range(spec["repeat"]):
            made = transfers(spec, spec["count"], f"batch-{i}")
            t0 = time.perf_counter()
            app.save(*made)
            times.append(time.perf_counter() - t0)
        app.close()
        seconds = statistics.median(times)
        return {
            "count": spec["count"],
            "seconds": seconds,
            "rate": spec["count"] / seconds,
            "all_seconds": times,
        }

    return run


def raw_rows_of(spec: Mapping[str, Any], n: int) -> list[tuple[uuid.UUID, int, str, bytes]]:
    state = bytes.fromhex(spec["state"])
    return [(uuid.uuid4(), 1, spec["topic"], state) for _ in range(n)]


def prepare_raw(spec: dict[str, Any]) -> Run:
    """The ceilings, with bench/ledger.py's PostgresCeiling: rows of a careledger event's bytes."""
    from bench.ledger import PostgresCeiling

    pg = PostgresCeiling(spec["url"])  # its own table, bench_raw
    pg.singles_autocommit(raw_rows_of(spec, 50))

    def run(start: float) -> dict[str, Any]:
        if spec["kind"] == "raw-singles":
            n = spec["count"]
            auto = pg.singles_autocommit(raw_rows_of(spec, n))
            explicit = pg.singles_explicit(raw_rows_of(spec, n))
            pg.close()
            return {"count": n, "seconds": auto, "rate": n / auto, "explicit_rate": n / explicit}
        copies, manys = [], []
        for _ in range(spec["repeat"]):
            copies.append(pg.batch_copy(raw_rows_of(spec, spec["count"])))
            manys.append(pg.batch_executemany(raw_rows_of(spec, spec["count"])))
        pg.close()
        seconds = statistics.median(copies)
        return {
            "count": spec["count"],
            "seconds": seconds,
            "rate": spec["count"] / seconds,
            "executemany_rate": spec["count"] / statistics.median(manys),
            "all_seconds": copies,
        }

    return run


RAW_WRITER_TABLE = "bench_raw_writers"


def prepare_raw_writer(spec: dict[str, Any]) -> Run:
    import psycopg

    conn = psycopg.connect(spec["url"], autocommit=True)
    insert = (
        f"INSERT INTO {RAW_WRITER_TABLE} (originator_id, originator_version, topic, state) "
        "VALUES (%s, %s, %s, %s)"
    )
    state = bytes.fromhex(spec["state"])
    for _ in range(20):
        conn.execute(insert, (uuid.uuid4(), 1, spec["topic"], state), prepare=True)

    def run(start: float) -> dict[str, Any]:
        deadline = start + spec["seconds"]
        count = 0
        while time.time() < deadline:
            conn.execute(insert, (uuid.uuid4(), 1, spec["topic"], state), prepare=True)
            count += 1
        seconds = time.time() - start
        conn.close()
        return {"count": count, "errors": 0, "seconds": seconds, "rate": count / seconds}

    return run


WORKERS = {
    "careledger-setup": prepare_careledger_setup,
    "careledger-singles": prepare_careledger_singles,
    "careledger-batch": prepare_careledger_batch,
    "careledger-writer": prepare_careledger_writer,
    "careledger-holds": prepare_careledger_holds,
    "eventsourcing-singles": prepare_eventsourcing,
    "eventsourcing-batch": prepare_eventsourcing,
    "raw-singles": prepare_raw,
    "raw-batch": prepare_raw,
    "raw-writer": prepare_raw_writer,
}


def prepare_worker(spec: dict[str, Any]) -> Run:
    return WORKERS[spec["kind"]](spec)


# ============================================================================ the harness
def ensure_venv(path: Path, requirements: Sequence[str]) -> Path:
    """A virtual environment with exactly ``requirements`` installed (from PyPI), made once and
    kept while the requirements stay the same."""
    python = path / "bin" / "python"
    marker = path / ".bench-requirements"
    wanted = "\n".join(requirements) + "\n"
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    log(f"creating {path} with {' '.join(requirements)}")
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(path)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements],
        check=True,
    )
    marker.write_text(wanted)
    return python


def recreate_databases(base: str, names: Sequence[str]) -> dict[str, str]:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True) as conn:
        for name in names:
            db = sql.Identifier(f"peers_{name}")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(db))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(db))
    return {name: database_url(base, f"peers_{name}") for name in names}


def execute(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        self.py = [sys.executable, str(Path(__file__).resolve()), "--worker"]
        self.hordak: list[str] = []
        self.results: list[dict[str, Any]] = []
        self.run_id = uuid.uuid4().hex[:8]
        self.var = tempfile.mkdtemp(prefix="careledger-peers-")

    def spec(self, kind: str, url: str, **fields: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "url": url,
            "run": self.run_id,
            "seed": self.args.seed,
            "var": self.var,
            **fields,
        }

    def one(self, cmd: Sequence[str], spec: dict[str, Any]) -> dict[str, Any]:
        return gang(cmd, [spec], env=self.env, cwd=ROOT, run_timeout=self.args.timeout)[0]

    def record(
        self,
        measure: str,
        system: str,
        label: str,
        unit: str,
        result: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
        *,
        writers: int | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """One figure, from ``result`` or from calling it: a worker that fails is recorded as
        failed and the run goes on to the next figure."""
        if callable(result):
            try:
                result = result()
            except (WorkerError, subprocess.CalledProcessError) as error:
                log(f"  {measure} {label} failed: {error}")
                result, note = {}, f"failed: {error}"
        row = {
            "measure": measure,
            "system": system,
            "label": label,
            "unit": unit,
            "value": result.get("rate"),
            "writers": writers,
            "load_start": result.get("load_start"),
            "load_end": result.get("load_end"),
            "note": note,
            "detail": dict(result),
        }
        self.results.append(row)
        value = row["value"]
        shown = f"{value:,.0f} {unit}" if value is not None else note
        log(f"  {measure} {label}: {shown}")
        return row

    def writers(
        self, cmd: Sequence[str], kind: str, url: str, n: int, **fields: Any
    ) -> dict[str, Any]:
        specs = [
            # Keys unique to the level, too: each level's writers post anew.
            self.spec(kind, url, group=f"W{i}", seconds=self.args.seconds, **fields)
            | {"run": f"{self.run_id}-{n}w"}
            for i in range(n)
        ]
        results = gang(
            cmd, specs, env=self.env, cwd=ROOT, run_timeout=self.args.seconds + self.args.timeout
        )
        return {
            "rate": sum(r["rate"] for r in results),
            "count": sum(r["count"] for r in results),
            "errors": sum(r.get("errors", 0) for r in results),
            "retries": sum(r.get("retries", 0) for r in results),
            "seconds": max(r["seconds"] for r in results),
            "load_start": results[0]["load_start"],
            "load_end": max((r["load_end"] for r in results), key=lambda x: x[0]),
            "per_writer": [r["rate"] for r in results],
        }

    def run(self) -> dict[str, Any]:
        args = self.args
        started = datetime.now(UTC)
        load_start = os.getloadavg()
        dbs = recreate_databases(args.url, DATABASES)
        hordak_python = ensure_venv(args.venvs / "hordak", HORDAK_REQUIREMENTS)
        self.hordak = [str(hordak_python), str(HERE / "hordak_peer.py")]
        max_writers = max(args.writers)
        groups = ["A", "B", "H", *[f"W{i}" for i in range(max_writers)]]

        log("setting up careledger and django-hordak (migrate, accounts)")
        setup = self.one(self.py, self.spec("careledger-setup", dbs["careledger"], groups=groups))
        hordak_setup = self.one(self.hordak, self.spec("setup", dbs["hordak"], groups=groups))
        execute(dbs["es"], "CREATE SCHEMA es_off", "CREATE SCHEMA es_on")
        event = {"topic": setup["topic"], "state": setup["state"]}
        cl, hk, raw, es = dbs["careledger"], dbs["hordak"], dbs["raw"], dbs["es"]

        log(f"(a) single posts, {args.singles:,} of each")
        self.record(
            "(a)",
            "raw",
            "raw INSERT, autocommit",
            "rows/s",
            lambda: self.one(self.py, self.spec("raw-singles", raw, count=args.singles, **event)),
        )
        for functions, schema in (("n", "es_off"), ("y", "es_on")):
            state = "on" if functions == "y" else "off"
            self.record(
                "(a)",
                f"eventsourcing-{functions}",
                f"eventsourcing save, insert function {state}",
                "aggregates/s",
                lambda schema=schema, functions=functions: self.one(
                    self.py,
                    self.spec(
                        "eventsourcing-singles",
                        es,
                        count=args.singles,
                        schema=schema,
                        functions=functions,
                    ),
                ),
            )
        self.record(
            "(a)",
            "hordak",
            "django-hordak transfer_to",
            "transactions/s",
            lambda: self.one(self.hordak, self.spec("singles", hk, count=args.singles, group="A")),
        )
        self.record(
            "(a)",
            "careledger",
            "careledger post_entry",
            "entries/s",
            lambda: self.one(
                self.py, self.spec("careledger-singles", cl, count=args.singles, group="A")
            ),
        )

        log(f"(b) one batch of {args.batch:,}, median of {args.repeat}")
        self.record(
            "(b)",
            "raw",
            "raw COPY, one transaction",
            "rows/s",
            lambda: self.one(
                self.py, self.spec("raw-batch", raw, count=args.batch, repeat=args.repeat, **event)
            ),
        )
        self.record(
            "(b)",
            "eventsourcing-y",
            "eventsourcing save(*batch), function on",
            "aggregates/s",
            lambda: self.one(
                self.py,
                self.spec(
                    "eventsourcing-batch",
                    es,
                    count=args.batch,
                    repeat=args.repeat,
                    schema="es_on",
                    functions="y",
                ),
            ),
        )
        self.record(
            "(b)",
            "eventsourcing-n",
            "eventsourcing save(*batch), function off",
            "aggregates/s",
            {},
            note="not measured: with its insert function off (the library's default) "
            "eventsourcing 9.5's pipelined insert hangs on a batch above a few thousand events "
            "(core/postgres.py)",
        )
        self.record(
            "(b)",
            "hordak",
            "django-hordak bulk_create",
            "transactions/s",
            lambda: self.one(
                self.hordak, self.spec("batch", hk, count=args.batch, repeat=args.repeat, group="B")
            ),
        )
        self.record(
            "(b)",
            "careledger",
            "careledger post_entries",
            "entries/s",
            lambda: self.one(
                self.py,
                self.spec("careledger-batch", cl, count=args.batch, repeat=args.repeat, group="B"),
            ),
        )

        for n in args.writers:
            log(f"(e) {n} writer process(es), {args.seconds:g}s each")
            execute(
                raw,
                f"DROP TABLE IF EXISTS {RAW_WRITER_TABLE}",
                f"CREATE TABLE {RAW_WRITER_TABLE} (id bigserial PRIMARY KEY, "
                "originator_id uuid NOT NULL, originator_version integer NOT NULL, "
                "topic text NOT NULL, state bytea NOT NULL)",
            )
            self.record(
                "(e)",
                "raw",
                "raw INSERT, autocommit",
                "rows/s",
                lambda n=n: self.writers(self.py, "raw-writer", raw, n, **event),
                writers=n,
            )
            self.record(
                "(e)",
                "hordak",
                "django-hordak transfer_to",
                "transactions/s",
                lambda n=n: self.writers(self.hordak, "writer", hk, n),
                writers=n,
            )
            self.record(
                "(e)",
                "careledger",
                "careledger post_entry",
                "entries/s",
                lambda n=n: self.writers(self.py, "careledger-writer", cl, n),
                writers=n,
            )

        if setup["has_holds"]:
            log(f"(f) {args.holds:,} holds, each then posted")
            self.record(
                "(f)",
                "careledger",
                "careledger hold + post_hold",
                "pairs/s",
                lambda: self.one(
                    self.py, self.spec("careledger-holds", cl, count=args.holds, group="H")
                ),
            )
        else:
            self.record(
                "(f)",
                "careledger",
                "careledger hold + post_hold",
                "pairs/s",
                {},
                note="not measured: no holds yet",
            )

        ledger_result = None
        if args.skip_cd:
            log("(c)/(d) skipped (--skip-cd)")
        else:
            ledger_result = self.ledger_cd(dbs["ledger"])

        return {
            "started": started.isoformat(),
            "finished": datetime.now(UTC).isoformat(),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "machine": {
                "cpus": os.cpu_count(),
                "load_start": load_start,
                "load_end": os.getloadavg(),
                "server": setup["server"],
                "python": setup["python"],
                "careledger": setup["versions"],
                "hordak": hordak_setup["versions"],
                "hordak_python": hordak_setup["python"],
            },
            "results": self.results,
            "ledger": ledger_result,
        }

    def ledger_cd(self, url: str) -> dict[str, Any] | None:
        """(c) and (d) from bench/ledger.py, on its own database of the same cluster."""
        folder = self.args.json.parent if self.args.json else Path(self.var)
        out = folder / "ledger-postgres.json"
        cmd = [
            sys.executable,
            str(HERE / "ledger.py"),
            "--store",
            "postgres",
            "--json",
            str(out),
            *self.args.ledger_args,
        ]
        log(f"(c)/(d) bench/ledger.py {' '.join(self.args.ledger_args)}")
        env = {**self.env, "DATABASE_URL": url}
        folder.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=sys.stderr)
        except subprocess.CalledProcessError as error:
            for measure, label in (("(c)", "as-at balance p99"), ("(d)", "projection catch-up")):
                self.record(measure, "careledger", label, "", {}, note=f"failed: {error}")
            return None
        result = json.loads(out.read_text())
        rows = {r["measure"].split(",")[0]: r for r in result["rows"]}
        extra = result["extra"]
        built = extra["build_entries"]
        load = {"load_start": extra.get("load_start"), "load_end": extra.get("load_end")}
        p99 = rows["(c) as-at balance p99"]["app"]
        self.record(
            "(c)",
            "careledger",
            f"as-at balance p99, {built:,} entries",
            "ms",
            {"rate": p99, **load},
            note=f"p50 {extra['as_at_ms_p50']:.2f} ms",
        )
        catch = next(r for k, r in rows.items() if k.startswith("(d)"))
        self.record(
            "(d)",
            "careledger",
            f"projection catch-up, {built:,} entries",
            "events/s",
            {"rate": catch["app"], **load},
            note=catch.get("note", ""),
        )
        return result


# ============================================================================ the table
def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def judged(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of the table: each result with its ratios, target and verdict."""
    rows = result["results"]

    def peer(measure: str, system: str, writers: int | None) -> float | None:
        for row in rows:
            if (row["measure"], row["system"], row["writers"]) == (measure, system, writers):
                return row["value"]  # type: ignore[no-any-return]
        return None

    top = max((r["writers"] for r in rows if r["writers"]), default=None)
    out = []
    for row in rows:
        measure, value, writers = row["measure"], row["value"], row["writers"]
        # (f), a hold then its post, is set against (a)'s single raw INSERT.
        against = ("(a)", None) if measure == "(f)" else (measure, writers)
        raw_value = peer(against[0], "raw", against[1])
        hordak_value = peer(measure, "hordak", writers)
        vs_raw = value / raw_value if value is not None and raw_value else None
        vs_hordak = (
            value / hordak_value
            if value is not None and hordak_value and row["system"] == "careledger"
            else None
        )
        if row["system"] == "raw":
            vs_raw = None
        target, met, misses = "", "", []
        if row["system"] == "careledger" and value is not None:
            want = TARGETS.get(measure)
            if want is not None and (measure != "(e)" or writers == top == 8):
                target = f">={want} raw, >={HORDAK_TARGET:g} hordak"
                if vs_raw is not None and vs_raw < want:
                    misses.append(f"{vs_raw:.3f}x raw, {want / vs_raw:.1f}x short of {want}")
                if vs_hordak is not None and vs_hordak < HORDAK_TARGET:
                    misses.append(
                        f"{vs_hordak:.2f}x hordak, {HORDAK_TARGET / vs_hordak:.1f}x short of "
                        f"{HORDAK_TARGET:g}"
                    )
                met = "NO" if misses else "yes"
            elif measure == "(c)":
                target = f"p99 <{AS_AT_P99_MS:g} ms"
                met = "yes" if value < AS_AT_P99_MS else "NO"
                if met == "NO":
                    misses.append(f"{value / AS_AT_P99_MS:.1f}x over")
            elif measure == "(d)":
                target = f">={CATCH_UP_EVENTS_PER_S:,}/s"
                met = "yes" if value >= CATCH_UP_EVENTS_PER_S else "NO"
                if met == "NO":
                    misses.append(f"{CATCH_UP_EVENTS_PER_S / value:.1f}x short")
        out.append(
            {
                **row,
                "vs_raw": vs_raw,
                "vs_hordak": vs_hordak,
                "target": target,
                "met": met,
                "misses": misses,
            }
        )
    return out


def table(result: Mapping[str, Any]) -> str:
    head = (
        f"{'measure':<8} {'system':<42} {'figure':>10} {'unit':<15} {'x raw':>6} "
        f"{'x hordak':>8} {'target':<24} {'met':<4} {'load':>11}"
    )
    lines = [head, "-" * len(head)]
    previous = None
    for row in judged(result):
        key = (row["measure"], row["writers"])
        if previous is not None and key != previous:
            lines.append("")
        previous = key
        measure = row["measure"] + (f" {row['writers']}w" if row["writers"] else "")
        load = ""
        if row["load_start"] and row["load_end"]:
            load = f"{row['load_start'][0]:.2f}/{row['load_end'][0]:.2f}"
        figure = fmt(row["value"]) if row["value"] is not None else "-"
        lines.append(
            f"{measure:<8} {row['label']:<42} {figure:>10} {row['unit']:<15} "
            f"{fmt(row['vs_raw']):>6} {fmt(row['vs_hordak']):>8} {row['target']:<24} "
            f"{row['met']:<4} {load:>11}"
        )
        detail = row["detail"]
        notes = list(row["misses"])
        if row["note"]:
            notes.append(row["note"])
        if "p99_ms" in detail:
            notes.append(f"p50 {detail['p50_ms']:.2f} ms, p99 {detail['p99_ms']:.2f} ms")
        if detail.get("errors"):
            notes.append(f"{detail['errors']} failed")
        if detail.get("retries"):
            notes.append(f"{detail['retries']} retries on a clash")
        if "explicit_rate" in detail:
            notes.append(f"BEGIN;INSERT;COMMIT {detail['explicit_rate']:,.0f}/s")
        if "executemany_rate" in detail:
            notes.append(f"executemany {detail['executemany_rate']:,.0f}/s")
        if "hold_ms" in detail:
            notes.append(
                f"hold {detail['hold_ms']:.2f} ms + post_hold "
                f"{detail['post_hold_ms']:.2f} ms; x raw is against (a)'s raw INSERT"
            )
        if notes and row["measure"] != "(d)":
            lines.append(f"{'':<9}  {'; '.join(notes)}")
        elif row["misses"]:
            lines.append(f"{'':<9}  {'; '.join(row['misses'])}")
    machine = result["machine"]
    lines.append("")
    lines.append(
        "x raw: against raw at the same concurrency ((f) against (a)'s raw INSERT); x hordak: "
        "careledger against django-hordak's same measure; load: the 1-minute load average at "
        "the start/end of the figure"
    )
    lines.append(
        f"{machine['cpus']} CPUs; {machine['server'].split(' on ')[0]}; Python "
        f"{machine['python']}; careledger with "
        + ", ".join(f"{k} {v}" for k, v in machine["careledger"].items())
        + "; hordak venv: "
        + ", ".join(f"{k} {v}" for k, v in machine["hordak"].items())
    )
    start, end = (", ".join(f"{x:.2f}" for x in machine[k]) for k in ("load_start", "load_end"))
    lines.append(
        f"load average (1, 5, 15 min) at start {start}; at end {end}; "
        f"run {result['started']} to {result['finished']}"
    )
    return "\n".join(lines)


# ============================================================================ main
QUICK = {"singles": 300, "batch": 2000, "repeat": 1, "seconds": 3.0, "holds": 100}
FULL = {"singles": 2000, "batch": 10_000, "repeat": 3, "seconds": 20.0, "holds": 1000}
QUICK_LEDGER = [
    "--entries",
    "20000",
    "--build-batch",
    "5000",
    "--build-budget",
    "60",
    "--queries",
    "300",
    "--singles",
    "100",
    "--batch",
    "1000",
    "--repeat",
    "1",
    "--profile-posts",
    "0",
    "--backdated",
    "0",
]
FULL_LEDGER = [
    "--entries",
    "1000000",
    "--build-budget",
    "900",
    "--singles",
    "500",
    "--repeat",
    "1",
    "--backdated",
    "0",
]


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        serve(prepare_worker)
        return
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else "",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("PG_URL"),
        help="a database on the cluster (default: $PG_URL)",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (a few minutes)")
    parser.add_argument("--singles", type=int, help="(a) posts per system (2,000)")
    parser.add_argument("--batch", type=int, help="(b) entries per batch (10,000)")
    parser.add_argument("--repeat", type=int, help="(b) repetitions, median (3)")
    parser.add_argument("--seconds", type=float, help="(e) seconds each writer posts (20)")
    parser.add_argument("--writers", default="1,2,4,8", help="(e) writer processes per level")
    parser.add_argument("--holds", type=int, help="(f) holds, each then posted (1,000)")
    parser.add_argument("--skip-cd", action="store_true", help="do not run bench/ledger.py")
    parser.add_argument(
        "--ledger-args",
        help="arguments for bench/ledger.py's (c)/(d) run, "
        f"in one string (default {' '.join(FULL_LEDGER)!r})",
    )
    parser.add_argument(
        "--venvs",
        type=Path,
        default=ROOT / ".bench-venvs",
        help="where the peers' virtual environments are kept",
    )
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds a worker may take to measure"
    )
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--summary", type=Path, help="print the table of an earlier --json")
    args = parser.parse_args(argv)

    if args.summary:
        print(table(json.loads(args.summary.read_text())))
        return
    if not args.url or not args.url.startswith("postgres"):
        parser.error("--url postgresql://... (or PG_URL) is required: bench/run.sh --peers sets it")
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.writers = [int(n) for n in str(args.writers).split(",")]
    if args.ledger_args is None:
        args.ledger_args = QUICK_LEDGER if args.quick else FULL_LEDGER
    else:
        args.ledger_args = args.ledger_args.split()

    result = Harness(args).run()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str))
        log(f"results in {args.json}")
    print(table(result))


if __name__ == "__main__":
    main()
