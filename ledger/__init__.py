"""The event-sourced double-entry ledger: accounts, journal entries, balances and integrity."""
