"""Checks the ledger against its own history: the hash chain and the read models' sums."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, F, Sum, When, Window

from ledger import models
from ledger.application import LedgerApplication
from ledger.chain import GENESIS, chain_hash
from ledger.domain import Account, Hold, JournalEntry, Leg, Side


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


def verify_balances(app: LedgerApplication, batch_size: int = 5000) -> list[str]:
    """Check the read models against the events themselves.

    Every account's balance must equal the sum of its legs replayed from the event store,
    all balances must sum to zero, and every stored running balance must equal the sum of
    the account's legs up to it in effective-date order (what an as-at balance reads).
    What pending holds reserve on each account (its pending debits and credits) must equal
    the holds replayed from the events, the legs still held in the read model must add up to
    it, and pending debits must equal pending credits, as every hold balances.
    The command side's guard table (ledger/guard.py), which posts check, must agree with the
    same replay: a row for every account opened, closed as its events say, with the balance
    its entries sum to and the holds its pending holds reserve.
    """
    problems = []
    replayed: dict[str, int] = defaultdict(int)
    # account code -> [pending debits, pending credits]; hold id -> its legs
    pending: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    held: dict[object, list[Leg]] = {}
    opened: dict[str, bool] = {}  # account code -> closed
    codes: dict[object, str] = {}
    position = 0
    while notifications := app.recorder.select_notifications(
        start=position, limit=batch_size, inclusive_of_start=False
    ):
        for notification in notifications:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, JournalEntry.Posted):  # type: ignore[attr-defined]
                for leg in event.legs:
                    replayed[leg["account"]] += Leg.from_dict(leg).signed
            elif isinstance(event, Account.Opened):  # type: ignore[attr-defined]
                codes[event.originator_id] = event.code
                opened[event.code] = False
            elif isinstance(event, Account.Closed):  # type: ignore[attr-defined]
                opened[codes[event.originator_id]] = True
            elif isinstance(event, Hold.Placed):  # type: ignore[attr-defined]
                legs = held[event.originator_id] = [Leg.from_dict(leg) for leg in event.legs]
                for leg in legs:
                    pending[leg.account][0 if leg.side is Side.DEBIT else 1] += leg.amount
            elif isinstance(event, Hold.Posted | Hold.Voided | Hold.Expired):  # type: ignore[attr-defined]
                for leg in held.pop(event.originator_id, []):
                    pending[leg.account][0 if leg.side is Side.DEBIT else 1] -= leg.amount
            position = notification.id
    problems.extend(_guard_problems(app, opened, replayed, pending))
    total = models.Account.objects.aggregate(total=Sum("balance"))["total"] or 0
    if total != 0:
        problems.append(f"account balances sum to {total}p, not zero")
    sums = models.Account.objects.aggregate(
        debits=Sum("pending_debits"), credits=Sum("pending_credits")
    )
    if (sums["debits"] or 0) != (sums["credits"] or 0):
        problems.append(
            f"pending holds debit {sums['debits'] or 0}p but credit {sums['credits'] or 0}p"
        )
    still_held: dict[tuple[object, str], int] = {}
    for account_id, side, amount in (
        models.HoldLeg.objects.filter(released_at__isnull=True)
        .values("account_id", "side")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "side", "total")
    ):
        still_held[(account_id, side)] = amount
    for account in models.Account.objects.all().iterator():
        if replayed.get(account.code, 0) != account.balance:
            problems.append(
                f"account {account.code} shows {account.balance}p but its events sum to "
                f"{replayed.get(account.code, 0)}p"
            )
        expected = pending.get(account.code, [0, 0])
        shown = [account.pending_debits, account.pending_credits]
        in_legs = [
            still_held.get((account.id, "debit"), 0),
            still_held.get((account.id, "credit"), 0),
        ]
        if shown != expected:
            problems.append(
                f"account {account.code} shows holds of {shown[0]}p debit and {shown[1]}p"
                f" credit but its events hold {expected[0]}p and {expected[1]}p"
            )
        elif in_legs != shown:
            problems.append(
                f"account {account.code} shows holds of {shown[0]}p debit and {shown[1]}p"
                f" credit but its pending hold legs add up to {in_legs[0]}p and {in_legs[1]}p"
            )
    signed = Case(When(side="debit", then=F("amount")), default=-F("amount"))
    running = models.Line.objects.annotate(
        replay=Window(
            Sum(signed), partition_by=[F("account_id")], order_by=[F("effective_at"), F("id")]
        )
    ).values("id", "running_balance", "replay")
    wrong = [row for row in running.iterator() if row["replay"] != row["running_balance"]]
    if wrong:
        problems.append(
            f"{len(wrong)} running balances disagree with their legs (first: line {wrong[0]['id']})"
        )
    return problems


def _guard_problems(
    app: LedgerApplication,
    opened: dict[str, bool],
    replayed: dict[str, int],
    pending: dict[str, list[int]],
) -> list[str]:
    problems = []
    rows = app.guard.all()
    for code, closed in opened.items():
        row = rows.get(code)
        if row is None:
            problems.append(f"account {code} has no guard row: posts to it cannot be checked")
            continue
        if row.is_closed != closed:
            problems.append(
                f"account {code} is {'closed' if row.is_closed else 'open'} in the guard table"
                f" but {'closed' if closed else 'open'} by its events"
            )
        # An account from before balances were kept shows only what its own events kept.
        if row.keeps_balance and row.balance != replayed.get(code, 0):
            problems.append(
                f"account {code} has {row.balance}p in the guard table but its entries sum to"
                f" {replayed.get(code, 0)}p"
            )
        expected = pending.get(code, [0, 0])
        if [row.pending_debits, row.pending_credits] != expected:
            problems.append(
                f"account {code} holds {row.pending_debits}p debit and {row.pending_credits}p"
                f" credit in the guard table but its holds reserve {expected[0]}p and"
                f" {expected[1]}p"
            )
    for code in rows.keys() - opened.keys():
        problems.append(f"the guard table has a row for {code}, which was never opened")
    return problems
