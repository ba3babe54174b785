"""The one CloudEvent builder: every event the service, its site, its command line, its
demo and its benchmarks publish is made here, so they agree on the envelope."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any


def timestamp(moment: dt.datetime | None = None, timespec: str = "milliseconds") -> str:
    """RFC 3339 in UTC with ``Z`` (``2026-12-04T02:15:00.123Z``): an event's ``time``."""
    if moment is None:
        moment = dt.datetime.now(dt.UTC)
    elif moment.tzinfo is None:
        raise ValueError(f"a naive moment has no place in time: {moment!r}")
    moment = moment.astimezone(dt.UTC)
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def cloud_event(type_: str, *, node: str, subject: str, data: Mapping[str, Any],
                event_id: str | None = None, time: str | None = None) -> dict[str, Any]:
    """A CloudEvent from ``node`` about ``subject``; a fresh id and the current time unless
    given (a given id makes a retry a duplicate, which changes nothing)."""
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": f"/nodes/{node}",
        "type": type_,
        "subject": subject,
        "time": time or timestamp(),
        "datacontenttype": "application/json",
        "data": dict(data),
    }
