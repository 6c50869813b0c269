from typing import Any

from django.core.management.base import BaseCommand

from config import demo


class Command(BaseCommand):
    help = "Load the demo council: one user per role and a small ledger. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        demo.load()
        self.stdout.write(f"Demo council loaded; every demo user's password is '{demo.PASSWORD}'.")
