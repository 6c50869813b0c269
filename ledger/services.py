"""Wires the ledger application to the configured event store, once per process."""

from __future__ import annotations

from config.applications import application
from ledger.application import LedgerApplication
from ledger.projections import LedgerProjection


def ledger_app() -> LedgerApplication:
    return application(LedgerApplication)


def projection() -> LedgerProjection:
    return LedgerProjection(ledger_app())


def catch_up(until: int | None = None) -> int:
    """Bring the read models up to ``until`` (or the end of the log): read your own writes."""
    return projection().catch_up(until)
