"""Nodes: the agencies, NGOs and community groups that publish events."""

from __future__ import annotations

from events.catalog import NODE_REGISTERED
from services.domain.base import Event, State, apply, open_to_all, utc

AGGREGATE = "node"


def _fold(state: State, event: Event) -> None:
    if event["type"] == NODE_REGISTERED:
        data = event["data"]
        at = utc(event["time"])
        state["exists"] = True
        state.setdefault("registered_at", at)
        state["updated_at"] = at
        state["name"] = data["name"]
        state["kind"] = data["kind"]
        state["description"] = data.get("description")
        state["contact"] = data.get("contact")
        state["public_key"] = data.get("public_key")


fold = open_to_all(_fold)


def evolve(state: State | None, event: Event) -> State:
    return apply(fold, state, event)


def rows(state: State) -> dict[str, list[dict[str, object]]]:
    if not state["exists"]:
        return {}
    return {
        "nodes": [
            {
                "id": state["id"],
                "name": state["name"],
                "kind": state["kind"],
                "description": state.get("description"),
                "contact": state.get("contact"),
                "registered_at": state["registered_at"],
                "updated_at": state["updated_at"],
                "version": state["version"],
            }
        ]
    }
