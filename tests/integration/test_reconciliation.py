"""Finance reconciles the council's bank account (payments/reconciliation.py, reconcile.py):
a month of Bacs payments against the bank's MT940 statement with one payment returned, one
unexpected bank debit and one duplicate line: matched where they should be, the exceptions
raised, each put right (by hand with a reason, or by a correcting entry a second officer
approves), the period closed at zero difference and then frozen; the same file imported twice
adds nothing; the ledger's bank balance equals the statement's to the penny."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from config.actor import Actor
from config.roles import Role
from payments.application import payable, payments_app
from payments.direct_payments import BankAccount, Payee
from payments.policies import NotPermittedError
from payments.rails import BacsRail
from payments.reconciliation import (
    AlreadyMatchedError,
    PeriodClosedError,
    ProblemKind,
    ReconciliationError,
)
from payments.services import bank_balance_at, bank_expectations, reconciler
from tests.integration.test_payment_runs import (
    CAL,
    COUNCIL,
    SYSTEM,
    agree,
    budget,
    journal,
    ledger,
)

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["ledger"]
LBROWN = Actor(id="l.brown", roles=frozenset({Role.FINANCE_OFFICER}))
AFTER = date(2027, 1, 4)  # December has ended: it may be closed
MPATEL = Actor(id="m.patel", roles=frozenset({Role.FINANCE_OFFICER}))


def mt940(lines: list[tuple[str, str, str, str]]) -> bytes:
    """A statement: (YYMMDD, "D" or "C", amount, reference // details)."""
    body = "".join(
        f":61:{on}{on[2:]}{side}{amount}NTRF{ref}//BACS\n:86:{details}\n"
        for on, side, amount, (ref, details) in ((a, b, c, d.split("|")) for a, b, c, d in lines)
    )
    return (
        ":20:STMT-2026-12\n:25:401234/12345678\n:28C:00001/001\n:60F:C261201GBP0,00\n"
        f"{body}:62F:D261231GBP0,00\n-\n"
    ).encode()


@pytest.fixture
def after_december(monkeypatch: pytest.MonkeyPatch) -> None:
    """The council's today, for the routes and pages: after December, so it may close."""
    monkeypatch.setattr("payments.services.today", lambda: AFTER)


@pytest.fixture
def paid(ledger: Any, tmp_path: Path) -> list[str]:
    """Three people's first direct payments (£1,040.00 each) paid by Bacs for 24 December."""
    app = payments_app()
    refs = ["DN-RA", "DN-RB", "DN-RC"]
    for n, ref in enumerate(refs):
        budget(ledger, ref)
        bank = BankAccount.create(sort_code=f"20000{n}", account_number=f"4000000{n}", name=ref)
        agree(app, ref, Payee.create(kind="person", name=ref, bank=bank), date(2026, 12, 28))
    rail = BacsRail(originator=COUNCIL, folder=tmp_path)
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 18), calendar=CAL)
    assert app.work_run(SYSTEM, run, rail=rail, journal=journal(ledger)).paid == 3
    return refs


def test_a_month_reconciled_to_zero_and_closed(ledger: Any, paid: list[str]) -> None:
    rec = reconciler()
    statement = mt940(
        [
            ("261224", "D", "1040,00", "DP DN-RA P01|DP DN-RA P01"),
            ("261224", "D", "1040,00", "DP DN-RB P01|DP DN-RB P01"),
            ("261224", "D", "1040,00", "DP DN-RB P01|DP DN-RB P01 AGAIN"),
            ("261224", "D", "1040,00", "DP DN-RC P01|DP DN-RC P01"),
            ("261229", "C", "1040,00", "DP DN-RC P01|RETURNED ACCOUNT CLOSED"),
            ("261231", "D", "55,20", "CHARGES|BANK CHARGES DECEMBER"),
        ]
    )
    with pytest.raises(NotPermittedError):
        rec.import_statement(
            Actor(id="a", roles=frozenset({Role.AUDITOR})), kind="mt940", filename="s", data=b""
        )
    first = rec.import_statement(LBROWN, kind="mt940", filename="dec.sta", data=statement)
    again = rec.import_statement(MPATEL, kind="mt940", filename="copy.sta", data=statement)
    assert (first.lines, first.new, again.new, again.id) == (6, True, False, first.id)
    assert len(rec.lines()) == 6  # the same file twice adds nothing

    expected = bank_expectations()
    state = rec.match_automatically(LBROWN, expected)
    matched = {e for m in rec.matches() for e in m.expected}
    assert matched == {"payments:dp:DN-RA:P01", "payments:dp:DN-RC:P01"}
    kinds = sorted(p.kind.value for p in state.problems)
    assert kinds == ["duplicate", "duplicate", "returned", "unexpected"]
    assert all(m.rule == "reference-amount-v1" and m.evidence for m in rec.matches())
    report = rec.report("2026-12", expected)
    assert (report["open_lines"], report["difference_pence"]) == (4, 3 * 104000 + 5520)
    with pytest.raises(ReconciliationError, match="4 lines"):
        rec.close(LBROWN, "2026-12", expected, today=AFTER)

    lines = {p.kind: [] for p in state.problems}  # type: ignore[var-annotated]
    for p in state.problems:
        lines[p.kind].append(p.line)
    one, other = lines[ProblemKind.DUPLICATE]
    # One of the duplicate lines is the payment, matched by hand with a reason …
    rec.confirm(
        LBROWN,
        lines=[one],
        expected=["payments:dp:DN-RB:P01"],
        payments=expected,
        reason="the first of the two debits is the payment",
    )
    with pytest.raises(AlreadyMatchedError):
        rec.confirm(
            MPATEL, lines=[other], expected=["payments:dp:DN-RB:P01"], payments=expected, reason="m"
        )
    # A match never hides a difference, nor names a payment nobody expects.
    with pytest.raises(ReconciliationError, match="must not hide a difference"):
        rec.confirm(
            MPATEL,
            lines=[other],
            expected=["payments:dp:DN-RA:P01", "payments:dp:DN-RB:P01"],
            payments=expected,
            reason="both",
        )
    with pytest.raises(ReconciliationError, match="is expected"):
        rec.confirm(MPATEL, lines=[other], expected=["nope"], payments=expected, reason="x")
    with pytest.raises(ReconciliationError, match="do not suggest"):
        rec.confirm(
            MPATEL,
            lines=[other],
            expected=["payments:dp:DN-RB:P01"],
            payments=expected,
            suggested=True,
        )
    # … the other a second debit by the bank: to recover from the payee.
    rec.propose_correction(LBROWN, line=other, kind="recover", reason="paid twice by the bank")
    with pytest.raises(ReconciliationError, match="second finance officer"):
        rec.approve_correction(LBROWN, line=other, journal=journal(ledger))
    rec.approve_correction(MPATEL, line=other, journal=journal(ledger))
    [returned] = lines[ProblemKind.RETURNED]
    rec.propose_correction(
        LBROWN,
        line=returned,
        kind="returned",
        reason="account closed: owed again",
        payment="payments:dp:DN-RC:P01",
    )
    rec.approve_correction(MPATEL, line=returned, journal=journal(ledger))
    [charge] = lines[ProblemKind.UNEXPECTED]
    rec.propose_correction(LBROWN, line=charge, kind="write_off", reason="December's charges")
    rec.approve_correction(MPATEL, line=charge, journal=journal(ledger))

    with pytest.raises(ReconciliationError, match="has not ended"):  # its payments to come
        rec.close(MPATEL, "2026-12", expected, today=date(2026, 12, 31))
    closed = rec.close(
        MPATEL,
        "2026-12",
        expected,
        today=AFTER,
        balance_at=bank_balance_at,
        journal=journal(ledger),
    )
    assert (closed["open_lines"], closed["difference_pence"], closed["closed_by"]) == (
        0,
        0,
        "m.patel",
    )
    # To the penny: what the ledger says the bank holds is what the bank says it holds.
    bank_total = sum(x.amount for x in rec.lines())
    assert bank_total == -(4 * 104000) + 104000 - 5520
    assert ledger.get_account("COUNCIL:BANK").balance == bank_total
    assert ledger.get_account(payable("DN-RC")).balance == -104000  # owed to C again
    assert ledger.get_account("COUNCIL:OVERPAYMENTS").balance == 104000
    assert ledger.get_account("COUNCIL:BANK-CHARGES").balance == 5520
    # Frozen: nothing more goes into December.
    with pytest.raises(PeriodClosedError):
        rec.close(LBROWN, "2026-12", expected, today=AFTER)
    with pytest.raises(PeriodClosedError, match="which is closed"):
        rec.import_statement(
            LBROWN,
            kind="mt940",
            filename="late.sta",
            data=mt940([("261230", "D", "1,00", "LATE|A LATE CHARGE")]),
        )
    assert rec.report("2026-12", expected)["closed_by"] == "m.patel"  # as it was frozen
    # The ledger itself refuses an entry on the bank dated in the closed month, whoever posts
    # it; the same correction dated in January is taken.
    from datetime import UTC, datetime

    from ledger.domain import BooksClosedError
    from tests.conftest import draft

    legs = [("COUNCIL:BANK-CHARGES", "debit", 100), ("COUNCIL:BANK", "credit", 100)]
    finance = ledger.journal(LBROWN)
    with pytest.raises(BooksClosedError, match="closed through 31 December 2026"):
        on = datetime(2026, 12, 30, tzinfo=UTC)
        finance.post_entry(draft("late", legs, kind="adjustment", effective_at=on))
    on = datetime(2027, 1, 2, tzinfo=UTC)
    finance.post_entry(draft("late", legs, kind="adjustment", effective_at=on))
    assert ledger.get_account("COUNCIL:BANK").balance == bank_total - 100
    assert closed["opening_balance_pence"] == 0
    assert closed["closing_balance_pence"] == bank_total


def test_finance_reconciles_through_the_api_and_an_auditor_changes_nothing(
    ledger: Any, paid: list[str], make_user: Any, after_december: None
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.integration.helpers import signed_in

    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    auditor = signed_in(make_user, "a.audit", Role.AUDITOR)
    data = mt940(
        [
            ("261224", "D", "1040,00", "DP DN-RA P01|DP DN-RA P01"),
            ("261224", "D", "1040,00", "DP DN-RB P01|DP DN-RB P01"),
            ("261224", "D", "1040,00", "BACS|ONE PAYMENT, NO REFERENCE"),
        ]
    )

    def upload(client: Any) -> Any:
        return client.post(
            "/api/v1/payments/reconciliation/imports",
            {"kind": "mt940", "file": SimpleUploadedFile("dec.sta", data)},
        )

    assert upload(auditor).status_code == 403
    made = upload(finance)
    assert (made.status_code, made.json()["lines"], made.json()["new"]) == (201, 3, True)
    assert upload(finance).status_code == 200  # the same file: nothing added
    state = auditor.get("/api/v1/payments/reconciliation").json()
    assert state["matched"] == 0  # made at import; what is listed is what is left
    [suggestion] = state["suggestions"]
    assert suggestion["expected"] == ["payments:dp:DN-RC:P01"]
    body = {"lines": suggestion["lines"], "expected": suggestion["expected"], "suggested": True}
    route = "/api/v1/payments/reconciliation/matches"
    assert auditor.post(route, body, content_type="application/json").status_code == 403
    confirmed = finance.post(route, body, content_type="application/json")
    assert confirmed.status_code == 201 and confirmed.json()["exceptions"] == []
    report = auditor.get("/api/v1/payments/reconciliation/periods/2026-12").json()
    assert (report["lines"], report["open_lines"], report["difference_pence"]) == (3, 0, 0)
    close = "/api/v1/payments/reconciliation/periods/2026-12/close"
    assert auditor.post(close).status_code == 403
    assert finance.post(close).json()["closed_by"] == "l.brown"
    assert finance.post(close).status_code == 409
    bad = finance.get("/api/v1/payments/reconciliation/periods/December")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "month"


def test_stripe_transfers_are_imported_incrementally_and_matched_to_the_penny(
    stores: Any, stripe_server: Any
) -> None:
    from payments import stripe as pay
    from payments.rails import StripeRail
    from payments.services import reconciler, stripe_expectations
    from tests.integration.test_payment_faults import RUN_ON, people

    ledger = stores.new()
    keys = people(ledger, stripe_server, 3)
    app, rail = payments_app(), StripeRail()
    run = app.start_run(SYSTEM, rail=rail, run_on=RUN_ON, calendar=CAL)
    assert app.work_run(SYSTEM, run, rail=rail, journal=journal(ledger)).paid == 3
    rec = reconciler("STRIPE:CLEARING")

    def fetch(known: set[str]) -> list[dict[str, Any]]:
        return pay.balance_transactions(kind="transfer", known=known, page=2)  # pages of two

    first = rec.import_stripe(LBROWN, fetch=fetch)
    assert first.new and first.lines >= 3  # ours, and any earlier test's on the server
    again = rec.import_stripe(LBROWN, fetch=fetch)
    assert (again.lines, again.new) == (0, False)  # nothing new since
    rec.match_automatically(LBROWN, stripe_expectations())
    assert sorted(e for m in rec.matches() for e in m.expected) == sorted(keys)
    # The local Stripe server holds every test's transfers: ours are the matched lines.
    matched = {x for m in rec.matches() for x in m.lines}
    total = sum(x.amount for x in rec.lines() if x.id in matched)
    assert total == -3 * 104000 == ledger.get_account("STRIPE:CLEARING").balance
    assert reconciler().lines() == []  # the bank's reconciliation is another account's
    with pytest.raises(ReconciliationError, match="read from Stripe itself"):
        rec.import_statement(LBROWN, kind="mt940", filename="s", data=mt940([]))


def test_the_api_asks_a_worker_for_stripes_transfers(
    stores: Any, stripe_server: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config import celery_app
    from payments.rails import StripeRail
    from tests.integration.helpers import signed_in
    from tests.integration.test_payment_faults import RUN_ON, people

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # the task, run here
    ledger = stores.new()
    ours = people(ledger, stripe_server, 2)
    app, rail = payments_app(), StripeRail()
    run = app.start_run(SYSTEM, rail=rail, run_on=RUN_ON, calendar=CAL)
    app.work_run(SYSTEM, run, rail=rail, journal=journal(ledger))
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    started = finance.post("/api/v1/payments/reconciliation/stripe-imports")
    assert started.status_code == 202, started.content
    state = finance.get("/api/v1/payments/reconciliation?account=STRIPE:CLEARING").json()
    from payments.services import reconciler

    assert sorted(e for m in reconciler("STRIPE:CLEARING").matches() for e in m.expected) == sorted(
        ours
    )
    # The local Stripe server also holds other tests' transfers: unexpected here, as they are.
    refs = {app.get_payment(k).rail_ref for k in ours}
    assert all(not any(r in p["why"] for r in refs) for p in state["exceptions"])
    assert finance.get("/api/v1/payments/reconciliation?account=X").status_code == 422


def test_one_bank_debit_for_a_whole_bacs_file_matches_all_its_payments(
    ledger: Any, paid: list[str]
) -> None:
    expected = bank_expectations()
    serial = expected[0].batch_ref
    assert len(serial) == 6 and {e.batch for e in expected} == {expected[0].batch}
    rec = reconciler()
    rec.import_statement(
        LBROWN,
        kind="mt940",
        filename="dec.sta",
        data=mt940([("261224", "D", "3120,00", f"BACS {serial}|BACS SUBMISSION")]),
    )
    state = rec.match_automatically(LBROWN, expected)
    assert (state.problems, state.suggestions) == ([], [])
    [match] = list(rec.matches())
    assert match.rule == "file-total-v1" and sorted(match.expected) == sorted(
        e.key for e in expected
    )
    assert serial in match.evidence


def test_a_month_on_both_rails_with_a_stripe_payout_closes_at_zero_on_both_accounts(
    ledger: Any,
    paid: list[str],
    stripe_server: Any,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bacs and Stripe in one month: finance tops Stripe up from the bank, Stripe's transfers
    pay two people, Stripe's automatic payout returns what is left with its trace id. The bank's
    statement (with a return, a bank charge and a duplicate) and Stripe's balance are each
    matched, put right and closed at zero, and the ledger equals both to the penny."""
    from datetime import UTC, datetime, timedelta

    import stripe
    from django.utils import timezone

    from config import celery_app
    from payments import stripe as pay
    from payments.rails import StripeRail
    from payments.services import reconciliation_of
    from payments.treasury import bank_reference
    from tests.integration.helpers import signed_in
    from tests.integration.test_payment_faults import RUN_ON, people

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # the tasks, run here
    stripe_server.flush()  # Stripe's whole balance is this test's
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    auditor = signed_in(make_user, "a.audit", Role.AUDITOR)
    stripe_keys = people(ledger, stripe_server, 2, fund=False)

    # Finance tops Stripe up from the bank: once, however often the request is sent.
    route = "/api/v1/payments/stripe-funding"
    body = {"amount_pence": 300_000, "reason": "December's direct payments"}

    def fund(client: Any, sent: dict[str, Any]) -> Any:
        return client.post(
            route, sent, content_type="application/json", HTTP_IDEMPOTENCY_KEY="topup-2026-12"
        )

    assert fund(auditor, body).status_code == 403
    bad = fund(finance, {**body, "amount_pence": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "amount_pence"
    for _ in range(2):
        started = fund(finance, body)
        assert started.status_code == 202, started.content
    assert started.json()["reference"] == bank_reference("topup-2026-12")
    [funding] = auditor.get(route).json()["fundings"]
    assert (funding["amount_pence"], funding["by"]) == (300_000, "l.brown")
    assert len(pay.client().v1.topups.list().data) == 1

    app, rail = payments_app(), StripeRail()
    run = app.start_run(SYSTEM, rail=rail, run_on=RUN_ON, calendar=CAL)
    assert app.work_run(SYSTEM, run, rail=rail, journal=journal(ledger)).paid == 2
    # Stripe's schedule pays out what is left (£3,000 - 2 × £1,040), made of every
    # transaction since: one payout, many transactions.
    payout = stripe_server.post("/_config/payouts/automatic")
    assert payout["amount"] == 300_000 - 2 * 104_000 and payout["automatic"] is True
    # As Stripe: a manual payout (here a person's, from their own account) lists nothing.
    person = {"stripe_account": pay.client().v1.accounts.list().data[0].id}
    manual = pay.client().v1.payouts.create(params={"amount": 1, "currency": "gbp"}, options=person)  # type: ignore[arg-type]
    with pytest.raises(stripe.InvalidRequestError, match="automatic transfers, not manual"):
        pay.client().v1.balance_transactions.list(params={"payout": manual.id}, options=person)  # type: ignore[arg-type]
    paid_out = stripe_server.post(f"/_config/payouts/{payout['id']}/paid")
    trace = paid_out["trace_id"]["value"]

    assert finance.post("/api/v1/payments/reconciliation/stripe-imports").status_code == 202
    [arrived] = auditor.get(route).json()["payouts"]
    assert (arrived["trace_id"], arrived["kinds"]) == (trace, {"topup": 1, "transfer": 2})
    stripe_side = reconciliation_of("STRIPE:CLEARING")
    state = stripe_side.rec.state(stripe_side.expected())
    assert (state.problems, state.suggestions) == ([], [])
    matched = {e for m in stripe_side.rec.matches() for e in m.expected}
    assert matched == {*stripe_keys, "stripe:topup:topup-2026-12", f"stripe:payout:{payout['id']}"}
    # Stripe's balance is what the ledger says it is: nothing left after the payout.
    assert ledger.get_account("STRIPE:CLEARING").balance == 0
    assert pay.client().v1.balance.retrieve().available[0].amount == 0

    # The council's bank: the Bacs file's payments, the top-up out, the payout in.
    on = timezone.localdate()
    arrival = datetime.fromtimestamp(payout["arrival_date"], UTC).date()
    statement = mt940(
        [
            ("261224", "D", "1040,00", "DP DN-RA P01|DP DN-RA P01"),
            ("261224", "D", "1040,00", "DP DN-RB P01|DP DN-RB P01"),
            ("261224", "D", "1040,00", "DP DN-RB P01|DP DN-RB P01 AGAIN"),
            ("261224", "D", "1040,00", "DP DN-RC P01|DP DN-RC P01"),
            ("261229", "C", "1040,00", "DP DN-RC P01|RETURNED ACCOUNT CLOSED"),
            ("261231", "D", "55,20", "CHARGES|BANK CHARGES DECEMBER"),
            (f"{on:%y%m%d}", "D", "3000,00", f"{funding['reference']}|STRIPE TOPUP"),
            (f"{arrival:%y%m%d}", "C", "920,00", f"{trace}|STRIPE PAYOUT"),
        ]
    )
    made = finance.post(
        "/api/v1/payments/reconciliation/imports",
        {"kind": "mt940", "file": _upload("dec.sta", statement)},
    )
    assert made.status_code == 201, made.content
    bank = reconciliation_of("COUNCIL:BANK")
    state = bank.rec.state(bank.expected())
    kinds = sorted(p.kind.value for p in state.problems)
    assert kinds == ["duplicate", "duplicate", "returned", "unexpected"]
    rules = {e: m.rule for m in bank.rec.matches() for e in m.expected}
    topup, paid_in = "bank:topup:topup-2026-12", f"bank:payout:{payout['id']}"
    assert rules[topup] == rules[paid_in] == "reference-amount-v1"
    by_kind: dict[ProblemKind, list[str]] = {}
    for p in state.problems:
        by_kind.setdefault(p.kind, []).append(str(p.line))
    one, other = by_kind[ProblemKind.DUPLICATE]
    bank.rec.confirm(
        LBROWN,
        lines=[one],
        expected=["payments:dp:DN-RB:P01"],
        payments=bank.expected(),
        reason="the first debit is the payment",
    )
    corrections = [
        (other, "recover", "", "paid twice by the bank"),
        (by_kind[ProblemKind.RETURNED][0], "returned", "payments:dp:DN-RC:P01", "closed"),
        (by_kind[ProblemKind.UNEXPECTED][0], "write_off", "", "December's charges"),
    ]
    for line, kind, payment, reason in corrections:
        bank.rec.propose_correction(LBROWN, line=line, kind=kind, reason=reason, payment=payment)
        approved = finance.post(f"/api/v1/payments/reconciliation/corrections/{line}/approve")
        assert approved.status_code == 422  # the officer who proposed it
        bank.rec.approve_correction(MPATEL, line=line, journal=journal(ledger))

    # Every month with lines closes at zero, on each account (oldest first), once it ended.
    from payments.reconcile import _month_end

    ended = _month_end(max("2026-12", f"{arrival:%Y-%m}")) + timedelta(days=1)
    monkeypatch.setattr("payments.services.today", lambda: ended)
    for account, months in [
        ("COUNCIL:BANK", {"2026-12", f"{on:%Y-%m}", f"{arrival:%Y-%m}"}),
        ("STRIPE:CLEARING", {f"{on:%Y-%m}", f"{arrival - timedelta(days=2):%Y-%m}"}),
    ]:
        for month in sorted(months):
            close = f"/api/v1/payments/reconciliation/periods/{month}/close?account={account}"
            closed = finance.post(close)
            assert closed.status_code == 200, (account, month, closed.content)
            assert closed.json()["difference_pence"] == 0
    bank_total = sum(x.amount for x in bank.rec.lines())
    assert bank_total == -(4 * 104_000) + 104_000 - 5520 - 300_000 + 92_000
    assert ledger.get_account("COUNCIL:BANK").balance == bank_total


def _upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_a_line_a_few_pence_off_is_put_right_by_writing_the_difference_off(
    ledger: Any, paid: list[str], make_user: Any, after_december: None
) -> None:
    from tests.integration.helpers import signed_in

    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    second = signed_in(make_user, "m.patel", Role.FINANCE_OFFICER)
    statement = mt940(
        [
            ("261224", "D", "1040,35", "DP DN-RA P01|DP DN-RA P01 INCL FEE"),
            ("261224", "D", "1040,00", "DP DN-RB P01|DP DN-RB P01"),
            ("261224", "D", "1040,00", "DP DN-RC P01|DP DN-RC P01"),
        ]
    )
    made = finance.post(
        "/api/v1/payments/reconciliation/imports",
        {"kind": "mt940", "file": _upload("dec.sta", statement)},
    )
    assert made.status_code == 201, made.content
    [problem] = finance.get("/api/v1/payments/reconciliation").json()["exceptions"]
    assert (problem["kind"], problem["expected"]) == ("difference", "payments:dp:DN-RA:P01")
    assert "£0.35 more" in problem["why"]
    route = "/api/v1/payments/reconciliation/corrections"
    body = {"line": problem["line"], "kind": "difference", "reason": "the bank's fee"}
    refused = finance.post(route, body, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "payment"
    wrong = finance.post(
        route, {**body, "payment": "payments:dp:DN-RB:P01"}, content_type="application/json"
    )
    assert wrong.status_code == 409  # that payment is matched to its own line already
    body["payment"] = problem["expected"]
    assert finance.post(route, body, content_type="application/json").status_code == 201
    approve = f"{route}/{problem['line']}/approve"
    assert finance.post(approve).status_code == 422  # a second officer approves
    assert second.post(approve).json()["exceptions"] == []
    close = second.post("/api/v1/payments/reconciliation/periods/2026-12/close")
    assert close.status_code == 200 and close.json()["difference_pence"] == 0
    assert ledger.get_account("COUNCIL:BANK-CHARGES").balance == 35
    assert ledger.get_account("COUNCIL:BANK").balance == -(3 * 104000 + 35)


def test_a_banks_csv_columns_are_saved_once_and_its_files_read_with_them(
    ledger: Any, paid: list[str], make_user: Any
) -> None:
    from tests.integration.helpers import signed_in

    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    auditor = signed_in(make_user, "a.audit", Role.AUDITOR)
    route = "/api/v1/payments/reconciliation/csv-mappings/Lloyds"
    columns = {"date": "Date", "reference": "Ref", "debit": "Out", "credit": "In"}
    json_ = "application/json"
    assert auditor.put(route, columns, content_type=json_).status_code == 403
    bad = finance.put(route, {"date": "Date", "reference": "Ref"}, content_type=json_)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "mapping.amount"
    assert finance.put(route, columns, content_type=json_).json()["by"] == "l.brown"
    [saved] = auditor.get("/api/v1/payments/reconciliation/csv-mappings").json()
    assert (saved["bank"], saved["columns"]["debit"]) == ("Lloyds", "Out")

    data = b"Date,Ref,Out,In\n" + b"".join(
        f"24/12/2026,DP {ref} P01,1040.00,\n".encode() for ref in paid
    )

    def upload(bank: str) -> Any:
        sent = {"kind": "csv", "bank": bank, "file": _upload("lloyds.csv", data)}
        return finance.post("/api/v1/payments/reconciliation/imports", sent)

    unknown = upload("Barclays")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "bank"
    made = upload("lloyds")  # the bank's name as anyone writes it
    assert made.status_code == 201, made.content
    matching = made.json()["matching"]
    assert (matching["status"], matching["total"], matching["exceptions"]) == ("done", 3, 0)
    assert finance.get(matching["watch"]).json()["status"] == "done"


@pytest.mark.postgres
def test_a_large_statement_is_matched_by_a_worker_with_its_progress_shown(
    ledger: Any, paid: list[str], make_user: Any, tmp_path: Path, settings: Any
) -> None:
    import time

    from tests.integration.celery_process import celery_process
    from tests.integration.helpers import signed_in

    settings.RECONCILE_MATCH_IN_REQUEST = 1  # more than one line goes to the worker
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    statement = mt940([("261224", "D", "1040,00", f"DP {ref} P01|DP {ref} P01") for ref in paid])
    with celery_process(tmp_path):
        made = finance.post(
            "/api/v1/payments/reconciliation/imports",
            {"kind": "mt940", "file": _upload("dec.sta", statement)},
            HTTP_X_CORRELATION_ID="year-end-2026",
        )
        assert made.status_code == 201, made.content
        watch = made.json()["matching"]["watch"]
        assert made.json()["matching"]["status"] == "waiting"  # not matched in the request
        deadline = time.monotonic() + 60
        while finance.get(watch).json()["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, finance.get(watch).json()
            time.sleep(0.2)
    job = finance.get(watch).json()
    assert (job["status"], job["done"], job["total"], job["exceptions"]) == ("done", 3, 3, 0)
    assert len(list(reconciler().matches())) == 3
    # The worker's matches are in the chain of the request that asked for them.
    match = next(reconciler().matches())
    [matched] = list(payments_app().repository.event_store.get(match.id))
    assert matched.correlation == "year-end-2026"  # type: ignore[attr-defined]
    assert matched.causation.startswith("task:")  # type: ignore[attr-defined]
    page = finance.get("/finance/reconciliation/").content
    assert b"Done: 3 matched" in page and b"Refresh this page" not in page


def test_the_page_shows_how_far_a_workers_matching_is_until_done(
    make_user: Any,
) -> None:
    from datetime import UTC, datetime
    from uuid import uuid4

    from payments.models import MatchingJob
    from tests.integration.helpers import signed_in

    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    job = MatchingJob.objects.create(
        id=uuid4(),
        account="COUNCIL:BANK",
        filename="year.sta",
        lines=100_000,
        status="matching",
        done=40_000,
        total=99_000,
        started_by="l.brown",
        started_at=datetime.now(UTC),
    )
    page = finance.get("/finance/reconciliation/").content.decode()
    assert "40000 of 99000 matches saved" in page and "Refresh this page" in page
    assert 'http-equiv="refresh"' not in page  # it would wipe a reason being typed
    job.status = "done"
    job.save()
    page = finance.get("/finance/reconciliation/").content.decode()
    assert "Done: 99000 matched" in page and "Refresh this page" not in page


def test_finance_saves_a_banks_csv_columns_on_the_page(make_user: Any) -> None:
    from tests.integration.helpers import signed_in

    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    route = "/finance/reconciliation/mapping/"
    refused = finance.post(route, {"bank": "Lloyds", "date": "Date", "reference": "Ref"})
    body = refused.content.decode()
    assert refused.status_code == 400 and "govuk-error-summary" in body
    assert 'href="#map-amount"' in body and 'id="map-amount-error"' in body
    assert 'value="Lloyds"' in body  # what was typed is kept
    saved = finance.post(
        route, {"bank": "Lloyds", "date": "Date", "reference": "Ref", "amount": "Amt"}
    )
    assert saved.status_code == 302
    page = finance.get("/finance/reconciliation/").content.decode()
    assert "Saved: Lloyds" in page and 'value="csv"' in page


def test_finance_reconciles_stripes_balance_and_tops_it_up_on_the_page(
    ledger: Any,
    stripe_server: Any,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from config import celery_app
    from tests.integration.helpers import signed_in

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # the tasks, run here
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    page = "/finance/reconciliation/?account=STRIPE:CLEARING"
    shown = finance.get(page).content.decode()
    assert "Top up Stripe from the council" in shown and "Import Stripe" in shown
    assert 'aria-current="page">Stripe' in shown
    act = "/finance/reconciliation/fund/"
    sent = {"account": "STRIPE:CLEARING", "key": "form-1", "amount": "12.345", "reason": "x"}
    wrong = finance.post(act, sent)
    assert wrong.status_code == 400 and 'href="#amount_pence"' in wrong.content.decode()
    for _ in range(2):  # the form sent twice: one top-up
        made = finance.post(act, {**sent, "amount": "2,500.00"})
        assert made.status_code == 302 and "account=STRIPE" in made["Location"]
    shown = finance.get(page).content.decode()
    assert shown.count("Top-up by l.brown") == 1 and "£2,500.00" in shown
    assert (
        finance.post("/finance/reconciliation/fund/", {**sent, "account": "X"}).status_code == 404
    )
    imported = finance.post(
        "/finance/reconciliation/stripe-import/", {"account": "STRIPE:CLEARING"}
    )
    assert imported.status_code == 302
    from payments.services import reconciliation_of

    stripe_side = reconciliation_of("STRIPE:CLEARING")
    matched = {e for m in stripe_side.rec.matches() for e in m.expected}
    assert "stripe:topup:form-1" in matched
    from payments.treasury import bank_reference

    assert bank_reference("form-1") in finance.get(page).content.decode()


CONFIRMING = """
import sys, time
from pathlib import Path
from config.actor import Actor
from config.roles import Role
from payments.reconciliation import AlreadyMatchedError
from payments.services import bank_expectations, reconciler
go, line, who = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
rec, expected = reconciler(), bank_expectations()
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
try:
    rec.confirm(
        Actor(id=who, roles=frozenset({Role.FINANCE_OFFICER})),
        lines=[line],
        expected=["payments:dp:DN-RC:P01"],
        payments=expected,
        reason=f"matched by {who}",
    )
    print("matched", flush=True)
except AlreadyMatchedError:
    print("taken", flush=True)
"""


@pytest.mark.postgres
def test_officers_in_several_processes_confirming_one_line_match_it_once(
    ledger: Any, paid: list[str], tmp_path: Path
) -> None:
    import subprocess
    import sys

    from tests.integration.child import PRELUDE, ROOT, child_env

    rec = reconciler()
    rec.import_statement(
        LBROWN,
        kind="mt940",
        filename="dec.sta",
        data=mt940([("261224", "D", "1040,00", "BACS|ONE PAYMENT, NO REFERENCE")]),
    )
    [line] = [x.id for x in rec.lines()]
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", PRELUDE + CONFIRMING, str(go), line, f"officer-{n}"],
            env=child_env(),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.communicate()[1]
    go.touch()  # all at once
    said = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        said.append(out.strip())
    assert sorted(said) == ["matched", "taken", "taken", "taken"]
    [match] = list(rec.matches())
    assert match.lines == (line,) and match.expected == ("payments:dp:DN-RC:P01",)


def test_a_batch_of_matches_with_one_taken_meanwhile_saves_the_others(
    ledger: Any, paid: list[str]
) -> None:
    """Automatic matches are saved in batches, one transaction each; a line another officer
    matched a moment ago refuses only its own match, not the batch's."""
    from uuid import uuid4

    from payments.reconciliation import ReconClaim

    rec = reconciler()
    rec.import_statement(
        LBROWN,
        kind="mt940",
        filename="dec.sta",
        data=mt940([("261224", "D", "1040,00", f"DP {ref} P01|DP {ref} P01") for ref in paid]),
    )
    lines = {x.id: x for x in rec.lines()}
    state = rec.state(bank_expectations(), lines=list(lines.values()))
    taken = state.matched[0].lines[0]
    payments_app().save(ReconClaim(taken, uuid4()))  # claimed a moment ago
    rec._save_matches(state.matched, lines)
    saved = {e for m in rec.matches() for e in m.expected}
    assert saved == {e for p in state.matched[1:] for e in p.expected} and len(saved) == 2


def test_months_close_in_order(ledger: Any, paid: list[str]) -> None:
    rec = reconciler()
    statement = mt940(
        [("261224", "D", "1040,00", f"DP {ref} P01|DP {ref} P01") for ref in paid]
        + [("270105", "D", "4,00", "CHARGES|BANK CHARGES JANUARY")]
    )
    rec.import_statement(LBROWN, kind="mt940", filename="s.sta", data=statement)
    expected = bank_expectations()
    state = rec.match_automatically(LBROWN, expected)
    [charge] = [p.line for p in state.problems]
    rec.propose_correction(LBROWN, line=str(charge), kind="write_off", reason="January")
    rec.approve_correction(MPATEL, line=str(charge), journal=journal(ledger))
    february = date(2027, 2, 2)
    with pytest.raises(ReconciliationError, match="2026-12 is still open"):
        rec.close(LBROWN, "2027-01", expected, today=february)
    rec.close(LBROWN, "2026-12", expected, today=february)
    assert rec.close(LBROWN, "2027-01", expected, today=february)["difference_pence"] == 0


def test_a_top_up_whose_entry_failed_is_finished_later_without_a_second_top_up(
    ledger: Any, stripe_server: Any
) -> None:
    """Stripe made the top-up, then the ledger refused its entry (a crash, a database down):
    the request was kept first, so a retry days later (past Stripe's 24 hours of idempotency,
    here a new Stripe key) finds the top-up by its key and posts the entry, dated the day it
    was asked for; Stripe holds one top-up for it."""
    from payments import stripe as pay
    from payments.services import payments_journal, treasury

    class Down:
        def post_entry(self, draft: Any) -> Any:
            raise ConnectionError("the database went away")

    funds, key, asked_on = treasury(), f"retry-{uuid4_hex()}", date(2026, 12, 1)
    with pytest.raises(ConnectionError):
        funds.fund(
            LBROWN,
            key=key,
            amount=50_000,
            on=asked_on,
            reason="December",
            top_up=pay.top_up,
            find=pay.find_topup,
            journal=Down(),
        )
    [waiting] = [f for f in funds.fundings() if f.key == key]
    assert waiting.entry is None and funds.bank_expected() == []  # not expected until made

    def fresh_key(**kw: Any) -> str:  # Stripe has forgotten the first key by now
        return pay.top_up(**{**kw, "idempotency_key": f"{kw['idempotency_key']}-later"})

    made = funds.fund(
        LBROWN,
        key=key,
        amount=50_000,
        on=date(2026, 12, 9),
        reason="December",
        top_up=fresh_key,
        find=pay.find_topup,
        journal=payments_journal(),
    )
    assert made.entry is not None and made.on == asked_on
    ours = [
        t
        for t in pay.client().v1.topups.list(params={"limit": 100}).data
        if t.metadata and t.metadata.to_dict().get("careledger_key") == key
    ]
    assert len(ours) == 1 and made.topup == ours[0].id
    assert ledger.get_account("STRIPE:CLEARING").balance == 50_000
    with pytest.raises(Exception, match="use a new key"):
        funds.fund(
            LBROWN,
            key=key,
            amount=60_000,
            on=asked_on,
            reason="more",
            top_up=pay.top_up,
            find=pay.find_topup,
            journal=payments_journal(),
        )


def uuid4_hex() -> str:
    from uuid import uuid4

    return uuid4().hex[:8]
