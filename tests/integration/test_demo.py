"""The demo council loads (twice, harmlessly) with a budget at each stage and a sound ledger."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from budgets.models import CaseRecord
from budgets.services import catch_up_cases
from frontend.case_views import stage

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_has_a_budget_at_each_stage_and_the_planner_can_write_marys_plan(
    stores: Any, settings: Any
) -> None:
    stores.new()
    settings.STRIPE_API_KEY = ""  # no payment accounts: the demo logs and carries on
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())  # safe to run again
    catch_up_cases()
    stages = {case.council_ref: stage(case) for case in CaseRecord.objects.all()}
    assert stages == {
        "DN-000123": "Plan signed off",
        "DN-000789": "Assessed",
        "DN-000790": "Budget allocated",
        "DN-000791": "With the panel",
    }
    provider = Client()
    provider.force_login(get_user_model().objects.get(username="provider"))
    page = provider.get("/provider/").content.decode()
    assert 'href="/cases/DN-000790/plan/"' in page
    assert provider.get("/cases/DN-000790/plan/").status_code == 200
    assert provider.get("/cases/DN-000789/plan/").status_code == 404  # not engaged by Ade

    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().startswith("OK ")
