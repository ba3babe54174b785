"""Load and figure tools run by hand against a running service (not part of the suite)."""
