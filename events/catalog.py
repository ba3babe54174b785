"""The event catalog and topic contracts of DESIGN.md, as data."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

INGEST_TOPIC = "gotong.ingest"
DEAD_LETTER_TOPIC = "gotong.dead-letter"

# aggregate name -> its typed topic, which carries every event the aggregate folds
AGGREGATE_TOPICS: dict[str, str] = {
    "node": "gotong.nodes",
    "forum": "gotong.forums",
    "proposal": "gotong.proposals",
    "meeting": "gotong.meetings",
    "action_item": "gotong.action-items",
    "program": "gotong.indicators",
}

# An event type names its aggregate (``gotong.<aggregate>.<what>.v<n>``) except where
# listed here: an indicator report is an event of its program (same subject), judged
# against the program's definition and kept in the program's topic, in one order with it.
FOLDED_BY: dict[str, str] = {"indicator": "program"}

TYPED_TOPICS: tuple[str, ...] = tuple(AGGREGATE_TOPICS.values())
#: the header of a typed record whose event its aggregate's rule refused when it came (a
#: node acting on what is not its own): the log keeps it, since a replay judges it the
#: same; whoever tells people what happened (the notifier) skips it
REFUSED_HEADER = "gotong-refused"


def refused(headers: Any) -> bool:
    """Whether a typed record's headers say its event was refused (no news: the log keeps
    it, the feed, webhooks and notifications leave it out)."""
    return any(name == REFUSED_HEADER for name, _ in headers or ())
ALL_TOPICS: tuple[str, ...] = (INGEST_TOPIC, *TYPED_TOPICS, DEAD_LETTER_TOPIC)

TYPE_PATTERN = re.compile(
    r"^gotong\.(?P<aggregate>[a-z_]+)\.(?P<what>[a-z_]+)\.v(?P<major>[0-9]+)$"
)

# The service's own identity, used for events it publishes itself (the overdue timer).
SERVICE_NODE = "gotong"

# Every event type in use, by name (each has its schema: tests/unit/test_catalog.py).
NODE_REGISTERED = "gotong.node.registered.v1"
FORUM_OPENED = "gotong.forum.opened.v1"
PROPOSAL_SUBMITTED = "gotong.proposal.submitted.v1"
PROPOSAL_COMMENTED = "gotong.proposal.commented.v1"
PROPOSAL_ENDORSED = "gotong.proposal.endorsed.v1"
PROPOSAL_STATUS_CHANGED = "gotong.proposal.status_changed.v1"
PROPOSAL_COMMENT_HIDDEN = "gotong.proposal.comment_hidden.v1"
PROPOSAL_COMMENT_RESTORED = "gotong.proposal.comment_restored.v1"
MEETING_SCHEDULED = "gotong.meeting.scheduled.v1"
MEETING_MINUTES_PUBLISHED = "gotong.meeting.minutes_published.v1"
ACTION_ITEM_CREATED = "gotong.action_item.created.v1"
ACTION_ITEM_PROGRESS_REPORTED = "gotong.action_item.progress_reported.v1"
ACTION_ITEM_STATUS_CHANGED = "gotong.action_item.status_changed.v1"
ACTION_ITEM_REASSIGNED = "gotong.action_item.reassigned.v1"
ACTION_ITEM_OVERDUE = "gotong.action_item.overdue.v1"
INDICATOR_REPORTED = "gotong.indicator.reported.v1"
INDICATOR_REPORTED_V2 = "gotong.indicator.reported.v2"
PROGRAM_DEFINED = "gotong.program.defined.v1"


def known_types() -> list[str]:
    """Every event type that has a schema file (all versions ever accepted)."""
    return sorted(
        p.stem for p in SCHEMA_DIR.glob("gotong.*.json") if TYPE_PATTERN.match(p.stem)
    )


@functools.lru_cache(maxsize=1024)
def aggregate_of(event_type: str) -> str:
    """The aggregate that folds events of ``event_type`` (and whose topic carries them)."""
    match = TYPE_PATTERN.match(event_type)
    if match is None:
        raise ValueError(f"not a gotong event type: {event_type!r}")
    named = match["aggregate"]
    return FOLDED_BY.get(named, named)


def topic_for(event_type: str) -> str:
    return AGGREGATE_TOPICS[aggregate_of(event_type)]


def node_of(source: str) -> str | None:
    """The node id in a ``/nodes/<id>`` source, or None."""
    if source.startswith("/nodes/"):
        node = source[len("/nodes/") :]
        return node or None
    return None
