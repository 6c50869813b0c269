"""The payment rails behind one port: Stripe Connect transfers, or a Bacs Standard 18 file.

The ledger stays the record; a rail only moves money and says what it did. Each council
chooses its rail (``CARELEDGER_RAIL``), and each payment records which rail paid it. A rail is
asked to ``send`` a batch of payments whose payables are posted, and answers for each: sent
(with its reference), or failed (with Stripe's or the file's reason, and whether another try
could succeed). Sending again what was sent before returns the first result: Stripe's rail
looks for the transfer by its group (the payment's key) before it creates one, with an
idempotency key derived from the payable's ledger entry; Bacs's writes the run's one file
again, whole, under the same name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from payments import stripe
from payments.bacs import BacsError, BacsFile, Credit, Originator, write
from payments.calendar import WorkingDays
from payments.runs import Payment, RailName, rail_idempotency_key

# What each rail settles against in the ledger (docs/ledger.md, 3.4 and 3.5).
STRIPE_CLEARING = "STRIPE:CLEARING"
COUNCIL_BANK = "COUNCIL:BANK"


@dataclass(frozen=True)
class Outcome:
    key: str
    ref: str = ""
    failure: str = ""
    retryable: bool = True

    @property
    def sent(self) -> bool:
        return bool(self.ref)


class Rail(ABC):
    name: RailName
    settles_against: str

    @abstractmethod
    def run_day(self, pay_on: date, calendar: WorkingDays) -> date:
        """The day a run must carry a payment due on ``pay_on``."""

    @abstractmethod
    def send(self, payments: Sequence[Payment], *, run_on: date) -> list[Outcome]:
        """Send each payment (its payable posted); Bacs is given all of a run's at once."""


class StripeRail(Rail):
    """Transfers to each payee's connected account (the official SDK, payments/stripe.py)."""

    name = RailName.STRIPE
    settles_against = STRIPE_CLEARING

    def run_day(self, pay_on: date, calendar: WorkingDays) -> date:
        return pay_on  # a transfer reaches the connected account at once

    def send(self, payments: Sequence[Payment], *, run_on: date) -> list[Outcome]:
        return [self._send(p) for p in payments]

    def _send(self, payment: Payment) -> Outcome:
        account = payment.destination.stripe_account
        if not account:
            return Outcome(
                payment.key,
                failure=f"{payment.destination.name} has no Stripe connected account to pay into",
                retryable=False,
            )
        assert payment.entry is not None
        try:
            found = stripe.find_transfer(transfer_group=payment.key)
            if found is not None:
                return Outcome(payment.key, ref=found)
            ref = stripe.transfer(
                account_id=account,
                amount_pence=payment.net,
                idempotency_key=rail_idempotency_key(payment.entry),
                transfer_group=payment.key,
                metadata={"payment": payment.key, "ledger_entry": str(payment.entry)},
            )
        except stripe.StripeFailure as failure:
            return Outcome(payment.key, failure=failure.message, retryable=_retryable(failure))
        return Outcome(payment.key, ref=ref)


def _retryable(failure: stripe.StripeFailure) -> bool:
    """Stripe down, slow or busy, or the platform balance short: another run may succeed.
    A refusal of the request itself (no such account, onboarding not done) needs a person."""
    if failure.http_status is None or failure.http_status >= 500 or failure.http_status == 429:
        return True
    return failure.code in {"balance_insufficient", "lock_timeout", "rate_limit"}


class BacsRail(Rail):
    """One Standard 18 file per run, in ``CARELEDGER_BACS_DIR``, for finance to submit through
    the council's bank (Bacstel-IP). Bacs is a three-day cycle, so a run carries the payments
    due three working days on (``CARELEDGER_BACS_LEAD_DAYS``)."""

    name = RailName.BACS
    settles_against = COUNCIL_BANK

    def __init__(self, *, originator: Originator, folder: Path, lead_days: int = 3) -> None:
        self.originator = originator
        self.folder = folder
        self.lead_days = lead_days

    def run_day(self, pay_on: date, calendar: WorkingDays) -> date:
        return calendar.working_days_before(pay_on, self.lead_days)

    def file_for(self, run_on: date) -> Path:
        return self.folder / f"bacs-{run_on.isoformat()}.txt"

    def send(self, payments: Sequence[Payment], *, run_on: date) -> list[Outcome]:
        credits: list[tuple[Payment, Credit]] = []
        outcomes: dict[str, Outcome] = {}
        for p in payments:
            d = p.destination
            try:
                credits.append(
                    (
                        p,
                        Credit(
                            sort_code=d.sort_code,
                            account_number=d.account_number,
                            name=d.name,
                            amount=p.net,
                            reference=_reference(p.key),
                        ),
                    )
                )
            except BacsError as bad:
                outcomes[p.key] = Outcome(
                    p.key,
                    failure=f"{d.name}'s bank details: {bad.field} {bad.message}",
                    retryable=False,
                )
        if credits:
            # The file is the run's, whole: every payment it carries by Bacs, sent before or
            # now (the application passes them all), so writing it again never pays twice.
            path = self.file_for(run_on)
            file = BacsFile(
                self.originator, _serial(run_on), run_on, run_on, tuple(c for _, c in credits)
            )
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            partial.write_text(write(file), encoding="ascii")
            partial.replace(path)  # whole or not at all: a reader never sees half a file
            for line, (p, _) in enumerate(credits, start=5):
                outcomes[p.key] = Outcome(p.key, ref=f"{path.name}#{line}")
        return [outcomes[p.key] for p in payments]


def _reference(key: str) -> str:
    """A payee sees this on their statement: "DP DN-000123 P01"."""
    return "DP " + " ".join(key.removeprefix("payments:dp:").split(":"))


def _serial(run_on: date) -> int:
    return int(f"{run_on:%y}{run_on.timetuple().tm_yday:03d}") % 1_000_000


def rail_from_settings(settings: Any = None) -> Rail:
    """The council's rail: ``CARELEDGER_RAIL`` (stripe, the default, or bacs)."""
    if settings is None:
        from django.conf import settings
    name = getattr(settings, "PAYMENT_RAIL", "stripe")
    return rail_named(name, settings)


def rail_named(name: str, settings: Any) -> Rail:
    if RailName(name) is RailName.STRIPE:
        return StripeRail()
    bacs = settings.BACS
    return BacsRail(
        originator=Originator(
            sun=bacs["SUN"],
            name=bacs["NAME"],
            sort_code=bacs["SORT_CODE"],
            account_number=bacs["ACCOUNT_NUMBER"],
        ),
        folder=Path(bacs["DIR"]),
        lead_days=int(bacs["LEAD_DAYS"]),
    )
