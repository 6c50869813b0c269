"""Who may write in the ledger's journal, as whom, and who may read it. Pure Python, no Django.

The ledger decides these once, here, for the API, the pages and the other contexts alike:
``LedgerApplication.journal`` asks ``journal_owner`` whose entries a journal moves, and the
read queries (ledger/queries.py) ask ``check_may_read``; holds are a context's, never finance's
journal's (``check_may_hold``), and expire by the ledger's own job (``check_may_expire_holds``).
Each refuses with ``NotPermittedError`` (403), in words the API's problem body and the
forbidden page both show.

What a journal may then move is the domain's ownership rules (ledger/domain.py:
``check_owner``, ``Account.check_open_to``, ``Account.check_opened_by``): finance's journal
posts, reverses, opens and closes only finance's own entries and accounts; a context's only
its own.
"""

from __future__ import annotations

from config.actor import Actor
from config.errors import NotAllowed
from config.roles import Role
from ledger.domain import Owner

# Who keeps finance's journal: openings, manual adjustments, the council's own accounts.
WRITERS = frozenset({Role.FINANCE_OFFICER})
# Who reads every account and entry (each staff read of a budget's accounts is logged).
READERS = frozenset({Role.FINANCE_OFFICER, Role.AUDITOR})


class NotPermittedError(NotAllowed):
    """The actor may not use the ledger this way (403)."""


def journal_owner(actor: Actor, *, context: Owner | None = None) -> Owner:
    """Whose entries the actor's journal moves.

    A context posting its own entries through its own application (budgets' process manager,
    as ``Actor.system()`` or the worker who acted) names itself, and its journal moves that
    context's entries only. No adapter names a context: through the ledger's own API and
    pages, a finance officer's journal acts as finance (``Owner.FINANCE``); an auditor reads
    and changes nothing; anyone else keeps no journal here (a budget's money moves with the
    budget, through the budgets context).
    """
    if context is not None and context is not Owner.FINANCE:
        return context
    if actor.has(*WRITERS):
        return Owner.FINANCE
    if actor.has(Role.AUDITOR):
        raise NotPermittedError("auditors read the ledger and change nothing")
    raise NotPermittedError("only a finance officer writes in the ledger's journal")


def check_may_keep_journal(actor: Actor) -> None:
    """The gate of the journal's routes: the actor would be given a journal of their own."""
    journal_owner(actor)


def check_may_hold(owner: Owner) -> None:
    """Who places, posts and voids holds: the context that agreed the commitment the money is
    held for (payments holds a plan fee when an engagement is accepted, and posts it when the
    plan is signed off), from its own application. Finance's journal holds nothing: a hold
    on a person's budget is a promise the context keeps in step with its own records."""
    if owner is Owner.FINANCE:
        raise NotPermittedError(
            "holds are placed by the context that agreed the commitment (budgets, payments),"
            " not through finance's journal"
        )


def check_may_expire_holds(actor: Actor) -> None:
    """Holds past their expiry are released by the ledger's scheduled job, as the system
    itself (``Actor.system()``), never by a person: each hold expires once."""
    if actor != Actor.system():
        raise NotPermittedError("holds are released at their expiry by the ledger's own job")


def check_may_read(actor: Actor) -> None:
    """Finance officers and auditors read the ledger's accounts, statements and entries."""
    if not actor.has(*READERS):
        raise NotPermittedError("the ledger is read by finance officers and auditors")


def may_read(actor: Actor) -> bool:
    """Whether to offer the ledger's pages (the navigation): the same check the reads run."""
    return actor.has(*READERS)
