"""GOV.UK pages for what goes wrong (404, 405, 500; the API answers problems instead), and the
footer's accessibility statement, privacy notice and cookies page; the phase banner's feedback
link, inside a landmark."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def test_not_found_and_not_allowed_are_gov_uk_pages_and_problems_on_the_api(client: Any) -> None:
    missing = client.get("/no/such/page/")
    body = missing.content.decode()
    assert missing.status_code == 404
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in body
    assert "Content-Security-Policy" in missing
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404 and api["Content-Type"] == "application/problem+json"
    wrong = client.get("/sign-out/")  # a form's address, opened in the browser
    assert wrong.status_code == 405 and wrong["Allow"] == "POST"
    assert "This page cannot be used that way" in wrong.content.decode()


def test_a_server_error_is_the_gov_uk_problem_page(client: Any) -> None:
    from config.urls import server_error

    request = RequestFactory().get("/cases/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    page = server_error(request)
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.content.decode()
    api = server_error(RequestFactory().get("/api/v1/ledger/accounts"))
    assert api.status_code == 500 and api["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accessibility/", "Accessibility statement for careledger"),
        ("/privacy/", "Privacy notice"),
        ("/cookies/", "Cookies"),
    ],
)
def test_the_footer_pages(client: Any, path: str, heading: str) -> None:
    page = client.get(path).content.decode()
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in page
    for link in ("/accessibility/", "/privacy/", "/cookies/"):
        assert f'href="{link}"' in page  # in every page's footer
    assert 'role="region" aria-label="Service phase"' in page and "give your feedback" in page


def test_a_form_without_its_csrf_token_gets_the_gov_uk_page() -> None:
    from django.test import Client

    refused = Client(enforce_csrf_checks=True).post("/sign-in/", {"username": "x"})
    assert refused.status_code == 403
    assert "Your form could not be sent" in refused.content.decode()
