"""PostgreSQL recorders that insert a batch of events without psycopg's pipeline mode.

With the server-side insert function off (config/eventstore.py says why), eventsourcing 9.5
inserts a save's events in pipeline mode: the table lock, the NOTIFY, then one INSERT whose
parameter is the whole batch. Above a few thousand events (a payment run's batch) that never
returns: psycopg waits in ``Pipeline.sync()`` for results while the server still waits for the
rest of the INSERT (measured: 3,000 entries pass, 6,000 hang for good). The same statements,
sent one after another in one transaction, insert any batch; the table lock still orders the
commits, so notification ids become visible in order, and a process manager's tracking row is
written in the same transaction as the events it caused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresProcessRecorder
from eventsourcing.utils import retry
from psycopg.errors import InterfaceError, OperationalError


class _WithoutPipeline:
    """``insert_events`` as eventsourcing's own, less the pipeline."""

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        recorder: Any = self
        notification_ids: Sequence[int] | None = None
        with (
            recorder.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            recorder._insert_events(curs, stored_events, **kwargs)  # a tracking position
            if stored_events:
                # The table lock, then the events (eventsourcing's own steps, less the NOTIFY).
                recorder._insert_stored_events(curs, stored_events, **kwargs)
                notification_ids = recorder._fetch_ids_after_insert_events(
                    curs, stored_events, **kwargs
                )
        return notification_ids


    def _notify_channel(self, curs: Any) -> None:
        """No NOTIFY: nothing here LISTENs (followers poll), and each one is a round trip."""


class ApplicationRecorder(_WithoutPipeline, PostgresApplicationRecorder):
    pass


class ProcessRecorder(_WithoutPipeline, PostgresProcessRecorder):
    pass
