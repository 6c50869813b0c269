"""Bank statements read exactly (payments/bank_statements.py) and the matching rules
(payments/reconciliation.py): MT940 and camt.053 samples parsed to pence, a bank's CSV through
its mapping, and each rule: matched at once, suggested, duplicate, ambiguous, returned,
unexpected and missing, never an ambiguous one matched automatically."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from payments.bank_statements import BankLine, CsvMapping, StatementError, parse
from payments.reconciliation import Expected, Line, ProblemKind, propose

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_an_mt940_statement_is_read_to_the_penny() -> None:
    lines = parse("mt940", (FIXTURES / "statement.mt940").read_bytes())
    assert [(x.on, x.amount, x.reference) for x in lines] == [
        (date(2026, 12, 7), -104000, "DP DN-1 P01"),
        (date(2026, 12, 7), -104000, "DP DN-1 P01"),
        (date(2026, 12, 9), 104000, "DP DN-2 P01"),
        (date(2026, 12, 10), -5520, "UNKNOWN"),
    ]
    assert "RETURNED" in lines[2].description


def test_a_camt053_statement_is_read_to_the_penny() -> None:
    [line] = parse("camt053", (FIXTURES / "statement.camt053.xml").read_bytes())
    assert line == BankLine(
        date(2026, 12, 7), -104000, "DP DN-1 P01", "DP DN-1 P01 SAM", "BANKREF-1"
    )


def test_a_csv_is_read_through_its_banks_mapping_and_bad_files_are_refused() -> None:
    mapping = CsvMapping(date="Date", reference="Ref", debit="Out", credit="In")
    data = b"Date,Ref,Out,In\n07/12/2026,DP DN-1 P01,1040.00,\n09/12/2026,RET,,0.10\n"
    assert [(x.amount, x.reference) for x in parse("csv", data, mapping)] == [
        (-104000, "DP DN-1 P01"),
        (10, "RET"),
    ]
    with pytest.raises(StatementError, match="fractions of a penny"):
        parse("csv", b"Date,Ref,Out,In\n07/12/2026,X,1.001,\n", mapping)
    with pytest.raises(StatementError, match="no column"):
        parse("csv", b"When,Ref,Out,In\n", mapping)
    with pytest.raises(StatementError):
        parse("mt940", b"not a statement")
    with pytest.raises(StatementError):
        parse("pdf", b"")


def expected(key: str, amount: int, ref: str) -> Expected:
    return Expected(key, amount, ref, date(2026, 12, 1), date(2026, 12, 10), key)


def line(n: int, amount: int, ref: str, on: date = date(2026, 12, 7)) -> Line:
    return Line(f"L{n}", on, amount, ref, "")


def test_each_rule_and_never_an_ambiguous_match() -> None:
    payments = [
        expected("A", -1000, "DP A P01"),
        expected("B", -2000, "DP B P01"),
        expected("C", -3000, "DP C P01"),
        expected("D", -4000, "DP D P01"),
        expected("E", -4000, "DP E P01"),
        expected("F", -9000, "DP F P01"),
    ]
    statement = [
        line(1, -1000, "DP A P01"),  # matched at once
        line(2, -2000, "SOMETHING"),  # the one payment of £20.00: a suggestion
        line(3, -3000, "DP C P01"),
        line(4, -3000, "DP C P01"),  # two lines for C: a duplicate, neither matched
        line(5, -4000, "NO REF"),  # £40.00 fits D and E: ambiguous
        line(6, -55, "CHARGES"),  # nobody expected it
    ]
    proposals, problems = propose(statement, payments, statement_to=date(2026, 12, 31))
    auto = [(p.lines, p.expected) for p in proposals if p.automatic]
    suggested = [(p.lines, p.expected) for p in proposals if not p.automatic]
    assert auto == [(("L1",), ("A",))]
    assert suggested == [(("L2",), ("B",))]
    found = sorted((p.kind, p.line, p.expected) for p in problems)
    assert found == sorted(
        [
            (ProblemKind.DUPLICATE, "L3", "C"),
            (ProblemKind.DUPLICATE, "L4", "C"),
            (ProblemKind.AMBIGUOUS, "L5", None),
            (ProblemKind.UNEXPECTED, "L6", None),
            (ProblemKind.MISSING, None, "D"),
            (ProblemKind.MISSING, None, "E"),
            (ProblemKind.MISSING, None, "F"),
        ]
    )
    # Money back in for a payment matched before: returned.
    _, later = propose([line(7, 1000, "DP A P01")], [], returns_of=payments)
    assert [(p.kind, p.expected) for p in later] == [(ProblemKind.RETURNED, "A")]


def test_one_line_for_a_whole_file_is_matched_when_named_and_suggested_when_not() -> None:
    def in_file(key: str, amount: int, batch: str, serial: str) -> Expected:
        return Expected(
            key, amount, f"DP {key}", date(2026, 12, 1), date(2026, 12, 10), key, batch, serial
        )

    payments = [
        in_file("A", -1000, "f1", "260011"),
        in_file("B", -2000, "f1", "260011"),
        in_file("C", -500, "f2", "260021"),
        in_file("D", -700, "f2", "260021"),
    ]
    proposals, problems = propose(
        [line(1, -3000, "BACS 260011"), line(2, -1200, "BACS SUBMISSION")], payments
    )
    assert problems == []
    assert [(p.expected, p.automatic) for p in proposals] == [
        (("A", "B"), True),  # the file's serial on the line: matched at once
        (("C", "D"), False),  # only its total: suggested
    ]


def test_a_payment_the_bank_paid_in_parts_is_suggested_as_one_match() -> None:
    payments = [expected("A", -1000, "DP A P01")]
    proposals, problems = propose([line(1, -600, "DP A P01"), line(2, -400, "DP A P01")], payments)
    assert problems == []
    assert [(p.rule, p.lines, p.expected, p.automatic) for p in proposals] == [
        ("split-v1", ("L1", "L2"), ("A",), False)
    ]


def test_an_amount_a_few_pence_off_is_a_difference_within_the_councils_tolerance() -> None:
    from payments.reconciliation import ReconciliationError, Tolerance

    payments = [expected("A", -104000, "DP A"), expected("B", -50000, "DP B")]
    lines = [line(1, -104035, "DP A"), line(2, -49000, "DP B")]  # 35p over; £10 under
    proposals, problems = propose(lines, payments, tolerance=Tolerance(days=3, pence=100))
    assert proposals == []  # a match never hides a difference
    kinds = {(p.kind, p.line, p.expected) for p in problems}
    assert (ProblemKind.DIFFERENCE, "L1", "A") in kinds
    [near] = [p for p in problems if p.kind is ProblemKind.DIFFERENCE]
    assert "£0.35 more" in near.why and "amount-tolerance-v1" in near.why
    # £10 off is beyond £1: not offered against B.
    assert not any(p.kind is ProblemKind.DIFFERENCE and p.expected == "B" for p in problems)
    _, wider = propose(lines, payments, tolerance=Tolerance(days=3, pence=1000))
    assert sum(p.kind is ProblemKind.DIFFERENCE for p in wider) == 2
    # Days: a suggestion by amount alone may be a day or two late, no further than the council says.
    late = [line(3, -104000, "", on=date(2026, 12, 12))]
    assert propose(late, payments[:1], tolerance=Tolerance(days=3))[0]
    assert not propose(late, payments[:1], tolerance=Tolerance(days=1))[0]
    with pytest.raises(ReconciliationError):
        Tolerance.create(-1, 100)


def test_payments_alike_by_reference_or_without_one_are_never_matched_at_once() -> None:
    payments = [expected("A", -1000, "SAME"), expected("B", -1000, "SAME"), expected("P", 5000, "")]
    lines = [line(1, -1000, "SAME"), line(2, 5000, "")]
    proposals, problems = propose(lines, payments)
    assert not any(p.automatic for p in proposals)  # which of A and B? and P by no reference
    assert (ProblemKind.AMBIGUOUS, "L1") in {(p.kind, p.line) for p in problems}


def test_a_difference_is_written_off_only_within_the_tolerance_and_for_its_payment() -> None:
    from types import SimpleNamespace

    from payments.reconcile import Reconciler
    from payments.reconciliation import ReconciliationError, Tolerance

    class Imports(Reconciler):
        def lines(self) -> list[Line]:
            return [line(1, -105000, "DP A"), line(2, 1000, "DP A")]

    rec = Imports(SimpleNamespace(), tolerance=Tolerance(pence=100))
    actor = SimpleNamespace(id="f", has=lambda *roles: True)
    payments = [expected("A", -104000, "DP A")]
    for n, why in [(1, "beyond the"), (2, "beyond the")]:  # £10 off; money in for money out
        with pytest.raises(ReconciliationError, match=why):
            rec.propose_correction(
                actor,  # type: ignore[arg-type]
                line=f"L{n}",
                kind="difference",
                reason="x",
                payment="A",
                payments=payments,
            )
