"""Providers, their services, the accreditation lifecycle and the public register (issue 4)."""
