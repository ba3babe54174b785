"""Forums (musyawarah): standing discussion spaces."""

from __future__ import annotations

from events.catalog import FORUM_OPENED
from services.domain.base import Event, State, apply, guarded, node_of, utc

AGGREGATE = "forum"


def decide(state: State, event: Event) -> str | None:
    """A forum's title and description are changed only by the node that opened it."""
    if node_of(event) != state.get("node_id"):
        return (f"only the node that opened forum {state['id']!r} ({state.get('node_id')}) "
                "changes it")
    return None


def _fold(state: State, event: Event) -> None:
    if event["type"] == FORUM_OPENED:
        data = event["data"]
        at = utc(event["time"])
        state["exists"] = True
        state.setdefault("opened_at", at)
        state.setdefault("node_id", node_of(event))
        state["updated_at"] = at
        state["title"] = data["title"]
        state["description"] = data.get("description")
        state["area"] = data.get("area")
        state["program"] = data.get("program")


fold = guarded(_fold, FORUM_OPENED, frozenset(), decide)


def evolve(state: State | None, event: Event) -> State:
    return apply(fold, state, event)


def rows(state: State) -> dict[str, list[dict[str, object]]]:
    if not state["exists"]:
        return {}
    return {
        "forums": [
            {
                "id": state["id"],
                "title": state["title"],
                "description": state.get("description"),
                "area": state.get("area"),
                "program": state.get("program"),
                "node_id": state["node_id"],
                "opened_at": state["opened_at"],
                "updated_at": state["updated_at"],
                "version": state["version"],
            }
        ]
    }
