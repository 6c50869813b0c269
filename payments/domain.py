"""The payments context's domain, in pure Python (no Django, no I/O), in three modules:

- payments/direct_payments.py: direct-payment agreements (who is paid, under which section of
  the Care Act, which needs, how much and how often) and their schedules;
- payments/runs.py: each payment from its payable to its settlement, and the runs that pay them;
- payments/bacs.py: the Bacs Standard 18 file, written and read back.

Each rule is a named check raising a named error, as in ledger/domain.py. Stripe and the file
system are reached by the application through payments/rails.py (and payments/stripe.py).
Provider invoices and managed-budget spend join these with the rest of the payments issue.
"""
