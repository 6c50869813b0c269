"""Run Python in another OS process that shares the test's event stores (and, on PostgreSQL,
its database): a fresh process, with nothing cached, as after a restart or a deploy."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a process that opens the same event stores as this test."""
    store = settings.EVENTSTORE
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **extra}
    if store["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        env["EVENTSTORE_SQLITE"] = store["SQLITE_DBNAME"]
    else:
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        env["EVENTSTORE_DBNAME"] = store["POSTGRES_DBNAME"]
        env["EVENTSTORE_SCHEMA"] = store["POSTGRES_SCHEMA"]
    return env


PRELUDE = "import django\ndjango.setup()\n"


def run_child(code: str, *, timeout: float = 120, **extra: str) -> str:
    """Run ``code`` (after django.setup()) in a new interpreter; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        env=child_env(**extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"the child process failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def spawn_child(code: str, **extra: str) -> subprocess.Popen[Any]:
    """Start ``code`` in a new interpreter and leave it running (to be killed, say)."""
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        env=child_env(**extra),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
