"""The ledger's hash chain: each stored event's hash covers the hash of the event before it.

One definition, used both to extend the chain as events are projected (ledger/projections.py)
and to recompute it when the ledger is verified (ledger/integrity.py).
"""

from __future__ import annotations

import hashlib

from eventsourcing.persistence import Notification

# The hash before the first event.
GENESIS = "0" * 64


def chain_hash(previous: str, notification: Notification) -> str:
    """The hash of one stored event, covering the hash of the event before it in the log."""
    digest = hashlib.sha256()
    for part in (
        previous,
        str(notification.id),
        str(notification.originator_id),
        str(notification.originator_version),
        notification.topic,
    ):
        digest.update(part.encode())
        digest.update(b"\x1f")
    digest.update(notification.state)
    return digest.hexdigest()
