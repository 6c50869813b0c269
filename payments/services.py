"""Wires the payments application to the ledger and the council's rail, for tasks and pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from config.actor import Actor
from ledger.domain import Owner
from payments.application import PaymentsApplication, RunReport, payments_app
from payments.calendar import england_and_wales
from payments.rails import Rail, rail_from_settings


def catch_up(until: int | None = None) -> int:
    """Bring the payments read models up to ``until`` (or the end): read your own writes."""
    from payments.projections import PaymentsProjection

    return PaymentsProjection(payments_app()).catch_up(until)


def payments_journal() -> Any:
    """The payments context's own journal in the ledger."""
    from ledger.services import ledger_app

    return ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)


def run_payments(
    run_on: date,
    *,
    actor: Actor | None = None,
    rail: Rail | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 200,
) -> RunReport:
    """Start (or carry on) the day's run on the council's rail and work it to the end. Safe to
    call again after any failure: it pays only what the run has not yet paid."""
    app: PaymentsApplication = payments_app()
    who = actor or Actor.system()
    chosen = rail or rail_from_settings()
    run = app.start_run(who, rail=chosen, run_on=run_on, calendar=england_and_wales())
    return app.work_run(
        who,
        run,
        rail=chosen,
        journal=payments_journal(),
        batch_size=batch_size,
        on_progress=on_progress,
    )
