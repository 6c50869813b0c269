"""The Bacs Standard 18 writer and its parser (payments/bacs.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.bacs import BacsError, BacsFile, Credit, Originator, bacs_day, parse, write

COUNCIL = Originator(
    sun="123456", name="Doncaster Council", sort_code="401234", account_number="12345678"
)


def credit(n: int, amount: int = 104000) -> Credit:
    return Credit(
        sort_code=f"{200000 + n:06d}",
        account_number=f"{30000000 + n:08d}",
        name=f"Ann O'Brien-Smith {n}",
        amount=amount,
        reference=f"DP DN-{n:06d} P01",
    )


def test_a_file_reads_back_as_written_with_its_totals() -> None:
    file = BacsFile(COUNCIL, 42, date(2026, 3, 30), date(2026, 4, 1), (credit(1), credit(2, 45000)))
    text = write(file)
    lines = text.split("\r\n")[:-1]
    assert [line[:4] for line in lines[:4]] == ["VOL1", "HDR1", "HDR2", "UHL1"]
    assert [len(line) for line in lines] == [80] * 4 + [106] * 3 + [80] * 3
    assert lines[3][4:10] == bacs_day(date(2026, 4, 1)) == " 26091"
    assert lines[4][15:17] == "99" and lines[6][15:17] == "17"
    # The Bacs character set: upper case, and the apostrophe becomes a space.
    assert lines[4][82:100] == "ANN O BRIEN-SMITH "
    parsed = parse(text)
    assert (parsed.sun, parsed.serial, parsed.processing_day) == ("123456", 42, date(2026, 4, 1))
    assert [c.amount for c in parsed.credits] == [104000, 45000]
    assert parsed.total == parsed.contra == parsed.trailer_credits == 149000
    assert (parsed.originator_sort_code, parsed.originator_account) == ("401234", "12345678")
    assert parsed.credits[0].reference == "DP DN-000001 P01"


def test_a_file_whose_totals_were_changed_is_refused() -> None:
    text = write(BacsFile(COUNCIL, 1, date(2026, 3, 30), date(2026, 4, 1), (credit(1),)))
    lines = text.split("\r\n")
    lines[4] = lines[4][:35] + f"{104001:011d}" + lines[4][46:]
    with pytest.raises(BacsError, match="totals disagree"):
        parse("\r\n".join(lines))


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Credit("12345", "12345678", "A", 1, "REF123"), "sort_code"),
        (lambda: Credit("123456", "1234567x", "A", 1, "REF123"), "account_number"),
        (lambda: Credit("123456", "12345678", "A", 0, "REF123"), "amount"),
        (lambda: Credit("123456", "12345678", "A", 1, "REF"), "reference"),
        (lambda: Originator("12345", "Council", "123456", "12345678"), "sun"),
    ],
)
def test_bad_details_are_refused_by_name(make: object, field: str) -> None:
    with pytest.raises(BacsError) as refused:
        make()  # type: ignore[operator]
    assert refused.value.field == field


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(1, 99_999_999), min_size=1, max_size=30),
    st.dates(date(2026, 1, 1), date(2028, 12, 31)),
)
def test_any_run_round_trips(amounts: list[int], day: date) -> None:
    credits = tuple(credit(i, a) for i, a in enumerate(amounts))
    parsed = parse(write(BacsFile(COUNCIL, 7, day, day, credits)))
    assert [c.amount for c in parsed.credits] == amounts
    assert parsed.processing_day == day
    assert parsed.trailer_credit_count == len(amounts)
