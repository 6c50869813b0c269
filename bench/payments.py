#!/usr/bin/env python
"""Payment runs and invoice validation, measured (issue 10). Run it through
``bash bench/run.sh --payments [--count N]``, which starts a throwaway PostgreSQL cluster; by
hand, with DATABASE_URL naming a PostgreSQL database::

    bench/payments.py [--count 10000] [--json F]

It sets up ``--count`` people, each with a year's budget in the ledger and a 4-weekly direct
payment, then measures on the same cluster:

- a run of every first payment on the **Bacs** rail (one Standard 18 file), and on the
  **Stripe** rail (a transfer each, through the official SDK, against the local Stripe server
  started here on a free port);
- ``--count`` **invoice validations** (``Invoice.submit``: every rule, on facts given), and a
  sample of whole submissions (facts gathered from the register, marketplace and plan, then
  saved with their claim).

For each run: items per second, the cost per item, and the share of the run spent in
careledger's own code against waiting for the rail (the time inside ``Rail.send``: the SDK,
the network and the server; target: ours at most 20%). The local Stripe server shares the
machine's cores, so its own time is counted as the rail's, as Stripe's would be.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Each run its own event-store schemas, so a second run starts from nothing.
os.environ.setdefault("EVENTSTORE_SCHEMA", f"bench_pay_{uuid.uuid4().hex[:8]}")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class TimedRail:
    """A rail whose ``send`` is timed: what the run waits on the rail for."""

    def __init__(self, rail: Any) -> None:
        self.rail = rail
        self.name = rail.name
        self.settles_against = rail.settles_against
        self.waited = 0.0

    def run_day(self, pay_on: date, calendar: Any) -> date:
        return self.rail.run_day(pay_on, calendar)  # type: ignore[no-any-return]

    def send(self, payments: Any, *, run_on: date) -> Any:
        start = time.perf_counter()
        try:
            return self.rail.send(payments, run_on=run_on)
        finally:
            self.waited += time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stripe_server() -> tuple[subprocess.Popen[bytes], str]:
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.stripe_server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(base + "/_config/health", timeout=1):
                return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the local Stripe server did not start")


def set_up(count: int, stripe_account: str) -> list[str]:
    """``count`` budgets with a year allocated and a direct payment from next Monday."""
    from budgets.budget import BudgetFigures
    from config.actor import Actor
    from config.roles import Role
    from ledger.domain import EntryDraft, Owner
    from ledger.services import ledger_app
    from payments.application import payments_app
    from payments.direct_payments import Amounts, BankAccount, DirectPaymentAgreement, Payee

    ledger = ledger_app()
    for code, kind in [
        ("COUNCIL:CARE-FUND", "equity"),
        ("COUNCIL:BANK", "asset"),
        ("STRIPE:CLEARING", "asset"),
    ]:
        ledger.open_account(code=code, name=code, type=kind, actor="bench")
    budgets = ledger.journal(Actor.system(), context=Owner.BUDGETS)
    today = date.today()
    start = today + timedelta(days=7 - today.weekday())
    figures = BudgetFigures(
        total_weekly=30000, contribution_weekly=4000, direct_payment_weekly=30000
    )
    refs = [f"BP-{n:06d}" for n in range(count)]
    app = payments_app()
    worker = Actor(id="bench.worker", roles=frozenset({Role.SOCIAL_WORKER}))
    for chunk in range(0, count, 1000):
        batch = refs[chunk : chunk + 1000]
        for ref in batch:
            for code, kind, no_overdraft in [
                (f"PB:{ref}:AVAILABLE", "liability", True),
                (f"CONTRIBUTION:{ref}:DUE", "asset", False),
            ]:
                budgets.open_account(
                    code=code,
                    name=code,
                    type=kind,
                    owner_kind="budget",
                    owner_id=ref,
                    no_overdraft=no_overdraft,
                )
        budgets.post_entries(
            [
                EntryDraft.create(
                    idempotency_key=f"budget:{ref}:allocation",
                    kind="allocation",
                    legs=[
                        {"account": "COUNCIL:CARE-FUND", "side": "debit", "amount": 1_560_000},
                        {"account": f"PB:{ref}:AVAILABLE", "side": "credit", "amount": 1_560_000},
                    ],
                    effective_at=None,
                    actor="bench",
                    reason="a year's budget",
                    budget=ref,
                )
                for ref in batch
            ]
        )
        agreements = [
            DirectPaymentAgreement.agree(
                budget_ref=ref,
                person=ref,
                needs=["Managing and maintaining nutrition"],
                amounts=Amounts.create(figures.direct_payment_weekly, figures.netted_weekly),
                method="net",
                start=start,
                today=today,
                payee=Payee.create(
                    kind="person",
                    name=f"Person {ref}",
                    stripe_account=stripe_account,
                    bank=BankAccount.create(
                        sort_code="200000", account_number=f"{n:08d}", name=f"Person {ref}"
                    ),
                ),
                has_capacity=True,
                actor=worker.id,
            )
            for n, ref in enumerate(batch, start=chunk)
        ]
        app.save(*agreements)
        log(f"  set up {min(chunk + 1000, count):,} of {count:,}")
    return refs


def measure_run(rail: Any, run_on: date, label: str) -> dict[str, Any]:
    from config.actor import Actor
    from ledger.domain import Owner
    from ledger.services import ledger_app
    from payments.application import payments_app
    from payments.calendar import england_and_wales

    app = payments_app()
    journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
    timed = TimedRail(rail)
    t0 = time.perf_counter()
    run = app.start_run(Actor.system(), rail=timed, run_on=run_on, calendar=england_and_wales())  # type: ignore[arg-type]
    picked = time.perf_counter() - t0
    report = app.work_run(Actor.system(), run, rail=timed, journal=journal)  # type: ignore[arg-type]
    total = time.perf_counter() - t0
    items = report.paid + len(report.failed) + report.pending
    ours = total - timed.waited
    result: dict[str, Any] = {
        "rail": label,
        "items": items,
        "paid": report.paid,
        "failed": len(report.failed),
        "seconds": total,
        "picking_seconds": picked,
        "rail_seconds": timed.waited,
        "per_item_ms": 1000 * total / max(items, 1),
        "ours_per_item_ms": 1000 * ours / max(items, 1),
        "ours_share": ours / total if total else 0,
        "items_per_second": items / total if total else 0,
    }
    log(
        f"  {label}: {items:,} in {total:.1f}s ({result['items_per_second']:,.0f}/s,"
        f" {result['per_item_ms']:.2f} ms each); ours {100 * result['ours_share']:.0f}%,"
        f" the rail {timed.waited:.1f}s; picking {picked:.1f}s"
    )
    return result


def measure_validations(count: int) -> dict[str, Any]:
    from payments.invoices import Invoice, InvoiceFacts

    provider, engagement = uuid.uuid4(), uuid.uuid4()
    facts = InvoiceFacts(True, provider, "BP-1", True, date.today(), 45000, 45000, True, "")
    today = date.today()
    t0 = time.perf_counter()
    for n in range(count):
        Invoice.submit(
            provider=provider,
            number=f"INV-{n}",
            kind="support_plan",
            engagement=engagement,
            service_date=today,
            amount=45000,
            facts=facts,
            today=today,
            actor="bench",
        )
    seconds = time.perf_counter() - t0
    log(f"  {count:,} invoice validations in {seconds:.2f}s ({1e6 * seconds / count:.0f} us each)")
    return {"count": count, "seconds": seconds, "per_item_us": 1e6 * seconds / count}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    stripe_process, base = start_stripe_server()
    os.environ.update(STRIPE_API_KEY="sk_test_bench", STRIPE_API_BASE=base)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from payments import stripe as pay
    from payments.bacs import Originator
    from payments.rails import BacsRail, StripeRail

    try:
        account = pay.create_connected_account(
            provider_id="bench", email="bench@example.org", name="Bench"
        )
        import urllib.request

        urllib.request.urlopen(
            urllib.request.Request(
                f"{base}/_config/accounts/{account}/complete_onboarding", data=b"{}", method="POST"
            ),
            timeout=10,
        ).read()
        pay.top_up(
            amount_pence=args.count * 200_000, idempotency_key=f"b-{uuid.uuid4()}", description="b"
        )
        log(f"setting up {args.count:,} people with direct payments")
        t0 = time.perf_counter()
        set_up(args.count, account)
        setup_seconds = time.perf_counter() - t0
        today = date.today()
        monday = today + timedelta(days=7 - today.weekday())
        from payments.calendar import england_and_wales

        bacs = BacsRail(
            originator=Originator("123456", "Bench Council", "400000", "00000001"),
            folder=Path(tempfile.mkdtemp(prefix="bench-bacs-")),
        )
        log("a Bacs run")
        bacs_day = bacs.run_day(england_and_wales().on_or_before(monday), england_and_wales())
        bacs_result = measure_run(bacs, bacs_day, "bacs")
        # The same people's second payments, on Stripe: a fresh run of as many items.
        log("a Stripe run")
        second = monday + timedelta(weeks=4)
        stripe_result = measure_run(
            StripeRail(), england_and_wales().on_or_before(second), "stripe"
        )
        log("invoice validations")
        validations = measure_validations(args.count)
    finally:
        stripe_process.terminate()
    result = {
        "count": args.count,
        "setup_seconds": setup_seconds,
        "runs": [bacs_result, stripe_result],
        "validations": validations,
        "load": os.getloadavg(),
        "machine": f"{os.cpu_count()} cores",
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
