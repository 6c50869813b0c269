from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ledger.integrity import verify_balances, verify_chain
from ledger.services import catch_up, ledger_app


class Command(BaseCommand):
    help = "Recompute the ledger's hash chain from the stored events and check the balances."

    def handle(self, *args: Any, **options: Any) -> None:
        catch_up()
        verdict = verify_chain(ledger_app())
        if not verdict.ok:
            raise CommandError(f"TAMPERED: {verdict.problem}")
        problems = verify_balances(ledger_app())
        if problems:
            raise CommandError("BALANCES WRONG: " + "; ".join(problems))
        self.stdout.write(f"OK {verdict.count} events, head {verdict.head}")
