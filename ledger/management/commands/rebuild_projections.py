import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accreditation.projections import RegisterProjection
from accreditation.services import accreditation_app
from budgets.projections import CaseProjection
from budgets.services import budget_app
from ledger.projections import TamperedError
from ledger.services import projection
from marketplace.projections import MarketplaceProjection
from marketplace.services import marketplace_app
from notifications.application import notifications_app
from notifications.projections import NoticeProjection


class Command(BaseCommand):
    help = "Drop every read model and rebuild it from the event stores."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, runner in [
            ("ledger", projection()),
            ("register", RegisterProjection(accreditation_app())),
            ("marketplace", MarketplaceProjection(marketplace_app())),
            ("cases", CaseProjection(budget_app())),
            ("notices", NoticeProjection(notifications_app())),
        ]:
            started = time.perf_counter()
            try:
                position = runner.rebuild()
            except TamperedError as exc:
                raise CommandError(str(exc)) from None
            seconds = time.perf_counter() - started
            self.stdout.write(f"Rebuilt {name} to position {position} in {seconds:.1f}s")
