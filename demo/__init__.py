"""The demo council, loaded by ``manage.py load_demo``: never part of the distribution.

A Django app of its own (listed in INSTALLED_APPS only when it can be imported), so that
nothing in config/ or a context imports demo data: it sits on top and calls the contexts.

- ``council``: one user per role, the council's ledger accounts and entries, and ``load()``;
- ``budgets``: people at each stage, from assessed to at the panel, with their budgets;
- ``register``: organisations in each state of the register, and the marketplace's engagements.
"""
