"""Direct payments, provider invoices, managed-budget spend, Stripe and reconciliation.

The standard modules of a context (DESIGN.md): domain.py, application.py, projections.py,
models.py and tasks.py, with stripe.py the only way to Stripe.
"""
