"""Reading whole numbers and dates typed into pages: ASCII digits 0-9 only."""

from __future__ import annotations

from datetime import date

import pytest

from config.validation import ascii_digits
from frontend.forms import date_field, whole_number


@pytest.mark.parametrize("text", ["0", "7", "123", "0012"])
def test_ascii_digits_are_whole_numbers(text: str) -> None:
    assert ascii_digits(text)
    assert whole_number({"n": text}, "n") == int(text)


@pytest.mark.parametrize(
    "text", ["١٢٣", "１２３.００", "１２３", "१२३", "1٢3", "", " ", "+5", "-5", "1_0", "12.0", "²"]
)
def test_other_digits_are_kept_as_typed_for_the_domain_to_refuse(text: str) -> None:
    """int() reads "١٢٣" (Arabic-Indic) and "１２３" (fullwidth) as 123, and "1_0" as 10."""
    assert not ascii_digits(text)
    assert whole_number({"n": text}, "n") == text.strip()


def test_a_whole_number_too_long_to_read_is_kept_as_typed() -> None:
    assert whole_number({"n": "123456"}, "n") == "123456"
    assert whole_number({"n": "12"}, "n", digits=2) == 12


def test_a_date_is_read_from_ascii_digits() -> None:
    assert date_field({"d-day": "4", "d-month": "05", "d-year": "1961"}, "d") == (
        date(1961, 5, 4),
        None,
    )


@pytest.mark.parametrize(
    ("day", "month", "year"),
    [
        ("٤", "5", "1961"),
        ("4", "５", "1961"),
        ("4", "5", "١٩٦١"),
        ("+4", "5", "1961"),
        ("4", "5", "1_961"),
        ("4", "5", "9" * 5000),
        ("9" * 30, "5", "1961"),
    ],
)
def test_a_date_in_other_digits_is_not_a_date(day: str, month: str, year: str) -> None:
    found, error = date_field({"d-day": day, "d-month": month, "d-year": year}, "d")
    assert found is None
    assert error == "must be a real date, for example 27 3 2027"


@pytest.mark.parametrize(
    ("label", "message", "shown"),
    [
        (
            "NHS number",
            "must be 10 digits, like 943 476 5919",
            "NHS number must be 10 digits, like 943 476 5919",
        ),
        ("Reason", "is required", "Enter the reason"),
        ("NHS number", "is required", "Enter the NHS number"),
        (
            "Has capacity",
            "say whether the person can make this decision",
            "Say whether the person can make this decision",
        ),
        (
            "Email",
            "Enter an email address like name@example.com",
            "Enter an email address like name@example.com",
        ),
    ],
)
def test_errors_are_sentences_for_their_field(label: str, message: str, shown: str) -> None:
    from frontend.forms import sentence

    assert sentence(label, message) == shown
