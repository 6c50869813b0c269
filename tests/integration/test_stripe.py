"""payments.stripe against the local server (localstripe + Connect), through the stripe SDK."""

from __future__ import annotations

import typing
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import stripe

from payments import stripe as pay
from payments.stripe import StripeFailure


def _fields(cls: type) -> tuple[set[str], set[str]]:
    """(all fields, fields that may not be None) as the stripe package declares them."""
    every, required = set(), set()
    for name, annotation in cls.__annotations__.items():
        if typing.get_origin(annotation) is typing.ClassVar:
            continue
        every.add(name)
        if type(None) not in typing.get_args(annotation):
            required.add(name)
    return every, required


def assert_shaped(obj: Any, cls: type) -> None:
    keys = set(obj.to_dict())
    every, required = _fields(cls)
    assert keys <= every, f"{cls.__name__} has undeclared fields {keys - every}"
    assert required <= keys, f"{cls.__name__} lacks {required - keys}"


def new_provider() -> str:
    return pay.create_connected_account(
        provider_id=f"prov-{uuid.uuid4().hex[:10]}",
        email="care@example.org",
        name="Example Care Ltd",
    )


def ready_provider(stripe_server: Any) -> str:
    account_id = new_provider()
    stripe_server.post(f"/_config/accounts/{account_id}/complete_onboarding")
    return account_id


def key() -> str:
    return f"test-{uuid.uuid4()}"


def fund(amount_pence: int) -> None:
    """Top up the platform balance, which transfers are paid from (as on real Stripe)."""
    pay.top_up(amount_pence=amount_pence, idempotency_key=key(), description="Test funds")


def platform_balance() -> int:
    return int(pay.client().v1.balance.retrieve().available[0].amount)


def test_new_account_is_not_ready(stripe_server: Any) -> None:
    account_id = new_provider()
    assert account_id.startswith("acct_")
    status = pay.onboarding_status(account_id)
    assert (status.details_submitted, status.payouts_enabled, status.ready) == (False, False, False)

    account = pay.client().v1.accounts.retrieve(account_id)
    assert_shaped(account, stripe.Account)
    assert_shaped(account.requirements, stripe.Account.Requirements)
    assert (account.type, account.country, account.default_currency) == ("express", "GB", "gbp")
    assert account.email == "care@example.org"
    assert account.metadata["provider_id"].startswith("prov-")
    assert "external_account" in account.requirements.currently_due

    url = pay.onboarding_link(account_id, "http://app.test/back", "http://app.test/again")
    assert url.startswith(stripe_server.base_url + "/_config/onboarding/")


def test_same_provider_gives_the_same_account(stripe_server: Any) -> None:
    kwargs = {"provider_id": f"prov-{uuid.uuid4().hex[:10]}", "email": "a@example.org", "name": "A"}
    assert pay.create_connected_account(**kwargs) == pay.create_connected_account(**kwargs)


def test_onboarding_makes_the_account_ready_and_sends_a_signed_event(
    stripe_server: Any, stripe_webhooks: Any
) -> None:
    account_id = new_provider()
    stripe_server.post(f"/_config/accounts/{account_id}/complete_onboarding")

    status = pay.onboarding_status(account_id)
    assert status.ready and status.charges_enabled and status.details_submitted

    delivery = stripe_webhooks.wait_for("account.updated", account_id)
    event = pay.verify_webhook(delivery.payload, delivery.signature)
    assert_shaped(event, stripe.Event)
    assert event.type == "account.updated"
    assert event.account == account_id
    assert event.data.object.payouts_enabled is True
    assert event.data.previous_attributes["payouts_enabled"] is False

    tampered = delivery.payload.replace(b'"payouts_enabled": true', b'"payouts_enabled": false')
    assert tampered != delivery.payload
    with pytest.raises(StripeFailure, match="signature verification failed"):
        pay.verify_webhook(tampered, delivery.signature)


def test_transfer_to_a_ready_account(stripe_server: Any, stripe_webhooks: Any) -> None:
    account_id = ready_provider(stripe_server)
    fund(104_000)
    before = platform_balance()
    transfer_id = pay.transfer(
        account_id=account_id,
        amount_pence=104_000,
        idempotency_key=key(),
        metadata={"entry": "DP-1"},
        transfer_group="period-4",
    )

    transfer = pay.client().v1.transfers.retrieve(
        transfer_id, params={"expand": ["balance_transaction"]}
    )
    assert_shaped(transfer, stripe.Transfer)
    assert (transfer.amount, transfer.currency, transfer.destination) == (
        104_000,
        "gbp",
        account_id,
    )
    assert transfer.metadata["entry"] == "DP-1"
    assert transfer.transfer_group == "period-4"
    txn = transfer.balance_transaction
    assert_shaped(txn, stripe.BalanceTransaction)
    assert (txn.amount, txn.type, txn.source, txn.currency) == (
        -104_000,
        "transfer",
        transfer_id,
        "gbp",
    )

    assert platform_balance() == before - 104_000
    on_account = pay.client().v1.balance_transactions.list(options={"stripe_account": account_id})
    assert [(t.amount, t.type, t.source) for t in on_account.data] == [
        (104_000, "payment", transfer.destination_payment)
    ]

    delivery = stripe_webhooks.wait_for("transfer.created", transfer_id)
    event = pay.verify_webhook(delivery.payload, delivery.signature)
    assert event.data.object.amount == 104_000


def test_the_same_idempotency_key_makes_one_transfer(stripe_server: Any) -> None:
    account_id = ready_provider(stripe_server)
    fund(500)
    same = key()
    first = pay.transfer(
        account_id=account_id, amount_pence=500, idempotency_key=same, metadata={"entry": "DP-2"}
    )
    second = pay.transfer(
        account_id=account_id, amount_pence=500, idempotency_key=same, metadata={"entry": "DP-2"}
    )
    assert first == second
    transfers = pay.client().v1.transfers.list(params={"destination": account_id})
    assert [t.id for t in transfers.data] == [first]

    with pytest.raises(StripeFailure, match="same parameters"):
        pay.transfer(
            account_id=account_id,
            amount_pence=600,
            idempotency_key=same,
            metadata={"entry": "DP-2"},
        )


def test_transfer_to_an_account_not_onboarded_is_refused(stripe_server: Any) -> None:
    account_id = new_provider()
    with pytest.raises(StripeFailure, match="onboarding is incomplete") as refused:
        pay.transfer(account_id=account_id, amount_pence=500, idempotency_key=key(), metadata={})
    assert refused.value.code == "insufficient_capabilities_for_transfer"
    assert refused.value.param == "destination"
    assert refused.value.http_status == 400


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"amount": 0, "currency": "gbp"}, "amount"),
        ({"amount": -5, "currency": "gbp"}, "amount"),
        ({"amount": 500, "currency": "eur"}, "currency"),
        ({"amount": 500, "currency": "gbp", "destination": "acct_doesnotexist"}, "destination"),
    ],
)
def test_invalid_transfers_are_stripe_shaped_400s(
    stripe_server: Any, params: dict[str, Any], param: str
) -> None:
    body = {"destination": ready_provider(stripe_server), **params}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        pay.client().v1.transfers.create(params=body)  # type: ignore[arg-type]
    error = refused.value
    assert error.http_status == 400
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert error.param == param
    assert error.json_body["error"]["message"]


def test_reversal(stripe_server: Any, stripe_webhooks: Any) -> None:
    account_id = ready_provider(stripe_server)
    fund(10_000)
    transfer_id = pay.transfer(
        account_id=account_id, amount_pence=10_000, idempotency_key=key(), metadata={}
    )
    reversal_id = pay.reverse_transfer(transfer_id, amount_pence=4_000, idempotency_key=key())

    reversal = pay.client().v1.transfers.reversals.retrieve(transfer_id, reversal_id)
    assert_shaped(reversal, stripe.TransferReversal)
    assert (reversal.amount, reversal.transfer) == (4_000, transfer_id)
    txn = pay.client().v1.balance_transactions.retrieve(reversal.balance_transaction)
    assert (txn.amount, txn.type) == (4_000, "transfer_refund")

    transfer = pay.client().v1.transfers.retrieve(transfer_id)
    assert (transfer.amount_reversed, transfer.reversed) == (4_000, False)
    assert [r.id for r in transfer.reversals.data] == [reversal_id]

    with pytest.raises(StripeFailure, match="greater than"):
        pay.reverse_transfer(transfer_id, amount_pence=6_001, idempotency_key=key())
    pay.reverse_transfer(transfer_id, amount_pence=6_000, idempotency_key=key())
    assert pay.client().v1.transfers.retrieve(transfer_id).reversed is True

    delivery = stripe_webhooks.wait_for("transfer.reversed", transfer_id)
    assert pay.verify_webhook(delivery.payload, delivery.signature).type == "transfer.reversed"


def test_gbp_payout_on_the_connected_account(stripe_server: Any, stripe_webhooks: Any) -> None:
    account_id = ready_provider(stripe_server)
    fund(2_500)
    pay.transfer(account_id=account_id, amount_pence=2_500, idempotency_key=key(), metadata={})

    payout_id = pay.payout(account_id=account_id, amount_pence=2_000, idempotency_key=key())
    payout = pay.client().v1.payouts.retrieve(payout_id, options={"stripe_account": account_id})
    assert_shaped(payout, stripe.Payout)
    assert (payout.amount, payout.currency, payout.status) == (2_000, "gbp", "pending")
    account = pay.client().v1.accounts.retrieve(account_id)
    assert payout.destination == account.external_accounts.data[0].id

    balance = pay.client().v1.balance.retrieve(options={"stripe_account": account_id})
    assert balance.available[0].amount == 500
    assert balance.available[0].currency == "gbp"

    with pytest.raises(StripeFailure, match="insufficient funds"):
        pay.payout(account_id=account_id, amount_pence=501, idempotency_key=key())

    delivery = stripe_webhooks.wait_for("payout.created", payout_id)
    event = pay.verify_webhook(delivery.payload, delivery.signature)
    assert event.account == account_id

    stripe_server.post(f"/_config/payouts/{payout_id}/paid")
    paid = stripe_webhooks.wait_for("payout.paid", payout_id)
    assert pay.verify_webhook(paid.payload, paid.signature).data.object.status == "paid"


def test_top_up(stripe_server: Any, stripe_webhooks: Any) -> None:
    before = pay.client().v1.balance.retrieve().available[0].amount
    topup_id = pay.top_up(
        amount_pence=1_500_000, idempotency_key=key(), description="Council funding, period 5"
    )

    topup = pay.client().v1.topups.retrieve(topup_id)
    assert_shaped(topup, stripe.Topup)
    assert (topup.amount, topup.currency, topup.status) == (1_500_000, "gbp", "succeeded")
    txn = pay.client().v1.balance_transactions.retrieve(topup.balance_transaction)
    assert_shaped(txn, stripe.BalanceTransaction)
    assert (txn.amount, txn.type, txn.source) == (1_500_000, "topup", topup_id)
    assert pay.client().v1.balance.retrieve().available[0].amount == before + 1_500_000

    delivery = stripe_webhooks.wait_for("topup.created", topup_id)
    assert pay.verify_webhook(delivery.payload, delivery.signature).type == "topup.created"


def test_transfer_beyond_the_platform_balance_is_refused(stripe_server: Any) -> None:
    account_id = ready_provider(stripe_server)
    available = platform_balance()
    with pytest.raises(StripeFailure, match="insufficient available funds") as refused:
        pay.transfer(
            account_id=account_id,
            amount_pence=available + 1,
            idempotency_key=key(),
            metadata={},
        )
    assert refused.value.code == "balance_insufficient"
    assert platform_balance() == available
    assert pay.client().v1.transfers.list(params={"destination": account_id}).data == []


def test_concurrent_retries_with_one_key_make_one_transfer(stripe_server: Any) -> None:
    account_id = ready_provider(stripe_server)
    fund(700)
    same = key()

    def attempt(_: int) -> str:
        return pay.transfer(
            account_id=account_id, amount_pence=700, idempotency_key=same, metadata={}
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(attempt, range(8)))
    assert len(ids) == 1
    transfers = pay.client().v1.transfers.list(params={"destination": account_id})
    assert [t.id for t in transfers.data] == list(ids)


def test_custom_accounts_and_account_types(stripe_server: Any) -> None:
    account = pay.client().v1.accounts.create(
        params={
            "type": "custom",
            "country": "GB",
            "email": "custom@example.org",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"provider_id": "prov-custom"},
        }
    )
    assert_shaped(account, stripe.Account)
    assert (account.type, account.country, account.default_currency) == ("custom", "GB", "gbp")
    assert account.controller.requirement_collection == "application"
    assert account.controller.stripe_dashboard.type == "none"
    assert not pay.onboarding_status(account.id).ready
    stripe_server.post(f"/_config/accounts/{account.id}/complete_onboarding")
    status = pay.onboarding_status(account.id)
    assert status.ready and not status.charges_enabled  # card_payments was not requested

    with pytest.raises(stripe.InvalidRequestError) as refused:
        pay.client().v1.accounts.create(params={"type": "standard", "country": "GB"})
    assert refused.value.param == "type"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        pay.client().v1.accounts.create(params={"type": "express", "country": "FR"})
    assert refused.value.param == "country"


def test_the_account_link_page_completes_onboarding(
    stripe_server: Any, stripe_webhooks: Any
) -> None:
    account_id = new_provider()
    url = pay.onboarding_link(account_id, "http://app.test/back", "http://app.test/again")
    with urllib.request.urlopen(url, timeout=10) as page:
        assert account_id in page.read().decode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    submit = urllib.request.Request(url, data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(submit, timeout=10)
    assert redirect.value.code == 303
    assert redirect.value.headers["Location"] == "http://app.test/back"
    assert pay.onboarding_status(account_id).ready
    delivery = stripe_webhooks.wait_for("account.updated", account_id)
    assert pay.verify_webhook(delivery.payload, delivery.signature).account == account_id


def test_events_are_listed_and_retrieved_through_the_sdk(
    stripe_server: Any, stripe_webhooks: Any
) -> None:
    account_id = ready_provider(stripe_server)
    fund(300)
    transfer_id = pay.transfer(
        account_id=account_id, amount_pence=300, idempotency_key=key(), metadata={"entry": "E"}
    )
    delivery = stripe_webhooks.wait_for("transfer.created", transfer_id)
    delivered = pay.verify_webhook(delivery.payload, delivery.signature)

    event = pay.client().v1.events.retrieve(delivered.id)
    assert_shaped(event, stripe.Event)
    assert (event.type, event.data.object.id) == ("transfer.created", transfer_id)
    assert event.api_version == stripe.api_version
    assert event.request.idempotency_key is not None
    listed = pay.client().v1.events.list(params={"type": "transfer.created", "limit": 100})
    assert delivered.id in [e.id for e in listed.data]


def test_localstripe_resources_are_served_alongside(stripe_server: Any) -> None:
    customer = pay.client().v1.customers.create(params={"email": "council@example.org"})
    assert customer.id.startswith("cus_")
    assert pay.client().v1.customers.retrieve(customer.id).email == "council@example.org"


def test_unknown_objects_and_connected_accounts(stripe_server: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        pay.client().v1.transfers.retrieve("tr_doesnotexist")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(StripeFailure, match="No such account") as refused:
        pay.payout(account_id="acct_doesnotexist", amount_pence=100, idempotency_key=key())
    assert refused.value.code == "account_invalid"
    account_id = new_provider()
    with pytest.raises(StripeFailure, match="Payouts are not enabled") as not_ready:
        pay.payout(account_id=account_id, amount_pence=100, idempotency_key=key())
    assert not_ready.value.code == "payouts_not_allowed"
