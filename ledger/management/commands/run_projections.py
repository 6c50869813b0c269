import logging
import time
from typing import Any

from django.core.management.base import BaseCommand

from accreditation.projections import RegisterProjection
from accreditation.services import accreditation_app
from budgets.processes import budget_entries
from budgets.projections import CaseProjection
from budgets.services import budget_app
from core.process import ProcessManager
from ledger.services import projection
from marketplace.projections import MarketplaceProjection
from marketplace.services import marketplace_app
from notifications.application import notifications_app
from notifications.projections import NoticeProjection
from notifications.services import notice_steps
from payments.application import payments_app
from payments.processes import (
    budget_changes,
    engagement_commitments,
    plan_fee_postings,
    review_fee_postings,
)
from payments.projections import PaymentsProjection

log = logging.getLogger(__name__)


def process_managers() -> list[ProcessManager]:
    """Every step from one context into another (each with its own tracked position)."""
    return [
        budget_entries(),
        engagement_commitments(),
        plan_fee_postings(),
        review_fee_postings(),
        budget_changes(),
        *notice_steps(),
    ]


class Command(BaseCommand):
    help = (
        "The projections process: keep every read model up to date and run the process "
        "managers that carry a step from one context to another. Any number may run at once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=0.5)
        parser.add_argument("--once", action="store_true", help="catch up once, then stop")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        while True:
            # Built each round: a projection may cache between its batches, and another
            # runner may have moved the read models since. The process managers first: what
            # they post, the projections then show.
            followers: list[Any] = [
                *process_managers(),
                projection(),
                RegisterProjection(accreditation_app()),
                MarketplaceProjection(marketplace_app()),
                CaseProjection(budget_app()),
                PaymentsProjection(payments_app()),
                NoticeProjection(notifications_app()),
            ]
            for follower in followers:
                try:
                    follower.catch_up()
                except Exception:
                    if once:
                        raise
                    # A database that went away, say: try again on the next round.
                    log.exception("%s: will try again", type(follower).__name__)
            if once:
                return
            time.sleep(interval)
