"""The payments context's domain: its aggregates, their events and their rules, in pure Python.

It will hold, with the payments issue: a person's direct payments (what is paid, into which
account, on which dates, moved off weekends and bank holidays), provider invoices and their
approval, managed-budget spend, and each outgoing payment from its payable in the ledger to its
Stripe transfer and settlement, made once whatever is retried. Each rule a named ``check_…``
method raising a named error, as in ledger/domain.py; no Django and no I/O (Stripe is reached
by the application, through payments/stripe.py).

Nothing is recorded by this context yet, so it defines no aggregate yet.
"""
