"""The caseload is searched by name or council reference and paged, the search kept from
page to page and queue to queue; the worker is named as a person."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from budgets.models import CaseRecord
from config.roles import Role
from tests.integration.helpers import signed_in

pytestmark = pytest.mark.django_db


def test_search_by_name_or_reference_paged_and_kept(stores: Any, make_user: Any) -> None:
    stores.new()
    alex = make_user("alex", Role.SOCIAL_WORKER.value)
    alex.first_name, alex.last_name = "Alex", "Morgan"
    alex.save()
    now = timezone.now()
    for n in range(60):
        CaseRecord.objects.create(
            council_ref=f"DN-{n:06d}",
            name=f"Person {n:02d} Wilson",
            worker="alex",
            registered_at=now,
        )
    CaseRecord.objects.create(council_ref="DN-900001", name="Mary Green", registered_at=now)
    worker = signed_in(make_user, "jo", Role.TEAM_MANAGER)

    page = worker.get("/cases/", {"q": "wilson"}).content.decode()
    assert "60 people" in page and "Page 1 of 2" in page
    assert "queue=all&amp;q=wilson&amp;page=2" in page  # the search kept on the next page
    assert "Mary Green" not in page
    assert "Alex Morgan, social worker" in page  # the worker named, not their account
    second = worker.get("/cases/", {"q": "wilson", "page": 2}).content.decode()
    assert "Person 59 Wilson" in second and "Person 00 Wilson" not in second
    by_ref = worker.get("/cases/", {"q": "dn-900001"}).content.decode()
    assert "1 person" in by_ref and "Mary Green" in by_ref
    assert "No one here." in worker.get("/cases/", {"q": "nobody"}).content.decode()
    assert 'href="?queue=mine&amp;q=wilson"' in page  # the queues keep the search too
