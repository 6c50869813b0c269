"""The marketplace use cases: publish the tariff, choose, accept, decline, switch, end, feedback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

import accreditation.domain
import marketplace.domain
from accreditation.domain import Accreditation, Service, Status, accreditation_id
from config.errors import Conflict, NotFound
from config.transcodings import ContextApplication
from config.validation import council_ref
from marketplace.domain import (
    Chooser,
    Engagement,
    EngagementStatus,
    MarketplaceError,
    Tariff,
    TariffVersion,
    price_for,
)

# Asked of the read models: how many people a provider holds now (active or requested), all
# services together, since capacity is the organisation's.
RoomInUse = Callable[[UUID], int]
# Asked of the accreditation context: the accreditation of a provider's service, if any.
AccreditationOf = Callable[[UUID], Accreditation | None]


class MarketplaceApplication(ContextApplication):
    name = "Marketplace"
    domain_modules = (marketplace.domain, accreditation.domain)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set by marketplace/services.py; tests give their own.
        self.accreditation_of: AccreditationOf = lambda _id: None
        self.capacity_of: Callable[[UUID], int] = lambda _provider: 0
        self.room_in_use: RoomInUse = lambda _provider: 0
        # Whether the person already has a request or support with this provider's service.
        self.has_open: Callable[[str, UUID, Service], bool] = lambda _person, _p, _s: False
        # The provider's own prices, by service, where they differ from the tariff.
        self.offers_of: Callable[[UUID], Mapping[str, int]] = lambda _provider: {}

    # -- tariff
    def tariff(self) -> Tariff:
        try:
            found: Any = self.repository.get(Tariff.ID)
        except AggregateNotFoundError:
            return Tariff()
        assert isinstance(found, Tariff)
        return found

    def tariff_in_force(self, day: date) -> TariffVersion:
        return self.tariff().in_force(day)

    def publish_tariff(self, *, today: date, actor: str, **prices: Any) -> int:
        tariff = self.tariff()
        version = tariff.publish(today=today, actor=actor, **prices)
        self.save(tariff)
        return version

    # -- engagements
    def choose(
        self,
        *,
        person: str,
        provider: UUID,
        service: object,
        chooser: Chooser,
        today: date,
        key: str,
        replaces: UUID | None = None,
    ) -> UUID:
        """A person (or someone for them) chooses a provider: the engagement is requested."""
        try:
            chosen = Service(str(service))
        except ValueError:
            raise MarketplaceError(
                "must be support_planning or money_management", field="service"
            ) from None
        # Checked before any look-up, so a malformed reference never reaches the database.
        person = council_ref(person, field="person", error=MarketplaceError)
        earlier = self._earlier_choice(key, person, provider, chosen)
        if earlier is not None:  # a retry finds the first, whatever has changed since
            return earlier
        if self.has_open(person, provider, chosen):
            # One open engagement per person, provider and service: no filling a provider's
            # capacity with repeated requests.
            raise MarketplaceError(
                "you already have a request or support with this provider for this service",
                field="provider",
            )
        tariff = self.tariff_in_force(today)
        engagement = Engagement.request(
            person=person,
            provider=provider,
            service=chosen,
            chooser=chooser,
            accredited_today=self._accredited(provider, chosen, today),
            has_room=self._has_room(provider),
            price=price_for(chosen, tariff=tariff, offers=self.offers_of(provider)).pence,
            tariff_version=tariff.version,
            replaces=replaces,
            key=key,
        )
        try:
            self.save(engagement)
        except IntegrityError:  # the same key at the same moment
            earlier = self._earlier_choice(key, person, provider, chosen)
            assert earlier is not None
            return earlier
        return engagement.id

    def _earlier_choice(
        self, key: str, person: str, provider: UUID, service: Service
    ) -> UUID | None:
        try:
            found: Any = self.repository.get(Engagement.create_id(key))
        except AggregateNotFoundError:
            return None
        if (found.person, found.provider, found.service) != (person, provider, service):
            raise Conflict("this key was already used for another choice", field="key")
        return found.id  # type: ignore[no-any-return]

    def switch(
        self, engagement: UUID, *, to_provider: UUID, chooser: Chooser, today: date, key: str
    ) -> UUID:
        """Ask a new provider; the old engagement ends the day the new one is accepted."""
        old = self.get_engagement(engagement)
        old.check_status(EngagementStatus.ACTIVE, doing="switch provider")
        if to_provider == old.provider:
            raise MarketplaceError("choose a different provider to switch to", field="provider")
        return self.choose(
            person=old.person,
            provider=to_provider,
            service=old.service,
            chooser=chooser,
            today=today,
            key=key,
            replaces=old.id,
        )

    def accept(self, engagement: UUID, *, provider: UUID, actor: str, today: date) -> None:
        found = self.get_engagement(engagement)
        found.accept(
            provider=provider,
            actor=actor,
            today=today,
            accredited_today=self._accredited(found.provider, found.service, today),
            # This request is already counted in the room in use.
            has_room=self.room_in_use(found.provider) <= self.capacity_of(found.provider),
        )
        replaced = []
        if found.replaces is not None:
            # Switching: the old engagement ends the same day, so there is no gap.
            old = self.get_engagement(found.replaces)
            if old.status is EngagementStatus.ACTIVE:
                old.end(
                    by="person",
                    actor=found.chooser["username"],
                    reason="switched provider",
                    today=today,
                )
                replaced.append(old)
        self.save(found, *replaced)

    def decline(self, engagement: UUID, *, provider: UUID, actor: str, reason: object) -> None:
        found = self.get_engagement(engagement)
        found.decline(provider=provider, actor=actor, reason=reason)
        self.save(found)

    def end(self, engagement: UUID, *, by: str, actor: str, reason: object, today: date) -> None:
        found = self.get_engagement(engagement)
        found.end(by=by, actor=actor, reason=reason, today=today)
        self.save(found)

    def give_feedback(
        self, engagement: UUID, *, rating: object, comment: object, actor: str
    ) -> None:
        found = self.get_engagement(engagement)
        found.give_feedback(rating=rating, comment=comment, actor=actor)
        self.save(found)

    def moderate_feedback(
        self, engagement: UUID, *, publish: bool, actor: str, note: object
    ) -> None:
        found = self.get_engagement(engagement)
        found.moderate(publish=publish, actor=actor, note=note)
        self.save(found)

    def get_engagement(self, engagement: UUID) -> Engagement:
        try:
            found: Any = self.repository.get(engagement)
        except AggregateNotFoundError:
            raise NotFound(f"no engagement {engagement}", field="engagement") from None
        if not isinstance(found, Engagement):
            raise NotFound(f"no engagement {engagement}", field="engagement")
        return found

    # -- helpers
    def _accredited(self, provider: UUID, service: Service, today: date) -> bool:
        found = self.accreditation_of(accreditation_id(provider, service))
        return (
            found is not None
            and found.status is Status.ACCREDITED
            and found.is_accredited_on(today)
        )

    def _has_room(self, provider: UUID) -> bool:
        return self.room_in_use(provider) < self.capacity_of(provider)
