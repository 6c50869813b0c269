"""Direct-payment monitoring, proportionate: a surplus in the person's account found from its
balance and what is owed from it, told to them with its reasons, reconsidered when they ask,
then recovered from the next payments (the agreement takes it off them, saved together),
repaid (a ledger entry), or waived with a reason (payments/surplus.py decides). No Django: the
caller hands over the council's policy and the ledger's journal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from config.actor import Actor
from ledger.domain import EntryDraft
from ledger.money import format_pence
from payments import policies
from payments.surplus import (
    Monitored,
    Surplus,
    SurplusError,
    SurplusPolicy,
    SurplusStatus,
    monitored_id,
    owed_items,
    pence_of,
    surplus_id,
    work_out,
)


def monitored(app: Any, budget: str) -> Monitored:
    """The budget's list of surpluses and returns (an empty one, not yet saved, if none)."""
    try:
        found: Monitored = app.repository.get(monitored_id(budget))
    except AggregateNotFoundError:
        return Monitored(budget)
    return found


class Monitoring:
    def __init__(self, app: Any, policy: SurplusPolicy) -> None:
        self.app = app  # the PaymentsApplication
        self.policy = policy

    def _weekly_net(self, budget: str, on: date) -> int:
        amounts = self.app.agreement(budget).amounts_on(on)
        return int(amounts.gross_weekly - amounts.netted_weekly)

    def find(
        self, actor: Actor, *, budget: str, on: date, balance: object, owed: list[dict[str, object]]
    ) -> Surplus:
        """Work out the surplus on ``on`` under the council's policy, with each reason."""
        policies.check_may_decide_surplus(actor)
        pence = pence_of(balance, "balance", allow_zero=True)
        amount, lines = work_out(
            balance=pence,
            on=on,
            weekly_net=self._weekly_net(budget, on),
            policy=self.policy,
            owed=owed_items(owed),
        )
        found = Surplus(budget, on, pence, amount, lines, self.policy, actor.id)
        listed = monitored(self.app, budget)
        listed.add_surplus(found.id)
        try:
            self.app.save(found, listed)
        except IntegrityError:  # the same day's already found
            raise SurplusError(
                f"a surplus was worked out for {budget} on {on:%-d %B %Y} already", field="on"
            ) from None
        return found

    def get(self, budget: str, on: date) -> Surplus:
        try:
            found: Surplus = self.app.repository.get(surplus_id(budget, on))
        except AggregateNotFoundError:
            raise SurplusError(f"no surplus of {budget} on {on:%-d %B %Y}", field="on") from None
        return found

    def notice(self, actor: Actor, *, budget: str, on: date) -> Surplus:
        policies.check_may_decide_surplus(actor)
        found = self.get(budget, on)
        found.notice(actor=actor.id)
        self.app.save(found)
        return found

    def reconsider(
        self,
        actor: Actor,
        *,
        budget: str,
        on: date,
        owed: list[dict[str, object]],
        reason: object,
    ) -> Surplus:
        policies.check_may_decide_surplus(actor)
        found = self.get(budget, on)
        amount, lines = work_out(
            balance=found.balance,
            on=on,
            weekly_net=self._weekly_net(budget, on),
            policy=found.policy,
            owed=owed_items(owed),
        )
        found.reconsider(amount=amount, lines=lines, reason=reason, actor=actor.id)
        self.app.save(found)
        return found

    def of_budget(self, budget: str) -> list[Surplus]:
        """The budget's surpluses, newest first."""
        found = [self.app.repository.get(s) for s in monitored(self.app, budget).surpluses]
        return sorted(found, key=lambda s: s.on, reverse=True)

    def ask_again(self, actor: Actor, *, budget: str, on: date, reason: object) -> Surplus:
        """The person, or whoever acts for them, asks for the notice to be looked at again."""
        policies.check_may_confirm_return(actor, budget)
        found = self.get(budget, on)
        found.ask_again(reason=reason, actor=actor.id)
        self.app.save(found)
        return found

    def recover_from_payments(
        self, actor: Actor, *, budget: str, on: date, reason: object, today: date
    ) -> Surplus:
        """Take the surplus off the next payments not yet made: the agreement and the
        surplus saved together, so it is recovered once."""
        policies.check_may_decide_surplus(actor)
        found = self.get(budget, on)
        agreement = self.app.agreement(budget)
        applies_from = self.app.first_unpaid_period(agreement, today, today=today)
        found.recover_from_payments(applies_from=applies_from, reason=reason, actor=actor.id)
        agreement.add_recovery(
            applies_from=applies_from,
            amount=found.amount,
            reason=f"surplus found on {on:%-d %B %Y}",
            actor=actor.id,
        )
        self.app.save(found, agreement)
        return found

    def repaid(self, actor: Actor, *, budget: str, on: date, journal: Any) -> Surplus:
        """The person paid the surplus back: into the bank, back into the budget."""
        policies.check_may_decide_surplus(actor)
        found = self.get(budget, on)
        found.check(SurplusStatus.NOTICED, doing="record a repayment")  # before any entry
        draft = EntryDraft.create(
            idempotency_key=f"payments:surplus:{found.id}:repaid",
            kind="recovery",
            legs=[
                {"account": "COUNCIL:BANK", "side": "debit", "amount": found.amount},
                {"account": f"PB:{budget}:AVAILABLE", "side": "credit", "amount": found.amount},
            ],
            effective_at=datetime.now(UTC),
            actor=actor.id,
            reason=f"Direct-payment surplus of {format_pence(found.amount)} repaid",
            budget=budget,
            source_document=f"surplus:{budget}/{on.isoformat()}",
        )
        entry = journal.post_entry(draft).id
        found.repaid(entry=entry, actor=actor.id)
        self.app.save(found)
        return found

    def waive(self, actor: Actor, *, budget: str, on: date, reason: object) -> Surplus:
        policies.check_may_decide_surplus(actor)
        found = self.get(budget, on)
        found.waive(reason=reason, actor=actor.id)
        self.app.save(found)
        return found


class Returns:
    """The direct-payment account's activity recorded against the budget, pre-filled as the
    person's return, and confirmed by them (payments/dp_returns.py decides)."""

    def __init__(self, app: Any, *, threshold: int) -> None:
        self.app = app
        self.threshold = threshold  # one payment over this asks for its invoice

    def record(
        self,
        actor: Actor,
        *,
        budget: str,
        kind: object,
        data: bytes,
        closing_balance: object,
        mapping: Any = None,
    ) -> Any:
        import hashlib

        from payments.bank_statements import parse
        from payments.dp_returns import DpReturn, flag

        policies.check_may_decide_surplus(actor)
        self.app.agreement(budget)  # a budget with a direct payment, or refused
        lines = parse(kind, data, mapping)
        flagged = flag(
            [(x.on, x.amount, x.reference, x.description) for x in lines],
            threshold=self.threshold,
        )
        digest = hashlib.sha256(data).hexdigest()
        made = DpReturn(
            budget,
            digest,
            flagged,
            pence_of(closing_balance, "closing_balance", allow_zero=True),
            max(x.on for x in lines),
            actor.id,
        )
        listed = monitored(self.app, budget)
        listed.add_return(made.id)
        try:
            self.app.save(made, listed)
        except IntegrityError:  # the same statement again: the return made from it before
            found: Any = self.app.repository.get(made.id)
            return found
        return made

    def of_budget(self, budget: str) -> list[Any]:
        """The budget's returns, newest first."""
        found = [self.app.repository.get(r) for r in monitored(self.app, budget).returns]
        return sorted(found, key=lambda r: r.as_at, reverse=True)

    def confirm(
        self, actor: Actor, *, budget: str, return_id: Any, evidence: dict[int, object]
    ) -> Any:
        """The person (or whoever acts for them) confirms it, answering only the exceptions."""
        policies.check_may_confirm_return(actor, budget)
        try:
            found: Any = self.app.repository.get(return_id)
        except AggregateNotFoundError:
            raise SurplusError("no such return", field="return") from None
        if found.budget != budget:
            raise SurplusError("no such return", field="return")
        found.confirm(evidence=evidence, actor=actor.id)
        self.app.save(found)
        return found
