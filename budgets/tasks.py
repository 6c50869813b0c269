"""Thin Celery tasks of the budgets context, run by beat as the system itself."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from budgets.services import budget_app
from config.actor import Actor


@shared_task
def remind_reviews_due() -> int:
    """Daily: remind workers of reviews due within two weeks (each due date once)."""
    return budget_app().remind_reviews(Actor.system(), today=timezone.localdate())
