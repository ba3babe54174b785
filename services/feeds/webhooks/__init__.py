"""Webhooks: subscriptions, Standard Webhooks signatures, retries, and the targets allowed."""
