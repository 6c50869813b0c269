"""Notices through GOV.UK Notify, with the local Notify server as its own process
(devtools/notify_server) and its delivery receipts posted to this session's live server.

Each notice the issue names is asked for by a real event in its context (a request made,
accepted, declined; a service suspended; a review coming up; a direct payment paid; a surplus
noticed; a payment failed), sent once, recorded with Notify's id, shown on the case, and its
status moved by Notify's callback. Notify answering 503, or keeping a message and losing its
answer, is tried again and never sends twice; the managers run again from zero tell nobody
twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from accreditation.domain import Service, accreditation_id
from accreditation.services import accreditation_app
from budgets.review import Reviews
from budgets.services import budget_app
from config.roles import Role
from marketplace.services import marketplace_app
from notifications.application import notifications_app
from notifications.domain import Status
from notifications.models import NoticeRecord
from notifications.services import catch_up, notice_steps
from notifications.tasks import send_waiting_notices
from payments.application import payments_app
from payments.runs import Destination, Payment
from payments.surplus import Surplus, SurplusPolicy
from tests.integration.conftest import NOTIFY_CALLBACK, NOTIFY_CALLBACK_TOKEN, NOTIFY_KEY
from tests.integration.helpers import (
    ALEX,
    REGISTRAR,
    accredited_provider,
    assessed_person,
    person_actor,
    provider_staff,
)

pytestmark = pytest.mark.django_db(transaction=True)
REF = "DN-000123"
TODAY = date.today()


def run_steps() -> None:
    for step in notice_steps():
        step.catch_up()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def records(**filters: Any) -> list[NoticeRecord]:
    catch_up()
    return list(NoticeRecord.objects.filter(**filters).order_by("requested_at", "kind"))


@pytest.fixture
def people(council: Any, make_user: Any) -> dict[str, Any]:
    """Sam (told by email), the worker Alex and finance's Lee, each with an address."""
    from tests.integration.helpers import care_fund_and_grid

    care_fund_and_grid()
    alex = make_user("alex", Role.SOCIAL_WORKER.value)
    alex.first_name, alex.last_name, alex.email = "Alex", "Morgan", "alex@council.example"
    alex.save()
    lee = make_user("l.brown", Role.FINANCE_OFFICER.value)
    lee.first_name, lee.last_name, lee.email = "Lee", "Brown", "lee@council.example"
    lee.save()
    assessed_person(REF)
    notifications_app().state_contact(
        ALEX, person=REF, preferred="email", email="sam@example.org", phone="", address=""
    )
    return {"alex": alex, "lee": lee}


def a_payment(n: int, *, run: Any) -> Payment:
    """Sam's direct payment for period ``n``: £1,200.00 less £160.00 of contribution."""
    return Payment(
        key=f"payments:dp:{REF}:P{n:02d}",
        budget=REF,
        kind="period",
        rail="bacs",
        destination=Destination(name="Sam"),
        gross=120000,
        netted=16000,
        pay_on=TODAY,
        period_start=TODAY,
        period_end=TODAY + timedelta(days=27),
        label=f"Direct payment, period {n}",
        reason="4 weeks",
        run=run,
    )


def sent_bodies(notify_server: Any) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for message in notify_server.messages():
        found.setdefault(message["kind"], []).append(message)
    return found


def test_every_notice_is_sent_once_recorded_shown_and_its_receipt_recorded(
    people: Any, notify_server: Any, make_user: Any
) -> None:
    market = marketplace_app()
    planner = accredited_provider("1100001", name="Connect Doncaster")
    other = accredited_provider("1100002", service="money_management", name="Aspire Support")
    engagement = market.choose(
        actor=person_actor(REF),
        person=REF,
        provider=planner,
        service="support_planning",
        today=TODAY,
        key="sam-planner",
    )
    market.accept(engagement, actor=provider_staff(planner), today=TODAY)
    declined = market.choose(
        actor=person_actor(REF),
        person=REF,
        provider=other,
        service="money_management",
        today=TODAY,
        key="sam-money",
    )
    market.decline(declined, actor=provider_staff(other), reason="We are full until March")
    accreditation_app().suspend(
        accreditation_id(planner, Service.SUPPORT_PLANNING),
        actor=REGISTRAR,
        reason="Safeguarding concern under investigation",
        today=TODAY,
    )
    reviews = Reviews(council_ref=REF, plan_started=TODAY - timedelta(weeks=5))
    assert reviews.remind(today=TODAY)
    budget_app().save(reviews)
    payments = payments_app()
    paid = a_payment(1, run=engagement)
    entry = engagement  # any id: the ledger's own steps are tested elsewhere
    paid.record_posted(entry)
    paid.record_sent("BACS-1")
    paid.record_paid(entry, datetime.now(UTC))
    failed = a_payment(2, run=engagement)
    failed.record_failure("the payee's bank account is closed", retryable=False)
    surplus = Surplus(
        budget=REF,
        on=TODAY,
        balance=300000,
        amount=72000,
        lines=["Held: £3,000.00"],
        policy=SurplusPolicy(),
        actor="l.brown",
    )
    surplus.notice(actor="l.brown")
    payments.save(paid, failed, surplus)

    run_steps()
    kinds = [(n.kind, n.recipient, n.status) for n in records()]
    waiting = Status.WAITING.value
    assert sorted(kinds) == sorted(
        [
            ("request_received", f"provider:{planner}", waiting),
            ("request_received", f"provider:{other}", waiting),
            ("request_accepted", f"person:{REF}", waiting),
            ("request_declined", f"person:{REF}", waiting),
            ("provider_changed", f"person:{REF}", waiting),
            ("case_provider_changed", "staff:alex", waiting),
            ("review_due", f"person:{REF}", waiting),
            ("review_reminder", "staff:alex", waiting),
            ("remittance", f"person:{REF}", waiting),
            ("payment_failed", "staff:l.brown", waiting),
            ("surplus_notice", f"person:{REF}", waiting),
        ]
    )
    assert notify_server.messages() == []  # asked for, recorded, not yet sent

    assert send_waiting_notices() == 11
    sent = sent_bodies(notify_server)
    assert sum(len(v) for v in sent.values()) == 11
    assert "We are full until March" in sent["request_declined"][0]["body"]
    assert "Safeguarding concern" in sent["provider_changed"][0]["body"]
    assert sent["case_provider_changed"][0]["email_address"] == "alex@council.example"
    assert "£1,040.00" in sent["remittance"][0]["body"]  # £1,200.00 less £160.00
    assert "the payee's bank account is closed" in sent["payment_failed"][0]["body"]
    assert sent["payment_failed"][0]["email_address"] == "lee@council.example"
    assert sent["request_received"][0]["email_address"] == "hello@connect-doncaster.org.uk"
    # Each message carries its notice's id as the reference, and the notice Notify's id.
    by_reference = {m["reference"]: m for m in notify_server.messages()}
    for record in records():
        assert by_reference[str(record.id)]["id"] == record.notify_id

    # Notify's receipts reach the live server: every notice delivered.
    wait_for(lambda: all(n.status == Status.DELIVERED.value for n in records()), "every receipt")
    # Sent once: the sweep again, and every manager run again from zero, send nothing more.
    assert send_waiting_notices() == 0
    # Every step taken again from the first event (a follower started from zero): the notices
    # are keyed by their events, so nothing new is asked for.
    for step in notice_steps():
        for notification in step.upstream.recorder.select_notifications(start=1, limit=10_000):
            step.handle(step.upstream.mapper.to_domain_event(notification), None)
    assert len(records()) == 11 and send_waiting_notices() == 0
    assert len(notify_server.messages()) == 11

    # Shown on the case: what, to whom, how and where it stands.
    worker = Client()
    worker.force_login(people["alex"])
    page = worker.get(f"/cases/{REF}/").content.decode()
    assert "Direct payment paid" in page and "Delivered" in page
    api = worker.get(f"/api/v1/notifications/cases/{REF}").json()
    assert {n["kind"] for n in api} >= {"remittance", "request_declined"}
    assert all(n["notify_id"] and n["status"] == "delivered" for n in api)


def test_notify_down_or_its_answer_lost_is_tried_again_and_sends_once(
    people: Any, notify_server: Any
) -> None:
    planner = accredited_provider("1100003", name="Connect Doncaster")
    requested(REF, planner, key="sam-planner")
    [notice] = records()
    app = notifications_app()
    from notifications.notify import NotifyGateway

    gateway = NotifyGateway.from_settings()
    now = datetime.now(UTC)
    # Down twice (503), then up: two failures recorded, each due again later, one message.
    notify_server.call("/_local/faults", {"fail": 2, "status": 503})
    assert app.send(notice.id, gateway, now=now).status is Status.WAITING
    assert app.send(notice.id, gateway, now=now).status is Status.WAITING  # not due yet
    assert app.send(notice.id, gateway, now=now + timedelta(minutes=1)).status is Status.WAITING
    assert notify_server.messages() == []
    later = now + timedelta(minutes=5)
    assert app.send(notice.id, gateway, now=later).status is Status.SENT
    assert len(notify_server.messages()) == 1
    assert app.notice(notice.id).attempts == 3

    # Kept by Notify with its answer lost (500), then Notify's receipt: it names the notice by
    # its reference, so the notice takes Notify's id from it, and nothing is sent again.
    requested("DN-000124", planner, key="another")
    second = next(n for n in records() if n.id != notice.id)
    notify_server.call("/_local/faults", {"fail": 1, "status": 500, "after_send": True})
    assert app.send(second.id, gateway, now=now).status is Status.WAITING
    assert len(notify_server.messages()) == 2  # Notify has it, careledger did not hear
    [kept] = [m for m in notify_server.messages() if m["reference"] == str(second.id)]
    wait_for(lambda: app.notice(second.id).status is Status.DELIVERED, "the receipt adopted")
    assert app.notice(second.id).notify_id == kept["id"]
    assert app.send(second.id, gateway, now=later).status is Status.DELIVERED  # not due
    assert len(notify_server.messages()) == 2


def requested(ref: str, planner: Any, *, key: str = "") -> Any:
    """The person asked the planner for support planning, and the notice steps ran."""
    engagement = marketplace_app().choose(
        actor=person_actor(ref),
        person=ref,
        provider=planner,
        service="support_planning",
        today=TODAY,
        key=key or f"k-{ref}",
    )
    run_steps()
    return engagement


def accepted(ref: str, planner: Any) -> None:
    """... and the planner accepted, and the notice steps ran again."""
    engagement = requested(ref, planner)
    marketplace_app().accept(engagement, actor=provider_staff(planner), today=TODAY)
    run_steps()


def lettered(ref: str, planner: Any) -> NoticeRecord:
    """Someone told by letter, whose request was accepted: the letter notice (letters get no
    receipts from Notify, so nothing moves the notice but careledger's own steps)."""
    assessed_person(ref, nhs="4505577104")
    notifications_app().state_contact(
        ALEX, person=ref, preferred="letter", address="Flat 2\n10 High Street\nDoncaster\nDN1 1AA"
    )
    accepted(ref, planner)
    return next(n for n in records() if n.channel == "letter")


def test_an_answer_lost_with_no_receipt_is_found_by_reference_and_sent_once(
    people: Any, notify_server: Any
) -> None:
    from notifications.notify import NotifyGateway

    letter = lettered("DN-000130", accredited_provider("1100009"))
    app, gateway, now = notifications_app(), NotifyGateway.from_settings(), datetime.now(UTC)
    notify_server.call("/_local/faults", {"fail": 1, "status": 500, "after_send": True})
    assert app.send(letter.id, gateway, now=now).status is Status.WAITING
    # The lookup fails too (Notify still down): tried again later, nothing sent.
    notify_server.call("/_local/faults", {"lookups": 1, "status": 503})
    later = now + timedelta(minutes=5)
    assert app.send(letter.id, gateway, now=later).status is Status.WAITING
    again = app.send(letter.id, gateway, now=later + timedelta(minutes=5))
    assert (again.status, again.asked_first) == (Status.SENT, True)
    letters = [m for m in notify_server.messages() if m["type"] == "letter"]
    assert len(letters) == 1 and app.notice(letter.id).notify_id == letters[0]["id"]
    # No receipt comes for a letter: the beat task asks Notify where it stands.
    from notifications.tasks import check_sent_notices

    wait_for(lambda: notify_server.messages()[-1]["status"] == "received", "the letter posted")
    assert check_sent_notices(older_than_minutes=0) >= 1
    assert app.notice(letter.id).status is Status.DELIVERED


def test_a_technical_failure_at_notify_sends_once_more_and_never_after_a_final_status(
    people: Any, notify_server: Any
) -> None:
    letter = lettered("DN-000131", accredited_provider("1100010"))
    assert send_waiting_notices() == 2  # the provider's email and the person's letter
    first = notifications_app().notice(letter.id)
    client = Client()

    def receipt(notify_id: str, reference: str, status: str) -> bytes:
        body = {"id": notify_id, "reference": reference, "status": status}
        return client.post(
            NOTIFY_CALLBACK,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {NOTIFY_CALLBACK_TOKEN}",
        ).content

    # Notify could not send it (its own fault): a second send, under its own reference.
    assert receipt(first.notify_id, first.reference, "technical-failure") == b"recorded"
    assert receipt(first.notify_id, first.reference, "technical-failure") == b"seen before"
    assert send_waiting_notices() == 1
    letters = [m for m in notify_server.messages() if m["type"] == "letter"]
    assert [m["reference"] for m in letters] == [str(letter.id), f"{letter.id}/2"]
    # Delivered: a technical failure now, late or replayed, sends nothing more.
    resent = notifications_app().notice(letter.id)
    assert receipt(resent.notify_id, resent.reference, "received") == b"recorded"
    assert receipt(resent.notify_id, resent.reference, "technical-failure") == b"seen before"
    assert send_waiting_notices() == 0
    assert len([m for m in notify_server.messages() if m["type"] == "letter"]) == 2


def test_the_callback_needs_the_token_and_a_receipt_again_changes_nothing(
    people: Any, notify_server: Any
) -> None:
    planner = accredited_provider("1100004")
    requested(REF, planner, key="sam-planner")
    send_waiting_notices()
    [notice] = records()
    wait_for(lambda: records()[0].status == "delivered", "the receipt")
    [message] = notify_server.messages()
    receipt = {"id": message["id"], "reference": message["reference"], "status": "delivered"}
    client = Client()

    def post(body: dict[str, Any], token: str) -> Any:
        return client.post(
            NOTIFY_CALLBACK,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    wrong = post({**receipt, "status": "permanent-failure"}, "not-the-token")
    assert wrong.status_code == 401 and wrong["Content-Type"] == "application/problem+json"
    assert records()[0].status == "delivered"
    assert post(receipt, NOTIFY_CALLBACK_TOKEN).content == b"seen before"
    assert post({"id": message["id"]}, NOTIFY_CALLBACK_TOKEN).status_code == 400
    unknown = post({**receipt, "reference": "not-ours"}, NOTIFY_CALLBACK_TOKEN)
    assert unknown.status_code == 404
    # A later failure receipt (an inbox gone) is recorded, with why in words.
    assert post({**receipt, "status": "permanent-failure"}, NOTIFY_CALLBACK_TOKEN).content == (
        b"recorded"
    )
    [after] = records()
    assert (after.status, after.error) == (
        "failed",
        "the email address or phone number does not exist",
    )


def test_a_person_with_no_way_to_reach_them_is_shown_as_not_told(
    council: Any, notify_server: Any
) -> None:
    assessed_person("DN-000125")
    accepted("DN-000125", accredited_provider("1100005"))
    told = {n.kind: n.status for n in records()}
    assert told == {"request_received": "waiting", "request_accepted": "no-contact"}
    assert send_waiting_notices() == 1
    assert [m["kind"] for m in notify_server.messages()] == ["request_received"]


def test_a_letter_for_someone_without_email(council: Any, notify_server: Any) -> None:
    lettered("DN-000126", accredited_provider("1100006"))
    send_waiting_notices()
    letter = next(m for m in notify_server.messages() if m["type"] == "letter")
    assert letter["to"].splitlines() == ["Flat 2", "10 High Street", "Doncaster", "DN1 1AA"]
    assert letter["kind"] == "request_accepted"


@pytest.mark.postgres
def test_four_processes_sending_one_notice_at_once_send_one_message(
    people: Any, notify_server: Any
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.integration.child import run_child

    planner = accredited_provider("1100007")
    requested(REF, planner, key="sam-planner")
    [notice] = records()
    start = time.time() + 4  # each process loaded and waiting, then all at once
    code = f"""
        import time
        from datetime import UTC, datetime
        from uuid import UUID
        from notifications.application import notifications_app
        from notifications.notify import NotifyGateway
        app, gateway = notifications_app(), NotifyGateway.from_settings()
        app.notice(UUID("{notice.id}"))
        time.sleep(max(0, {start} - time.time()))
        print(app.send(UUID("{notice.id}"), gateway, now=datetime.now(UTC)).status.value)
    """
    env = {"NOTIFY_API_KEY": NOTIFY_KEY, "NOTIFY_API_BASE": notify_server.base_url}
    with ThreadPoolExecutor(4) as pool:
        said = list(pool.map(lambda _: run_child(code, **env).strip(), range(4)))
    assert len(notify_server.messages()) == 1, said
    assert notifications_app().notice(notice.id).attempts == 1


@pytest.mark.postgres
def test_a_celery_worker_sends_each_new_notice(
    people: Any, notify_server: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.celery_process import celery_process

    monkeypatch.setenv("NOTIFY_API_KEY", NOTIFY_KEY)
    monkeypatch.setenv("NOTIFY_API_BASE", notify_server.base_url)
    planner = accredited_provider("1100008")
    with celery_process(tmp_path):
        marketplace_app().choose(
            actor=person_actor(REF),
            person=REF,
            provider=planner,
            service="support_planning",
            today=TODAY,
            key="sam-planner",
        )
        run_steps()  # each new notice handed to the worker (send_notice)
        wait_for(lambda: len(notify_server.messages()) == 1, "the worker's message", 60)
        wait_for(lambda: records()[0].status == "delivered", "the receipt", 30)
    assert len(notify_server.messages()) == 1
