"""The council's delegated-authority parameters, versioned like the RAS grid. Pure Python.

Within them a social worker and team manager sign a plan off; above the percentage the team
manager records why; above the weekly ceiling the panel decides. Each version draws its own
random seed for the panel's spot-check sample, so nobody can tell in advance which plans the
panel will see, and the same plan and version always give the same answer (reproducible for
an auditor).
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from budgets.domain import BudgetError, budgets_setting
from budgets.people import text
from budgets.plan import SignOffPolicy
from config.errors import gather
from config.versions import Versions
from ledger.money import MoneyError, check_pence

NAMESPACE = UUID("5e6f7081-92a3-4b4c-8d5e-6f708192a3b4")

# Versioned like the grid and the tariff (config/versions.py), but a version takes effect the
# moment it is published: its events carry no date of their own, so the latest is in force.
SIGN_OFF = budgets_setting("sign-off parameters", "policy")


class SignOffRules(Aggregate):
    """Every version of the parameters the council has set, the latest in force."""

    ID = uuid5(NAMESPACE, "sign-off-rules")

    @event("Created")
    def __init__(self) -> None:
        self.versions: list[dict[str, Any]] = []

    @staticmethod
    def create_id() -> UUID:  # type: ignore[override]
        return SignOffRules.ID

    def publish(
        self,
        *,
        percent_over_indicative: object,
        weekly_ceiling: object,
        spot_check_per_thousand: object,
        actor: str,
        reason: object,
        seed: str | None = None,
    ) -> int:
        checked: dict[str, Any] = gather(
            {
                "percent": partial(_whole, percent_over_indicative, 100, "percent_over_indicative"),
                "ceiling": partial(_pence, weekly_ceiling, "weekly_ceiling"),
                "rate": partial(_whole, spot_check_per_thousand, 1000, "spot_check_per_thousand"),
                "reason": partial(text, reason, "reason", 1000),
            }
        )
        self._published(
            percent_over_indicative=checked["percent"],
            weekly_ceiling=checked["ceiling"],
            spot_check_per_thousand=checked["rate"],
            seed=seed or secrets.token_hex(16),
            actor=actor,
            reason=checked["reason"],
        )
        return self.history.current_number

    @event("VersionPublished")
    def _published(
        self,
        percent_over_indicative: int,
        weekly_ceiling: int,
        spot_check_per_thousand: int,
        seed: str,
        actor: str,
        reason: str,
    ) -> None:
        self.versions.append(
            {
                "version": self.history.next_number,
                "percent_over_indicative": percent_over_indicative,
                "weekly_ceiling": weekly_ceiling,
                "spot_check_per_thousand": spot_check_per_thousand,
                "seed": seed,
                "set_by": actor,
                "reason": reason,
            }
        )

    @property
    def history(self) -> Versions[dict[str, Any]]:
        """The versions, as every versioned council setting answers about them."""
        return Versions(SIGN_OFF, self.versions)

    def in_force(self) -> tuple[SignOffPolicy, str]:
        """The parameters in force and their spot-check seed."""
        latest = self.history.latest()
        policy = SignOffPolicy(
            percent_over_indicative=latest["percent_over_indicative"],
            weekly_ceiling=latest["weekly_ceiling"],
            spot_check_per_thousand=latest["spot_check_per_thousand"],
        )
        return policy, f"v{latest['version']}:{latest['seed']}"


def _whole(value: object, high: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise BudgetError(f"must be a whole number from 0 to {high}", field=field)
    return value


def _pence(value: object, field: str) -> int:
    try:
        return check_pence(value)
    except MoneyError as exc:
        raise BudgetError(str(exc), field=field) from None
