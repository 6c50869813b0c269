"""Template filters the form pages share (loaded as a builtin, see config/settings.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import template

from ledger.money import format_pence

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, object] | None, key: str) -> object:
    """A value by a key that is itself a variable, such as the error for a field in a loop."""
    return (mapping or {}).get(key, "")


@register.filter
def pence(amount: int | None) -> str:
    """Whole pence as "£1,234.50", the one way money is shown."""
    return "" if amount is None else format_pence(amount)


@register.filter
def person(username: object) -> str:
    """An actor's account name as their name and roles: "Asha Khan, social worker"."""
    from identity.names import display_name

    return display_name(username)


@register.filter
def people(usernames: Iterable[object]) -> str:
    """Several, joined as in a sentence: "Asha Khan, social worker, and Ben Ode, team manager"."""
    from identity.names import display_names

    return display_names(list(usernames))
