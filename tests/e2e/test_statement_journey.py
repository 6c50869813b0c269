"""In Chromium, with axe on every page: a person opens "who has looked at my record" and sees
the worker who read it, downloads their statement, and the standalone verifier accepts the
file the browser saved; anyone can open the page with the council's key."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page

from budgets.services import allocate
from config.roles import Role
from ledger import transparency
from marketplace.models import PersonAccount
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in
from tests.integration.helpers import ALEX, assessed_person, care_fund_and_grid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REF = "DN-000996"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_statement.py"


def test_a_person_sees_who_looked_and_checks_their_statement(
    live_server: Any, page: Page, council: Any, make_user: Any, tmp_path: Path
) -> None:
    care_fund_and_grid()
    assessed_person(REF)
    allocate(
        REF,
        today=date.today(),
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=0,
        split={"council_managed": 32200},
        direct_payment_start=None,
    )
    sam = make_user("sam", Role.PERSON.value, password=PASSWORD)
    PersonAccount.objects.create(user=sam, person=REF)
    worker = Client()
    worker.force_login(make_user("alex", Role.SOCIAL_WORKER.value))
    assert worker.get(f"/api/v1/budgets/people/{REF}").status_code == 200  # a staff read

    sign_in(page, live_server.url, "sam")
    page.get_by_role("link", name="My budget").click()
    page.get_by_role("link", name="Who has looked at my record").click()
    assert "alex" in page.locator("table").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("link", name="My budget").first.click()
    page.get_by_role("link", name="Your statement").click()
    assert "£16,744.00" in page.get_by_test_id("closing").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("link", name="My budget").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a statement you can check").click()
    saved = tmp_path / "statement.json"
    download.value.save_as(saved)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(saved), "--key", transparency.public_key_b64()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"verified: 1 entry of {REF}" in done.stdout
    page.goto(f"{live_server.url}/transparency/")
    assert transparency.public_key_b64() in page.get_by_test_id("public-key").inner_text()
    assert serious_violations(page) == []
