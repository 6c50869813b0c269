"""Who is told what, as process managers (core/process.py): an event in another context → the
notices it calls for, saved with the manager's position, each keyed by the event and its
recipient, so a manager that runs again (in another process, after a crash) tells nobody
twice. Then a worker sends each one (notifications/tasks.py).

- marketplace: a request made → the provider; accepted, or declined with its reason → the
  person;
- accreditation: a service suspended or withdrawn → each person whose open engagement is with
  it, and their case worker;
- budgets: a review coming up → the person and their worker; needs found not eligible →
  the person, with their written decision;
- payments: a direct payment paid → the person, with its remittance; a surplus noticed → the
  person; a payment failed → finance.

How each recipient is reached is asked of ``Directory`` (notifications/services.py, over the
read models and accounts), once, when the notice is asked for: the notice keeps the address it
was sent to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking

from accreditation.domain import Service
from core.process import ProcessManager
from ledger.money import format_pence
from notifications.application import NotificationsApplication
from notifications.domain import Notice, Reach, Recipient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Directory:
    """Facts of other contexts the managers need, as plain functions (services.py wires them)."""

    person: Callable[[str], tuple[Recipient, Reach | None]]
    provider: Callable[[Any], tuple[Recipient, Reach | None]]
    staff: Callable[[str], tuple[Recipient, Reach | None]]
    worker_of: Callable[[str], str]  # a case's worker's account name, or ""
    finance: Callable[[], list[tuple[Recipient, Reach | None]]]
    open_engagements: Callable[[Any, str, Any], list[str]]  # provider, service, at → people
    link: Callable[[str], str]  # a path → the service's full address


def date_words(day: Any) -> str:
    return f"{day:%-d %B %Y}"


class NoticeSteps(ProcessManager):
    """The shared loop: ``notices`` says what one event calls for."""

    downstream: NotificationsApplication

    def __init__(
        self,
        upstream: Application[Any],
        downstream: NotificationsApplication,
        directory: Directory,
        on_saved: Callable[[list[Notice]], None] = lambda notices: None,
    ) -> None:
        super().__init__(upstream, downstream)
        self.directory = directory
        self.on_saved = on_saved

    def notices(self, event: Any) -> list[Notice]:
        raise NotImplementedError

    def handle(self, event: Any, tracking: Tracking | None) -> bool:
        wanted = self.notices(event)
        if not wanted:
            return False
        self.on_saved(self.downstream.request(wanted, tracking))
        return True

    def as_at(self, event: Any) -> Any:
        """The upstream aggregate as the event left it."""
        return self.upstream.repository.get(event.originator_id, version=event.originator_version)

    def notice(
        self,
        event: Any,
        kind: str,
        to: tuple[Recipient, Reach | None],
        values: dict[str, str],
        *,
        case_ref: str = "",
        about: str = "",
    ) -> Notice:
        recipient, reach = to
        return Notice.request(
            key=f"{self.name}:{event.originator_id}:{event.originator_version}:{recipient.key}",
            kind=kind,
            recipient=recipient,
            reach=reach,
            personalisation=values,
            case_ref=case_ref,
            about=about,
        )


class MarketplaceNotices(NoticeSteps):
    name = "marketplace-to-notices"

    def notices(self, event: Any) -> list[Notice]:
        step = type(event).__qualname__
        if step not in ("Engagement.Requested", "Engagement.Accepted", "Engagement.Declined"):
            return []
        d = self.directory
        engagement: Any = self.as_at(event)
        person, provider, service = engagement.person, engagement.provider, engagement.service
        label = Service(service).label.lower()
        org = d.provider(provider)
        who = d.person(person)
        if step == "Engagement.Requested":
            return [
                self.notice(
                    event,
                    "request_received",
                    org,
                    {
                        "provider_name": org[0].name,
                        "person_name": who[0].name,
                        "service": label,
                        "link": d.link("/provider/"),
                    },
                    case_ref=person,
                    about=f"{who[0].name} asked for {label}",
                )
            ]
        values = {
            "name": who[0].name,
            "provider_name": org[0].name,
            "service": label,
            "link": d.link("/my-support/"),
        }
        if step == "Engagement.Accepted":
            return [self.notice(event, "request_accepted", who, values, case_ref=person)]
        values["reason"] = event.reason
        return [self.notice(event, "request_declined", who, values, case_ref=person)]


CHANGES = {
    "Accreditation.Suspended": (
        "suspended",
        "You can keep your support while the council looks into it, or choose another provider.",
    ),
    "Accreditation.Withdrawn": (
        "withdrawn",
        "They can no longer give this support: please choose another provider.",
    ),
}


class AccreditationNotices(NoticeSteps):
    name = "accreditation-to-notices"

    def notices(self, event: Any) -> list[Notice]:
        step = type(event).__qualname__
        if step not in CHANGES:
            return []
        change, what_happens = CHANGES[step]
        accreditation: Any = self.as_at(event)
        d = self.directory
        label = Service(accreditation.service).label.lower()
        org = d.provider(accreditation.provider)
        found: list[Notice] = []
        for person in d.open_engagements(accreditation.provider, accreditation.service, event):
            who = d.person(person)
            shared = {"provider_name": org[0].name, "change": change, "service": label}
            shared["reason"] = event.reason
            found.append(
                self.notice(
                    event,
                    "provider_changed",
                    who,
                    {
                        **shared,
                        "name": who[0].name,
                        "what_happens": what_happens,
                        "link": d.link("/find-support/"),
                    },
                    case_ref=person,
                    about=f"{org[0].name} {change}",
                )
            )
            worker = d.worker_of(person)
            if worker:
                staff = d.staff(worker)
                found.append(
                    self.notice(
                        event,
                        "case_provider_changed",
                        staff,
                        {
                            **shared,
                            "worker_name": staff[0].name,
                            "person_name": who[0].name,
                            "council_ref": person,
                            "link": d.link(f"/cases/{person}/"),
                        },
                        case_ref=person,
                        about=f"{org[0].name} {change}",
                    )
                )
        return found


class BudgetNotices(NoticeSteps):
    """A review coming up → the person and their worker; needs found not eligible → the
    person, with their written decision."""

    name = "budgets-to-notices"

    def notices(self, event: Any) -> list[Notice]:
        step = type(event).__qualname__
        if step == "Assessment.VersionRecorded" and not event.eligible:
            ref: str = self.upstream.repository.get(event.originator_id).council_ref
            who = self.directory.person(ref)
            from budgets.decision import NEXT_STEPS

            values = {
                "name": who[0].name,
                "on": date_words(event.on),
                # The written decision itself, not only a link: most people found not
                # eligible have no account to follow it with.
                "reasons": "\n".join(f"* {r}" for r in event.reasons),
                "next_steps": "\n".join(f"* {step}" for step in NEXT_STEPS),
                "link": self.directory.link(f"/my-budget/{ref}/decision/"),
            }
            return [
                self.notice(
                    event,
                    "eligibility_decision",
                    who,
                    values,
                    case_ref=ref,
                    about="needs not eligible",
                )
            ]
        if step != "Reviews.ReminderSent":
            return []
        reviews: Any = self.as_at(event)
        ref, due = reviews.council_ref, date_words(event.due_on)
        d = self.directory
        who = d.person(ref)
        found = [
            self.notice(
                event,
                "review_due",
                who,
                {"name": who[0].name, "due_on": due},
                case_ref=ref,
                about=f"review due {due}",
            )
        ]
        worker = d.worker_of(ref)
        if worker:
            staff = d.staff(worker)
            values = {
                "worker_name": staff[0].name,
                "person_name": who[0].name,
                "council_ref": ref,
                "due_on": due,
                "link": d.link(f"/cases/{ref}/"),
            }
            found.append(
                self.notice(
                    event, "review_reminder", staff, values, case_ref=ref, about=f"review due {due}"
                )
            )
        return found


class PaymentNotices(NoticeSteps):
    name = "payments-to-notices"

    def notices(self, event: Any) -> list[Notice]:
        step = type(event).__qualname__
        if step not in ("Payment.Paid", "Payment.Failed", "Surplus.Noticed"):
            return []
        d = self.directory
        found: Any = self.as_at(event)
        if step == "Surplus.Noticed":
            who = d.person(found.budget)
            values = {
                "name": who[0].name,
                "amount": format_pence(found.amount),
                "on": date_words(found.on),
                "link": d.link(f"/my-budget/{found.budget}/surplus/{found.on.isoformat()}/"),
            }
            return [
                self.notice(
                    event,
                    "surplus_notice",
                    who,
                    values,
                    case_ref=found.budget,
                    about=f"surplus of {format_pence(found.amount)}",
                )
            ]
        payment = found
        if step == "Payment.Paid":
            if payment.payable:  # a provider's invoice paid: their remittance is on their page
                return []
            who = d.person(payment.budget)
            values = {
                "name": who[0].name,
                "amount": format_pence(payment.net),
                "gross": format_pence(payment.gross),
                "netted": format_pence(payment.netted),
                "period": f"{date_words(payment.period_start)} to {date_words(payment.period_end)}",
                "reference": payment.key.removeprefix("payments:"),
                "link": d.link(f"/payments/{payment.key}/remittance/"),
            }
            return [
                self.notice(
                    event, "remittance", who, values, case_ref=payment.budget, about=payment.label
                )
            ]
        if event.retryable and payment.attempts > 1:
            return []  # told at its first failure; a run trying again tells no one again
        what_next = (
            "It will be tried again in the next payment run."
            if event.retryable
            else "It needs finance to put it right before it is tried again."
        )
        values = {
            "payment": payment.label,
            "amount": format_pence(payment.net),
            "reason": event.reason,
            "what_next": what_next,
            "link": d.link("/finance/payments/exceptions/"),
        }
        return [
            self.notice(
                event,
                "payment_failed",
                officer,
                values,
                case_ref=payment.budget,
                about=payment.label,
            )
            for officer in d.finance()
        ]
