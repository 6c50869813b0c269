"""People named as people read them: "Asha Khan, social worker", not "akhan". The contexts
record who acted by their account name; the pages ask here how to show it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

# Who acts but is no person.
NOT_PEOPLE = {
    "system": "careledger (a scheduled job)",
    "rule": "the matching rules",
    "stripe": "Stripe",
}


def display_name(username: object) -> str:
    """The person's name and roles, as on a letter; their account name if they gave none."""
    name = str(username or "")
    if name in NOT_PEOPLE:
        return NOT_PEOPLE[name]
    user = (
        get_user_model().objects.filter(username=name).prefetch_related("groups").first()
        if name
        else None
    )
    if user is None:
        return name
    full = user.get_full_name().strip() or name
    roles = sorted(g.name for g in user.groups.all())
    return f"{full}, {' and '.join(roles)}" if roles else full


def display_names(usernames: Iterable[object]) -> str:
    """ "Asha Khan, social worker, and Ben Ode, team manager"."""
    names = [display_name(u) for u in usernames]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + (", and " if "," in "".join(names) else " and ") + names[-1]
