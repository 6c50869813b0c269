"""The marketplace's policies (marketplace/policies.py): who may, who may not, at which stage.

One test per policy; each is decided from the ``Actor`` and whose engagement it is alone, and
refuses with its named error. The stage each step needs is the engagement's own check, shown
last on a real ``Engagement`` taken through its steps with the actors the policies allow.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from accreditation.domain import Service
from config.actor import Actor
from config.errors import NotAllowed, NotFound, NotVisible
from config.roles import Role
from marketplace import policies
from marketplace.domain import (
    Chooser,
    Engagement,
    EngagementStateError,
    EngagementStatus,
    MarketplaceError,
)
from marketplace.policies import NoSuchEngagementError, NotPermittedError, Scope, Sight
from tests.unit.test_accreditation import TODAY

SAM_REF, LEE_REF = "DN-000123", "DN-000456"
CONNECT = uuid4()  # the provider Sam engaged
ELSEWHERE = uuid4()  # a provider he did not


def actor(
    name: str,
    *roles: Role,
    organisation: UUID | None = None,
    links: tuple[tuple[str, str], ...] = (),
) -> Actor:
    return Actor(id=name, roles=frozenset(roles), organisation=organisation, on_behalf_of=links)


SAM = actor("sam", Role.PERSON, links=((SAM_REF, "person"),))
NINA = actor("nina", Role.PERSON, links=((SAM_REF, "nominee"), (LEE_REF, "advocate")))
LEE = actor("lee", Role.PERSON, links=((LEE_REF, "person"),))
UNLINKED = actor("una", Role.PERSON)
ALEX = actor("alex", Role.SOCIAL_WORKER)
JO = actor("jo", Role.TEAM_MANAGER)
RAE = actor("rae", Role.REGISTER_ADMIN)
AVA = actor("ava", Role.AUDITOR)
FARAH = actor("farah", Role.FINANCE_OFFICER)
CHRIS = actor("chris", Role.PANEL_MEMBER)
PRIYA = actor("priya", Role.PROVIDER_STAFF, organisation=CONNECT)
SOL = actor("sol", Role.PROVIDER_STAFF, organisation=ELSEWHERE)
NEW_STAFF = actor("nat", Role.PROVIDER_STAFF)  # their organisation is not registered yet
SAMS: dict[str, Any] = {"person": SAM_REF, "provider": CONNECT}  # Sam's engagement of Connect


def test_who_may_see_an_engagement() -> None:
    assert policies.may_see(ALEX, **SAMS) is Sight.STAFF
    assert policies.may_see(JO, **SAMS) is Sight.STAFF
    assert policies.may_see(RAE, **SAMS) is Sight.STAFF
    assert policies.may_see(AVA, **SAMS) is Sight.STAFF
    assert policies.may_see(SAM, **SAMS) is Sight.PERSON
    assert policies.may_see(NINA, **SAMS) is Sight.PERSON  # his nominee
    assert policies.may_see(PRIYA, **SAMS) is Sight.PROVIDER
    for stranger in (LEE, UNLINKED, SOL, NEW_STAFF, FARAH, CHRIS):
        with pytest.raises(NoSuchEngagementError, match="no engagement") as refused:
            policies.may_see(stranger, **SAMS, engagement="e-1")
        # Told as if it did not exist: 404, and the pages' 404 rather than a form error.
        assert isinstance(refused.value, NotVisible) and isinstance(refused.value, NotFound)
        assert refused.value.status == 404 and refused.value.field == "engagement"


def test_which_engagements_each_actor_lists() -> None:
    assert policies.engagements_scope(PRIYA) == Scope(provider=CONNECT)
    assert policies.engagements_scope(NEW_STAFF) == Scope()  # none before it is registered
    assert policies.engagements_scope(ALEX) == Scope(everyone=True)
    assert policies.engagements_scope(AVA, person=SAM_REF) == Scope(people=(SAM_REF,))
    assert policies.engagements_scope(RAE) == Scope(everyone=True)
    assert policies.engagements_scope(NINA) == Scope(people=(SAM_REF, LEE_REF))
    # A person names no one else: they list their own people whatever they ask.
    assert policies.engagements_scope(LEE, person=SAM_REF) == Scope(people=(LEE_REF,))
    assert policies.engagements_scope(UNLINKED) == Scope()
    for outsider in (FARAH, CHRIS, actor("nobody")):
        with pytest.raises(NotPermittedError, match="person, provider staff or a worker") as no:
            policies.engagements_scope(outsider)
        assert isinstance(no.value, NotAllowed) and no.value.status == 403


def test_whom_a_choice_is_for() -> None:
    assert policies.whom_for(SAM) == SAM_REF  # the one person they act for
    assert policies.whom_for(SAM, SAM_REF) == SAM_REF
    assert policies.whom_for(ALEX, LEE_REF) == LEE_REF
    assert policies.whom_for(NINA, LEE_REF) == LEE_REF
    with pytest.raises(MarketplaceError, match="name the person you are choosing for") as worker:
        policies.whom_for(ALEX)
    assert worker.value.field == "person" and worker.value.status == 422
    with pytest.raises(MarketplaceError, match="choose who this support is for") as several:
        policies.whom_for(NINA)
    assert several.value.field == "person" and several.value.status == 422
    with pytest.raises(NotPermittedError, match="not linked to a person yet"):
        policies.whom_for(UNLINKED)


def test_who_may_choose_for_a_person_and_as_whom() -> None:
    assert policies.chooser(SAM, SAM_REF) == Chooser("sam", "person")
    assert policies.chooser(NINA, SAM_REF) == Chooser("nina", "nominee")
    assert policies.chooser(NINA, LEE_REF) == Chooser("nina", "advocate")
    # A worker chooses with the person's consent, which the engagement checks is recorded.
    assert policies.chooser(ALEX, SAM_REF, consent="Agreed at the visit") == Chooser(
        "alex", "worker", "Agreed at the visit"
    )
    assert policies.chooser(JO, LEE_REF).relationship == "worker"
    for stranger in (LEE, UNLINKED, PRIYA, RAE, AVA):
        with pytest.raises(NotPermittedError, match="only choose for yourself or someone"):
            policies.chooser(stranger, SAM_REF)


def test_only_the_providers_own_staff_accept_or_decline() -> None:
    assert policies.provider_deciding(PRIYA, provider=CONNECT) == CONNECT
    with pytest.raises(NoSuchEngagementError):  # another provider's: as if there were none
        policies.provider_deciding(SOL, provider=CONNECT)
    with pytest.raises(NotPermittedError, match="register your organisation first"):
        policies.provider_deciding(NEW_STAFF, provider=CONNECT)
    for council in (ALEX, RAE, SAM):
        with pytest.raises(NotPermittedError, match="only the provider's staff"):
            policies.provider_deciding(council, provider=CONNECT)


def test_who_ends_an_engagement_and_as_whom_it_is_recorded() -> None:
    assert policies.ended_by(PRIYA, **SAMS) == "provider"
    assert policies.ended_by(ALEX, **SAMS) == "council"
    assert policies.ended_by(JO, **SAMS) == "council"
    assert policies.ended_by(SAM, **SAMS) == "person"
    assert policies.ended_by(NINA, **SAMS) == "person"
    for refused in (AVA, RAE, LEE, SOL, FARAH):
        with pytest.raises(NotPermittedError, match="only the person, their provider or"):
            policies.ended_by(refused, **SAMS)


def test_only_the_person_or_whoever_acts_for_them_gives_feedback() -> None:
    policies.check_may_give_feedback(SAM, person=SAM_REF)
    policies.check_may_give_feedback(NINA, person=SAM_REF)
    for refused in (LEE, ALEX, PRIYA, RAE):
        with pytest.raises(NotPermittedError, match="only the person"):
            policies.check_may_give_feedback(refused, person=SAM_REF)


def test_only_the_register_administrator_moderates_feedback() -> None:
    policies.check_may_moderate(RAE)
    for refused in (SAM, ALEX, JO, AVA, PRIYA):
        with pytest.raises(NotPermittedError, match="moderated by the register administrator"):
            policies.check_may_moderate(refused)


def test_only_the_register_administrator_publishes_the_tariff() -> None:
    policies.check_may_publish_tariff(RAE)
    for refused in (ALEX, JO, FARAH, AVA, PRIYA, SAM):
        with pytest.raises(NotPermittedError, match="published by the register administrator"):
            policies.check_may_publish_tariff(refused)


def test_each_step_is_taken_at_its_stage_by_whom_the_policies_allow() -> None:
    def requested() -> Engagement:
        return Engagement.request(
            person=SAM_REF,
            provider=CONNECT,
            service=Service.SUPPORT_PLANNING,
            chooser=policies.chooser(SAM, SAM_REF),
            accredited_today=True,
            has_room=True,
            price=45000,
            tariff_version=1,
            replaces=None,
            key="k",
        )

    # Requested: the person withdraws it; neither the provider nor the council can end it yet.
    for ender in (PRIYA, ALEX):
        with pytest.raises(EngagementStateError, match="cannot end: the engagement is requested"):
            requested().end(
                by=policies.ended_by(ender, **SAMS), actor=ender.id, reason="r", today=TODAY
            )
    withdrawn = requested()
    withdrawn.end(by=policies.ended_by(SAM, **SAMS), actor="sam", reason="Changed", today=TODAY)
    assert withdrawn.status is EngagementStatus.WITHDRAWN
    # No feedback before the provider has accepted; once accepted, once ended, yes.
    engagement = requested()
    with pytest.raises(EngagementStateError, match="cannot give feedback"):
        engagement.give_feedback(rating=5, comment="", actor="sam")
    provider = policies.provider_deciding(PRIYA, provider=engagement.provider)
    engagement.accept(
        provider=provider, actor="priya", today=TODAY, accredited_today=True, has_room=True
    )
    with pytest.raises(EngagementStateError, match="cannot decline: the engagement is active"):
        engagement.decline(provider=provider, actor="priya", reason="no")
    engagement.end(by=policies.ended_by(PRIYA, **SAMS), actor="priya", reason="Moved", today=TODAY)
    assert engagement.status is EngagementStatus.ENDED
    engagement.give_feedback(rating=4, comment="Helpful", actor="sam")
    with pytest.raises(EngagementStateError, match="cannot end: the engagement is ended"):
        engagement.end(by="person", actor="sam", reason="again", today=TODAY)
