"""Tariff and engagements on in-memory stores, with the accreditation context for real."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from accreditation.application import AccreditationApplication
from accreditation.domain import Service
from config.actor import Actor
from config.errors import Conflict, NotAllowed
from config.roles import Role
from marketplace.application import MarketplaceApplication
from marketplace.domain import (
    Chooser,
    ConsentRequiredError,
    Engagement,
    EngagementStateError,
    EngagementStatus,
    FeedbackGivenError,
    MarketplaceError,
    NoRoomError,
    NotAccreditedError,
    OtherProvidersEngagementError,
    Price,
    PriceSource,
    TariffVersion,
    price_for,
)
from marketplace.policies import NoSuchEngagementError
from tests.unit.test_accreditation import ADMIN, DETAILS, NEWCOMER, TODAY, accredit

PERSON = Chooser("sam", "person")
PROVIDER = UUID("00000000-0000-4000-8000-000000000001")
# The register administrator publishes the tariff and moderates feedback.
COUNCIL = Actor(id="council", roles=frozenset({Role.REGISTER_ADMIN}))
ALEX = Actor(id="alex", roles=frozenset({Role.SOCIAL_WORKER}))


def person_actor(ref: str, name: str = "sam") -> Actor:
    """The person themselves, as actor_from_user builds them from their account's link."""
    return Actor(id=name, roles=frozenset({Role.PERSON}), on_behalf_of=((ref, "person"),))


def provider_actor(provider: UUID, name: str = "priya") -> Actor:
    return Actor(id=name, roles=frozenset({Role.PROVIDER_STAFF}), organisation=provider)


SAM = person_actor("DN-000123")


@pytest.fixture
def register(tmp_path: Any) -> AccreditationApplication:
    return AccreditationApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


@pytest.fixture
def market(register: AccreditationApplication) -> MarketplaceApplication:
    app = MarketplaceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.accreditation_of = lambda aid: _get(register, aid)
    app.capacity_of = lambda provider: register.get_provider(provider).details.capacity
    app.room_in_use = lambda provider: Counter(  # what a read model would count
        e.provider
        for e in (
            app.repository.get(n.originator_id) for n in app.recorder.select_notifications(1, 1000)
        )
        if hasattr(e, "status")
        and e.status in (EngagementStatus.REQUESTED, EngagementStatus.ACTIVE)
    )[provider]
    app.publish_tariff(
        today=TODAY,
        actor=COUNCIL,
        effective_from=date(2026, 4, 1),
        support_plan_fee=45000,
        annual_review_fee=20000,
        money_management_fee=2500,
        deductions=[],
        note="Doncaster 2026/27",
    )
    return app


def _get(register: AccreditationApplication, aid: UUID) -> Any:
    try:
        return register.get_accreditation(aid)
    except Exception:  # noqa: BLE001 - not found means not accredited
        return None


def provider(
    register: AccreditationApplication,
    number: str,
    capacity: int = 40,
    service: str = "support_planning",
) -> UUID:
    pid = register.register_provider(
        actor=NEWCOMER, **{**DETAILS, "registration_number": number, "capacity": capacity}
    ).id
    accredit(register, pid, service)
    return pid


def test_tariff_versions_take_effect_on_their_dates(market: MarketplaceApplication) -> None:
    market.publish_tariff(
        today=TODAY,
        actor=COUNCIL,
        effective_from=TODAY + timedelta(days=30),
        support_plan_fee=47000,
        annual_review_fee=21000,
        money_management_fee=2600,
        deductions=[{"name": "Bank charges", "amount": 300}],
        note="",
    )
    assert market.tariff_in_force(TODAY).support_plan_fee == 45000
    assert market.tariff_in_force(TODAY + timedelta(days=30)).support_plan_fee == 47000
    with pytest.raises(MarketplaceError, match="must be after the latest version's date"):
        market.publish_tariff(
            today=TODAY,
            actor=COUNCIL,
            effective_from=TODAY,
            support_plan_fee=1,
            annual_review_fee=1,
            money_management_fee=1,
            deductions=[],
            note="",
        )
    with pytest.raises(MarketplaceError, match="no tariff is in force"):
        market.tariff_in_force(date(2026, 1, 1))


@pytest.mark.parametrize(
    ("prices", "field"),
    [
        ({"support_plan_fee": 0}, "support_plan_fee"),
        ({"annual_review_fee": 1.5}, "annual_review_fee"),
        ({"deductions": [{"name": "", "amount": 5}]}, "deductions[0].name"),
    ],
)
def test_bad_tariffs_are_refused(
    market: MarketplaceApplication, prices: dict[str, Any], field: str
) -> None:
    base = {
        "support_plan_fee": 45000,
        "annual_review_fee": 20000,
        "money_management_fee": 2500,
        "deductions": [],
        "note": "",
    }
    before = market.recorder.max_notification_id()
    with pytest.raises(MarketplaceError) as err:
        market.publish_tariff(
            today=TODAY,
            actor=COUNCIL,
            effective_from=TODAY + timedelta(days=400),
            **{**base, **prices},
        )
    assert err.value.field == field
    assert market.recorder.max_notification_id() == before


def test_choose_accept_feedback_and_moderation(
    market: MarketplaceApplication, register: AccreditationApplication
) -> None:
    planner = provider(register, "1000001")
    engagement = market.choose(
        person="DN-000123",
        provider=planner,
        service="support_planning",
        actor=person_actor("DN-000123"),
        today=TODAY,
        key="k1",
    )
    assert (
        market.choose(
            person="DN-000123",
            provider=planner,
            service="support_planning",
            actor=person_actor("DN-000123"),
            today=TODAY,
            key="k1",
        )
        == engagement
    )
    found = market.get_engagement(engagement)
    assert (found.status, found.price, found.tariff_version) == (
        EngagementStatus.REQUESTED,
        45000,
        1,
    )
    market.accept(engagement, actor=provider_actor(planner), today=TODAY)
    assert market.get_engagement(engagement).status is EngagementStatus.ACTIVE
    market.give_feedback(engagement, actor=SAM, rating=5, comment="Listened to me")
    with pytest.raises(Conflict):
        market.give_feedback(engagement, actor=SAM, rating=4, comment="again")
    market.moderate_feedback(engagement, actor=COUNCIL, publish=True, note="")
    assert market.get_engagement(engagement).feedback == {
        "rating": 5,
        "comment": "Listened to me",
        "status": "published",
    }


def test_only_an_accredited_service_with_room_can_be_chosen(
    market: MarketplaceApplication, register: AccreditationApplication
) -> None:
    planner = provider(register, "1000002", capacity=1)
    suspended = provider(register, "1000003")
    register.suspend(
        register.accreditation_of(suspended, "support_planning").id,
        actor=ADMIN,
        reason="r",
        today=TODAY,
    )
    manager_only = provider(register, "1000004", service="money_management")
    before = market.recorder.max_notification_id()
    with pytest.raises(
        MarketplaceError, match="not accredited for independent support planning today"
    ):
        market.choose(
            person="DN-1",
            provider=suspended,
            service="support_planning",
            actor=person_actor("DN-1"),
            today=TODAY,
            key="a",
        )
    with pytest.raises(MarketplaceError, match="not accredited"):
        market.choose(
            person="DN-1",
            provider=manager_only,
            service="support_planning",
            actor=person_actor("DN-1"),
            today=TODAY,
            key="b",
        )
    with pytest.raises(MarketplaceError, match="not accredited"):  # expired by the day
        market.choose(
            person="DN-1",
            provider=planner,
            service="support_planning",
            actor=person_actor("DN-1"),
            today=TODAY + timedelta(days=400),
            key="c",
        )
    assert market.recorder.max_notification_id() == before
    market.choose(
        person="p1",
        provider=planner,
        service="support_planning",
        actor=person_actor("p1"),
        today=TODAY,
        key="d",
    )
    with pytest.raises(MarketplaceError, match="no room"):
        market.choose(
            person="p2",
            provider=planner,
            service="support_planning",
            actor=person_actor("p2"),
            today=TODAY,
            key="e",
        )


def test_a_worker_must_record_consent(
    market: MarketplaceApplication, register: AccreditationApplication
) -> None:
    planner = provider(register, "1000005")
    with pytest.raises(MarketplaceError, match="record how the person gave consent") as err:
        market.choose(
            actor=ALEX,
            person="DN-1",
            provider=planner,
            service="support_planning",
            today=TODAY,
            key="w",
        )
    assert err.value.field == "consent"
    chosen = market.choose(
        actor=ALEX,
        person="DN-1",
        provider=planner,
        service="support_planning",
        consent="Agreed in person at the assessment, 25 Nov",
        today=TODAY,
        key="w",
    )
    assert market.get_engagement(chosen).chooser == {
        "username": "alex",
        "relationship": "worker",
        "consent": "Agreed in person at the assessment, 25 Nov",
    }


def test_a_provider_cannot_decide_another_providers_engagement(
    market: MarketplaceApplication, register: AccreditationApplication
) -> None:
    ours, theirs = provider(register, "1000006"), provider(register, "1000007")
    engagement = market.choose(
        person="DN-1",
        provider=ours,
        service="support_planning",
        actor=person_actor("DN-1"),
        today=TODAY,
        key="x",
    )
    before = market.recorder.max_notification_id()
    mallory = provider_actor(theirs, "mallory")
    # Told there is no such engagement, as for one that does not exist.
    with pytest.raises(NoSuchEngagementError, match="no engagement"):
        market.accept(engagement, actor=mallory, today=TODAY)
    with pytest.raises(NoSuchEngagementError):
        market.decline(engagement, actor=mallory, reason="no")
    assert market.recorder.max_notification_id() == before
    priya = provider_actor(ours)
    market.decline(engagement, actor=priya, reason="We do not cover that area yet")
    with pytest.raises(EngagementStateError, match="cannot accept: the engagement is declined"):
        market.accept(engagement, actor=priya, today=TODAY)


def test_switching_ends_the_old_engagement_the_day_the_new_one_starts(
    market: MarketplaceApplication, register: AccreditationApplication
) -> None:
    first, second = provider(register, "1000008"), provider(register, "1000009")
    old = market.choose(
        person="DN-1",
        provider=first,
        service="support_planning",
        actor=person_actor("DN-1"),
        today=TODAY,
        key="o",
    )
    market.accept(old, actor=provider_actor(first, "a"), today=TODAY)
    new = market.switch(
        old,
        actor=person_actor("DN-1"),
        to_provider=second,
        today=TODAY + timedelta(days=10),
        key="n",
    )
    assert market.get_engagement(old).status is EngagementStatus.ACTIVE  # until the new one starts
    market.accept(new, actor=provider_actor(second, "b"), today=TODAY + timedelta(days=12))
    ended, started = market.get_engagement(old), market.get_engagement(new)
    assert ended.status is EngagementStatus.ENDED and started.status is EngagementStatus.ACTIVE
    assert ended.ended_on == started.started_on == TODAY + timedelta(days=12)


def test_ending_and_withdrawing(
    market: MarketplaceApplication, register: AccreditationApplication
) -> None:
    planner = provider(register, "1000010")
    asked = market.choose(
        person="DN-1",
        provider=planner,
        service="support_planning",
        actor=person_actor("DN-1"),
        today=TODAY,
        key="1",
    )
    market.end(asked, actor=person_actor("DN-1"), reason="Changed my mind", today=TODAY)
    assert market.get_engagement(asked).status is EngagementStatus.WITHDRAWN
    active = market.choose(
        person="DN-1",
        provider=planner,
        service="support_planning",
        actor=person_actor("DN-1"),
        today=TODAY,
        key="2",
    )
    market.accept(active, actor=provider_actor(planner, "a"), today=TODAY)
    with pytest.raises(NotAllowed, match="only the person, their provider or their worker"):
        market.end(active, actor=COUNCIL, reason="r", today=TODAY)
    market.end(active, actor=provider_actor(planner), reason="Moving out of area", today=TODAY)
    with pytest.raises(EngagementStateError):
        market.end(active, actor=person_actor("DN-1"), reason="again", today=TODAY)
    with pytest.raises(MarketplaceError, match="person, provider or council"):
        market.get_engagement(active).end(by="someone", actor="x", reason="r", today=TODAY)


def test_a_providers_own_price_is_what_a_person_is_charged(
    market: MarketplaceApplication, register: AccreditationApplication
) -> None:
    pid = register.register_provider(
        actor=NEWCOMER,
        **{**DETAILS, "registration_number": "1000011", "offers": {"money_management": "£22.50"}},
    ).id
    accredit(register, pid, "money_management")
    market.offers_of = lambda provider: register.get_provider(provider).details.offers
    engagement = market.choose(
        person="DN-1",
        provider=pid,
        service="money_management",
        actor=person_actor("DN-1"),
        today=TODAY,
        key="o",
    )
    assert market.get_engagement(engagement).price == 2250  # the tariff says 2500


@pytest.mark.parametrize(
    ("offers", "field"),
    [
        ({"gardening": 100}, "offers.gardening"),
        ({"money_management": "£-1"}, "offers.money_management"),
    ],
)
def test_bad_offers_are_refused(
    register: AccreditationApplication, offers: dict[str, Any], field: str
) -> None:
    from accreditation.domain import AccreditationError

    with pytest.raises(AccreditationError) as err:
        register.register_provider(
            actor=NEWCOMER, **{**DETAILS, "registration_number": "1000012", "offers": offers}
        )
    assert err.value.field == field


def test_the_price_is_the_providers_own_else_the_councils_tariff() -> None:
    tariff = TariffVersion(1, TODAY, 45000, 20000, 2500, [], "")
    offers = {"money_management": 2250}
    own = price_for(Service.MONEY_MANAGEMENT, tariff=tariff, offers=offers)
    assert own == Price(2250, PriceSource.OFFER, 2500) and own.differs
    assert own.source.value == "provider's own price"
    council = price_for(Service.SUPPORT_PLANNING, tariff=tariff, offers=offers)
    assert council == Price(45000, PriceSource.TARIFF, 45000) and not council.differs
    assert council.source.value == "council tariff"
    assert price_for(Service.MONEY_MANAGEMENT, tariff=tariff, offers={}).pence == 2500
    same = price_for(Service.MONEY_MANAGEMENT, tariff=tariff, offers={"money_management": 2500})
    assert same.source is PriceSource.OFFER and not same.differs


def test_each_engagement_rule_refuses_with_its_named_error() -> None:
    def request(**change: Any) -> Engagement:
        values: dict[str, Any] = {
            "person": "DN-1",
            "provider": PROVIDER,
            "service": Service.MONEY_MANAGEMENT,
            "chooser": PERSON,
            "accredited_today": True,
            "has_room": True,
            "price": 2500,
            "tariff_version": 1,
            "replaces": None,
            "key": "k",
            **change,
        }
        return Engagement.request(**values)

    with pytest.raises(NotAccreditedError, match="not accredited for money management today"):
        request(accredited_today=False)
    with pytest.raises(NoRoomError, match="no room for new people") as room:
        request(has_room=False)
    assert room.value.field == "provider"
    with pytest.raises(ConsentRequiredError) as consent:
        request(chooser=Chooser("alex", "worker"))
    assert consent.value.field == "consent"
    engagement = request()
    decide: dict[str, Any] = {"actor": "priya", "today": TODAY, "has_room": True}
    with pytest.raises(OtherProvidersEngagementError) as other:
        engagement.accept(provider=uuid4(), accredited_today=True, **decide)
    assert isinstance(other.value, NotAllowed) and other.value.status == 403
    with pytest.raises(NotAccreditedError, match="the service is not accredited today"):
        engagement.accept(provider=PROVIDER, accredited_today=False, **decide)
    with pytest.raises(NoRoomError) as full:
        engagement.accept(provider=PROVIDER, accredited_today=True, **{**decide, "has_room": False})
    assert full.value.field == "capacity"
    engagement.accept(provider=PROVIDER, accredited_today=True, **decide)
    with pytest.raises(EngagementStateError, match="no feedback awaiting moderation"):
        engagement.moderate(publish=True, actor="admin", note="")
    engagement.give_feedback(rating=5, comment="", actor="sam")
    with pytest.raises(FeedbackGivenError) as again:
        engagement.give_feedback(rating=4, comment="", actor="sam")
    assert isinstance(again.value, MarketplaceError) and again.value.status == 409
