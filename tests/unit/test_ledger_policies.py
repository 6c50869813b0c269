"""The ledger's policies (ledger/policies.py) and its door (``LedgerApplication.journal``).

Who keeps a journal and as whom, who reads the ledger; then what each journal may move,
which is the domain's ownership rules, asked with the owner the policy gave. In-memory
store: no database, no server.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from config.actor import Actor
from config.errors import NotAllowed
from config.roles import Role
from ledger import policies
from ledger.application import LedgerApplication
from ledger.domain import OwnedByContextError, Owner
from ledger.policies import NotPermittedError
from tests.conftest import draft

ROOT = Path(__file__).resolve().parents[2]
BUDGET_ACCOUNT = "PB:DN-000123:AVAILABLE"


def actor(name: str, *roles: Role) -> Actor:
    return Actor(id=name, roles=frozenset(roles))


FARAH = actor("farah", Role.FINANCE_OFFICER)
RUTH = actor("ruth", Role.AUDITOR)
ALEX = actor("alex", Role.SOCIAL_WORKER)
JO = actor("jo", Role.TEAM_MANAGER)
OTHERS = [
    ALEX,
    JO,
    actor("chris", Role.PANEL_MEMBER),
    actor("sam", Role.PERSON),
    actor("priya", Role.PROVIDER_STAFF),
    actor("mo", Role.REGISTER_ADMIN),
    Actor.system(),
]


def test_the_refusal_is_a_403() -> None:
    assert issubclass(NotPermittedError, NotAllowed) and NotPermittedError.status == 403


def test_a_finance_officers_journal_is_finances_and_no_one_elses_is() -> None:
    assert policies.journal_owner(FARAH) is Owner.FINANCE
    both = actor("fay", Role.FINANCE_OFFICER, Role.AUDITOR)
    assert policies.journal_owner(both) is Owner.FINANCE
    with pytest.raises(NotPermittedError, match="^auditors read the ledger and change nothing$"):
        policies.journal_owner(RUTH)
    for other in OTHERS:
        with pytest.raises(NotPermittedError) as err:
            policies.journal_owner(other)
        assert err.value.message == "only a finance officer writes in the ledger's journal"
        with pytest.raises(NotPermittedError):
            policies.check_may_keep_journal(other)
    policies.check_may_keep_journal(FARAH)


def test_a_context_posting_its_own_entries_gets_its_own_journal_whoever_acts() -> None:
    for who in (Actor.system(), ALEX, JO):
        assert policies.journal_owner(who, context=Owner.BUDGETS) is Owner.BUDGETS
    assert policies.journal_owner(Actor.system(), context=Owner.PAYMENTS) is Owner.PAYMENTS
    # Naming finance is no way in: finance's journal is a finance officer's.
    with pytest.raises(NotPermittedError):
        policies.journal_owner(ALEX, context=Owner.FINANCE)
    assert policies.journal_owner(FARAH, context=Owner.FINANCE) is Owner.FINANCE


def test_finance_officers_and_auditors_read_the_ledger_and_no_one_else() -> None:
    for reader in (FARAH, RUTH):
        policies.check_may_read(reader)
        assert policies.may_read(reader)
    for other in OTHERS:
        with pytest.raises(NotPermittedError) as err:
            policies.check_may_read(other)
        assert err.value.message == "the ledger is read by finance officers and auditors"
        assert not policies.may_read(other)


@pytest.fixture
def app() -> LedgerApplication:
    ledger = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for code, type_ in [("FUND", "equity"), ("BANK", "asset"), ("SUSPENSE", "liability")]:
        ledger.open_account(code=code, name=code, type=type_, actor="tester")
    return ledger


def recorded(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def budgets_journal(app: LedgerApplication) -> Any:
    journal = app.journal(Actor.system(), context=Owner.BUDGETS)
    journal.open_account(
        code=BUDGET_ACCOUNT,
        name="Sam Patel: budget available",
        type="liability",
        owner_kind="budget",
        owner_id="DN-000123",
        no_overdraft=True,
    )
    return journal


def allocation() -> Any:
    return draft(
        "budget:DN-000123:allocation",
        [("FUND", "debit", 1_196_000), (BUDGET_ACCOUNT, "credit", 1_196_000)],
        kind="allocation",
        budget="DN-000123",
    )


def test_the_door_refuses_an_auditor_or_a_worker_a_journal(app: LedgerApplication) -> None:
    for refused in (RUTH, ALEX):
        with pytest.raises(NotPermittedError):
            app.journal(refused)


def test_finances_journal_moves_finances_own_and_records_the_officer(
    app: LedgerApplication,
) -> None:
    journal = app.journal(FARAH)
    assert journal.owner is Owner.FINANCE
    journal.open_account(code="COUNCIL:SUNDRY", name="Sundry", type="asset")
    assert app.get_account("COUNCIL:SUNDRY").opened_by == "farah"
    manual = draft(
        "manual",
        [("BANK", "debit", 700), ("SUSPENSE", "credit", 700)],
        kind="adjustment",
        actor=FARAH.id,
    )
    entry = journal.post_entry(manual).id
    reversal = journal.reverse_entry(entry=entry, reason="keyed in error").id
    assert app.get_entry(reversal).actor == "farah"


def test_finances_journal_is_refused_a_budgets_entries_and_accounts(
    app: LedgerApplication,
) -> None:
    allocated = budgets_journal(app).post_entry(allocation()).id
    journal = app.journal(FARAH)
    before = recorded(app)
    for move in [
        lambda: journal.post_entry(allocation()),
        lambda: journal.reverse_entry(entry=allocated, reason="wrong person"),
        lambda: journal.close_account(code=BUDGET_ACCOUNT, reason="tidy up"),
        lambda: journal.open_account(
            code="PB:DN-000456:AVAILABLE",
            name="Lee: budget available",
            type="liability",
            owner_kind="budget",
            owner_id="DN-000456",
        ),
    ]:
        with pytest.raises(OwnedByContextError) as err:
            move()
        assert err.value.owner is Owner.BUDGETS
    assert recorded(app) == before  # nothing recorded by any of them


def test_a_contexts_journal_moves_its_own_entries_only(app: LedgerApplication) -> None:
    journal = budgets_journal(app)
    assert app.get_account(BUDGET_ACCOUNT).opened_by == "careledger"  # Actor.system()
    entry = journal.post_entry(allocation()).id
    journal.reverse_entry(entry=entry, reason="budget withdrawn")
    with pytest.raises(OwnedByContextError) as err:  # a payment is the payments context's
        journal.post_entry(
            draft(
                "dp-1",
                [(BUDGET_ACCOUNT, "debit", 100), ("BANK", "credit", 100)],
                kind="direct_payment",
                budget="DN-000123",
            )
        )
    assert err.value.owner is Owner.PAYMENTS


def calls_in(path: str) -> tuple[set[str], set[str]]:
    """The names of the attributes called in a module (``x.post_entry(...)`` -> post_entry),
    and of the keywords they are called with."""
    calls = [n for n in ast.walk(ast.parse((ROOT / path).read_text())) if isinstance(n, ast.Call)]
    called = {c.func.attr for c in calls if isinstance(c.func, ast.Attribute)}
    return called, {k.arg for c in calls for k in c.keywords if k.arg}


@pytest.mark.parametrize("path", ["api/ledger.py", "frontend/views.py"])
def test_the_adapters_use_the_door_and_decide_nothing(path: str) -> None:
    """No adapter reads an account or a line except through the queries that take the Actor,
    nor says as whom it writes (``by=``): the journal's owner is the policy's."""
    source = (ROOT / path).read_text()
    called, keywords = calls_in(path)
    assert not keywords & {"by", "context"}  # nor posts as a context
    assert "Owner.FINANCE" not in source
    assert not called & {"account_by_code", "balance", "matching", "page_after"}
    assert "models.Account.objects" not in source and "models.Line.objects" not in source
    assert "models.Entry.objects" not in source
