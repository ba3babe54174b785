"""Follows, notifications and notification mail (beside the read model, never rebuilt)."""
