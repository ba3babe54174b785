"""The pages of the site: one module per feature, its views and its forms together."""
