"""Steps between contexts happen exactly once: a budget's ledger entry survives a process
killed between the two stores, a second runner, and a refusal that must not stop the rest."""

from __future__ import annotations

import os
import signal
from datetime import date
from threading import Thread
from typing import Any

import pytest

from budgets.processes import BudgetEntries, budget_entries
from budgets.services import budget_app
from config.applications import reset_applications
from config.errors import DomainError
from ledger import models
from ledger.domain import JournalEntry, entry_id
from ledger.services import catch_up, ledger_app
from tests.integration.child import run_child, spawn_child
from tests.integration.helpers import ALEX, assessed_person, care_fund_and_grid

pytestmark = pytest.mark.django_db(transaction=True)

REF = "DN-000123"
WEEKLY = 32200


@pytest.fixture
def assessed(council: Any) -> str:
    care_fund_and_grid()
    return assessed_person(REF)


def entries_for(ref: str) -> list[JournalEntry]:
    """Every entry the ledger's store holds for the budget, read from the events themselves."""
    app = ledger_app()
    found, start = [], 0
    while batch := app.recorder.select_notifications(start, 500, inclusive_of_start=False):
        for n in batch:
            event = app.mapper.to_domain_event(n)
            if isinstance(event, JournalEntry.Posted) and event.budget == ref:  # type: ignore[attr-defined]
                found.append(event)
        start = batch[-1].id
    return found


ALLOCATE_THEN_HANG = f"""
import sys, time
from datetime import date
from ledger.application import LedgerApplication
from budgets import services
from config.actor import Actor
from config.roles import Role

def hang(self, *args, **kwargs):
    print("budget saved", flush=True)  # the budget is in its store; the entry is not
    time.sleep(600)

LedgerApplication.post_entries = hang
services.allocate("{REF}", today=date.today(),
    actor=Actor(id="alex", roles=frozenset({{Role.SOCIAL_WORKER}})), weekly={WEEKLY},
    adjustment_reason="", contribution_weekly=0, split={{"council_managed": {WEEKLY}}},
    direct_payment_start=None)
"""


def test_a_process_killed_between_the_budget_and_its_entry_is_healed_once(assessed: str) -> None:
    child = spawn_child(ALLOCATE_THEN_HANG)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "budget saved", child.stderr.read() if child.stderr else ""
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    reset_applications()  # nothing cached from before the kill
    assert budget_app().get_budget(REF).weekly == WEEKLY
    assert entries_for(REF) == []  # the kill left a budget with no money behind it

    # A restarted follower, in a process of its own, posts the entry; a second run, and the
    # follower of this test process, find it done.
    follow = "from budgets.processes import budget_entries\nprint(budget_entries().catch_up())"
    first = int(run_child(follow))
    assert int(run_child(follow)) == first
    reset_applications()
    assert budget_entries().catch_up() == first
    posted = entries_for(REF)
    assert [(e.idempotency_key, e.kind) for e in posted] == [  # type: ignore[attr-defined]
        (f"budget:{REF}:allocation", "allocation")
    ]
    catch_up()
    assert models.Entry.objects.filter(budget=REF).count() == 1
    account = ledger_app().get_account(f"PB:{REF}:AVAILABLE")
    assert account.on_normal_side(account.balance) == WEEKLY * 52


def allocate_in_this_process() -> None:
    budget_app().allocate(
        REF,
        today=date.today(),
        actor=ALEX,
        weekly=WEEKLY,
        adjustment_reason="",
        contribution_weekly=0,
        split={"council_managed": WEEKLY},
        direct_payment_start=None,
    )


def test_the_position_is_recorded_with_the_entry_and_two_runners_post_once(assessed: str) -> None:
    allocate_in_this_process()
    last = budget_app().recorder.max_notification_id()
    runners = [Thread(target=lambda: budget_entries().catch_up()) for _ in range(4)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    assert len(entries_for(REF)) == 1
    # The tracking position sits in the ledger's own store, beside the entry it caused.
    assert ledger_app().recorder.max_tracking_id(BudgetEntries.name) == last  # type: ignore[attr-defined]
    assert ledger_app().get_entry(entry_id(f"budget:{REF}:allocation")).budget == REF


def test_a_refused_step_is_parked_and_the_next_event_still_posts(
    assessed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    allocate_in_this_process()
    real = BudgetEntries.handle

    def refuse_first(self: BudgetEntries, event: Any, tracking: Any) -> bool:
        if type(event).__name__ == "Allocated":
            raise DomainError("the ledger refused it", field="legs")
        return real(self, event, tracking)

    monkeypatch.setattr(BudgetEntries, "handle", refuse_first)
    budget_entries().catch_up()
    parked = models.StepFailure.objects.get()
    assert (parked.manager, parked.event, parked.error) == (
        BudgetEntries.name,
        "PersonalBudget.Allocated",
        "the ledger refused it",
    )
    assert entries_for(REF) == []
    budget_app().revise(
        REF,
        today=date.today(),
        actor=ALEX,
        weekly=WEEKLY + 1000,
        split={"council_managed": WEEKLY + 1000},
        reason="More help at night",
        unspent=None,
    )
    budget_entries().catch_up()
    assert [e.kind for e in entries_for(REF)] == ["adjustment"]  # type: ignore[attr-defined]
    assert models.StepFailure.objects.count() == 1  # parked once, however often it runs


def test_a_parked_step_runs_again_once_its_cause_is_put_right(
    assessed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    allocate_in_this_process()
    real = BudgetEntries.handle

    def refuse(self: BudgetEntries, event: Any, tracking: Any) -> bool:
        if type(event).__name__ == "Allocated":
            raise DomainError("the care fund is not open yet", field="legs")
        return real(self, event, tracking)

    monkeypatch.setattr(BudgetEntries, "handle", refuse)
    budget_entries().catch_up()
    parked = models.StepFailure.objects.get()
    out = StringIO()
    call_command("step_failures", stdout=out)
    assert f"{parked.id}\t{BudgetEntries.name}" in out.getvalue()
    with pytest.raises(CommandError, match="still refused: the care fund is not open yet"):
        call_command("step_failures", "--retry", str(parked.id), "--actor", "farah")
    assert entries_for(REF) == []

    monkeypatch.setattr(BudgetEntries, "handle", real)  # the cause is put right
    for _ in range(2):  # a second retry finds it done
        call_command("step_failures", "--retry", str(parked.id), "--actor", "farah", stdout=out)
    assert [e.kind for e in entries_for(REF)] == ["allocation"]  # type: ignore[attr-defined]
    parked.refresh_from_db()
    assert parked.resolved_by == "farah" and parked.resolved_at is not None
    listed = StringIO()
    call_command("step_failures", stdout=listed)
    assert listed.getvalue().strip() == "No parked steps."


def test_the_entry_a_fresh_follower_posts_carries_the_chain_of_the_request_before_it(
    assessed: str,
) -> None:
    """The budget is allocated in one process, in a request's chain, and the process is killed
    before its entry; a follower started in another process posts the entry, caused by the
    budget's event and in the same chain: the ids travel with the stored events, not in
    memory."""
    child = spawn_child(
        ALLOCATE_THEN_HANG.replace(
            'services.allocate("',
            "from config.correlation import caused_by\n"
            'with caused_by("request:first", correlation="chain-of-the-assessment"):\n'
            '  services.allocate("',
        )
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "budget saved", (
            child.stderr.read() if child.stderr else ""
        )
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    run_child("from budgets.processes import budget_entries\nprint(budget_entries().catch_up())")
    reset_applications()
    [entry] = entries_for(REF)
    budgets = budget_app()
    allocated = [
        n
        for n in budgets.recorder.select_notifications(0, 500, inclusive_of_start=False)
        if n.originator_id == budget_app().get_budget(REF).id
    ]
    [stored] = [budgets.mapper.to_domain_event(n) for n in allocated][:1]
    assert (stored.correlation, stored.causation) == ("chain-of-the-assessment", "request:first")  # type: ignore[attr-defined]
    assert entry.correlation == "chain-of-the-assessment"  # type: ignore[attr-defined]
    assert entry.causation == f"event:{budgets.name}:{allocated[0].id}"  # type: ignore[attr-defined]


def test_a_request_names_its_chain_and_what_it_records_carries_it(
    assessed: str, make_user: Any
) -> None:
    from config.roles import Role
    from tests.integration.helpers import signed_in

    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    made = worker.post(
        f"/api/v1/budgets/people/{REF}/budget",
        {"weekly_pence": WEEKLY, "split": {"council_managed": WEEKLY}},
        content_type="application/json",
        HTTP_X_CORRELATION_ID="case-review-2026-12",
    )
    assert made.status_code == 201, made.content
    assert made["X-Correlation-ID"] == "case-review-2026-12"
    [entry] = entries_for(REF)
    assert entry.correlation == "case-review-2026-12"  # type: ignore[attr-defined]
    assert entry.causation.startswith("event:")  # type: ignore[attr-defined]
    from audit.trace import timeline

    steps = timeline(REF).steps
    allocated = [s for s in steps if s.subject == f"budget {REF}"]
    assert allocated and allocated[-1].correlation == "case-review-2026-12"
    assert allocated[-1].causation.startswith("request:")
    other = worker.get(f"/api/v1/budgets/people/{REF}", HTTP_X_CORRELATION_ID="<bad id>")
    assert other["X-Correlation-ID"].startswith("request:")  # not taken: a new one is made
