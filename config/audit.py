"""Recording staff reads of personal data (DESIGN.md: every read by staff is logged)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    record_reads(user, {s: [] for s in subjects}, what)


def record_reads(user: Any, shown: Mapping[str, Iterable[str]], what: str) -> None:
    """Log that ``user`` read the personal data of each subject (council reference) at
    ``what`` (a page or route), naming what of theirs was shown (their budget's accounts)."""
    from api.models import PersonalDataRead

    roles = roles_of(user) & STAFF
    if not roles:
        return  # people reading their own data, and providers their own engagements
    rows = []
    for subject in sorted(s for s in shown if s):
        items = sorted(set(shown[subject]))
        where = f"{what} ({', '.join(items)})" if items else what
        rows.append(
            PersonalDataRead(
                user=user, roles=", ".join(sorted(roles)), subject=subject, what=where[:200]
            )
        )
    PersonalDataRead.objects.bulk_create(rows)
