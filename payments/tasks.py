"""Thin Celery tasks over the payments application, found by config/celery.py's autodiscovery.

Stripe is called only from here (a worker), never from a request thread: a Stripe that hangs
holds a worker for at most its timeout (payments/stripe.py), and the payment is tried again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from django.utils import timezone

from payments.services import run_payments


@shared_task(bind=True, acks_late=True)
def run_due_payments(self: Any, run_on: str | None = None, batch_size: int = 200) -> dict[str, Any]:
    """The day's payment run (beat starts it each morning; finance can start it again). Acked
    only when done, so a worker killed mid-run leaves the task to run again, which carries on
    from what the run's payments record. Its progress is the task's state (done, total)."""
    day = date.fromisoformat(run_on) if run_on else timezone.localdate()

    def progress(done: int, total: int) -> None:
        if self.request.id:
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    report = run_payments(day, on_progress=progress, batch_size=batch_size)
    return {"run": str(report.run), **report.as_dict()}
