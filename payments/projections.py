"""The payments context's events into its read models (payments/models.py).

It will hold, with the payments issue, projections on core.projection's loop (each batch in
one transaction with its tracking position): the payments due and made for each budget, the
invoices by status, and the exceptions queue where finance sees whatever Stripe or the bank did
that the ledger does not explain. The context records no events yet, so there is none yet.
"""
