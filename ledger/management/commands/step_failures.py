from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.tracking import StepFailure
from ledger.management.commands.run_projections import process_managers


class Command(BaseCommand):
    help = (
        "List the cross-context steps a context refused (parked by their process manager), "
        "or run one again once its cause is put right: --retry ID --actor USERNAME."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--retry", type=int, help="the id of a parked step to run again")
        parser.add_argument("--actor", default="", help="who runs it again (recorded)")
        parser.add_argument("--all", action="store_true", help="list resolved steps too")

    def handle(self, *args: Any, retry: int | None, actor: str, all: bool, **options: Any) -> None:  # noqa: A002
        if retry is not None:
            self.retry(retry, actor)
            return
        failures = StepFailure.objects.order_by("parked_at")
        if not all:
            failures = failures.filter(resolved_at=None)
        for f in failures:
            state = (
                f"resolved by {f.resolved_by} {f.resolved_at:%Y-%m-%d %H:%M}"
                if f.resolved_at
                else "open"
            )
            self.stdout.write(
                f"{f.id}\t{f.manager}\tevent {f.position} ({f.event})\t{state}\t{f.error}"
            )
        if not failures:
            self.stdout.write("No parked steps.")

    def retry(self, failure_id: int, actor: str) -> None:
        if not actor:
            raise CommandError("say who runs it again: --actor USERNAME")
        failure = StepFailure.objects.filter(id=failure_id).first()
        if failure is None:
            raise CommandError(f"there is no parked step {failure_id}")
        manager = {m.name: m for m in process_managers()}.get(failure.manager)
        if manager is None:
            raise CommandError(f"no process manager is called {failure.manager}")
        if not manager.retry(failure_id, actor=actor):
            failure.refresh_from_db()
            raise CommandError(f"still refused: {failure.error}")
        self.stdout.write(f"Step {failure_id} went through.")
