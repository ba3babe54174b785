"""Feeds: reading the typed topics in log order, filtering, and delivering to agencies."""
