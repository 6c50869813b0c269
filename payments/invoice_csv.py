"""A provider's invoices as a CSV batch, one invoice a line, each line answered on its own.

Columns (a header row first, in any order): ``engagement`` (its id), ``fee``
(support_plan, annual_review or money_management), ``number``, ``service_date`` (2027-03-27 or
27/03/2027) and ``amount`` (£450.00 or 450). A line that cannot be read is refused with its
column; a line read is submitted as one invoice would be, so every rule applies, and a good
line is accepted whatever the lines around it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from config.errors import DomainError
from ledger.money import MoneyError, parse_pounds

COLUMNS = ("engagement", "fee", "number", "service_date", "amount")
MAX_LINES = 1000


@dataclass(frozen=True)
class LineResult:
    line: int  # the file's line number (the header is line 1)
    number: str
    accepted: bool
    invoice: UUID | None = None
    field: str = ""
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "number": self.number,
            "accepted": self.accepted,
            "invoice": str(self.invoice) if self.invoice else None,
            "field": self.field,
            "message": self.message,
        }


class BatchError(DomainError):
    pass


def _date(text: str) -> date:
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    raise ValueError("must be a date like 2027-03-27 or 27/03/2027")


def rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    names = [(n or "").strip().lower() for n in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise BatchError(f"the header row lacks {', '.join(missing)}", field="file")
    reader.fieldnames = names
    for count, row in enumerate(reader, start=2):
        if count - 1 > MAX_LINES:
            raise BatchError(f"a batch has at most {MAX_LINES} lines", field="file")
        yield count, {k: (v or "").strip() for k, v in row.items() if k}


def submit_batch(text: str, submit: Callable[..., UUID]) -> list[LineResult]:
    """Submit each line through ``submit`` (the application's ``submit_invoice`` with the
    actor and the facts bound); return a result for every line."""
    results = []
    for line, row in rows(text):
        number = row.get("number", "")
        try:
            engagement = UUID(row["engagement"])
        except ValueError:
            results.append(
                LineResult(line, number, False, field="engagement", message="not an engagement id")
            )
            continue
        try:
            day = _date(row["service_date"])
        except ValueError as exc:
            results.append(LineResult(line, number, False, field="service_date", message=str(exc)))
            continue
        try:
            amount = parse_pounds(row["amount"])
        except MoneyError as exc:
            results.append(LineResult(line, number, False, field="amount", message=str(exc)))
            continue
        try:
            invoice = submit(
                engagement=engagement,
                number=number,
                kind=row["fee"],
                service_date=day,
                amount=amount,
            )
        except DomainError as refused:
            results.append(
                LineResult(line, number, False, field=refused.field or "", message=refused.message)
            )
            continue
        results.append(LineResult(line, number.upper(), True, invoice=invoice))
    return results
