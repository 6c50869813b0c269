"""Assessment, the RAS grid, personal budgets, plans, sign-off and reviews (issue 5)."""
