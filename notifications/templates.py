"""The notices careledger sends, as the council sets them up in GOV.UK Notify. Pure Python.

Notify keeps the templates; careledger sends a template's id and its personalisation. Each
notice has one wording per channel (email, text message, letter), written here so that the
council can copy it into its Notify service (docs/notifications.md), the local Notify server
can render it, and a case page can say what a person was told. A council whose Notify
templates have other ids names them in ``NOTIFY_TEMPLATE_IDS`` (settings).

Placeholders are Notify's ``((name))``. Letters carry the address as ``address_line_1`` to
``address_line_7``, which Notify reads and the template does not name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID, uuid5

NAMESPACE = UUID("5b0c6a52-33c1-4c8e-9e0c-7c2f8f1d2a61")
PLACEHOLDER = re.compile(r"\(\(([a-z_0-9]+)\)\)")


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"

    @property
    def label(self) -> str:
        return {"email": "email", "sms": "text message", "letter": "letter"}[self.value]


@dataclass(frozen=True)
class Wording:
    subject: str  # "" for a text message
    body: str


@dataclass(frozen=True)
class Kind:
    """One notice: what it is for and its wording on each channel."""

    key: str
    label: str  # as a case page lists it
    email: Wording
    sms: Wording

    def wording(self, channel: Channel) -> Wording:
        # A letter reads as the email does: the same subject as its heading.
        return self.sms if channel is Channel.SMS else self.email

    def placeholders(self, channel: Channel) -> set[str]:
        wording = self.wording(channel)
        return set(PLACEHOLDER.findall(wording.subject + wording.body))


def _kind(key: str, label: str, subject: str, body: str, sms: str) -> Kind:
    return Kind(key, label, Wording(subject, body), Wording("", sms))


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in [
        _kind(
            "request_received",
            "New request for support",
            "New request: ((service)) for ((person_name))",
            "Dear ((provider_name)),\n\n((person_name)) has asked you for ((service)).\n\n"
            "Sign in to careledger to accept or decline the request: ((link))\n\n"
            "Please answer within 5 working days.",
            "careledger: ((person_name)) has asked you for ((service)). "
            "Sign in to accept or decline: ((link))",
        ),
        _kind(
            "request_accepted",
            "Request accepted",
            "((provider_name)) has accepted your request",
            "Dear ((name)),\n\n((provider_name)) has accepted your request for ((service)). "
            "They will contact you to arrange a first meeting.\n\n"
            "You can see your budget and your support at ((link))",
            "((provider_name)) has accepted your request for ((service)). "
            "They will contact you soon.",
        ),
        _kind(
            "request_declined",
            "Request declined",
            "((provider_name)) cannot take your request",
            "Dear ((name)),\n\n((provider_name)) cannot take your request for ((service)).\n\n"
            "The reason they gave:\n\n^ ((reason))\n\n"
            "You can choose another accredited provider at ((link))",
            "((provider_name)) cannot take your request for ((service)): ((reason)). "
            "You can choose another provider.",
        ),
        _kind(
            "provider_changed",
            "Your provider's accreditation changed",
            "((provider_name)) has been ((change))",
            "Dear ((name)),\n\nThe council has ((change)) ((provider_name))'s accreditation "
            "for ((service)).\n\nThe reason:\n\n^ ((reason))\n\n((what_happens))\n\n"
            "Your social worker can help. You can also choose another accredited provider at "
            "((link))",
            "The council has ((change)) ((provider_name)) for ((service)). ((what_happens))",
        ),
        _kind(
            "case_provider_changed",
            "A provider on this case was suspended or withdrawn",
            "((person_name)) (((council_ref))): ((provider_name)) ((change))",
            "Dear ((worker_name)),\n\nThe council has ((change)) ((provider_name)) for "
            "((service)). ((person_name)) (((council_ref))) is engaged with them.\n\n"
            "The reason:\n\n^ ((reason))\n\nSee the case: ((link))",
            "careledger: ((provider_name)) ((change)). It affects ((person_name)) "
            "(((council_ref))).",
        ),
        _kind(
            "eligibility_decision",
            "Eligibility decision",
            "Your assessment: our decision",
            "Dear ((name)),\n\nWe assessed your needs on ((on)). We have decided that your "
            "needs do not meet the eligibility criteria for care and support from the "
            "council. This is your written record of that decision (Care Act 2014, section "
            "13).\n\n# Why we decided this\n\nNeeds are eligible when all three of these are "
            "true. For you:\n\n((reasons))\n\n# What you can do next\n\n((next_steps))\n\n"
            "You can also read this decision at ((link))",
            "We have decided your needs do not meet the eligibility criteria for care and "
            "support. Your written decision: ((link))",
        ),
        _kind(
            "review_due",
            "Review coming up",
            "Your care and support plan is due for review on ((due_on))",
            "Dear ((name)),\n\nYour care and support plan is due for its review on "
            "((due_on)). Your social worker will be in touch to arrange it.\n\n"
            "You can think about what has gone well and what you would change.",
            "Your care and support plan is due for review on ((due_on)). "
            "Your social worker will be in touch.",
        ),
        _kind(
            "review_reminder",
            "Review reminder",
            "Review due ((due_on)): ((person_name)) (((council_ref)))",
            "Dear ((worker_name)),\n\nThe review of ((person_name))'s care and support plan "
            "(((council_ref))) is due on ((due_on)).\n\nSee the case: ((link))",
            "careledger: the review for ((person_name)) (((council_ref))) is due ((due_on)).",
        ),
        _kind(
            "remittance",
            "Direct payment paid",
            "Your direct payment of ((amount)) has been paid",
            "Dear ((name)),\n\nThe council has paid your direct payment of ((amount)) for "
            "((period)).\n\n* amount for the period: ((gross))\n* less your contribution: "
            "((netted))\n* paid by the council: ((amount))\n\nReference: ((reference))\n\n"
            "Your remittance advice: ((link))",
            "Your direct payment of ((amount)) for ((period)) has been paid. "
            "Reference ((reference)).",
        ),
        _kind(
            "surplus_notice",
            "Surplus notice",
            "Your direct payment account has ((amount)) more than it needs",
            "Dear ((name)),\n\nWe have looked at your direct payment account on ((on)). It "
            "holds ((amount)) more than your support needs.\n\nWhat we found, and why, is at "
            "((link))\n\nNothing is taken back yet. If you think we have missed something, you "
            "can ask us to look again on that page.",
            "Your direct payment account holds ((amount)) more than it needs. Nothing is "
            "taken back yet. See why: ((link))",
        ),
        _kind(
            "payment_failed",
            "Payment failed",
            "Payment failed: ((payment))",
            "((payment)), ((amount)), could not be paid.\n\nThe reason:\n\n^ ((reason))\n\n"
            "((what_next))\n\nSee the payment: ((link))",
            "careledger: ((payment)), ((amount)), failed: ((reason))",
        ),
    ]
}


def template_id(kind: str, channel: Channel) -> UUID:
    """The template's id in careledger's own Notify set-up (and the local Notify server)."""
    return uuid5(NAMESPACE, f"{kind}:{channel.value}")


def catalogue() -> dict[UUID, tuple[Kind, Channel]]:
    """Every template by its default id."""
    return {
        template_id(key, channel): (kind, channel)
        for key, kind in KINDS.items()
        for channel in Channel
    }


def render(text: str, personalisation: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: str(personalisation.get(m.group(1), m.group(0))), text)
