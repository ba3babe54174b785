"""Notifications in words, for the notifications page and for mail."""
