"""Action items (rencana tindak lanjut) and commitments (komitmen): owner, due date, progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from events.catalog import (
    ACTION_ITEM_CREATED,
    ACTION_ITEM_OVERDUE,
    ACTION_ITEM_PROGRESS_REPORTED,
    ACTION_ITEM_REASSIGNED,
    ACTION_ITEM_STATUS_CHANGED,
    SERVICE_NODE,
)
from services.domain.base import Event, State, apply, guarded, node_of, utc
from services.domain.search import commitment_document

AGGREGATE = "action_item"

#: an item's statuses (the schema of created and status_changed); the closed ones
STATUSES = ("open", "in_progress", "blocked", "done", "cancelled")
CLOSED = frozenset({"done", "cancelled"})


def decide(state: State, event: Event) -> str | None:
    """Who may change an action item: its owner reports; its creator and owner steer it."""
    kind, node = event["type"], node_of(event)
    creator, owner = state.get("node_id"), state.get("owner_node_id")
    if kind == ACTION_ITEM_CREATED and node != creator:
        return f"only the node that created action item {state['id']!r} ({creator}) updates it"
    if kind == ACTION_ITEM_PROGRESS_REPORTED and node != owner:
        return f"only the owner node of action item {state['id']!r} ({owner}) reports progress"
    steering = kind in (ACTION_ITEM_STATUS_CHANGED, ACTION_ITEM_REASSIGNED)
    if steering and node not in (creator, owner):
        return (f"only the owner ({owner}) or the creator ({creator}) of action item "
                f"{state['id']!r} changes its status or owner")
    if kind == ACTION_ITEM_OVERDUE and node != SERVICE_NODE:
        return "only the service itself publishes overdue events"
    return None


def _fold(state: State, event: Event) -> None:
    kind = event["type"]
    data = event["data"]
    at = utc(event["time"])
    node = node_of(event)
    state.setdefault("history", [])
    state.setdefault("status", None)
    state.setdefault("percent", 0)
    state.setdefault("overdue_published", False)
    state["updated_at"] = max(at, state.get("updated_at") or at)
    entry: dict[str, object] = {"at": at, "node_id": node}
    if kind == ACTION_ITEM_CREATED:
        first = not state["exists"]
        state["exists"] = True
        state["title"] = data["title"]
        state["owner_node_id"] = data["owner_node_id"]
        state["due_date"] = data["due_date"]
        state["description"] = data.get("description")
        state["meeting_id"] = data.get("meeting_id")
        state["proposal_id"] = data.get("proposal_id")
        state.setdefault("node_id", node)
        if first:
            state["created_at"] = at
            if state["status"] is None:
                state["status"] = "open"
        entry |= {"kind": "created", "owner_node_id": data["owner_node_id"],
                  "due_date": data["due_date"]}
        state["history"].insert(0, entry)
        return
    if kind == ACTION_ITEM_PROGRESS_REPORTED:
        state["percent"] = data["percent"]
        entry |= {"kind": "progress", "percent": data["percent"], "note": data.get("note"),
                  "evidence_url": data.get("evidence_url")}
        if state["status"] in (None, "open") and data["percent"] > 0:
            state["status"] = "in_progress"
    elif kind == ACTION_ITEM_STATUS_CHANGED:
        state["status"] = status_left(data["status"], state["percent"])
        if data["status"] == "done":
            state["percent"] = 100
            state["completed_at"] = at
        entry |= {"kind": "status", "status": data["status"], "reason": data.get("reason")}
    elif kind == ACTION_ITEM_REASSIGNED:
        state["owner_node_id"] = data["owner_node_id"]
        entry |= {"kind": "reassigned", "owner_node_id": data["owner_node_id"],
                  "reason": data.get("reason")}
    elif kind == ACTION_ITEM_OVERDUE:
        state["overdue_published"] = True
        entry |= {"kind": "overdue", "due_date": data["due_date"]}
    else:
        return
    state["history"].append(entry)


def status_left(asked: str, percent: int) -> str:
    """The status a status change leaves: back to "open" (unblocked, reopened) with work
    already reported, a commitment is under way."""
    return "in_progress" if asked == "open" and percent > 0 else asked


def step_statuses(history: list[dict[str, Any]]) -> list[str | None]:
    """For each step of a commitment's history, the status its status change left (None
    for the other steps): what the history says beside each step, by the fold's rule."""
    percent, found = 0, []
    for step in history:
        status = None
        if step.get("kind") == "progress":
            percent = step["percent"]
        elif step.get("kind") == "status":
            status = status_left(step["status"], percent)
            if step["status"] == "done":
                percent = 100
        found.append(status)
    return found


UPDATES = frozenset({ACTION_ITEM_PROGRESS_REPORTED, ACTION_ITEM_STATUS_CHANGED,
                     ACTION_ITEM_REASSIGNED, ACTION_ITEM_OVERDUE})

fold = guarded(_fold, ACTION_ITEM_CREATED, UPDATES, decide)


def evolve(state: State | None, event: Event) -> State:
    return apply(fold, state, event)


def is_late(status: str | None, due_date: str, today: dt.date) -> bool:
    """Overdue: still open and past its due date, ``today`` being the city's day. The one
    rule; its SQL twin is ``web.queries.board.late``."""
    return status not in CLOSED and due_date < today.isoformat()


def is_overdue(state: State, today: dt.date) -> bool:
    """An open item past its due date, whether or not the overdue event was published yet."""
    return bool(state.get("exists")) and is_late(state.get("status"), state["due_date"], today)


def needs_overdue_event(state: State, today: dt.date) -> bool:
    return is_overdue(state, today) and not state.get("overdue_published")


def rows(state: State) -> dict[str, list[dict[str, object]]]:
    if not state["exists"]:
        return {}
    item: dict[str, object] = {
        "id": state["id"],
        "title": state["title"],
        "description": state.get("description"),
        "owner_node_id": state["owner_node_id"],
        "due_date": state["due_date"],
        "status": state["status"],
        "percent": state["percent"],
        "meeting_id": state.get("meeting_id"),
        "proposal_id": state.get("proposal_id"),
        "node_id": state["node_id"],
        "history": state["history"],
        "overdue_published": state["overdue_published"],
        "created_at": state["created_at"],
        "completed_at": state.get("completed_at"),
        "updated_at": state["updated_at"],
        "version": state["version"],
    }
    return {"action_items": [item], "search_documents": [commitment_document(item)]}
