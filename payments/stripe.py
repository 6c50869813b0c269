"""The only place careledger talks to Stripe, through the official ``stripe`` SDK.

Configured from Django settings, else the environment:

- ``STRIPE_API_KEY``: secret key (``sk_live_...`` in production, any ``sk_test_...`` locally);
- ``STRIPE_API_BASE``: unset for real Stripe; ``http://127.0.0.1:8420`` for the local server
  (``python -m devtools.stripe_server``);
- ``STRIPE_WEBHOOK_SECRET``: the ``whsec_...`` secret that signs webhooks;
- ``STRIPE_TIMEOUT``: seconds to wait for Stripe to connect and to answer (default 10), so a
  Stripe that hangs fails the Celery task's call quickly and the payment is tried again later.

Settings are read on each use (so ``override_settings`` works); :func:`configure` sets the
configuration explicitly instead (tests), :func:`reset` returns to settings. Every Stripe error
becomes :class:`StripeFailure`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import stripe

if TYPE_CHECKING:
    from stripe._base_address import BaseAddresses

    from payments.treasury import PayoutSeen

CURRENCY = "gbp"
T = TypeVar("T")


class StripeFailure(Exception):
    """Stripe refused or could not be reached; ``message`` says why, in Stripe's words."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.http_status = http_status


@dataclass(frozen=True)
class StripeConfig:
    api_key: str
    api_base: str | None
    webhook_secret: str | None
    timeout: float = 10.0


@dataclass(frozen=True)
class OnboardingStatus:
    details_submitted: bool
    charges_enabled: bool
    payouts_enabled: bool

    @property
    def ready(self) -> bool:
        """Onboarding is done and the provider can be paid (transfers, then payouts)."""
        return self.details_submitted and self.payouts_enabled


_config: StripeConfig | None = None
_clients: dict[StripeConfig, stripe.StripeClient] = {}


def configure(
    api_key: str,
    api_base: str | None = None,
    webhook_secret: str | None = None,
    timeout: float = 10.0,
) -> None:
    """Point this module at Stripe (``api_base=None``) or a local Stripe-compatible server."""
    global _config
    _config = StripeConfig(
        api_key=api_key,
        api_base=api_base or None,
        webhook_secret=webhook_secret or None,
        timeout=timeout,
    )


def reset() -> None:
    """Forget :func:`configure`: read settings/environment again."""
    global _config
    _config = None
    _clients.clear()


def _setting(name: str) -> str | None:
    try:
        from django.conf import settings

        if settings.configured and getattr(settings, name, None):
            return str(getattr(settings, name))
    except ImportError:  # pragma: no cover - Django is a dependency
        pass
    return os.environ.get(name) or None


def config() -> StripeConfig:
    """The explicit configuration, else the one in settings/environment now."""
    if _config is not None:
        return _config
    api_key = _setting("STRIPE_API_KEY")
    if not api_key:
        raise StripeFailure(
            "Stripe is not configured: set STRIPE_API_KEY "
            "(and STRIPE_API_BASE for the local server)."
        )
    return StripeConfig(
        api_key=api_key,
        api_base=_setting("STRIPE_API_BASE"),
        webhook_secret=_setting("STRIPE_WEBHOOK_SECRET"),
        timeout=float(_setting("STRIPE_TIMEOUT") or 10),
    )


def client() -> stripe.StripeClient:
    """The configured ``stripe.StripeClient`` (for reads the wrappers below don't cover)."""
    cfg = config()
    found = _clients.get(cfg)
    if found is None:
        base: BaseAddresses = {}
        if cfg.api_base:
            base = {"api": cfg.api_base, "connect": cfg.api_base, "files": cfg.api_base}
        # Retries (network errors, 409s, 5xx) resend the same Idempotency-Key.
        found = _clients[cfg] = stripe.StripeClient(
            cfg.api_key,
            base_addresses=base,
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=cfg.timeout),
        )
    return found


def _call(action: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except stripe.StripeError as e:
        error = e.error
        code = getattr(error, "code", None) or e.code
        param = getattr(error, "param", None)
        detail = e.user_message or str(e) or type(e).__name__
        where = "".join(f" ({k}={v})" for k, v in (("code", code), ("param", param)) if v)
        raise StripeFailure(
            f"Stripe could not {action}: {detail}{where}",
            code=code,
            param=param,
            http_status=e.http_status,
        ) from e


# ---------------------------------------------------------------------------- accounts


def create_connected_account(*, provider_id: str, email: str, name: str) -> str:
    """A GB Express account for a provider; retrying with the same provider_id is safe."""
    account = _call(
        "create the connected account",
        lambda: client().v1.accounts.create(
            params={
                "type": "express",
                "country": "GB",
                "email": email,
                "default_currency": CURRENCY,
                "business_profile": {"name": name},
                "capabilities": {
                    "card_payments": {"requested": True},
                    "transfers": {"requested": True},
                },
                "metadata": {"provider_id": provider_id},
            },
            options={"idempotency_key": f"careledger-account-{provider_id}"},
        ),
    )
    return account.id


def onboarding_link(account_id: str, return_url: str, refresh_url: str) -> str:
    """A single-use URL where the provider completes Stripe's onboarding."""
    link = _call(
        "create the onboarding link",
        lambda: client().v1.account_links.create(
            params={
                "account": account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            },
        ),
    )
    return link.url


def onboarding_status(account_id: str) -> OnboardingStatus:
    account = _call("read the connected account", lambda: client().v1.accounts.retrieve(account_id))
    return OnboardingStatus(
        details_submitted=bool(account.details_submitted),
        charges_enabled=bool(account.charges_enabled),
        payouts_enabled=bool(account.payouts_enabled),
    )


# ---------------------------------------------------------------------------- money


def transfer(
    *,
    account_id: str,
    amount_pence: int,
    idempotency_key: str,
    metadata: Mapping[str, str],
    transfer_group: str | None = None,
) -> str:
    """Send ``amount_pence`` GBP from the platform balance to a connected account."""
    params: dict[str, Any] = {
        "amount": amount_pence,
        "currency": CURRENCY,
        "destination": account_id,
        "metadata": dict(metadata),
    }
    if transfer_group:
        params["transfer_group"] = transfer_group
    result = _call(
        f"transfer {amount_pence}p to {account_id}",
        lambda: client().v1.transfers.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        ),
    )
    return result.id


def find_transfer(*, transfer_group: str) -> str | None:
    """The transfer made for ``transfer_group`` before, if any (a payment's key: so a payment
    sent again after its idempotency key expired, 24 hours on, is still found, not repeated)."""
    found = _call(
        f"look for the transfer of {transfer_group}",
        lambda: client().v1.transfers.list(params={"transfer_group": transfer_group, "limit": 1}),
    )
    return found.data[0].id if found.data else None


def reverse_transfer(transfer_id: str, *, amount_pence: int, idempotency_key: str) -> str:
    """Take ``amount_pence`` of a transfer back from the connected account; the reversal id."""
    reversal = _call(
        f"reverse transfer {transfer_id}",
        lambda: client().v1.transfers.reversals.create(
            transfer_id,
            params={"amount": amount_pence},
            options={"idempotency_key": idempotency_key},
        ),
    )
    return reversal.id


def payout(
    *,
    account_id: str,
    amount_pence: int,
    idempotency_key: str,
    metadata: Mapping[str, str] | None = None,
) -> str:
    """Pay a connected account's GBP balance out to its bank account."""
    result = _call(
        f"pay out {amount_pence}p from {account_id}",
        lambda: client().v1.payouts.create(
            params={"amount": amount_pence, "currency": CURRENCY, "metadata": dict(metadata or {})},
            options={"idempotency_key": idempotency_key, "stripe_account": account_id},
        ),
    )
    return result.id


def top_up(
    *,
    amount_pence: int,
    idempotency_key: str,
    description: str,
    metadata: Mapping[str, str] | None = None,
    statement_descriptor: str = "",
) -> str:
    """Add GBP funds to the platform balance (what transfers are paid from);
    ``statement_descriptor``: what the council's bank shows for it."""
    params: dict[str, Any] = {
        "amount": amount_pence,
        "currency": CURRENCY,
        "description": description,
        "metadata": dict(metadata or {}),
    }
    if statement_descriptor:
        params["statement_descriptor"] = statement_descriptor
    result = _call(
        f"top up {amount_pence}p",
        lambda: client().v1.topups.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        ),
    )
    return result.id


def find_topup(key: str) -> str | None:
    """The platform's top-up made for careledger's ``key`` (in its metadata), among the newest
    hundred: a retry comes within days, long past Stripe's 24 hours of idempotency."""
    listed = _call("list the top-ups", lambda: client().v1.topups.list(params={"limit": 100}))
    for topup in listed.data:
        metadata = topup.metadata.to_dict() if topup.metadata else {}
        if metadata.get("careledger_key") == key:
            return str(topup.id)
    return None


# ---------------------------------------------------------------------------- webhooks


def verify_webhook(payload: bytes, signature: str) -> stripe.Event:
    """The event in a webhook body, if its ``Stripe-Signature`` header is valid."""
    secret = config().webhook_secret
    if not secret:
        raise StripeFailure("Stripe webhooks cannot be verified: STRIPE_WEBHOOK_SECRET is unset.")
    try:
        return stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as e:
        raise StripeFailure(
            f"Stripe webhook signature verification failed: {e}", code="signature_invalid"
        ) from e
    except ValueError as e:
        raise StripeFailure(
            f"Stripe webhook body is not a Stripe event: {e}", code="payload_invalid"
        ) from e


def balance_transactions(
    *, known: set[str], kind: str | None = None, page: int = 100
) -> list[dict[str, Any]]:
    """The platform's balance transactions (of ``kind``, or all: transfers, top-ups, payouts),
    newest first, page by page, up to the first already ``known``: what a reconciliation has
    not imported yet."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": page}
        if kind:
            params["type"] = kind
        if after:
            params["starting_after"] = after
        listed = _call(
            "list the balance transactions",
            lambda asked=params: client().v1.balance_transactions.list(params=asked),  # type: ignore[arg-type,misc]
        )
        for txn in listed.data:
            if txn.id in known:
                return found
            found.append(
                {
                    "id": txn.id,
                    "amount": txn.amount,
                    "created": txn.created,
                    "source": txn.source if isinstance(txn.source, str) else "",
                    "description": txn.description or "",
                    "type": txn.type,
                }
            )
        if not listed.has_more or not listed.data:
            return found
        after = listed.data[-1].id


def payout_details(payout_id: str, *, page: int = 100) -> PayoutSeen:
    """The platform's payout ``payout_id``, and its transactions through the ``payout``
    filter of the balance transactions (only Stripe's automatic payouts have them)."""
    found = _call(f"retrieve payout {payout_id}", lambda: client().v1.payouts.retrieve(payout_id))
    trace = getattr(found, "trace_id", None)
    listed: list[dict[str, Any]] = []
    if found.automatic and found.status == "paid":
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page, "payout": payout_id}
            if after:
                params["starting_after"] = after
            batch = _call(
                f"list payout {payout_id}'s transactions",
                lambda asked=params: client().v1.balance_transactions.list(params=asked),  # type: ignore[arg-type,misc]
            )
            listed += [
                {
                    "id": t.id,
                    "amount": t.amount,
                    "net": t.net,
                    "type": t.type,
                    "source": t.source if isinstance(t.source, str) else "",
                }
                for t in batch.data
            ]
            if not batch.has_more or not batch.data:
                break
            after = batch.data[-1].id
    from payments.treasury import PayoutSeen

    return PayoutSeen(
        id=found.id,
        amount=found.amount,
        status=found.status,
        automatic=bool(found.automatic),
        arrival_date=int(found.arrival_date),
        trace_id=str(trace.value or "") if trace is not None else "",
        transactions=tuple(listed),
        reconciliation_status=str(getattr(found, "reconciliation_status", "") or ""),
    )
