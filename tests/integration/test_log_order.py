"""No event is ever skipped, on PostgreSQL, with many writer processes at once.

A follower reads the notification log as ``id > position`` (core/projection.py,
core/process.py). If an id could become visible after a higher one, a follower that had
already read the higher one would pass over it for good. The event store's table lock
(EXCLUSIVE, taken by every append: core/postgres.py) makes appends one at a time, so ids become
visible in the order they were given. This test runs WRITERS real processes posting entries for
DURATION seconds while the projections process follows them, and a reader tails the event
table as a follower would; afterwards every entry is in the read models exactly once, the ledger
verifies, and the read models rebuilt from zero are the same.

With ``POSTGRES_ENABLE_DB_FUNCTIONS=y`` and eventsourcing's own recorder (its insert function
takes no table lock) this test fails: in each 20 s run the tailer saw between 4 and 24 ids
become visible after a higher one. The projections process, which reads far less often, skipped
none in those runs, so the tailer is the finer test; either failing fails the test
(docs/architecture.md, "The order of the log")."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from ledger import models
from ledger.domain import JournalEntry
from ledger.services import catch_up, ledger_app
from tests.integration.child import spawn_child

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 8
DURATION = 20.0  # seconds of posting; the whole test takes about twice that

# Each writer posts between its own two accounts, so the writers never conflict on an
# aggregate (that would only make them retry) and every append races every other at the store.
WRITER = """
import os, time
from pathlib import Path
from ledger.services import ledger_app
from tests.conftest import draft
w, duration = int(os.environ["LOG_WRITER"]), float(os.environ["LOG_SECONDS"])
go = Path(os.environ["LOG_GO"])
app = ledger_app()
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
stop = time.monotonic() + duration
posted = total = 0
while time.monotonic() < stop:
    amount = 100 + posted % 97
    app.post_entry(draft(f"w{w}-{posted}", [(f"BANK-W{w}", "debit", amount),
                                             (f"PB-W{w}", "credit", amount)]))
    posted += 1
    total += amount
print(posted, total, flush=True)
"""

# The projections process, as deployed: every follower, round after round, with no pause.
PROJECTIONS = """
from django.core.management import call_command
print("ready", flush=True)
call_command("run_projections", interval=0.0)
"""

# The reviewer's method: read the table as a follower does (id > the highest seen), as fast as
# possible; at the end, any id at or below the highest seen that was never read appeared late.
TAILER = """
import json, os
from pathlib import Path
import psycopg
from django.conf import settings
from config.eventstore import app_env
from tests.conftest import pg_connect
table = app_env(settings.EVENTSTORE, "ledger")["POSTGRES_SCHEMA"] + ".ledger_events"
stop = Path(os.environ["LOG_STOP"])
seen, highest, reads = set(), 0, 0
with pg_connect() as conn:
    print("ready", flush=True)
    while not stop.exists():
        try:
            rows = conn.execute(
                f"SELECT notification_id FROM {table} WHERE notification_id > %s "
                "ORDER BY notification_id", (highest,)).fetchall()
        except psycopg.errors.UndefinedTable:
            rows = []
        reads += 1
        for (n,) in rows:
            seen.add(n)
        if rows:
            highest = rows[-1][0]
    every = [n for (n,) in conn.execute(
        f"SELECT notification_id FROM {table} WHERE notification_id <= %s", (highest,))]
late = sorted(set(every) - seen)
print(json.dumps({"reads": reads, "seen": len(seen), "late": late}), flush=True)
"""


def started(child: subprocess.Popen[str]) -> subprocess.Popen[str]:
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == "ready", child.communicate()[1]
    return child


def entries_in_the_store() -> dict[Any, tuple[str, int]]:
    """Every entry the event store holds, from its events: id -> (debit account, amount)."""
    app = ledger_app()
    found: dict[Any, tuple[str, int]] = {}
    position = 0
    while batch := app.recorder.select_notifications(position, 2000, inclusive_of_start=False):
        for notification in batch:
            if notification.topic.endswith("JournalEntry.Posted"):
                event = app.mapper.to_domain_event(notification)
                assert isinstance(event, JournalEntry.Posted)  # type: ignore[attr-defined]
                legs = event.legs  # type: ignore[attr-defined]
                assert event.originator_id not in found
                found[event.originator_id] = (legs[0]["account"], legs[0]["amount"])
        position = batch[-1].id
    return found


def read_models() -> dict[str, Any]:
    """What the ledger's read models say, to compare two projections of the same log."""
    return {
        "entries": sorted(
            (str(e.id), e.position, e.idempotency_key, e.amount) for e in models.Entry.objects.all()
        ),
        "lines": sorted(
            (str(e), a, s, m, r)
            for e, a, s, m, r in models.Line.objects.values_list(
                "entry_id", "account__code", "side", "amount", "running_balance"
            )
        ),
        "accounts": sorted(
            models.Account.objects.values_list("code", "balance", "leg_count", "is_closed")
        ),
        "chain": list(
            models.ChainLink.objects.order_by("position").values_list("position", "hash")
        ),
    }


def test_writer_processes_posting_while_the_projections_run_skip_no_event(
    app: Any, tmp_path: Path
) -> None:
    for w in range(WRITERS):
        app.open_account(code=f"BANK-W{w}", name=f"Bank {w}", type="asset", actor="tester")
        app.open_account(code=f"PB-W{w}", name=f"Budget {w}", type="liability", actor="tester")
    go, stop = tmp_path / "go", tmp_path / "stop"
    pool = {"EVENTSTORE_POOL_SIZE": "2"}  # keep eleven processes within max_connections
    projections = started(spawn_child(PROJECTIONS, **pool))
    tailer = started(spawn_child(TAILER, LOG_STOP=str(stop)))
    writers = [
        started(
            spawn_child(
                WRITER, LOG_WRITER=str(w), LOG_SECONDS=str(DURATION), LOG_GO=str(go), **pool
            )
        )
        for w in range(WRITERS)
    ]
    try:
        go.touch()
        wrote: dict[str, tuple[int, int]] = {}  # each writer's debit account: posts, pence
        for w, writer in enumerate(writers):
            out, err = writer.communicate(timeout=DURATION + 60)
            assert writer.returncode == 0, err
            posted, total = map(int, out.split())
            wrote[f"BANK-W{w}"] = (posted, total)
        # The projections process catches up with the last write (its position reaches the
        # end of the log) and is then stopped; the tailer reads once more and reports.
        end = ledger_app().recorder.max_notification_id()
        deadline = time.monotonic() + 60
        while (
            models.ProjectionPosition.objects.filter(name="ledger").first()
            or models.ProjectionPosition(position=0)
        ).position < (end or 0):
            assert projections.poll() is None, projections.communicate()[1]
            assert time.monotonic() < deadline, "the projections process did not catch up"
            time.sleep(0.2)
        stop.touch()
        out, err = tailer.communicate(timeout=60)
        assert tailer.returncode == 0, err
        tailed = json.loads(out)
    finally:
        for child in [projections, tailer, *writers]:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()

    # What the writers say they posted is in the store, and nothing else.
    stored = entries_in_the_store()
    per_account: dict[str, list[int]] = defaultdict(list)
    for _, (account, amount) in stored.items():
        per_account[account].append(amount)
    assert {code: (len(amounts), sum(amounts)) for code, amounts in per_account.items()} == wrote
    assert sum(posted for posted, _ in wrote.values()) > WRITERS * 10, wrote  # a real run

    # Every entry is in the read models, once: its legs counted once on both accounts.
    projected = set(models.Entry.objects.values_list("id", flat=True))
    missing = set(stored) - projected
    assert not missing, f"{len(missing)} of {len(stored)} entries were skipped by the projection"
    assert projected == set(stored)
    accounts = {a.code: a for a in models.Account.objects.all()}
    for w in range(WRITERS):
        posted, total = wrote[f"BANK-W{w}"]
        assert (accounts[f"BANK-W{w}"].leg_count, accounts[f"BANK-W{w}"].balance) == (posted, total)
        assert (accounts[f"PB-W{w}"].leg_count, accounts[f"PB-W{w}"].balance) == (posted, -total)
    assert models.Line.objects.count() == 2 * len(stored)

    # And a follower reading id > position as fast as it can never saw an id appear below one
    # it had read (the projection reads far less often, so this is the finer test).
    assert tailed["late"] == [], (
        f"{len(tailed['late'])} ids became visible after a higher one: {tailed['late'][:10]}"
    )

    call_command("verify_ledger")  # raises CommandError unless the chain and balances are OK
    print(
        f"{len(stored)} entries from {WRITERS} writers in {DURATION:.0f}s; "
        f"the tailer read the table {tailed['reads']} times"
    )

    # A follower started again from zero rebuilds the same read models.
    before = read_models()
    call_command("rebuild_projections", verbosity=0)
    assert catch_up() == end
    assert read_models() == before
