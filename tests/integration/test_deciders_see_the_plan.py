"""The team manager and the panel decide on the case page, and see there what they decide on:
the plan as it stands (its budget and each part) and every review, with the reviewer named."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


def page_for(username: str, path: str) -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.content.decode().replace("&#x27;", "'")


def test_the_plan_and_its_reviews_are_on_the_deciders_page(stores: Any, settings: Any) -> None:
    stores.new()
    settings.STRIPE_API_KEY = ""
    call_command("load_demo", stdout=StringIO())
    manager = page_for("teammanager", "/cases/DN-000793/")  # waiting for the team manager
    assert "The plan, to sign off" in manager
    assert 'data-testid="plan-parts"' in manager and "The needs identified" in manager
    assert 'data-testid="review"' not in manager  # not reviewed yet
    panel = page_for("panel", "/cases/DN-000791/")  # with the panel
    assert "The plan, to sign off" in panel and "The panel's decision" in panel
    signed = page_for("teammanager", "/cases/DN-000123/")
    assert "The plan, as signed off" in signed
    assert 'data-testid="review"' in signed  # signed off at the six-week review
    assert "Six-week review" in signed and "by Alex Morgan, social worker" in signed
