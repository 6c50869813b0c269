"""The machinery every context's followers share, one floor above config/ and below the contexts.

- ``projection``: the loop each read model uses to follow a notification log, exactly once;
- ``process``: process managers, the steps that cross contexts, each done exactly once;
- ``tracking``: the tables that record how far each has read (and the steps parked).

It imports config/ and the eventsourcing library, never a context; the contexts build their
projections and process managers on it.
"""
