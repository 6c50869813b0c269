"""The one loop every read model uses to follow an application's notification log.

A batch of notifications is applied in one database transaction together with the
new tracking position; the tracking row is locked first, so however many processes
catch up at once, each event is applied exactly once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar

from django.db import models as db_models
from django.db import transaction
from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from core.tracking import ProjectionPosition


class Projection(ABC):
    name: ClassVar[str]
    # Deleted, in this order, when the projection is rebuilt from the events.
    read_models: ClassVar[tuple[type[db_models.Model], ...]]

    def __init__(self, app: Application[Any], batch_size: int = 1000) -> None:
        self.app = app
        self.batch_size = batch_size

    @abstractmethod
    def apply(self, notifications: Sequence[Notification], tracking: ProjectionPosition) -> None:
        """Write what the notifications change; the caller saves the tracking position."""

    def forget(self) -> None:  # noqa: B027 - most projections cache nothing
        """Drop anything cached between batches (the batch's transaction rolled back)."""

    def position(self) -> int:
        row = ProjectionPosition.objects.filter(name=self.name).first()
        return row.position if row else 0

    def catch_up(self, until: int | None = None) -> int:
        """Apply every notification not yet projected (or up to ``until``); return the position."""
        # Nothing new (most pages, most of the time): answered without taking the tracking
        # row's lock, which every request catching up would otherwise queue on.
        position = self.position()
        wanted = until if until is not None else (self.app.recorder.max_notification_id() or 0)
        if position >= wanted:
            return position
        ProjectionPosition.objects.get_or_create(name=self.name)
        while True:
            with transaction.atomic():
                tracking = ProjectionPosition.objects.select_for_update().get(name=self.name)
                if until is not None and tracking.position >= until:
                    return tracking.position
                notifications = self.app.recorder.select_notifications(
                    start=tracking.position,
                    limit=self.batch_size,
                    stop=until,
                    inclusive_of_start=False,
                )
                if not notifications:
                    return tracking.position
                try:
                    self.apply(notifications, tracking)
                except BaseException:
                    self.forget()
                    raise
                tracking.position = notifications[-1].id
                tracking.save()

    def reset(self) -> None:
        """Drop this projection's read models and its position."""
        with transaction.atomic():
            for model in self.read_models:
                model._default_manager.all().delete()
            ProjectionPosition.objects.filter(name=self.name).delete()
        self.forget()

    def rebuild(self) -> int:
        """Drop this projection's read models and project the whole log again."""
        self.reset()
        return self.catch_up()

    def decode(self, notification: Notification) -> Any:
        return self.app.mapper.to_domain_event(notification)


class RowWriter:
    """Inserts plain tuples into a read-model table: COPY on PostgreSQL, else one executemany.

    For the projections' hot tables: building a Django model object per row and letting
    bulk_create prepare it costs several times the insert itself. Each value still goes
    through its field's own database preparation, so what is stored is what the ORM stores.
    """

    def __init__(self, model: type[db_models.Model], columns: Sequence[str]) -> None:
        from django.db import connection

        self.connection = connection
        meta = model._meta
        fields = [meta.get_field(name) for name in columns]
        quote = connection.ops.quote_name
        names = ", ".join(quote(f.column) for f in fields)  # type: ignore[union-attr, arg-type]
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"
        self.copy_sql = f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
        # A foreign key is stored as its target's value (a UUID, here).
        self.prepare: list[Callable[[Any], Any]] = [
            partial(
                (f.target_field if f.is_relation else f).get_db_prep_save,  # type: ignore[union-attr]
                connection=connection,
            )
            for f in fields
        ]

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        prepared = [tuple(p(v) for p, v in zip(self.prepare, row, strict=True)) for row in rows]
        with self.connection.cursor() as cursor:
            if self.connection.vendor != "postgresql":
                cursor.executemany(self.sql, prepared)
                return
            # COPY skips a statement per row; the table's constraints and triggers still run.
            with self.connection.wrap_database_errors, cursor.cursor.copy(self.copy_sql) as copy:
                for row in prepared:
                    copy.write_row(row)
