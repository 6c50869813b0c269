"""The person's copy of their care and support plan as a PDF (Care Act s.25(9) and s.26).

An adapter: it lays out what `person_summary` gathered, with reportlab, and knows no rules.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import ListFlowable, Paragraph, SimpleDocTemplate, Spacer

from budgets.plan import DIRECT_PAYMENT_PARTS, REQUIRED_PARTS

if TYPE_CHECKING:
    from budgets.services import PersonSummary

PART_TITLES = {**REQUIRED_PARTS, **DIRECT_PAYMENT_PARTS}


def plan_pdf(summary: PersonSummary, *, printed_on: date) -> bytes:
    """The plan's latest version, the budget's breakdown, how it was reached, sign-off."""
    if summary.plan is None or not summary.plan.versions:
        raise ValueError("there is no plan to print")
    styles = getSampleStyleSheet()
    body, h1, h2 = styles["BodyText"], styles["Title"], styles["Heading2"]
    plan = summary.plan
    latest = plan.versions[-1]

    def para(text: str, style: object = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def bullets(lines: list[str]) -> ListFlowable:
        return ListFlowable([para(line) for line in lines], bulletType="bullet", leftIndent=12)

    story: list[object] = [
        para("Care and support plan", h1),
        para(f"{summary.name}, council reference {summary.council_ref}"),
        para(
            f"Version {len(plan.versions)}, written on {latest['on']:%-d %B %Y} by the "
            f"{latest['author']}. Printed on {printed_on:%-d %B %Y}."
        ),
        Spacer(1, 4 * mm),
        para("Your personal budget", h2),
        bullets(plan.budget_breakdown()),
    ]
    if summary.calculation is not None:
        story += [
            para("How your budget was worked out", h2),
            bullets(list(summary.calculation.explanation)),
        ]
    for key, title in PART_TITLES.items():
        if latest["parts"].get(key):
            story += [para(title, h2), para(latest["parts"][key])]
    story.append(para("Sign-off", h2))
    if plan.signed_off:
        story.append(para("Signed off by " + " and ".join(plan.signatures.values()) + "."))
    else:
        story.append(
            para(
                "Not signed off yet: your social worker and their manager sign it off at your "
                "6-week review."
            )
        )
    if summary.reviews is not None:
        story.append(para(f"Your next review is due by {summary.reviews.due_on:%-d %B %Y}."))
    out = BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"Care and support plan: {summary.name}",
        author="careledger",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    )
    document.build(story)
    return out.getvalue()
