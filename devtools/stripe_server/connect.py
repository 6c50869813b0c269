"""Stripe Connect objects that localstripe lacks, kept in localstripe's own store.

Every class subclasses localstripe's ``StripeObject`` so objects share its store, its
``_export``/``expand`` machinery, its ``/v1/events`` list and its webhook delivery (to URLs
registered through ``POST /_config/webhooks/{id}``, signed ``t=...,v1=HMAC-SHA256``).

localstripe's ``_export`` publishes every attribute and every public member whose name does
not start with ``_``: helpers here are therefore all underscore-named, and the public
attributes of each class are exactly the fields the ``stripe`` package declares for that
resource (``stripe/_account.py``, ``_transfer.py``, ``_transfer_reversal.py``, ``_payout.py``,
``_topup.py``, ``_balance_transaction.py``, ``_event.py``).
"""

from __future__ import annotations

import contextvars
import hashlib
import time
from typing import Any

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import Event, StripeObject, random_id, store, try_convert_to_int
from localstripe.server import get_post_data, json_response, unflatten_data
from localstripe.webhooks import _webhooks, schedule_webhook

API_VERSION = "2026-10-28.endive"
try:  # keep events on the API version of the SDK installed alongside
    import stripe as _stripe_sdk

    API_VERSION = _stripe_sdk.api_version
except ImportError:  # pragma: no cover
    pass

CURRENCY = "gbp"
DAY = 24 * 60 * 60
ONBOARDING_FIELDS = [
    "business_type",
    "external_account",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]

_idempotency_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "idempotency_key", default=None
)

routes = web.RouteTableDef()


# ---------------------------------------------------------------------------- errors, params


def invalid(
    message: str, *, param: str | None = None, code: str | None = None, status: int = 400
) -> UserError:
    """A Stripe-shaped ``invalid_request_error``."""
    contents: dict[str, Any] = {"message": message}
    if param is not None:
        contents["param"] = param
    if code is not None:
        contents["code"] = code
    return UserError(status, message, contents)


def _only(params: dict[str, Any], allowed: set[str]) -> None:
    for name in params:
        if name not in allowed:
            raise invalid(f"Received unknown parameter: {name}", param=name)


def _amount(value: Any, param: str = "amount") -> int:
    amount = try_convert_to_int(value)
    if type(amount) is not int:
        raise invalid(f"Invalid integer: {value}", param=param)
    if amount <= 0:
        raise invalid(
            "This value must be greater than or equal to 1.",
            param=param,
            code="parameter_invalid_integer",
        )
    return amount


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise invalid(
            "Missing required param: currency.", param="currency", code="parameter_missing"
        )
    if value.lower() != CURRENCY:
        raise invalid(
            f"Invalid currency: {value}. This server only moves GBP (gbp).",
            param="currency",
            code="parameter_invalid_string",
        )
    return CURRENCY


def _metadata(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid object", param="metadata")
    return {str(k): str(v) for k, v in value.items()}


def _optional_str(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"Invalid string: {value}", param=name)
    return value or None


def _bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


async def _params(request: web.Request) -> tuple[dict[str, Any], list[str] | None]:
    if request.method == "GET":
        data = unflatten_data(request.query) or {}
    else:
        data = await get_post_data(request) or {}
    expand = data.pop("expand", None)
    if isinstance(expand, str):
        expand = [expand]
    return dict(data), expand


def _respond(obj: Any, expand: list[str] | None = None) -> web.Response:
    return json_response(obj._export(expand=expand))


def _connected_account(request: web.Request) -> Account | None:
    """The account named by the ``Stripe-Account`` header, or None for the platform."""
    account_id = request.headers.get("Stripe-Account")
    if not account_id:
        return None
    account = store.get("account:" + account_id)
    if account is None:
        raise invalid(
            f"No such account: '{account_id}'. The Stripe-Account header names an account "
            "that does not exist or is not connected to this platform.",
            code="account_invalid",
        )
    return account


def _get(kind: str, object_id: str, param: str = "id") -> Any:
    obj = store.get(f"{kind}:{object_id}")
    if obj is None:
        raise invalid(
            f"No such {kind}: '{object_id}'", param=param, code="resource_missing", status=404
        )
    return obj


def _list(url: str, items: list[Any], query: dict[str, Any]) -> dict[str, Any]:
    limit = try_convert_to_int(query.pop("limit", 10))
    if type(limit) is not int or not 1 <= limit <= 100:
        raise invalid("Invalid limit", param="limit")
    starting_after = query.pop("starting_after", None)
    start = 0
    if starting_after:
        ids = [item.id for item in items]
        if starting_after not in ids:
            raise invalid(f"No such object: '{starting_after}'", param="starting_after")
        start = ids.index(starting_after) + 1
    page = items[start : start + limit]
    return {
        "object": "list",
        "data": [item._export() for item in page],
        "has_more": len(items) > start + limit,
        "url": url,
    }


def _newest_first(prefix: str, keep: Any) -> list[Any]:
    found = [obj for key, obj in store.items() if key.startswith(prefix) and keep(obj)]
    found.reverse()  # dicts keep insertion order: newest last
    return sorted(found, key=lambda obj: obj.created, reverse=True)


def emit(
    event_type: str,
    obj: Any,
    *,
    account: str | None = None,
    previous_attributes: dict[str, Any] | None = None,
) -> Event:
    """Record an event (listed by ``/v1/events``) and send it, signed, to every webhook."""
    event = Event(event_type, obj)
    event.api_version = API_VERSION
    if account is not None:
        event.account = account
    if previous_attributes:
        event.data["previous_attributes"] = previous_attributes
    event.pending_webhooks = sum(
        1 for hook in _webhooks.values() if hook.events is None or event_type in hook.events
    )
    event.request = {"id": "req_" + random_id(14), "idempotency_key": _idempotency_key.get()}
    schedule_webhook(event)
    return event


# ---------------------------------------------------------------------------- objects


class ConnectBalanceTransaction(StripeObject):
    """One movement of money on the platform's balance or a connected account's."""

    object = "balance_transaction"
    _id_prefix = "txn_"

    def __init__(
        self,
        *,
        account: str | None,
        amount: int,
        type: str,
        reporting_category: str,
        source: str,
        description: str | None = None,
    ) -> None:
        super().__init__()
        del self.livemode  # not a field of stripe.BalanceTransaction
        self._account = account
        self.amount = amount
        self.available_on = self.created
        self.balance_type = "payments"
        self.currency = CURRENCY
        self.description = description
        self.exchange_rate = None
        self.fee = 0
        self.fee_details: list[Any] = []
        self.net = amount
        self.reporting_category = reporting_category
        self.source = source
        self.status = "available"
        self.type = type
        self._paid_out_by: str | None = None  # the automatic payout that swept it


def _balance(account: str | None) -> int:
    return sum(
        obj.amount
        for key, obj in store.items()
        if key.startswith("balance_transaction:")
        and isinstance(obj, ConnectBalanceTransaction)
        and obj._account == account
        and obj.status == "available"
    )


def _empty_requirements(due: list[str]) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


ACCOUNT_TYPES = ("express", "custom")


class Account(StripeObject):
    """A connected Express or Custom account in GB, paid in GBP."""

    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        *,
        type: str,
        email: str | None,
        metadata: dict[str, str],
        business_name: str | None,
        business_url: str | None,
        business_type: str | None,
        capabilities: list[str],
    ) -> None:
        super().__init__()
        del self.livemode  # not a field of stripe.Account
        self._capabilities_requested = capabilities
        self.business_profile = {
            "mcc": None,
            "name": business_name,
            "product_description": None,
            "support_address": None,
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": business_url,
        }
        self.business_type = business_type
        self.capabilities = {name: "inactive" for name in capabilities}
        self.charges_enabled = False
        express = type == "express"
        self.controller = {
            "fees": {"payer": "application"},
            "is_controller": True,
            "losses": {"payments": "application"},
            "requirement_collection": "stripe" if express else "application",
            "stripe_dashboard": {"type": "express" if express else "none"},
            "type": "application",
        }
        self.country = "GB"
        self.default_currency = CURRENCY
        self.details_submitted = False
        self.email = email
        self.external_accounts: dict[str, Any] = {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/accounts/{self.id}/external_accounts",
        }
        self.future_requirements = _empty_requirements([])
        self.metadata = metadata
        self.payouts_enabled = False
        self.requirements = _empty_requirements(ONBOARDING_FIELDS)
        self.settings = {
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 7, "interval": "daily"},
                "statement_descriptor": None,
            },
        }
        self.tos_acceptance: dict[str, Any] = {"date": None}
        self.type = type

    def _bank_account(self) -> str | None:
        data = self.external_accounts["data"]
        return data[0]["id"] if data else None

    def _complete_onboarding(self) -> None:
        now = int(time.time())
        self.business_type = self.business_type or "individual"
        self.capabilities = {name: "active" for name in self._capabilities_requested}
        self.charges_enabled = "card_payments" in self._capabilities_requested
        self.details_submitted = True
        self.payouts_enabled = True
        self.requirements = _empty_requirements([])
        self.tos_acceptance = {"date": now, "ip": "127.0.0.1", "user_agent": "localstripe"}
        if not self.external_accounts["data"]:
            self.external_accounts = {
                "object": "list",
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/accounts/{self.id}/external_accounts",
                "data": [
                    {
                        "id": "ba_" + random_id(24),
                        "object": "bank_account",
                        "account": self.id,
                        "account_holder_name": self.business_profile["name"],
                        "account_holder_type": "individual",
                        "bank_name": "STRIPE TEST BANK",
                        "country": "GB",
                        "currency": CURRENCY,
                        "default_for_currency": True,
                        "fingerprint": random_id(16),
                        "last4": "2345",
                        "metadata": {},
                        "routing_number": "10-88-00",
                        "status": "new",
                    }
                ],
            }


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        *,
        amount: int,
        destination: Account,
        description: str | None,
        metadata: dict[str, str],
        transfer_group: str | None,
    ) -> None:
        super().__init__()
        self.amount = amount
        self.amount_reversed = 0
        self.currency = CURRENCY
        self.description = description
        self.destination = destination.id
        self.destination_payment = "py_" + random_id(24)
        self.metadata = metadata
        self.reversals = {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/transfers/{self.id}/reversals",
        }
        self.reversed = False
        self.source_transaction = None
        self.source_type = "card"
        self.transfer_group = transfer_group
        self.balance_transaction = ConnectBalanceTransaction(
            account=None,
            amount=-amount,
            type="transfer",
            reporting_category="transfer",
            source=self.id,
            description=description,
        ).id
        ConnectBalanceTransaction(
            account=destination.id,
            amount=amount,
            type="payment",
            reporting_category="charge",
            source=self.destination_payment,
            description=description,
        )


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, *, transfer: Transfer, amount: int, metadata: dict[str, str]) -> None:
        super().__init__()
        del self.livemode  # not a field of stripe.TransferReversal
        self.amount = amount
        self.currency = CURRENCY
        self.destination_payment_refund = "pyr_" + random_id(24)
        self.metadata = metadata
        self.source_refund = None
        self.transfer = transfer.id
        self.balance_transaction = ConnectBalanceTransaction(
            account=None,
            amount=amount,
            type="transfer_refund",
            reporting_category="transfer_reversal",
            source=self.id,
        ).id
        ConnectBalanceTransaction(
            account=transfer.destination,
            amount=-amount,
            type="payment_refund",
            reporting_category="refund",
            source=self.destination_payment_refund,
        )


class ConnectPayout(StripeObject):
    """A GBP payout from the platform's or (``Stripe-Account``) a connected account's balance."""

    object = "payout"
    _id_prefix = "po_"

    def __init__(
        self,
        *,
        account: Account | None,
        amount: int,
        description: str | None,
        metadata: dict[str, str],
        method: str,
        statement_descriptor: str | None,
        automatic: bool = False,
    ) -> None:
        super().__init__()
        self._account = account.id if account else None
        self.amount = amount
        self.application_fee = None
        self.application_fee_amount = None
        self.arrival_date = self.created + (0 if method == "instant" else 2 * DAY)
        self.automatic = automatic
        self.currency = CURRENCY
        self.description = description
        self.destination = (account._bank_account() if account else None) or ("ba_" + random_id(24))
        self.failure_balance_transaction = None
        self.failure_code: str | None = None
        self.failure_message: str | None = None
        self.metadata = metadata
        self.method = method
        self.original_payout = None
        self.payout_method = None
        self.reconciliation_status = "not_applicable"
        self.reversed_by = None
        self.source_type = "card"
        self.statement_descriptor = statement_descriptor
        self.status = "pending"
        self.trace_id = {"status": "pending", "value": None}
        self.type = "bank_account"
        self.balance_transaction = ConnectBalanceTransaction(
            account=self._account,
            amount=-amount,
            type="payout",
            reporting_category="payout",
            source=self.id,
            description=description,
        ).id


class Topup(StripeObject):
    object = "topup"
    _id_prefix = "tu_"

    def __init__(
        self,
        *,
        amount: int,
        description: str | None,
        metadata: dict[str, str],
        statement_descriptor: str | None,
        transfer_group: str | None,
    ) -> None:
        super().__init__()
        self.amount = amount
        self.currency = CURRENCY
        self.description = description
        self.expected_availability_date = self.created
        self.failure_code: str | None = None
        self.failure_message: str | None = None
        self.initiated_by = "user"
        self.metadata = metadata
        self.payment_method = None
        self.payment_method_options = None
        self.source = None
        self.statement_descriptor = statement_descriptor
        self.status = "succeeded"
        self.transfer_group = transfer_group
        self.balance_transaction = ConnectBalanceTransaction(
            account=None,
            amount=amount,
            type="topup",
            reporting_category="topup",
            source=self.id,
            description=description,
        ).id


# ---------------------------------------------------------------------------- accounts


def _account_type(params: dict[str, Any]) -> str:
    """``express`` or ``custom``, from ``type`` or else from ``controller`` as Stripe derives it."""
    if "type" in params:
        if params["type"] not in ACCOUNT_TYPES:
            raise invalid(
                f"Invalid type: {params['type']}. This server models Express and Custom "
                "connected accounts only (type=express or type=custom).",
                param="type",
            )
        return str(params["type"])
    controller = params.get("controller")
    dashboard = controller.get("stripe_dashboard") if isinstance(controller, dict) else None
    kind = dashboard.get("type") if isinstance(dashboard, dict) else None
    if kind in ("express", "none"):
        return "express" if kind == "express" else "custom"
    raise invalid(
        "Missing required param: type (or controller[stripe_dashboard][type]). This server "
        "models Express and Custom connected accounts only.",
        param="type",
        code="parameter_missing",
    )


@routes.post("/v1/accounts")
async def create_account(request: web.Request) -> web.Response:
    params, expand = await _params(request)
    _only(
        params,
        {
            "type",
            "country",
            "email",
            "default_currency",
            "metadata",
            "business_profile",
            "business_type",
            "capabilities",
            "controller",
        },
    )
    account_type = _account_type(params)
    if str(params.get("country", "GB")).upper() != "GB":
        raise invalid("This server creates GB accounts only (country=GB).", param="country")
    if params.get("default_currency") is not None:
        _currency(params["default_currency"])
    profile = params.get("business_profile") or {}
    if not isinstance(profile, dict):
        raise invalid("Invalid object", param="business_profile")
    capabilities = params.get("capabilities") or {"transfers": {"requested": "true"}}
    if not isinstance(capabilities, dict):
        raise invalid("Invalid object", param="capabilities")
    requested = sorted(
        name
        for name, value in capabilities.items()
        if isinstance(value, dict) and _bool(value.get("requested"))
    )
    if "transfers" not in requested:
        raise invalid(
            "Connected accounts here must request the transfers capability.",
            param="capabilities[transfers][requested]",
        )
    account = Account(
        type=account_type,
        email=_optional_str(params, "email"),
        metadata=_metadata(params.get("metadata")),
        business_name=profile.get("name") or None,
        business_url=profile.get("url") or None,
        business_type=_optional_str(params, "business_type"),
        capabilities=requested,
    )
    return _respond(account, expand)


@routes.get("/v1/accounts")
async def list_accounts(request: web.Request) -> web.Response:
    query, _ = await _params(request)
    items = _newest_first("account:", lambda obj: isinstance(obj, Account))
    return json_response(_list("/v1/accounts", items, query))


@routes.get("/v1/accounts/{id}")
async def retrieve_account(request: web.Request) -> web.Response:
    _, expand = await _params(request)
    return _respond(_get("account", request.match_info["id"]), expand)


def _update_account(account: Account, changes: dict[str, Any]) -> None:
    before = account._export()
    for name, value in changes.items():
        setattr(account, name, value)
    after = account._export()
    previous = {key: before[key] for key in after if before.get(key) != after[key]}
    if previous:
        emit("account.updated", account, account=account.id, previous_attributes=previous)


@routes.post("/v1/accounts/{id}")
async def update_account(request: web.Request) -> web.Response:
    account = _get("account", request.match_info["id"])
    params, expand = await _params(request)
    _only(params, {"email", "metadata", "business_profile"})
    changes: dict[str, Any] = {}
    if "email" in params:
        changes["email"] = _optional_str(params, "email")
    if "metadata" in params:
        changes["metadata"] = {**account.metadata, **_metadata(params["metadata"])}
    if "business_profile" in params:
        profile = params["business_profile"]
        if not isinstance(profile, dict):
            raise invalid("Invalid object", param="business_profile")
        changes["business_profile"] = {
            **account.business_profile,
            **{k: v for k, v in profile.items() if k in account.business_profile},
        }
    _update_account(account, changes)
    return _respond(account, expand)


@routes.post("/v1/account_links")
async def create_account_link(request: web.Request) -> web.Response:
    params, _ = await _params(request)
    _only(params, {"account", "type", "refresh_url", "return_url", "collect", "collection_options"})
    account_id = params.get("account")
    if not account_id:
        raise invalid("Missing required param: account.", param="account", code="parameter_missing")
    account = store.get(f"account:{account_id}")
    if account is None:
        raise invalid(f"No such account: '{account_id}'", param="account", code="resource_missing")
    if params.get("type") not in ("account_onboarding", "account_update"):
        raise invalid("type must be account_onboarding or account_update.", param="type")
    for name in ("refresh_url", "return_url"):
        if not str(params.get(name, "")).startswith("http"):
            raise invalid(f"Missing or invalid {name}.", param=name)
    token = random_id(24)
    store[f"account_link:{token}"] = {
        "account": account.id,
        "return_url": params["return_url"],
        "refresh_url": params["refresh_url"],
        "expires_at": int(time.time()) + 300,
    }
    now = int(time.time())
    return json_response(
        {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"{request.scheme}://{request.host}/_config/onboarding/{token}",
        }
    )


ONBOARDING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local Stripe onboarding</title></head>
<body><h1>Local Stripe onboarding</h1>
<p>Connected account <code>{account}</code>. This page stands in for Stripe's hosted
onboarding.</p>
<form method="post"><button type="submit">Complete onboarding</button></form>
<p><a href="{refresh_url}">Start again</a></p></body></html>
"""


@routes.get("/_config/onboarding/{token}")
async def onboarding_page(request: web.Request) -> web.Response:
    link = store.get("account_link:" + request.match_info["token"])
    if link is None or link["expires_at"] < time.time():
        raise invalid("This onboarding link has expired or does not exist.", status=404)
    return web.Response(text=ONBOARDING_PAGE.format(**link), content_type="text/html")


@routes.post("/_config/onboarding/{token}")
async def onboarding_submit(request: web.Request) -> web.Response:
    link = store.get("account_link:" + request.match_info["token"])
    if link is None or link["expires_at"] < time.time():
        raise invalid("This onboarding link has expired or does not exist.", status=404)
    _complete(store["account:" + link["account"]])
    raise web.HTTPSeeOther(link["return_url"])


def _complete(account: Account) -> None:
    before = account._export()
    account._complete_onboarding()
    after = account._export()
    previous = {key: before[key] for key in after if before.get(key) != after[key]}
    emit("account.updated", account, account=account.id, previous_attributes=previous)


@routes.post("/_config/accounts/{id}/complete_onboarding")
async def complete_onboarding(request: web.Request) -> web.Response:
    account = _get("account", request.match_info["id"])
    _complete(account)
    return _respond(account)


# ---------------------------------------------------------------------------- transfers


@routes.post("/v1/transfers")
async def create_transfer(request: web.Request) -> web.Response:
    params, expand = await _params(request)
    _only(
        params,
        {
            "amount",
            "currency",
            "destination",
            "description",
            "metadata",
            "transfer_group",
            "source_transaction",
            "source_type",
        },
    )
    if _connected_account(request) is not None:
        raise invalid("Transfers are created by the platform, without a Stripe-Account header.")
    amount = _amount(params.get("amount"))
    _currency(params.get("currency"))
    destination_id = params.get("destination")
    if not destination_id:
        raise invalid(
            "Missing required param: destination.", param="destination", code="parameter_missing"
        )
    destination = store.get(f"account:{destination_id}")
    if not isinstance(destination, Account):
        raise invalid(
            f"No such destination: '{destination_id}'", param="destination", code="resource_missing"
        )
    if destination.capabilities.get("transfers") != "active" or not destination.payouts_enabled:
        raise invalid(
            f"Account {destination.id} has not completed onboarding: its onboarding is "
            "incomplete, so its payouts are not enabled and its transfers capability is "
            "inactive. Your "
            "destination account needs to have at least one of the following capabilities "
            "enabled: transfers.",
            param="destination",
            code="insufficient_capabilities_for_transfer",
        )
    available = _balance(None)
    if available < amount:
        raise invalid(
            "You have insufficient available funds in your Stripe account for this transfer: "
            f"{available} available, {amount} requested. Add funds to the platform balance "
            "with a top-up.",
            code="balance_insufficient",
        )
    transfer = Transfer(
        amount=amount,
        destination=destination,
        description=_optional_str(params, "description"),
        metadata=_metadata(params.get("metadata")),
        transfer_group=_optional_str(params, "transfer_group"),
    )
    emit("transfer.created", transfer)
    return _respond(transfer, expand)


@routes.get("/v1/transfers")
async def list_transfers(request: web.Request) -> web.Response:
    query, _ = await _params(request)
    destination = query.pop("destination", None)
    group = query.pop("transfer_group", None)
    items = _newest_first(
        "transfer:",
        lambda obj: (
            (destination is None or obj.destination == destination)
            and (group is None or obj.transfer_group == group)
        ),
    )
    return json_response(_list("/v1/transfers", items, query))


@routes.get("/v1/transfers/{id}")
async def retrieve_transfer(request: web.Request) -> web.Response:
    _, expand = await _params(request)
    return _respond(_get("transfer", request.match_info["id"]), expand)


@routes.post("/v1/transfers/{id}")
async def update_transfer(request: web.Request) -> web.Response:
    transfer = _get("transfer", request.match_info["id"])
    params, expand = await _params(request)
    _only(params, {"description", "metadata"})
    if "description" in params:
        transfer.description = _optional_str(params, "description")
    if "metadata" in params:
        transfer.metadata = {**transfer.metadata, **_metadata(params["metadata"])}
    return _respond(transfer, expand)


@routes.post("/v1/transfers/{id}/reversals")
async def create_reversal(request: web.Request) -> web.Response:
    transfer = _get("transfer", request.match_info["id"])
    params, expand = await _params(request)
    _only(params, {"amount", "description", "metadata", "refund_application_fee"})
    remaining = transfer.amount - transfer.amount_reversed
    amount = _amount(params["amount"]) if "amount" in params else remaining
    if remaining <= 0:
        raise invalid(
            f"Transfer {transfer.id} has already been fully reversed.",
            code="transfer_already_reversed",
        )
    if amount > remaining:
        raise invalid(
            f"Reversal amount {amount} is greater than the {remaining} remaining on "
            f"transfer {transfer.id}.",
            param="amount",
        )
    if _balance(transfer.destination) < amount:
        raise invalid(
            f"Connected account {transfer.destination} has insufficient funds to reverse {amount}.",
            code="balance_insufficient",
        )
    reversal = TransferReversal(
        transfer=transfer, amount=amount, metadata=_metadata(params.get("metadata"))
    )
    previous = {"amount_reversed": transfer.amount_reversed, "reversed": transfer.reversed}
    transfer.amount_reversed += amount
    transfer.reversed = transfer.amount_reversed == transfer.amount
    data = [reversal._export(), *transfer.reversals["data"]]
    transfer.reversals = {**transfer.reversals, "data": data, "total_count": len(data)}
    emit("transfer.reversed", transfer, previous_attributes=previous)
    return _respond(reversal, expand)


@routes.get("/v1/transfers/{id}/reversals")
async def list_reversals(request: web.Request) -> web.Response:
    transfer = _get("transfer", request.match_info["id"])
    query, _ = await _params(request)
    items = _newest_first("transfer_reversal:", lambda obj: obj.transfer == transfer.id)
    return json_response(_list(transfer.reversals["url"], items, query))


@routes.get("/v1/transfers/{id}/reversals/{reversal}")
async def retrieve_reversal(request: web.Request) -> web.Response:
    _, expand = await _params(request)
    reversal = _get("transfer_reversal", request.match_info["reversal"])
    if reversal.transfer != request.match_info["id"]:
        raise invalid(f"No such transfer_reversal: '{reversal.id}'", status=404)
    return _respond(reversal, expand)


# ---------------------------------------------------------------------------- payouts


@routes.post("/v1/payouts")
async def create_payout(request: web.Request) -> web.Response:
    account = _connected_account(request)
    params, expand = await _params(request)
    _only(
        params,
        {
            "amount",
            "currency",
            "description",
            "metadata",
            "method",
            "statement_descriptor",
            "destination",
            "source_type",
        },
    )
    amount = _amount(params.get("amount"))
    _currency(params.get("currency"))
    method = params.get("method", "standard")
    if method not in ("standard", "instant"):
        raise invalid(f"Invalid method: {method}", param="method")
    descriptor = _optional_str(params, "statement_descriptor")
    if descriptor and len(descriptor) > 22:
        raise invalid(
            "statement_descriptor is longer than 22 characters.", param="statement_descriptor"
        )
    if account is not None and not account.payouts_enabled:
        raise invalid(
            f"Payouts are not enabled for {account.id}: its onboarding is incomplete.",
            code="payouts_not_allowed",
        )
    available = _balance(account.id if account else None)
    if available < amount:
        raise invalid(
            f"You have insufficient funds in your Stripe account for this payout: "
            f"{available} available, {amount} requested.",
            code="balance_insufficient",
        )
    payout = ConnectPayout(
        account=account,
        amount=amount,
        description=_optional_str(params, "description"),
        metadata=_metadata(params.get("metadata")),
        method=method,
        statement_descriptor=descriptor,
    )
    emit("payout.created", payout, account=payout._account)
    return _respond(payout, expand)


def _payouts_of(request: web.Request) -> tuple[str | None, list[ConnectPayout]]:
    account = _connected_account(request)
    scope = account.id if account else None
    items = _newest_first(
        "payout:",
        lambda obj: getattr(obj, "_account", None) == scope and isinstance(obj, ConnectPayout),
    )
    return scope, items


@routes.get("/v1/payouts")
async def list_payouts(request: web.Request) -> web.Response:
    query, _ = await _params(request)
    query.pop("status", None)
    _, items = _payouts_of(request)
    return json_response(_list("/v1/payouts", items, query))


@routes.get("/v1/payouts/{id}")
async def retrieve_payout(request: web.Request) -> web.Response:
    _, expand = await _params(request)
    _, items = _payouts_of(request)
    for payout in items:
        if payout.id == request.match_info["id"]:
            return _respond(payout, expand)
    raise invalid(
        f"No such payout: '{request.match_info['id']}'",
        param="id",
        code="resource_missing",
        status=404,
    )


@routes.post("/_config/payouts/automatic")
async def automatic_payout(request: web.Request) -> web.Response:
    """Test-only: what Stripe's payout schedule does each day: pay the available balance of
    the platform (or the ``Stripe-Account``) out to its bank, as one automatic payout made of
    every transaction not paid out before (listed by ``GET /v1/balance_transactions?payout=``)."""
    account = _connected_account(request)
    scope = account.id if account else None
    swept = [txn for txn in _transactions_of(request) if txn._paid_out_by is None]
    amount = sum(txn.amount for txn in swept)
    if amount <= 0:
        raise invalid(f"Nothing to pay out: the available balance is {amount}.")
    payout = ConnectPayout(
        account=account,
        amount=amount,
        description="STRIPE PAYOUT",
        metadata={},
        method="standard",
        statement_descriptor=None,
        automatic=True,
    )
    own = store[f"balance_transaction:{payout.balance_transaction}"]
    for txn in [*swept, own]:
        txn._paid_out_by = payout.id
    emit("payout.created", payout, account=scope)
    return _respond(payout)


@routes.post("/_config/payouts/{id}/{status}")
async def settle_payout(request: web.Request) -> web.Response:
    """Test-only: move a pending payout to ``paid`` or ``failed`` and emit the event."""
    payout = _get("payout", request.match_info["id"])
    status = request.match_info["status"]
    if status not in ("paid", "failed"):
        raise invalid("status must be paid or failed", param="status")
    if not isinstance(payout, ConnectPayout) or payout.status != "pending":
        raise invalid(f"Payout {payout.id} is not pending.")
    payout.status = status
    payout.trace_id = {"status": "supported", "value": "LOCAL" + random_id(10).upper()}
    if payout.automatic and status == "paid":
        payout.reconciliation_status = "completed"  # its transactions may be listed now
    if status == "failed":
        payout.failure_code = "could_not_process"
        payout.failure_message = "The bank could not process this payout."
        payout.failure_balance_transaction = ConnectBalanceTransaction(
            account=payout._account,
            amount=payout.amount,
            type="payout_failure",
            reporting_category="payout_reversal",
            source=payout.id,
        ).id
    emit(
        f"payout.{status}",
        payout,
        account=payout._account,
        previous_attributes={"status": "pending"},
    )
    return _respond(payout)


# ---------------------------------------------------------------------------- top-ups


@routes.post("/v1/topups")
async def create_topup(request: web.Request) -> web.Response:
    if _connected_account(request) is not None:
        raise invalid("Top-ups add funds to the platform balance: send no Stripe-Account header.")
    params, expand = await _params(request)
    _only(
        params,
        {
            "amount",
            "currency",
            "description",
            "metadata",
            "source",
            "statement_descriptor",
            "transfer_group",
        },
    )
    amount = _amount(params.get("amount"))
    _currency(params.get("currency"))
    topup = Topup(
        amount=amount,
        description=_optional_str(params, "description"),
        metadata=_metadata(params.get("metadata")),
        statement_descriptor=_optional_str(params, "statement_descriptor"),
        transfer_group=_optional_str(params, "transfer_group"),
    )
    emit("topup.created", topup)
    emit("topup.succeeded", topup)
    return _respond(topup, expand)


@routes.get("/v1/topups")
async def list_topups(request: web.Request) -> web.Response:
    query, _ = await _params(request)
    query.pop("status", None)
    items = _newest_first("topup:", lambda obj: True)
    return json_response(_list("/v1/topups", items, query))


@routes.get("/v1/topups/{id}")
async def retrieve_topup(request: web.Request) -> web.Response:
    _, expand = await _params(request)
    return _respond(_get("topup", request.match_info["id"]), expand)


# ---------------------------------------------------------------------------- balance


@routes.get("/v1/balance")
async def retrieve_balance(request: web.Request) -> web.Response:
    account = _connected_account(request)
    amount = _balance(account.id if account else None)
    return json_response(
        {
            "object": "balance",
            "available": [
                {"amount": amount, "currency": CURRENCY, "source_types": {"card": amount}}
            ],
            "pending": [{"amount": 0, "currency": CURRENCY, "source_types": {"card": 0}}],
            "livemode": False,
        }
    )


def _transactions_of(request: web.Request) -> list[ConnectBalanceTransaction]:
    account = _connected_account(request)
    scope = account.id if account else None
    return _newest_first(
        "balance_transaction:",
        lambda obj: isinstance(obj, ConnectBalanceTransaction) and obj._account == scope,
    )


async def _list_transactions(request: web.Request) -> web.Response:
    query, _ = await _params(request)
    kind = query.pop("type", None)
    source = query.pop("source", None)
    paid_out_by = query.pop("payout", None)
    query.pop("currency", None)
    if paid_out_by is not None:
        payout = _get("payout", paid_out_by, param="payout")
        if not payout.automatic:  # as Stripe answers: it cannot know a manual payout's
            raise invalid(
                "Balance transaction history can only be filtered on automatic transfers, "
                "not manual.",
                param="payout",
            )
    items = [
        txn
        for txn in _transactions_of(request)
        if (kind is None or txn.type == kind)
        and (source is None or txn.source == source)
        and (paid_out_by is None or txn._paid_out_by == paid_out_by)
    ]
    return json_response(_list("/v1/balance_transactions", items, query))


async def _retrieve_transaction(request: web.Request) -> web.Response:
    _, expand = await _params(request)
    for txn in _transactions_of(request):
        if txn.id == request.match_info["id"]:
            return _respond(txn, expand)
    raise invalid(
        f"No such balance transaction: '{request.match_info['id']}'",
        param="id",
        code="resource_missing",
        status=404,
    )


for _path in ("/v1/balance_transactions", "/v1/balance/history"):
    routes.get(_path)(_list_transactions)
    routes.get(_path + "/{id}")(_retrieve_transaction)


@routes.get("/_config/health")
async def health(request: web.Request) -> web.Response:
    return json_response({"ok": True})


# ---------------------------------------------------------------------------- idempotency

IDEMPOTENCY_MISMATCH = (
    "Keys for idempotent requests can only be used with the same parameters they were first "
    "used with. Try using a key other than '{key}' if you meant to execute a different request."
)
IDEMPOTENCY_IN_FLIGHT = (
    "There is currently another in-progress request using this Idempotent Key (that probably "
    "means you submitted twice, and the other request is still going through): {key}. Please "
    "try again later."
)
_in_flight: set[str] = set()


def _idempotency_error(message: str, status: int) -> web.Response:
    return json_response(
        {"error": {"type": "idempotency_error", "message": message}}, status=status
    )


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Replay the first successful response to a POST for the same ``Idempotency-Key``."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)
    body = await request.read()
    fingerprint = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
    slot = "idempotency:{}:{}".format(request.headers.get("Stripe-Account", ""), key)
    saved = store.get(slot)
    if saved is not None:
        if saved["fingerprint"] != fingerprint:
            return _idempotency_error(IDEMPOTENCY_MISMATCH.format(key=key), 400)
        response = web.Response(
            body=saved["body"],
            status=saved["status"],
            content_type="application/json",
            charset="utf-8",
        )
        response.headers["Idempotent-Replayed"] = "true"
        return response
    if slot in _in_flight:  # as Stripe: 409, which the SDK retries after a short wait
        return _idempotency_error(IDEMPOTENCY_IN_FLIGHT.format(key=key), 409)
    _in_flight.add(slot)
    token = _idempotency_key.set(key)
    try:
        response = await handler(request)
    finally:
        _idempotency_key.reset(token)
        _in_flight.discard(slot)
    if 200 <= response.status < 300 and isinstance(response, web.Response) and response.body:
        store[slot] = {
            "fingerprint": fingerprint,
            "status": response.status,
            "body": bytes(response.body),  # type: ignore[arg-type]  # a Response's body is bytes
        }
    return response


# ---------------------------------------------------------------------------- faults
# Tests make Stripe slow, down or silent for some paths (POST /_config/faults), to show that a
# payment is never lost or paid twice whatever Stripe does. {} clears them.
_faults: dict[str, Any] = {}


@routes.post("/_config/faults")
async def set_faults(request: web.Request) -> web.Response:
    """``{"path": "/v1/transfers", "delay": 0.3}`` slows each matching request; ``"status":
    503`` answers it with that error (after the delay); ``"hang": true`` never answers."""
    body = await request.json()
    _faults.clear()
    _faults.update(body)
    return json_response({"faults": _faults})


@web.middleware
async def fault_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    prefix = _faults.get("path")
    if not prefix or not request.path.startswith(prefix) or request.path.startswith("/_config"):
        return await handler(request)
    import asyncio

    if _faults.get("hang"):
        await asyncio.sleep(3600)
    await asyncio.sleep(float(_faults.get("delay", 0)))
    status = _faults.get("status")
    if status:
        return json_response(
            {"error": {"type": "api_error", "message": "Stripe is unavailable (a test fault)"}},
            status=int(status),
        )
    return await handler(request)
