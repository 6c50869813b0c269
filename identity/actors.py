"""Builds the ``Actor`` of a Django user: the one place the adapters (api/, frontend/) turn a
request into the value every context command takes."""

from __future__ import annotations

from typing import Any

from config.actor import Actor
from config.roles import Role, roles_of

# Someone not signed in: reads what is open to everyone (the RAS grid, the register), and
# every policy that needs a role refuses them.
PUBLIC = Actor(id="", name="the public")


def actor_from_user(user: Any) -> Actor:
    """The actor for a signed-in user (cached on the user object for the request); ``PUBLIC``
    for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return PUBLIC
    cached = getattr(user, "_careledger_actor", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from accreditation.models import Membership
    from marketplace.models import PersonAccount

    roles = frozenset(Role(r) for r in roles_of(user) if r in Role._value2member_map_)
    membership = Membership.objects.filter(user=user).first()
    links = tuple(
        PersonAccount.objects.filter(user=user)
        .order_by("person")
        .values_list("person", "relationship")
    )
    actor = Actor(
        id=str(user.username),
        roles=roles,
        name=(user.get_full_name() or "").strip(),
        organisation=membership.provider_id if membership else None,
        on_behalf_of=links,
    )
    user._careledger_actor = actor
    return actor
