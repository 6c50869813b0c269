"""The public directory of accredited providers, prices and tariff, choices and engagements (issue 4)."""
