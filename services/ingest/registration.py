"""Registering a node: the one path for ``gotong node add`` and the admin's web form.

The node is registered by its own event, ``gotong.node.registered.v1`` published as
the node (its subject and source are its id), sent through the ingest producer; only
once Kafka has it is the node's first API key issued (stored hashed, returned once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine

from events.catalog import NODE_REGISTERED, SERVICE_NODE
from events.envelope import cloud_event
from events.validation import FieldError, Validator
from services.identity.keys import DEFAULT_SCOPES, has_key, issue_key
from services.ingest import publish as publishing
from services.ingest.producer import IngestProducer

NODE_KINDS = ("government", "ngo", "community")


class RegistrationRefused(ValueError):
    """Nothing was registered: ``errors`` names each field (``node_id``, ``name``, …)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {why}" for field, why in errors.items()))
        self.errors = errors


def _field(error: FieldError) -> str:
    if error.pointer in ("/subject", "/source"):
        return "node_id"
    return error.pointer.removeprefix("/data/").split("/")[0] or "node_id"


def registration(validator: Validator, node_id: str, *, kind: str, name: str,
                 description: str | None = None, contact: str | None = None,
                 public_key: str | None = None) -> dict[str, Any]:
    """The node's registration event, checked against its schema."""
    if node_id == SERVICE_NODE:
        raise RegistrationRefused({"node_id": f"{SERVICE_NODE!r} is the service's own node id "
                                              "(its overdue events): choose another"})
    data: dict[str, Any] = {"name": name, "kind": kind}
    for field, value in (("description", description), ("contact", contact),
                         ("public_key", public_key)):
        if value:
            data[field] = value
    event = cloud_event(NODE_REGISTERED, node=node_id, subject=node_id, data=data)
    errors: dict[str, str] = {}
    for error in validator.errors(event):
        errors.setdefault(_field(error), error.detail)
    if errors:
        raise RegistrationRefused(errors)
    return event


async def register(engine: Engine, producer: IngestProducer | None, event: dict[str, Any],
                   timeout_s: float, scopes: Iterable[str] = DEFAULT_SCOPES) -> str:
    """Publish the registration and issue the node's first key; returns the key.

    ``RegistrationRefused`` if the node has a key already; ``NotPublished`` (kind
    ``kafka-unavailable``) if Kafka did not take the event, and then no key exists.
    """
    node_id = event["subject"]
    if await asyncio.to_thread(has_key, engine, node_id):
        raise RegistrationRefused({"node_id": f"node {node_id!r} already has an API key"})
    await publishing.send(producer, node_id, [event], timeout_s)
    return await asyncio.to_thread(issue_key, engine, node_id, tuple(scopes))
