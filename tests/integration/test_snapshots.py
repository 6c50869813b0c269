"""Snapshots read back whole: an aggregate loaded from its snapshot, by an application or a
process that never saw it, is the aggregate its events replay to, down to each value's type."""

from __future__ import annotations

import enum
import tempfile
from datetime import UTC
from io import StringIO
from typing import Any
from uuid import UUID

import pytest
from django.conf import settings
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accreditation.application import AccreditationApplication
from budgets.application import BudgetApplication
from config.applications import reset_applications
from config.eventstore import app_env
from config.transcodings import ContextApplication, value_types
from ledger.application import LedgerApplication
from ledger.domain import Account, account_id
from marketplace.application import MarketplaceApplication
from tests.conftest import draft
from tests.integration.child import run_child

APPS: list[type[ContextApplication]] = [
    LedgerApplication,
    BudgetApplication,
    MarketplaceApplication,
    AccreditationApplication,
]


def shape(value: Any) -> Any:
    """A value with its type at every level: ``AccountType.LIABILITY == "liability"`` in Python,
    so comparing plain values would hide the very fault these tests are for."""
    if isinstance(value, dict):
        return ("dict", {k: shape(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return (type(value).__name__, [shape(v) for v in value])
    if hasattr(value, "__dataclass_fields__"):
        return (type(value).__qualname__, shape(vars(value)))
    return (type(value).__qualname__, value)


def state(aggregate: Any) -> Any:
    return shape({k: v for k, v in vars(aggregate).items() if k != "_pending_events"})


def fresh(cls: type[ContextApplication], env: dict[str, str]) -> ContextApplication:
    return cls(env={**env, "IS_SNAPSHOTTING_ENABLED": "y"})


def originators(app: ContextApplication) -> set[UUID]:
    ids: set[UUID] = set()
    start = 0
    while batch := app.recorder.select_notifications(
        start=start, limit=500, inclusive_of_start=False
    ):
        ids.update(n.originator_id for n in batch)  # type: ignore[misc]
        start = batch[-1].id
    return ids


@pytest.mark.django_db(transaction=True)
def test_every_aggregate_of_the_demo_reads_back_from_its_snapshot_as_its_events_replay(
    stores: Any, settings: Any
) -> None:
    stores.new()
    settings.STRIPE_API_KEY = ""
    call_command("load_demo", stdout=StringIO())
    reset_applications()
    kinds: set[str] = set()
    for cls in APPS:
        env = app_env(settings.EVENTSTORE, cls.name.lower())
        # Three applications, as three processes would be: one replays, one snapshots, and
        # one that never saw the aggregate loads it from its snapshot.
        replayer, snapshotter, loader = fresh(cls, env), fresh(cls, env), fresh(cls, env)
        ids = originators(replayer)
        assert ids, cls.name
        for aggregate_id in ids:
            replayed = replayer.repository.get(aggregate_id)
            snapshotter.take_snapshot(aggregate_id)
            restored = loader.repository.get(aggregate_id)
            assert state(restored) == state(replayed), (cls.name, type(replayed).__name__)
            kinds.add(type(replayed).__name__)
    # Every kind of aggregate the contexts have, from the demo's real commands.
    assert kinds >= {
        "Account",
        "JournalEntry",
        "RasGrid",
        "Person",
        "Assessment",
        "PersonalBudget",
        "Plan",
        "Reviews",
        "SignOffRules",
        "Tariff",
        "Engagement",
        "Provider",
        "Checklist",
        "Accreditation",
    }


def every_value_type() -> list[type[Any]]:
    return [t for cls in APPS for t in value_types(*cls.domain_modules)]


ENUM_MEMBERS = [m for t in every_value_type() if issubclass(t, enum.Enum) for m in t]
SCALARS = (
    st.integers()
    | st.text(max_size=20)
    | st.booleans()
    | st.none()
    | st.sampled_from(ENUM_MEMBERS)
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
    | st.uuids()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(VALUES)
@hsettings(max_examples=300, deadline=None)
def test_every_value_an_event_or_snapshot_holds_reads_back_as_the_same_type(value: Any) -> None:
    transcoder = LedgerApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    ).mapper.transcoder
    for cls in APPS[1:]:  # one transcoder knowing every context's values
        cls(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).register_transcodings(transcoder)  # type: ignore[arg-type]
    assert shape(transcoder.decode(transcoder.encode(value))) == shape(value)


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=40),
    interval=st.integers(min_value=1, max_value=7),
)
@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_budget_account_from_a_snapshot_equals_its_replay_and_takes_the_next_post(
    amounts: list[int], interval: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"{tmp}/e.sqlite3"}

        class Snapshotting(LedgerApplication):
            snapshotting_intervals = {Account: interval}  # noqa: RUF012

        writer = Snapshotting(env=env)
        writer.open_account(code="FUND", name="Fund", type="equity", actor="t")
        writer.open_account(
            code="PB", name="Budget", type="liability", actor="t", no_overdraft=True
        )
        for i, pence in enumerate(amounts):
            writer.post_entry(draft(f"a{i}", [("FUND", "debit", pence), ("PB", "credit", pence)]))
        replayer, loader = LedgerApplication(env=env), Snapshotting(env=env)
        replayed = replayer.repository.get(account_id("PB"))
        restored = loader.repository.get(account_id("PB"))
        assert restored.version == replayed.version
        assert state(restored) == state(replayed)
        entry = loader.post_entry(draft("next", [("PB", "debit", 1), ("FUND", "credit", 1)])).id
        loader.reverse_entry(entry=entry, actor="t", reason="a mistake")
        last = Snapshotting(env=env)
        assert last.get_account("PB").balance == -sum(amounts)
        for app in (writer, replayer, loader, last):
            app.close()


def post_from_child(code: str) -> str:
    return run_child(
        f"""
        from datetime import UTC, datetime
        from ledger.domain import EntryDraft
        from ledger.services import ledger_app
        app = ledger_app()
        legs = [{{"account": "PB-1", "side": "debit", "amount": 700}},
                {{"account": "FUND", "side": "credit", "amount": 700}}]
        made = app.post_entry(EntryDraft.create(idempotency_key="{code}", kind="adjustment",
            legs=legs, effective_at=datetime.now(UTC), actor="child", reason="after a restart"))
        app.reverse_entry(entry=made.id, actor="child", reason="and put right")
        print(made.created, app.get_account("PB-1").balance)
        """
    )


@pytest.mark.django_db(transaction=True)
def test_a_budget_account_past_its_snapshot_posts_and_reverses_from_a_new_process(
    stores: Any,
) -> None:
    ledger = stores.new()
    ledger.open_account(code="FUND", name="Fund", type="equity", actor="t")
    ledger.open_account(code="PB-1", name="Budget", type="liability", actor="t", no_overdraft=True)
    for i in range(105):
        ledger.post_entry(draft(f"e{i}", [("FUND", "debit", 1000), ("PB-1", "credit", 1000)]))
    assert ledger.snapshots is not None
    # Since the guard table (ledger/guard.py) an account records no event per leg: it stays at
    # its opening, with nothing to snapshot, and its balance comes from its guard row.
    assert list(ledger.snapshots.get(account_id("PB-1"))) == []
    assert ledger.repository.get(account_id("PB-1")).version == 1
    assert post_from_child("after-restart").split() == ["True", str(-105 * 1000)]
    # And once more, from yet another process, now that the account has moved on.
    assert post_from_child("after-second-restart").split() == ["True", str(-105 * 1000)]
    reset_applications()
    assert settings.EVENTSTORE  # the test's own stores, still


@pytest.mark.django_db(transaction=True)
def test_the_reproduction_posts_201_after_a_restart(app: Any, make_user: Any) -> None:
    """The review's reproduction, through the API: a no-overdraft account past its snapshot,
    then a post and a reversal from applications that never saw it (as after a restart)."""
    import json

    from django.test import Client

    from config.roles import Role

    app.open_account(code="RESERVE", name="Reserve", type="liability", actor="t", no_overdraft=True)
    finance = Client()
    finance.force_login(make_user("farah", Role.FINANCE_OFFICER.value))

    def post(key: str, debit: str, credit: str) -> Any:
        body = {
            "kind": "adjustment",
            "reason": "a manual adjustment",
            "legs": [
                {"account": debit, "side": "debit", "amount": "£10.00"},
                {"account": credit, "side": "credit", "amount": "£10.00"},
            ],
        }
        return finance.post(
            "/api/v1/ledger/entries",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    for i in range(105):
        assert post(f"k{i}", "FUND", "RESERVE").status_code == 201
    # No event per leg since the guard table, so no snapshot: the account's balance is its row.
    assert list(app.snapshots.get(account_id("RESERVE"))) == []
    reset_applications()  # a new process: nothing cached
    again = post("after-restart", "RESERVE", "FUND")
    assert again.status_code == 201, again.content
    reset_applications()
    undone = finance.post(
        f"/api/v1/ledger/entries/{again.json()['id']}/reverse",
        data=json.dumps({"reason": "a mistake"}),
        content_type="application/json",
    )
    assert undone.status_code == 201, undone.content
