"""The Faust app: the gate agent, the timers, and the webhook agents.

Agents are short loops around the pure core: ``services.gate.judge`` decides what
an ingest record is, ``services.aggregates`` folds events into state, the
projector writes the read model. The gate does all three for a batch in one pass
(ingest, typed topics and tables share the subject as key and so their
partitions). Delivery is at-least-once; every effect is idempotent (the event
ids in each state, the version guard of the read model), so a redelivery
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import faust
import orjson
from aiokafka.partitioner import murmur2
from faust.streams import _current_event
from faust.types import EventT

from events.catalog import (
    DEAD_LETTER_TOPIC,
    INGEST_TOPIC,
    SERVICE_NODE,
)
from events.signing import ATTEST_HEADER, attest
from events.validation import Validator, default_validator
from services import delivery, faust_runtime
from services.aggregates import AGGREGATES, Aggregate
from services.aggregates.action_items import needs_overdue_event
from services.aggregates.base import absorb, new_state
from services.gate import Accepted, Rejected, dead_letter, judge
from services.projector import Projector
from services.readmodel.db import make_engine, migrate
from services.settings import Settings

log = logging.getLogger(__name__)

OVERDUE_NAMESPACE = uuid.UUID("6f1c1f5e-5b2a-4c59-9a57-0a9f1d3c2b10")


@contextmanager
def pinned(event: EventT) -> Iterator[None]:
    """Make ``event`` the current event while touching a table.

    Faust places a table write in the partition of the current event. Inside a
    ``take_events`` batch there is no current event in the agent's own task, so
    each write is pinned to the event it came from (same key, same partition).
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def _headers(event: EventT) -> dict[str, bytes]:
    raw = event.message.headers or []
    items = raw.items() if isinstance(raw, Mapping) else raw
    return {str(k): bytes(v) for k, v in items if v is not None}


def _origin(event: EventT) -> dict[str, Any]:
    message = event.message
    key = message.key
    return {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "timestamp": message.timestamp,
        "key": key.decode("utf-8", "replace") if isinstance(key, bytes) else key,
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def overdue_event(item_id: str, due_date: str) -> dict[str, Any]:
    """The one overdue event for an item; its id is derived from the item, so a retry is a dup."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid5(OVERDUE_NAMESPACE, f"overdue:{item_id}")),
        "source": f"/nodes/{SERVICE_NODE}",
        "type": "gotong.action_item.overdue.v1",
        "subject": item_id,
        "time": _now(),
        "datacontenttype": "application/json",
        "data": {"due_date": due_date},
    }


class Worker:
    """Builds the Faust app for the given settings."""

    def __init__(self, settings: Settings, validator: Validator | None = None) -> None:
        self.settings = settings
        self.validator = validator or default_validator()
        self.secret = settings.secret_key
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.engine = make_engine(settings.database_url)
        self.projector = Projector(self.engine)
        self.overdue_sent: set[str] = set()
        self.app = self._make_app()
        raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw",
               "value_serializer": "raw"}
        self.ingest = self.app.topic(INGEST_TOPIC, **raw)
        self.dead = self.app.topic(DEAD_LETTER_TOPIC, **raw)
        # Keys are JSON strings; values are bytes we encode ourselves with orjson, which
        # is several times faster than Faust's JSON codec and hands us a fresh object
        # on every read (so a batch may fold into it in place).
        table = {"partitions": settings.topic_partitions, "key_type": str, "value_type": bytes}
        self.node_keys = self.app.GlobalTable("node-public-keys", default=None, **table)
        self.tables = {
            name: self.app.Table(f"{name}-state", default=None, **table) for name in AGGREGATES
        }
        self.app.agent(self.ingest, name="gate")(self._gate)
        self.app.timer(settings.overdue_check_s, name="overdue")(self._publish_overdue)
        self.app.timer(2.0, name="heartbeat")(self._heartbeat)
        self.delivery = delivery.register(self)  # webhooks (issue 4): its own agents

    def _make_app(self) -> faust.App:
        s = self.settings
        return faust_runtime.App(
            s.app_id,
            broker=[f"kafka://{b.strip()}" for b in s.bootstrap.split(",")],
            store="rocksdb://" if s.table_store == "rocksdb" else "memory://",
            datadir=str(s.data_dir / "worker"),
            topic_partitions=s.topic_partitions,
            topic_replication_factor=s.topic_replication,
            topic_allow_declare=True,
            web_enabled=False,
            producer_acks=-1,
            consumer_auto_offset_reset="earliest",
            broker_commit_interval=1.0,
            # a crashed worker's partitions move to the others after 10 s, not Faust's 60 s
            broker_session_timeout=10.0,
            broker_heartbeat_interval=3.0,
            stream_buffer_maxsize=max(4096, s.batch_size * 2),
            producer_linger_ms=2,
            producer_max_batch_size=256 * 1024,
            table_standby_replicas=0,
            key_serializer="raw",
            value_serializer="raw",
        )

    # -- the gate: judge, dedupe, fold, route ------------------------------------------

    async def _gate(self, stream: faust.StreamT) -> None:
        s = self.settings
        async for batch in stream.take_events(s.batch_size, within=s.batch_within_s):
            await self.process_batch(batch)

    async def process_batch(self, batch: Sequence[EventT]) -> None:
        """Judge a batch of ingest records and fold the accepted ones, in one pass.

        The ingest topic is keyed by subject like the typed topics and the tables,
        so the partition a record arrives on is the partition of its aggregate's
        state: the gate folds events straight into the tables (one Kafka hop, not
        two) and writes each new event to its typed topic, the log that feeds,
        webhooks and ``gotong rebuild`` read. A duplicate is an event its aggregate
        has already folded (every state keeps the ids of its events), so it is
        neither folded nor written again.

        Order of effects, so that a crash at any point loses nothing: typed
        records acknowledged, then the read model, then the tables, then (by Faust,
        after this returns) the ingest offsets. A crash in between replays the batch;
        the replay finds the events in the state or not at all.
        """
        pending: list[Any] = []
        groups: dict[tuple[str, str], list[tuple[EventT, Accepted]]] = {}
        partitions = self._ingest_partitions()
        for fe in batch:
            raw = fe.value if isinstance(fe.value, bytes) else None
            verdict = judge(raw, _headers(fe), validator=self.validator, secret=self.secret,
                            public_key_for=self._public_key)
            if isinstance(verdict, Rejected):
                pending.append(await self._dead_letter(fe, verdict))
                continue
            if partition_for(verdict.key, partitions) != fe.message.partition:
                pending.append(await self._reroute(fe, verdict))
                continue
            groups.setdefault((_aggregate(verdict), verdict.event["subject"]), []).append(
                (fe, verdict))
        changed: list[tuple[Aggregate, str, dict[str, Any], EventT]] = []
        replayed: list[tuple[Aggregate, str, bytes, EventT]] = []
        producer = self.app.producer
        for (name, subject), items in groups.items():
            aggregate = AGGREGATES[name]
            last = items[-1][0]
            with pinned(last):
                stored = self.tables[name].get(subject)
            # a freshly decoded object: ours to fold into in place
            state = orjson.loads(stored) if stored else new_state(subject)
            fresh = False
            for fe, verdict in items:
                if absorb(aggregate.fold, state, verdict.event):
                    fresh = True
                    pending.append(await producer.send(
                        verdict.topic, verdict.key, fe.value, None, None, None))
            if fresh:
                changed.append((aggregate, subject, state, last))
            elif stored:
                replayed.append((aggregate, subject, stored, last))
        for future in pending:
            await future
        # The read model before the tables: the read model is never behind them.
        await self.projector.project(agg.rows(state) for agg, _, state, _ in changed)
        for aggregate, subject, state, last in changed:
            with pinned(last):
                self.tables[aggregate.name][subject] = orjson.dumps(state)
            if aggregate.name == "node":
                self._remember_key(state, last)
        # Only duplicates: after a crash the local store can be ahead of the changelog
        # (written locally, never flushed); writing the state again closes that gap.
        for aggregate, subject, stored, last in replayed:
            with pinned(last):
                self.tables[aggregate.name][subject] = stored
        self.projector.events_processed += len(batch)

    def _ingest_partitions(self) -> int:
        known = self.app.consumer.topic_partitions(INGEST_TOPIC)
        return known or self.settings.topic_partitions

    async def _reroute(self, fe: EventT, verdict: Accepted) -> Any:
        """Send a record keyed other than by its subject back to ingest, keyed right.

        Its aggregate's state lives with another partition (maybe on another worker),
        so it is folded there. Rare: the web, the CLI and the client key by subject;
        a direct producer may not (another partitioner, another key).
        """
        log.info("re-keying %s to its subject %r", _origin(fe), verdict.event["subject"])
        headers = [(k, v) for k, v in _headers(fe).items()]
        return await self.ingest.send(key=verdict.key, value=fe.value, headers=headers)

    async def _dead_letter(self, fe: EventT, rejected: Rejected) -> Any:
        record = dead_letter(rejected, fe.value if isinstance(fe.value, bytes) else None,
                             origin=_origin(fe), received_at=_now())
        log.info("dead-lettered %s: %s", _origin(fe), rejected.reason[:200])
        return await self.dead.send(
            key=fe.message.key if isinstance(fe.message.key, bytes) else None,
            value=record,
            headers={"gotong-reason": rejected.reason[:512].encode()},
        )

    def _public_key(self, node: str) -> str | None:
        value = self.node_keys.get(node)
        return value.decode() if value else None

    # -- state ------------------------------------------------------------------------

    def _remember_key(self, state: Mapping[str, Any], fe: EventT) -> None:
        key = (state.get("public_key") or "").encode()
        with pinned(fe):
            if (self.node_keys.get(state["id"]) or b"") != key:
                self.node_keys[state["id"]] = key

    # -- timers -------------------------------------------------------------------

    async def _publish_overdue(self) -> None:
        today = dt.datetime.now(ZoneInfo(self.settings.timezone)).date()
        table = self.tables["action_item"]
        for item_id, stored in list(table.items()):
            if item_id in self.overdue_sent or not stored:
                continue
            state = orjson.loads(stored)
            if needs_overdue_event(state, today):
                # through the front door like any event, attested as the service itself:
                # the gate folds it and writes it to the typed topic
                value = orjson.dumps(overdue_event(item_id, state["due_date"]))
                future = await self.ingest.send(
                    key=item_id.encode(), value=value,
                    headers=[(ATTEST_HEADER, attest(self.secret, SERVICE_NODE, value))])
                await future
                self.overdue_sent.add(item_id)
                log.info("published overdue for %s (due %s)", item_id, state["due_date"])

    async def _heartbeat(self) -> None:
        try:
            await self.projector.heartbeat(self.worker_id)
        except Exception:  # the heartbeat must never stop the worker; /healthz will show it
            log.exception("could not write the worker heartbeat")


def _aggregate(verdict: Accepted) -> str:
    return str(verdict.event["type"]).split(".")[1]


def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as in Java and aiokafka) picks."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def run(settings: Settings, loglevel: str = "INFO") -> None:
    """Create the topics, migrate the read model, and run the worker until stopped."""
    import asyncio

    from services.topics import ensure_topics

    (settings.data_dir / "worker").mkdir(parents=True, exist_ok=True)
    worker = Worker(settings)
    asyncio.run(ensure_topics(settings, worker.app))
    migrate(worker.engine)
    faust_runtime.Worker(worker.app, loglevel=loglevel,
                         stop_timeout=settings.worker_stop_timeout_s).execute_from_commandline()
