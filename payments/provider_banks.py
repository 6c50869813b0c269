"""Where a council that pays by Bacs pays each provider: its bank account. Pure Python.

Changing a supplier's bank details is how mandate fraud steals from councils (a letter "from the
provider" with new details), so the details are recorded by a finance officer who says how they
checked them (a call back on a number already known, never one in the letter), and are paid to
only once a **second** finance officer confirms them. Until then a run pays the details
confirmed before (or, for a first account, reports the payment as having nowhere to go). Every
change is kept: what was in force on any day can be shown.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError
from config.validation import clean_text
from payments.direct_payments import BankAccount

NAMESPACE = UUID("5b0c6c1e-8d3a-4f0e-9a51-0c3b7e2f9d41")


class ProviderBankError(DomainError):
    pass


class ProviderBankStateError(ProviderBankError, Conflict):
    pass


def provider_bank_id(provider: UUID) -> UUID:
    return uuid5(NAMESPACE, f"provider-bank:{provider}")


class ProviderBank(Aggregate):
    """A provider's bank account for Bacs payments: the one in force, and one awaiting its
    second finance officer."""

    @event("Opened")
    def __init__(self, provider: UUID) -> None:
        self.provider = provider
        self.in_force: BankAccount | None = None
        self.confirmed_by: tuple[str, str] = ("", "")  # (recorded by, confirmed by)
        self.awaiting: BankAccount | None = None
        self.awaiting_by = ""
        self.awaiting_how = ""
        # Each account confirmed, in order (its event says when): (account, by, confirmed by, how).
        self.history: list[tuple[BankAccount, str, str, str]] = []

    @staticmethod
    def create_id(provider: UUID) -> UUID:  # type: ignore[override]
        return provider_bank_id(provider)

    def record(
        self, *, sort_code: object, account_number: object, name: object, how: object, actor: str
    ) -> None:
        """New details, waiting for a second finance officer; ``how``: how they were checked."""
        account = BankAccount.create(sort_code=sort_code, account_number=account_number, name=name)
        checked = clean_text(how, field="verified_how", limit=500, error=ProviderBankError)
        if account == self.in_force:
            raise ProviderBankStateError("these are the details in force already", field="account")
        self._recorded(account, checked, actor)

    @event("Recorded")
    def _recorded(self, account: BankAccount, how: str, actor: str) -> None:
        self.awaiting, self.awaiting_how, self.awaiting_by = account, how, actor

    def confirm(self, *, actor: str) -> None:
        if self.awaiting is None:
            raise ProviderBankStateError("no new bank details are waiting", field="account")
        if actor == self.awaiting_by:
            raise ProviderBankError(
                "bank details are confirmed by a second finance officer, not the one who"
                " recorded them",
                field="approver",
            )
        self._confirmed(actor)

    @event("Confirmed")
    def _confirmed(self, actor: str) -> None:
        assert self.awaiting is not None
        self.in_force = self.awaiting
        self.confirmed_by = (self.awaiting_by, actor)
        self.history.append((self.awaiting, self.awaiting_by, actor, self.awaiting_how))
        self.awaiting, self.awaiting_by, self.awaiting_how = None, "", ""

    def reject(self, *, actor: str, reason: object) -> None:
        """The new details turned out wrong (or fraudulent): dropped, the old ones stay."""
        if self.awaiting is None:
            raise ProviderBankStateError("no new bank details are waiting", field="account")
        why = clean_text(reason, field="reason", limit=500, error=ProviderBankError)
        self._rejected(actor, why)

    @event("Rejected")
    def _rejected(self, actor: str, reason: str) -> None:
        self.awaiting, self.awaiting_by, self.awaiting_how = None, "", ""


def masked(account: BankAccount | None) -> str:
    """How a page shows an account: the sort code and the last four digits."""
    if account is None:
        return ""
    code = account.sort_code
    return f"{code[:2]}-{code[2:4]}-{code[4:]} ····{account.account_number[-4:]}"
