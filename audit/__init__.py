"""The auditor's trace: reads across every context's events and the ledger, changes nothing."""
