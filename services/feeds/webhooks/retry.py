"""When to try a failed webhook delivery again: a schedule with jitter, and Retry-After."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Sequence

JITTER = 0.2
MAX_RETRY_AFTER_S = 24 * 3600.0


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return min(max(0.0, when.timestamp() - now), MAX_RETRY_AFTER_S)


def next_delay(schedule: Sequence[float], failed_attempts: int, retry_after: float | None,
               rng: random.Random | None = None) -> float | None:
    """Seconds until the next attempt after ``failed_attempts`` failures; None: give up.

    The schedule's delay gets +/-20 % jitter so that many subscriptions failing
    together do not retry together; a Retry-After asking for longer wins.
    """
    if failed_attempts > len(schedule):
        return None
    base = schedule[failed_attempts - 1]
    delay = base * (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return max(delay, retry_after) if retry_after is not None else delay
