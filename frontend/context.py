from typing import Any

from django.http import HttpRequest

from config.roles import roles_of
from identity.actors import actor_from_user
from ledger.policies import may_read


def service(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    from django.conf import settings

    return {
        # The time truly left: the session is renewed at most once a minute.
        "session_seconds": getattr(request, "session_seconds_left", settings.SESSION_COOKIE_AGE),
        "session_age": settings.SESSION_COOKIE_AGE,
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
        "feedback_email": settings.CARELEDGER_FEEDBACK_EMAIL,
        "user_roles": sorted(roles_of(user)),
        "can_read_ledger": may_read(actor_from_user(user)),
    }
