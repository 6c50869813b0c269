"""Checks of free text shared by every context: trimmed, bounded, no control characters;
whole numbers in ASCII digits only."""

from __future__ import annotations

import re
import unicodedata

from config.errors import DomainError

# Control, format (bidi overrides, zero-width), surrogate and private-use characters.
_FORBIDDEN = {"Cc", "Cf", "Cs", "Co"}


def clean_text(
    value: object,
    *,
    field: str,
    limit: int,
    required: bool = True,
    multiline: bool = False,
    error: type[DomainError] = DomainError,
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise error("must be text", field=field)
    cleaned = value.strip()
    if required and not cleaned:
        raise error("is required", field=field)
    if len(cleaned) > limit:
        raise error(f"must be at most {limit} characters", field=field)
    allowed = "\n\r\t" if multiline else ""
    if any(unicodedata.category(ch) in _FORBIDDEN and ch not in allowed for ch in cleaned):
        raise error("must not contain control characters", field=field)
    return cleaned


def ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more of the digits 0-9 and nothing else.

    ``str.isdigit``, ``str.isdecimal`` and ``int()`` also accept other scripts' digits, so
    "١٢٣" (Arabic-Indic) or "１２３" (fullwidth) would be read as 123: a figure that nobody
    reading the record back would recognise as the one keyed. Whole numbers from people are
    checked with this before ``int()`` is asked to read them.
    """
    return text.isascii() and text.isdecimal()


# A council reference: letters, digits and hyphens, with at least one digit. Safe in any
# address and in the ledger's account codes, and never a word such as "new".
_COUNCIL_REF = re.compile(r"(?=[A-Za-z-]*\d)[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def council_ref(
    value: object, *, field: str = "council_ref", error: type[DomainError] = DomainError
) -> str:
    ref = clean_text(value, field=field, limit=64, error=error)
    if not _COUNCIL_REF.fullmatch(ref):
        raise error(
            "use letters, digits and hyphens, with at least one digit, like DN-000123",
            field=field,
        )
    return ref


def is_email_address(text: str) -> bool:
    """An email address in the form RFC 5322 and the internet's rules allow (by the
    maintained ``email-validator``: the at-sign, the domain's labels, what may be quoted),
    without asking the network whether its domain takes mail."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
