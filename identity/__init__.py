"""Who a signed-in user is, as the contexts see them: shared by the API and the pages."""
