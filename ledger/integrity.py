"""Checks the ledger against its own history: the hash chain and the read models' sums."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, F, Sum, When

from ledger import models
from ledger.application import LedgerApplication
from ledger.projections import GENESIS, chain_hash


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    head: str
    problem: str = ""


def verify_chain(app: LedgerApplication, batch_size: int = 5000) -> Verdict:
    """Recompute every link from the stored events and compare it with the recorded chain."""
    head = GENESIS
    count = 0
    position = 0
    links = models.ChainLink.objects.order_by("position").values_list("position", "hash")
    recorded = iter(links.iterator(chunk_size=batch_size))
    while True:
        notifications = app.recorder.select_notifications(
            start=position, limit=batch_size, inclusive_of_start=False
        )
        if not notifications:
            break
        for notification in notifications:
            link = next(recorded, None)
            if link is None:
                # Events not yet projected have no recorded link: the chain ends here.
                return Verdict(True, count, head)
            if link[0] != notification.id:
                return Verdict(
                    False,
                    count,
                    head,
                    f"event at position {link[0]} is missing from the event store "
                    f"(found position {notification.id} instead)",
                )
            head = chain_hash(head, notification)
            if head != link[1]:
                return Verdict(
                    False,
                    count,
                    head,
                    f"entry {notification.originator_id} (version "
                    f"{notification.originator_version}, position {notification.id}) does not "
                    "match its recorded hash: the stored event was changed",
                )
            count += 1
            position = notification.id
    if next(recorded, None) is not None:
        return Verdict(False, count, head, f"events after position {position} are missing")
    return Verdict(True, count, head)


def verify_balances() -> list[str]:
    """The read models' balances must equal the sum of their legs, and all must sum to zero."""
    problems = []
    total = models.Account.objects.aggregate(total=Sum("balance"))["total"] or 0
    if total != 0:
        problems.append(f"account balances sum to {total}p, not zero")
    signed = Case(When(side="debit", then=F("amount")), default=-F("amount"))
    replayed = dict(
        models.Line.objects.values("account_id")
        .annotate(total=Sum(signed))
        .values_list("account_id", "total")
    )
    for account in models.Account.objects.all().iterator():
        legs_total = replayed.get(account.id, 0)
        if legs_total != account.balance:
            problems.append(
                f"account {account.code} shows {account.balance}p but its legs sum to {legs_total}p"
            )
    return problems
