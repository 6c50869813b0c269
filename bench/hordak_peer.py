#!/usr/bin/env python
"""django-hordak, measured for bench/peers.py: a worker run by the Python of hordak's own
virtual environment (``.bench-venvs/hordak``, which bench/peers.py creates), in the small
Django project of bench/hordak_settings.py, on a database of its own on the same cluster.

Kinds (the ``kind`` of the spec read on stdin, see bench/protocol.py):

setup    migrate, open the fund (an asset) and each group's 20 counterpart accounts (liabilities)
singles  ``Account.transfer_to`` (one transaction of two legs, atomic) per call
batch    ``Transaction.objects.bulk_create`` then ``Leg.objects.bulk_create`` in one atomic block
writer   ``transfer_to`` from the shared fund to the writer's own counterparts, for a fixed time

Hordak checks that a transaction's legs balance (a deferred trigger per leg) and that a leg's
currency is its account's; it has no overdraft rule, no closed accounts and no idempotency key.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from bench.protocol import Run, serve  # noqa: E402

COUNTERPARTIES = 20


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.hordak_settings"
    os.environ["HORDAK_DATABASE_URL"] = url
    import django

    django.setup()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def codes(group: str) -> list[str]:
    return [f"{group}{k:02d}" for k in range(COUNTERPARTIES)]


class Flow:
    """Transfers from the fund to one group's counterparts, with random amounts."""

    def __init__(self, group: str, seed: int) -> None:
        from hordak.models import Account
        from moneyed import Money

        self.money = Money
        self.fund = Account.objects.get(code="FUND")
        found = {a.code: a for a in Account.objects.filter(code__in=codes(group))}
        self.counterparts = [found[c] for c in codes(group)]
        self.random = random.Random(seed)
        self.serial = 0

    def amount(self) -> Any:
        return self.money(Decimal(self.random.randint(1, 100_000)) / 100, "GBP")

    def transfer(self) -> None:
        self.serial += 1
        to = self.counterparts[self.serial % COUNTERPARTIES]
        self.fund.transfer_to(to, self.amount(), description="benchmark")


def prepare(spec: dict[str, Any]) -> Run:
    setup_django(spec["url"])
    kind = spec["kind"]
    if kind == "setup":
        return prepare_setup(spec)
    if kind == "singles":
        return prepare_singles(spec)
    if kind == "batch":
        return prepare_batch(spec)
    if kind == "writer":
        return prepare_writer(spec)
    raise SystemExit(f"unknown kind {kind!r}")


def prepare_setup(spec: dict[str, Any]) -> Run:
    from importlib import metadata

    from django.core.management import call_command
    from django.db import connection
    from hordak.models import Account, AccountType

    def run(start: float) -> dict[str, Any]:
        call_command("migrate", verbosity=0)
        Account.objects.create(name="Fund", code="FUND", type=AccountType.asset, currencies=["GBP"])
        for group in spec["groups"]:
            for code in codes(group):
                Account.objects.create(
                    name=f"Budget {code}", code=code, type=AccountType.liability, currencies=["GBP"]
                )
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            server = cur.fetchone()[0]
        return {
            "versions": {
                name: metadata.version(name)
                for name in ("django-hordak", "Django", "django-mptt", "django-money", "psycopg")
            },
            "python": sys.version.split()[0],
            "server": server,
        }

    return run


def prepare_singles(spec: dict[str, Any]) -> Run:
    flow = Flow(spec["group"], spec["seed"])
    for _ in range(spec.get("warmup", 50)):
        flow.transfer()

    def run(start: float) -> dict[str, Any]:
        latencies = []
        begin = time.perf_counter()
        for _ in range(spec["count"]):
            t0 = time.perf_counter()
            flow.transfer()
            latencies.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - begin
        return {
            "count": spec["count"],
            "seconds": seconds,
            "rate": spec["count"] / seconds,
            "p50_ms": 1000 * pct(latencies, 50),
            "p99_ms": 1000 * pct(latencies, 99),
        }

    return run


def prepare_batch(spec: dict[str, Any]) -> Run:
    from django.db import transaction as db_transaction
    from hordak.models import Leg, Transaction

    flow = Flow(spec["group"], spec["seed"])

    def build(n: int) -> tuple[list[Any], list[Any]]:
        """``n`` transactions of two legs each, as hordak's own create_benchmark_transactions."""
        transactions, legs = [], []
        for i in range(n):
            amount = flow.amount()
            tx = Transaction(description="benchmark")
            transactions.append(tx)
            legs.append(Leg(transaction=tx, account=flow.fund, credit=amount))
            legs.append(
                Leg(transaction=tx, account=flow.counterparts[i % COUNTERPARTIES], debit=amount)
            )
        return transactions, legs

    def save(transactions: list[Any], legs: list[Any]) -> None:
        with db_transaction.atomic():
            Transaction.objects.bulk_create(transactions)
            Leg.objects.bulk_create(legs)

    save(*build(50))  # warm-up

    def run(start: float) -> dict[str, Any]:
        times, build_times = [], []
        for _ in range(spec["repeat"]):
            t0 = time.perf_counter()
            built = build(spec["count"])
            t1 = time.perf_counter()
            save(*built)
            times.append(time.perf_counter() - t1)
            build_times.append(t1 - t0)
        seconds = statistics.median(times)
        return {
            "count": spec["count"],
            "seconds": seconds,
            "rate": spec["count"] / seconds,
            "all_seconds": times,
            "build_us": 1e6 * statistics.median(build_times) / spec["count"],
        }

    return run


def prepare_writer(spec: dict[str, Any]) -> Run:
    flow = Flow(spec["group"], spec["seed"])
    for _ in range(spec.get("warmup", 20)):
        flow.transfer()

    def run(start: float) -> dict[str, Any]:
        deadline = start + spec["seconds"]
        count = errors = 0
        while time.time() < deadline:
            try:
                flow.transfer()
                count += 1
            except Exception as error:  # a writer keeps going; the harness reports the count
                errors += 1
                if errors == 1:
                    print(f"hordak writer: {error!r}", file=sys.stderr)
        seconds = time.time() - start
        return {"count": count, "errors": errors, "seconds": seconds, "rate": count / seconds}

    return run


if __name__ == "__main__":
    serve(prepare)
