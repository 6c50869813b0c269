"""Every page declares who may use it: anyone signed in with one of the named roles."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.roles import Role, has_any_role


def roles_required(
    *roles: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_any_role(request.user, roles):
                needed = " or ".join(r.value for r in roles)
                return render(request, "frontend/forbidden.html", {"needed": needed}, status=403)
            return view(request, *args, **kwargs)

        wrapped.roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorate


def signed_in(request: HttpRequest) -> Any:
    """The user of a view that roles_required has already let in."""
    assert request.user.is_authenticated
    return request.user
