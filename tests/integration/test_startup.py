"""Any number of processes may start at once on PostgreSQL: the event stores' schemas, tables,
indexes and types are created under one advisory lock (config/eventstore.py), so eight fresh
processes constructing every context's application on an empty database all come up.

Without the lock this test failed every time (five runs, four or five of the eight processes
in each): "tuple concurrently updated" (eventsourcing replaces its insert function on every
start, even with the function off), duplicate keys in pg_type ("ledger_events",
"stored_event_uuid") and "relation ... already exists" (CREATE ... IF NOT EXISTS is not safe
between two transactions that both find nothing yet), and "Failed to record tracking for
__migration__" (two processes each writing the new tracking table's first row)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import pg_connect
from tests.integration.child import spawn_child

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROCESSES = 8
ROUNDS = 2  # each round on a new, empty schema prefix

START_EVERY_APPLICATION = """
import os, time
from pathlib import Path
go = Path(os.environ["STARTUP_GO"])
print("ready", flush=True)
while not go.exists():  # every process waits here, then all start at once
    time.sleep(0.001)
from accreditation.services import accreditation_app
from budgets.services import budget_app
from ledger.services import ledger_app
from marketplace.services import marketplace_app
from payments.application import payments_app
for start in (ledger_app, budget_app, marketplace_app, accreditation_app, payments_app):
    start()
print("started", flush=True)
"""

CONTEXTS = {"ledger", "budgets", "marketplace", "accreditation", "payments"}


def start_together(settings: Any, stores: Any, tmp_path: Path) -> list[tuple[int, str, str]]:
    """Start PROCESSES children on a schema prefix nothing has used; their exits and output."""
    prefix = "t_" + uuid.uuid4().hex[:16]
    stores.schemas.append(prefix)  # dropped after the test
    settings.EVENTSTORE = {**stores.base, "POSTGRES_SCHEMA": prefix}
    go = tmp_path / f"go-{prefix}"
    children = [
        # Two pooled connections per application: 8 processes x 5 stores x the default 10
        # would pass the test cluster's max_connections (200) before any race is reached.
        spawn_child(START_EVERY_APPLICATION, STARTUP_GO=str(go), EVENTSTORE_POOL_SIZE="2")
        for _ in range(PROCESSES)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.communicate()[1]
        go.touch()
        deadline = time.monotonic() + 60
        results = []
        for child in children:
            out, err = child.communicate(timeout=max(1.0, deadline - time.monotonic()))
            results.append((child.returncode, out, err))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    with pg_connect() as conn:
        made = {
            name
            for (name,) in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "\\_%",)
            )
        }
    assert made == {f"{prefix}_{context}" for context in CONTEXTS}
    return results


def test_eight_processes_starting_at_once_on_an_empty_database_all_come_up(
    settings: Any, stores: Any, tmp_path: Path
) -> None:
    for _ in range(ROUNDS):
        results = start_together(settings, stores, tmp_path)
        failed = [err.strip().splitlines()[-1] for code, _, err in results if code != 0]
        assert failed == [], f"{len(failed)} of {PROCESSES} failed to start: {failed}"
        assert [out.strip() for _, out, _ in results] == ["started"] * PROCESSES
