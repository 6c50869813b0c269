"""A payment run's batch (thousands of entries in one command) goes into the store whole.

On PostgreSQL eventsourcing's pipelined insert never returned above a few thousand events
(core/postgres.py): the batch runs in a child process with a deadline, so a hang fails here
instead of stalling the suite."""

from __future__ import annotations

from typing import Any

import pytest

from ledger import queries
from ledger.services import catch_up
from tests.integration.child import run_child

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = """
import uuid
from datetime import UTC, datetime
from ledger.domain import EntryDraft
from ledger.services import ledger_app
drafts = [
    EntryDraft.create(idempotency_key=f"run-1:{i}", kind="adjustment",
        legs=[{"account": "FUND", "side": "debit", "amount": 100 + i % 7},
              {"account": f"PROVIDER-1", "side": "credit", "amount": 100 + i % 7}],
        effective_at=datetime.now(UTC), actor="finance", reason="a large batch")
    for i in range(8000)
]
made = ledger_app().post_entries(drafts)
print(sum(r.created for r in made))
"""


def test_a_batch_of_eight_thousand_entries_is_recorded_whole(app: Any) -> None:
    assert run_child(BATCH, timeout=90).strip() == "8000"
    catch_up()
    expected = sum(100 + i % 7 for i in range(8000))
    assert queries.account_by_code("PROVIDER-1").balance == -expected
    assert queries.account_by_code("FUND").leg_count == 8000
