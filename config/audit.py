"""Recording staff reads of personal data (DESIGN.md: every read by staff is logged)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from config.roles import Role, roles_of

# Roles whose reads of a person's data are logged: the council's staff and its auditors.
STAFF = {
    Role.SOCIAL_WORKER.value,
    Role.TEAM_MANAGER.value,
    Role.PANEL_MEMBER.value,
    Role.FINANCE_OFFICER.value,
    Role.AUDITOR.value,
    Role.REGISTER_ADMIN.value,
}


def record_read(user: Any, subjects: Iterable[str], what: str) -> None:
    """Log that ``user`` read the personal data of each subject (council reference)."""
    from api.models import PersonalDataRead

    roles = roles_of(user) & STAFF
    if not roles:
        return  # people reading their own data, and providers their own engagements
    PersonalDataRead.objects.bulk_create(
        PersonalDataRead(user=user, roles=", ".join(sorted(roles)), subject=s, what=what[:200])
        for s in sorted({s for s in subjects if s})
    )
