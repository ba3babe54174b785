"""The Faust app: the gate, one aggregation agent per aggregate, and the timers.

Agents are short loops around the pure core: ``services.gate.judge`` decides what
an ingest record is, ``services.aggregates`` folds events into state, the
projector writes the read model. Delivery is at-least-once; every effect is
idempotent (the gate's seen-table, the event ids in each state, the version
guard of the read model), so a redelivery changes nothing.
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
from faust.streams import _current_event
from faust.types import EventT

from events.catalog import (
    AGGREGATE_TOPICS,
    DEAD_LETTER_TOPIC,
    INGEST_TOPIC,
    SERVICE_NODE,
)
from events.validation import FieldError, Validator, default_validator
from services.aggregates import AGGREGATES, Aggregate
from services.aggregates.action_items import needs_overdue_event
from services.aggregates.base import absorb, new_state
from services.pipeline import delivery, runtime
from services.pipeline.gate import Accepted, Rejected, dead_letter, judge
from services.pipeline.projector import Projector
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
        self.typed = {agg: self.app.topic(t, **raw) for agg, t in AGGREGATE_TOPICS.items()}
        # Keys are JSON strings; values are bytes we encode ourselves with orjson, which
        # is several times faster than Faust's JSON codec and hands us a fresh object
        # on every read (so a batch may fold into it in place).
        table = {"partitions": settings.topic_partitions, "key_type": str, "value_type": bytes}
        self.seen = self.app.Table("gate-seen", default=None, **table)
        self.node_keys = self.app.GlobalTable("node-public-keys", default=None, **table)
        self.tables = {
            name: self.app.Table(f"{name}-state", default=None, **table) for name in AGGREGATES
        }
        self.app.agent(self.ingest, name="gate")(self._gate)
        for name, aggregate in AGGREGATES.items():
            self.app.agent(self.typed[name], name=f"fold-{name}")(self._folder(aggregate))
        self.app.timer(settings.overdue_check_s, name="overdue")(self._publish_overdue)
        self.app.timer(2.0, name="heartbeat")(self._heartbeat)
        self.delivery = delivery.register(self)  # webhooks (issue 4): its own agents

    def _make_app(self) -> faust.App:
        s = self.settings
        return runtime.App(
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
            table_standby_replicas=0,
            key_serializer="raw",
            value_serializer="raw",
        )

    # -- the gate -------------------------------------------------------------

    async def _gate(self, stream: faust.StreamT) -> None:
        s = self.settings
        async for batch in stream.take_events(s.batch_size, within=s.batch_within_s):
            await self.judge_batch(batch)

    async def judge_batch(self, batch: Sequence[EventT]) -> None:
        accepted: list[tuple[EventT, Accepted]] = []
        in_batch: set[str] = set()
        pending = []
        for fe in batch:
            raw = fe.value if isinstance(fe.value, bytes) else None
            verdict = judge(raw, _headers(fe), validator=self.validator, secret=self.secret,
                            public_key_for=self._public_key)
            if isinstance(verdict, Rejected):
                pending.append(await self._dead_letter(fe, verdict))
                continue
            dedupe = verdict.dedupe_key
            if dedupe in in_batch:
                continue
            with pinned(fe):
                if self.seen.get(dedupe) is not None:
                    continue
            in_batch.add(dedupe)
            accepted.append((fe, verdict))
            pending.append(await self.app.producer.send(
                AGGREGATE_TOPICS[_aggregate(verdict)], verdict.key, fe.value, None, None, None))
        for future in pending:
            await future
        # Only once the typed topics hold the events are they marked as seen:
        # a crash in between gives a duplicate (harmless), never a loss.
        for fe, verdict in accepted:
            with pinned(fe):
                self.seen[verdict.dedupe_key] = b"1"

    async def _dead_letter_refused(
        self, state: Mapping[str, Any], count: int,
        items: Sequence[tuple[EventT, Mapping[str, Any]]], held: Sequence[Mapping[str, Any]],
    ) -> list[Any]:
        """Dead letters for the events the aggregate's rule refused (a node acting on what
        it does not own); one that was held for its aggregate's creation comes with it."""
        from_batch = {event["id"]: fe for fe, event in items}
        held_by_id = {event["id"]: event for event in held}
        pending = []
        for entry in state["refused"][-count:]:
            fe = from_batch.get(entry["id"])
            raw = fe.value if fe is not None else orjson.dumps(held_by_id.get(entry["id"]))
            rejected = Rejected(f"not allowed: {entry['reason']}",
                                [FieldError("/source", entry["reason"])], entry["id"])
            pending.append(await self._dead_letter(fe or items[-1][0], rejected, raw))
        return pending

    async def _dead_letter(self, fe: EventT, rejected: Rejected,
                           raw: bytes | None = None) -> Any:
        """The dead letter for ``fe`` (or for ``raw``, an event that came with it)."""
        if raw is None:
            raw = fe.value if isinstance(fe.value, bytes) else None
        record = dead_letter(rejected, raw,
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

    # -- aggregation ------------------------------------------------------------

    def _folder(self, aggregate: Aggregate) -> Any:
        async def fold(stream: faust.StreamT) -> None:
            s = self.settings
            async for batch in stream.take_events(s.batch_size, within=s.batch_within_s):
                await self.fold_batch(aggregate, batch)

        fold.__name__ = f"fold_{aggregate.name}"
        return fold

    async def fold_batch(self, aggregate: Aggregate, batch: Sequence[EventT]) -> None:
        table = self.tables[aggregate.name]
        by_subject: dict[str, list[tuple[EventT, Mapping[str, Any]]]] = {}
        pending = []
        for fe in batch:
            event, rejected = self._decode_typed(fe)
            if rejected is not None:
                pending.append(await self._dead_letter(fe, rejected))
                continue
            assert event is not None
            by_subject.setdefault(event["subject"], []).append((fe, event))
        changed = []
        replayed = []
        for subject, items in by_subject.items():
            last = items[-1][0]
            with pinned(last):
                stored = table.get(subject)
            # a freshly decoded object: ours to fold into in place
            state = orjson.loads(stored) if stored else new_state(subject)
            refused_before = state.get("refused_count", 0)
            held = state.get("held") or []
            folded = [absorb(aggregate.fold, state, event) for _, event in items]
            if state.get("refused_count", 0) != refused_before:
                pending.extend(await self._dead_letter_refused(
                    state, state["refused_count"] - refused_before, items, held))
            if any(folded):
                changed.append((subject, state, last))
            elif stored:
                replayed.append((subject, stored, last))
        # The read model first, then the table: the read model is never behind.
        await self.projector.project(aggregate.rows(state) for _, state, _ in changed)
        for subject, state, last in changed:
            with pinned(last):
                table[subject] = orjson.dumps(state)
            if aggregate.name == "node":
                self._remember_key(state, last)
        # Only duplicates: after a crash the local store can be ahead of the changelog
        # (written locally, never flushed); writing the state again closes that gap.
        for subject, stored, last in replayed:
            with pinned(last):
                table[subject] = stored
        for future in pending:
            await future
        self.projector.events_processed += len(batch)

    def _decode_typed(self, fe: EventT) -> tuple[Mapping[str, Any] | None, Rejected | None]:
        raw = fe.value if isinstance(fe.value, bytes) else None
        try:
            event = orjson.loads(raw or b"")
        except orjson.JSONDecodeError as exc:
            return None, Rejected(f"not JSON on a typed topic: {exc}")
        errors = self.validator.errors(event)
        if errors:
            return None, Rejected("not a valid event on a typed topic: "
                                  + "; ".join(str(e) for e in errors), errors)
        return event, None

    def _remember_key(self, state: Mapping[str, Any], fe: EventT) -> None:
        key = (state.get("public_key") or "").encode()
        with pinned(fe):
            if (self.node_keys.get(state["id"]) or b"") != key:
                self.node_keys[state["id"]] = key

    # -- timers -------------------------------------------------------------------

    async def _publish_overdue(self) -> None:
        today = dt.datetime.now(ZoneInfo(self.settings.timezone)).date()
        table = self.tables["action_item"]
        topic = self.typed["action_item"]
        for item_id, stored in list(table.items()):
            if item_id in self.overdue_sent or not stored:
                continue
            state = orjson.loads(stored)
            if needs_overdue_event(state, today):
                event = overdue_event(item_id, state["due_date"])
                future = await topic.send(key=item_id.encode(), value=orjson.dumps(event))
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


def run(settings: Settings, loglevel: str = "INFO") -> None:
    """Create the topics, migrate the read model, and run the worker until stopped."""
    import asyncio

    from services.pipeline.topics import ensure_topics

    (settings.data_dir / "worker").mkdir(parents=True, exist_ok=True)
    worker = Worker(settings)
    asyncio.run(ensure_topics(settings, worker.app))
    migrate(worker.engine)
    runtime.Worker(worker.app, loglevel=loglevel,
                         stop_timeout=settings.worker_stop_timeout_s).execute_from_commandline()
