"""Reading and matching a large council's bank statements (payments/bank_statements.py and
payments/reconciliation.py): 100,000 bank lines as MT940 and as CSV against 100,000 payments,
each line its payment's reference and amount (a few without a reference, to be suggested),
timed and with peak memory, against the baseline of reading the same file's bytes with the
standard library's csv module. Pure Python, no database; then (``--stored``, default
20,000) the stored path as finance runs it: the statement imported into a SQLite event store
(kept once) and every automatic match saved with its claims, as the worker does.

    .venv/bin/python bench/reconcile.py [--lines 100000] [--stored 20000] [--json out.json]

Target (issue 11): a large council's year (about 130,000 direct payments) in under a minute.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payments.bank_statements import CsvMapping, parse  # noqa: E402
from payments.reconciliation import Expected, Line, propose  # noqa: E402

START = date(2026, 4, 6)


def payments(n: int) -> list[Expected]:
    found = []
    for i in range(n):
        pay_on = START + timedelta(days=i % 360)
        found.append(
            Expected(
                key=f"payments:dp:DN-{i:06d}:P01",
                amount=-(50000 + i % 7919),
                reference=f"DP DN-{i:06d} P01",
                earliest=pay_on - timedelta(days=7),
                latest=pay_on + timedelta(days=3),
                label=f"DP DN-{i:06d} period 1",
            )
        )
    return found


def mt940_of(expected: list[Expected]) -> bytes:
    body = io.StringIO()
    body.write(":20:BENCH\n:25:401234/12345678\n:28C:00001/001\n:60F:C260401GBP0,00\n")
    for i, e in enumerate(expected):
        on = e.earliest + timedelta(days=7)
        ref = e.reference if i % 100 else "NOREF"  # one in a hundred without its reference
        pounds, pence = divmod(-e.amount, 100)
        body.write(f":61:{on:%y%m%d}{on:%m%d}D{pounds},{pence:02d}NTRF{ref}//BACS\n:86:{ref}\n")
    body.write(":62F:C270331GBP0,00\n-\n")
    return body.getvalue().encode()


def csv_of(expected: list[Expected]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Date", "Reference", "Amount"])
    for e in expected:
        on = e.earliest + timedelta(days=7)
        writer.writerow([f"{on:%d/%m/%Y}", e.reference, f"{e.amount / 100:.2f}"])
    return out.getvalue().encode()


def timed(label: str, work: object) -> tuple[float, int, object]:
    tracemalloc.start()
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label}: {seconds:.2f} s, peak {peak / 2**20:.0f} MiB")
    return seconds, peak, result


def stored(n: int) -> dict[str, float]:
    """Import ``n`` lines into a SQLite event store and save every automatic match, timed."""
    import tempfile

    from config.actor import Actor
    from config.roles import Role
    from payments.application import PaymentsApplication
    from payments.reconcile import Reconciler

    expected = payments(n)
    statement = mt940_of(expected)
    folder = tempfile.mkdtemp()
    app = PaymentsApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"{folder}/p.db"}
    )
    rec, actor = Reconciler(app), Actor(id="bench", roles=frozenset({Role.FINANCE_OFFICER}))
    started = time.perf_counter()
    rec.import_statement(actor, kind="mt940", filename="year.sta", data=statement)
    imported = time.perf_counter()
    state = rec.match_automatically(actor, expected)
    done = time.perf_counter()
    saved = sum(1 for _ in rec.matches())
    print(
        f"  stored, {n:,} lines: imported in {imported - started:.1f} s, {saved:,} matches saved"
        f" in {done - imported:.1f} s ({saved / (done - imported):,.0f} a second),"
        f" {len(state.suggestions):,} suggested"
    )
    return {
        "stored_lines": n,
        "stored_import_s": imported - started,
        "stored_match_s": done - imported,
        "stored_matches": saved,
        "stored_lines_per_second": n / (done - started),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=20_000)
    parser.add_argument("--json")
    args = parser.parse_args()
    expected = payments(args.lines)
    statement, table = mt940_of(expected), csv_of(expected)
    results: dict[str, object] = {"lines": args.lines}

    base_s, _, _ = timed(
        "baseline: the CSV's rows by the standard library",
        lambda: list(csv.reader(io.StringIO(table.decode()))),
    )
    csv_s, _, from_csv = timed(
        "CSV read to lines (pence, dates)",
        lambda: parse(
            "csv", table, CsvMapping(date="Date", reference="Reference", amount="Amount")
        ),
    )
    mt_s, mt_peak, from_mt = timed(
        "MT940 read to lines (mt-940)", lambda: parse("mt940", statement)
    )
    lines = [
        Line(f"L{n}", x.on, x.amount, x.reference, x.description)
        for n, x in enumerate(from_mt)  # type: ignore[arg-type]
    ]
    match_s, match_peak, outcome = timed("matched", lambda: propose(lines, expected))
    proposals, problems = outcome  # type: ignore[misc]
    automatic = sum(1 for p in proposals if p.automatic)
    total = mt_s + match_s
    results.update(
        {
            "baseline_csv_rows_s": base_s,
            "csv_read_s": csv_s,
            "csv_ratio_to_baseline": csv_s / base_s,
            "mt940_read_s": mt_s,
            "match_s": match_s,
            "mt940_and_match_s": total,
            "lines_per_second": args.lines / total,
            "peak_mib": max(mt_peak, match_peak) / 2**20,
            "automatic": automatic,
            "suggested": len(proposals) - automatic,
            "problems": len(problems),
            "csv_lines": len(from_csv),  # type: ignore[arg-type]
            "load": list(os.getloadavg()),
        }
    )
    year = 130_000 / (args.lines / total)
    print(
        f"{args.lines:,} lines read from MT940 and matched in {total:.1f} s"
        f" ({args.lines / total:,.0f} lines/s): {automatic:,} matched at once,"
        f" {len(proposals) - automatic:,} suggested, {len(problems):,} exceptions;"
        f" a year of 130,000 would take {year:.0f} s (target < 60 s:"
        f" {'met' if year < 60 else 'not met'}); CSV read {csv_s / base_s:.1f}x the csv module"
    )
    if args.stored:
        kept = stored(args.stored)
        results.update(kept)
        year = 130_000 / kept["stored_lines_per_second"]
        print(
            f"stored path: {kept['stored_lines_per_second']:,.0f} lines/s; a year of 130,000"
            f" would take {year:.0f} s (target < 60 s: {'met' if year < 60 else 'not met'})"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
