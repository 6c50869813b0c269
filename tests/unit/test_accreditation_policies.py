"""The register's policies (accreditation/policies.py): who may, who may not, at which stage.

One test per policy, decided from the ``Actor`` and the provider in question alone, each
refusing with its named error; then the application on eventsourcing's in-memory store, to show
each command asks its policy before anything is recorded, and that the stage a step needs is
still the accreditation's own check once the policy lets the actor in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast
from uuid import UUID, uuid4

import pytest

from accreditation import policies
from accreditation.application import AccreditationApplication
from accreditation.domain import WrongStateError
from accreditation.policies import NoSuchEvidenceError, NotPermittedError
from config.actor import Actor
from config.errors import NotAllowed, NotFound, NotVisible
from config.roles import Role
from tests.unit.test_accreditation import DETAILS, PDF, TODAY

CONNECT = uuid4()
ELSEWHERE = uuid4()


def actor(name: str, *roles: Role, organisation: UUID | None = None) -> Actor:
    return Actor(id=name, roles=frozenset(roles), organisation=organisation)


RAE = actor("rae", Role.REGISTER_ADMIN)
PRIYA = actor("priya", Role.PROVIDER_STAFF, organisation=CONNECT)
SOL = actor("sol", Role.PROVIDER_STAFF, organisation=ELSEWHERE)
NAT = actor("nat", Role.PROVIDER_STAFF)  # their organisation is not registered yet
ALEX = actor("alex", Role.SOCIAL_WORKER)
SAM = Actor(id="sam", roles=frozenset({Role.PERSON}), on_behalf_of=(("DN-000123", "person"),))
COUNCIL_STAFF = [actor(f"u-{r.name}", r) for r in Role if r is not Role.REGISTER_ADMIN]


def test_an_organisation_is_registered_by_its_own_staff_once() -> None:
    policies.check_may_register(NAT)
    with pytest.raises(NotPermittedError, match="you already act for a registered organisation"):
        policies.check_may_register(PRIYA)
    for refused in (RAE, ALEX, SAM):
        with pytest.raises(NotPermittedError, match="registered by its own staff") as no:
            policies.check_may_register(refused)
        assert isinstance(no.value, NotAllowed) and no.value.status == 403


def test_a_providers_own_steps_are_its_own_staffs() -> None:
    assert policies.own_organisation(PRIYA) == CONNECT
    policies.check_acts_for(PRIYA, CONNECT, doing="apply")
    with pytest.raises(NotPermittedError, match="you can only apply for your own organisation"):
        policies.check_acts_for(SOL, CONNECT, doing="apply")
    with pytest.raises(NotPermittedError, match="only add evidence for your own organisation"):
        policies.check_acts_for(SOL, CONNECT, doing="add evidence")
    for refused in (NAT, RAE, ALEX, SAM):
        with pytest.raises(NotPermittedError, match="register your organisation first"):
            policies.check_acts_for(refused, CONNECT, doing="apply")
        with pytest.raises(NotPermittedError, match="register your organisation first"):
            policies.own_organisation(refused)


def test_a_payment_account_is_set_up_by_its_staff_or_the_administrator() -> None:
    policies.check_may_set_up_payments(PRIYA, CONNECT)
    policies.check_may_set_up_payments(RAE, CONNECT)  # as they accredit it
    with pytest.raises(NotPermittedError, match="only set up payments for your own"):
        policies.check_may_set_up_payments(SOL, CONNECT)
    with pytest.raises(NotPermittedError, match="register your organisation first"):
        policies.check_may_set_up_payments(ALEX, CONNECT)


def test_evidence_is_read_by_the_administrator_and_its_own_staff_only() -> None:
    policies.check_may_read_evidence(RAE, CONNECT)
    policies.check_may_read_evidence(PRIYA, CONNECT)
    for refused in (SOL, NAT, ALEX, SAM):
        with pytest.raises(NoSuchEvidenceError, match="no such document") as unseen:
            policies.check_may_read_evidence(refused, CONNECT)
        assert isinstance(unseen.value, NotVisible) and isinstance(unseen.value, NotFound)
        assert unseen.value.status == 404


def test_the_register_is_run_by_the_register_administrator() -> None:
    policies.check_may_run_register(RAE, doing="suspend")
    for refused in [*COUNCIL_STAFF, PRIYA]:
        with pytest.raises(NotPermittedError, match="only the register administrator may suspend"):
            policies.check_may_run_register(refused, doing="suspend")


# -- the application asks the policies first
@pytest.fixture
def app(tmp_path: Any) -> AccreditationApplication:
    return AccreditationApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, evidence_dir=tmp_path / "evidence"
    )


def recorded(app: AccreditationApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_each_command_asks_its_policy_before_anything_is_recorded(
    app: AccreditationApplication,
) -> None:
    pid = app.register_provider(actor=NAT, **DETAILS).id
    staff = actor("nat", Role.PROVIDER_STAFF, organisation=pid)
    other = actor("sol", Role.PROVIDER_STAFF, organisation=uuid4())
    aid = app.apply(pid, service="support_planning", actor=staff).id
    before = recorded(app)
    year = TODAY + timedelta(days=365)
    admin_steps = {
        "start an assessment": lambda who: app.start_assessment(aid, actor=who),
        "assess a criterion": lambda who: app.assess(
            aid, criterion="dbs", met=True, evidence=[], note="", actor=who
        ),
        "accredit": lambda who: app.accredit(
            aid, expires_on=year, today=TODAY, conditions="", actor=who, reason="r"
        ),
        "refuse": lambda who: app.refuse(aid, actor=who, reasons="r"),
        "suspend": lambda who: app.suspend(aid, actor=who, reason="r", today=TODAY),
        "reinstate": lambda who: app.reinstate(aid, actor=who, reason="r", today=TODAY),
        "withdraw": lambda who: app.withdraw(aid, actor=who, reason="r", today=TODAY),
        "renew": lambda who: app.renew(aid, actor=who, expires_on=year, today=TODAY, reason="r"),
        "publish the checklist": lambda who: app.publish_checklist(
            criteria=[{"code": "x", "title": "X", "description": "X"}], actor=who
        ),
    }
    for doing, step in admin_steps.items():
        with pytest.raises(NotPermittedError, match=f"only the register administrator may {doing}"):
            step(staff)
    provider_steps = {
        "apply": lambda who: app.apply(pid, service="money_management", actor=who),
        "add evidence": lambda who: app.add_evidence(
            pid,
            kind="insurance certificate",
            filename="c.pdf",
            content=PDF,
            expires_on=None,
            today=TODAY,
            actor=who,
        ),
        "change the details": lambda who: app.update_provider(pid, actor=who, **DETAILS),
    }
    for doing, step in provider_steps.items():
        with pytest.raises(NotPermittedError, match=f"only {doing} for your own organisation"):
            step(other)
        with pytest.raises(NotPermittedError, match="register your organisation first"):
            step(RAE)
    with pytest.raises(NotPermittedError, match="already act for a registered organisation"):
        app.register_provider(actor=staff, **{**DETAILS, "registration_number": "1099999"})
    assert recorded(app) == before  # nothing was recorded for any refused actor
    # Let in, the step is still taken only at its stage: the accreditation's own check.
    with pytest.raises(WrongStateError, match="cannot suspend: this accreditation is applied"):
        app.suspend(aid, actor=RAE, reason="r", today=TODAY)
    app.start_assessment(aid, actor=RAE)
    *_, started = app.events.get(aid)
    assert cast(Any, started).actor == "rae"  # the actor's id, recorded as before


def test_evidence_is_read_through_the_application_by_whom_the_policy_allows(
    app: AccreditationApplication,
) -> None:
    pid = app.register_provider(actor=NAT, **DETAILS).id
    staff = actor("nat", Role.PROVIDER_STAFF, organisation=pid)
    evidence = app.add_evidence(
        pid,
        kind="insurance certificate",
        filename="cert.pdf",
        content=PDF,
        expires_on=None,
        today=TODAY,
        actor=staff,
    )
    app.provider_of_evidence = lambda e: pid if e == evidence else None  # the read model's
    for reader in (staff, RAE):
        kept = app.read_evidence(reader, evidence)
        assert (kept.filename, kept.content_type, kept.content) == (
            "cert.pdf",
            "application/pdf",
            PDF,
        )
    for refused in (SOL, ALEX, SAM):
        with pytest.raises(NoSuchEvidenceError):
            app.read_evidence(refused, evidence)
    with pytest.raises(NoSuchEvidenceError):  # one that does not exist: the same answer
        app.read_evidence(RAE, str(uuid4()))
    digest = app.get_provider(pid).evidence[evidence]["sha256"]
    assert app.evidence_dir is not None
    (app.evidence_dir / digest).write_bytes(b"%PDF-1.4 forged")
    with pytest.raises(NotFound, match="no longer matches what was uploaded"):
        app.read_evidence(RAE, evidence)
