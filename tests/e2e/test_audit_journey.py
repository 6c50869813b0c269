"""In Chromium, with axe on every page: an auditor finds a budget, reads its timeline, follows
its payment back to the assessment, and downloads an export the standalone verifier accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from config.roles import Role
from ledger import transparency
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in
from tests.integration.test_audit_trace import KEY, REF, journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["journey"]
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_statement.py"


def test_an_auditor_traces_a_payment_and_exports_the_entries(
    live_server: Any, page: Page, journey: None, make_user: Any, tmp_path: Path
) -> None:
    make_user("audrey", Role.AUDITOR.value, password=PASSWORD)
    sign_in(page, live_server.url, "audrey")
    page.goto(f"{live_server.url}/audit/")
    assert serious_violations(page) == []
    page.get_by_label("Search").fill(REF)
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("found").get_by_role("link").first.click()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "PersonalBudget.Allocated" in timeline and "Payment.Paid" in timeline
    assert serious_violations(page) == []
    page.get_by_role("link", name=f"payment {KEY}").first.click()
    chain = page.get_by_test_id("chain").inner_text()
    assert chain.index("Payment") < chain.index("Budget allocated") < chain.index("Assessment")
    assert serious_violations(page) == []
    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="JSON lines").click()
    saved = tmp_path / "entries.jsonl"
    download.value.save_as(saved)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(saved), "--key", transparency.public_key_b64()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "verified export:" in done.stdout, done.stderr
    lines = saved.read_text().splitlines()
    saved.write_text("\n".join(lines[:-1]) + "\n")  # an entry left out
    dropped = subprocess.run(
        [sys.executable, str(SCRIPT), str(saved), "--key", transparency.public_key_b64()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dropped.returncode == 1 and "not signed" in dropped.stderr
