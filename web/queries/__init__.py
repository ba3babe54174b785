"""Read-model queries for the pages and the API: one module per view of the data."""
