"""Money as whole pence in GBP: the one place that parses and formats amounts.

Pence are plain ``int`` everywhere (never float, never Decimal); this module is
where text such as "£1,234.50" becomes pence and pence become text again.
"""

from __future__ import annotations

import re

# The largest single amount the ledger accepts: £10,000,000.00. A personal budget
# is tens of thousands a year; anything near this limit is a keying error, and the
# cap keeps sums of many legs far inside a signed 64-bit column.
MAX_PENCE = 1_000_000_000

Pence = int

# ASCII digits only: \d and int() would also read "١٢٣" or "１２３" as 123, and an amount
# nobody can read back on a statement is a keying error, not money.
_AMOUNT = re.compile(r"£?(?P<pounds>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<pence>[0-9]{2}))?")


class MoneyError(ValueError):
    """An amount that is not a valid sum of money."""


def parse_pounds(text: str) -> Pence:
    """Parse "£1,234.50", "1234.50" or "1234" (two decimals or none) into pence.

    Refuses signs, exponents, NaN, more than two decimals, misplaced commas and digits other
    than ASCII 0-9, because each is more likely a keying error than an intended amount.
    """
    if not isinstance(text, str):
        raise MoneyError("must be text such as £1,234.50")
    cleaned = text.strip()
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise MoneyError(
            f"'{text}' is not an amount of money: use pounds and pence, such as £1,234.50"
        )
    digits = match["pounds"].replace(",", "")
    if len(digits) > 15:  # far beyond the cap, and too long for int() to be asked to read
        raise MoneyError(f"must be at most {format_pence(MAX_PENCE)}")
    pounds = int(digits)
    pence = int(match["pence"] or "0")
    return check_pence(pounds * 100 + pence)


def check_pence(amount: object) -> Pence:
    """Return ``amount`` if it is a positive whole number of pence within the cap."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError("must be a whole number of pence")
    if amount <= 0:
        raise MoneyError("must be more than zero pence")
    if amount > MAX_PENCE:
        raise MoneyError(f"must be at most {format_pence(MAX_PENCE)}")
    return amount


def format_pence(amount: Pence) -> str:
    """Format pence as "£1,234.50" (negative as "-£1,234.50")."""
    sign = "-" if amount < 0 else ""
    pounds, pence = divmod(abs(amount), 100)
    return f"{sign}£{pounds:,}.{pence:02d}"
