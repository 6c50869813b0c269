"""Every page, in Chromium with axe at every impact (not only serious ones): the demo council
loaded, each role signed in and every page it can reach followed from its start page, one page
of each kind (a case, an entry, a provider...), at a desktop's width and at a phone's. Each
page names people, never their accounts (the audit timeline apart)."""

from __future__ import annotations

import re
from collections import deque
from io import StringIO
from typing import Any
from urllib.parse import urldefrag, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Not pages: files, the API, the admin, and what would end the session.
SKIP = re.compile(r"\.(pdf|csv|xml|json|txt|mt940)$|^/api/|^/admin/|^/static/|sign-out|/export")
KINDS = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"DN-\d+"), "<ref>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "<day>"),
    (re.compile(r"\d+"), "<n>"),
]
# Pages no link on the demo's pages leads to (reached from a search, a form, a notice).
SEEDS = [
    "/audit/budgets/DN-000123/",
    "/cases/DN-000123/revision/",
    "/cases/DN-000123/contribution/",
    "/my-budget/DN-000123/return/",
    "/find-support/compare/",
    "/no/such/page/",
]
ROLES = [
    "person",
    "provider",
    "socialworker",
    "teammanager",
    "panel",
    "finance",
    "auditor",
    "registeradmin",
]


def kind_of(path: str) -> str:
    """One page of each kind: /cases/DN-000123/ and /cases/DN-000790/ are the same page."""
    for pattern, placeholder in KINDS:
        path = pattern.sub(placeholder, path)
    return path.split("?")[0] + (
        "?" + "&".join(sorted(re.findall(r"(\w+)=", path))) if "?" in path else ""
    )


def violations(page: Page) -> list[str]:
    return [
        f"{v['id']} ({v.get('impact')}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in Axe().run(page).response["violations"]
    ]


# Account names that are no word of English: a page showing one names an account, not a
# person ("alex", not "Alex Morgan, social worker"). The audit timeline keeps them on purpose.
ACCOUNTS = re.compile(r"\b(socialworker|teammanager|registeradmin)\b")


def crawl(page: Page, base: str, checked: set[str], limit: int = 150) -> dict[str, list[str]]:
    """Follow the site's links from the start page; axe each kind of page not checked yet
    (by another role: the same page may differ by role, its kind is checked once)."""
    found: dict[str, list[str]] = {}
    queue, reached = deque(["/", *SEEDS]), set()
    while queue and len(reached) < limit:
        path = queue.popleft()
        if kind_of(path) in reached:
            continue
        reached.add(kind_of(path))
        try:
            reply = page.goto(base + path)
        except PlaywrightError as e:  # a file to download, not a page
            if "Download is starting" in str(e):
                continue
            raise
        if reply is None or "text/html" not in (reply.headers.get("content-type") or ""):
            continue
        if kind_of(path) not in checked:
            checked.add(kind_of(path))
            bad = violations(page)
            shown = ACCOUNTS.findall(page.inner_text("main"))
            if shown and not path.startswith("/audit/"):
                bad.append(f"names accounts, not people: {sorted(set(shown))}")
            if bad:
                found[path] = bad
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            link = urlparse(urldefrag(href)[0])
            if link.netloc != urlparse(base).netloc:
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            download = re.search(r"format=(pdf|csv)|download", link.query)
            if not (SKIP.search(link.path) or download) and kind_of(target) not in reached:
                queue.append(target)
    return found


def sign_in(page: Page, base: str, username: str) -> None:
    from demo.council import PASSWORD

    page.context.clear_cookies()
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def demo(stores: Any, settings: Any) -> None:
    stores.new()
    settings.STRIPE_API_KEY = ""
    call_command("load_demo", stdout=StringIO())
    call_command("run_projections", "--once")


def test_every_page_of_every_role_has_no_violation_of_any_impact(
    live_server: Any, page: Page, demo: None
) -> None:
    base = live_server.url
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    found |= crawl(page, base, seen)  # signed out: the public pages
    for username in ROLES:
        sign_in(page, base, username)
        found |= crawl(page, base, seen)
    assert len(seen) > 40  # the crawl reached the site, not one page
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_at_a_phones_width_each_roles_start_pages_have_no_violation(
    live_server: Any, page: Page, demo: None
) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    base = live_server.url
    found: dict[str, list[str]] = {}
    for username in ["", *ROLES]:
        if username:
            sign_in(page, base, username)
        found |= crawl(page, base, set(), limit=6)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
