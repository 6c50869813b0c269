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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from payments import stripe
from payments.bacs import BacsError, BacsFile, Credit, Originator, bacs_text, write
from payments.calendar import WorkingDays, england_and_wales
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
    """Standard 18 files in ``CARELEDGER_BACS_DIR``, for finance to submit through the
    council's bank (Bacstel-IP). Bacs is a three-day cycle (input, processing, entry): a file's
    processing day is three working days before the pay date (``CARELEDGER_BACS_LEAD_DAYS``),
    moved off weekends and bank holidays, so the run that makes it (the input day) is the
    working day before that, and its files' processing day is the working day after the run.

    **A file once written is never written again**: finance may already have sent it to the
    bank. A run worked again puts only what no file of that day holds into a new file, with its
    own number and serial; a payment already in one (the run crashed before it recorded the
    file) is found there by its reference and recorded as sent in it, so no credit is ever in
    two files."""

    name = RailName.BACS
    settles_against = COUNCIL_BANK

    def __init__(
        self,
        *,
        originator: Originator,
        folder: Path,
        lead_days: int = 3,
        calendar: WorkingDays | None = None,
    ) -> None:
        self.originator = originator
        self.folder = folder
        self.lead_days = lead_days
        self.calendar = calendar

    def run_day(self, pay_on: date, calendar: WorkingDays) -> date:
        """The input day: the working day before the processing day, which is ``lead_days``
        working days before the pay date."""
        return calendar.working_days_before(pay_on, self.lead_days + 1)

    def processing_day(self, pay_on: date, calendar: WorkingDays) -> date:
        return calendar.working_days_before(pay_on, self.lead_days)

    def files_for(self, run_on: date) -> list[Path]:
        """The day's files, in the order they were written."""
        found = self.folder.glob(f"bacs-{run_on.isoformat()}-*.txt")
        return sorted(found, key=lambda p: int(p.stem.rsplit("-", 1)[1]))

    def file_for(self, run_on: date) -> Path:
        """The day's first file."""
        return self.folder / f"bacs-{run_on.isoformat()}-1.txt"

    def _written(self, run_on: date) -> dict[str, str]:
        """Each reference in the day's files, and the file it is in."""
        from payments.bacs import parse

        written: dict[str, str] = {}
        for path in self.files_for(run_on):
            for credit in parse(path.read_text(encoding="ascii")).credits:
                written.setdefault(credit.reference, path.name)
        return written

    def send(self, payments: Sequence[Payment], *, run_on: date) -> list[Outcome]:
        written = self._written(run_on)
        credits: list[tuple[Payment, Credit]] = []
        outcomes: dict[str, Outcome] = {}
        for p in payments:
            reference = bacs_text(_reference(p.key), 18).rstrip()  # as the file keeps it
            if reference in written:  # in a file already: sent, never again
                outcomes[p.key] = Outcome(p.key, ref=f"{written[reference]}#{reference}")
                continue
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
                            reference=reference,
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
            number = len(self.files_for(run_on)) + 1
            path = self.folder / f"bacs-{run_on.isoformat()}-{number}.txt"
            calendar = self.calendar or england_and_wales()
            processing = calendar.on_or_after(run_on + timedelta(days=1))
            file = BacsFile(
                self.originator,
                _serial(run_on, number),
                run_on,
                processing,
                tuple(c for _, c in credits),
            )
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            partial.write_text(write(file), encoding="ascii")
            partial.replace(path)  # whole or not at all: a reader never sees half a file
            for p, credit in credits:
                outcomes[p.key] = Outcome(p.key, ref=f"{path.name}#{credit.reference}")
        return [outcomes[p.key] for p in payments]


def _reference(key: str) -> str:
    """What the payee sees on their statement, and how a payment is found in a file again:
    "DP DN-000123 P01" for a direct payment, "INV 1a2b3c4d5e6f7a" for a provider's payment."""
    kind, _, rest = key.removeprefix("payments:").partition(":")
    if kind == "dp":
        return "DP " + " ".join(rest.split(":"))
    return f"{kind[:3].upper()} {rest.replace('-', '')[:14].upper()}"


def _serial(run_on: date, number: int) -> int:
    """Six digits: the year, the day of the year, the file's number that day."""
    return int(f"{run_on:%y}{run_on.timetuple().tm_yday:03d}{number % 10}")


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
