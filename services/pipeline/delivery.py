"""Webhook delivery, so it survives restarts.

- Matching happens in the ingest agent: for every event it folds, ``tasks_for``
  gives a delivery task per active subscription that wants it, written to
  ``<app id>-webhook-deliveries`` (keyed by subscription) before the state that
  says the event was applied. The task's ``message_id`` (the ``webhook-id``
  header) derives from the subscription and the event id, so it is the same on
  every retry and for a duplicate record of the event.
- ``webhook-deliver`` attempts the tasks. A failed task waits in the
  ``webhook-retries`` table (changelogged, so a restart keeps it) until the
  ``webhook-retry`` timer sends it back to the topic when it is due.
- 2xx: delivered. 410: the subscription is disabled. Anything else: retried on
  the schedule (jitter, Retry-After honoured); a subscription failing for longer
  than ``GOTONG_WEBHOOK_PAUSE_AFTER`` is paused with the reason, for its owner.

At-least-once: a crash between an attempt and the commit repeats the attempt
with the same ``webhook-id``; receivers dedupe on it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import faust
import orjson
from faust.streams import _current_event
from faust.types import EventT

from events.envelope import timestamp
from services.feeds.filters import FeedFilter, Matcher
from services.feeds.privacy import redacted
from services.feeds.seed import seeded_matcher
from services.feeds.webhooks import store
from services.feeds.webhooks.attempt import Outcome, attempt
from services.feeds.webhooks.retry import next_delay
from services.feeds.webhooks.sealing import unseal
from services.feeds.webhooks.targets import CheckedResolver
from services.pipeline import metrics
from services.pipeline.topics import delivery_topic
from services.readmodel.feed_tables import ACTIVE, DISABLED, PAUSED, WebhookDelivery

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from services.settings import Settings

log = logging.getLogger(__name__)


MESSAGE_NAMESPACE = uuid.UUID("3b0c5a8e-6d0f-4d8a-9c39-4f7b0f1d2a61")


def message_id(subscription_id: str, event_id: str) -> str:
    return "msg_" + uuid.uuid5(MESSAGE_NAMESPACE, f"{subscription_id}:{event_id}").hex


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Loaded:
    subscriptions: dict[str, Active]
    private: frozenset[str]


@dataclass
class Active:
    """An active subscription as the matcher keeps it."""

    id: str
    created_s: float
    matcher: Matcher


class Delivery:
    def __init__(self, app: faust.App, settings: Settings, engine: Engine) -> None:
        self.settings = s = settings
        self.engine = engine
        self.service_secret = settings.secret_key
        raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw",
               "value_serializer": "raw"}
        # created beforehand by services.pipeline.topics.ensure_topics: a topic Faust creates
        # while starting is missing from the consumer's first subscription
        self.tasks = app.topic(delivery_topic(s), partitions=s.topic_partitions, **raw)
        self.retries = app.Table("webhook-retries", default=None,
                                 partitions=s.topic_partitions, key_type=str)
        self.subscriptions: dict[str, Active] = {}
        self._private: frozenset[str] = frozenset()
        self._versions: dict[str, str] = {}
        self._requeued: dict[str, int] = {}
        self._client: aiohttp.ClientSession | None = None
        self._limit = asyncio.Semaphore(s.webhook_concurrency)
        app.agent(self.tasks, name="webhook-deliver")(self._deliver)
        app.timer(s.webhook_retry_tick_s, name="webhook-retry")(self._requeue_due)

    # -- matching ------------------------------------------------------------------

    def load(self) -> Loaded:
        """The active subscriptions, each with its matcher (seeded from the read model for
        one not known yet). Blocking: run in the ingest agent's read-model thread, after
        the batch's transaction, so that a subscription created before the batch's events
        were folded matches them."""
        versions = store.active_versions(self.engine)
        if versions == self._versions:
            return Loaded(self.subscriptions, self._private)
        rows = store.active(self.engine)
        known = self.subscriptions
        fresh: dict[str, Active] = {}
        for row in rows:
            sub = known.get(row.id)
            if sub is None:
                matcher = seeded_matcher(self.engine, FeedFilter.from_lists(row.filter or {}))
                created = dt.datetime.fromisoformat(row.created_at).timestamp()
                sub = Active(row.id, created, matcher)
            fresh[row.id] = sub
        self._versions = {row.id: row.updated_at for row in rows}
        return Loaded(fresh, frozenset(row.id for row in rows if row.private))

    def tasks_for(self, loaded: Loaded,
                  events: Sequence[tuple[Mapping[str, Any], float | None]]
                  ) -> list[tuple[str, bytes, bytes]]:
        """Delivery tasks (topic, key, value) for ``events`` (each with the time it was
        received): one per active subscription that wants it and existed by then."""
        self.subscriptions, self._private = loaded.subscriptions, loaded.private
        if not self.subscriptions:
            return []
        topic = delivery_topic(self.settings)
        tasks = []
        for event, received in events:
            appended = received or time.time()
            for sub in self.subscriptions.values():
                if appended < sub.created_s or not sub.matcher.matches(event):
                    continue
                shown = event if sub.id in self._private else redacted(event)
                task = {"message_id": message_id(sub.id, str(event["id"])),
                        "subscription_id": sub.id, "attempt": 1, "event": shown}
                tasks.append((topic, sub.id.encode(), orjson.dumps(task)))
        return tasks

    # -- delivering ----------------------------------------------------------------

    async def _deliver(self, stream: faust.StreamT[Any]) -> None:
        # a short wait before a task's first attempt: waking up for every task kept an idle
        # agent busy (50 times a second at a trickle, 5% of the worker's CPU)
        s = self.settings
        # take_events is Stream's, missing from the StreamT protocol
        batches = cast(faust.Stream[Any], stream).take_events(
            s.webhook_batch, within=s.webhook_batch_wait_s)
        async for batch in batches:
            await self.deliver_batch(batch)

    def _http(self) -> aiohttp.ClientSession:
        if self._client is None:
            self._client = aiohttp.ClientSession(
                trust_env=False, connector=aiohttp.TCPConnector(
                    limit=self.settings.webhook_concurrency, limit_per_host=10,
                    resolver=CheckedResolver(self.settings.webhook_allowed_hosts)))
        return self._client

    async def deliver_batch(self, batch: Sequence[EventT]) -> None:
        tasks: list[tuple[EventT, dict[str, Any]]] = []
        for fe in batch:
            try:
                tasks.append((fe, orjson.loads(fe.value)))
            except (orjson.JSONDecodeError, TypeError):
                log.warning("not a delivery task at %s", fe.message.offset)
        subs = await asyncio.to_thread(store.by_ids, self.engine,
                                       {t["subscription_id"] for _, t in tasks})
        results = await asyncio.gather(*(self._one(subs.get(t["subscription_id"]), t)
                                         for _, t in tasks))
        rows = [row for row, _ in results if row is not None]
        for row in rows:
            metrics.WEBHOOKS.labels(row.outcome).inc()
        if rows:
            await asyncio.to_thread(store.record, self.engine, rows)
        for (fe, task), (_, retry) in zip(tasks, results, strict=True):
            key = task["message_id"]
            self._requeued.pop(key, None)
            with pinned(fe):
                if retry is not None:
                    self.retries[key] = retry
                elif self.retries.get(key) is not None:
                    del self.retries[key]

    async def _one(self, sub: Any, task: Mapping[str, Any]
                   ) -> tuple[WebhookDelivery | None, dict[str, Any] | None]:
        """Attempt one task; (log row, retry entry or None)."""
        event = task["event"]
        row = WebhookDelivery(subscription_id=task["subscription_id"],
                              message_id=task["message_id"], event_id=str(event.get("id")),
                              event_type=str(event.get("type")), attempt=task["attempt"],
                              outcome="skipped", at=timestamp())
        if sub is None:
            return None, None  # deleted: nothing to log, nobody to tell
        if sub.status != ACTIVE:
            row.error = f"subscription is {sub.status}"
            return row, None
        secret = unseal(self.service_secret, sub.secret_sealed)
        async with self._limit:
            outcome = await attempt(self._http(), sub.url, secret, task["message_id"],
                                    orjson.dumps(event), self.settings.webhook_allowed_hosts,
                                    self.settings.webhook_timeout_s)
        row.status_code, row.error, row.duration_ms = (outcome.status_code, outcome.error,
                                                       outcome.duration_ms)
        if outcome.delivered:
            row.outcome = "delivered"
            if sub.failing_since is not None:
                await asyncio.to_thread(store.succeeded, self.engine, sub.id)
            return row, None
        if outcome.gone:
            row.outcome = "disabled"
            await asyncio.to_thread(
                store.set_status, self.engine, sub.id, DISABLED,
                f"the receiver answered 410 Gone at {row.at}; create a new subscription")
            return row, None
        return await self._failed(sub, task, row, outcome)

    async def _failed(self, sub: Any, task: Mapping[str, Any], row: WebhookDelivery,
                      outcome: Outcome) -> tuple[WebhookDelivery, dict[str, Any] | None]:
        now = time.time()
        since = await asyncio.to_thread(store.failing, self.engine, sub.id, row.at)
        failing_for = now - dt.datetime.fromisoformat(since or row.at).timestamp()
        delay = next_delay(self.settings.webhook_retry_schedule, task["attempt"],
                           outcome.retry_after)
        last = outcome.error or f"HTTP {outcome.status_code}"
        if failing_for > self.settings.webhook_pause_after_s or delay is None:
            row.outcome = "failed"
            if failing_for > self.settings.webhook_pause_after_s:
                await asyncio.to_thread(
                    store.set_status, self.engine, sub.id, PAUSED,
                    f"paused: deliveries failing since {since} (last: {last}); fix the "
                    "receiver, then resume with PATCH {\"status\": \"active\"}",
                    only_if=(ACTIVE,))
            return row, None
        row.outcome = "retrying"
        row.next_attempt_at = _iso(now + delay)
        return row, {"task": {**task, "attempt": task["attempt"] + 1}, "due": now + delay}

    async def _requeue_due(self) -> None:
        now = time.time()
        for key, entry in list(self.retries.items()):
            if not isinstance(entry, dict) or entry["due"] > now:
                continue
            task = entry["task"]
            if self._requeued.get(key) == task["attempt"]:
                continue
            await self.tasks.send(key=task["subscription_id"].encode(), value=orjson.dumps(task))
            self._requeued[key] = task["attempt"]


@contextmanager
def pinned(event: EventT) -> Iterator[None]:
    """Make ``event`` the current event while touching a table: inside a ``take_events``
    batch the agent's own task has none, and the write goes to the event's partition."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def register(app: faust.App, settings: Settings, engine: Engine) -> Delivery:
    """Declare the delivery topic, table, agent and timer on ``app``."""
    return Delivery(app, settings, engine)
