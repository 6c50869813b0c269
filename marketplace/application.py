"""The marketplace use cases: publish the tariff, choose, accept, decline, switch, end, feedback.

The context's one door: every command takes the ``Actor`` asking and calls the context's
policies (marketplace/policies.py) itself, so the API and the pages get the same answer. The
actor's id is recorded as each event's actor, as before.
"""

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
from config.actor import Actor
from config.errors import Conflict
from config.transcodings import ContextApplication
from config.validation import council_ref
from marketplace import policies
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

    def publish_tariff(self, *, actor: Actor, today: date, **prices: Any) -> int:
        """A new version of the council's tariff (policies.check_may_publish_tariff)."""
        policies.check_may_publish_tariff(actor)
        tariff = self.tariff()
        version = tariff.publish(today=today, actor=actor.id, **prices)
        self.save(tariff)
        return version

    # -- engagements
    def choose(
        self,
        *,
        actor: Actor,
        provider: UUID,
        service: object,
        today: date,
        key: str,
        person: object = "",
        consent: object = "",
    ) -> UUID:
        """A person (or someone for them) chooses a provider: the engagement is requested.
        Whom it is for and as whom the actor chooses are the policy's (policies.whom_for,
        policies.chooser); the key is the actor's own, so a retry finds the first choice."""
        chosen_for = policies.whom_for(actor, person)
        chooser = policies.chooser(actor, chosen_for, consent=consent)
        return self._request(
            person=chosen_for,
            provider=provider,
            service=service,
            chooser=chooser,
            today=today,
            key=f"{actor.id}:{key}",
        )

    def _request(
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
        self,
        engagement: UUID,
        *,
        actor: Actor,
        to_provider: UUID,
        today: date,
        key: str,
        consent: object = "",
    ) -> UUID:
        """Ask a new provider; the old engagement ends the day the new one is accepted. Who may
        switch is who may choose for the engagement's person."""
        old = self.engagement_for(actor, engagement)
        chooser = policies.chooser(actor, old.person, consent=consent)
        old.check_status(EngagementStatus.ACTIVE, doing="switch provider")
        if to_provider == old.provider:
            raise MarketplaceError("choose a different provider to switch to", field="provider")
        return self._request(
            person=old.person,
            provider=to_provider,
            service=old.service,
            chooser=chooser,
            today=today,
            key=f"{actor.id}:{key}",
            replaces=old.id,
        )

    def accept(self, engagement: UUID, *, actor: Actor, today: date) -> None:
        """The provider's staff accept a request (policies.provider_deciding)."""
        found = self.get_engagement(engagement)
        provider = policies.provider_deciding(actor, provider=found.provider, engagement=engagement)
        found.accept(
            provider=provider,
            actor=actor.id,
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

    def decline(self, engagement: UUID, *, actor: Actor, reason: object) -> None:
        """The provider's staff decline a request, saying why (policies.provider_deciding)."""
        found = self.get_engagement(engagement)
        provider = policies.provider_deciding(actor, provider=found.provider, engagement=engagement)
        found.decline(provider=provider, actor=actor.id, reason=reason)
        self.save(found)

    def end(self, engagement: UUID, *, actor: Actor, reason: object, today: date) -> None:
        """The person withdraws a request or ends support; or the provider or the council ends
        it (policies.ended_by says which the actor is)."""
        found = self.engagement_for(actor, engagement)
        by = policies.ended_by(actor, person=found.person, provider=found.provider)
        found.end(by=by, actor=actor.id, reason=reason, today=today)
        self.save(found)

    def give_feedback(
        self, engagement: UUID, *, actor: Actor, rating: object, comment: object
    ) -> None:
        """The person's feedback on their engagement (policies.check_may_give_feedback)."""
        found = self.engagement_for(actor, engagement)
        policies.check_may_give_feedback(actor, person=found.person)
        found.give_feedback(rating=rating, comment=comment, actor=actor.id)
        self.save(found)

    def moderate_feedback(
        self, engagement: UUID, *, actor: Actor, publish: bool, note: object
    ) -> None:
        """The register administrator publishes or rejects feedback (policies.
        check_may_moderate)."""
        policies.check_may_moderate(actor)
        found = self.get_engagement(engagement)
        found.moderate(publish=publish, actor=actor.id, note=note)
        self.save(found)

    def engagement_for(self, actor: Actor, engagement: UUID) -> Engagement:
        """The engagement, if the actor may see it (policies.may_see); else, as when there is
        none, NoSuchEngagementError."""
        found = self.get_engagement(engagement)
        policies.may_see(actor, person=found.person, provider=found.provider, engagement=engagement)
        return found

    def get_engagement(self, engagement: UUID) -> Engagement:
        try:
            found: Any = self.repository.get(engagement)
        except AggregateNotFoundError:
            raise policies.no_such_engagement(engagement) from None
        if not isinstance(found, Engagement):
            raise policies.no_such_engagement(engagement)
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
