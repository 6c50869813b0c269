"""A real Celery worker (and, when asked, beat) as another process, sharing the test's stores.

Only on PostgreSQL: the worker is another process, so the test's writes must be committed to a
database both can reach.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from config import celery_app

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def celery_process(
    tmp_path: Path, *, beat: bool = False, settings_module: str = "config.settings"
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `celery worker` (with `-B` for beat) on a private broker; stop it afterwards."""
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    results = f"db+sqlite:///{tmp_path / 'results.sqlite3'}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EVENTSTORE_DBNAME": settings.EVENTSTORE["POSTGRES_DBNAME"],
        "EVENTSTORE_SCHEMA": settings.EVENTSTORE["POSTGRES_SCHEMA"],
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": results,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--loglevel=WARNING",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        command += ["--beat", f"--schedule={tmp_path / 'beat-schedule'}"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    old = celery_app.conf.broker_url, celery_app.conf.result_backend
    celery_app.conf.broker_url, celery_app.conf.result_backend = broker, results
    _forget_connections()
    try:
        yield process
    finally:
        celery_app.conf.broker_url, celery_app.conf.result_backend = old
        _forget_connections()
        process.terminate()
        process.wait(timeout=30)


def _forget_connections() -> None:
    """Make the test's Celery app connect afresh: it keeps its broker connections and its
    result backend from first use, so a second worker's broker would never see a task."""
    celery_app._pool = None  # the connection pool (app.close() would also deregister the app)
    celery_app.amqp._producer_pool = None  # the producers built on it
    celery_app._backend_cache = None
    if hasattr(celery_app._local, "backend"):
        del celery_app._local.backend
