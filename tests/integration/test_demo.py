"""The demo council loads (twice, harmlessly) with a budget at each stage and a sound ledger."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from budgets.models import CaseRecord
from budgets.queries import stage_of as stage
from budgets.services import catch_up_cases

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
        "DN-000792": "Plan written",
        "DN-000793": "Waiting for the team manager",
        "DN-000794": "Assessed: not eligible",
    }
    provider = Client()
    provider.force_login(get_user_model().objects.get(username="provider"))
    page = provider.get("/provider/").content.decode()
    assert 'href="/cases/DN-000790/plan/"' in page
    assert provider.get("/cases/DN-000790/plan/").status_code == 200
    # Not engaged by Ade: refused by the policy, as the API refuses it (nothing of Ade shown)
    assert provider.get("/cases/DN-000789/plan/").status_code == 403

    # The register has an organisation in each state, and Sam's request to the suspended one
    # is flagged to him and to his worker.
    register = Client().get("/register/").content.decode()
    for number, status in [
        ("1012345-support_planning", "Accredited"),
        ("1045678-money_management", "Suspended"),
        ("1056789-support_planning", "Refused"),
        ("1067890-support_planning", "Expired"),
    ]:
        assert f'data-testid="status-{number}">{status}<' in register
    worker = Client()
    worker.force_login(get_user_model().objects.get(username="socialworker"))
    case = worker.get("/cases/DN-000123/").content.decode().replace("&#x27;", "'")
    assert "Mexborough Money Matters's accreditation for money management was suspended" in case

    # Who was told what: the managers ask for the demo's notices (nothing is sent without
    # NOTIFY_API_KEY); Mary is told by letter, Ade (no way recorded) is shown as not told.
    from notifications.models import NoticeRecord
    from notifications.services import catch_up as catch_up_notices
    from notifications.services import notice_steps

    for step in notice_steps():
        step.catch_up()
    catch_up_notices()
    told = {(n.recipient, n.kind): (n.channel, n.status) for n in NoticeRecord.objects.all()}
    assert told[("person:DN-000123", "provider_changed")] == ("email", "waiting")
    assert ("staff:socialworker", "case_provider_changed") in told
    assert any(k[0] == "person:DN-000790" and v[0] == "letter" for k, v in told.items())
    case = worker.get("/cases/DN-000123/").content.decode()
    assert "Your provider&#x27;s accreditation changed" in case
    assert "By email, sam.patel@example.org" in case

    from budgets.services import budget_app

    sam = budget_app().reviews("DN-000123")
    assert [r["kind"] for r in sam.reviews] == ["six-week"]  # signed off at the 6-week review

    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().startswith("OK ")
    head = out.getvalue().split()[-1]
    call_command("rebuild_projections", stdout=StringIO())
    again = StringIO()
    call_command("verify_ledger", stdout=again)
    assert again.getvalue().split()[-1] == head  # the rebuilt chain ends where it did
    assert {case.council_ref: stage(case) for case in CaseRecord.objects.all()} == stages
    rebuilt = {(n.recipient, n.kind): (n.channel, n.status) for n in NoticeRecord.objects.all()}
    assert rebuilt == told

    # One demo user per role, each able to sign in with the documented password.
    from config.roles import Role
    from demo.council import PASSWORD

    for role in Role:
        users = get_user_model().objects.filter(groups__name=role.value)
        assert any(u.check_password(PASSWORD) for u in users), role
