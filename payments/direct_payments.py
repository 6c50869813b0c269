"""Direct-payment agreements and their schedules. Pure Python: no Django, no I/O.

An agreement follows a budget's decision (budgets/budget.py ``BudgetFigures``: the weekly part
taken as a direct payment, and the contribution netted off it under the council's method) and
adds what the Care Act and the Direct Payments Regulations 2014 ask of it: which needs it
meets, how often it is paid (every 4 weeks in advance unless the council says otherwise), and
who is paid:

- the person (s.31), or someone they nominate (s.31), when they have capacity to ask for it;
- an authorised person (s.32) when the person lacks capacity;
- an accredited money-management provider holding the direct-payment account;
- never a spouse, partner or close relative living in the same household unless the council
  records that it is necessary (regulation 3), with its reason and who decided.

The schedule (``DirectPaymentAgreement.schedule``) is worked out from the agreement's events
alone, so it is the same in every process: each period's payment date moves to the working
day before when it falls on a weekend or bank holiday (it is paid in advance); a suspension
skips the periods that start inside it, with its reason; a stop ends it; an amount change takes
effect from the next period, and where the council's rule is pro rata the part of the current
period after the change is paid (or taken back) with the next payment; one-off payments
(equipment, start-up, recruiting a personal assistant) are paid on their own dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError
from config.validation import ascii_digits, clean_text
from ledger.money import MoneyError, check_pence, format_pence
from payments.calendar import WorkingDays

NAMESPACE = UUID("5b0c8a7e-2f41-4d3a-9c6e-7d8e9f0a1b2c")
PERIOD_WEEKS = 4
MAX_PERIOD_WEEKS = 13
KEY_PREFIX = "payments:dp:"
# Case workers are reminded of a direct-payment review this long before it is due.
REVIEW_REMIND_BEFORE = timedelta(days=28)


class DirectPaymentError(DomainError):
    pass


class AgreementStateError(DirectPaymentError, Conflict):
    """The agreement is not in a state that allows this (stopped, already suspended…)."""


class PayeeKind(StrEnum):
    PERSON = "person"  # s.31: the adult, with capacity
    NOMINATED = "nominated"  # s.31: someone the adult nominates
    AUTHORISED = "authorised"  # s.32: the adult lacks capacity
    MONEY_MANAGER = "money_manager"  # an accredited provider holding the DP account

    @property
    def label(self) -> str:
        return {
            "person": "the person (s.31)",
            "nominated": "a nominated person (s.31)",
            "authorised": "an authorised person (s.32)",
            "money_manager": "a money-management provider",
        }[self.value]


class ReviewTrigger(StrEnum):
    """Why a direct-payment review is needed before its date (regulation 7)."""

    CONCERN = "concern"  # someone raised a concern about how the payment is used
    BREACH = "breach"  # a condition of the payment was breached
    CAPACITY = "capacity"  # the person's capacity changed


class ReviewOutcome(StrEnum):
    CARRY_ON = "carry_on"
    CHANGE = "change"
    STOP = "stop"


class OneOffPurpose(StrEnum):
    EQUIPMENT = "equipment"
    START_UP = "start_up"
    PA_RECRUITMENT = "pa_recruitment"
    OTHER = "other"


@dataclass(frozen=True)
class Necessity:
    """The council's decision, under regulation 3, that paying a close relative living in the
    same household is necessary (for example to manage the payment)."""

    reason: str
    decided_by: str


@dataclass(frozen=True)
class BankAccount:
    sort_code: str  # six digits
    account_number: str  # eight digits
    name: str

    @classmethod
    def create(cls, *, sort_code: object, account_number: object, name: object) -> BankAccount:
        code = str(sort_code or "").replace("-", "").replace(" ", "")
        number = str(account_number or "").replace(" ", "")
        if len(code) != 6 or not ascii_digits(code):
            raise DirectPaymentError("enter a sort code of 6 digits", field="sort_code")
        if len(number) != 8 or not ascii_digits(number):
            raise DirectPaymentError("enter an account number of 8 digits", field="account_number")
        return cls(code, number, _text(name, "account_name", 60))


@dataclass(frozen=True)
class Payee:
    kind: PayeeKind
    name: str
    relationship: str = ""  # to the person: "daughter", "friend", "" for the person
    close_relative_in_household: bool = False
    necessity: Necessity | None = None
    provider_id: str = ""  # a money-management provider's register id
    stripe_account: str = ""  # the connected account the Stripe rail pays (acct_…)
    bank: BankAccount | None = None  # the account the Bacs rail pays

    def check(self, *, has_capacity: bool) -> None:
        """The Care Act's and regulation 3's rules on who may be paid."""
        if self.kind is PayeeKind.AUTHORISED and has_capacity:
            raise DirectPaymentError(
                "an authorised person (s.32) is paid only when the person lacks capacity to"
                " ask for direct payments: pay the person, or someone they nominate (s.31)",
                field="payee_kind",
            )
        if self.kind in (PayeeKind.PERSON, PayeeKind.NOMINATED) and not has_capacity:
            raise DirectPaymentError(
                "the person lacks capacity, so direct payments go to an authorised person"
                " (s.32) or a money-management provider",
                field="payee_kind",
            )
        if self.kind is PayeeKind.MONEY_MANAGER and not self.provider_id:
            raise DirectPaymentError(
                "name the money-management provider that holds the account", field="provider_id"
            )
        if self.close_relative_in_household and self.necessity is None:
            raise DirectPaymentError(
                "a spouse, partner or close relative living in the same household is not paid"
                " from a direct payment unless the council records that it is necessary"
                " (Direct Payments Regulations 2014, regulation 3): record why, and who decided",
                field="necessity_reason",
            )

    @classmethod
    def create(
        cls,
        *,
        kind: object,
        name: object,
        relationship: object = "",
        close_relative_in_household: bool = False,
        necessity_reason: object = "",
        necessity_decided_by: str = "",
        provider_id: object = "",
        stripe_account: object = "",
        bank: BankAccount | None = None,
    ) -> Payee:
        try:
            payee_kind = PayeeKind(str(kind))
        except ValueError:
            raise DirectPaymentError(
                "choose who is paid: " + ", ".join(k.label for k in PayeeKind), field="payee_kind"
            ) from None
        reason = _text(necessity_reason, "necessity_reason", 1000, required=False)
        return cls(
            kind=payee_kind,
            name=_text(name, "payee_name", 150),
            relationship=_text(relationship, "relationship", 100, required=False),
            close_relative_in_household=bool(close_relative_in_household),
            necessity=Necessity(reason, necessity_decided_by) if reason else None,
            provider_id=_text(provider_id, "provider_id", 64, required=False),
            stripe_account=_text(stripe_account, "stripe_account", 255, required=False),
            bank=bank,
        )


@dataclass(frozen=True)
class Amounts:
    """A week's direct payment: the gross part of the budget, and the contribution netted off
    it (zero when the council charges the contribution gross)."""

    gross_weekly: int
    netted_weekly: int

    @classmethod
    def create(cls, gross_weekly: object, netted_weekly: object) -> Amounts:
        gross = _pence(gross_weekly, "gross_weekly")
        netted = _pence(netted_weekly, "netted_weekly", allow_zero=True)
        if netted > gross:
            raise DirectPaymentError(
                "the contribution netted off cannot be more than the direct payment",
                field="netted_weekly",
            )
        return cls(gross, netted)


@dataclass(frozen=True)
class Due:
    """One payment the schedule says is due: what the ledger posts and the rail pays."""

    key: str  # the ledger entry's idempotency key, and the payment's id
    budget: str
    number: int  # period 1, 2, …; one-offs count from 1 on their own
    one_off: bool
    period_start: date
    period_end: date
    pay_on: date
    gross: int
    netted: int
    payee: Payee
    reason: str

    @property
    def net(self) -> int:
        """What the council pays into the account."""
        return self.gross - self.netted

    @property
    def label(self) -> str:
        if self.one_off:
            return f"one-off payment {self.number}"
        return f"DP period {self.number} ({_span(self.period_start, self.period_end)})"


@dataclass(frozen=True)
class Skipped:
    key: str
    label: str
    pay_on: date
    reason: str


@dataclass
class Schedule:
    due: list[Due] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def total_net(self) -> int:
        return sum(d.net for d in self.due)


def agreement_id(budget_ref: str) -> UUID:
    return uuid5(NAMESPACE, f"dp-agreement:{budget_ref}")


def earliest_start(today: date) -> date:
    """Payments may start the following week (the Monday after today), before the plan is
    signed off (DOMAIN.md: direct payments start at once)."""
    return today + timedelta(days=7 - today.weekday())


class DirectPaymentAgreement(Aggregate):
    @event("Agreed")
    def __init__(
        self,
        budget_ref: str,
        person: str,
        needs: tuple[str, ...],
        amounts: Amounts,
        method: str,
        period_weeks: int,
        start: date,
        payee: Payee,
        has_capacity: bool,
        pro_rata: bool,
        actor: str,
    ) -> None:
        self.budget_ref = budget_ref
        self.person = person
        self.needs = needs
        self.method = method
        self.period_weeks = period_weeks
        self.start = start
        self.has_capacity = has_capacity
        self.pro_rata = pro_rata  # the council's rule for a mid-period amount change
        self.agreed_by = actor
        # Each list in date order: (from, value) pairs the schedule reads back; an amount
        # change also keeps the start of the first period paid at it (a later one when the
        # periods after its date were paid already: their difference comes with that one).
        self.amount_changes: list[tuple[date, Amounts, date]] = [(start, amounts, start)]
        self.payees: list[tuple[date, Payee]] = [(start, payee)]
        self.suspensions: list[list[Any]] = []  # [from, until or None, reason, actor]
        self.stopped_from: date | None = None
        self.stop_reason = ""
        self.one_offs: list[tuple[date, int, str, str]] = []  # (pay on, pence, purpose, reason)
        # Regulation 7: each review (on, outcome, reason, actor) and each reason for one sooner.
        self.dp_reviews: list[tuple[date, str, str, str]] = []
        self.review_triggers: list[tuple[date, str, str]] = []
        self.review_reminded_for: date | None = None  # the due date the worker was reminded of
        self.picked: list[str] = []  # the payments runs have made from it, by key
        self.change_sources: list[str] = []  # what caused each amount change (a budget event)
        # Surplus recovered by reducing payments: (from the period starting, pence, why).
        self.recoveries: list[tuple[date, int, str]] = []

    @staticmethod
    def create_id(budget_ref: str) -> UUID:  # type: ignore[override]
        return agreement_id(budget_ref)

    @classmethod
    def agree(
        cls,
        *,
        budget_ref: str,
        person: str,
        needs: list[str],
        amounts: Amounts,
        method: str,
        start: date,
        today: date,
        payee: Payee,
        has_capacity: bool,
        actor: str,
        period_weeks: int = PERIOD_WEEKS,
        pro_rata: bool = True,
    ) -> DirectPaymentAgreement:
        if not needs:
            raise DirectPaymentError("say which needs the direct payment meets", field="needs")
        if not 1 <= period_weeks <= MAX_PERIOD_WEEKS:
            raise DirectPaymentError(
                f"pay every 1 to {MAX_PERIOD_WEEKS} weeks", field="period_weeks"
            )
        if start < earliest_start(today):
            raise DirectPaymentError(
                f"payments can start from {earliest_start(today):%-d %B %Y} (the following"
                " week) at the earliest",
                field="start",
            )
        payee.check(has_capacity=has_capacity)
        return cls(
            budget_ref,
            person,
            tuple(_text(n, "needs", 200) for n in needs),
            amounts,
            method,
            period_weeks,
            start,
            payee,
            has_capacity,
            pro_rata,
            actor,
        )

    # ------------------------------------------------------------------ changes
    def check_running(self, on: date) -> None:
        if self.stopped_from is not None and on >= self.stopped_from:
            raise AgreementStateError(
                f"the direct payment stopped from {self.stopped_from:%-d %B %Y}", field="from"
            )

    @property
    def suspended(self) -> bool:
        return bool(self.suspensions) and self.suspensions[-1][1] is None

    def suspend(self, *, on: date, reason: str, actor: str) -> None:
        self.check_running(on)
        if self.suspended:
            raise AgreementStateError("the direct payment is already suspended", field="from")
        self._check_not_before_last_change(on)
        self._suspended(on, _text(reason, "reason", 1000), actor)

    @event("Suspended")
    def _suspended(self, on: date, reason: str, actor: str) -> None:
        self.suspensions.append([on, None, reason, actor])

    def resume(self, *, on: date, reason: str, actor: str) -> None:
        self.check_running(on)
        if not self.suspended:
            raise AgreementStateError("the direct payment is not suspended", field="from")
        if on <= self.suspensions[-1][0]:
            raise DirectPaymentError("resume after the suspension began", field="from")
        self._resumed(on, _text(reason, "reason", 1000), actor)

    @event("Resumed")
    def _resumed(self, on: date, reason: str, actor: str) -> None:
        self.suspensions[-1][1] = on

    def stop(self, *, on: date, reason: str, actor: str) -> None:
        """Stop the payments (s.33: a condition no longer met, or the person's choice)."""
        self.check_running(on)
        self._stopped(on, _text(reason, "reason", 1000), actor)

    @event("Stopped")
    def _stopped(self, on: date, reason: str, actor: str) -> None:
        self.stopped_from = on
        self.stop_reason = reason

    def change_amounts(
        self,
        *,
        on: date,
        amounts: Amounts,
        reason: str,
        actor: str,
        paid_until: date | None = None,
        source: str = "",
    ) -> None:
        """A budget revision or a new contribution: from the next period, and pro rata for the
        days before it where the council's rule says so. ``paid_until``: the start of the first
        period not yet paid (the payments' record, which the application reads), when that is
        later than the next period: the change is then paid from that period, and the
        difference for the days already paid at the old amounts comes with it. ``source``
        names what caused the change (a budget's event), so it is recorded once."""
        if source and source in self.change_sources:
            return
        on = max(on, self.start)  # a budget changed before its payments start: from the start
        self.check_running(on)
        # In date order with the other amounts (a suspension's days are owed nothing anyway).
        last = self.amount_changes[-1][0]
        if on < last:
            raise DirectPaymentError(
                f"an amount change must take effect on or after the last one ({last:%-d %B %Y})",
                field="from",
            )
        applies_from = self.first_period_from(on)
        if paid_until is not None and paid_until > applies_from:
            applies_from = paid_until
        self._amounts_changed(
            on, amounts, _text(reason, "reason", 1000), actor, applies_from, source
        )

    @event("AmountsChanged")
    def _amounts_changed(
        self,
        on: date,
        amounts: Amounts,
        reason: str,
        actor: str,
        applies_from: date | None = None,
        source: str = "",
    ) -> None:
        self.amount_changes.append((on, amounts, applies_from or self.first_period_from(on)))
        if source:
            self.change_sources.append(source)

    def first_period_from(self, day: date) -> date:
        """The start of the first period starting on or after ``day``."""
        if day <= self.start:
            return self.start
        length = self.period_weeks * 7
        return self.start + timedelta(days=-(-(day - self.start).days // length) * length)

    def change_payee(self, *, on: date, payee: Payee, reason: str, actor: str) -> None:
        self.check_running(on)
        payee.check(has_capacity=self.has_capacity)
        self._payee_changed(on, payee, _text(reason, "reason", 1000), actor)

    @event("PayeeChanged")
    def _payee_changed(self, on: date, payee: Payee, reason: str, actor: str) -> None:
        self.payees.append((on, payee))
        self.payees.sort(key=lambda p: p[0])

    def add_one_off(
        self, *, pay_on: date, amount: object, purpose: object, reason: str, actor: str
    ) -> None:
        self.check_running(pay_on)
        try:
            kind = OneOffPurpose(str(purpose))
        except ValueError:
            raise DirectPaymentError(
                "choose what the payment is for: equipment, start-up, recruiting a personal"
                " assistant, or other",
                field="purpose",
            ) from None
        self._one_off_added(
            pay_on, _pence(amount, "amount"), kind.value, _text(reason, "reason", 1000), actor
        )

    @event("OneOffAdded")
    def _one_off_added(
        self, pay_on: date, amount: int, purpose: str, reason: str, actor: str
    ) -> None:
        self.one_offs.append((pay_on, amount, purpose, reason))

    # ------------------------------------------------------------------ regulation 7
    def review_due_on(self) -> date:
        """The first review within 6 months of the first payment, then at intervals of no more
        than 12 months; at once when a concern, a breach or a change in capacity is recorded
        after the last review."""
        if self.dp_reviews:
            last = self.dp_reviews[-1][0]
            due = _add_months(last, 12)
        else:
            last, due = None, _add_months(self.start, 6)
        sooner = [on for on, _, _ in self.review_triggers if last is None or on > last]
        return min([due, *sooner])

    def review_reason(self) -> str:
        last = self.dp_reviews[-1][0] if self.dp_reviews else None
        sooner = [
            (on, k, note) for on, k, note in self.review_triggers if last is None or on > last
        ]
        if sooner:
            on, kind, note = sooner[0]
            return f"{ReviewTrigger(kind).value} recorded on {on:%-d %b %Y}: {note}"
        if last is None:
            return "the first review, within 6 months of the first payment"
        return "the yearly review, no more than 12 months after the last"

    def is_review_overdue(self, today: date) -> bool:
        return self.stopped_from is None and today > self.review_due_on()

    def add_recovery(self, *, applies_from: date, amount: int, reason: str, actor: str) -> None:
        """A surplus recovered by reducing the payments from the period starting
        ``applies_from`` (the first not yet paid): taken off the next, the rest off the ones
        after (payments/surplus.py decides the amount)."""
        if amount <= 0:
            raise DirectPaymentError("a recovery is more than nothing", field="amount")
        self.check_running(applies_from)
        self._recovery_added(applies_from, amount, _text(reason, "reason", 1000), actor)

    @event("RecoveryAdded")
    def _recovery_added(self, applies_from: date, amount: int, reason: str, actor: str) -> None:
        self.recoveries.append((applies_from, amount, reason))

    def record_picked(self, keys: list[str], *, run: UUID) -> None:
        """A run made these payments from the agreement as it stands (saved with them, so a
        change saved meanwhile conflicts and the run works them out again)."""
        self._picked(sorted(keys), run)

    @event("PaymentsPicked")
    def _picked(self, keys: list[str], run: UUID) -> None:
        self.picked.extend(keys)

    def remind_review(self, *, today: date) -> bool:
        """Remind the case worker once per due date, from four weeks before it (at once when
        a concern brings it forward); none once the payments have stopped."""
        due = self.review_due_on()
        if self.stopped_from is not None or self.review_reminded_for == due:
            return False
        if today < due - REVIEW_REMIND_BEFORE:
            return False
        self._review_reminded(due, today)
        return True

    @event("ReviewReminded")
    def _review_reminded(self, due_on: date, on: date) -> None:
        self.review_reminded_for = due_on

    def record_trigger(self, *, on: date, kind: object, note: object, actor: str) -> None:
        try:
            trigger = ReviewTrigger(str(kind))
        except ValueError:
            raise DirectPaymentError(
                "choose a concern, a breached condition or a change in capacity", field="kind"
            ) from None
        self._triggered(on, trigger.value, _text(note, "note", 1000), actor)

    @event("ReviewTriggered")
    def _triggered(self, on: date, kind: str, note: str, actor: str) -> None:
        self.review_triggers.append((on, kind, note))

    def record_dp_review(
        self, *, on: date, outcome: object, reason: object, actor: str, today: date
    ) -> None:
        """A review under regulation 7, and what it decided: carry on, change (the caller then
        changes the amounts or payee), or stop (from the day of the review, s.33)."""
        if on > today:
            raise DirectPaymentError("a review cannot be recorded ahead of its day", field="on")
        if self.dp_reviews and on < self.dp_reviews[-1][0]:
            raise DirectPaymentError("a review must come after the last one", field="on")
        try:
            decided = ReviewOutcome(str(outcome))
        except ValueError:
            raise DirectPaymentError(
                "choose what the review decided: carry on, change or stop", field="outcome"
            ) from None
        why = _text(reason, "reason", 2000)
        self._dp_reviewed(on, decided.value, why, actor)
        if decided is ReviewOutcome.STOP and self.stopped_from is None:
            self._stopped(on, f"stopped at the review of {on:%-d %B %Y}: {why}", actor)

    @event("DirectPaymentReviewed")
    def _dp_reviewed(self, on: date, outcome: str, reason: str, actor: str) -> None:
        self.dp_reviews.append((on, outcome, reason, actor))

    def _check_not_before_last_change(self, on: date) -> None:
        last = max([self.amount_changes[-1][0], *(s[0] for s in self.suspensions)])
        if on < last:
            raise DirectPaymentError(
                f"a change must take effect on or after the last one ({last:%-d %B %Y})",
                field="from",
            )

    # ------------------------------------------------------------------ the schedule
    def amounts_on(self, day: date) -> Amounts:
        """The weekly amounts in force on ``day``."""
        found = self.amount_changes[0][1]
        for since, amounts, _ in self.amount_changes:
            if since <= day:
                found = amounts
        return found

    def paid_amounts(self, period_start: date) -> Amounts:
        """The weekly amounts the payment for the period starting then is made at."""
        found = self.amount_changes[0][1]
        for _, amounts, applies_from in self.amount_changes:
            if applies_from <= period_start:
                found = amounts
        return found

    def payee_on(self, day: date) -> Payee:
        found = self.payees[0][1]
        for since, payee in self.payees:
            if since <= day:
                found = payee
        return found

    def suspension_on(self, day: date) -> list[Any] | None:
        for suspension in self.suspensions:
            if suspension[0] <= day and (suspension[1] is None or day < suspension[1]):
                return suspension
        return None

    def _paid_days(self, since: date, until: date) -> int:
        """The days from ``since`` up to ``until`` inside periods that were paid (a suspended
        period was not: its days owe no difference)."""
        days = 0
        for _, start, end in self.periods():
            if start >= until:
                return days
            if end < since or self.suspension_on(start) is not None:
                continue
            days += (min(end, until - timedelta(days=1)) - max(start, since)).days + 1
        return days

    def periods(self) -> Iterator[tuple[int, date, date]]:
        length = timedelta(weeks=self.period_weeks)
        number = 1
        while True:
            start = self.start + length * (number - 1)
            yield number, start, start + length - timedelta(days=1)
            number += 1

    def schedule(self, calendar: WorkingDays, *, until: date) -> Schedule:
        """Every payment from the first to the last whose pay date is on or before ``until``."""
        result = Schedule()
        # Pro-rata differences a paid period owes the next payment (through suspended ones).
        carried_gross = carried_netted = 0
        carried_notes: list[str] = []
        carried: set[object] = set()  # the changes and recoveries carried already
        for number, start, end in self.periods():
            pay_on = calendar.on_or_before(start)
            if pay_on > until or (self.stopped_from is not None and start >= self.stopped_from):
                break
            key = f"{KEY_PREFIX}{self.budget_ref}:P{number:02d}"
            label = f"DP period {number} ({_span(start, end)})"
            # A surplus recovered: off the first payment from its period (the rest carries on).
            for n, (applies_from, amount, why) in enumerate(self.recoveries):
                if ("recovery", n) in carried or applies_from > start:
                    continue
                carried.add(("recovery", n))
                carried_gross -= amount
                carried_notes.append(f"less {format_pence(amount)} surplus recovered: {why}")
            # A change dated before this period and first paid in it: the days between, paid at
            # the old amounts, pro rata at the difference (through a suspended period too).
            for n, (since, new, applies_from) in enumerate(self.amount_changes):
                if n == 0 or n in carried or applies_from > start:
                    continue
                carried.add(n)
                since = max(since, self.start)  # no direct payment before its start
                days = self._paid_days(since, applies_from)
                if self.pro_rata and days > 0:
                    before = self.amount_changes[n - 1][1]
                    carried_gross += _pro_rata(new.gross_weekly - before.gross_weekly, days)
                    carried_netted += _pro_rata(new.netted_weekly - before.netted_weekly, days)
                    carried_notes.append(
                        f"includes {days} days ({_span(since, applies_from - timedelta(days=1))})"
                        f" at the amount from {since:%-d %b %Y}"
                    )
            suspension = self.suspension_on(start)
            if suspension is not None:
                result.skipped.append(Skipped(key, label, pay_on, _suspended_reason(suspension)))
                continue
            amounts = self.paid_amounts(start)
            gross = amounts.gross_weekly * self.period_weeks + carried_gross
            netted = amounts.netted_weekly * self.period_weeks + carried_netted
            notes, carried_notes = carried_notes, []
            carried_gross = carried_netted = 0
            if gross < 0 or netted < 0 or netted > gross:
                # A reduction bigger than this payment: what is left comes off the next one.
                paid_netted = max(0, min(netted, gross))
                carried_gross, carried_netted = min(gross, 0), netted - paid_netted
                gross, netted = max(gross, 0), paid_netted
            result.due.append(
                Due(
                    key=key,
                    budget=self.budget_ref,
                    number=number,
                    one_off=False,
                    period_start=start,
                    period_end=end,
                    pay_on=pay_on,
                    gross=gross,
                    netted=netted,
                    payee=self.payee_on(start),
                    reason=_period_reason(label, gross, netted, self.period_weeks, amounts, notes),
                )
            )
        for number, (day, amount, purpose, reason) in enumerate(self.one_offs, start=1):
            pay_on = calendar.on_or_before(day)
            key = f"{KEY_PREFIX}{self.budget_ref}:X{number:02d}"
            label = f"one-off payment {number} ({OneOffPurpose(purpose).value.replace('_', ' ')})"
            if pay_on > until:
                continue
            if self.stopped_from is not None and day >= self.stopped_from:
                result.skipped.append(Skipped(key, label, pay_on, f"stopped: {self.stop_reason}"))
                continue
            suspension = self.suspension_on(day)
            if suspension is not None:
                result.skipped.append(Skipped(key, label, pay_on, _suspended_reason(suspension)))
                continue
            result.due.append(
                Due(
                    key=key,
                    budget=self.budget_ref,
                    number=number,
                    one_off=True,
                    period_start=day,
                    period_end=day,
                    pay_on=pay_on,
                    gross=amount,
                    netted=0,
                    payee=self.payee_on(day),
                    reason=f"{label.capitalize()}: {format_pence(amount)}, {reason}",
                )
            )
        result.due.sort(key=lambda d: (d.pay_on, d.key))
        return result


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has fewer days."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _suspended_reason(suspension: list[Any]) -> str:
    return f"suspended from {suspension[0]:%-d %b %Y}: {suspension[2]}"


def _pro_rata(weekly: int, days: int) -> int:
    """``weekly`` × days / 7 in whole pence, rounded half away from zero."""
    sign = -1 if weekly < 0 else 1
    return sign * ((abs(weekly) * days * 2 + 7) // 14)


def _period_reason(
    label: str, gross: int, netted: int, weeks: int, amounts: Amounts, notes: list[str]
) -> str:
    text = f"{label}: gross {format_pence(gross)} ({weeks} × {format_pence(amounts.gross_weekly)})"
    if netted:
        text += (
            f" less assessed contribution {format_pence(netted)}"
            f" ({weeks} × {format_pence(amounts.netted_weekly)}) netted off"
        )
    text += f"; council pays {format_pence(gross - netted)}."
    if notes:
        text += " " + "; ".join(n[0].upper() + n[1:] for n in notes) + "."
    return text


def _span(start: date, end: date) -> str:
    if start.year == end.year:
        return f"{start:%-d %b}–{end:%-d %b %Y}"
    return f"{start:%-d %b %Y}–{end:%-d %b %Y}"


def _text(value: object, name: str, limit: int, *, required: bool = True) -> str:
    return clean_text(value, field=name, limit=limit, required=required, error=DirectPaymentError)


def _pence(value: object, name: str, *, allow_zero: bool = False) -> int:
    if allow_zero and value == 0 and not isinstance(value, bool):
        return 0
    try:
        return check_pence(value)
    except MoneyError as exc:
        raise DirectPaymentError(str(exc), field=name) from None
