"""The city's clock: today in its time zone, and the day of a moment there.

Dates people read and rules about days (overdue, done on time) use the city's day,
never the server's or UTC's: at 05:36 WITA on 2 December it is still 1 December in UTC.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=16)
def zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def today(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The date in the time zone ``tz`` (an IANA name, ``GOTONG_TIMEZONE``)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone(tz)).date()


def moment(value: str | dt.datetime) -> dt.datetime:
    """A moment from ISO text or a datetime; UTC unless it says otherwise."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def local_date(value: str | dt.datetime, tz: str) -> dt.date:
    """The day of a moment in the time zone ``tz``."""
    return moment(value).astimezone(zone(tz)).date()
