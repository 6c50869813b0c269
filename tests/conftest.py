"""Fixtures shared by every layer: a fresh event store per test, users with roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ledger.domain import EntryDraft

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def draft(key: str, legs: list[tuple[str, str, Any]], **overrides: Any) -> EntryDraft:
    fields: dict[str, Any] = {
        "idempotency_key": key,
        "kind": "allocation",
        "legs": [{"account": a, "side": s, "amount": p} for a, s, p in legs],
        "effective_at": NOW,
        "actor": "tester",
        "reason": "a test entry",
    }
    fields.update(overrides)
    return EntryDraft.create(**fields)


def is_postgres() -> bool:
    from django.conf import settings

    return settings.EVENTSTORE["PERSISTENCE_MODULE"] == "eventsourcing.postgres"


def pg_connect() -> Any:
    import psycopg
    from django.conf import settings

    env = settings.EVENTSTORE
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
    )


class FreshStore:
    """Points the ledger application at a new, empty event store."""

    def __init__(self, settings: Any, tmp_path: Any) -> None:
        self.settings = settings
        self.tmp_path = tmp_path
        self.schemas: list[str] = []
        self.base = dict(settings.EVENTSTORE)

    def new(self) -> Any:
        from config.applications import reset_applications
        from ledger.services import ledger_app

        env = dict(self.base)
        if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
            env["SQLITE_DBNAME"] = str(self.tmp_path / f"events-{uuid.uuid4().hex[:8]}.sqlite3")
        else:
            # The prefix of this test's schemas: each application makes its own under it.
            schema = "t_" + uuid.uuid4().hex[:16]
            self.schemas.append(schema)
            env["POSTGRES_SCHEMA"] = schema
        self.settings.EVENTSTORE = env
        reset_applications()
        return ledger_app()

    def drop(self) -> None:
        from config.applications import reset_applications

        reset_applications()
        if self.schemas:
            with pg_connect() as conn:
                for prefix in self.schemas:
                    found = conn.execute(
                        "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",)
                    ).fetchall()
                    for (schema,) in found:
                        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def stores(settings: Any, tmp_path: Any) -> Iterator[FreshStore]:
    fresh = FreshStore(settings, tmp_path)
    yield fresh
    fresh.drop()


@pytest.fixture
def app(stores: FreshStore) -> Any:
    """The ledger application on an empty event store, with the demo chart's core accounts."""
    ledger = stores.new()
    for code, type_ in [
        ("FUND", "equity"),
        ("BANK", "asset"),
        ("PB-1", "liability"),
        ("PB-2", "liability"),
        ("PROVIDER-1", "liability"),
    ]:
        ledger.open_account(code=code, name=f"Account {code}", type=type_, actor="tester")
    return ledger


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db: Any) -> Any:
    from django.contrib.auth.models import Group, User

    def make(username: str, *roles: str, password: str = "correct horse battery") -> Any:
        user = User.objects.create_user(username=username, password=password)
        for role in roles:
            # get_or_create: transactional tests flush the groups the migration made.
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def council(stores: Any) -> Any:
    """Fresh event stores with the tariff in force: £450 plan, £200 review, £25 money management."""
    from config.actor import Actor
    from config.roles import Role
    from marketplace.services import marketplace_app

    stores.new()
    today = date.today()
    marketplace_app().publish_tariff(
        today=today,
        actor=Actor(id="council", roles=frozenset({Role.REGISTER_ADMIN})),
        effective_from=today - timedelta(days=30),
        support_plan_fee=45000,
        annual_review_fee=20000,
        money_management_fee=2500,
        deductions=[],
        note="Demo tariff",
    )
    return stores
