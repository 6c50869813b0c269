"""The roles of DESIGN.md, held as Django groups. Pages and API routes name which may use them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PERSON = "person"
    PROVIDER_STAFF = "provider staff"
    SOCIAL_WORKER = "social worker"
    TEAM_MANAGER = "team manager"
    PANEL_MEMBER = "panel member"
    FINANCE_OFFICER = "finance officer"
    AUDITOR = "auditor"
    REGISTER_ADMIN = "register administrator"


def roles_of(user: object) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_careledger_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        user._careledger_roles = cached  # type: ignore[attr-defined]
    return cached


def has_any_role(user: object, roles: tuple[Role, ...]) -> bool:
    return bool(roles_of(user) & {r.value for r in roles})
