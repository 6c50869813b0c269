"""The one NinjaAPI, versioned under /api/v1/, with a router per context."""

from ninja import NinjaAPI

from api import (
    audit,
    budgets,
    ledger,
    marketplace,
    notifications,
    payments,
    problems,
    register,
    tokens,
    transparency,
)
from api.auth import session_or_token

api = NinjaAPI(
    title="careledger API",
    version="1",
    urls_namespace="api-v1",
    description="Personal budgets: the ledger, register, marketplace, budgets and payments. "
    "Errors are problem details (RFC 9457) naming the field at fault.",
    auth=session_or_token(),
    docs_url="/docs",
)
problems.install(api)
api.add_router("/ledger", ledger.router)
api.add_router("/register", register.router)
api.add_router("/marketplace", marketplace.router)
api.add_router("/payments", payments.router)
api.add_router("/audit", audit.router)
api.add_router("/budgets", budgets.router)
api.add_router("/transparency", transparency.router)
api.add_router("/tokens", tokens.router)
api.add_router("/notifications", notifications.router)
