"""The accreditation lifecycle on eventsourcing's in-memory store: every step and refusal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from accreditation.application import AccreditationApplication
from accreditation.domain import (
    DEFAULT_CRITERIA,
    Accreditation,
    AccreditationError,
    AccreditationExpiredError,
    Checklist,
    ChecklistError,
    CriteriaNotMetError,
    ExpiryDateError,
    PaymentAccountLinkedError,
    Provider,
    ProviderDetails,
    RegistrationNumberChangedError,
    Status,
    UnknownCriterionError,
    WrongStateError,
)
from config.actor import Actor
from config.errors import Conflict
from config.roles import Role

TODAY = date(2026, 11, 25)
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF"

DETAILS: dict[str, Any] = {
    "name": "Connect Doncaster",
    "registration_kind": "charity",
    "registration_number": "1012345",
    "address": "1 High Street, Doncaster DN1 1AA",
    "email": "hello@connect-doncaster.org.uk",
    "areas": ["DN1", "dn2", "DN4"],
    "languages": ["English", "Polish"],
    "access_needs": ["British Sign Language"],
    "capacity": 40,
}


# The actors the register's commands take: the administrator who runs it, and a provider's
# staff, before their organisation is registered and then acting for it.
ADMIN = Actor(id="admin", roles=frozenset({Role.REGISTER_ADMIN}))
NEWCOMER = Actor(id="provider", roles=frozenset({Role.PROVIDER_STAFF}))


def staff_of_provider(provider: Any, name: str = "provider") -> Actor:
    return Actor(id=name, roles=frozenset({Role.PROVIDER_STAFF}), organisation=provider)


@pytest.fixture
def app(tmp_path: Any) -> AccreditationApplication:
    return AccreditationApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, evidence_dir=tmp_path / "evidence"
    )


def recorded(app: AccreditationApplication) -> int:
    return app.recorder.max_notification_id() or 0


@pytest.fixture
def provider(app: AccreditationApplication) -> Any:
    return app.register_provider(actor=NEWCOMER, **DETAILS).id


def accredit(
    app: AccreditationApplication, provider: Any, service: str = "support_planning"
) -> Any:
    accreditation = app.apply(provider, service=service, actor=staff_of_provider(provider)).id
    app.start_assessment(accreditation, actor=ADMIN)
    for criterion in app.checklist().criteria(1):
        app.assess(
            accreditation, criterion=criterion.code, met=True, evidence=[], note="", actor=ADMIN
        )
    app.accredit(
        accreditation,
        expires_on=TODAY + timedelta(days=365),
        today=TODAY,
        conditions="Report DBS renewals each quarter",
        actor=ADMIN,
        reason="All criteria met",
    )
    return accreditation


def test_registration_normalises_and_refuses_a_second_record(
    app: AccreditationApplication, provider: Any
) -> None:
    found = app.get_provider(provider)
    assert found.details.areas == ["DN1", "DN2", "DN4"]
    before = recorded(app)
    with pytest.raises(Conflict, match="already registered"):
        app.register_provider(actor=NEWCOMER, **DETAILS)
    assert recorded(app) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"registration_number": "12345"}, "registration_number", "registered charity number"),
        (
            {"registration_kind": "company", "registration_number": "1234567"},
            "registration_number",
            "Companies House",
        ),
        ({"registration_kind": "trust"}, "registration_kind", "charity or company"),
        ({"email": "not-an-email"}, "email", "email address"),
        ({"areas": []}, "areas", "at least one postcode district"),
        ({"areas": ["Doncaster"]}, "areas[0]", "postcode district"),
        ({"registration_number": "١٠١٢٣٤٥"}, "registration_number", "registered charity number"),
        (
            {"registration_kind": "company", "registration_number": "０１２３４５６７"},
            "registration_number",
            "Companies House",
        ),
        ({"areas": ["DN١"]}, "areas[0]", "postcode district"),
        ({"capacity": 0}, "capacity", "1 to 10,000"),
        ({"capacity": 2.5}, "capacity", "1 to 10,000"),
        ({"name": "x" * 151}, "name", "at most 150"),
        ({"name": "Bad\x00Name"}, "name", "control characters"),
    ],
)
def test_bad_provider_details_are_refused(
    app: AccreditationApplication, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(AccreditationError, match=message) as err:
        app.register_provider(actor=NEWCOMER, **{**DETAILS, **changes})
    assert err.value.field == field
    assert recorded(app) == 0


def test_company_numbers_of_each_form_are_accepted(app: AccreditationApplication) -> None:
    for number in ("01234567", "SC123456"):
        app.register_provider(
            actor=NEWCOMER,
            **{**DETAILS, "registration_kind": "company", "registration_number": number},
        )


def test_the_whole_lifecycle(app: AccreditationApplication, provider: Any) -> None:
    accreditation = accredit(app, provider)
    found = app.get_accreditation(accreditation)
    assert found.status is Status.ACCREDITED and found.is_accredited_on(TODAY)
    assert found.conditions == "Report DBS renewals each quarter"
    app.suspend(accreditation, actor=ADMIN, reason="Insurance lapsed", today=TODAY)
    assert not app.get_accreditation(accreditation).is_accredited_on(TODAY)
    app.reinstate(accreditation, actor=ADMIN, reason="Insurance renewed", today=TODAY)
    app.renew(
        accreditation,
        actor=ADMIN,
        expires_on=TODAY + timedelta(days=700),
        today=TODAY,
        reason="Renewal assessed",
    )
    assert app.get_accreditation(accreditation).expires_on == TODAY + timedelta(days=700)
    app.withdraw(accreditation, actor=ADMIN, reason="Organisation closed", today=TODAY)
    assert app.get_accreditation(accreditation).status is Status.WITHDRAWN
    app.apply(
        provider,
        service="support_planning",
        actor=staff_of_provider(provider),
        note="Reopened under new management",
    )
    assert app.get_accreditation(accreditation).status is Status.APPLIED


def test_accrediting_needs_every_criterion_met(
    app: AccreditationApplication, provider: Any
) -> None:
    accreditation = app.apply(
        provider, service="money_management", actor=staff_of_provider(provider)
    ).id
    app.start_assessment(accreditation, actor=ADMIN)
    app.assess(
        accreditation,
        criterion="insurance",
        met=False,
        evidence=[],
        note="Certificate expired",
        actor=ADMIN,
    )
    before = recorded(app)
    with pytest.raises(
        AccreditationError, match="not yet met: Safeguarding policy, Insurance"
    ) as err:
        app.accredit(
            accreditation,
            expires_on=TODAY + timedelta(days=365),
            today=TODAY,
            conditions="",
            actor=ADMIN,
            reason="ok",
        )
    assert err.value.field == "criteria"
    assert recorded(app) == before
    app.refuse(accreditation, actor=ADMIN, reasons="Insurance not in force")
    assert app.get_accreditation(accreditation).status is Status.REFUSED


def test_an_unmet_criterion_needs_a_note_and_unknown_ones_are_refused(
    app: AccreditationApplication, provider: Any
) -> None:
    accreditation = app.apply(
        provider, service="money_management", actor=staff_of_provider(provider)
    ).id
    app.start_assessment(accreditation, actor=ADMIN)
    with pytest.raises(AccreditationError) as err:
        app.assess(accreditation, criterion="dbs", met=False, evidence=[], note="", actor=ADMIN)
    assert err.value.field == "note"
    with pytest.raises(AccreditationError, match="not a criterion of checklist version 1"):
        app.assess(accreditation, criterion="vibes", met=True, evidence=[], note="", actor=ADMIN)
    with pytest.raises(AccreditationError, match="a document this provider uploaded"):
        app.assess(
            accreditation, criterion="dbs", met=True, evidence=["nope"], note="", actor=ADMIN
        )


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            lambda app, a: app.suspend(a, actor=ADMIN, reason="r", today=TODAY),
            "cannot suspend: this accreditation is applied",
        ),
        (lambda app, a: app.reinstate(a, actor=ADMIN, reason="r", today=TODAY), "cannot reinstate"),
        (lambda app, a: app.withdraw(a, actor=ADMIN, reason="r", today=TODAY), "cannot withdraw"),
        (
            lambda app, a: app.renew(
                a, actor=ADMIN, expires_on=TODAY + timedelta(days=9), today=TODAY, reason="r"
            ),
            "cannot renew",
        ),
        (
            lambda app, a: app.assess(
                a, criterion="dbs", met=True, evidence=[], note="", actor=ADMIN
            ),
            "cannot record an assessment",
        ),
    ],
)
def test_steps_out_of_order_are_refused(
    app: AccreditationApplication, provider: Any, step: Any, message: str
) -> None:
    accreditation = app.apply(
        provider, service="support_planning", actor=staff_of_provider(provider)
    ).id
    before = recorded(app)
    with pytest.raises(WrongStateError, match=message):
        step(app, accreditation)
    assert recorded(app) == before


def test_a_checklist_version_is_kept_by_the_assessment_that_began_with_it(
    app: AccreditationApplication, provider: Any
) -> None:
    accreditation = app.apply(
        provider, service="support_planning", actor=staff_of_provider(provider)
    ).id
    app.start_assessment(accreditation, actor=ADMIN)
    version = app.publish_checklist(
        criteria=[{"code": "new", "title": "A new criterion", "description": "Added later"}],
        actor=ADMIN,
    )
    assert version == 2
    with pytest.raises(AccreditationError, match="'new' is not a criterion of checklist version 1"):
        app.assess(accreditation, criterion="new", met=True, evidence=[], note="", actor=ADMIN)


def test_expiry_and_reminders(app: AccreditationApplication, provider: Any) -> None:
    accreditation = accredit(app, provider)
    expiry = TODAY + timedelta(days=365)
    assert app.expire_and_remind([accreditation], today=expiry - timedelta(days=61)) == (0, 0)
    assert app.expire_and_remind([accreditation], today=expiry - timedelta(days=60)) == (0, 1)
    assert app.expire_and_remind([accreditation], today=expiry - timedelta(days=59)) == (
        0,
        0,
    )  # sent once
    assert app.expire_and_remind([accreditation], today=expiry - timedelta(days=7)) == (0, 1)
    assert app.expire_and_remind([accreditation], today=expiry) == (0, 0)
    assert app.get_accreditation(accreditation).is_accredited_on(expiry)
    assert app.expire_and_remind([accreditation], today=expiry + timedelta(days=1)) == (1, 0)
    assert app.get_accreditation(accreditation).status is Status.EXPIRED
    assert app.expire_and_remind([accreditation], today=expiry + timedelta(days=2)) == (0, 0)


@pytest.mark.parametrize(
    ("content", "kind", "expires", "field", "message"),
    [
        (b"", "insurance certificate", None, "file", "empty"),
        (b"MZ\x90\x00 an executable", "insurance certificate", None, "file", "PDF, PNG or JPEG"),
        (
            b"%PDF-" + b"0" * (5 * 1024 * 1024),
            "insurance certificate",
            None,
            "file",
            "smaller than 5 MB",
        ),
        (PDF, "selfie", None, "kind", "must be one of"),
        (PDF, "insurance certificate", TODAY, "expires_on", "in the future"),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_kept(
    app: AccreditationApplication,
    provider: Any,
    content: bytes,
    kind: str,
    expires: Any,
    field: str,
    message: str,
) -> None:
    before = recorded(app)
    with pytest.raises(AccreditationError, match=message) as err:
        app.add_evidence(
            provider,
            kind=kind,
            filename="x.pdf",
            content=content,
            expires_on=expires,
            today=TODAY,
            actor=staff_of_provider(provider),
        )
    assert err.value.field == field
    assert recorded(app) == before
    assert app.evidence_dir is not None and not app.evidence_dir.exists()


def test_evidence_is_kept_by_its_digest(app: AccreditationApplication, provider: Any) -> None:
    evidence = app.add_evidence(
        provider,
        kind="insurance certificate",
        filename="../../etc/passwd.pdf",
        content=PDF,
        expires_on=TODAY + timedelta(days=200),
        today=TODAY,
        actor=staff_of_provider(provider),
    )
    kept = app.get_provider(provider).evidence[evidence]
    assert kept["content_type"] == "application/pdf" and kept["filename"] == ".._.._etc_passwd.pdf"
    assert app.evidence_dir is not None
    assert (app.evidence_dir / kept["sha256"]).read_bytes() == PDF


def test_each_rule_refuses_with_its_named_error() -> None:
    details = ProviderDetails.create(**DETAILS)
    provider = Provider.register(details, actor="provider")
    moved = ProviderDetails.create(**{**DETAILS, "registration_number": "1012346"})
    with pytest.raises(RegistrationNumberChangedError) as err:
        provider.update(moved, actor="provider")
    assert err.value.field == "registration_number"
    provider.link_payment_account(account="acct_1", actor="finance")
    with pytest.raises(PaymentAccountLinkedError) as linked:
        provider.link_payment_account(account="acct_2", actor="finance")
    assert isinstance(linked.value, Conflict) and linked.value.status == 409
    checklist = Checklist(actor="council")
    with pytest.raises(ChecklistError, match="at least one criterion"):
        checklist.publish(criteria=[], actor="council")
    with pytest.raises(ChecklistError, match="its own code"):
        checklist.publish(criteria=[DEFAULT_CRITERIA[0]] * 2, actor="council")
    criteria = DEFAULT_CRITERIA[:1]
    accreditation = Accreditation.apply_for(
        provider=provider.id, service="support_planning", actor="provider"
    )
    accreditation.start_assessment(actor="admin", checklist_version=1)
    with pytest.raises(UnknownCriterionError, match="'dbs' is not a criterion"):
        accreditation.assess(
            criteria=criteria, code="dbs", met=True, evidence=[], note="", actor="admin"
        )
    accredit: dict[str, Any] = {"today": TODAY, "conditions": "", "actor": "a", "reason": "r"}
    year = TODAY + timedelta(days=365)
    with pytest.raises(CriteriaNotMetError, match="not yet met: Safeguarding policy"):
        accreditation.accredit(criteria=criteria, expires_on=year, **accredit)
    accreditation.assess(
        criteria=criteria, code="safeguarding", met=True, evidence=[], note="", actor="admin"
    )
    for expires_on, message in ((TODAY, "after today"), (TODAY + timedelta(days=1200), "three")):
        with pytest.raises(ExpiryDateError, match=message):
            accreditation.accredit(criteria=criteria, expires_on=expires_on, **accredit)
    accreditation.accredit(criteria=criteria, expires_on=year, **accredit)
    with pytest.raises(ExpiryDateError, match="after the current expiry date"):
        accreditation.renew(actor="a", expires_on=year, today=TODAY, reason="r")
    accreditation.suspend(actor="a", reason="r", today=TODAY)
    with pytest.raises(AccreditationExpiredError) as expired:
        accreditation.reinstate(actor="a", reason="r", today=year + timedelta(days=1))
    assert isinstance(expired.value, WrongStateError) and expired.value.field == "status"
