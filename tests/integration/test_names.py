"""People named as people read them (identity/names.py): name and roles, not account names."""

from __future__ import annotations

from typing import Any

import pytest

from config.roles import Role
from identity.names import display_name, display_names

pytestmark = pytest.mark.django_db


def test_people_are_shown_by_their_names_and_roles(make_user: Any) -> None:
    asha = make_user("akhan", Role.SOCIAL_WORKER.value)
    asha.first_name, asha.last_name = "Asha", "Khan"
    asha.save()
    ben = make_user("bode", Role.TEAM_MANAGER.value, Role.PANEL_MEMBER.value)
    ben.first_name, ben.last_name = "Ben", "Ode"
    ben.save()
    make_user("nameless", Role.FINANCE_OFFICER.value)
    assert display_name("akhan") == "Asha Khan, social worker"
    assert display_name("bode") == "Ben Ode, panel member and team manager"
    assert display_name("nameless") == "nameless, finance officer"  # gave no name
    assert display_name("gone") == "gone" and display_name("") == ""
    assert display_name("system") == "careledger (a scheduled job)"
    assert display_names(["akhan", "bode"]) == (
        "Asha Khan, social worker, and Ben Ode, panel member and team manager"
    )
    assert display_names(["stripe"]) == "Stripe"
