"""The payments context's events into its read models (payments/models.py), on core.projection's
loop (each batch in one transaction with its tracking position): each payment and its status,
and each run with its progress and report. Agreements are read from their aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification

from accreditation.projections import step_of
from core.projection import Projection
from core.tracking import ProjectionPosition
from payments import models
from payments.runs import PaymentStatus


class PaymentsProjection(Projection):
    name = "payments"
    read_models = (models.PaymentRecord, models.PaymentRunRecord, models.InvoiceRecord)

    def apply(self, notifications: Sequence[Notification], tracking: ProjectionPosition) -> None:
        for notification in notifications:
            event = self.decode(notification)
            owner, step = step_of(event)
            if owner == "Payment":
                self._payment(event, step)
            elif owner == "PaymentRun":
                self._run(event, step)
            elif owner == "Invoice":
                self._invoice(event, step)

    def _payment(self, event: Any, step: str) -> None:
        if step == "Scheduled":
            models.PaymentRecord.objects.create(
                id=event.originator_id,
                key=event.key,
                budget=event.budget,
                kind=event.kind,
                rail=event.rail,
                payee=event.destination.name,
                gross=event.gross,
                netted=event.netted,
                net=event.gross - event.netted,
                pay_on=event.pay_on,
                period_start=event.period_start,
                period_end=event.period_end,
                label=event.label,
                reason=event.reason,
                status=PaymentStatus.DUE.value,
                run=event.run,
            )
            return
        row = models.PaymentRecord.objects.get(id=event.originator_id)
        if step == "Posted":
            row.entry, row.failure, row.status = event.entry, "", PaymentStatus.POSTED.value
        elif step == "Sent":
            row.rail_ref, row.failure, row.status = event.ref, "", PaymentStatus.SENT.value
        elif step == "Paid":
            row.settlement, row.paid_at = event.settlement, event.at
            row.failure, row.status = "", PaymentStatus.PAID.value
        elif step == "Failed":
            row.failure, row.retryable = event.reason, event.retryable
            row.attempts += 1
            row.status = PaymentStatus.FAILED.value
        elif step == "Moved":
            row.run = event.run
        elif step == "PutRight":
            row.failure, row.retryable, row.payee = "", True, event.destination.name
            row.status = PaymentStatus.POSTED.value if row.entry else PaymentStatus.DUE.value
        row.save()

    def _invoice(self, event: Any, step: str) -> None:
        if step == "Submitted":
            models.InvoiceRecord.objects.create(
                id=event.originator_id,
                provider=event.provider,
                number=event.number,
                kind=event.kind,
                engagement=event.engagement,
                person=event.person,
                service_date=event.service_date,
                amount=event.amount,
                status="submitted",
                submitted_by=event.actor,
                submitted_at=event.timestamp,
                note=event.note,
            )
            return
        row = models.InvoiceRecord.objects.get(id=event.originator_id)
        if step == "Approved":
            row.approvals = [*row.approvals, event.actor]
        elif step == "MadePayable":
            row.status, row.entry, row.approved_at = "approved", event.entry, event.timestamp
        elif step == "Rejected":
            row.status, row.decision_reason = "rejected", event.reason
        elif step == "Credited":
            row.status, row.decision_reason = "credited", event.reason
        elif step == "Paid":
            row.status, row.paid_at = "paid", event.timestamp
        row.save()

    def _run(self, event: Any, step: str) -> None:
        if step == "Started":
            models.PaymentRunRecord.objects.create(
                id=event.originator_id,
                rail=event.rail,
                run_on=event.run_on,
                status="running",
                total=len(event.keys),
                started_by=event.actor,
                started_at=event.timestamp,
            )
            return
        row = models.PaymentRunRecord.objects.get(id=event.originator_id)
        if step == "Added":
            row.total += len(event.keys)
        elif step == "Progressed":
            row.done = event.done
        elif step == "Restarted":
            row.status, row.runs, row.done = "running", row.runs + 1, 0
        elif step == "Skipped":
            row.skipped = [list(s) for s in event.skipped]
        elif step == "Finished":
            row.status, row.report, row.finished_at = "finished", event.report, event.timestamp
        row.save()
