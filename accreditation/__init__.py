"""Providers, the services they offer, the accreditation lifecycle and the public register (issue 4)."""
