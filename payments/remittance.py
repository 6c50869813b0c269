"""A payment's remittance advice as PDF and CSV (the page is frontend/payment_views.py): what
was paid, to whom, for which period, the gross, the contribution netted and what the council
paid, with the payment's reference."""

from __future__ import annotations

import csv
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from ledger.money import format_pence


def lines(payment: Any) -> list[tuple[str, str]]:
    """The advice's lines, label and value, from a ``PaymentRecord``."""
    paid = f"{payment.status}, {payment.paid_at:%-d %B %Y}" if payment.paid_at else payment.status
    return [
        ("Payment", payment.label),
        ("Paid to", payment.payee),
        ("For the period", f"{payment.period_start:%-d %B %Y} to {payment.period_end:%-d %B %Y}"),
        ("Pay date", f"{payment.pay_on:%-d %B %Y}"),
        ("Amount for the period", format_pence(payment.gross)),
        ("Less the assessed contribution", format_pence(payment.netted)),
        ("Paid by the council", format_pence(payment.net)),
        ("Status", paid),
        ("Reference", payment.key),
    ]


def as_csv(payment: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["field", "value"])
    writer.writerows(lines(payment))
    writer.writerow(["amount_pence", payment.gross])
    writer.writerow(["netted_pence", payment.netted])
    writer.writerow(["paid_pence", payment.net])
    return out.getvalue()


def as_pdf(payment: Any) -> bytes:
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm)
    story: list[Any] = [
        Paragraph("Remittance advice", styles["Title"]),
        Spacer(1, 6 * mm),
        Table(
            [
                [Paragraph(escape(k), styles["Normal"]), Paragraph(escape(v), styles["Normal"])]
                for k, v in lines(payment)
            ],
            colWidths=[60 * mm, 105 * mm],
        ),
        Spacer(1, 6 * mm),
        Paragraph(escape(payment.reason), styles["Normal"]),
    ]
    doc.build(story)
    return buffer.getvalue()
