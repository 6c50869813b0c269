"""Where each role lands after signing in: the page of its first task, not the home page."""

from __future__ import annotations

from django.urls import reverse

from config.roles import Role, roles_of

# In this order, for someone with several roles.
START = [
    (Role.PERSON, "my-budget", ""),
    (Role.PROVIDER_STAFF, "provider-area", ""),
    (Role.SOCIAL_WORKER, "caseload", "?queue=mine"),
    (Role.TEAM_MANAGER, "caseload", "?queue=sign-off"),
    (Role.PANEL_MEMBER, "caseload", "?queue=panel"),
    (Role.FINANCE_OFFICER, "payment-runs", ""),
    (Role.AUDITOR, "audit", ""),
    (Role.REGISTER_ADMIN, "register-admin", ""),
]


def start_page(user: object) -> str:
    roles = roles_of(user)
    for role, name, query in START:
        if role.value in roles:
            return reverse(name) + query
    return reverse("home")
