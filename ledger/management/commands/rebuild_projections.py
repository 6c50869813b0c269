import time
from typing import Any

from django.core.management.base import BaseCommand

from ledger.services import projection


class Command(BaseCommand):
    help = "Drop the ledger's read models and rebuild them from the event store."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        position = projection().rebuild()
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Rebuilt the ledger read models to position {position} in {seconds:.1f}s"
        )
