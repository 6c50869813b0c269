"""Expiry and reminders run by a real Celery worker process, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from accreditation import models
from accreditation.services import accreditation_app
from accreditation.services import catch_up as catch_up_register
from marketplace.models import Notice
from tests.integration.celery_process import celery_process
from tests.integration.helpers import accredited_provider

# The worker is another process: it needs the database to be committed and shared.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(stores: Any, tmp_path: Path) -> Iterator[None]:
    stores.new()
    with celery_process(tmp_path):
        yield


def accredit(number: str, *, on: date, days: int) -> Any:
    pid = accredited_provider(number, on=on, days=days)
    return pid, accreditation_app().accreditation_of(pid, "support_planning").id


def test_a_worker_expires_lapsed_accreditations_and_reminds_the_nearly_lapsed(worker: None) -> None:
    from accreditation.tasks import expire_and_remind_accreditations

    today = date.today()
    _, lapsed = accredit("1500001", on=today - timedelta(days=400), days=365)
    nearly, soon = accredit("1500002", on=today - timedelta(days=300), days=320)  # 20 days left
    _, fine = accredit("1500003", on=today, days=365)
    catch_up_register()
    assert models.ServiceRecord.objects.get(id=lapsed).status == "accredited"

    result = expire_and_remind_accreditations.delay().get(timeout=90)
    assert result == {"checked": 3, "expired": 1, "reminded": 1}
    assert models.ServiceRecord.objects.get(id=lapsed).status == "expired"
    assert models.ServiceRecord.objects.get(id=soon).status == "accredited"
    assert models.ServiceRecord.objects.get(id=fine).status == "accredited"
    reminder = Notice.objects.get(recipient=str(nearly))
    assert "expires in 20 days" in reminder.subject

    again = expire_and_remind_accreditations.delay().get(timeout=90)
    assert again == {"checked": 2, "expired": 0, "reminded": 0}  # each step once
