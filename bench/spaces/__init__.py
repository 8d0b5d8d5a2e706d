"""One module per Space: `cases(app)` returns the actions to time."""
