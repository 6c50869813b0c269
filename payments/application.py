"""The payments context's one door: its commands and queries, over its own event store.

Each command will take an ``Actor``, load what it needs, let the aggregates of
payments/domain.py check their rules and save once; a step that follows from another context
(an invoice approved, a payable posted in the ledger) will reach it through a process manager
(core/process.py), with an idempotency key derived from the upstream event. The payments issue
adds the commands; until then the application has none, and nothing opens its store.
"""

from __future__ import annotations

import payments.domain
from config.applications import application
from config.transcodings import ContextApplication


class PaymentsApplication(ContextApplication):
    name = "Payments"
    domain_modules = (payments.domain,)


def payments_app() -> PaymentsApplication:
    """This process's payments application, on the configured event store."""
    return application(PaymentsApplication)
