"""Turning a refused command into the GOV.UK error summary, and reading simple form fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from config.errors import DomainError, NotAllowed, NotVisible
from config.validation import ascii_digits

# Plain words for the fields commands name, as the error summary shows them.
LABELS = {
    "reason": "Reason",
    "reasons": "Reasons",
    "rating": "Rating",
    "comment": "Comment",
    "file": "File",
    "kind": "Type of document",
    "expires_on": "Expiry date",
    "provider": "Provider",
    "service": "Service",
    "consent": "Consent",
    "capacity": "Capacity",
    "criteria": "Criteria",
    "note": "Note",
    "status": "Status",
    "nhs_number": "NHS number",
    "name": "Full name",
    "date_of_birth": "Date of birth",
    "council_ref": "Council reference",
    "contact": "Contact details",
    "decides_for_them": "Who decides for them",
    "nominee": "Nominated person",
    "advocate": "Independent advocate",
    "engagement": "Engagement",
    "weekly": "Weekly budget",
    "adjustment_reason": "Reason for the adjustment",
    "contribution_weekly": "The contribution a week",
}


# A label that starts with one of these needs no "the" after "Enter".
_OWN_ARTICLE = {
    "a",
    "an",
    "the",
    "your",
    "their",
    "his",
    "her",
    "who",
    "what",
    "why",
    "how",
    "which",
    "when",
    "where",
    "whether",
}


def sentence(label: str, message: str, *, item: bool = False) -> str:
    """A refusal as the GOV.UK error message for its field, in plain English: "Enter the
    reason", "NHS number must be 10 digits, like 943 476 5919", "Say whether the person can
    make this decision", never "Has capacity: say whether ...".

    A message already written as a sentence for its field (capitalised) stands as it is; a
    rule's fragment ("must be ...", "is not ...") follows the field's label; an instruction
    ("say whether ...", "choose ...") is the sentence itself, unless it is about one ``item``
    of several (an outcome of the assessment), which it then names first.
    """
    if not message or message[:1].isupper():
        return message
    if message == "is required":
        acronym = label[:2].isalpha() and label[:2].isupper()
        noun = label if acronym else label[:1].lower() + label[1:]  # NHS, not nHS
        first = noun.split(" ", 1)[0]
        # "Enter who decides for them", "Enter the reason", never "Enter the the needs".
        return f"Enter {noun}" if first in _OWN_ARTICLE else f"Enter the {noun}"
    if message[:1].isdigit() or message.startswith(
        ("must ", "is ", "cannot be ", "can only ", "has ", "does ", "should ")
    ):
        return f"{label} {message}"
    if item:
        return f"{label}: {message}"
    return message[:1].upper() + message[1:]


def attempt(
    command: Callable[[], Any],
    where: Callable[[str], tuple[str, str]] | None = None,
    *,
    items: bool = False,
) -> tuple[Any, dict[str, str]]:
    """Run a command; on refusal return the errors for the page, keyed by field id.

    `where` maps the command's field path (like "outcomes.hygiene") to the page's field id and
    label, for forms whose fields are nested; by default the path's first name is used.
    A refusal of the actor themselves (``NotAllowed``) is no error of the form: it goes on to
    the view's ``roles_required``, which shows the forbidden page. Nor is a thing the actor may
    not see (``NotVisible``): ``roles_required`` shows the 404 page, as for one that does not
    exist. ``items``: the labels ``where`` gives name one item of several (an outcome of the
    assessment), which each message then names first.
    """
    try:
        return command(), {}
    except (NotAllowed, NotVisible):
        raise
    except DomainError as refused:
        errors: dict[str, str] = {}
        for exc in refused.all():
            path = exc.field or "form"
            if where is not None:
                field, label = where(path)
            else:
                field = path.split("[")[0].split(".")[0]
                label = LABELS.get(field, field.replace("_", " ").capitalize())
            errors.setdefault(field, sentence(label, exc.message, item=items))
        return None, errors


def whole_number(data: Any, name: str, *, digits: int = 5) -> object:
    """A form field's whole number as an int; anything else (empty, text, digits other than
    ASCII 0-9, or too long for int() to be asked to read) as typed, for the domain to refuse
    with its own message."""
    raw = str(data.get(name, "")).strip()
    return int(raw) if ascii_digits(raw) and len(raw) <= digits else raw


def date_value(data: Any, name: str) -> dict[str, str]:
    """What was typed into a GOV.UK date input, to show it again."""
    return {k: data.get(f"{name}-{k}", "") for k in ("day", "month", "year")}


def date_field(data: Any, name: str) -> tuple[date | None, str | None]:
    """A GOV.UK date input (name-day, name-month, name-year); empty gives None."""
    parts = [data.get(f"{name}-{k}", "").strip() for k in ("day", "month", "year")]
    if not any(parts):
        return None, None
    try:
        if not all(ascii_digits(p) and len(p) <= 4 for p in parts):
            raise ValueError("not digits 0-9")  # int() would read "١٢" or "+1_2" too
        day, month, year = (int(p) for p in parts)
        return date(year, month, day), None
    except (ValueError, OverflowError):  # not a number, no such day, or far too large
        return None, "must be a real date, for example 27 3 2027"


def pounds_or_refuse(
    text: str, *, field: str, error: type[DomainError], empty: int | None = None
) -> int:
    """Pounds typed in a form, in pence; ``empty`` for nothing typed (if given); else the
    context's own error on ``field``, in the money parser's words."""
    from ledger.money import MoneyError, parse_pounds

    if empty is not None and not text.strip():
        return empty
    try:
        return parse_pounds(text)
    except MoneyError as exc:
        raise error(str(exc), field=field) from None
