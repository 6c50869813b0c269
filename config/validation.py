"""Checks of free text shared by every context: trimmed, bounded, no control characters."""

from __future__ import annotations

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
