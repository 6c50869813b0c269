"""Wires the ledger application to the configured event store, once per process."""

from __future__ import annotations

import threading

from django.conf import settings

from ledger.application import LedgerApplication
from ledger.projections import LedgerProjection

_lock = threading.Lock()
_app: LedgerApplication | None = None


def ledger_app() -> LedgerApplication:
    global _app
    with _lock:
        if _app is None:
            _app = LedgerApplication(env=dict(settings.EVENTSTORE))
        return _app


def projection() -> LedgerProjection:
    return LedgerProjection(ledger_app())


def catch_up(until: int | None = None) -> int:
    """Bring the read models up to ``until`` (or the end of the log): read your own writes."""
    return projection().catch_up(until)


def reset_ledger_app() -> None:
    """Forget the application (tests point it at a new event store)."""
    global _app
    with _lock:
        if _app is not None:
            _app.close()
        _app = None
