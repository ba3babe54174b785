"""How a form becomes an event: published as the user's node, then awaited in the read model.

The same path as the JSON API: the event is validated against its schema and
handed to the ingest producer, which attests it as the user's node; the gate,
the aggregates and the projector do the rest. Nothing here writes the read model.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel
from starlette.requests import Request

from events.catalog import (
    PROPOSAL_COMMENTED,
    PROPOSAL_ENDORSED,
    PROPOSAL_SUBMITTED,
    SERVICE_NODE,
)
from events.envelope import cloud_event
from services.identity.accounts import CurrentUser
from services.ingest import publish as publishing
from services.notify import store as follows

POLL_S = 0.05

#: posting, commenting or endorsing follows the proposal
FOLLOWS_PROPOSAL = (PROPOSAL_SUBMITTED, PROPOSAL_COMMENTED, PROPOSAL_ENDORSED)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def make_event(user: CurrentUser, type_: str, subject: str,
               data: Mapping[str, Any], as_node: str | None = None) -> dict[str, Any]:
    return cloud_event(type_, node=as_node or user.node_id, subject=subject,
                       data={k: v for k, v in data.items() if v not in (None, "", [])})


def acting_node(user: CurrentUser, *allowed: str | None) -> str:
    """As whom a person's change is published: their node when it is one of ``allowed``
    (the nodes the aggregate's rule lets change the object); an admin acting for another
    node acts as the service itself, which the rules let do anything. Anyone else acts as
    their own node, and the aggregate's ``decide`` refuses what that node may not do."""
    if user.node_id in allowed or not user.is_admin:
        return user.node_id
    return SERVICE_NODE


async def publish_all(request: Request, user: CurrentUser,
                      events: Sequence[tuple[str, str, Mapping[str, Any]]],
                      as_node: str | None = None) -> list[dict[str, Any]]:
    """Publish (type, subject, data) events together: every one is checked before any is
    sent (a form whose second event is invalid publishes none), and they go to Kafka
    together; else ``services.ingest.publish.NotPublished`` says why."""
    state = request.app.state
    node = as_node or user.node_id
    made = [make_event(user, type_, subject, data, node) for type_, subject, data in events]
    at_root = publishing.pointer_prefix(True)  # a form's fields, whichever event has them
    publishing.check(state.validator, node, made, at_root)
    await publishing.ask_owners(state.engine, made, at_root)
    # whose action each event is (the notifier tells them nothing of it): written before
    # sending, so never after the notifier reads the event
    await asyncio.to_thread(follows.record_actions, state.engine, user.username,
                            [str(e["id"]) for e in made])
    await publishing.send(state.producer, node, made, state.settings.publish_timeout_s)
    followed = [("proposal", str(e["subject"])) for e in made if e["type"] in FOLLOWS_PROPOSAL]
    if followed:  # what they follow by it, once Kafka has taken it
        await asyncio.to_thread(follows.follow_all, state.engine, user.username, followed)
    return made


def version_of(engine: Engine, model: type[SQLModel], key: Any) -> int:
    with Session(engine) as session:
        row = session.get(model, key)
        return int(getattr(row, "version", 0)) if row is not None else 0


async def projected(request: Request, model: type[SQLModel], key: Any, after: int) -> bool:
    """Wait (a bounded time) until the row's version is past ``after``: read your own write."""
    engine = request.app.state.engine
    deadline = time.monotonic() + request.app.state.settings.projection_wait_s
    while True:
        if await asyncio.to_thread(version_of, engine, model, key) > after:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_S)
