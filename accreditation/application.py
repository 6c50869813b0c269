"""The accreditation use cases: register, apply, assess, decide, suspend, renew, expire.

The context's one door: every command takes the ``Actor`` asking and calls the context's
policies (accreditation/policies.py) itself, so the API and the pages get the same answer.
The actor's id is recorded as each event's actor, as before. The daily expiry job and Stripe's
answers about a payment account are the system's own steps, and take no actor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from accreditation import domain, policies
from accreditation.domain import (
    DEFAULT_CRITERIA,
    Accreditation,
    AccreditationError,
    Checklist,
    Criterion,
    Provider,
    ProviderDetails,
    Service,
    accreditation_id,
    provider_id,
    text,
)
from config.actor import Actor
from config.errors import Conflict, NotFound
from config.transcodings import ContextApplication

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
EVIDENCE_TYPES = {  # what the file starts with -> its content type
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EVIDENCE_KINDS = (
    "safeguarding policy",
    "insurance certificate",
    "DBS check record",
    "complaints procedure",
    "training record",
    "other",
)


@dataclass(frozen=True)
class Done:
    id: UUID
    position: int | None


@dataclass(frozen=True)
class EvidenceFile:
    """A kept evidence document, as the checked evidence view serves it."""

    filename: str
    content_type: str
    content: bytes


class AccreditationApplication(ContextApplication):
    name = "Accreditation"
    domain_modules = (domain,)

    def __init__(self, *args: Any, evidence_dir: Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence_dir = evidence_dir
        # Which provider kept an evidence document (by its id), if any: asked of the register's
        # read model by accreditation/services.py; tests give their own.
        self.provider_of_evidence: Callable[[str], UUID | None] = lambda _evidence: None

    # -- providers
    def register_provider(self, *, actor: Actor, **details: Any) -> Done:
        """An organisation's staff register it (policies.check_may_register)."""
        policies.check_may_register(actor)
        provider = Provider.register(ProviderDetails.create(**details), actor=actor.id)
        try:
            return self._done(provider.id, self.save(provider))
        except IntegrityError:
            raise Conflict(
                "an organisation with this registration number is already registered",
                field="registration_number",
            ) from None

    def update_provider(self, provider: UUID, *, actor: Actor, **details: Any) -> Done:
        policies.check_acts_for(actor, provider, doing="change the details")
        found = self.get_provider(provider)
        found.update(ProviderDetails.create(**details), actor=actor.id)
        return self._done(found.id, self.save(found))

    def get_provider(self, provider: UUID) -> Provider:
        return self._get(provider, Provider, "provider")

    def add_evidence(
        self,
        provider: UUID,
        *,
        kind: object,
        filename: object,
        content: bytes,
        expires_on: date | None,
        today: date,
        actor: Actor,
    ) -> str:
        """Keep an evidence document: checked by its content, stored under its own digest.
        Added by the provider's own staff (policies.check_acts_for)."""
        policies.check_acts_for(actor, provider, doing="add evidence")
        found = self.get_provider(provider)
        if kind not in EVIDENCE_KINDS:
            raise AccreditationError("must be one of " + ", ".join(EVIDENCE_KINDS), field="kind")
        name = text(filename, field="file", limit=200)
        if not content:
            raise AccreditationError("the file is empty", field="file")
        if len(content) > MAX_EVIDENCE_BYTES:
            raise AccreditationError("must be smaller than 5 MB", field="file")
        content_type = next(
            (t for magic, t in EVIDENCE_TYPES.items() if content.startswith(magic)), None
        )
        if content_type is None:
            raise AccreditationError("must be a PDF, PNG or JPEG", field="file")
        if expires_on is not None and expires_on <= today:
            raise AccreditationError("must be in the future", field="expires_on")
        digest = hashlib.sha256(content).hexdigest()
        if self.evidence_dir is not None:
            # Content-addressed and outside any web root: served only through a checked view.
            self.evidence_dir.mkdir(parents=True, exist_ok=True)
            (self.evidence_dir / digest).write_bytes(content)
        evidence_id = str(uuid4())
        found.add_evidence(
            evidence={
                "id": evidence_id,
                "kind": kind,
                "filename": name.replace("/", "_").replace("\\", "_"),
                "content_type": content_type,
                "size": len(content),
                "sha256": digest,
                "expires_on": expires_on.isoformat() if expires_on else "",
                "uploaded_on": today.isoformat(),
            },
            actor=actor.id,
        )
        self.save(found)
        return evidence_id

    def read_evidence(self, actor: Actor, evidence: UUID | str) -> EvidenceFile:
        """An evidence document, for the register administrator or its own organisation's staff
        (policies.check_may_read_evidence), served only if the stored file is still the one
        uploaded. Anyone else, as for a document that does not exist: NoSuchEvidenceError."""
        provider = self.provider_of_evidence(str(evidence))
        if provider is None:
            raise policies.no_such_evidence()
        policies.check_may_read_evidence(actor, provider)
        kept = self.get_provider(provider).evidence.get(str(evidence))
        if kept is None or self.evidence_dir is None:
            raise policies.no_such_evidence()
        try:
            content = (self.evidence_dir / kept["sha256"]).read_bytes()
        except FileNotFoundError:
            raise NotFound("the stored file is missing", field="evidence") from None
        if hashlib.sha256(content).hexdigest() != kept["sha256"]:
            raise NotFound("the stored file no longer matches what was uploaded", field="evidence")
        return EvidenceFile(kept["filename"], kept["content_type"], content)

    def link_payment_account(self, provider: UUID, *, account: str) -> Done:
        """Stripe opened the provider's account: recorded by the system (``careledger``)."""
        found = self.get_provider(provider)
        found.link_payment_account(account=account, actor=Actor.system().id)
        return self._done(found.id, self.save(found))

    def record_payouts_ready(self, provider: UUID, *, ready: bool) -> Done:
        found = self.get_provider(provider)
        found.record_payouts_ready(ready=ready)
        return self._done(found.id, self.save(found))

    # -- the checklist
    def checklist(self) -> Checklist:
        """The council's checklist, or before any is saved the default (saved by its first use)."""
        try:
            found: Any = self.repository.get(Checklist.ID)
        except AggregateNotFoundError:
            checklist = Checklist(actor="careledger")
            checklist.publish(criteria=DEFAULT_CRITERIA, actor="careledger")
            return checklist
        assert isinstance(found, Checklist)
        return found

    def publish_checklist(self, *, criteria: list[dict[str, str]], actor: Actor) -> int:
        """A new version of the council's checklist (the register administrator's)."""
        policies.check_may_run_register(actor, doing="publish the checklist")
        checklist = self.checklist()
        version = checklist.publish(
            criteria=[
                Criterion(
                    code=text(c.get("code"), field=f"criteria[{i}].code", limit=40),
                    title=text(c.get("title"), field=f"criteria[{i}].title", limit=120),
                    description=text(
                        c.get("description"), field=f"criteria[{i}].description", limit=1000
                    ),
                )
                for i, c in enumerate(criteria)
            ],
            actor=actor.id,
        )
        self.save(checklist)
        return version

    # -- accreditation
    def apply(self, provider: UUID, *, service: object, actor: Actor, note: object = "") -> Done:
        """The provider's own staff apply for a service (policies.check_acts_for)."""
        policies.check_acts_for(actor, provider, doing="apply")
        self.get_provider(provider)
        accreditation = Accreditation.apply_for(
            provider=provider, service=service, actor=actor.id, note=note
        )
        try:
            return self._done(accreditation.id, self.save(accreditation))
        except IntegrityError:
            existing = self.get_accreditation(accreditation.id)
            existing.reapply(actor=actor.id, note=note)
            return self._done(existing.id, self.save(existing))

    def start_assessment(self, accreditation: UUID, *, actor: Actor) -> Done:
        policies.check_may_run_register(actor, doing="start an assessment")
        found = self.get_accreditation(accreditation)
        checklist = self.checklist()
        found.start_assessment(actor=actor.id, checklist_version=checklist.current_version)
        return self._done(found.id, self.save(found, checklist))

    def assess(
        self,
        accreditation: UUID,
        *,
        criterion: str,
        met: bool,
        evidence: list[str],
        note: object,
        actor: Actor,
    ) -> Done:
        policies.check_may_run_register(actor, doing="assess a criterion")
        found = self.get_accreditation(accreditation)
        provider = self.get_provider(found.provider)
        unknown = [e for e in evidence if e not in provider.evidence]
        if unknown:
            raise AccreditationError(
                "evidence must be a document this provider uploaded", field="evidence"
            )
        found.assess(
            criteria=self._criteria(found),
            code=criterion,
            met=met,
            evidence=evidence,
            note=note,
            actor=actor.id,
        )
        return self._done(found.id, self.save(found))

    def accredit(
        self,
        accreditation: UUID,
        *,
        expires_on: date,
        today: date,
        conditions: object,
        actor: Actor,
        reason: object,
    ) -> Done:
        policies.check_may_run_register(actor, doing="accredit")
        found = self.get_accreditation(accreditation)
        found.accredit(
            criteria=self._criteria(found),
            expires_on=expires_on,
            today=today,
            conditions=conditions,
            actor=actor.id,
            reason=reason,
        )
        return self._done(found.id, self.save(found))

    def refuse(self, accreditation: UUID, *, actor: Actor, reasons: object) -> Done:
        policies.check_may_run_register(actor, doing="refuse")
        found = self.get_accreditation(accreditation)
        found.refuse(actor=actor.id, reasons=reasons)
        return self._done(found.id, self.save(found))

    def suspend(self, accreditation: UUID, *, actor: Actor, reason: object, today: date) -> Done:
        policies.check_may_run_register(actor, doing="suspend")
        found = self.get_accreditation(accreditation)
        found.suspend(actor=actor.id, reason=reason, today=today)
        return self._done(found.id, self.save(found))

    def reinstate(self, accreditation: UUID, *, actor: Actor, reason: object, today: date) -> Done:
        policies.check_may_run_register(actor, doing="reinstate")
        found = self.get_accreditation(accreditation)
        found.reinstate(actor=actor.id, reason=reason, today=today)
        return self._done(found.id, self.save(found))

    def withdraw(self, accreditation: UUID, *, actor: Actor, reason: object, today: date) -> Done:
        policies.check_may_run_register(actor, doing="withdraw")
        found = self.get_accreditation(accreditation)
        found.withdraw(actor=actor.id, reason=reason, today=today)
        return self._done(found.id, self.save(found))

    def renew(
        self, accreditation: UUID, *, actor: Actor, expires_on: date, today: date, reason: object
    ) -> Done:
        policies.check_may_run_register(actor, doing="renew")
        found = self.get_accreditation(accreditation)
        found.renew(actor=actor.id, expires_on=expires_on, today=today, reason=reason)
        return self._done(found.id, self.save(found))

    def expire_and_remind(self, accreditations: list[UUID], *, today: date) -> tuple[int, int]:
        """The daily job: expire what has run out, remind what is about to. Safe to run twice."""
        expired = reminded = 0
        for accreditation in accreditations:
            found = self.get_accreditation(accreditation)
            if found.expire_if_due(today=today):
                expired += 1
            elif found.remind(today=today) is not None:
                reminded += 1
            self.save(found)
        return expired, reminded

    def get_accreditation(self, accreditation: UUID) -> Accreditation:
        return self._get(accreditation, Accreditation, "accreditation")

    def accreditation_of(self, provider: UUID, service: Service | str) -> Accreditation:
        return self.get_accreditation(accreditation_id(provider, Service(service)))

    def provider_by_number(self, registration_number: str) -> Provider:
        return self.get_provider(provider_id(registration_number))

    # -- helpers
    def _criteria(self, accreditation: Accreditation) -> list[Criterion]:
        """The criteria of the checklist version its assessment began with (none before one
        began: the step is then refused by the accreditation's own state check)."""
        if not accreditation.checklist_version:
            return []
        return self.checklist().criteria(accreditation.checklist_version)

    def _get(self, aggregate_id: UUID, cls: type[Any], what: str) -> Any:
        try:
            found: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}", field=f"{what}_id") from None
        if not isinstance(found, cls):
            raise NotFound(f"no {what} {aggregate_id}", field=f"{what}_id")
        return found

    @staticmethod
    def _done(aggregate_id: UUID, recordings: list[Any]) -> Done:
        return Done(aggregate_id, recordings[-1].notification.id if recordings else None)
