"""Direct payments, provider invoices, managed-budget spend, Stripe and reconciliation."""
