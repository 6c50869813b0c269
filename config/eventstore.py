"""Chooses the event store to follow the read-model database.

SQLite by default (its own file beside Django's, since two writers on one SQLite
file would block each other); PostgreSQL when DATABASE_URL names PostgreSQL, in
the same database so a deployment has one thing to back up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any


def eventstore_env(database: Mapping[str, Any], var_dir: Path) -> dict[str, str]:
    if "postgresql" in database["ENGINE"]:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            # EVENTSTORE_DBNAME lets a worker in a test share the test's event store.
            "POSTGRES_DBNAME": os.environ.get("EVENTSTORE_DBNAME", str(database["NAME"])),
            "POSTGRES_HOST": str(database.get("HOST") or "127.0.0.1"),
            "POSTGRES_PORT": str(database.get("PORT") or "5432"),
            "POSTGRES_USER": str(database.get("USER") or ""),
            "POSTGRES_PASSWORD": str(database.get("PASSWORD") or ""),
            # Each application's events live in their own schema under this prefix (app_env).
            "POSTGRES_SCHEMA": os.environ.get("EVENTSTORE_SCHEMA", "careledger"),
            # Off: the insert function takes no table lock (so ids can commit out of order and
            # a follower skip one) and it ignores a process manager's tracking position.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            # eventsourcing's pipelined insert hangs on a large batch: see core/postgres.py.
            "APPLICATION_RECORDER_TOPIC": "core.postgres:ApplicationRecorder",
            "PROCESS_RECORDER_TOPIC": "core.postgres:ProcessRecorder",
            # Per context's application, and a process has five of them: each keeps this many
            # connections open and opens up to the overflow more while busy (10 + 20 a context
            # filled PostgreSQL's default 100 connections with two web processes).
            "POSTGRES_POOL_SIZE": os.environ.get("EVENTSTORE_POOL_SIZE", "2"),
            "POSTGRES_MAX_OVERFLOW": os.environ.get("EVENTSTORE_POOL_OVERFLOW", "6"),
        }
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": os.environ.get("EVENTSTORE_SQLITE", str(var_dir / "events.sqlite3")),
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def app_env(base: Mapping[str, str], name: str) -> dict[str, str]:
    """The event store of one context's application.

    On SQLite each application has its own file (the table name is fixed there). On
    PostgreSQL each has its own schema (``<prefix>_<name>``): eventsourcing 9.5 names its
    insert function by id type only, so two applications in one schema would replace each
    other's function and write their events into each other's table.
    """
    env = dict(base)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        path = Path(env["SQLITE_DBNAME"])
        env["SQLITE_DBNAME"] = str(path.with_name(f"{path.stem}-{name}{path.suffix}"))
    else:
        env["POSTGRES_SCHEMA"] = f"{env['POSTGRES_SCHEMA']}_{name}"
    return env


# The key of the advisory lock under which every process creates its event stores (an advisory
# lock is the database's own: one key serves every schema in it). "careldgr" as a bigint.
STARTUP_LOCK = int.from_bytes(b"careldgr", "big")


@contextmanager
def store_created(env: Mapping[str, str]) -> Iterator[None]:
    """Create an application's PostgreSQL schema, and hold the start-up lock while the caller
    constructs the application (eventsourcing creates its tables, indexes, types and function
    on every start).

    Without the lock, processes starting together race in PostgreSQL's catalogue: ``CREATE ...
    IF NOT EXISTS`` is not safe between two transactions that both find nothing yet (duplicate
    keys in pg_type, "relation already exists", two first rows of a new tracking table), and
    the insert function, replaced on every start even when it is off, fails with "tuple
    concurrently updated". Under the lock each process creates what is missing in turn and
    finds the rest (tests/integration/test_startup.py).
    """
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        yield
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        # A process that holds the lock and hangs must not hang every other start for ever.
        conn.execute("SET lock_timeout = '60s'")
        conn.execute("SELECT pg_advisory_lock(%s)", (STARTUP_LOCK,))
        try:
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(env["POSTGRES_SCHEMA"])
                )
            )
            yield
        finally:
            # Closing the connection (just below) releases the lock too, so an unlock that fails
            # on a broken connection must not hide what went wrong before it.
            with suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock(%s)", (STARTUP_LOCK,))
