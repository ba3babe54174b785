"""Publish = validate + decide + publish: the one way events get in, for the JSON API and
the site's forms. Nothing is published unless every event passes. (``gotong publish``
straight to Kafka checks schema and source only; the worker judges the rest.)

1. ``check``: each event against its schema, its source against the publishing node,
   and what no node may publish (``services.domain.authority``);
2. ``ask_owners``: each aggregate's ``decide`` against what the read model shows of
   it (``services.ingest.ownership``), so a node hears "not yours" at once rather than
   reading a dead letter later; the fold asks the same ``decide`` again, in log order;
3. ``send``: to ``gotong.ingest``, answered once Kafka has acknowledged every event.

Each step raises ``NotPublished``, which says what the caller shows: a 422 or 403
problem from the API, a form with its fields marked or a 403 page on the site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Literal

from aiokafka.errors import KafkaError
from sqlalchemy import Engine

from events.catalog import node_of
from events.validation import FieldError, Validator
from services.domain.authority import authority_errors
from services.ingest import ownership
from services.ingest.producer import IngestProducer
from services.readmodel.db import lookup

Kind = Literal["invalid", "wrong-source", "not-allowed", "kafka-unavailable"]


class NotPublished(Exception):
    """Nothing was published, and why: ``kind`` and the ``errors`` that name the fields."""

    def __init__(self, kind: Kind, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.kind: Kind = kind
        self.detail = detail
        self.errors = list(errors)


def pointer_prefix(single: bool) -> Callable[[int], str]:
    """Where an event's fields are in the request: the root for one event, ``/i`` in a list."""
    return (lambda _index: "") if single else (lambda index: f"/{index}")


def check(validator: Validator, node: str, events: Sequence[Any],
          prefix: Callable[[int], str]) -> None:
    """Every event valid, from ``node``, and of a kind a node may publish; else raise."""
    errors: list[FieldError] = []
    for index, event in enumerate(events):
        at = prefix(index)
        found = validator.errors(event)
        # a valid event's source is /nodes/<id> (the envelope schema says so)
        if not found and node_of(event["source"]) != node:
            raise NotPublished(
                "wrong-source",
                f"this key publishes as /nodes/{node} only, not as {event['source']}",
                [FieldError(at + "/source", f"must be /nodes/{node}, the key's node")])
        refused = [] if found else authority_errors(event)
        if refused:
            raise NotPublished("not-allowed", "; ".join(str(e.prefixed(at)) for e in refused),
                               [e.prefixed(at) for e in refused])
        errors.extend(e.prefixed(at) for e in found)
    if errors:
        raise NotPublished("invalid",
                           f"{len(errors)} problem(s) in the request; nothing was published",
                           errors)


async def ask_owners(engine: Engine, events: Sequence[Any],
                     prefix: Callable[[int], str]) -> None:
    """The aggregates' ``decide``, asked of what the read model shows; raise if one refuses."""
    refused = await lookup(engine, ownership.refusals, engine, events, prefix)
    if refused:
        raise NotPublished("not-allowed",
                           "; ".join(str(e) for e in refused) + "; nothing was published",
                           refused)


async def send(producer: IngestProducer | None, node: str, events: Sequence[Any],
               timeout_s: float) -> None:
    """To ``gotong.ingest`` as ``node``; raise unless Kafka acknowledged every event."""
    if producer is None or not producer.started:
        raise NotPublished("kafka-unavailable", "Kafka is not reachable right now")
    try:
        # (the deadline is kept by the group of records the events join: one timer for
        # the requests that wait together, not a timeout of every request's own)
        deadline = asyncio.get_running_loop().time() + timeout_s
        await producer.publish(node, events, deadline)
    except (KafkaError, TimeoutError) as exc:
        raise NotPublished("kafka-unavailable", f"Kafka did not acknowledge the events: {exc!r}"
                           ) from exc
