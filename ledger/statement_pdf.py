"""A person's verifiable statement as a PDF: their entries, the closing balance, and how to
check it (the checkpoint it is proved against, and the key's fingerprint). An adapter over
ledger/transparency.py's statement: it lays it out with reportlab and knows no rules."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from ledger.money import format_pence


def rows(document: dict[str, Any]) -> list[dict[str, str]]:
    """Each entry as the page and the PDF show it: date, what, in or out, balance after."""
    body = document["statement"]
    account, balance, found = body["account"], 0, []
    for item in body["entries"]:
        leaf = item["leaf"]
        change = sum(
            amount if side == "credit" else -amount
            for code, side, amount in leaf["legs"]
            if code == account
        )
        balance += change
        found.append(
            {
                "on": leaf["effective_at"][:10],
                "what": leaf["reason"],
                "change": ("+" if change >= 0 else "−") + format_pence(abs(change)),
                "balance": format_pence(balance),
                "index": str(item["index"]),
            }
        )
    return found


def statement_pdf(document: dict[str, Any], *, fingerprint: str) -> bytes:
    styles = getSampleStyleSheet()
    body, h1 = styles["BodyText"], styles["Title"]
    statement = document["statement"]
    checkpoint = statement["checkpoint"]

    def para(text: str) -> Paragraph:
        return Paragraph(escape(text), body)

    table = [["Date", "What", "In or out", "Balance"]] + [
        [r["on"], Paragraph(escape(r["what"]), body), r["change"], r["balance"]]
        for r in rows(document)
    ]
    story = [
        Paragraph(escape(f"Statement of {statement['budget']}"), h1),
        para(
            f"{statement['count']} entries; closing balance"
            f" {format_pence(statement['closing_balance_pence'])}. Made"
            f" {statement['generated_at']}."
        ),
        Spacer(1, 4 * mm),
        Table(table, colWidths=[24 * mm, 90 * mm, 28 * mm, 28 * mm], repeatRows=1),
        Spacer(1, 6 * mm),
        para(
            "Every entry above is in the council's published ledger tree. To check, download"
            " this statement as JSON from My budget and run the checker described on the"
            " council's transparency page."
        ),
        para(
            f"Checkpoint: {checkpoint['size']} entries, root {checkpoint['root']},"
            f" published {checkpoint['published_at']}. Key fingerprint: {fingerprint}."
        ),
    ]
    out = BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"Statement {statement['budget']}").build(story)
    return out.getvalue()
