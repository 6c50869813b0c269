"""Each role lands on its own start page after signing in; a page they were sent to sign in
for wins; a next that leaves the site does not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from config.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    ("role", "lands_on"),
    [
        (Role.PERSON, "/my-budget/"),
        (Role.PROVIDER_STAFF, "/provider/"),
        (Role.SOCIAL_WORKER, "/cases/?queue=mine"),
        (Role.TEAM_MANAGER, "/cases/?queue=sign-off"),
        (Role.PANEL_MEMBER, "/cases/?queue=panel"),
        (Role.FINANCE_OFFICER, "/finance/payments/"),
        (Role.AUDITOR, "/audit/"),
        (Role.REGISTER_ADMIN, "/register/admin/"),
    ],
)
def test_each_role_lands_on_its_start_page(make_user: Any, role: Role, lands_on: str) -> None:
    make_user("someone", role.value)
    answer = Client().post("/sign-in/", {"username": "someone", "password": PASSWORD})
    assert (answer.status_code, answer["Location"]) == (302, lands_on)


def test_the_page_asked_for_wins_and_another_site_does_not(make_user: Any) -> None:
    make_user("alex", Role.SOCIAL_WORKER.value)
    sent = {"username": "alex", "password": PASSWORD}
    asked = Client().post("/sign-in/", {**sent, "next": "/cases/DN-000123/"})
    assert asked["Location"] == "/cases/DN-000123/"
    away = Client().post("/sign-in/", {**sent, "next": "https://evil.example/"})
    assert away["Location"] == "/cases/?queue=mine"
    make_user("nobody")
    assert (
        Client().post("/sign-in/", {"username": "nobody", "password": PASSWORD})["Location"] == "/"
    )
