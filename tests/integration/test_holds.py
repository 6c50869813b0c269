"""Holds through the application and the read models, on SQLite and PostgreSQL: as-at held and
available, statements, expiry by the beat task, posts and holds racing from threads, a
snapshot of an account with holds, tampering, the API (read-only) and the pages that show
what is left."""

from __future__ import annotations

import json
import tempfile
import time as clock
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from config.actor import Actor
from config.roles import Role
from ledger import models, queries
from ledger.application import LedgerApplication
from ledger.domain import (
    Account,
    HoldDraft,
    HoldNotPendingError,
    OverdraftError,
    Owner,
    account_id,
    hold_id,
)
from ledger.integrity import verify_balances, verify_chain
from ledger.services import catch_up, expire_holds, ledger_app, projection
from tests.conftest import NOW, draft
from tests.integration.test_budgets import TODAY, council_managed, sam  # noqa: F401 - a fixture
from tests.integration.test_projections import snapshot, tamper
from tests.integration.test_snapshots import state

pytestmark = pytest.mark.django_db(transaction=True)

AUDITOR = Actor(id="ava", roles=frozenset({Role.AUDITOR}))
HOUR = timedelta(hours=1)


def hold_draft(key: str, amount: int, **overrides: Any) -> HoldDraft:
    fields: dict[str, Any] = {
        "idempotency_key": key,
        "kind": "commitment",
        "legs": [
            {"account": "PB-G", "side": "debit", "amount": amount},
            {"account": "PB-C", "side": "credit", "amount": amount},
        ],
        "expires_at": datetime.now(UTC) + timedelta(days=30),
        "actor": "payments",
        "reason": "a test entry",
        "budget": "DN-1",
        "source_document": "engagement:EN-1",
    }
    fields.update(overrides)
    return HoldDraft.create(**fields)


@pytest.fixture
def budget(app: Any) -> Any:
    """A guarded budget of £500.00 from a day before NOW, and its committed account."""
    app.open_account(code="PB-G", name="Budget", type="liability", actor="t", no_overdraft=True)
    app.open_account(code="PB-C", name="Committed", type="liability", actor="t")
    app.post_entry(
        draft(
            "alloc",
            [("FUND", "debit", 50000), ("PB-G", "credit", 50000)],
            effective_at=NOW - timedelta(days=1),
        )
    )
    return app


def standing(code: str, as_at: datetime | None = None) -> tuple[int, int, int]:
    found = queries.standing_of(AUDITOR, code, as_at=as_at)
    return found.normal_balance, found.held, found.available


def test_holds_as_they_stood_at_each_instant(budget: Any) -> None:
    first = budget.hold(hold_draft("h1", 30000, effective_at=NOW)).id
    second = budget.hold(hold_draft("h2", 10000, effective_at=NOW + HOUR)).id
    third = budget.hold(hold_draft("h3", 5000, effective_at=NOW + 2 * HOUR)).id
    posted = budget.post_hold(hold=second, actor="p", amount=6000, effective_at=NOW + 3 * HOUR)
    budget.void_hold(hold=third, actor="p", reason="ended", effective_at=NOW + 4 * HOUR)
    catch_up()
    assert standing("PB-G", NOW - timedelta(seconds=1)) == (50000, 0, 50000)
    assert standing("PB-G", NOW + HOUR / 2) == (50000, 30000, 20000)
    assert standing("PB-G", NOW + 2.5 * HOUR) == (50000, 45000, 5000)
    assert standing("PB-G", NOW + 3.5 * HOUR) == (44000, 35000, 9000)
    assert standing("PB-G", NOW + 5 * HOUR) == (44000, 30000, 14000)
    assert standing("PB-G") == (44000, 30000, 14000)
    # What a hold would bring in is not held and not available until posted.
    assert standing("PB-C", NOW + 2.5 * HOUR) == (0, 0, 0)
    assert standing("PB-C") == (6000, 0, 6000)
    account = queries.account_by_code("PB-G")
    assert (account.pending_debits, account.pending_credits) == (30000, 0)
    assert queries.account_by_code("PB-C").pending_credits == 30000

    def pending_at(at: datetime) -> set[UUID]:
        return {h.id for h in queries.holds(AUDITOR, "PB-G", as_at=at)[0]}

    assert pending_at(NOW + 2.5 * HOUR) == {first, second, third}
    assert pending_at(NOW + 5 * HOUR) == {first}
    assert [h.id for h in queries.holds(AUDITOR, "PB-G", status="posted")[0]] == [second]
    assert [h.id for h in queries.holds(AUDITOR, "PB-G")[0]] == [first, second, third]
    row = queries.hold(AUDITOR, second)
    assert (row.status, row.amount, row.posted_amount, row.entry) == (
        "posted",
        10000,
        6000,
        posted.id,
    )
    assert row.released_at == NOW + 3 * HOUR
    assert [(leg.account.code, leg.side, leg.amount) for leg in row.legs.all()] == [
        ("PB-G", "debit", 10000),
        ("PB-C", "credit", 10000),
    ]
    entry = models.Entry.objects.get(id=posted.id)
    assert (entry.kind, entry.hold, entry.amount) == ("commitment", second, 6000)
    voided = queries.hold(AUDITOR, third)
    assert (voided.status, voided.resolution_reason, voided.resolved_by_actor) == (
        "voided",
        "ended",
        "p",
    )
    # The statement as at an instant: its closing balance, what was held then and what was left.
    found = queries.statement(AUDITOR, "PB-G", end=NOW + 3.5 * HOUR)
    assert (found.closing, found.held, found.available) == (-44000, 35000, 9000)
    assert verify_balances(budget) == []
    assert verify_chain(budget).ok


def test_a_rebuilt_projection_has_the_same_holds(budget: Any) -> None:
    held = budget.hold(hold_draft("h1", 30000)).id
    budget.post_hold(hold=held, actor="p", amount=1000)
    budget.hold(hold_draft("h2", 2000))
    catch_up()

    def holds() -> list[tuple[Any, ...]]:
        return list(
            models.HoldLeg.objects.order_by("hold__position", "id").values_list(
                "hold_id",
                "hold__status",
                "hold__posted_amount",
                "hold__entry",
                "hold__released_at",
                "account__code",
                "side",
                "amount",
                "effective_at",
                "released_at",
            )
        )

    def pending() -> list[tuple[Any, ...]]:
        return list(models.Account.objects.values_list("code", "pending_debits", "pending_credits"))

    live = (snapshot(), holds(), pending())
    projection().rebuild()
    assert (snapshot(), holds(), pending()) == live
    assert verify_balances(budget) == []


def test_verify_finds_a_read_model_whose_holds_disagree_with_the_events(budget: Any) -> None:
    budget.hold(hold_draft("h1", 30000))
    catch_up()
    models.Account.objects.filter(code="PB-G").update(pending_debits=1)
    problems = verify_balances(budget)
    assert any("PB-G shows holds of 1p debit" in p for p in problems), problems
    assert any("pending holds debit" in p for p in problems), problems


def test_a_tampered_hold_is_named_by_the_chain(budget: Any) -> None:
    held = budget.hold(hold_draft("h1", 30000)).id
    catch_up()
    assert verify_chain(budget).ok
    tamper(held)  # its reason, "a test entry", quietly edited
    verdict = verify_chain(budget)
    assert not verdict.ok and str(held) in verdict.problem


# -- expiry
def test_the_beat_task_releases_expired_holds_once(budget: Any) -> None:
    from ledger.tasks import expire_pending_holds

    schedule = django_settings.CELERY_BEAT_SCHEDULE["expire-pending-holds"]
    assert schedule["task"] == expire_pending_holds.name == "ledger.tasks.expire_pending_holds"
    soon = datetime.now(UTC) + timedelta(seconds=1)
    held = budget.hold(hold_draft("h1", 30000, expires_at=soon)).id
    later = budget.hold(hold_draft("h2", 1000)).id
    catch_up()
    clock.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    assert expire_pending_holds.apply().get() == 1
    assert expire_pending_holds.apply().get() == 0  # once
    row = queries.hold(AUDITOR, held)
    assert (row.status, row.released_at, row.resolved_by_actor) == (
        "expired",
        row.expires_at,
        "careledger",
    )
    assert queries.hold(AUDITOR, later).status == "pending"
    assert standing("PB-G") == (50000, 1000, 49000)
    # As it stood: held until its expiry, not after.
    assert standing("PB-G", soon - timedelta(microseconds=1))[1] == 31000
    assert standing("PB-G", soon)[1] == 1000
    assert verify_balances(budget) == []


def test_expiry_passes_over_a_hold_posted_since_the_read_model_saw_it(budget: Any) -> None:
    held = budget.hold(hold_draft("h1", 30000, expires_at=datetime.now(UTC) + timedelta(days=1)))
    catch_up()
    budget.post_hold(hold=held.id, actor="p")  # not yet projected when the job looks
    assert expire_holds(datetime.now(UTC) + timedelta(days=2)) == 0
    assert queries.hold(AUDITOR, held.id).status == "posted"


# -- concurrency, from threads
def run_together(attempt: Any, count: int) -> list[Any]:
    def guarded(i: int) -> Any:
        try:
            return attempt(i)
        except Exception as exc:  # noqa: BLE001 - the refusal is what is counted
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(guarded, range(count)))


def test_concurrent_posts_of_one_hold_post_it_once(budget: Any) -> None:
    held = budget.hold(hold_draft("h1", 45000)).id
    results = run_together(lambda i: budget.post_hold(hold=held, actor=f"p{i}"), 10)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.created for r in results) == 1
    assert len({r.id for r in results}) == 1
    catch_up()
    assert models.Entry.objects.filter(hold=held).count() == 1
    assert standing("PB-G") == (5000, 0, 5000)
    assert verify_balances(budget) == []


def test_posts_and_voids_of_one_hold_racing_do_one_of_them(budget: Any) -> None:
    held = budget.hold(hold_draft("h1", 45000)).id

    def attempt(i: int) -> Any:
        if i % 2:
            return budget.void_hold(hold=held, actor=f"v{i}", reason="ended")
        return budget.post_hold(hold=held, actor=f"p{i}")

    results = run_together(attempt, 10)
    done = [r for r in results if not isinstance(r, Exception) and r.created]
    assert len(done) == 1
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, HoldNotPendingError) for r in refused), refused
    catch_up()
    status = queries.hold(AUDITOR, held).status
    assert status in ("posted", "voided")
    assert models.Entry.objects.filter(hold=held).count() == (status == "posted")
    assert standing("PB-G")[1:] == (0, standing("PB-G")[0])
    assert verify_balances(budget) == []


def test_holds_racing_for_the_last_pounds_never_overdraw_the_budget(budget: Any) -> None:
    results = run_together(lambda i: budget.hold(hold_draft(f"race-{i}", 10000)), 10)
    placed = [r for r in results if not isinstance(r, Exception)]
    assert len(placed) == 5
    assert all(isinstance(r, OverdraftError) for r in results if isinstance(r, Exception))
    catch_up()
    assert standing("PB-G") == (50000, 50000, 0)
    assert models.Hold.objects.count() == 5
    assert verify_balances(budget) == []


def test_a_hold_and_a_spend_racing_for_the_last_pounds_do_not_both_succeed(budget: Any) -> None:
    def attempt(i: int) -> Any:
        if i % 2:
            return budget.hold(hold_draft(f"hold-{i}", 30000))
        return budget.post_entry(
            draft(f"spend-{i}", [("PB-G", "debit", 30000), ("PB-C", "credit", 30000)])
        )

    results = run_together(attempt, 8)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    catch_up()
    balance, held, available = standing("PB-G")
    assert available == 20000 and held + (50000 - balance) == 30000
    assert verify_balances(budget) == []


# -- snapshots
def test_an_account_with_holds_from_a_snapshot_equals_its_replay() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"{tmp}/e.sqlite3"}

        class Snapshotting(LedgerApplication):
            snapshotting_intervals = {Account: 3}  # noqa: RUF012

        writer = Snapshotting(env=env)
        writer.open_account(code="FUND", name="Fund", type="equity", actor="t")
        writer.open_account(code="PB-G", name="B", type="liability", actor="t", no_overdraft=True)
        writer.open_account(code="PB-C", name="C", type="liability", actor="t")
        writer.post_entry(draft("a", [("FUND", "debit", 50000), ("PB-G", "credit", 50000)]))
        holds = [writer.hold(hold_draft(f"h{i}", 5000)).id for i in range(6)]
        writer.post_hold(hold=holds[0], actor="p", amount=2000)
        writer.void_hold(hold=holds[1], actor="p", reason="ended")
        replayer, loader = LedgerApplication(env=env), Snapshotting(env=env)
        assert writer.snapshots is not None
        # Holds record no event on the account (its guard row keeps them): nothing to snapshot.
        assert not list(writer.snapshots.get(account_id("PB-G")))
        for code in ("PB-G", "PB-C"):
            replayed: Any = replayer.repository.get(account_id(code))
            restored: Any = loader.repository.get(account_id(code))
            assert restored.version == replayed.version
            assert state(restored) == state(replayed)
        account = loader.get_account("PB-G")
        assert (account.balance, account.held, account.available) == (-48000, 20000, 28000)
        # And the loader, which never saw the holds, keeps counting them.
        with pytest.raises(OverdraftError):
            loader.hold(hold_draft("too-much", 28001))
        loader.post_hold(hold=holds[2], actor="p")
        assert Snapshotting(env=env).get_account("PB-G").available == 28000
        for app in (writer, replayer, loader):
            app.close()


def test_a_snapshot_taken_before_accounts_kept_holds_reads_back_with_none() -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.open_account(code="PB-G", name="B", type="liability", actor="t", no_overdraft=True)
    account = app.get_account("PB-G")
    old = Account.Snapshot.take(account)  # type: ignore[attr-defined]
    old_state = {k: v for k, v in old.state.items() if not k.startswith("pending_")}
    old_state.pop("class_version")
    restored: Any = Account.Snapshot(  # type: ignore[attr-defined]
        originator_id=old.originator_id,
        originator_version=old.originator_version,
        timestamp=old.timestamp,
        topic=old.topic,
        state=old_state,
    ).mutate(None)
    assert (restored.pending_debits, restored.pending_credits, restored.available) == (0, 0, 0)


# -- the API: read-only holds, and held and available wherever a balance is shown
def test_the_api_shows_holds_and_what_is_left_and_places_none(budget: Any, make_user: Any) -> None:
    from api.models import PersonalDataRead

    budget.open_account(
        code="PB:DN-9:AVAILABLE",
        name="Budget",
        type="liability",
        actor="t",
        owner_kind="budget",
        owner_id="DN-9",
        no_overdraft=True,
    )
    first = budget.hold(hold_draft("h1", 30000, effective_at=NOW)).id
    budget.post_hold(hold=first, actor="p", amount=10000, effective_at=NOW + HOUR)
    budget.hold(hold_draft("h2", 5000, effective_at=NOW + 2 * HOUR))
    catch_up()
    finance = Client()
    finance.force_login(make_user("farah", Role.FINANCE_OFFICER.value))

    account = finance.get("/api/v1/ledger/accounts/PB-G").json()
    assert (account["balance"], account["held"], account["available"]) == (
        "£400.00",
        "£50.00",
        "£350.00",
    )
    assert (account["balance_pence"], account["held_pence"], account["available_pence"]) == (
        -40000,
        5000,
        35000,
    )
    at = (NOW + HOUR / 2).isoformat().replace("+00:00", "Z")
    balance = finance.get(f"/api/v1/ledger/accounts/PB-G/balance?as_at={at}").json()
    assert (balance["balance_pence"], balance["held_pence"], balance["available_pence"]) == (
        -50000,
        30000,
        20000,
    )
    assert balance["available"] == "£200.00"
    statement = finance.get(f"/api/v1/ledger/accounts/PB-G/statement?end={at}").json()
    assert (statement["closing_held_pence"], statement["closing_available_pence"]) == (30000, 20000)
    listed = finance.get(f"/api/v1/ledger/accounts/PB-G/holds?as_at={at}").json()
    assert [h["id"] for h in listed["items"]] == [str(first)]
    every = finance.get("/api/v1/ledger/accounts/PB-G/holds").json()["items"]
    assert [(h["status"], h["amount_pence"], h["posted_amount_pence"]) for h in every] == [
        ("posted", 30000, 10000),
        ("pending", 5000, 0),
    ]
    one = finance.get(f"/api/v1/ledger/holds/{first}").json()
    assert one["legs"] == [
        {"account": "PB-G", "side": "debit", "amount_pence": 30000, "amount": "£300.00"},
        {"account": "PB-C", "side": "credit", "amount_pence": 30000, "amount": "£300.00"},
    ]
    entry = finance.get(f"/api/v1/ledger/entries/{one['entry']}").json()
    assert (entry["hold"], entry["kind"], entry["amount_pence"]) == (
        str(first),
        "commitment",
        10000,
    )
    assert finance.get(f"/api/v1/ledger/holds/{hold_id('never')}").status_code == 404
    # Holds are placed by the contexts, not by finance through the API.
    body = json.dumps({"kind": "commitment", "legs": [], "reason": "x"})
    for path in ("/api/v1/ledger/accounts/PB-G/holds", "/api/v1/ledger/holds"):
        answer = finance.post(path, data=body, content_type="application/json")
        assert answer.status_code in (404, 405), path
    # A person reads no ledger, and a staff read of a budget's holds is logged.
    person = Client()
    person.force_login(make_user("sam", Role.PERSON.value))
    assert person.get("/api/v1/ledger/accounts/PB-G/holds").status_code == 403
    assert person.get(f"/api/v1/ledger/holds/{first}").status_code == 403
    finance.get("/api/v1/ledger/accounts/PB:DN-9:AVAILABLE/holds")
    assert PersonalDataRead.objects.filter(subject="DN-9", what__contains="/holds").exists()
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/ledger/accounts/{code}/holds" in schema["paths"]
    assert set(schema["paths"]["/api/v1/ledger/accounts/{code}/holds"]) == {"get"}


# -- the pages
def test_the_statement_page_shows_held_and_available_as_at_the_day(
    budget: Any, make_user: Any
) -> None:
    budget.hold(hold_draft("h1", 30000, effective_at=NOW, reason="Support plan for Sam"))
    catch_up()
    auditor = Client()
    auditor.force_login(make_user("ava", Role.AUDITOR.value))
    day = (NOW - timedelta(days=1)).astimezone(UTC)
    before = auditor.get(
        f"/ledger/accounts/PB-G/?day={day.day}&month={day.month}&year={day.year}"
    ).content.decode()
    assert 'data-testid="as-at-held">£0.00' in before
    assert 'data-testid="as-at-available">£500.00' in before
    assert 'data-testid="current-held">£300.00' in before
    assert 'data-testid="current-available">£200.00' in before
    assert "Support plan for Sam" not in before  # not pending that day
    later = NOW + timedelta(days=2)
    after = auditor.get(
        f"/ledger/accounts/PB-G/?day={later.day}&month={later.month}&year={later.year}"
    ).content.decode()
    assert 'data-testid="as-at-held">£300.00' in after
    assert 'data-testid="as-at-available">£200.00' in after
    assert "Holds pending as at" in after and "Support plan for Sam" in after


def test_my_budget_and_the_case_page_show_what_is_left(
    sam: str,  # noqa: F811 - the fixture
    make_user: Any,
) -> None:
    from tests.integration.helpers import person, signed_in

    council_managed(sam)  # £322.00 a week: £16,744.00 for the year
    payments = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
    payments.hold(
        HoldDraft.create(
            idempotency_key="engagement:EN-1:plan-fee",
            kind="commitment",
            legs=[
                {"account": f"PB:{sam}:AVAILABLE", "side": "debit", "amount": 45000},
                {"account": f"PB:{sam}:COMMITTED", "side": "credit", "amount": 45000},
            ],
            expires_at=datetime.now(UTC) + timedelta(days=60),
            actor="careledger",
            reason="Engagement accepted: support plan £450.00",
            budget=sam,
            source_document="engagement:EN-1",
        )
    )
    catch_up()
    mine = person(make_user, "sam", sam).get("/my-budget/").content.decode()
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER).get(f"/cases/{sam}/")
    for page in (mine, worker.content.decode()):
        left = page[page.index("What is left") :]
        assert 'data-figure="left_balance">£16,744.00<' in left
        assert 'data-figure="left_held">£450.00<' in left
        assert 'data-figure="left_available">£16,294.00<' in left


def test_a_cut_cannot_take_back_what_is_held(sam: str) -> None:  # noqa: F811 - the fixture
    from budgets.domain import BudgetError
    from budgets.services import budget_app, revise
    from tests.integration.helpers import ALEX
    from tests.unit.test_people import SAM_OUTCOMES

    council_managed(sam)
    ledger_app().open_account(code="PROVIDER:X", name="Provider", type="liability", actor="t")
    held = 32200 * 52 - 10_000  # all but £100 of the year is held
    ledger_app().journal(Actor.system(), context=Owner.PAYMENTS).hold(
        HoldDraft.create(
            idempotency_key="order:1",
            kind="managed_spend",
            legs=[
                {"account": f"PB:{sam}:AVAILABLE", "side": "debit", "amount": held},
                {"account": "PROVIDER:X", "side": "credit", "amount": held},
            ],
            expires_at=datetime.now(UTC) + timedelta(days=60),
            actor="careledger",
            reason="A year of care ordered",
            budget=sam,
        )
    )
    app = budget_app()
    app.record_assessment(
        sam,
        today=TODAY,
        actor=ALEX,
        own_words={"day_in_my_life": "Managing better"},
        outcomes=SAM_OUTCOMES,
        arises_from_impairment=True,
        significant_impact=True,
    )
    with pytest.raises(BudgetError, match="cannot give back"):
        revise(
            sam,
            today=TODAY,
            actor=ALEX,
            weekly=30000,
            split={"council_managed": 30000},
            reason="Needs less help",
        )
    assert app.get_budget(sam).weekly == 32200
    catch_up()
    assert not models.Entry.objects.filter(budget=sam, kind="adjustment").exists()
