"""Thin Celery tasks over the ledger."""

from celery import shared_task

from ledger.services import catch_up, expire_holds


@shared_task
def catch_up_projections() -> int:
    return catch_up()


@shared_task
def expire_pending_holds() -> int:
    """Release the holds past their expiry (beat runs it every few minutes)."""
    return expire_holds()


@shared_task
def publish_checkpoint() -> int:
    """Beat, hourly: the ledger's tree signed and published (ledger/transparency.py)."""
    from ledger.transparency import publish_checkpoint as publish

    return publish().size
