"""Finance's reconciliation of the council's bank account (payments/reconciliation.py decides),
on the payments context's event store: imports kept once, matches and their claims saved
together, corrections posted to the ledger once a second officer approves, periods closed at
zero and frozen. No Django: the caller hands over the expectations (from the payments' read
model) and the ledger's journal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from config.actor import Actor
from ledger.domain import EntryDraft
from ledger.money import format_pence
from payments import policies
from payments.bank_statements import CsvMapping, StatementError, StatementKind, parse
from payments.reconciliation import (
    RULE_AMOUNT_DATE,
    RULE_MANUAL,
    RULE_REFERENCE,
    AlreadyMatchedError,
    BankImport,
    Expected,
    Line,
    Match,
    PeriodClosedError,
    Problem,
    Proposal,
    ReconciliationError,
    ReconClaim,
    Resolution,
    ResolutionKind,
    SavedMapping,
    Tolerance,
    check_bank,
    check_reason,
    claim_id,
    import_id,
    period_id,
    period_of,
    propose,
)

ACCOUNT = "COUNCIL:BANK"
# Where a correction's other side goes (opened on first use, as the payments context's).
CORRECTION_ACCOUNTS = {
    ResolutionKind.WRITE_OFF: ("COUNCIL:BANK-CHARGES", "expense", "Bank charges and write-offs"),
    ResolutionKind.RECOVER: ("COUNCIL:OVERPAYMENTS", "asset", "Overpayments to recover"),
    ResolutionKind.DIFFERENCE: ("COUNCIL:BANK-CHARGES", "expense", "Bank charges and write-offs"),
}


@dataclass(frozen=True)
class Imported:
    id: UUID
    lines: int
    new: bool  # False: the same file was imported before, and nothing was added


@dataclass(frozen=True)
class State:
    """What matching says now: the automatic matches it made, the suggestions waiting for a
    person, the exceptions to clear."""

    matched: list[Proposal]
    suggestions: list[Proposal]
    problems: list[Problem]


class Reconciler:
    """One account's reconciliation: the council's bank (``COUNCIL:BANK``: statements) or
    Stripe's balance (``STRIPE:CLEARING``: its balance transactions)."""

    def __init__(
        self, app: Any, account: str = ACCOUNT, tolerance: Tolerance | None = None
    ) -> None:
        self.app = app  # the PaymentsApplication: its repository and its save
        self.account = account
        self.tolerance = tolerance or Tolerance()  # the council's, in days and pence

    # ------------------------------------------------------------------ imports
    def import_statement(
        self,
        actor: Actor,
        *,
        kind: object,
        filename: str,
        data: bytes,
        mapping: CsvMapping | None = None,
    ) -> Imported:
        policies.check_may_reconcile(actor)
        if self.account != ACCOUNT:
            raise ReconciliationError(
                "Stripe's balance is read from Stripe itself: import a bank statement on the"
                " council's bank",
                field="account",
            )
        lines = parse(kind, data, mapping)
        for month in sorted({period_of(line.on) for line in lines}):
            if self._period_or_none(month) is not None:
                raise PeriodClosedError(
                    f"the statement has lines in {month}, which is closed: import a statement"
                    " of the later days only",
                    field="file",
                )
        digest = hashlib.sha256(data).hexdigest()
        found = self._import_or_none(import_id(self.account, digest))
        if found is not None:
            return Imported(found.id, len(found.lines), False)
        rows: list[dict[str, object]] = [
            {
                "on": line.on,
                "amount": line.amount,
                "reference": line.reference,
                "description": line.description[:300],
                "bank_ref": line.bank_ref,
            }
            for line in lines
        ]
        made = BankImport(
            self.account, StatementKind(str(kind)).value, filename, digest, rows, actor.id
        )
        try:
            self.app.save(made)
        except IntegrityError:  # the same file, imported a moment ago by someone else
            return Imported(made.id, len(rows), False)
        return Imported(made.id, len(rows), True)

    def import_stripe(
        self, actor: Actor, *, fetch: Callable[[set[str]], list[dict[str, Any]]]
    ) -> Imported:
        """Stripe's balance transactions not imported yet (``fetch`` pages through them,
        newest first, until it meets one already imported): incremental, and the same batch
        twice adds nothing."""
        policies.check_may_reconcile(actor)
        known = {
            str(row.get("bank_ref"))
            for originator in self.app._originators(BankImport.Imported)  # type: ignore[attr-defined]
            for row in self.app.repository.get(originator).lines
        }
        found = fetch(known)
        if not found:
            return Imported(import_id(self.account, "none"), 0, False)
        rows: list[dict[str, object]] = [
            {
                "on": datetime.fromtimestamp(int(t["created"]), UTC).date(),
                "amount": int(t["amount"]),
                "reference": str(t.get("source") or ""),
                "description": str(t.get("description") or t.get("type") or "")[:300],
                "bank_ref": str(t["id"]),
                "type": str(t.get("type") or ""),
            }
            for t in reversed(found)  # oldest first, as a statement
        ]
        for month in sorted({period_of(r["on"]) for r in rows}):  # type: ignore[arg-type]
            if self._period_or_none(month) is not None:
                raise PeriodClosedError(
                    f"Stripe moved money in {month}, which is closed", field="file"
                )
        digest = hashlib.sha256(",".join(str(r["bank_ref"]) for r in rows).encode()).hexdigest()
        made = BankImport(
            self.account, "stripe", "stripe balance transactions", digest, rows, actor.id
        )
        try:
            self.app.save(made)
        except IntegrityError:
            return Imported(made.id, len(rows), False)
        return Imported(made.id, len(rows), True)

    # ------------------------------------------------------------------ CSV mappings
    def save_mapping(self, actor: Actor, *, bank: object, columns: dict[str, str]) -> SavedMapping:
        """Keep a bank's CSV columns (checked now, as a file would be read) for its files."""
        policies.check_may_reconcile(actor)
        name = check_bank(bank)
        try:
            CsvMapping(**columns)
        except TypeError as exc:
            raise StatementError(
                f"the mapping names no such column role: {exc}", field="mapping"
            ) from None
        try:
            found: SavedMapping = self.app.repository.get(SavedMapping.create_id(name))
        except AggregateNotFoundError:
            found = SavedMapping(name, dict(columns), actor.id)
        else:
            found.change(dict(columns), actor.id)
        self.app.save(found)
        return found

    def mapping(self, bank: object) -> CsvMapping:
        name = check_bank(bank)
        try:
            found: SavedMapping = self.app.repository.get(SavedMapping.create_id(name))
        except AggregateNotFoundError:
            raise StatementError(
                f"no CSV mapping is saved for {name!r}: save its columns first", field="bank"
            ) from None
        return CsvMapping(**found.columns)

    def mappings(self) -> list[SavedMapping]:
        return [
            self.app.repository.get(o)
            for o in self.app._originators(SavedMapping.Saved)  # type: ignore[attr-defined]
        ]

    def _import_or_none(self, id_: UUID) -> BankImport | None:
        try:
            found: BankImport = self.app.repository.get(id_)
        except AggregateNotFoundError:
            return None
        return found

    def lines(self) -> list[Line]:
        """Every line of every statement imported, in the order imported."""
        found = []
        for originator in self.app._originators(BankImport.Imported):  # type: ignore[attr-defined]
            imported: BankImport = self.app.repository.get(originator)
            if imported.account != self.account:
                continue
            for n, row in enumerate(imported.lines):
                found.append(
                    Line(
                        id=f"{imported.id}:{n}",
                        on=row["on"],  # type: ignore[arg-type]
                        amount=int(row["amount"]),  # type: ignore[call-overload]
                        reference=str(row["reference"]),
                        description=str(row["description"]),
                    )
                )
        return found

    def _settled(self) -> Callable[[str], bool]:
        """Whether a line or payment is matched, or put right by a correction that is in the
        ledger (one still waiting for its second officer leaves it open). Read in one scan
        of the claims, not one lookup per item: a year's statement has 100,000 of each."""
        claimed = set(self.app._originators(ReconClaim.Claimed))  # type: ignore[attr-defined]
        waiting: set[str] = set()
        for originator in self.app._originators(Resolution.Proposed):  # type: ignore[attr-defined]
            resolution: Resolution = self.app.repository.get(originator)
            if resolution.entry is None:
                waiting.update(x for x in (resolution.line, resolution.payment) if x)
        return lambda item: claim_id(item) in claimed and item not in waiting

    # ------------------------------------------------------------------ matching
    def state(self, expected: list[Expected], *, lines: list[Line] | None = None) -> State:
        """What the rules say of what is not yet matched or put right (``lines``: every
        line imported, when the caller has read them already)."""
        lines = self.lines() if lines is None else lines
        settled = self._settled()
        open_lines = [x for x in lines if not settled(x.id)]
        open_expected = [e for e in expected if not settled(e.key)]
        last = max((x.on for x in lines), default=None)
        proposals, problems = propose(
            open_lines,
            open_expected,
            statement_to=last,
            returns_of=expected,
            tolerance=self.tolerance,
        )
        return State(
            matched=[p for p in proposals if p.automatic],
            suggestions=[p for p in proposals if not p.automatic],
            problems=problems,
        )

    def match_automatically(
        self,
        actor: Actor,
        expected: list[Expected],
        *,
        progress: Callable[[int, int], None] | None = None,
        every: int = 500,
    ) -> State:
        """Save every match the rules make on their own (each with its rule and evidence);
        what is left is for a person. ``progress(done, total)`` is told every ``every``
        matches saved (each batch in one transaction), and at the end."""
        policies.check_may_reconcile(actor)
        lines = {x.id: x for x in self.lines()}
        state = self.state(expected, lines=list(lines.values()))
        total, batch = len(state.matched), []
        for n, p in enumerate(state.matched, start=1):
            with suppress(PeriodClosedError):  # never into a closed month
                self._check_open(max(lines[x].on for x in p.lines))
                batch.append(p)
            if len(batch) == every or n == total:
                self._save_matches(batch, lines)
                batch = []
                if progress is not None:
                    progress(n, total)
        if progress is not None and not total:
            progress(0, 0)
        return self.state(expected, lines=list(lines.values()))

    def _save_matches(self, batch: list[Proposal], lines: dict[str, Line]) -> None:
        """Save a batch of automatic matches with their claims in one transaction; if another
        run took one of their lines or payments a moment ago, each on its own (that one
        refused). A save takes the aggregates' events, so a retry makes them afresh."""

        def made(p: Proposal) -> list[Any]:
            return self._match(p.lines, p.expected, p.rule, p.evidence, "rule", "", lines)

        if not batch:
            return
        try:
            self.app.save(*(item for p in batch for item in made(p)))
        except IntegrityError:
            for p in batch:
                with suppress(IntegrityError):
                    self.app.save(*made(p))

    def confirm(
        self,
        actor: Actor,
        *,
        lines: list[str],
        expected: list[str],
        payments: list[Expected],
        reason: object = "",
        suggested: bool = False,
    ) -> Match:
        """A person confirms a suggestion (one the rules make now), or matches by hand with a
        reason. Either way the lines and the payments must come to the same money: a match
        never hides a difference."""
        policies.check_may_reconcile(actor)
        if not lines or not expected:
            raise ReconciliationError("choose the lines and the payments to match", field="lines")
        known = {x.id: x for x in self.lines()}
        if suggested:
            state = self.state(payments, lines=list(known.values()))
            offered = {(p.lines, p.expected) for p in state.suggestions}
            if (tuple(lines), tuple(expected)) not in offered:
                raise ReconciliationError(
                    "the rules do not suggest this match: match it by hand, with a reason",
                    field="lines",
                )
        why = check_reason(reason) if not suggested else str(reason or "").strip()
        for line in lines:
            if line not in known:
                raise ReconciliationError(f"no statement line {line}", field="lines")
        by_key = {e.key: e for e in payments}
        for key in expected:
            if key not in by_key:
                raise ReconciliationError(
                    f"no payment {key} is expected on the bank", field="expected"
                )
        bank = sum(known[x].amount for x in lines)
        ours = sum(by_key[k].amount for k in expected)
        if bank != ours:
            raise ReconciliationError(
                f"the lines come to {format_pence(bank)} and the payments to"
                f" {format_pence(ours)}: a match must not hide a difference",
                field="lines",
            )
        rule = RULE_AMOUNT_DATE if suggested else RULE_MANUAL
        evidence = f"confirmed by {actor.id}" if suggested else f"matched by hand: {why}"
        saved = self._match(tuple(lines), tuple(expected), rule, evidence, actor.id, why, known)
        try:
            self.app.save(*saved)
        except IntegrityError:
            raise AlreadyMatchedError(
                "one of these lines or payments is matched or put right already", field="lines"
            ) from None
        return saved[0]  # type: ignore[no-any-return]

    def _match(
        self,
        lines: tuple[str, ...],
        expected: tuple[str, ...],
        rule: str,
        evidence: str,
        by: str,
        reason: str,
        known: dict[str, Line],
    ) -> list[Any]:
        on = max(known[x].on for x in lines)
        self._check_open(on)
        match = Match(self.account, lines, expected, rule, evidence, by, reason, on)
        return [match, *(ReconClaim(item, match.id) for item in (*lines, *expected))]

    # ------------------------------------------------------------------ corrections
    def propose_correction(
        self,
        actor: Actor,
        *,
        line: str,
        kind: object,
        reason: object,
        payment: str = "",
        payments: list[Expected] | None = None,
    ) -> Resolution:
        """A correcting ledger entry for a line no payment explains (a write-off, a recovery,
        money returned for ``payment``, owed to its payee again), or for the ``difference``
        between a line and its ``payment`` (one of ``payments``, which the line then settles
        too); posted once a second finance officer approves it."""
        policies.check_may_reconcile(actor)
        try:
            chosen = ResolutionKind(str(kind))
        except ValueError:
            raise ReconciliationError(
                "choose write_off, recover, returned or difference", field="kind"
            ) from None
        found = {x.id: x for x in self.lines()}.get(line)
        if found is None:
            raise ReconciliationError(f"no statement line {line}", field="line")
        payable, amount = "", found.amount
        if chosen is ResolutionKind.DIFFERENCE:
            paid = {e.key: e for e in payments or []}.get(payment)
            if paid is None:
                raise ReconciliationError(
                    "name the payment this line is for: one expected on this account",
                    field="payment",
                )
            amount = found.amount - paid.amount  # what the bank did beyond the ledger
            if amount == 0:
                raise ReconciliationError(
                    "the line and the payment agree: match them instead", field="kind"
                )
            if (found.amount < 0) != (paid.amount < 0) or abs(amount) > self.tolerance.pence:
                raise ReconciliationError(
                    f"the line is {format_pence(abs(amount))} off the payment, beyond the"
                    f" council's tolerance of {format_pence(self.tolerance.pence)} (or the"
                    " other way): it is not this payment's; match it by hand or correct it",
                    field="payment",
                )
        if chosen is ResolutionKind.RETURNED:
            if found.amount <= 0:
                raise ReconciliationError("a return is money back in", field="kind")
            made = self.app._payment_or_none(payment) if payment else None
            if made is None or made.net != found.amount:
                raise ReconciliationError(
                    "name the payment returned: one made for this amount", field="payment"
                )
            from payments.application import payable as dp_payable

            payable = made.payable or dp_payable(made.budget)  # a direct payment's: its own
        self._check_open(found.on)
        resolution = Resolution(
            self.account,
            line,
            chosen.value,
            amount,
            found.on,
            check_reason(reason),
            actor.id,
            payable,
            payment if chosen is ResolutionKind.DIFFERENCE else "",
        )
        claims = [ReconClaim(line, resolution.id)]
        if chosen is ResolutionKind.DIFFERENCE:
            claims.append(ReconClaim(payment, resolution.id))  # the line settles it, once
        elif payment:
            claims.append(ReconClaim(f"returned:{payment}", resolution.id))  # returned once
        try:
            self.app.save(resolution, *claims)
        except IntegrityError:
            raise AlreadyMatchedError(
                "this line is matched or put right already", field="line"
            ) from None
        return resolution

    def approve_correction(self, actor: Actor, *, line: str, journal: Any) -> Resolution:
        policies.check_may_reconcile(actor)
        resolution = self._resolution(line)
        self._check_open(resolution.on)
        if not resolution.approved_by:
            resolution.approve(by=actor.id)
        draft = correction_draft(resolution, resolution.payable, actor)
        kind = resolution.kind
        if kind in CORRECTION_ACCOUNTS:
            code, type_, name = CORRECTION_ACCOUNTS[kind]
            journal.open_account(code=code, name=name, type=type_)
        entry = journal.post_entry(draft).id
        if resolution.entry is None:
            resolution.record_entry(UUID(str(entry)))
        self.app.save(resolution)
        return resolution

    def _resolution(self, line: str) -> Resolution:
        try:
            found: Resolution = self.app.repository.get(Resolution.create_id(line))
        except AggregateNotFoundError:
            raise ReconciliationError(f"no correction proposed for {line}", field="line") from None
        return found

    # ------------------------------------------------------------------ periods
    def _check_open(self, on: date) -> None:
        month = period_of(on)
        if self._period_or_none(month) is not None:
            raise PeriodClosedError(
                f"{month} is closed: put it right in a later period", field="period"
            )

    def _period_or_none(self, month: str) -> Any:
        try:
            return self.app.repository.get(period_id(self.account, month))
        except AggregateNotFoundError:
            return None

    def report(
        self,
        month: str,
        expected: list[Expected],
        *,
        balance_at: Callable[[date], int] | None = None,
        lines: list[Line] | None = None,
        state: State | None = None,
    ) -> dict[str, Any]:
        """The month's report: the bank's lines, what is matched and put right, what is open,
        and the difference (open items, in pence); the ledger's opening and closing balance.
        (``lines`` and ``state``: every line and what matching says now, when the caller has
        them already.)"""
        closed = self._period_or_none(month)
        if closed is not None:  # frozen: as it was when closed
            return {**closed.report, "month": month, "closed_by": closed.closed_by}
        every = self.lines() if lines is None else lines
        in_month = [x for x in every if period_of(x.on) == month]
        ours = [e for e in expected if period_of(e.earliest) == month]
        state = self.state(expected, lines=every) if state is None else state
        open_lines = {p.line for p in state.problems if p.line} | {
            x for s in state.suggestions for x in s.lines
        }
        open_expected = {p.expected for p in state.problems if p.expected and not p.line} | {
            x for s in state.suggestions for x in s.expected
        }
        in_month_open = [x for x in in_month if x.id in open_lines]
        expected_open = [e for e in ours if e.key in open_expected]
        report = {
            "month": month,
            "lines": len(in_month),
            "bank_total_pence": sum(x.amount for x in in_month),
            "matched_or_put_right": len(in_month) - len(in_month_open),
            "open_lines": len(in_month_open),
            "open_payments": len(expected_open),
            "difference_pence": sum(abs(x.amount) for x in in_month_open)
            + sum(abs(e.amount) for e in expected_open),
        }
        if balance_at is not None:
            report["opening_balance_pence"] = balance_at(date.fromisoformat(f"{month}-01"))
            report["closing_balance_pence"] = balance_at(_month_end(month) + timedelta(days=1))
        report["closed_by"] = ""  # open: frozen months returned above
        return report

    def close(
        self,
        actor: Actor,
        month: str,
        expected: list[Expected],
        *,
        today: date,
        balance_at: Callable[[date], int] | None = None,
        journal: Any = None,
    ) -> dict[str, Any]:
        """Close the month at zero difference, once it has ended and the months before it
        are closed; then it is frozen, here and (given the ``journal``) in the ledger, which
        refuses an entry on the account dated in it."""
        policies.check_may_reconcile(actor)
        if self._period_or_none(month) is not None:
            self._close_books(month, journal)  # if a crash came between the two, now
            raise PeriodClosedError(f"{month} is closed already", field="period")
        if _month_end(month) >= today:
            raise ReconciliationError(
                f"{month} has not ended: a month is closed once its last day has passed,"
                " or its payments still to come would be refused",
                field="period",
            )
        earlier = sorted({period_of(x.on) for x in self.lines()} - {month}, reverse=True)
        for before in (m for m in earlier if m < month):
            if self._period_or_none(before) is None:
                raise ReconciliationError(
                    f"{before} is still open: close the months in order", field="period"
                )
        report = self.report(month, expected, balance_at=balance_at)
        if report["open_lines"] or report["open_payments"]:
            raise ReconciliationError(
                f"{month} has {report['open_lines']} lines and {report['open_payments']}"
                f" payments open ({format_pence(report['difference_pence'])}): clear them"
                " before it closes",
                field="period",
            )
        from payments.reconciliation import Period

        closed = {k: v for k, v in report.items() if isinstance(v, int)}
        try:
            self.app.save(Period(self.account, month, actor.id, closed))
        except IntegrityError:
            raise PeriodClosedError(f"{month} is closed already", field="period") from None
        self._close_books(month, journal)
        return {**report, "closed_by": actor.id}

    def _close_books(self, month: str, journal: Any) -> None:
        if journal is None:
            return
        closed = self._period_or_none(month)
        journal.close_books(
            code=self.account,
            through=_month_end(month),
            reason=f"{month} reconciled to zero and closed by {closed.closed_by}",
        )

    def matches(self) -> Iterator[Match]:
        for originator in self.app._originators(Match.Matched):  # type: ignore[attr-defined]
            yield self.app.repository.get(originator)


def _month_end(month: str) -> date:
    start = date.fromisoformat(f"{month}-01")
    return date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(days=1)


def correction_draft(resolution: Resolution, payable: str, actor: Actor) -> EntryDraft:
    """The correcting entry: out of the account reconciled (the bank, or Stripe's balance) for
    a charge or a double payment, back into it for a return (owed to the payee again)."""
    amount, ours = abs(resolution.amount), resolution.account  # the bank, or Stripe's balance
    if resolution.kind is ResolutionKind.RETURNED:
        debit, credit = ours, payable
    else:
        other = CORRECTION_ACCOUNTS[resolution.kind][0]
        debit, credit = (other, ours) if resolution.amount < 0 else (ours, other)
    return EntryDraft.create(
        idempotency_key=f"payments:reconciliation:{resolution.line}",
        # The payments context's own kinds: a double payment is owed back (a recovery); a
        # return or a bank charge settles what the bank did.
        kind="recovery" if resolution.kind is ResolutionKind.RECOVER else "settlement",
        legs=[
            {"account": debit, "side": "debit", "amount": amount},
            {"account": credit, "side": "credit", "amount": amount},
        ],
        effective_at=datetime.combine(resolution.on, time(), tzinfo=UTC),
        actor=actor.id,
        reason=(
            f"Bank reconciliation, {resolution.kind.value.replace('_', ' ')}:"
            f" {resolution.reason} (proposed by {resolution.proposed_by}, approved by"
            f" {resolution.approved_by})"
        ),
        source_document=f"bank-line:{resolution.line}",
    )


__all__ = ["ACCOUNT", "RULE_REFERENCE", "Reconciler"]
