"""The directory of accredited providers, the tariff, choices and engagements (issue 4)."""
