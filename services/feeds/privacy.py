"""Fields that only readers with the ``read_private`` scope see.

A node's ``contact`` is often a person's phone number or address; everything
else in the catalog is published on purpose. Redaction removes optional fields
only, so a redacted event is still valid against its schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.catalog import NODE_REGISTERED

PRIVATE_FIELDS: dict[str, tuple[str, ...]] = {
    NODE_REGISTERED: ("contact",),
}


def redacted(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """``event`` without its private fields (the same object when it has none)."""
    private = PRIVATE_FIELDS.get(str(event.get("type")), ())
    data = event.get("data")
    if not private or not isinstance(data, Mapping) or not any(k in data for k in private):
        return event
    return {**event, "data": {k: v for k, v in data.items() if k not in private}}
