"""A Bacs Standard 18 payment file, written and read back. Pure Python.

No maintained Python writer exists, so this follows the published record layout (the banks'
Standard 18 implementation guides): 80-character labels around 106-character records, one line
each, in this order:

    VOL1  HDR1  HDR2  UHL1   the volume, the file, its format, the user header (processing day)
    credits                  one standard record per payment (transaction code 99)
    contra                   one record debiting the council's account by the credits' total (17)
    EOF1  EOF2  UTL1         the file's end, and the user trailer with its totals and counts

A standard record: destination sort code (1-6), account number (7-14), account type "0" (15),
transaction code (16-17), originating sort code (18-23) and account number (24-31), a free
field (32-35), the amount in pence (36-46, zero-filled), the originator's name (47-64), the
payment's reference (65-82), the payee's name (83-100) and the processing day (101-106,
" YYDDD": a space, the year's last two digits and the day of the year). Text is upper case in
the Bacs character set (A-Z, 0-9, full stop, ampersand, slash, hyphen, space).

``parse`` reads a file back into its parts and checks its totals against its records; the tests
(and the payment run's report) use it to show that a file says what the run paid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from config.errors import DomainError
from config.validation import ascii_digits

CREDIT = "99"
CONTRA = "17"
LABEL = 80
RECORD = 106
MAX_AMOUNT = 99_999_999_999  # eleven digits of pence
_NOT_BACS = re.compile(r"[^A-Z0-9.&/\- ]")


class BacsError(DomainError):
    pass


def bacs_text(value: str, width: int) -> str:
    """``value`` in the Bacs character set, cut or padded to ``width``."""
    return _NOT_BACS.sub(" ", value.upper())[:width].ljust(width)


def bacs_day(day: date) -> str:
    """A date as Standard 18 writes it: a space, then YYDDD."""
    return f" {day:%y}{day.timetuple().tm_yday:03d}"


def read_day(field: str) -> date:
    return datetime.strptime(field.strip(), "%y%j").date()


def _digits(value: str, width: int, name: str) -> str:
    if len(value) != width or not ascii_digits(value):
        raise BacsError(f"must be {width} digits", field=name)
    return value


@dataclass(frozen=True)
class Originator:
    """The council: its Bacs service user number (SUN), name, and the account it pays from."""

    sun: str
    name: str
    sort_code: str
    account_number: str

    def __post_init__(self) -> None:
        _digits(self.sun, 6, "sun")
        _digits(self.sort_code, 6, "sort_code")
        _digits(self.account_number, 8, "account_number")


@dataclass(frozen=True)
class Credit:
    sort_code: str
    account_number: str
    name: str
    amount: int  # pence
    reference: str

    def __post_init__(self) -> None:
        _digits(self.sort_code, 6, "sort_code")
        _digits(self.account_number, 8, "account_number")
        if not 0 < self.amount <= MAX_AMOUNT:
            raise BacsError("must be between 1p and the eleven digits Bacs allows", field="amount")
        if len(self.reference.strip()) < 6:
            # Banks reject references shorter than six characters (or all one character).
            raise BacsError("a Bacs reference needs at least 6 characters", field="reference")


@dataclass(frozen=True)
class BacsFile:
    originator: Originator
    serial: int
    created: date
    processing_day: date
    credits: tuple[Credit, ...]

    @property
    def total(self) -> int:
        return sum(c.amount for c in self.credits)


def write(file: BacsFile) -> str:
    """The file's text: one record a line, CRLF between them (as bank upload portals take it)."""
    if not file.credits:
        raise BacsError("a payment file needs at least one payment", field="credits")
    o, day = file.originator, bacs_day(file.processing_day)
    serial = f"{file.serial % 1_000_000:06d}"
    file_id = f"A{o.sun}S  {o.sun}".ljust(17)
    hdr1 = (
        f"{file_id}{serial}00010001{' ' * 6}{bacs_day(file.created)}{bacs_day(file.created)}"
        f" 000000{' ' * 20}"
    )
    hdr2 = f"F0200000{RECORD}{' ' * 35}00{' ' * 28}"
    lines = [
        f"VOL1{serial} {' ' * 26}{o.sun.ljust(14)}{' ' * 28}1",
        f"HDR1{hdr1}",
        f"HDR2{hdr2}",
        f"UHL1{day}999999    000000001 DAILY  001{' ' * 40}",
    ]
    for c in file.credits:
        lines.append(_record(c.sort_code, c.account_number, CREDIT, o, c.amount, c, day))
    contra = Credit(o.sort_code, o.account_number, o.name, file.total, "CONTRA")
    lines.append(_record(o.sort_code, o.account_number, CONTRA, o, file.total, contra, day))
    lines += [
        f"EOF1{hdr1}",
        f"EOF2{hdr2}",
        f"UTL1{file.total:013d}{file.total:013d}{1:07d}{len(file.credits):07d}{' ' * 36}",
    ]
    for line in lines:
        assert len(line) in (LABEL, RECORD), (len(line), line)
    return "\r\n".join(lines) + "\r\n"


def _record(
    sort_code: str,
    account: str,
    code: str,
    o: Originator,
    amount: int,
    credit: Credit,
    day: str,
) -> str:
    return (
        f"{sort_code}{account}0{code}{o.sort_code}{o.account_number}    {amount:011d}"
        f"{bacs_text(o.name, 18)}{bacs_text(credit.reference, 18)}{bacs_text(credit.name, 18)}{day}"
    )


@dataclass(frozen=True)
class ParsedCredit:
    sort_code: str
    account_number: str
    name: str
    amount: int
    reference: str


@dataclass(frozen=True)
class ParsedFile:
    sun: str
    serial: int
    processing_day: date
    originator_sort_code: str
    originator_account: str
    credits: tuple[ParsedCredit, ...]
    contra: int
    trailer_debits: int
    trailer_credits: int
    trailer_debit_count: int
    trailer_credit_count: int

    @property
    def total(self) -> int:
        return sum(c.amount for c in self.credits)


def parse(text: str) -> ParsedFile:
    """Read a Standard 18 file back, refusing one whose records or totals disagree."""
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    kinds = [line[:4] for line in lines[:4]] + [line[:4] for line in lines[-3:]]
    if kinds != ["VOL1", "HDR1", "HDR2", "UHL1", "EOF1", "EOF2", "UTL1"]:
        raise BacsError(f"not a Standard 18 file: its labels are {kinds}", field="file")
    for number, line in enumerate(lines, start=1):
        expected = RECORD if 4 < number <= len(lines) - 3 else LABEL
        if len(line) != expected:
            raise BacsError(f"line {number} has {len(line)} characters, not {expected}")
    vol, uhl, utl = lines[0], lines[3], lines[-1]
    day = read_day(uhl[4:10])
    records = lines[4:-3]
    credits, contra = [], None
    for number, line in enumerate(records, start=5):
        if read_day(line[100:106]) != day:
            raise BacsError(f"line {number} is for another processing day")
        code, amount = line[15:17], int(line[35:46])
        if code == CREDIT:
            credits.append(
                ParsedCredit(
                    sort_code=line[0:6],
                    account_number=line[6:14],
                    name=line[82:100].rstrip(),
                    amount=amount,
                    reference=line[64:82].rstrip(),
                )
            )
        elif code == CONTRA and contra is None:
            contra = (line[0:6], line[6:14], amount)
        else:
            raise BacsError(f"line {number} has transaction code {code!r}")
    if contra is None:
        raise BacsError("the file has no contra record")
    parsed = ParsedFile(
        sun=vol[37:51].strip(),
        serial=int(vol[4:10]),
        processing_day=day,
        originator_sort_code=contra[0],
        originator_account=contra[1],
        credits=tuple(credits),
        contra=contra[2],
        trailer_debits=int(utl[4:17]),
        trailer_credits=int(utl[17:30]),
        trailer_debit_count=int(utl[30:37]),
        trailer_credit_count=int(utl[37:44]),
    )
    if not parsed.contra == parsed.total == parsed.trailer_credits == parsed.trailer_debits:
        raise BacsError(
            f"the totals disagree: credits {parsed.total}, contra {parsed.contra}, trailer"
            f" {parsed.trailer_credits} credit and {parsed.trailer_debits} debit"
        )
    if parsed.trailer_credit_count != len(credits) or parsed.trailer_debit_count != 1:
        raise BacsError("the trailer's counts disagree with the records")
    return parsed
