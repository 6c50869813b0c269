"""Review reminders scheduled by a real Celery beat and run by a real worker, on PostgreSQL."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from budgets.models import CaseRecord
from budgets.plan import REQUIRED_PARTS
from budgets.services import allocate, budget_app, catch_up_cases
from config.roles import Role
from tests.integration.celery_process import celery_process
from tests.integration.helpers import ALEX, assessed_person, care_fund_and_grid, signed_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TODAY = date.today()


def with_plan_written(ref: str, nhs: str, *, on: date) -> None:
    """A person whose first plan was written on `on`: the 6-week review counts from it."""
    assessed_person(ref, nhs)
    app = budget_app()
    weekly = app.indicative(ref, today=TODAY).weekly
    allocate(
        ref,
        today=TODAY,
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=0,
        split={"council_managed": weekly},
        direct_payment_start=None,
    )
    app.write_plan(
        ref,
        parts={k: "written" for k in REQUIRED_PARTS},
        actor=ALEX,
        today=on,
    )


def wait_until(check: Any, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def test_beat_schedules_the_reminder_once_for_a_review_due_within_two_weeks(
    stores: Any, tmp_path: Path, make_user: Any
) -> None:
    stores.new()
    care_fund_and_grid(since_days=60)
    app = budget_app()
    with_plan_written("DN-000801", "9434765919", on=TODAY - timedelta(weeks=5))  # due in a week
    with_plan_written("DN-000802", "4010232137", on=TODAY)  # due in six weeks

    with celery_process(tmp_path, beat=True, settings_module="tests.integration.beat_settings"):
        reminded = wait_until(lambda: app.reviews("DN-000801").reminded_for is not None)
        time.sleep(3)  # beat goes on sending the task every second: each due date once
    assert reminded, "beat and the worker did not remind within 90 seconds"

    soon = app.reviews("DN-000801")
    assert soon.reminded_for == soon.due_on == TODAY + timedelta(weeks=1)
    assert soon.version == 2  # Scheduled, then one ReminderSent however often beat ran
    assert app.reviews("DN-000802").reminded_for is None
    assert app.reviews("DN-000802").version == 1

    catch_up_cases()
    assert CaseRecord.objects.get(council_ref="DN-000801").review_reminded_for == soon.due_on
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    page = worker.get("/cases/?queue=due-soon").content.decode()
    assert 'data-testid="reminded-DN-000801">Reminder sent' in page
    assert "DN-000802" not in page
    home = worker.get("/").content.decode()  # alex assessed both: the reminder is theirs
    assert "Your cases: 1 review due in the next two weeks" in home
