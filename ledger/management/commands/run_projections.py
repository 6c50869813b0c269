import time
from typing import Any

from django.core.management.base import BaseCommand

from ledger.services import catch_up


class Command(BaseCommand):
    help = "Keep the ledger's read models up to date (the projections process)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=0.5)

    def handle(self, *args: Any, interval: float, **options: Any) -> None:
        while True:
            catch_up()
            time.sleep(interval)
