"""In Chromium, under the Content-Security-Policy every page is sent with: GOV.UK Frontend's
scripts run (the js-enabled class, with its nonce), and the API docs (Swagger UI's own files,
no CDN) draw; the browser reports no refusal."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_and_the_api_docs_work_under_the_policy(live_server: Any, page: Page) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/register/")
    assert "govuk-frontend-supported" in (page.get_attribute("body", "class") or "")
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)
    assert "careledger API" in page.inner_text(".swagger-ui .info")
    assert refused == []
