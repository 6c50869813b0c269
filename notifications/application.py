"""The notifications context's one door: notices asked for, sent through GOV.UK Notify once,
their delivery receipts; and each person's stated way to be told.

Notices are asked for by the process managers (notifications/processes.py), each keyed by
the event that called for it, and sent by a Celery worker (notifications/tasks.py), never by a
request. ``send`` claims the notice (a version of the aggregate: one worker only), asks Notify
by its reference first when an earlier attempt may have got through, then sends, and records
what happened. Notify is the adapter ``gateway`` (notifications/notify.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Tracking

import notifications.domain
import notifications.templates
from config.actor import Actor
from config.applications import application
from config.errors import NotFound, NotVisible
from config.transcodings import ContextApplication
from core.process import Downstream
from notifications import policies
from notifications.domain import (
    CLAIM_LAPSES,
    Contact,
    Notice,
    Reach,
    Status,
    contact_id,
    notice_id,
)

# A claim held longer than this is not sent on: by the lapse another worker may send it.
HOLD_LIMIT = CLAIM_LAPSES.total_seconds() / 2


class SendError(Exception):
    """Notify refused a message (``retryable`` False: it would refuse it again) or could not
    be reached."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Gateway(Protocol):
    def send(self, notice: Notice) -> dict[str, Any]:
        """Send the notice; Notify's answer (its ``id``). Raises ``SendError``."""

    def find(self, reference: str) -> dict[str, Any] | None:
        """The message Notify holds with this reference, if any. Raises ``SendError``."""

    def status(self, notify_id: str) -> dict[str, Any]:
        """Notify's notification by its id. Raises ``SendError``."""


@dataclass(frozen=True)
class Sent:
    status: Status
    notify_id: str = ""
    asked_first: bool = False


class NotificationsApplication(Downstream, ContextApplication):
    name = "Notifications"
    domain_modules = (notifications.domain, notifications.templates)
    # Whether the budgets context has a record of the person (services.py wires it).
    person_exists: Callable[[str], bool] | None = None
    # Whether a provider has an open engagement with the person (the marketplace's fact).
    engaged_with: policies.EngagedWith | None = None

    # ------------------------------------------------------------------ contact preferences
    def state_contact(self, actor: Actor, *, person: str, **raw: Any) -> Reach:
        """Record how a person wants to be told (email, text message or letter) and where."""
        policies.check_may_state_contact(actor, person)
        if self.person_exists is not None and not self.person_exists(person):
            raise NotVisible("no such person", field="person")
        reach = Reach.create(**raw)
        key = f"person:{person}"
        try:
            contact: Contact = self.repository.get(contact_id(key))
        except AggregateNotFoundError:
            contact = Contact(recipient_key=key)
        contact.state(reach, actor=actor.id)
        self.save(contact)
        return reach

    def contact_of(self, actor: Actor, person: str) -> Reach | None:
        policies.check_may_read_contact(actor, person, engaged_with=self.engaged_with)
        return self.reach(f"person:{person}")

    def reach(self, recipient_key: str) -> Reach | None:
        """The stated way to reach someone (for the process managers)."""
        try:
            contact: Contact = self.repository.get(contact_id(recipient_key))
        except AggregateNotFoundError:
            return None
        return contact.reach

    # ------------------------------------------------------------------ notices
    def request(self, notices: Sequence[Notice], tracking: Tracking | None) -> list[Notice]:
        """Save notices asked for by one event, with the step's position. Those already there
        (the step ran before, with no position recorded) are left as they are."""
        new = [n for n in notices if not self._exists(n.id)]
        try:
            self.save_tracked(*new, tracking=tracking)
        except IntegrityError:
            # Another runner saved this step first: its notices and position stand.
            lost = tracking is None or not self.is_tracked(tracking)
            if lost and any(not self._exists(n.id) for n in new):
                raise
        return new

    def _exists(self, id: UUID) -> bool:
        try:
            self.repository.get(id)
        except AggregateNotFoundError:
            return False
        return True

    def notice(self, id: UUID) -> Notice:
        try:
            found: Notice = self.repository.get(id)
        except AggregateNotFoundError:
            raise NotFound("no such notice", field="notice") from None
        return found

    def send(self, id: UUID, gateway: Gateway, *, now: datetime) -> Sent:
        """Send one notice if it is due; what it is now. At most one message reaches Notify
        however many workers try at once, and however many answers are lost."""
        notice = self.notice(id)
        if not notice.claim(now):
            return Sent(notice.status, notice.notify_id)
        try:
            self.save(notice)
        except IntegrityError:  # another worker claimed it first
            current = self.notice(id)
            return Sent(current.status, current.notify_id)
        held_from = time.monotonic()
        asked_first = notice.must_ask_first
        found: dict[str, Any] | None = None
        answer: dict[str, Any] = {}
        failure: SendError | None = None
        try:
            found = gateway.find(notice.reference) if asked_first else None
            if found is None and time.monotonic() - held_from > HOLD_LIMIT:
                # Held so long another worker may take the claim as dead and send too.
                raise SendError("held too long before sending: tried again", retryable=True)
            answer = found or gateway.send(notice)
        except SendError as e:
            failure = e

        def outcome(n: Notice) -> bool:
            if failure is None:
                n.record_sent(str(answer["id"]), str(answer.get("status", "")), at=now)
            elif not n.notify_id:  # unless Notify's receipt came first: it has the message
                n.record_attempt_failed(str(failure), retryable=failure.retryable, at=now)
            return True

        notice, _ = self._apply(id, outcome, notice)
        return Sent(notice.status, notice.notify_id, asked_first=asked_first and bool(found))

    def _apply(
        self, id: UUID, step: Callable[[Notice], bool], notice: Notice | None = None
    ) -> tuple[Notice, bool]:
        """Apply ``step`` to the notice and save it; when another save came between (a
        worker's, a receipt's), read the notice again and apply it again. False when the step
        changed nothing."""
        for _ in range(3):
            current = notice or self.notice(id)
            if not step(current):
                return current, False
            try:
                self.save(current)
                return current, True
            except IntegrityError:
                notice = None
        raise IntegrityError(f"notice {id} kept changing")

    def refresh(self, id: UUID, gateway: Gateway, *, now: datetime) -> bool:
        """Ask Notify where a sent message stands, for one no receipt has moved (a letter:
        Notify sends no receipts for letters; a receipt lost on the way)."""
        notice = self.notice(id)
        if notice.status is not Status.SENT or not notice.notify_id:
            return False
        found = gateway.status(notice.notify_id)
        return self.report(
            reference=notice.reference,
            notify_id=notice.notify_id,
            status=str(found.get("status", "")),
            at=now,
        )

    def report(self, *, reference: str, notify_id: str, status: str, at: datetime) -> bool:
        """Notify's delivery receipt for the message with this reference. True when it
        changed the notice; a receipt for no notice of ours is refused."""
        try:
            id = UUID(str(reference).split("/")[0])
        except ValueError:
            raise NotFound("no notice has this reference", field="reference") from None
        _, changed = self._apply(
            id,
            lambda n: n.report(notify_id=notify_id, status=status, at=at, reference=str(reference)),
        )
        return changed


def notifications_app() -> NotificationsApplication:
    app = application(NotificationsApplication)
    if app.person_exists is None:
        from notifications.services import engaged_with, person_exists

        app.person_exists, app.engaged_with = person_exists, engaged_with
    return app


__all__ = ["NotificationsApplication", "SendError", "notice_id", "notifications_app"]
