"""A person found not eligible is given a written decision (Care Act 2014 s.13(4)): on the
case page and on My budget, with the assessment's reasons and what they can do next, and told
of it through GOV.UK Notify. Someone else's reference is not found; an eligible person has no
such letter."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from budgets.services import budget_app
from config.roles import Role
from notifications.application import notifications_app
from notifications.models import NoticeRecord
from notifications.services import catch_up, notice_steps
from tests.integration.helpers import ALEX, assessed_person, person, signed_in
from tests.unit.test_people import PERSON, SAM_OUTCOMES

pytestmark = pytest.mark.django_db(transaction=True)
REF = "DN-000555"


def test_a_written_decision_for_needs_not_eligible(council: Any, make_user: Any) -> None:
    app = budget_app()
    app.register_person(
        today=date.today(), actor=ALEX, **{**PERSON, "council_ref": REF, "nhs_number": "4010232137"}
    )
    app.record_assessment(
        REF,
        today=date.today(),
        actor=ALEX,
        own_words={"day_in_my_life": "I manage most days."},
        outcomes=SAM_OUTCOMES,
        arises_from_impairment=True,
        significant_impact=False,
    )
    notifications_app().state_contact(ALEX, person=REF, preferred="email", email="p@example.org")
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    case = worker.get(f"/cases/{REF}/").content.decode()
    assert 'data-testid="not-eligible"' in case and f"/cases/{REF}/decision/" in case
    letter = worker.get(f"/cases/{REF}/decision/").content.decode()
    assert "do not meet the eligibility criteria" in letter
    assert "There is not a significant impact on their wellbeing." in letter
    assert "ask for a new assessment at any time" in letter

    own = person(make_user, "lee", REF)
    assert "Read your written decision" in own.get("/my-budget/").content.decode()
    assert own.get(f"/my-budget/{REF}/decision/").status_code == 200
    other = person(make_user, "ade", "DN-000556")
    assert other.get(f"/my-budget/{REF}/decision/").status_code == 404

    for step in notice_steps():
        step.catch_up()
    catch_up()
    [told] = NoticeRecord.objects.filter(kind="eligibility_decision")
    assert (told.recipient, told.channel, told.status) == (f"person:{REF}", "email", "waiting")
    # The decision itself travels in the notice (a letter, for someone without email).
    written = notifications_app().notice(told.id).personalisation
    assert "* There is not a significant impact on their wellbeing." in written["reasons"]
    assert "ask for a new assessment at any time" in written["next_steps"]

    eligible = assessed_person("DN-000557", nhs="4857773457")
    assert worker.get(f"/cases/{eligible}/decision/").status_code == 404
    assert 'data-testid="not-eligible"' not in worker.get(f"/cases/{eligible}/").content.decode()
