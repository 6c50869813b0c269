"""Finance reconciles the council's bank account to the penny. Pure Python, no Django.

**Expectations** are what the ledger says the bank should show: each Bacs payment sent, its
amount out, its reference, and the days it may appear on. **Lines** come from the bank's
statements (payments/bank_statements.py), each import kept whole once: the same file twice
adds nothing.

**Matching** proposes, with a versioned rule and its evidence:

- ``reference-amount-v1``: a line with the payment's reference and amount, within its days,
  and no other line or payment like it: matched at once;
- ``file-total-v1``: one line for a whole Bacs file (the bank's one debit for it), the file's
  total within its days: matched at once when the line names the file's serial, else
  suggested;
- ``split-v1``: several lines with one payment's reference that add up to it (the bank paid
  it in parts): suggested;
- ``amount-date-v1``: no reference, but the one payment of that amount within its days: a
  **suggestion**, which waits for a person to confirm;
- two lines for one payment are a **duplicate**, and one line that fits several payments is
  **ambiguous**: never matched automatically, listed for a person.

What is left is an **exception**: a line nobody expected (a bank charge), a payment returned
(money back in with a payment's reference), a payment not yet on the bank after its days.
Each is resolved by a manual match with a reason, or by a correcting ledger entry that a second
finance officer approves (a write-off, a recovery, a return), never by an edit.

A **period** (one account, one month) closes only at zero difference (nothing open in it),
records who closed it, and is frozen: a later correction goes in a later period.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError
from config.validation import clean_text
from ledger.money import format_pence

NAMESPACE = UUID("7d3c1b2a-9e8f-4a6b-8c5d-2e1f0a9b8c7d")
RULE_REFERENCE = "reference-amount-v1"
RULE_AMOUNT_DATE = "amount-date-v1"
RULE_MANUAL = "manual-v1"
RULE_FILE_TOTAL = "file-total-v1"
RULE_SPLIT = "split-v1"
RULE_TOLERANCE = "amount-tolerance-v1"


class ReconciliationError(DomainError):
    pass


class PeriodClosedError(ReconciliationError, Conflict):
    pass


class AlreadyMatchedError(ReconciliationError, Conflict):
    pass


@dataclass(frozen=True)
class Expected:
    """A payment the bank should show: ``amount`` signed as the bank sees it (out: negative)."""

    key: str
    amount: int
    reference: str
    earliest: date
    latest: date
    label: str
    batch: str = ""  # the Bacs file it went in, which a bank may show as one debit
    batch_ref: str = ""  # how the bank names that file (its serial)


@dataclass(frozen=True)
class Line:
    id: str  # "<import id>:<n>"
    on: date
    amount: int
    reference: str
    description: str


@dataclass(frozen=True)
class Proposal:
    rule: str
    lines: tuple[str, ...]
    expected: tuple[str, ...]
    automatic: bool
    evidence: str


class ProblemKind(StrEnum):
    UNEXPECTED = "unexpected"  # a line nobody expected
    RETURNED = "returned"  # money back in for a payment made
    DUPLICATE = "duplicate"  # two lines for one payment
    AMBIGUOUS = "ambiguous"  # a line that fits more than one payment
    MISSING = "missing"  # a payment not on the bank after its days
    DIFFERENCE = "difference"  # its reference, but an amount a little off (within tolerance)


@dataclass(frozen=True)
class Tolerance:
    """How far a line may stray from its payment and still be offered: ``days`` either side of
    the payment's days (for a suggestion), ``pence`` off its amount (an amount difference)."""

    days: int = 3
    pence: int = 100

    @classmethod
    def create(cls, days: object, pence: object) -> Tolerance:
        for value, field in ((days, "days"), (pence, "pence")):
            if type(value) is not int or not 0 <= value <= 10_000:
                raise ReconciliationError(
                    "a tolerance is a whole number from 0 to 10,000", field=field
                )
        return cls(days, pence)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    line: str | None
    expected: str | None
    why: str


def propose(
    lines: list[Line],
    expected: list[Expected],
    *,
    statement_to: date | None = None,
    returns_of: list[Expected] | None = None,
    tolerance: Tolerance = Tolerance(),
) -> tuple[list[Proposal], list[Problem]]:
    """What the rules say of the lines and payments not yet matched (``statement_to``: the
    last day the statements cover, past which a payment not seen is missing; ``returns_of``:
    every payment made, matched or not, that money coming back may be for; ``tolerance``: the
    council's, in days and pence)."""
    slack = tolerance.days
    proposals: list[Proposal] = []
    problems: list[Problem] = []
    used_lines: set[str] = set()
    used_expected: set[str] = set()
    by_reference: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_reference[line.reference].append(line)

    def within(line: Line, e: Expected, slack: int = 0) -> bool:
        return (
            (e.earliest.toordinal() - slack)
            <= line.on.toordinal()
            <= (e.latest.toordinal() + slack)
        )

    # Two payments with one reference and amount cannot be told apart by it; and a payment
    # with no reference (a payout without its trace id yet) is matched by nothing here.
    alike = Counter((e.reference, e.amount) for e in expected)
    for e in expected:
        if not e.reference or alike[(e.reference, e.amount)] > 1:
            continue
        fits = [x for x in by_reference.get(e.reference, []) if x.amount == e.amount]
        fits = [x for x in fits if within(x, e) and x.id not in used_lines]
        if len(fits) == 1:
            proposals.append(
                Proposal(
                    RULE_REFERENCE,
                    (fits[0].id,),
                    (e.key,),
                    True,
                    f"reference {e.reference!r} and {format_pence(-e.amount)} on"
                    f" {fits[0].on:%-d %b %Y}, within {e.earliest:%-d %b}–{e.latest:%-d %b}",
                )
            )
            used_lines.add(fits[0].id)
            used_expected.add(e.key)
        elif len(fits) > 1:
            for x in fits:
                problems.append(
                    Problem(
                        ProblemKind.DUPLICATE,
                        x.id,
                        e.key,
                        f"{len(fits)} lines of {format_pence(-e.amount)} with the reference"
                        f" {e.reference!r}, for one payment ({e.label})",
                    )
                )
                used_lines.add(x.id)
            used_expected.add(e.key)
    # Several lines with a payment's reference adding up to it: many to one.
    for e in expected:
        if e.key in used_expected or not e.reference:
            continue
        parts = [
            x
            for x in by_reference.get(e.reference, [])
            if x.id not in used_lines and within(x, e, slack)
        ]
        if len(parts) > 1 and sum(x.amount for x in parts) == e.amount:
            proposals.append(
                Proposal(
                    RULE_SPLIT,
                    tuple(x.id for x in parts),
                    (e.key,),
                    False,
                    f"{len(parts)} lines with the reference {e.reference!r} adding up to"
                    f" {format_pence(-e.amount)}",
                )
            )
            used_lines.update(x.id for x in parts)
            used_expected.add(e.key)
    # Its reference, within its days, but a few pence off: never matched, since a match never
    # hides a difference; put right with the difference written off (a second officer's).
    for e in expected:
        if e.key in used_expected or not e.reference:
            continue
        near = [
            x
            for x in by_reference.get(e.reference, [])
            if x.id not in used_lines
            and within(x, e)
            and (x.amount < 0) == (e.amount < 0)
            and 0 < abs(x.amount - e.amount) <= tolerance.pence
        ]
        if len(near) == 1:
            seen, off = abs(near[0].amount), abs(near[0].amount - e.amount)
            problems.append(
                Problem(
                    ProblemKind.DIFFERENCE,
                    near[0].id,
                    e.key,
                    f"{RULE_TOLERANCE}: {format_pence(seen)} with the reference {e.reference!r}"
                    f" for {e.label} ({format_pence(abs(e.amount))}), {format_pence(off)}"
                    f" {'more' if seen > abs(e.amount) else 'less'} (the tolerance is"
                    f" {format_pence(tolerance.pence)}): write the difference off",
                )
            )
            used_lines.add(near[0].id)
            used_expected.add(e.key)
    # One line for a whole Bacs file: the file's total, one to many.
    batches: dict[str, list[Expected]] = defaultdict(list)
    for e in expected:
        if e.batch and e.key not in used_expected:
            batches[e.batch].append(e)
    for line in lines:
        if line.id in used_lines or line.amount >= 0:
            continue
        files = [
            (name, members)
            for name, members in batches.items()
            if len(members) > 1
            and sum(m.amount for m in members) == line.amount
            and all(within(line, m, slack) for m in members)
            and not any(m.key in used_expected for m in members)
        ]
        if len(files) != 1:
            continue
        name, members = files[0]
        serial = members[0].batch_ref
        named = bool(serial) and serial in f"{line.reference} {line.description}"
        proposals.append(
            Proposal(
                RULE_FILE_TOTAL,
                (line.id,),
                tuple(m.key for m in members),
                named,
                f"{format_pence(-line.amount)} on {line.on:%-d %b %Y}, the total of the"
                f" {len(members)} payments in {name}"
                + (f", named by its serial {serial}" if named else ""),
            )
        )
        used_lines.add(line.id)
        used_expected.update(m.key for m in members)
    # Money back in with a payment's reference: returned by the payee's bank.
    paid = {e.reference: e for e in (returns_of if returns_of is not None else expected)}
    for line in lines:
        back = paid.get(line.reference)
        if line.id in used_lines or back is None or line.amount <= 0:
            continue
        if line.amount == -back.amount:
            problems.append(
                Problem(
                    ProblemKind.RETURNED,
                    line.id,
                    back.key,
                    f"{format_pence(line.amount)} came back on {line.on:%-d %b %Y} for"
                    f" {back.label}: {line.description}",
                )
            )
            used_lines.add(line.id)
    # No reference: the one payment of the amount within its days is a suggestion.
    rest = [x for x in lines if x.id not in used_lines]
    by_amount: dict[int, list[Expected]] = defaultdict(list)
    for e in expected:
        if e.key not in used_expected:
            by_amount[e.amount].append(e)
    rest_by_amount: dict[int, list[Line]] = defaultdict(list)
    for x in rest:
        rest_by_amount[x.amount].append(x)
    for line in rest:
        candidates = [
            e
            for e in by_amount.get(line.amount, [])
            if e.key not in used_expected and within(line, e, slack)
        ]
        if len(candidates) == 1:
            others = [
                x
                for x in rest_by_amount[line.amount]
                if x.id != line.id and within(x, candidates[0], slack)
            ]
            if not others:
                proposals.append(
                    Proposal(
                        RULE_AMOUNT_DATE,
                        (line.id,),
                        (candidates[0].key,),
                        False,
                        f"{format_pence(-line.amount)} on {line.on:%-d %b %Y}, the one payment"
                        f" of that amount within {slack} days; the reference {line.reference!r}"
                        f" is not its {candidates[0].reference!r}",
                    )
                )
                used_lines.add(line.id)
                used_expected.add(candidates[0].key)
                continue
        if len(candidates) > 1:
            problems.append(
                Problem(
                    ProblemKind.AMBIGUOUS,
                    line.id,
                    None,
                    f"{format_pence(-line.amount)} on {line.on:%-d %b %Y} fits"
                    f" {len(candidates)} payments:"
                    f" {', '.join(e.label for e in candidates[:5])}",
                )
            )
        else:
            problems.append(
                Problem(
                    ProblemKind.UNEXPECTED,
                    line.id,
                    None,
                    f"{format_pence(abs(line.amount))} {'out' if line.amount < 0 else 'in'} on"
                    f" {line.on:%-d %b %Y} that no payment explains: {line.reference}"
                    f" {line.description}".strip(),
                )
            )
        used_lines.add(line.id)
    if statement_to is not None:
        for e in expected:
            if e.key not in used_expected and e.latest < statement_to:
                problems.append(
                    Problem(
                        ProblemKind.MISSING,
                        None,
                        e.key,
                        f"{e.label} ({format_pence(-e.amount)}) is not on the bank by"
                        f" {e.latest:%-d %b %Y}",
                    )
                )
    return proposals, problems


# ---------------------------------------------------------------------------- aggregates


def import_id(account: str, digest: str) -> UUID:
    return uuid5(NAMESPACE, f"import:{account}:{digest}")


class BankImport(Aggregate):
    """One statement file, its lines kept as the bank gave them."""

    @event("Imported")
    def __init__(
        self,
        account: str,
        kind: str,
        filename: str,
        digest: str,
        lines: list[dict[str, object]],
        actor: str,
    ) -> None:
        self.account = account
        self.kind = kind
        self.filename = filename
        self.digest = digest
        self.lines = lines
        self.imported_by = actor

    @staticmethod
    def create_id(account: str, digest: str) -> UUID:  # type: ignore[override]
        return import_id(account, digest)


def claim_id(item: str) -> UUID:
    """A line or a payment, taken by one match or resolution only."""
    return uuid5(NAMESPACE, f"claim:{item}")


class ReconClaim(Aggregate):
    """Saved with a match (or a resolution) in one transaction: a line or a payment in two is
    refused by the event store itself, however many people confirm at once."""

    @event("Claimed")
    def __init__(self, item: str, by: UUID) -> None:
        self.item = item
        self.by = by

    @staticmethod
    def create_id(item: str) -> UUID:  # type: ignore[override]
        return claim_id(item)


def match_id(lines: tuple[str, ...], expected: tuple[str, ...]) -> UUID:
    return uuid5(NAMESPACE, f"match:{','.join(sorted(lines))}|{','.join(sorted(expected))}")


class Match(Aggregate):
    """Lines and payments matched, with the rule (versioned) and its evidence, and who
    confirmed it (the rule itself, for an automatic match)."""

    @event("Matched")
    def __init__(
        self,
        account: str,
        lines: tuple[str, ...],
        expected: tuple[str, ...],
        rule: str,
        evidence: str,
        by: str,
        reason: str,
        on: date,
    ) -> None:
        self.account = account
        self.lines = lines
        self.expected = expected
        self.rule = rule
        self.evidence = evidence
        self.by = by
        self.reason = reason
        self.on = on  # the bank's date: which period it falls in

    @staticmethod
    def create_id(lines: tuple[str, ...], expected: tuple[str, ...]) -> UUID:  # type: ignore[override]
        return match_id(lines, expected)


class ResolutionKind(StrEnum):
    WRITE_OFF = "write_off"  # a bank charge, or another amount the council bears
    RECOVER = "recover"  # paid twice: owed back by the payee
    RETURNED = "returned"  # money back in: the payment is owed again
    DIFFERENCE = "difference"  # a payment's line a little off: the difference written off


class Resolution(Aggregate):
    """A line put right by a correcting ledger entry: proposed by one finance officer, posted
    once a second approves."""

    @event("Proposed")
    def __init__(
        self,
        account: str,
        line: str,
        kind: str,
        amount: int,
        on: date,
        reason: str,
        by: str,
        payable: str = "",  # a returned payment's payable: owed again
        payment: str = "",  # a difference's payment, which the line settles with it
    ) -> None:
        self.payable = payable
        self.payment = payment
        self.account = account
        self.line = line
        self.kind = ResolutionKind(kind)
        self.amount = amount
        self.on = on
        self.reason = reason
        self.proposed_by = by
        self.approved_by = ""
        self.entry: UUID | None = None

    @staticmethod
    def create_id(line: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE, f"resolution:{line}")

    def approve(self, *, by: str) -> None:
        if self.approved_by:
            raise ReconciliationError("this correction is approved already", field="status")
        if by == self.proposed_by:
            raise ReconciliationError(
                "a correction is approved by a second finance officer, not the one who proposed it",
                field="approver",
            )
        self._approved(by)

    @event("Approved")
    def _approved(self, by: str) -> None:
        self.approved_by = by

    def record_entry(self, entry: UUID) -> None:
        self._posted(entry)

    @event("Posted")
    def _posted(self, entry: UUID) -> None:
        self.entry = entry


def period_of(day: date) -> str:
    return f"{day:%Y-%m}"


def period_id(account: str, month: str) -> UUID:
    return uuid5(NAMESPACE, f"period:{account}:{month}")


class Period(Aggregate):
    """One account's month: closed at zero difference, then frozen."""

    @event("Closed")
    def __init__(self, account: str, month: str, by: str, report: dict[str, int]) -> None:
        self.account = account
        self.month = month
        self.closed_by = by
        self.report = report

    @staticmethod
    def create_id(account: str, month: str) -> UUID:  # type: ignore[override]
        return period_id(account, month)


def check_reason(reason: object) -> str:
    return clean_text(reason, field="reason", limit=1000, error=ReconciliationError)


def mapping_id(bank: str) -> UUID:
    return uuid5(NAMESPACE, f"csv-mapping:{bank.strip().casefold()}")


class SavedMapping(Aggregate):
    """One bank's CSV columns, saved once so each month's file is read the same way; changed
    (never silently) when the bank changes its export."""

    @event("Saved")
    def __init__(self, bank: str, columns: dict[str, str], by: str) -> None:
        self.bank = bank
        self.columns = columns
        self.by = by

    @staticmethod
    def create_id(bank: str) -> UUID:  # type: ignore[override]
        return mapping_id(bank)

    def change(self, columns: dict[str, str], by: str) -> None:
        if columns != self.columns:
            self._changed(columns, by)

    @event("Changed")
    def _changed(self, columns: dict[str, str], by: str) -> None:
        self.columns = columns
        self.by = by


def check_bank(bank: object) -> str:
    return clean_text(bank, field="bank", limit=80, error=ReconciliationError)
