"""Working days: payment dates move off weekends and bank holidays.

``WorkingDays`` is pure (the holidays are given to it), so the schedule's rules are tested on
any calendar; ``england_and_wales()`` builds it from the data ``govuk-bank-holidays`` ships,
offline (the package can fetch GOV.UK's feed; careledger never asks it to, so a payment date
never depends on the network).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache


class CalendarError(Exception):
    """A date beyond the bank holidays the calendar knows."""


@dataclass(frozen=True)
class WorkingDays:
    holidays: frozenset[date]
    # The last day the holidays are known for: past it, a date could be a holiday nobody told us.
    known_until: date

    @classmethod
    def of(cls, holidays: Iterable[date], *, known_until: date) -> WorkingDays:
        return cls(frozenset(holidays), known_until)

    def is_working_day(self, day: date) -> bool:
        if day > self.known_until:
            raise CalendarError(
                f"bank holidays are known only until {self.known_until:%-d %B %Y}: update"
                " govuk-bank-holidays to schedule payments after it"
            )
        return day.weekday() < 5 and day not in self.holidays

    def on_or_before(self, day: date) -> date:
        """The day itself if it is a working day, else the working day before it (a payment
        in advance must be in the account by the day its period starts)."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_before(self, day: date, count: int) -> date:
        """The working day ``count`` working days before ``day`` (Bacs: the file's run)."""
        for _ in range(count):
            day = self.on_or_before(day - timedelta(days=1))
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 for the same day)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def holidays_between(self, start: date, end: date) -> list[date]:
        return sorted(d for d in self.holidays if start <= d <= end)


@cache
def england_and_wales() -> WorkingDays:
    """England and Wales's bank holidays, from the data the package ships."""
    from govuk_bank_holidays.bank_holidays import BankHolidays

    holidays = BankHolidays(use_cached_holidays=True).get_holidays(
        division=BankHolidays.ENGLAND_AND_WALES
    )
    days = [h["date"] for h in holidays]
    # The shipped data runs to the end of the last year it lists.
    return WorkingDays.of(days, known_until=date(max(days).year, 12, 31))
