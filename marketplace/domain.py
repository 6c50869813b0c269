"""The council tariff, engagements between a person and a provider, and feedback.

Pure Python. Rules that need another context (is the service accredited today? has
the provider room?) are asked of the caller as plain values, so each stays testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from accreditation.domain import Service
from config import versions
from config.errors import Conflict, DomainError, NotAllowed
from config.validation import clean_text, council_ref
from ledger.money import MoneyError, check_pence

NAMESPACE = UUID("9e0c2f4a-6b1d-4e8f-a2c3-7d5e6f708192")


class MarketplaceError(DomainError):
    pass


class EngagementStateError(MarketplaceError, Conflict):
    pass


class OtherProvidersEngagementError(MarketplaceError, NotAllowed):
    """A provider may decide only its own engagements."""


class NotAccreditedError(MarketplaceError):
    """The provider is not accredited for the service today."""


class NoRoomError(MarketplaceError):
    """The provider has no room for another person in its capacity."""


class ConsentRequiredError(MarketplaceError):
    """A worker chose for a person without recording how the person consented."""


class FeedbackGivenError(MarketplaceError, Conflict):
    """Feedback is given once per engagement."""


# The tariff is a versioned council setting: one mechanism with the RAS grid and the sign-off
# rules (config/versions.py), with this context's names for its errors.
class TariffNotInForceError(MarketplaceError, versions.NotInForceError):
    pass


class TariffDateError(MarketplaceError, versions.EffectiveDateError):
    pass


class NoSuchTariffVersionError(MarketplaceError, versions.NoSuchVersionError):
    pass


TARIFF = versions.Setting(
    "tariff",
    "tariff",
    not_in_force=TariffNotInForceError,
    date_refused=TariffDateError,
    no_such_version=NoSuchTariffVersionError,
)


def text(value: object, *, field: str, limit: int, required: bool = True) -> str:
    return clean_text(
        value,
        field=field,
        limit=limit,
        required=required,
        multiline=limit > 300,
        error=MarketplaceError,
    )


def pence(value: object, field: str) -> int:
    try:
        return check_pence(value)
    except MoneyError as exc:
        raise MarketplaceError(str(exc), field=field) from None


@dataclass(frozen=True)
class TariffVersion:
    version: int
    effective_from: date
    support_plan_fee: int
    annual_review_fee: int
    money_management_fee: int  # per four-weekly period
    deductions: list[dict[str, Any]]
    note: str

    def price_of(self, service: Service) -> int:
        """The council's tariff price for the service (its fee for a support plan, or for
        each four-weekly period of money management)."""
        if service is Service.SUPPORT_PLANNING:
            return self.support_plan_fee
        return self.money_management_fee


class PriceSource(StrEnum):
    OFFER = "provider's own price"
    TARIFF = "council tariff"


@dataclass(frozen=True)
class Price:
    """What a person pays a provider for a service, and where the figure comes from."""

    pence: int
    source: PriceSource
    tariff: int  # the council's tariff price for the service, to compare with

    @property
    def differs(self) -> bool:
        """Whether the provider's own price is not the tariff's."""
        return self.pence != self.tariff


def price_for(service: Service, *, tariff: TariffVersion, offers: Mapping[str, int]) -> Price:
    """The offer, else the tariff price: the provider's own price for the service where it has
    one (its offers, by service), else the council's tariff in force. The one place this rule
    is written: choosing, the search API and the pages all ask it."""
    offer = offers.get(service.value)
    in_tariff = tariff.price_of(service)
    if offer is not None:
        return Price(int(offer), PriceSource.OFFER, in_tariff)
    return Price(in_tariff, PriceSource.TARIFF, in_tariff)


class Tariff(Aggregate):
    """The council's prices, versioned with the date each version takes effect."""

    ID = uuid5(NAMESPACE, "tariff")

    @event("Created")
    def __init__(self) -> None:
        self.versions: list[TariffVersion] = []

    @staticmethod
    def create_id() -> UUID:  # type: ignore[override]
        return Tariff.ID

    def publish(
        self,
        *,
        effective_from: date,
        today: date,
        support_plan_fee: object,
        annual_review_fee: object,
        money_management_fee: object,
        deductions: list[dict[str, Any]] | None,
        note: object,
        actor: str,
    ) -> int:
        self.history.check_effective_from(effective_from, today=today)
        cleaned = []
        for i, item in enumerate(deductions or []):
            cleaned.append(
                {
                    "name": text(item.get("name"), field=f"deductions[{i}].name", limit=100),
                    "amount": pence(item.get("amount"), f"deductions[{i}].amount"),
                    "description": text(
                        item.get("description"),
                        field=f"deductions[{i}].description",
                        limit=500,
                        required=False,
                    ),
                }
            )
        self._published(
            effective_from=effective_from,
            support_plan_fee=pence(support_plan_fee, "support_plan_fee"),
            annual_review_fee=pence(annual_review_fee, "annual_review_fee"),
            money_management_fee=pence(money_management_fee, "money_management_fee"),
            deductions=cleaned,
            note=text(note, field="note", limit=1000, required=False),
            actor=actor,
        )
        return self.history.current_number

    @event("VersionPublished")
    def _published(
        self,
        effective_from: date,
        support_plan_fee: int,
        annual_review_fee: int,
        money_management_fee: int,
        deductions: list[dict[str, Any]],
        note: str,
        actor: str,
    ) -> None:
        self.versions.append(
            TariffVersion(
                self.history.next_number,
                effective_from,
                support_plan_fee,
                annual_review_fee,
                money_management_fee,
                deductions,
                note,
            )
        )

    @property
    def history(self) -> versions.DatedVersions[TariffVersion]:
        """The versions, as every versioned council setting answers about them."""
        return versions.DatedVersions(TARIFF, self.versions)

    def in_force(self, day: date) -> TariffVersion:
        return self.history.in_force(day)


class EngagementStatus(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"
    WITHDRAWN = "withdrawn"  # the person withdrew the request before the provider answered


@dataclass(frozen=True)
class Chooser:
    """Who chose: the person, their nominee or advocate, or a worker with the person's consent."""

    username: str
    relationship: str  # person | nominee | advocate | worker
    consent: str = ""  # how the person's consent was recorded, when a worker chose

    def check(self) -> None:
        if self.relationship not in ("person", "nominee", "advocate", "worker"):
            raise MarketplaceError("must be person, nominee, advocate or worker", field="on_behalf")
        self.check_consent()

    def check_consent(self) -> None:
        if self.relationship == "worker" and not str(self.consent or "").strip():
            raise ConsentRequiredError(
                "record how the person gave consent when a worker chooses for them", field="consent"
            )
        clean_text(
            self.consent,
            field="consent",
            limit=1000,
            required=False,
            multiline=True,
            error=MarketplaceError,
        )


class Engagement(Aggregate):
    """A person's engagement of a provider for one service, from request to end."""

    @event("Requested")
    def __init__(
        self,
        person: str,
        provider: UUID,
        service: str,
        chooser: dict[str, str],
        price: int,
        tariff_version: int,
        replaces: UUID | None,
        key: str,
    ) -> None:
        self.person = person
        self.provider = provider
        self.service = Service(service)
        self.chooser = chooser
        self.price = price
        self.tariff_version = tariff_version
        self.replaces = replaces
        self.status = EngagementStatus.REQUESTED
        self.started_on: date | None = None
        self.ended_on: date | None = None
        self.feedback: dict[str, Any] | None = None

    @staticmethod
    def create_id(key: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE, f"engagement:{key}")

    @classmethod
    def request(
        cls,
        *,
        person: str,
        provider: UUID,
        service: Service,
        chooser: Chooser,
        accredited_today: bool,
        has_room: bool,
        price: int,
        tariff_version: int,
        replaces: UUID | None,
        key: str,
    ) -> Engagement:
        chooser.check()
        person = council_ref(person, field="person", error=MarketplaceError)
        cls.check_accredited_for(service, accredited_today)
        cls.check_room_for_new_people(has_room)
        return cls(
            person, provider, service.value, chooser.__dict__, price, tariff_version, replaces, key
        )

    # -- rules
    @staticmethod
    def check_accredited_for(service: Service, accredited_today: bool) -> None:
        """Asked for a person choosing: only a service accredited today may be chosen."""
        if not accredited_today:
            raise NotAccreditedError(
                f"this provider is not accredited for {service.label.lower()} today",
                field="provider",
            )

    @staticmethod
    def check_room_for_new_people(has_room: bool) -> None:
        """Asked for a person choosing: a provider with no room takes no new requests."""
        if not has_room:
            raise NoRoomError("this provider has no room for new people just now", field="provider")

    @staticmethod
    def check_still_accredited(accredited_today: bool) -> None:
        """Asked for the provider accepting: its service must still be accredited today."""
        if not accredited_today:
            raise NotAccreditedError("the service is not accredited today", field="provider")

    @staticmethod
    def check_room_to_accept(has_room: bool) -> None:
        """Asked for the provider accepting: this person must fit in its capacity."""
        if not has_room:
            raise NoRoomError(
                "you have no room for another person in your capacity", field="capacity"
            )

    def check_provider(self, provider: UUID) -> None:
        if provider != self.provider:
            raise OtherProvidersEngagementError(
                "this engagement is with another provider", field="engagement"
            )

    def check_status(self, *allowed: EngagementStatus, doing: str) -> None:
        if self.status not in allowed:
            raise EngagementStateError(
                f"cannot {doing}: the engagement is {self.status.value}", field="status"
            )

    def accept(
        self, *, provider: UUID, actor: str, today: date, accredited_today: bool, has_room: bool
    ) -> None:
        self.check_provider(provider)
        self.check_status(EngagementStatus.REQUESTED, doing="accept")
        self.check_still_accredited(accredited_today)
        self.check_room_to_accept(has_room)
        self._accepted(actor=actor, on=today)

    @event("Accepted")
    def _accepted(self, actor: str, on: date) -> None:
        self.status = EngagementStatus.ACTIVE
        self.started_on = on

    def decline(self, *, provider: UUID, actor: str, reason: object) -> None:
        self.check_provider(provider)
        self.check_status(EngagementStatus.REQUESTED, doing="decline")
        self._declined(actor=actor, reason=text(reason, field="reason", limit=1000))

    @event("Declined")
    def _declined(self, actor: str, reason: str) -> None:
        self.status = EngagementStatus.DECLINED

    def end(self, *, by: str, actor: str, reason: object, today: date) -> None:
        if by not in ("person", "provider", "council"):
            raise MarketplaceError("must be person, provider or council", field="by")
        if self.status is EngagementStatus.REQUESTED and by == "person":
            self._withdrawn(actor=actor, reason=text(reason, field="reason", limit=1000))
            return
        self.check_status(EngagementStatus.ACTIVE, doing="end")
        self._ended(by=by, actor=actor, reason=text(reason, field="reason", limit=1000), on=today)

    @event("RequestWithdrawn")
    def _withdrawn(self, actor: str, reason: str) -> None:
        self.status = EngagementStatus.WITHDRAWN

    @event("Ended")
    def _ended(self, by: str, actor: str, reason: str, on: date) -> None:
        self.status = EngagementStatus.ENDED
        self.ended_on = on

    def give_feedback(self, *, rating: object, comment: object, actor: str) -> None:
        self.check_status(EngagementStatus.ACTIVE, EngagementStatus.ENDED, doing="give feedback")
        self.check_no_feedback_yet()
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise MarketplaceError("must be a whole number from 1 to 5", field="rating")
        self._feedback_given(
            rating=rating,
            comment=text(comment, field="comment", limit=2000, required=False),
            actor=actor,
        )

    def check_no_feedback_yet(self) -> None:
        if self.feedback is not None:
            raise FeedbackGivenError(
                "feedback was already given for this engagement", field="engagement"
            )

    def check_feedback_awaiting_moderation(self) -> None:
        if self.feedback is None or self.feedback["status"] != "awaiting moderation":
            raise EngagementStateError("there is no feedback awaiting moderation", field="feedback")

    @event("FeedbackGiven")
    def _feedback_given(self, rating: int, comment: str, actor: str) -> None:
        self.feedback = {"rating": rating, "comment": comment, "status": "awaiting moderation"}

    def moderate(self, *, publish: bool, actor: str, note: object) -> None:
        self.check_feedback_awaiting_moderation()
        self._moderated(
            publish=publish,
            actor=actor,
            note=text(note, field="note", limit=1000, required=not publish),
        )

    @event("FeedbackModerated")
    def _moderated(self, publish: bool, actor: str, note: str) -> None:
        assert self.feedback is not None
        self.feedback = {**self.feedback, "status": "published" if publish else "rejected"}
