"""Notices: each message careledger sends through GOV.UK Notify, from asked for to delivered.
And each person's stated way to be told. Pure Python, no Django, no I/O.

A notice is keyed by the event that called for it and its recipient (uuid5), so a step that
runs again finds the notice it made. Sending is claimed first (``SendAttempted``, one version
of the aggregate: two workers cannot both hold it), and every attempt after the first asks
Notify by the notice's reference whether an earlier one got through before sending again, so a
lost answer never becomes a second message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import DomainError, gather
from config.validation import clean_text, is_email_address
from notifications.templates import KINDS, Channel

NAMESPACE = UUID("0e5f8e02-8a43-4c57-b4b2-7f0f0d6c9a14")

# A claim older than this is taken to have died with its worker: the next attempt asks
# Notify first, then sends if nothing got through.
CLAIM_LAPSES = timedelta(minutes=5)
# How long after a failed attempt the next one is due: 1, 2, 4 ... minutes, then hourly.
MAX_ATTEMPTS = 10

UK_MOBILE = re.compile(r"^(?:\+44|0)7\d{9}$")
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.IGNORECASE)


class NotificationError(DomainError):
    pass


class Status(StrEnum):
    WAITING = "waiting"  # to be sent (or sent again after a failure that Notify says to retry)
    SENDING = "sending"  # a worker holds it
    SENT = "sent"  # Notify has it
    DELIVERED = "delivered"
    FAILED = "failed"  # Notify could not deliver it, or refused it, or attempts ran out
    NO_CONTACT = "no-contact"  # nobody could be told: no address for the way they asked

    @property
    def label(self) -> str:
        return {
            "waiting": "Waiting to send",
            "sending": "Sending",
            "sent": "Sent",
            "delivered": "Delivered",
            "failed": "Not delivered",
            "no-contact": "Not sent: no contact details",
        }[self.value]


# Notify's statuses (its callbacks and GET), as the notice's.
NOTIFY_STATUSES = {
    "created": Status.SENT,
    "sending": Status.SENT,
    "pending": Status.SENT,
    "sent": Status.SENT,  # a text sent abroad: no receipt comes
    "accepted": Status.SENT,  # a letter printing
    "delivered": Status.DELIVERED,
    "received": Status.DELIVERED,  # a letter posted
    "permanent-failure": Status.FAILED,
    "temporary-failure": Status.FAILED,
    "validation-failed": Status.FAILED,
    "virus-scan-failed": Status.FAILED,
    "cancelled": Status.FAILED,
    "technical-failure": Status.WAITING,  # Notify's own fault: not sent, send again
}

FAILURE_REASONS = {
    "permanent-failure": "the email address or phone number does not exist",
    "temporary-failure": "the inbox was full or the phone was off for 3 days",
    "validation-failed": "the letter's address was not valid",
    "virus-scan-failed": "Notify found a virus in the letter",
    "cancelled": "the letter was cancelled",
}


@dataclass(frozen=True)
class Recipient:
    """Who a notice is for: a person (council reference), a provider organisation, or a
    member of staff (their account name)."""

    kind: str  # person | provider | staff
    ref: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"


def notice_id(key: str) -> UUID:
    return uuid5(NAMESPACE, f"notice:{key}")


class Notice(Aggregate):
    @event("Requested")
    def __init__(
        self,
        key: str,
        kind: str,
        recipient: Recipient,
        channel: str,  # "" when there is no way to reach them
        to: str,  # the email address, the phone number, or the address's lines
        personalisation: dict[str, str],
        case_ref: str,
        about: str,
    ) -> None:
        self.key = key
        self.kind = kind
        self.recipient = recipient
        self.channel = channel
        self.to = to
        self.personalisation = personalisation
        self.case_ref = case_ref
        self.about = about
        self.attempts = 0
        self.sends = 1  # a technical failure at Notify starts a new send, its own reference
        self.claimed_at: datetime | None = None
        self.notify_id = ""
        self.notify_status = ""
        self.status = Status.WAITING if channel else Status.NO_CONTACT
        self.error = ""
        self.next_attempt_at: datetime | None = None
        self.earlier_ids: list[str] = []  # Notify's ids of sends that failed at Notify

    @staticmethod
    def create_id(key: str) -> UUID:  # type: ignore[override]
        return notice_id(key)

    @classmethod
    def request(
        cls,
        *,
        key: str,
        kind: str,
        recipient: Recipient,
        reach: Reach | None,
        personalisation: dict[str, str],
        case_ref: str = "",
        about: str = "",
    ) -> Notice:
        if kind not in KINDS:
            raise NotificationError(f"no notice called {kind}", field="kind")
        channel, to = reach.route() if reach else ("", "")
        missing = KINDS[kind].placeholders(Channel(channel or "email")) - set(personalisation)
        if missing:
            raise NotificationError(
                f"the {kind} notice needs {', '.join(sorted(missing))}", field="personalisation"
            )
        if channel == Channel.LETTER and reach is not None:
            personalisation = {**personalisation, **reach.address_lines()}
        return cls(
            key=key,
            kind=kind,
            recipient=recipient,
            channel=channel,
            to=to,
            personalisation=personalisation,
            case_ref=case_ref,
            about=about,
        )

    @property
    def reference(self) -> str:
        """The reference Notify keeps with the message: this notice and which send it is."""
        return f"{self.id}" if self.sends == 1 else f"{self.id}/{self.sends}"

    def is_due(self, now: datetime) -> bool:
        if self.status is Status.SENDING:
            return self.claimed_at is not None and now - self.claimed_at > CLAIM_LAPSES
        return self.status is Status.WAITING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )

    def claim(self, now: datetime) -> bool:
        """Take this notice to send; False when it is not due (sent, or another holds it).
        The first attempt of a send may send at once; any later one must ask Notify first."""
        if not self.is_due(now):
            return False
        self._claimed(at=now)
        return True

    @event("SendAttempted")
    def _claimed(self, at: datetime) -> None:
        self.attempts += 1
        self.claimed_at = at
        self.status = Status.SENDING

    @property
    def must_ask_first(self) -> bool:
        """An earlier attempt of this send may have reached Notify with its answer lost."""
        return self.attempts > 1 or self.sends > 1

    def record_sent(self, notify_id: str, status: str, at: datetime) -> None:
        """Notify has this send's message: its id (from its answer, a lookup by reference, or
        its receipt). Nothing changes for a message already known, or an earlier send's."""
        if self.notify_id or notify_id in self.earlier_ids:
            return
        self._sent(notify_id=notify_id, notify_status=status or "created", at=at)

    @event("Sent")
    def _sent(self, notify_id: str, notify_status: str, at: datetime) -> None:
        self.notify_id, self.notify_status = notify_id, notify_status
        self.status = NOTIFY_STATUSES.get(notify_status, Status.SENT)
        self.claimed_at, self.error = None, ""

    def record_attempt_failed(self, error: str, *, retryable: bool, at: datetime) -> None:
        """Notify refused (not retryable: it will refuse again) or could not be reached."""
        gave_up = not retryable or self.attempts >= MAX_ATTEMPTS
        wait = timedelta(minutes=min(60, 2 ** (self.attempts - 1)))
        self._attempt_failed(
            error=error[:1000], gave_up=gave_up, next_attempt_at=None if gave_up else at + wait
        )

    @event("SendFailed")
    def _attempt_failed(self, error: str, gave_up: bool, next_attempt_at: datetime | None) -> None:
        self.error = error
        self.claimed_at = None
        self.status = Status.FAILED if gave_up else Status.WAITING
        self.next_attempt_at = next_attempt_at

    def report(self, *, notify_id: str, status: str, at: datetime, reference: str = "") -> bool:
        """Notify's delivery receipt (or a status asked for). False when it changes nothing:
        a receipt for an earlier send, the same status again, or one out of order (a final
        status, delivered or failed, is never followed by one on the way)."""
        adopted = False
        if not self.notify_id and reference == self.reference and notify_id:
            # The receipt came before the sender recorded Notify's answer, or the answer was
            # lost: its reference says it is this send's message.
            self.record_sent(notify_id, "created", at=at)
            adopted = self.notify_id == notify_id
        if notify_id != self.notify_id or status == self.notify_status:
            return adopted
        new = NOTIFY_STATUSES.get(status)
        if new is None:
            return adopted  # a status Notify does not document: nothing to act on
        final = (Status.DELIVERED, Status.FAILED)
        if self.status in final and new not in final:
            return adopted  # late, or replayed: a technical failure now would send twice
        self._reported(notify_status=status, at=at)
        return True

    @event("StatusReported")
    def _reported(self, notify_status: str, at: datetime) -> None:
        self.notify_status = notify_status
        self.status = NOTIFY_STATUSES.get(notify_status, Status.SENT)
        self.error = FAILURE_REASONS.get(notify_status, "")
        if self.status is Status.WAITING:  # Notify's technical failure: a new send
            self.earlier_ids = [*getattr(self, "earlier_ids", []), self.notify_id]
            self.sends += 1
            self.attempts = 0
            self.notify_id = ""
            self.next_attempt_at = None


@dataclass(frozen=True)
class Reach:
    """How one person or organisation is to be told: their stated way, and where."""

    preferred: str  # email | sms | letter
    email: str = ""
    phone: str = ""
    address: tuple[str, ...] = ()

    def route(self) -> tuple[str, str]:
        """The channel and address to use: the stated one where it can be used, else email,
        then a text, then a letter (a person without email still gets a letter)."""
        available = {
            Channel.EMAIL: self.email,
            Channel.SMS: self.phone,
            Channel.LETTER: "\n".join(self.address),
        }
        order = [Channel(self.preferred), Channel.EMAIL, Channel.SMS, Channel.LETTER]
        for channel in order:
            if available[channel]:
                return channel.value, available[channel]
        return "", ""

    def address_lines(self) -> dict[str, str]:
        return {f"address_line_{n}": line for n, line in enumerate(self.address, start=1)}

    @classmethod
    def create(cls, **raw: Any) -> Reach:
        """Each field checked, every one at fault named together, in words for the field."""

        def preferred() -> str:
            value = str(raw.get("preferred") or "")
            if value not in Channel._value2member_map_:
                raise NotificationError(
                    "Select how they want to be told: email, text message or letter",
                    field="preferred",
                )
            return value

        def email() -> str:
            value = _text(raw.get("email"), "email", 254)
            if value and not is_email_address(value):
                raise NotificationError(
                    "Enter an email address in the correct format, like name@example.com",
                    field="email",
                )
            return value

        def phone() -> str:
            value = re.sub(r"[\s()-]", "", _text(raw.get("phone"), "phone", 30))
            if value and not UK_MOBILE.match(value):
                raise NotificationError(
                    "Enter a UK mobile phone number, like 07700 900 982", field="phone"
                )
            return value

        def address() -> tuple[str, ...]:
            text = _text(raw.get("address"), "address", 500, multiline=True)
            lines = tuple(line.strip() for line in text.splitlines() if line.strip())
            if not lines:
                return ()
            if len(lines) < 3 or len(lines) > 7:
                raise NotificationError(
                    "Enter the address on 3 to 7 lines, with the postcode on the last line",
                    field="address",
                )
            if not POSTCODE.match(lines[-1]):
                raise NotificationError(
                    "Enter a real postcode on the address's last line, like DN1 3BU",
                    field="address",
                )
            return lines

        values: dict[str, Any] = gather(
            {"preferred": preferred, "email": email, "phone": phone, "address": address}
        )
        reach = cls(**values)
        wanted = {"email": reach.email, "sms": reach.phone, "letter": reach.address}
        if not wanted[reach.preferred]:
            field = {"email": "email", "sms": "phone", "letter": "address"}[reach.preferred]
            what = {"email": "an email address", "sms": "a mobile number", "letter": "an address"}
            raise NotificationError(
                f"Enter {what[reach.preferred]} to be told by {Channel(reach.preferred).label}",
                field=field,
            )
        return reach


def _text(value: object, field: str, limit: int, multiline: bool = False) -> str:
    return clean_text(
        value,
        field=field,
        limit=limit,
        required=False,
        multiline=multiline,
        error=NotificationError,
    )


def contact_id(recipient_key: str) -> UUID:
    return uuid5(NAMESPACE, f"contact:{recipient_key}")


class Contact(Aggregate):
    """How one person wants to be told, as they (or their worker) last said."""

    @event("Started")
    def __init__(self, recipient_key: str) -> None:
        self.recipient_key = recipient_key
        self.reach: Reach | None = None

    @staticmethod
    def create_id(recipient_key: str) -> UUID:  # type: ignore[override]
        return contact_id(recipient_key)

    def state(self, reach: Reach, *, actor: str) -> None:
        if reach != self.reach:
            self._stated(reach=reach, actor=actor)

    @event("Stated")
    def _stated(self, reach: Reach, actor: str) -> None:
        self.reach = reach
