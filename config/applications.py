"""One instance per process of each context's eventsourcing Application, on its event store."""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from django.conf import settings
from eventsourcing.application import Application

from config.eventstore import app_env, store_created

A = TypeVar("A", bound=Application[Any])

_lock = threading.Lock()
_apps: dict[type[Any], Any] = {}


def application(cls: type[A]) -> A:
    with _lock:
        if cls not in _apps:
            env = {**app_env(settings.EVENTSTORE, cls.name.lower()), **council_settings()}
            # The schema, then the application's own tables: both under the start-up lock, so
            # any number of processes may start at once.
            with store_created(env):
                _apps[cls] = cls(env=env)
        return _apps[cls]  # type: ignore[no-any-return]


def council_settings() -> dict[str, str]:
    """The council's settings that a context's application reads from its environment."""
    return {
        "LEDGER_OPENING_DATE": settings.LEDGER_OPENING_DATE.isoformat(),
        "LEDGER_MAX_DAYS_AHEAD": str(settings.LEDGER_MAX_DAYS_AHEAD),
        "INVOICE_APPROVALS": str(settings.INVOICE_APPROVALS),
    }


def reset_applications() -> None:
    """Forget every application (tests point them at new event stores)."""
    with _lock:
        for app in _apps.values():
            app.close()
        _apps.clear()
