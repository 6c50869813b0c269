"""Process managers: a step that crosses contexts, done exactly once however often it runs.

A process manager follows one context's notification log (upstream) and, for each event it
cares about, issues a command to another context (downstream). The command's idempotency key
comes from the upstream event, and the downstream application records the manager's tracking
position in the same transaction as the command's events (eventsourcing's process recorder).
So a crash between the upstream save and the downstream write is healed by the manager running
again, from where its position says, and a second run finds the first result instead of acting
twice. Any number of processes may run the same manager at once: they race on the downstream
write, and the loser's retry finds the winner's result.

A command the downstream context refuses (a domain rule, not a crash) would stop the manager
at that event for ever; it is parked instead (``StepFailure``, shown to finance) and the
manager moves on.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, ProcessRecorder, Tracking

from config.errors import DomainError

log = logging.getLogger(__name__)


class AggregatesFirst(ProcessingEvent[Any]):
    """eventsourcing's ``ProcessingEvent``, asking first whether each object is an aggregate.
    The library asks two runtime-checkable protocols (``isinstance`` on a ``Protocol`` costs
    some 20 us in Python 3.11: a third of a payment run's batch time went there)."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        aggregates = [obj for obj in objs if isinstance(obj, Aggregate)]
        if len(aggregates) < len(objs):
            super().collect_events(*(obj for obj in objs if not isinstance(obj, Aggregate)))
        for aggregate in aggregates:
            self.events.extend(aggregate.collect_events())
            self.aggregates[aggregate.id] = aggregate
        self.saved_kwargs.update(kwargs)


class Downstream(Application[Any]):
    """An application that records tracking positions with its events (a process recorder)."""

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def save(self, *objs: Any, **kwargs: Any) -> list[Any]:
        return self.save_tracked(*objs, tracking=None, **kwargs)

    def save_tracked(self, *objs: Any, tracking: Tracking | None, **kwargs: Any) -> list[Any]:
        """``save()``, recording ``tracking`` in the same transaction when there is one."""
        processing = AggregatesFirst(tracking)
        processing.collect_events(*objs, **kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    def is_tracked(self, tracking: Tracking) -> bool:
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return bool(recorder.has_tracking_id(tracking.application_name, tracking.notification_id))

    def track(self, tracking: Tracking) -> None:
        """Record a position with nothing else (the events before it needed no command)."""
        try:
            self.save_tracked(tracking=tracking)
        except IntegrityError:
            if not self.is_tracked(tracking):  # else another runner has gone past it: fine
                raise


def caused_by_event(upstream: Application[Any], position: int, event: Any) -> Any:
    """What a step records is caused by the upstream event, in that event's chain."""
    from config.correlation import caused_by

    return caused_by(
        f"event:{upstream.name}:{position}", correlation=getattr(event, "correlation", "")
    )


class ProcessManager(ABC):
    """Follows ``upstream``'s log and issues commands to ``downstream``, each exactly once."""

    # The name the tracking position is kept under, in the downstream store.
    name: ClassVar[str]

    def __init__(self, upstream: Application[Any], downstream: Downstream, batch_size: int = 200):
        self.upstream = upstream
        self.downstream = downstream
        self.batch_size = batch_size

    @abstractmethod
    def handle(self, event: Any, tracking: Tracking | None) -> bool:
        """Issue the command this event calls for, recording ``tracking`` with it (None when a
        parked step is run again: the position has moved on, the idempotency key still holds).

        Return False when the event calls for nothing (its position is recorded later)."""

    def position(self) -> int:
        recorder = self.downstream.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder.max_tracking_id(self.name) or 0

    def catch_up(self, until: int | None = None) -> int:
        """Process every upstream event not yet done (or up to ``until``); return the position."""
        while True:
            start = self.position()
            if until is not None and start >= until:
                return start
            notifications = self.upstream.recorder.select_notifications(
                start=start, limit=self.batch_size, stop=until, inclusive_of_start=False
            )
            if not notifications:
                return start
            last_done = start
            for notification in notifications:
                tracking = Tracking(self.name, notification.id)
                event = self.upstream.mapper.to_domain_event(notification)
                try:
                    with caused_by_event(self.upstream, notification.id, event):
                        done = self.handle(event, tracking)
                    if done:
                        last_done = notification.id
                except DomainError as refusal:
                    self.park(event, tracking, refusal)
                    last_done = notification.id
            if last_done != notifications[-1].id:
                self.downstream.track(Tracking(self.name, notifications[-1].id))

    def park(self, event: Any, tracking: Tracking, refusal: DomainError) -> None:
        """Keep a refused step for a person to look at, and move past it."""
        from core.tracking import StepFailure

        log.error("%s: step for event %s refused: %s", self.name, tracking.notification_id, refusal)
        StepFailure.objects.get_or_create(
            manager=self.name,
            position=tracking.notification_id,
            defaults={
                "originator_id": str(event.originator_id),
                "event": type(event).__qualname__,
                "error": str(refusal)[:1000],
            },
        )
        self.downstream.track(tracking)

    def retry(self, failure_id: int, *, actor: str) -> bool:
        """Run a parked step again (once its cause is put right); True when it went through.
        Its command keeps the upstream event's key, so it is still done at most once."""
        from django.utils import timezone

        from core.tracking import StepFailure

        failure = StepFailure.objects.get(id=failure_id, manager=self.name)
        if failure.resolved_at is not None:
            return True
        [notification] = self.upstream.recorder.select_notifications(
            start=failure.position, limit=1, inclusive_of_start=True
        )
        assert notification.id == failure.position
        try:
            self.handle(self.upstream.mapper.to_domain_event(notification), None)
        except DomainError as refusal:
            failure.error = str(refusal)[:1000]
            failure.save(update_fields=["error"])
            return False
        failure.resolved_by, failure.resolved_at = actor, timezone.now()
        failure.save(update_fields=["resolved_by", "resolved_at"])
        return True
