"""Providers, the services they offer, and each service's accreditation: pure Python, no I/O.

An organisation is accredited per service (independent support planning, money
management) against the council's criteria checklist, in force in the version the
assessment started with. Every step is an event with its actor and reason, so the
public register can show not only the status now but its history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config import versions
from config.errors import Conflict, DomainError
from config.validation import clean_text, is_email_address
from ledger.money import MoneyError, check_pence, parse_pounds

NAMESPACE = UUID("5b1c5d8e-3f0a-4c7e-9a51-0b6f1e2d3c4a")


class AccreditationError(DomainError):
    pass


class WrongStateError(AccreditationError, Conflict):
    """The step does not follow from where the accreditation is now."""


class AccreditationExpiredError(WrongStateError):
    """An expired accreditation cannot be reinstated: the provider applies again."""


class RegistrationNumberChangedError(AccreditationError):
    """The registration number identifies the organisation and never changes."""


class PaymentAccountLinkedError(AccreditationError, Conflict):
    """A provider has one payment account."""


class ChecklistError(AccreditationError):
    """A checklist needs criteria, each with its own code."""


class UnknownCriterionError(AccreditationError):
    """The criterion is not in the checklist version the assessment began with."""


class CriteriaNotMetError(AccreditationError):
    """A service is accredited only when every criterion is assessed as met."""


class ExpiryDateError(AccreditationError):
    """An accreditation runs from after today for at most three years, and a renewal extends it."""


class NoSuchChecklistVersionError(AccreditationError, versions.NoSuchVersionError):
    pass


# The checklist is a versioned council setting (config/versions.py) whose latest version is the
# one new assessments use; an assessment keeps the version it began with.
CHECKLIST = versions.Setting("checklist", "checklist", no_such_version=NoSuchChecklistVersionError)


class Service(StrEnum):
    SUPPORT_PLANNING = "support_planning"
    MONEY_MANAGEMENT = "money_management"

    @property
    def label(self) -> str:
        return {
            Service.SUPPORT_PLANNING: "Independent support planning",
            Service.MONEY_MANAGEMENT: "Money management",
        }[self]


class Status(StrEnum):
    APPLIED = "applied"
    UNDER_ASSESSMENT = "under_assessment"
    ACCREDITED = "accredited"
    REFUSED = "refused"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


# Days before expiry on which the provider is reminded to renew.
REMINDER_DAYS = (60, 30, 7)

# re.ASCII: \d alone would take other scripts' digits ("١٢٣٤٥٦") as a registered number.
_CHARITY = re.compile(r"^(\d{6,7}(-\d{1,2})?|SC0\d{5}|NIC1\d{5})$", re.ASCII)
_COMPANY = re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$", re.ASCII)
_DISTRICT = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$", re.ASCII)


def text(value: object, *, field: str, limit: int, required: bool = True) -> str:
    return clean_text(
        value,
        field=field,
        limit=limit,
        required=required,
        multiline=limit > 300,
        error=AccreditationError,
    )


def registration_number(kind: object, number: object) -> tuple[str, str]:
    """A charity number (England and Wales, Scotland, Northern Ireland) or a company number."""
    value = text(number, field="registration_number", limit=12).upper().replace(" ", "")
    if kind == "charity":
        if not _CHARITY.match(value):
            raise AccreditationError(
                "must be a registered charity number, like 1012345, SC012345 or NIC100123",
                field="registration_number",
            )
    elif kind == "company":
        if not _COMPANY.match(value):
            raise AccreditationError(
                "must be a Companies House number: 8 digits, or 2 letters and 6 digits",
                field="registration_number",
            )
    else:
        raise AccreditationError("must be charity or company", field="registration_kind")
    return str(kind), value


def districts(values: object) -> list[str]:
    """Postcode districts served, such as DN1 or S63."""
    if not isinstance(values, list | tuple) or not values:
        raise AccreditationError("name at least one postcode district", field="areas")
    found = []
    for i, value in enumerate(values):
        district = text(value, field=f"areas[{i}]", limit=20).upper()
        if not _DISTRICT.match(district):
            raise AccreditationError(
                "must be a postcode district, like DN1 or S63", field=f"areas[{i}]"
            )
        found.append(district)
    return sorted(set(found))


def offers(values: object) -> dict[str, int]:
    """Prices a provider offers that differ from the tariff: {service: pence or "£450.00"}."""
    if not values:
        return {}
    if not isinstance(values, dict):
        raise AccreditationError("must map a service to a price", field="offers")
    found = {}
    for key, value in values.items():
        try:
            service = Service(key)
        except ValueError:
            raise AccreditationError(
                "must be support_planning or money_management", field=f"offers.{key}"
            ) from None
        try:
            found[service.value] = (
                parse_pounds(value) if isinstance(value, str) else check_pence(value)
            )
        except MoneyError as exc:
            raise AccreditationError(str(exc), field=f"offers.{key}") from None
    return found


def words(values: object, *, field: str, limit: int = 20) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > limit:
        raise AccreditationError(f"must be a list of at most {limit} items", field=field)
    return sorted({text(v, field=f"{field}[{i}]", limit=60) for i, v in enumerate(values)})


@dataclass(frozen=True)
class ProviderDetails:
    name: str
    registration_kind: str
    registration_number: str
    address: str
    email: str
    phone: str
    areas: list[str]
    languages: list[str]
    access_needs: list[str]
    capacity: int
    # The provider's own price per service, in pence, where it differs from the tariff.
    # (Absent from events recorded before offers existed, hence the default.)
    offers: dict[str, int] = field(default_factory=dict)

    @classmethod
    def create(cls, **raw: Any) -> ProviderDetails:
        kind, number = registration_number(
            raw.get("registration_kind"), raw.get("registration_number")
        )
        email = text(raw.get("email"), field="email", limit=254)
        if not is_email_address(email):
            raise AccreditationError(
                "must be an email address, like name@example.org", field="email"
            )
        capacity = raw.get("capacity")
        if (
            isinstance(capacity, bool)
            or not isinstance(capacity, int)
            or not 1 <= capacity <= 10_000
        ):
            raise AccreditationError("must be a whole number from 1 to 10,000", field="capacity")
        return cls(
            name=text(raw.get("name"), field="name", limit=150),
            registration_kind=kind,
            registration_number=number,
            address=text(raw.get("address"), field="address", limit=300),
            email=email,
            phone=text(raw.get("phone"), field="phone", limit=30, required=False),
            areas=districts(raw.get("areas")),
            languages=words(raw.get("languages"), field="languages") or ["English"],
            access_needs=words(raw.get("access_needs"), field="access_needs"),
            capacity=capacity,
            offers=offers(raw.get("offers")),
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def provider_id(registration_number: str) -> UUID:
    # One organisation, one record: registering again finds the first.
    return uuid5(NAMESPACE, f"provider:{registration_number}")


def accreditation_id(provider: UUID, service: Service) -> UUID:
    return uuid5(NAMESPACE, f"accreditation:{provider}:{service.value}")


class Provider(Aggregate):
    @event("Registered")
    def __init__(self, registration_number: str, details: dict[str, Any], actor: str) -> None:
        self.details = ProviderDetails(**details)
        self.registered_by = actor
        self.payment_account = ""
        self.payouts_ready = False
        self.evidence: dict[str, dict[str, Any]] = {}

    @staticmethod
    def create_id(registration_number: str) -> UUID:  # type: ignore[override]
        return provider_id(registration_number)

    @classmethod
    def register(cls, details: ProviderDetails, *, actor: str) -> Provider:
        return cls(
            details.registration_number, details.as_dict(), text(actor, field="actor", limit=150)
        )

    def update(self, details: ProviderDetails, *, actor: str) -> None:
        self.check_same_organisation(details)
        self._updated(details=details.as_dict(), actor=actor)

    def check_same_organisation(self, details: ProviderDetails) -> None:
        if details.registration_number != self.details.registration_number:
            raise RegistrationNumberChangedError(
                "the registration number identifies the organisation and cannot change",
                field="registration_number",
            )

    @event("DetailsUpdated")
    def _updated(self, details: dict[str, Any], actor: str) -> None:
        self.details = ProviderDetails(**details)

    def add_evidence(self, *, evidence: dict[str, Any], actor: str) -> None:
        self._evidence_added(evidence=evidence, actor=actor)

    @event("EvidenceAdded")
    def _evidence_added(self, evidence: dict[str, Any], actor: str) -> None:
        self.evidence[evidence["id"]] = evidence

    def link_payment_account(self, *, account: str, actor: str) -> None:
        self.check_no_payment_account()
        self._payment_account_linked(account=account, actor=actor)

    def check_no_payment_account(self) -> None:
        if self.payment_account:
            raise PaymentAccountLinkedError(
                "this provider already has a payment account", field="payment_account"
            )

    @event("PaymentAccountLinked")
    def _payment_account_linked(self, account: str, actor: str) -> None:
        self.payment_account = account

    def record_payouts_ready(self, *, ready: bool) -> None:
        if ready != self.payouts_ready:
            self._payouts_status_changed(ready=ready)

    @event("PayoutsStatusChanged")
    def _payouts_status_changed(self, ready: bool) -> None:
        self.payouts_ready = ready


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    description: str


DEFAULT_CRITERIA = [
    Criterion(
        "safeguarding",
        "Safeguarding policy",
        "A safeguarding adults policy, reviewed in the last year.",
    ),
    Criterion(
        "insurance",
        "Insurance",
        "Public and employer's liability and professional indemnity insurance in force.",
    ),
    Criterion("dbs", "DBS checks", "Enhanced DBS checks for every worker who meets people."),
    Criterion(
        "complaints",
        "Complaints procedure",
        "A complaints procedure that people who use the service can follow.",
    ),
    Criterion(
        "training",
        "Person-centred practice training",
        "Every planner trained in person-centred practice.",
    ),
    Criterion(
        "specification",
        "Co-produced specification met",
        "Meets the specification written with people who use services.",
    ),
]


class Checklist(Aggregate):
    """The council's accreditation criteria, versioned; an assessment keeps its version."""

    ID = uuid5(NAMESPACE, "checklist")

    @event("Created")
    def __init__(self, actor: str) -> None:
        self.versions: list[list[dict[str, str]]] = []

    @staticmethod
    def create_id() -> UUID:  # type: ignore[override]
        return Checklist.ID

    def publish(self, *, criteria: list[Criterion], actor: str) -> int:
        self.check_criteria(criteria)
        self._published(criteria=[c.__dict__ for c in criteria], actor=actor)
        return self.history.current_number

    @staticmethod
    def check_criteria(criteria: list[Criterion]) -> None:
        if not criteria:
            raise ChecklistError("a checklist needs at least one criterion", field="criteria")
        codes = [c.code for c in criteria]
        if len(set(codes)) != len(codes):
            raise ChecklistError("each criterion needs its own code", field="criteria")

    @event("VersionPublished")
    def _published(self, criteria: list[dict[str, str]], actor: str) -> None:
        self.versions.append(criteria)

    @property
    def history(self) -> versions.Versions[list[dict[str, str]]]:
        """The versions, as every versioned council setting answers about them."""
        return versions.Versions(CHECKLIST, self.versions)

    @property
    def current_version(self) -> int:
        return self.history.current_number

    def criteria(self, version: int) -> list[Criterion]:
        return [Criterion(**c) for c in self.history.number(version)]


class Accreditation(Aggregate):
    """One provider's accreditation for one service, through its whole life."""

    @event("Applied")
    def __init__(self, provider: UUID, service: str, actor: str, note: str) -> None:
        self.provider = provider
        self.service = Service(service)
        self.status = Status.APPLIED
        self.checklist_version = 0
        self.assessments: dict[str, dict[str, Any]] = {}
        self.expires_on: date | None = None
        self.conditions = ""
        self.accredited_since: date | None = None
        self.reminders_sent: list[int] = []

    @staticmethod
    def create_id(provider: UUID, service: str) -> UUID:  # type: ignore[override]
        return accreditation_id(provider, Service(service))

    @classmethod
    def apply_for(
        cls, *, provider: UUID, service: object, actor: str, note: object = ""
    ) -> Accreditation:
        try:
            chosen = Service(str(service))
        except ValueError:
            raise AccreditationError(
                "must be support_planning or money_management", field="service"
            ) from None
        return cls(
            provider, chosen.value, actor, text(note, field="note", limit=2000, required=False)
        )

    # -- rules
    def check_status(self, *allowed: Status, doing: str) -> None:
        if self.status not in allowed:
            raise WrongStateError(
                f"cannot {doing}: this accreditation is {self.status.value.replace('_', ' ')}",
                field="status",
            )

    def check_criterion(self, criteria: list[Criterion], code: str) -> None:
        if code not in {c.code for c in criteria}:
            raise UnknownCriterionError(
                f"'{code}' is not a criterion of checklist version {self.checklist_version}",
                field="criterion",
            )

    def check_all_met(self, criteria: list[Criterion]) -> None:
        unmet = [c.title for c in criteria if not self.assessments.get(c.code, {}).get("met")]
        if unmet:
            raise CriteriaNotMetError(
                "every criterion must be assessed as met first; not yet met: " + ", ".join(unmet),
                field="criteria",
            )

    @staticmethod
    def check_expiry(expires_on: date, today: date) -> None:
        if expires_on <= today:
            raise ExpiryDateError("must be after today", field="expires_on")
        if (expires_on - today).days > 3 * 366:
            raise ExpiryDateError("must be within three years", field="expires_on")

    def check_extends_expiry(self, expires_on: date) -> None:
        assert self.expires_on is not None
        if expires_on <= self.expires_on:
            raise ExpiryDateError("must be after the current expiry date", field="expires_on")

    def check_not_expired(self, today: date) -> None:
        if self.expires_on is not None and self.expires_on < today:
            raise AccreditationExpiredError(
                "cannot reinstate: the accreditation has expired", field="status"
            )

    def is_accredited_on(self, day: date) -> bool:
        return (
            self.status is Status.ACCREDITED
            and self.expires_on is not None
            and day <= self.expires_on
        )

    # -- the lifecycle
    def reapply(self, *, actor: str, note: object = "") -> None:
        self.check_status(Status.REFUSED, Status.WITHDRAWN, Status.EXPIRED, doing="apply again")
        self._reapplied(actor=actor, note=text(note, field="note", limit=2000, required=False))

    @event("Reapplied")
    def _reapplied(self, actor: str, note: str) -> None:
        self.status = Status.APPLIED
        self.assessments = {}
        self.checklist_version = 0

    def start_assessment(self, *, actor: str, checklist_version: int) -> None:
        self.check_status(Status.APPLIED, doing="start an assessment")
        self._assessment_started(actor=actor, checklist_version=checklist_version)

    @event("AssessmentStarted")
    def _assessment_started(self, actor: str, checklist_version: int) -> None:
        self.status = Status.UNDER_ASSESSMENT
        self.checklist_version = checklist_version

    def assess(
        self,
        *,
        criteria: list[Criterion],
        code: str,
        met: bool,
        evidence: list[str],
        note: object,
        actor: str,
    ) -> None:
        self.check_status(Status.UNDER_ASSESSMENT, doing="record an assessment")
        self.check_criterion(criteria, code)
        if not isinstance(met, bool):
            raise AccreditationError("must be true or false", field="met")
        self._assessed(
            code=code,
            met=met,
            evidence=list(evidence),
            note=text(note, field="note", limit=2000, required=not met),
            actor=actor,
        )

    @event("CriterionAssessed")
    def _assessed(self, code: str, met: bool, evidence: list[str], note: str, actor: str) -> None:
        self.assessments[code] = {"met": met, "evidence": evidence, "note": note, "assessor": actor}

    def accredit(
        self,
        *,
        criteria: list[Criterion],
        expires_on: date,
        today: date,
        conditions: object,
        actor: str,
        reason: object,
    ) -> None:
        self.check_status(Status.UNDER_ASSESSMENT, doing="accredit")
        self.check_all_met(criteria)
        self.check_expiry(expires_on, today)
        self._accredited(
            actor=actor,
            on=today,
            expires_on=expires_on,
            conditions=text(conditions, field="conditions", limit=2000, required=False),
            reason=text(reason, field="reason", limit=2000),
        )

    @event("Accredited")
    def _accredited(
        self, actor: str, on: date, expires_on: date, conditions: str, reason: str
    ) -> None:
        self.status = Status.ACCREDITED
        self.accredited_since = on
        self.expires_on = expires_on
        self.conditions = conditions
        self.reminders_sent = []

    def refuse(self, *, actor: str, reasons: object) -> None:
        self.check_status(Status.APPLIED, Status.UNDER_ASSESSMENT, doing="refuse")
        self._refused(actor=actor, reasons=text(reasons, field="reasons", limit=2000))

    @event("Refused")
    def _refused(self, actor: str, reasons: str) -> None:
        self.status = Status.REFUSED

    def suspend(self, *, actor: str, reason: object, today: date) -> None:
        self.check_status(Status.ACCREDITED, doing="suspend")
        self._suspended(actor=actor, reason=text(reason, field="reason", limit=2000), on=today)

    @event("Suspended")
    def _suspended(self, actor: str, reason: str, on: date) -> None:
        self.status = Status.SUSPENDED

    def reinstate(self, *, actor: str, reason: object, today: date) -> None:
        self.check_status(Status.SUSPENDED, doing="reinstate")
        self.check_not_expired(today)
        self._reinstated(actor=actor, reason=text(reason, field="reason", limit=2000), on=today)

    @event("Reinstated")
    def _reinstated(self, actor: str, reason: str, on: date) -> None:
        self.status = Status.ACCREDITED

    def withdraw(self, *, actor: str, reason: object, today: date) -> None:
        self.check_status(Status.ACCREDITED, Status.SUSPENDED, doing="withdraw")
        self._withdrawn(actor=actor, reason=text(reason, field="reason", limit=2000), on=today)

    @event("Withdrawn")
    def _withdrawn(self, actor: str, reason: str, on: date) -> None:
        self.status = Status.WITHDRAWN

    def renew(self, *, actor: str, expires_on: date, today: date, reason: object) -> None:
        self.check_status(Status.ACCREDITED, doing="renew")
        self.check_extends_expiry(expires_on)
        self.check_expiry(expires_on, today)
        self._renewed(
            actor=actor, expires_on=expires_on, reason=text(reason, field="reason", limit=2000)
        )

    @event("Renewed")
    def _renewed(self, actor: str, expires_on: date, reason: str) -> None:
        self.expires_on = expires_on
        self.reminders_sent = []

    def due_reminder(self, today: date) -> int | None:
        """The reminder to send today, if any: the nearest threshold passed and not yet sent."""
        if self.status is not Status.ACCREDITED or self.expires_on is None:
            return None
        left = (self.expires_on - today).days
        due = [d for d in REMINDER_DAYS if left <= d and d not in self.reminders_sent]
        return min(due) if due and left >= 0 else None

    def remind(self, *, today: date) -> int | None:
        days = self.due_reminder(today)
        if days is not None:
            self._reminded(days_before=days, on=today)
        return days

    @event("ExpiryReminderSent")
    def _reminded(self, days_before: int, on: date) -> None:
        # Sending the nearest threshold covers the farther ones too.
        self.reminders_sent.extend(d for d in REMINDER_DAYS if d >= days_before)

    def expire_if_due(self, *, today: date) -> bool:
        if (
            self.status in (Status.ACCREDITED, Status.SUSPENDED)
            and self.expires_on
            and self.expires_on < today
        ):
            self._expired(on=today)
            return True
        return False

    @event("Expired")
    def _expired(self, on: date) -> None:
        self.status = Status.EXPIRED
