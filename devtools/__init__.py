"""Servers for development and tests only, never part of careledger's distribution or image.

``devtools.stripe_server`` is the local Stripe-compatible server (localstripe, GPL-3.0, plus a
Connect extension). It needs the ``dev`` extras; production talks to real Stripe through
``payments/stripe.py``.
"""
