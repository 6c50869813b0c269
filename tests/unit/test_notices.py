"""A notice's life (notifications/domain.py), pure: claimed by one sender, asked of Notify
before any second attempt, failures due again later or given up, Notify's receipts, and each
person's way to be told, refused in words written for the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifications.domain import (
    CLAIM_LAPSES,
    MAX_ATTEMPTS,
    Notice,
    NotificationError,
    Reach,
    Recipient,
    Status,
)
from notifications.templates import KINDS, Channel, catalogue, render

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SAM = Recipient("person", "DN-1", "Sam Patel")
BY_EMAIL = Reach(preferred="email", email="sam@example.org")
VALUES = {"name": "Sam", "provider_name": "Connect", "service": "support planning", "link": "/"}


def notice(reach: Reach | None = BY_EMAIL, **values: str) -> Notice:
    return Notice.request(
        key="k",
        kind="request_accepted",
        recipient=SAM,
        reach=reach,
        personalisation={**VALUES, **values},
    )


def test_one_claim_at_a_time_and_a_dead_claim_lapses() -> None:
    n = notice()
    assert n.claim(NOW) and n.status is Status.SENDING
    assert not n.must_ask_first  # the first attempt may send at once
    assert not n.claim(NOW + timedelta(minutes=1))  # another sender holds it
    assert n.claim(NOW + CLAIM_LAPSES + timedelta(seconds=1))  # that sender died
    assert n.must_ask_first  # it may have got through: ask Notify first


def test_a_failure_is_due_again_later_and_a_refusal_is_given_up() -> None:
    n = notice()
    n.claim(NOW)
    n.record_attempt_failed("503", retryable=True, at=NOW)
    assert n.status is Status.WAITING and not n.is_due(NOW)
    assert n.next_attempt_at == NOW + timedelta(minutes=1)
    n.claim(NOW + timedelta(minutes=1))
    n.record_attempt_failed("503", retryable=True, at=NOW + timedelta(minutes=1))
    assert n.next_attempt_at == NOW + timedelta(minutes=3)  # twice as long
    n.claim(NOW + timedelta(minutes=3))
    n.record_attempt_failed("400: Missing personalisation", retryable=False, at=NOW)
    assert n.status is Status.FAILED and not n.is_due(NOW + timedelta(days=1))


def test_attempts_run_out() -> None:
    n = notice()
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        assert n.claim(at)
        n.record_attempt_failed("503", retryable=True, at=at)
        at += timedelta(hours=2)
    assert n.status is Status.FAILED


def test_receipts_move_the_status_once_and_a_technical_failure_sends_anew() -> None:
    n = notice()
    n.claim(NOW)
    n.record_sent("notify-1", "created", at=NOW)
    assert n.status is Status.SENT
    assert not n.report(notify_id="someone-else", status="delivered", at=NOW)
    assert n.report(notify_id="notify-1", status="delivered", at=NOW)
    assert not n.report(notify_id="notify-1", status="delivered", at=NOW)  # again: nothing
    assert not n.report(notify_id="notify-1", status="sending", at=NOW)  # late, out of order
    assert n.status is Status.DELIVERED

    m = notice()
    m.claim(NOW)
    m.record_sent("notify-2", "created", at=NOW)
    assert m.report(notify_id="notify-2", status="technical-failure", at=NOW)
    assert m.status is Status.WAITING and m.reference == f"{m.id}/2"  # a new send
    assert m.claim(NOW) and m.must_ask_first


def test_a_permanent_failure_says_why() -> None:
    n = notice()
    n.claim(NOW)
    n.record_sent("notify-1", "created", at=NOW)
    n.report(notify_id="notify-1", status="permanent-failure", at=NOW)
    assert (n.status, n.error) == (
        Status.FAILED,
        "the email address or phone number does not exist",
    )


def test_nobody_to_tell_is_recorded_not_sent_and_a_missing_value_is_refused() -> None:
    n = notice(reach=None)
    assert n.status is Status.NO_CONTACT and not n.claim(NOW)
    with pytest.raises(NotificationError, match="needs link"):
        Notice.request(
            key="k2",
            kind="request_accepted",
            recipient=SAM,
            reach=BY_EMAIL,
            personalisation={k: v for k, v in VALUES.items() if k != "link"},
        )


def test_the_stated_way_first_then_email_text_letter() -> None:
    letter = Reach.create(preferred="letter", address="1 High St\nDoncaster\nDN1 1AA")
    assert letter.route() == ("letter", "1 High St\nDoncaster\nDN1 1AA")
    assert Reach("sms", email="a@b.org", phone="07700900982").route() == ("sms", "07700900982")
    assert Reach("sms", email="a@b.org").route() == ("email", "a@b.org")
    n = notice(reach=letter)
    assert n.personalisation["address_line_3"] == "DN1 1AA"


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"preferred": "pigeon"}, "preferred", "Select how they want to be told"),
        ({"preferred": "email", "email": "sam@"}, "email", "Enter an email address in the"),
        ({"preferred": "sms", "phone": "0114 496 0000"}, "phone", "Enter a UK mobile"),
        (
            {"preferred": "letter", "address": "1 High St\nDN1 1AA"},
            "address",
            "Enter the address on 3 to 7",
        ),
        (
            {"preferred": "letter", "address": "1 High St\nDoncaster\nNowhere"},
            "address",
            "Enter a real postcode",
        ),
        ({"preferred": "sms", "email": "a@b.org"}, "phone", "Enter a mobile number to be told"),
    ],
)
def test_each_field_refused_in_words_for_it(raw: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(NotificationError) as refused:
        Reach.create(**raw)
    assert refused.value.field == field and refused.value.message.startswith(message)


def test_every_template_names_what_it_needs_and_renders() -> None:
    assert len(catalogue()) == 3 * len(KINDS)  # email, text message and letter of each
    kind = KINDS["request_declined"]
    assert kind.placeholders(Channel.SMS) <= kind.placeholders(Channel.EMAIL)
    text = render(kind.email.body, {**VALUES, "reason": "We are full"})
    assert "We are full" in text and "((" not in text


def test_a_receipt_before_the_answer_is_taken_by_its_reference() -> None:
    n = notice()
    n.claim(NOW)  # sent, Notify's answer not yet recorded (or lost)
    assert not n.report(notify_id="n-1", status="delivered", at=NOW, reference="someone-else")
    assert n.report(notify_id="n-1", status="delivered", at=NOW, reference=n.reference)
    assert (n.notify_id, n.status) == ("n-1", Status.DELIVERED)
    n.record_sent("n-1", "created", at=NOW)  # the sender's answer, late: changes nothing
    assert n.status is Status.DELIVERED


def test_a_final_status_is_never_followed_by_one_on_the_way() -> None:
    n = notice()
    n.claim(NOW)
    n.record_sent("n-1", "created", at=NOW)
    assert n.report(notify_id="n-1", status="permanent-failure", at=NOW)
    assert not n.report(notify_id="n-1", status="sending", at=NOW)
    assert not n.report(notify_id="n-1", status="technical-failure", at=NOW)  # no resend
    assert not n.report(notify_id="n-1", status="no-such-status", at=NOW)
    assert n.status is Status.FAILED and n.sends == 1
    m = notice()
    m.claim(NOW)
    m.record_sent("n-2", "created", at=NOW)
    assert m.report(notify_id="n-2", status="technical-failure", at=NOW)
    m.record_sent("n-2", "created", at=NOW)  # the failed send's id again: not this send's
    assert (m.notify_id, m.status) == ("", Status.WAITING)


@pytest.mark.parametrize(
    "address", ["a@b.c.", "a..b@example.org", "sam@-example.org", "sam@example..org"]
)
def test_an_email_address_the_old_pattern_let_by_is_refused(address: str) -> None:
    with pytest.raises(NotificationError) as refused:
        Reach.create(preferred="email", email=address)
    assert refused.value.field == "email"
