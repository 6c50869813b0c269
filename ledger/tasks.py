"""Thin Celery tasks over the ledger."""

from celery import shared_task

from ledger.services import catch_up


@shared_task
def catch_up_projections() -> int:
    return catch_up()
