"""Thin Celery tasks over the payments application, found by config/celery.py's autodiscovery.

It will hold, with the payments issue: the scheduled direct payments (run by beat, in batches,
with progress shown), reconciliation against Stripe and the bank, and following up a transfer
whose outcome is not yet known; each task calls one application command and holds no rule.
There is no such command yet, so there is no task yet.
"""
