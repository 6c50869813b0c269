"""A local Stripe-compatible server for development and tests: localstripe plus Connect.

``python -m devtools.stripe_server --port 8420`` serves localstripe's API and, on the same
aiohttp app, the Connect objects careledger uses (see ``connect.py`` and docs/stripe.md).
Never used in production: there ``payments/stripe.py`` talks to real Stripe.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from pathlib import Path

from aiohttp import web


def build_app(
    *,
    state_file: Path | None = None,
    webhooks: Iterable[tuple[str, str]] = (),
    opening_topup: int = 0,
) -> web.Application:
    """localstripe's routes and middlewares, with the Connect routes registered first.

    ``state_file`` keeps objects across restarts (localstripe's default, a shared
    ``/tmp/localstripe.pickle``, is replaced: without a file, state lives in memory only).
    ``webhooks`` are ``(url, secret)`` pairs registered as with ``POST /_config/webhooks``.
    ``opening_topup`` (pence) funds an empty platform balance with one GBP top-up, so a demo
    can make transfers at once (no event is sent for it).
    """
    from localstripe import server as ls
    from localstripe.resources import store
    from localstripe.webhooks import register_webhook

    from . import connect

    def dump() -> None:
        if state_file is not None:
            tmp = state_file.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(dict(store), protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(state_file)

    store.dump_to_disk = dump  # type: ignore[method-assign]
    store.clear()
    if state_file is not None and state_file.exists():
        dict.update(store, pickle.loads(state_file.read_bytes()))

    if opening_topup > 0 and not any(key.startswith("topup:") for key in store):
        connect.Topup(
            amount=opening_topup,
            description="Opening balance (python -m devtools.stripe_server --opening-topup)",
            metadata={},
            statement_descriptor=None,
            transfer_group=None,
        )
        dump()

    for number, (url, secret) in enumerate(webhooks):
        register_webhook(f"cli-{number}", url, secret, None)

    app = web.Application(
        middlewares=[
            connect.fault_middleware,
            ls.error_middleware,
            ls.auth_middleware,
            connect.idempotency_middleware,
            ls.save_store_middleware,
        ]
    )
    app.on_response_prepare.append(ls.add_cors_headers)
    app.add_routes(connect.routes)
    ours = {
        (route.method, route.resource.canonical) for route in app.router.routes() if route.resource
    }
    for route in ls.app.router.routes():
        if route.resource and (route.method, route.resource.canonical) not in ours:
            app.router.add_route(route.method, route.resource.canonical, route.handler)
    return app
