"""Input that cannot slip through: ASCII digits only, one record per NHS number, and a body
over the size limit refused as 413 naming the limit, on the API and on the pages alike."""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from budgets.application import BudgetApplication
from budgets.models import CaseRecord
from budgets.people import NhsNumberTakenError, nhs_number
from budgets.services import budget_app, catch_up_cases
from config.errors import NotFound
from config.eventstore import app_env
from config.roles import Role
from ledger import models
from ledger.services import catch_up
from tests.conftest import NOW, draft
from tests.integration.helpers import accredited_provider, signed_in, staff, staff_of
from tests.integration.test_case_forms import REGISTRATION, summary_links
from tests.integration.test_grid_pages import grid_form

pytestmark = pytest.mark.django_db(transaction=True)

NOT_ASCII = ["١٢٣", "１２３.００"]  # Arabic-Indic and fullwidth: int() reads both as 123
PERSON = {
    "council_ref": "DN-000123",
    "name": "Sam Patel",
    "date_of_birth": "1961-05-04",
    "nhs_number": "9434765919",
    "has_capacity": True,
}


def post_json(client: Client, path: str, body: Any, key: str = "") -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


# -- (a) the digits 0-9 only


@pytest.mark.parametrize("amount", NOT_ASCII)
def test_the_api_posts_no_amount_in_other_digits(app: Any, make_user: Any, amount: str) -> None:
    app.post_entry(draft("seed", [("FUND", "debit", 45000), ("PB-1", "credit", 45000)]))
    finance = signed_in(make_user, "fin", Role.FINANCE_OFFICER)
    body = {
        "kind": "opening",  # finance's own kind of entry
        "reason": "opening balance",
        "effective_at": NOW.isoformat(),
        "legs": [
            {"account": "FUND", "side": "debit", "amount": amount},
            {"account": "PB-1", "side": "credit", "amount": amount},
        ],
    }
    response = post_json(finance, "/api/v1/ledger/entries", body, key="odd")
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["errors"][0]["field"] == "legs[0].amount"
    assert "is not an amount of money" in problem["errors"][0]["message"]
    catch_up()
    assert models.Entry.objects.count() == 1  # the seed alone


@pytest.mark.parametrize("number", [*NOT_ASCII, "٩٤٣٤٧٦٥٩١٩", "９４３４７６５９１９"])
def test_the_api_registers_no_nhs_number_in_other_digits(
    council: Any, make_user: Any, number: str
) -> None:
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    response = post_json(worker, "/api/v1/budgets/people", {**PERSON, "nhs_number": number})
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [
        {"field": "nhs_number", "message": "must be 10 digits, like 943 476 5919"}
    ]
    with pytest.raises(NotFound):
        budget_app().get_person("DN-000123")


@pytest.mark.parametrize("points", NOT_ASCII)
def test_the_api_takes_whole_numbers_in_ascii_digits_only(
    council: Any, make_user: Any, points: str
) -> None:
    """pydantic's int already refuses them (it does not use int() on text): kept so."""
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    body = {
        "effective_from": date.today().isoformat(),
        "points": {"substantial": {"high": points}},
        "pence_per_point": points,
        "reason": "Grid",
    }
    response = post_json(manager, "/api/v1/budgets/grid", body)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "points.substantial.high",
        "pence_per_point",
    }
    assert budget_app().grid().versions == []


@pytest.mark.parametrize("text", NOT_ASCII)
def test_the_grid_page_reads_no_figure_in_other_digits(
    worker: Client, make_user: Any, text: str
) -> None:
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    for changes, field in (
        ({"pence_per_point": text}, "pence_per_point"),
        ({"substantial-high": text}, "substantial-high"),
    ):
        response = manager.post("/budgets/grid/change/", {**grid_form(**changes), "simulate": "1"})
        assert response.status_code == 400
        assert summary_links(response.content.decode()) == [field]


@pytest.mark.parametrize("number", [*NOT_ASCII, "٩٤٣ ٤٧٦ ٥٩١٩", "９４３ ４７６ ５９１９"])
def test_the_registration_page_reads_no_nhs_number_in_other_digits(
    worker: Client, number: str
) -> None:
    response = worker.post("/cases/new/", {**REGISTRATION, "nhs_number": number})
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == ["nhs_number"]
    assert "NHS number must be 10 digits, like 943 476 5919" in page
    with pytest.raises(NotFound):
        budget_app().get_person(REGISTRATION["council_ref"])


@pytest.mark.parametrize("day", ["٤", "４"])
def test_a_date_of_birth_in_other_digits_is_not_a_date(worker: Client, day: str) -> None:
    response = worker.post("/cases/new/", {**REGISTRATION, "date_of_birth-day": day})
    assert response.status_code == 400
    assert summary_links(response.content.decode()) == ["date_of_birth"]


# -- (b) one record per NHS number


def test_the_api_refuses_a_second_person_with_an_nhs_number_on_record(
    council: Any, make_user: Any
) -> None:
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert post_json(worker, "/api/v1/budgets/people", PERSON).status_code == 201
    again = {**PERSON, "council_ref": "DN-000456", "name": "S Patel", "nhs_number": "943 476 5919"}
    response = post_json(worker, "/api/v1/budgets/people", again)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Conflict"
    assert problem["errors"] == [
        {
            "field": "nhs_number",
            "message": "943 476 5919 is already recorded for DN-000123: open that record "
            "rather than registering the person again",
        }
    ]
    with pytest.raises(NotFound):
        budget_app().get_person("DN-000456")


def test_the_registration_page_names_the_record_an_nhs_number_is_on(worker: Client) -> None:
    assert worker.post("/cases/new/", REGISTRATION).status_code == 302
    again = {**REGISTRATION, "council_ref": "DN-000901", "nhs_number": "9434765919"}
    response = worker.post("/cases/new/", again)
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == ["nhs_number"]
    assert "NHS number 943 476 5919 is already recorded for DN-000900" in page
    assert 'value="9434765919"' in page  # what was typed is shown again
    with pytest.raises(NotFound):
        budget_app().get_person("DN-000901")


def test_workers_registering_one_nhs_number_at_the_same_moment_make_one_record(
    council: Any,
) -> None:
    """Each worker through their own application and connection, released together: the
    store itself keeps the number unique, so exactly one is registered."""
    budget_app()  # the schema exists
    apps = [BudgetApplication(env=app_env(settings.EVENTSTORE, "budgets")) for _ in range(4)]
    start = threading.Barrier(len(apps))
    outcomes: list[str] = []

    def register(n: int) -> None:
        start.wait()
        try:
            apps[n].register_person(
                today=date.today(),
                actor=staff(f"worker-{n}"),
                **{**PERSON, "council_ref": f"DN-00070{n}", "date_of_birth": date(1961, 5, 4)},
            )
            outcomes.append(f"DN-00070{n}")
        except NhsNumberTakenError as taken:
            outcomes.append(taken.message)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in apps:
        app.close()
    registered = [o for o in outcomes if o.startswith("DN-")]
    assert len(registered) == 1 and len(outcomes) == 4
    refusal = f"943 476 5919 is already recorded for {registered[0]}"
    assert all(o.startswith(refusal) for o in outcomes if o not in registered)
    catch_up_cases()
    assert [case.council_ref for case in CaseRecord.objects.all()] == registered


def test_the_demo_registers_each_nhs_number_once() -> None:
    from demo.budgets import PEOPLE

    numbers = [nhs_number(number) for _, _, _, number, _, _ in PEOPLE]  # each one valid
    assert len(set(numbers)) == len(numbers)


# -- (c) a body over the size limit

LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # 2.5 MB
UPLOAD_LIMIT = settings.UPLOAD_MAX_BODY_SIZE  # 6 MB


def test_the_api_refuses_a_body_over_the_limit_with_413_naming_it(
    council: Any, make_user: Any
) -> None:
    finance = signed_in(make_user, "fin", Role.FINANCE_OFFICER)
    body = {"kind": "opening", "reason": "x" * (LIMIT + 1), "legs": []}
    response = post_json(finance, "/api/v1/ledger/entries", body, key="big")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Content too large",
        "status": 413,
        "detail": "the request body is larger than the limit of 2.5 MB (2,621,440 bytes)",
        "instance": "/api/v1/ledger/entries",
        "max_bytes": 2_621_440,
        "errors": [{"field": "body", "message": "must be at most 2.5 MB (2,621,440 bytes)"}],
    }


def test_an_api_upload_with_form_fields_over_the_limit_gets_413(
    council: Any, make_user: Any
) -> None:
    """Under the upload's own limit in all, but its form fields over Django's: the route reads
    the body itself, and the refusal is the same problem."""
    provider = accredited_provider("1300009")
    priya = staff_of(make_user, "priya", provider)
    response = priya.post(
        f"/api/v1/register/providers/{provider}/evidence",
        {"kind": "x" * (LIMIT + 1), "file": SimpleUploadedFile("c.pdf", b"%PDF-1.4 x")},
    )
    assert response.status_code == 413, response.content
    assert response.json()["max_bytes"] == LIMIT


def test_an_api_upload_over_the_upload_limit_gets_413_naming_it(
    council: Any, make_user: Any
) -> None:
    provider = accredited_provider("1300010")
    priya = staff_of(make_user, "priya", provider)
    huge = SimpleUploadedFile("c.pdf", b"%PDF-1.4 " + b"x" * UPLOAD_LIMIT)
    response = priya.post(
        f"/api/v1/register/providers/{provider}/evidence",
        {"kind": "insurance certificate", "file": huge},
    )
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "the request body is larger than the limit of 6 MB (6,291,456 bytes)"
    )


def too_large_page(response: Any) -> str:
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Bad Request" not in page
    assert '<h1 class="govuk-heading-l">What you sent was too large</h1>' in page
    assert "govuk-frontend.min.css" in page  # the service's own page, in its style
    return page


def test_a_page_form_over_the_limit_gets_a_govuk_page_naming_it(worker: Client) -> None:
    body = urlencode({**REGISTRATION, "name": "x" * (LIMIT + 1)})
    response = worker.post(
        "/cases/new/",
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_REFERER="http://testserver/cases/new/",
    )
    page = too_large_page(response)
    assert "at most <strong>2.5 MB</strong> at once" in page
    assert 'href="http://testserver/cases/new/"' in page  # back to the form
    with pytest.raises(NotFound):
        budget_app().get_person(REGISTRATION["council_ref"])


def test_a_page_upload_over_the_limit_gets_a_govuk_page_naming_it(
    council: Any, make_user: Any
) -> None:
    provider = accredited_provider("1300011")
    priya = staff_of(make_user, "priya", provider)
    huge = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 " + b"x" * UPLOAD_LIMIT)
    response = priya.post(
        "/provider/evidence/",
        {"kind": "insurance certificate", "file": huge},
        HTTP_REFERER="https://evil.example/",
    )
    page = too_large_page(response)
    assert "at most <strong>6 MB</strong> at once" in page
    assert "A document you upload must be smaller than 5 MB" in page
    assert 'href="https://evil.example/"' not in page and 'href="/"' in page
    from accreditation.models import Evidence
    from accreditation.services import catch_up as catch_up_register

    catch_up_register()
    assert not Evidence.objects.filter(provider_id=provider).exists()


def test_a_page_upload_whose_fields_are_over_the_limit_gets_the_page_too(
    council: Any, make_user: Any
) -> None:
    provider = accredited_provider("1300012")
    priya = staff_of(make_user, "priya", provider)
    small = SimpleUploadedFile("c.pdf", b"%PDF-1.4 x")
    response = priya.post("/provider/evidence/", {"kind": "x" * (LIMIT + 1), "file": small})
    assert "at most <strong>2.5 MB</strong> at once" in too_large_page(response)


def test_other_unreadable_requests_get_a_govuk_page_or_a_problem(council: Any) -> None:
    bad_host = Client(HTTP_HOST="evil.example")
    page = bad_host.get("/")
    assert page.status_code == 400
    assert "Sorry, there is a problem with what was sent" in page.content.decode()
    api = bad_host.get("/api/v1/marketplace/tariff")
    assert api.status_code == 400 and api["Content-Type"] == "application/problem+json"
