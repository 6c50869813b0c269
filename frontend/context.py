from typing import Any

from django.http import HttpRequest

from config.roles import LEDGER_READERS, has_any_role, roles_of


def service(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "user_roles": sorted(roles_of(user)),
        "can_read_ledger": has_any_role(user, LEDGER_READERS),
    }
