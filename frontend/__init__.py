"""Server-rendered GOV.UK Frontend pages: templates, views per user group, static assets."""
