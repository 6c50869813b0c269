"""Sign-in and API tokens under attack: 30 wrong passwords lock the account and throttle the
address (django-axes; the GOV.UK page says why, 429), a storm of bad tokens from one address
is refused while it lasts, tokens expire and can be revoked by their owner, a token cannot
make another, and behind the TLS proxy the client's own address is the one counted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from api.models import ApiToken
from config.roles import Role

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def sign_in(username: str, password: str, address: str) -> Any:
    return Client().post(
        "/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_thirty_wrong_passwords_lock_the_account_and_throttle_the_address(make_user: Any) -> None:
    make_user("asha", Role.SOCIAL_WORKER.value)
    make_user("ben", Role.TEAM_MANAGER.value)
    said = [sign_in("asha", f"guess {n}", "10.0.0.1").status_code for n in range(30)]
    assert said[0] == 400 and said[-1] == 429  # wrong, wrong, …, then locked
    locked = sign_in("asha", PASSWORD, "10.0.0.2")  # the right password, from elsewhere
    assert locked.status_code == 429 and "Too many tries to sign in" in locked.content.decode()
    assert sign_in("ben", PASSWORD, "10.0.0.1").status_code == 429  # the address, throttled
    assert sign_in("ben", PASSWORD, "10.0.0.3").status_code == 302  # ben, elsewhere: fine


def test_a_storm_of_bad_tokens_is_refused_and_a_good_token_elsewhere_is_not(
    make_user: Any,
) -> None:
    user = make_user("f.officer", Role.FINANCE_OFFICER.value)
    _, good = ApiToken.issue(user, "finance system")
    route = "/api/v1/tokens"

    def call(token: str, address: str) -> Any:
        return Client().get(route, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address)

    said = [call(f"cl_wrong{n}", "10.1.1.1").status_code for n in range(25)]
    assert said[:20] == [401] * 20 and set(said[20:]) == {429}
    storm = call(good, "10.1.1.1")  # while it lasts, the address is refused whatever it sends
    assert storm.status_code == 429 and "wait 15 minutes" in storm.json()["detail"]
    assert call(good, "10.1.1.2").status_code == 200


def test_tokens_expire_are_revoked_by_their_owner_and_only_a_session_makes_one(
    make_user: Any,
) -> None:
    user = make_user("f.officer", Role.FINANCE_OFFICER.value)
    session = Client()
    session.force_login(user)
    made = session.post(
        "/api/v1/tokens", {"name": "finance system", "days": 30}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    token, token_id = made.json()["token"], made.json()["id"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/v1/tokens", **bearer).json()[0]["prefix"] == token[:8]
    more = Client().post(
        "/api/v1/tokens", {"name": "another"}, content_type="application/json", **bearer
    )
    assert more.status_code == 401  # a token cannot make tokens
    too_long = session.post(
        "/api/v1/tokens", {"name": "x", "days": 400}, content_type="application/json"
    )
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "days"
    # Expired: 401, as any token that is not live.
    ApiToken.objects.filter(pk=token_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get("/api/v1/tokens", **bearer).status_code == 401
    ApiToken.objects.filter(pk=token_id).update(expires_at=timezone.now() + timedelta(days=1))
    other = make_user("someone", Role.FINANCE_OFFICER.value)
    _, theirs = ApiToken.issue(other, "theirs")
    assert Client().post(f"/api/v1/tokens/{token_id}/revoke", **bearer).json()["revoked_at"]
    assert Client().get("/api/v1/tokens", **bearer).status_code == 401  # revoked: at once
    stranger = {"HTTP_AUTHORIZATION": f"Bearer {theirs}"}
    assert Client().post(f"/api/v1/tokens/{token_id}/revoke", **stranger).status_code == 404
    from api.models import digest

    for age, lives in [(91, False), (30, True)]:  # made before tokens expired: 90 days
        ApiToken.objects.create(
            user=user,
            name=f"old {age}",
            prefix="cl_old00",
            token_hash=digest(f"cl_old{age}"),
            created_at=timezone.now() - timedelta(days=age),
        )
        assert (ApiToken.user_for(f"cl_old{age}") is not None) is lives


def test_behind_the_proxy_the_clients_address_is_counted_not_one_it_names(rf: Any) -> None:
    from config.client_ip import client_ip

    request = rf.get("/", REMOTE_ADDR="172.16.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 81.2.69.160")
    assert client_ip(request) == "172.16.0.2"  # no proxy trusted: the socket's
    with override_settings(CARELEDGER_TRUSTED_PROXIES=1):
        assert client_ip(request) == "81.2.69.160"  # what the proxy saw; 6.6.6.6 was forged
