"""Assessment, the RAS grid, personal budgets, care and support plans, sign-off and reviews (issue 5)."""
