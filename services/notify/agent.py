"""The notifier: reads the typed topics in a consumer group of its own and writes a
notification for each follower of what an event touches.

It runs in the worker beside the ingest agent but shares nothing with it: its own
aiokafka consumer (group ``<app id>-notify``), its own offsets, its own task. The
pipeline never waits for it, and a slow database here delays notifications, not events.
While the ingest agent works through a backlog (a burst, a node sending its archive:
its batches are then large) the notifier waits, up to ``MAX_DEFER_S`` at a time:
reading the log a second time and finding who to tell cost the worker's one core as
much as folding did (bench pipeline: 0.28 of raw Kafka without it, 0.20 with it), and
people are told within about a minute anyway.

At-least-once, exactly-once in effect: offsets are committed after the batch's rows
are written, and a row is unique per (person, event id), so a replay after a crash or a
restart writes nothing twice. On its very first start (no committed offsets) the group
reads the log from its start but notifies only of events after that moment, kept in
the database: an existing log does not become a flood of old news.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer
from prometheus_client import Counter
from sqlalchemy import Engine

from events.catalog import TYPED_TOPICS, refused
from services.kafka_clients import stop_consumer
from services.notify import rules, store
from services.settings import Settings

log = logging.getLogger(__name__)

NOTIFIER_EVENTS = Counter("gotong_notifier_records",
                          "Records of the typed topics the notifier has read.")

RESTART_DELAY_S = 2.0
STOP_TIMEOUT_S = 5.0
#: how long a batch waits for read-model rows its events need (same-batch projection)
FACTS_WAIT_S = 10.0
SINCE = "notify_since"
#: events read at once: each batch costs a dozen queries (names, titles, followers)
BATCH = 5000
#: how long at most the notifier lets a busy pipeline go first before it reads a batch
MAX_DEFER_S = 30.0
DEFER_STEP_S = 0.25


def group_id(settings: Settings) -> str:
    return f"{settings.app_id}-notify"


def notify(engine: Engine, events: Sequence[Mapping[str, Any]], wait_s: float = FACTS_WAIT_S
           ) -> int:
    """Write the notifications of ``events``, then let a hidden (or restored) comment's
    notifications say so; returns how many rows were new. Blocking."""
    written = _notify(engine, events, wait_s)
    for event in events:
        if (moderation := rules.moderation(event)) is not None:
            store.moderate(engine, *moderation)
    return written


def _notify(engine: Engine, events: Sequence[Mapping[str, Any]], wait_s: float) -> int:
    want = rules.wanted(events)
    deadline = time.monotonic() + wait_s
    facts = store.facts(engine, want)
    while rules.missing(events, facts) and time.monotonic() < deadline:
        time.sleep(0.25)
        facts = store.facts(engine, want)
    touched = [t for e in events if (t := rules.touched(e, facts)) is not None]
    if not touched:
        return 0
    audience = store.audience(engine, touched)
    now = time.time()
    rows = [{"username": person, "event_id": t.event_id, "what": t.what, "kind": t.kind,
             "target_id": t.target_id, "anchor": t.anchor, "params": t.params, "at": t.at,
             "created_at": now, "read_at": None, "mail_batch": None}
            for t in touched
            for person in sorted(rules.recipients(t, audience.followers, audience.node_people,
                                                  audience.actors.get(t.event_id)))]
    return store.write_notifications(engine, rows)


class Notifier:
    def __init__(self, settings: Settings, engine: Engine,
                 busy: Callable[[], bool] | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.busy = busy
        self.written = 0

    async def _after_the_pipeline(self) -> None:
        """Wait while the ingest agent works through a backlog, ``MAX_DEFER_S`` at most."""
        if self.busy is None:
            return
        waited = 0.0
        while waited < MAX_DEFER_S and self.busy():
            await asyncio.sleep(DEFER_STEP_S)
            waited += DEFER_STEP_S

    async def run(self) -> None:
        """Follow the typed topics until cancelled; a failure restarts the consumer, which
        resumes at the group's committed offsets."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the notifier failed; starting again in %ss", RESTART_DELAY_S)
                await asyncio.sleep(RESTART_DELAY_S)

    async def _follow(self) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        since_iso = await asyncio.to_thread(store.set_mark, self.engine, SINCE, now,
                                            only_if_absent=True)
        since_ms = dt.datetime.fromisoformat(since_iso).timestamp() * 1000
        consumer = AIOKafkaConsumer(
            *TYPED_TOPICS, bootstrap_servers=self.settings.bootstrap,
            group_id=group_id(self.settings), enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=10_000,
            heartbeat_interval_ms=3_000)
        await consumer.start()
        try:
            while True:
                await self._after_the_pipeline()
                fetched = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
                events = []
                for records in fetched.values():
                    for record in records:
                        if record.timestamp < since_ms or refused(record.headers):
                            continue
                        try:
                            events.append(orjson.loads(record.value))
                        except orjson.JSONDecodeError:
                            log.warning("not an event at %s/%s@%s", record.topic,
                                        record.partition, record.offset)
                if events:
                    self.written += await asyncio.to_thread(notify, self.engine, events)
                NOTIFIER_EVENTS.inc(sum(len(records) for records in fetched.values()))
                if fetched:
                    await consumer.commit()
        finally:
            # bounded: with the broker gone, leaving the group waits on request timeouts,
            # and a worker told to stop must stop (services/pipeline/runtime.py)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stop_consumer(consumer), STOP_TIMEOUT_S)


DUE_NAMESPACE = uuid.UUID("0b7f6f0e-2f57-4b43-a3a1-59a1a4b7c2d4")
DUE_SOON_DAYS = 3


def due_soon_event(item_id: str, due_date: str, now_iso: str) -> dict[str, Any]:
    """A stand-in event for "due in three days": never published, only notified; its id
    derives from the item and its due date, so each due date is told of once."""
    return {"id": str(uuid.uuid5(DUE_NAMESPACE, f"due-soon:{item_id}:{due_date}")),
            "type": rules.DUE_SOON, "source": "/nodes/gotong", "subject": item_id,
            "time": now_iso, "data": {"due_date": due_date}}
