import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.money import MAX_PENCE, MoneyError, check_pence, format_pence, parse_pounds


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("£1,234.50", 123450),
        ("1234.50", 123450),
        ("450", 45000),
        ("£0.01", 1),
        (" £200.00 ", 20000),
    ],
)
def test_parses_pounds_and_pence(text: str, pence: int) -> None:
    assert parse_pounds(text) == pence


@pytest.mark.parametrize(
    "text",
    [
        "12.345",
        "£-5",
        "-5.00",
        "1e3",
        "NaN",
        "inf",
        "",
        "£",
        "1,23.00",
        "12.3",
        "£1 000",
        "0x10",
        "+5",
    ],
)
def test_refuses_what_is_not_money(text: str) -> None:
    with pytest.raises(MoneyError, match="is not an amount of money"):
        parse_pounds(text)


@pytest.mark.parametrize("text", ["١٢٣", "１２３.００", "£١٢٣.٤٥", "1٢3", "12.٣٤", "१२३", "1,２34"])
def test_only_the_digits_0_to_9_are_money(text: str) -> None:
    """int() and \\d read Arabic-Indic, fullwidth or Devanagari digits as 123: refused, since
    nobody reading the statement back would see the amount that was keyed."""
    with pytest.raises(MoneyError, match="is not an amount of money"):
        parse_pounds(text)


def test_a_number_too_long_to_read_is_beyond_the_cap_not_a_crash() -> None:
    with pytest.raises(MoneyError, match="must be at most £10,000,000.00"):
        parse_pounds("9" * 5000)


def test_refuses_zero_and_amounts_beyond_the_cap() -> None:
    with pytest.raises(MoneyError, match="more than zero"):
        parse_pounds("0.00")
    with pytest.raises(MoneyError, match=r"at most £10,000,000.00"):
        parse_pounds("10,000,000.01")
    assert check_pence(MAX_PENCE) == MAX_PENCE


@pytest.mark.parametrize("value", [1.5, True, "5", None, 0, -1])
def test_pence_must_be_positive_whole_numbers(value: object) -> None:
    with pytest.raises(MoneyError):
        check_pence(value)


def test_formats_pence() -> None:
    assert format_pence(123450) == "£1,234.50"
    assert format_pence(-5) == "-£0.05"
    assert format_pence(0) == "£0.00"


@given(st.integers(min_value=1, max_value=MAX_PENCE))
def test_format_then_parse_is_the_identity(pence: int) -> None:
    assert parse_pounds(format_pence(pence)) == pence
