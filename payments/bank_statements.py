"""Bank statements read into lines finance can match (payments/reconciliation.py): MT940 (the
maintained ``mt-940`` parser), ISO 20022 camt.053 (``pycamt``), and a bank's own CSV read with
a saved column mapping. No Django: bytes in, lines out, every amount in integer pence.

A line's amount is signed as the bank sees the council's account: money out (a payment) is
negative, money in (a payment returned) positive. Its reference is what identifies the
payment: the Bacs reference careledger wrote ("DP DN-000123 P01"), as the bank gives it back.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

from config.errors import DomainError


class StatementError(DomainError):
    pass


class StatementKind(StrEnum):
    MT940 = "mt940"
    CAMT053 = "camt053"
    CSV = "csv"


@dataclass(frozen=True)
class BankLine:
    on: date
    amount: int  # pence; negative: out of the account
    reference: str
    description: str
    bank_ref: str = ""


@dataclass(frozen=True)
class CsvMapping:
    """Which column holds what in one bank's CSV export (saved once per bank)."""

    date: str
    reference: str
    description: str = ""
    amount: str = ""  # one signed column, or …
    debit: str = ""  # … money out and money in in two
    credit: str = ""
    date_format: str = "%d/%m/%Y"
    delimiter: str = ","

    def __post_init__(self) -> None:
        if not self.amount and not (self.debit and self.credit):
            raise StatementError(
                "say which column holds the amount, or the two for money out and in",
                field="mapping.amount",
            )


def pence(text: object, field: str) -> int:
    """ "1,040.00" or "-55.2" as pence, exactly (never through a float)."""
    cleaned = str(text).replace(",", "").replace("£", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise StatementError(f"{text!r} is not an amount", field=field) from None
    if value != value.quantize(Decimal("0.01")):
        raise StatementError(f"{text!r} has fractions of a penny", field=field)
    return int(value * 100)


def parse(kind: object, data: bytes, mapping: CsvMapping | None = None) -> list[BankLine]:
    try:
        chosen = StatementKind(str(kind))
    except ValueError:
        raise StatementError("choose mt940, camt053 or csv", field="kind") from None
    if chosen is StatementKind.MT940:
        return parse_mt940(data.decode("utf-8", errors="replace"))
    if chosen is StatementKind.CAMT053:
        return parse_camt053(data)
    if mapping is None:
        raise StatementError("a CSV needs its bank's column mapping", field="mapping")
    return parse_csv(data.decode("utf-8-sig", errors="replace"), mapping)


def parse_mt940(text: str) -> list[BankLine]:
    import mt940

    statement = mt940.models.Transactions()
    try:
        statement.parse(text)
    except Exception as exc:  # the library raises several kinds for a file it cannot read
        raise StatementError(f"not an MT940 statement: {exc}", field="file") from None
    lines = []
    for n, t in enumerate(statement):
        d = t.data
        if "amount" not in d or "date" not in d:
            raise StatementError(f"transaction {n + 1} has no amount or date", field="file")
        lines.append(
            BankLine(
                on=date(d["date"].year, d["date"].month, d["date"].day),  # the library's own type
                amount=pence(d["amount"].amount, f"transactions[{n}].amount"),
                reference=str(d.get("customer_reference") or "").strip(),
                description=str(d.get("transaction_details") or "").replace("\n", " ").strip(),
                bank_ref=str(d.get("bank_reference") or "").strip(),
            )
        )
    if not lines:
        raise StatementError("the statement has no transactions", field="file")
    return lines


def parse_camt053(data: bytes) -> list[BankLine]:
    from pycamt.parser import Camt053Parser

    try:
        transactions = Camt053Parser(data).get_transactions()
    except Exception as exc:  # lxml's and pycamt's own errors
        raise StatementError(f"not a camt.053 statement: {exc}", field="file") from None
    lines = []
    for n, t in enumerate(transactions):
        amount = pence(t.get("Amount"), f"entries[{n}].amount")
        if t.get("CreditDebitIndicator") == "DBIT":
            amount = -amount
        when = t.get("BookingDate") or t.get("ValueDate")
        if not when:
            raise StatementError(f"entry {n + 1} has no date", field="file")
        lines.append(
            BankLine(
                on=date.fromisoformat(str(when)[:10]),
                amount=amount,
                reference=str(t.get("EndToEndId") or t.get("RemittanceInformation") or "").strip(),
                description=str(t.get("RemittanceInformationFull") or "").strip(),
                bank_ref=str(t.get("TransactionID") or "").strip(),
            )
        )
    if not lines:
        raise StatementError("the statement has no entries", field="file")
    return lines


@lru_cache(maxsize=4096)
def _date(text: str, fmt: str) -> date:
    """A statement's date (a year's statement has a few hundred different ones: each read
    once)."""
    return datetime.strptime(text, fmt).date()


def parse_csv(text: str, mapping: CsvMapping) -> list[BankLine]:
    reader = csv.DictReader(io.StringIO(text), delimiter=mapping.delimiter)
    wanted = [mapping.date, mapping.reference, mapping.amount or mapping.debit]
    missing = [c for c in wanted if c and c not in (reader.fieldnames or [])]
    if missing:
        raise StatementError(f"the file has no column {missing[0]!r}", field="mapping")
    lines = []
    for n, row in enumerate(reader, start=2):  # line 1 is the header
        where = f"line {n}"
        try:
            on = _date(row[mapping.date].strip(), mapping.date_format)
        except ValueError:
            raise StatementError(
                f"{where}: {row[mapping.date]!r} is not a date", field="file"
            ) from None
        if mapping.amount:
            amount = pence(row[mapping.amount], where)
        else:
            out, into = row[mapping.debit].strip(), row[mapping.credit].strip()
            amount = (pence(into, where) if into else 0) - (pence(out, where) if out else 0)
        lines.append(
            BankLine(
                on=on,
                amount=amount,
                reference=row[mapping.reference].strip(),
                description=row.get(mapping.description, "").strip() if mapping.description else "",
            )
        )
    return lines
