"""iCalendar (RFC 5545) of meetings, for calendar apps, built with the icalendar library."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from icalendar import Calendar, Event

DEFAULT_DURATION = dt.timedelta(hours=2)  # the catalog has no end time for a meeting


def _utc(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)


# RFC 5545 TEXT allows no control character but HTAB; icalendar escapes line breaks
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def calendar(name: str, meetings: Iterable[Mapping[str, Any]], link_for: Any) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Gotong//Meetings//ID")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _clean(name))
    for meeting in meetings:
        item = Event()
        item.add("uid", f"meeting-{meeting['id']}@gotong.id")
        item.add("dtstamp", _utc(meeting["updated_at"]))
        item.add("dtstart", _utc(meeting["starts_at"]))
        item.add("duration", DEFAULT_DURATION)
        item.add("summary", _clean(meeting["title"]))
        if meeting.get("location"):
            item.add("location", _clean(meeting["location"]))
        agenda = meeting.get("agenda") or []
        if agenda:
            item.add("description", _clean("\n".join(f"- {a}" for a in agenda)))
        item.add("url", link_for(meeting))
        item.add("status", "CONFIRMED")
        cal.add_component(item)
    return bytes(cal.to_ical())
