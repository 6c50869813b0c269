"""Wires the ledger application to the configured event store, once per process."""

from __future__ import annotations

from datetime import UTC, datetime

from config.actor import Actor
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


def expire_holds(now: datetime | None = None, *, batch_size: int = 200) -> int:
    """Release every pending hold past its expiry by ``now`` (default: now), in batches, as
    the system itself; return how many this run released. The read model says which holds to
    look at; the application decides each once (a hold posted meanwhile is passed over, and
    two runs at once release each hold once)."""
    from ledger import queries

    moment = now or datetime.now(UTC)
    app = ledger_app()
    catch_up()
    released, after = 0, 0
    while found := queries.expiring_holds(moment, after=after, limit=batch_size):
        done = app.expire_holds(Actor.system(), now=moment, holds=[hold for _, hold in found])
        released += sum(r.created for r in done)
        after = found[-1][0]
    catch_up()
    return released
