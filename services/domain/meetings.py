"""Meetings: schedule, minutes (notulen) and the decisions taken."""

from __future__ import annotations

from events.catalog import MEETING_MINUTES_PUBLISHED, MEETING_SCHEDULED
from services.domain.base import Event, State, apply, guarded, node_of, utc
from services.domain.search import meeting_document

AGGREGATE = "meeting"


def decide(state: State, event: Event) -> str | None:
    """A meeting (its schedule, its minutes) belongs to the node that convened it."""
    if node_of(event) != state.get("node_id"):
        return (f"only the node that convened meeting {state['id']!r} "
                f"({state.get('node_id')}) reschedules it or publishes its minutes")
    return None


def _fold(state: State, event: Event) -> None:
    kind = event["type"]
    data = event["data"]
    at = utc(event["time"])
    state["updated_at"] = max(at, state.get("updated_at") or at)
    state.setdefault("minutes", None)
    if kind == MEETING_SCHEDULED:
        state["exists"] = True
        state.setdefault("node_id", node_of(event))
        state.setdefault("scheduled_at", at)
        state["forum_id"] = data["forum_id"]
        state["title"] = data["title"]
        state["starts_at"] = utc(data["starts_at"])
        state["location"] = data.get("location")
        state["agenda"] = list(data.get("agenda") or [])
    elif kind == MEETING_MINUTES_PUBLISHED:
        state["minutes"] = {
            "attendees": data["attendees"],
            "decisions": data["decisions"],
            "summary": data.get("summary"),
            "node_id": node_of(event),
            "published_at": at,
        }


fold = guarded(_fold, MEETING_SCHEDULED, frozenset({MEETING_MINUTES_PUBLISHED}), decide)


def evolve(state: State | None, event: Event) -> State:
    return apply(fold, state, event)


def rows(state: State) -> dict[str, list[dict[str, object]]]:
    if not state["exists"]:
        return {}
    minutes = state["minutes"]
    meeting: dict[str, object] = {
        "id": state["id"],
        "forum_id": state["forum_id"],
        "title": state["title"],
        "starts_at": state["starts_at"],
        "location": state.get("location"),
        "agenda": state["agenda"],
        "node_id": state["node_id"],
        "minutes": minutes,
        "has_minutes": minutes is not None,
        "updated_at": state["updated_at"],
        "version": state["version"],
    }
    return {"meetings": [meeting], "search_documents": [meeting_document(meeting)]}
