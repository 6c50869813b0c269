from typing import Any

from django.core.management.base import BaseCommand

from demo import council


class Command(BaseCommand):
    help = "Load the demo council: one user per role and a small ledger. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        council.load()
        password = council.PASSWORD
        self.stdout.write(f"Demo council loaded; every demo user's password is '{password}'.")
