"""Forums (musyawarah): standing discussion spaces."""

from __future__ import annotations

from services.aggregates.base import Event, State, apply, node_of, utc

AGGREGATE = "forum"


def fold(state: State, event: Event) -> None:
    if event["type"] == "gotong.forum.opened.v1":
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
