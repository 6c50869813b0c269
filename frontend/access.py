"""Every page declares who may use it: anyone signed in with one of the named roles.

That is a first, coarse gate. The context's own policy has the last word: a command or query
that refuses the actor (``config.errors.NotAllowed``, such as budgets' ``NotPermittedError``)
shows the forbidden page with the policy's reason, as the API answers 403 with it; a thing the
policy does not let the actor see (``config.errors.NotVisible``) is the 404 page, as for a thing
that does not exist, as the API answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from config.actor import Actor
from config.errors import NotAllowed, NotVisible
from config.roles import Role, has_any_role
from identity.actors import actor_from_user


def forbidden(request: HttpRequest, *, needed: str = "", reason: str = "") -> HttpResponse:
    """The forbidden page: the roles a page is for, or why the context refused the actor."""
    context = {"needed": needed, "reason": reason}
    return render(request, "frontend/forbidden.html", context, status=403)


def roles_required(
    *roles: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_any_role(request.user, roles):
                return forbidden(request, needed=" or ".join(r.value for r in roles))
            return showing_refusals(request, view, *args, **kwargs)

        wrapped.roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorate


def showing_refusals(
    request: HttpRequest, view: Callable[..., HttpResponse], *args: Any, **kwargs: Any
) -> HttpResponse:
    """Run the view; a refusal of the actor by the context is the forbidden page, with its
    reason, and a thing the actor may not see is the 404 page."""
    try:
        return view(request, *args, **kwargs)
    except NotAllowed as refused:  # the context's policy refused this actor
        return forbidden(request, reason=refused.message)
    except NotVisible as unseen:  # someone else's, told as if it did not exist
        raise Http404(unseen.message) from None


def allowed_by(
    policy: Callable[[Actor], object],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page the context's named ``policy`` lets the signed-in actor use: the same check the
    page's command runs, asked first, so a refused actor sees the forbidden page with the
    policy's words, as the API's route (``api.auth.allowed_by``) answers 403 with them."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def first_the_policy(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            policy(actor_from_user(request.user))
            return view(request, *args, **kwargs)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            return showing_refusals(request, first_the_policy, *args, **kwargs)

        wrapped.policy = policy  # type: ignore[attr-defined]
        wrapped.roles = tuple(Role)  # type: ignore[attr-defined]  # anyone signed in: the policy decides
        return wrapped

    return decorate


def signed_in(request: HttpRequest) -> Any:
    """The user of a view that roles_required has already let in."""
    assert request.user.is_authenticated
    return request.user
