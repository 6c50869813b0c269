"""A direct-payment account's activity and the person's return, in proportion. Pure Python.

The council gets the account's activity as a statement file or a prepaid card's feed (read by
payments/bank_statements.py), records it against the budget, and pre-fills a **return**: money
in, money out, the balance, each line as the account shows it. The person confirms it; only the
**exceptions** ask for evidence: a single payment over the council's threshold, and cash taken
out. Everything else is taken as it is (outcomes, not receipts). The balance confirmed is what
a surplus is worked out from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError
from config.validation import clean_text
from ledger.money import format_pence

NAMESPACE = UUID("9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
# Words on a line that mean cash taken out of the account.
CASH_WORDS = ("CASH", "ATM", "WITHDRAWAL")


class ReturnError(DomainError):
    pass


class ReturnStateError(ReturnError, Conflict):
    pass


@dataclass(frozen=True)
class ActivityLine:
    on: date
    amount: int  # pence: out negative
    reference: str
    description: str
    evidence_needed: str  # why this line asks for evidence; "" for none


def flag(lines: list[tuple[date, int, str, str]], *, threshold: int) -> list[ActivityLine]:
    """Each line, with why it asks for evidence (if it does): only the exceptions."""
    found = []
    for on, amount, reference, description in lines:
        text = f"{reference} {description}".upper()
        why = ""
        if amount < 0 and any(word in text for word in CASH_WORDS):
            why = "cash taken out: what was it spent on?"
        elif amount < 0 and -amount > threshold:
            why = f"more than {format_pence(threshold)} in one payment: the invoice or receipt"
        found.append(ActivityLine(on, amount, reference, description, why))
    return found


def return_id(budget: str, digest: str) -> UUID:
    return uuid5(NAMESPACE, f"dp-return:{budget}:{digest}")


class DpReturn(Aggregate):
    """One statement of the account's activity, pre-filled as the person's return."""

    @event("Prefilled")
    def __init__(
        self,
        budget: str,
        digest: str,
        lines: list[ActivityLine],
        balance: int,
        as_at: date,
        actor: str,
    ) -> None:
        self.budget = budget
        self.digest = digest
        self.lines = lines
        self.balance = balance  # what the account held at the end of the statement
        self.as_at = as_at
        self.recorded_by = actor
        self.confirmed_by = ""
        self.evidence: list[tuple[int, str]] = []  # (line number, what the person said)

    @staticmethod
    def create_id(budget: str, digest: str) -> UUID:  # type: ignore[override]
        return return_id(budget, digest)

    @property
    def exceptions(self) -> list[int]:
        return [n for n, line in enumerate(self.lines) if line.evidence_needed]

    def confirm(self, *, evidence: dict[int, object], actor: str) -> None:
        """The person confirms the return, answering each exception (and only those)."""
        if self.confirmed_by:
            raise ReturnStateError("this return is confirmed already", field="status")
        answers = [
            (n, clean_text(evidence.get(n), field=f"evidence[{n}]", limit=500, error=ReturnError))
            for n in self.exceptions
        ]
        extra = sorted(set(evidence) - set(self.exceptions))
        if extra:
            raise ReturnError(
                "only the lines marked ask for evidence", field=f"evidence[{extra[0]}]"
            )
        self._confirmed(answers, actor)

    @event("Confirmed")
    def _confirmed(self, evidence: list[tuple[int, str]], actor: str) -> None:
        self.evidence = evidence
        self.confirmed_by = actor
