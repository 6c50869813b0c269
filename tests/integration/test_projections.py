"""The read models, the hash chain and the management commands, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.actor import Actor
from config.roles import Role
from ledger import models, queries
from ledger.integrity import verify_balances, verify_chain
from ledger.services import catch_up, projection
from tests.conftest import NOW, draft, is_postgres, pg_connect

AUDITOR = Actor(id="ava", roles=frozenset({Role.AUDITOR}))  # who reads the ledger's statements

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "accounts": list(
            models.Account.objects.order_by("code").values_list(
                "code", "type", "is_closed", "balance", "leg_count"
            )
        ),
        "entries": list(
            models.Entry.objects.order_by("position").values_list(
                "id",
                "position",
                "kind",
                "effective_at",
                "actor",
                "reason",
                "amount",
                "reverses",
                "reversed_by",
            )
        ),
        "lines": list(
            models.Line.objects.order_by("entry__position", "account__code", "side").values_list(
                "entry_id", "account__code", "side", "amount", "effective_at", "running_balance"
            )
        ),
        "chain": list(
            models.ChainLink.objects.order_by("position").values_list("position", "hash")
        ),
    }


def test_balances_statement_and_as_at(app: Any) -> None:
    day = timedelta(days=1)
    app.post_entry(
        draft("a", [("FUND", "debit", 30000), ("PB-1", "credit", 30000)], effective_at=NOW)
    )
    app.post_entry(
        draft(
            "b", [("PB-1", "debit", 10000), ("PROVIDER-1", "credit", 10000)], effective_at=NOW + day
        )
    )
    # Backdated: effective before both, recorded after them.
    app.post_entry(
        draft("c", [("FUND", "debit", 500), ("PB-1", "credit", 500)], effective_at=NOW - day)
    )
    catch_up()
    pb = queries.account_by_code("PB-1")
    assert pb.balance == -20500 and pb.normal_balance == 20500 and pb.leg_count == 3
    assert queries.balance(pb, NOW - 2 * day) == 0
    assert queries.balance(pb, NOW - day) == -500
    assert queries.balance(pb, NOW) == -30500
    assert queries.balance(pb, NOW + day) == -20500
    full = queries.statement(AUDITOR, "PB-1", start=None, end=None)
    running = [line.running_balance for line in full.lines]
    assert running == [-500, -30500, -20500]
    window = queries.statement(AUDITOR, "PB-1", start=NOW, end=NOW + day)
    assert (window.opening, window.closing) == (-500, -20500)
    assert [line.amount for line in window.lines] == [30000, 10000]


def test_reversal_shows_on_both_entries_and_restores_the_balance(app: Any) -> None:
    original = app.post_entry(draft("a", [("FUND", "debit", 700), ("PB-1", "credit", 700)])).id
    reversal = app.reverse_entry(entry=original, actor="fo", reason="wrong", effective_at=NOW).id
    catch_up()
    first, second = queries.entry(AUDITOR, original), queries.entry(AUDITOR, reversal)
    assert first.reversed_by == reversal and first.reversal_reason == "wrong"
    assert second.reverses == original and second.kind == "reversal"
    assert queries.account_by_code("PB-1").balance == 0


def test_catch_up_is_idempotent_and_stops_where_asked(app: Any) -> None:
    results = [
        app.post_entry(draft(f"k{i}", [("FUND", "debit", 100), ("PB-1", "credit", 100)]))
        for i in range(5)
    ]
    assert catch_up(until=results[1].position) == results[1].position
    assert models.Entry.objects.count() == 2
    catch_up()
    catch_up()
    assert models.Entry.objects.count() == 5
    assert queries.account_by_code("FUND").balance == 500


def test_rebuilt_read_models_equal_the_live_ones(app: Any) -> None:
    for i in range(30):
        app.post_entry(
            draft(
                f"k{i}",
                [("FUND", "debit", 100 + i), ("PB-1" if i % 2 else "PB-2", "credit", 100 + i)],
                effective_at=NOW - timedelta(hours=(i * 7) % 13),
            )
        )
    app.reverse_entry(
        entry=app.post_entry(draft("x", [("BANK", "debit", 9), ("FUND", "credit", 9)])).id,
        actor="fo",
        reason="r",
    )
    catch_up()
    live = snapshot()
    call_command("rebuild_projections", verbosity=0)
    assert snapshot() == live
    assert verify_balances(app) == []


def test_verify_ledger_reports_ok_with_count_and_head(app: Any, capsys: Any) -> None:
    app.post_entry(draft("a", [("FUND", "debit", 100), ("PB-1", "credit", 100)]))
    call_command("verify_ledger")
    out = capsys.readouterr().out
    head = models.ProjectionPosition.objects.get(name="ledger").head_hash
    # Five accounts opened and the entry (its legs move the guard table, not the accounts).
    assert out.strip() == f"OK 6 events, head {head}"


def tamper(entry_id: Any) -> None:
    """Change an entry's stored event behind the application's back, as an intruder would."""
    from django.conf import settings as django_settings

    from config.eventstore import app_env

    env = django_settings.EVENTSTORE
    if is_postgres():
        with pg_connect() as conn:
            changed = conn.execute(
                f"UPDATE {app_env(env, 'ledger')['POSTGRES_SCHEMA']}.ledger_events "
                "SET state = convert_to(replace("
                "convert_from(state, 'UTF8'), 'a test entry', 'a quiet edit'), 'UTF8') "
                "WHERE originator_id = %s",
                (entry_id,),
            ).rowcount
    else:
        import sqlite3

        with sqlite3.connect(app_env(env, "ledger")["SQLITE_DBNAME"]) as conn:
            changed = conn.execute(
                "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), "
                "'a test entry', 'a quiet edit') AS BLOB) WHERE originator_id = ?",
                (entry_id.hex,),
            ).rowcount
    assert changed == 1


def test_tampering_with_a_stored_event_is_reported(app: Any) -> None:
    ids = [
        app.post_entry(draft(f"k{i}", [("FUND", "debit", 100), ("PB-1", "credit", 100)])).id
        for i in range(3)
    ]
    catch_up()
    assert verify_chain(app).ok
    tamper(ids[1])
    verdict = verify_chain(app)
    assert not verdict.ok
    assert str(ids[1]) in verdict.problem
    assert verdict.count == 6  # five accounts and the first entry are intact
    with pytest.raises(CommandError, match=f"TAMPERED: entry {ids[1]}"):
        call_command("verify_ledger")
    # Rebuilding would recompute the chain from the changed event and hide it: refused.
    with pytest.raises(CommandError, match=f"refusing to rebuild the ledger: entry {ids[1]}"):
        call_command("rebuild_projections", verbosity=0)


def delete_event(entry_id: Any) -> None:
    """Remove an entry's stored event, as an intruder covering their tracks would."""
    from django.conf import settings as django_settings

    from config.eventstore import app_env

    env = django_settings.EVENTSTORE
    if is_postgres():
        with pg_connect() as conn:
            gone = conn.execute(
                f"DELETE FROM {app_env(env, 'ledger')['POSTGRES_SCHEMA']}.ledger_events "
                "WHERE originator_id = %s",
                (entry_id,),
            ).rowcount
    else:
        import sqlite3

        with sqlite3.connect(app_env(env, "ledger")["SQLITE_DBNAME"]) as conn:
            gone = conn.execute(
                "DELETE FROM stored_events WHERE originator_id = ?", (entry_id.hex,)
            ).rowcount
    assert gone == 1


def test_the_first_of_two_tampered_entries_is_the_one_named(app: Any) -> None:
    ids = [
        app.post_entry(draft(f"t{i}", [("FUND", "debit", 100), ("PB-1", "credit", 100)])).id
        for i in range(4)
    ]
    catch_up()
    tamper(ids[3])
    tamper(ids[1])  # changed second, but earlier in the log: it is the first bad entry
    verdict = verify_chain(app)
    assert not verdict.ok and str(ids[1]) in verdict.problem and str(ids[3]) not in verdict.problem


def test_a_deleted_event_is_reported_missing(app: Any) -> None:
    ids = [
        app.post_entry(draft(f"d{i}", [("FUND", "debit", 100), ("PB-1", "credit", 100)])).id
        for i in range(3)
    ]
    catch_up()
    position = models.Entry.objects.get(id=ids[1]).position
    delete_event(ids[1])
    verdict = verify_chain(app)
    assert not verdict.ok
    assert verdict.problem.startswith(f"event at position {position} is missing")
    with pytest.raises(CommandError, match=f"position {position} is missing"):
        call_command("verify_ledger")


def test_verify_checks_the_read_models_against_the_events(app: Any) -> None:
    app.post_entry(draft("a", [("FUND", "debit", 100), ("PB-1", "credit", 100)], effective_at=NOW))
    app.post_entry(draft("b", [("FUND", "debit", 50), ("PB-1", "credit", 50)], effective_at=NOW))
    catch_up()
    assert verify_balances(app) == []
    line = models.Line.objects.filter(account__code="PB-1").order_by("effective_at", "id").first()
    assert line is not None
    models.Line.objects.filter(id=line.id).update(running_balance=999)
    assert verify_balances(app) == [
        f"1 running balances disagree with their legs (first: line {line.id})"
    ]
    models.Line.objects.filter(id=line.id).update(running_balance=-100)
    models.Account.objects.filter(code="FUND").update(balance=1)
    problems = verify_balances(app)
    assert "account FUND shows 1p but its events sum to 150p" in problems


legs_strategy = st.lists(
    st.tuples(
        st.sampled_from(["FUND", "BANK", "PB-1", "PB-2", "PROVIDER-1"]),
        st.sampled_from(["FUND", "BANK", "PB-1", "PB-2", "PROVIDER-1"]),
        st.integers(min_value=1, max_value=10_000_000),
        st.integers(min_value=-240, max_value=240),  # hours from NOW: back and forward dated
        st.booleans(),  # reverse it afterwards
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=legs_strategy, probe_hours=st.integers(min_value=-300, max_value=300))
def test_random_valid_sequences_keep_every_invariant(
    stores: Any, steps: Any, probe_hours: int
) -> None:
    app = stores.new()
    projection().reset()  # empty read models for this example's new event store
    for code, kind in [
        ("FUND", "equity"),
        ("BANK", "asset"),
        ("PB-1", "liability"),
        ("PB-2", "liability"),
        ("PROVIDER-1", "liability"),
    ]:
        app.open_account(code=code, name=code, type=kind, actor="t")
    balances_before_reversal = {}
    legs: list[tuple[str, int, datetime]] = []  # the model: (account, signed amount, effective)
    for i, (debit, credit, amount, hours, reverse) in enumerate(steps):
        when = NOW + timedelta(hours=hours)
        legs += [(debit, amount, when), (credit, -amount, when)]
        if reverse:
            legs += [(debit, -amount, when), (credit, amount, when)]
        result = app.post_entry(
            draft(
                f"k{i}",
                [(debit, "debit", amount), (credit, "credit", amount)],
                effective_at=NOW + timedelta(hours=hours),
            )
        )
        if reverse:
            catch_up()
            balances_before_reversal = dict(models.Account.objects.values_list("code", "balance"))
            # The reversal is effective at the same instant, so as-at sums stay comparable.
            app.reverse_entry(
                entry=result.id, actor="t", reason="undo", effective_at=NOW + timedelta(hours=hours)
            )
            catch_up()
            after = dict(models.Account.objects.values_list("code", "balance"))
            signed = {debit: 0, credit: 0}
            signed[debit] += amount
            signed[credit] -= amount
            # Reversing restores each balance to what it was before the entry.
            for code, delta in signed.items():
                assert after[code] == balances_before_reversal[code] - delta
    catch_up()
    # All balances sum to zero.
    assert sum(models.Account.objects.values_list("balance", flat=True)) == 0
    # An as-at balance equals the sum of the legs effective up to that instant, worked out
    # from the generated steps themselves, not from the read model being checked.
    probe = NOW + timedelta(hours=probe_hours)
    for account in models.Account.objects.all():
        expected = sum(
            signed for code, signed, when in legs if code == account.code and when <= probe
        )
        assert queries.balance(account, probe) == expected
    assert verify_balances(app) == []  # every balance and running balance against the events
    # A rebuilt projection equals the live one.
    live = snapshot()
    projection().rebuild()
    assert snapshot() == live
    assert verify_chain(app).ok
