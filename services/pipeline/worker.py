"""The Faust app of ``gotong worker``: the ingest agent, the tables, the timers.

One hop (``services.pipeline.ingest``): a batch agent reads ``gotong.ingest``,
judges each record (``services.pipeline.gate``), folds the events into the
aggregates' states (``services.domain``), writes them to the typed topics, the
read model and the state tables. Webhook deliveries have an agent of their own.
Delivery is at-least-once; every effect is idempotent (the event ids in each state,
the version guard of the read model), so a redelivery changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import Any, cast

from sqlalchemy import bindparam, select
from sqlmodel import col

from events.catalog import INGEST_TOPIC
from events.validation import Validator, default_validator
from services.domain import AGGREGATES
from services.domain.base import State
from services.notify.agent import Notifier
from services.notify.due import DueSoonWatch
from services.notify.mailer import Mailer, Render
from services.pipeline import delivery, memory, metrics, runtime
from services.pipeline.ingest import Ingest
from services.pipeline.overdue import OverdueWatch
from services.pipeline.projector import Projector
from services.pipeline.state import StateStore, pinned
from services.pipeline.stores import STORE_OPTIONS, share_memory
from services.process import collector
from services.readmodel.db import make_engine, migrate, read_rows
from services.readmodel.tables import Forum
from services.settings import Settings

log = logging.getLogger(__name__)

# a program's state lives in the table that held its indicator reports before programs
# were defined (its changelog, its versions, the read model's rows all carry on)
STATE_TABLES = {"program": "indicator"}

#: records in a batch of the ingest agent that tell it works through a backlog
BUSY_BATCH = 1000
#: how long a forum the read model did not show is not asked for again, and how many kept
CONVENER_RETRY_S = 5.0
CONVENERS_MISSED_KEPT = 10_000

RAW: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw",
                       "value_serializer": "raw"}


class Worker:
    """Builds the Faust app for the given settings."""

    def __init__(self, settings: Settings, validator: Validator | None = None,
                 render_mail: Render | None = None) -> None:
        self.settings = s = settings
        self.secret = settings.secret_key
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.engine = make_engine(settings.database_url)
        self.projector = Projector(self.engine)
        self.app = self._make_app()
        self.ingest_topic = self.app.topic(INGEST_TOPIC, **RAW)
        # Keys are strings; values are bytes we encode ourselves with orjson, which is
        # several times faster than Faust's JSON codec.
        table: dict[str, Any] = {"partitions": s.topic_partitions, "key_type": str,
                                 "value_type": bytes, "options": dict(STORE_OPTIONS)}
        self.node_keys = self.app.GlobalTable("node-public-keys", default=None, **table)
        # who opened each forum (never changes): the proposals' rules ask it (fold.py)
        self.conveners = self.app.GlobalTable("forum-conveners", default=None, **table)
        self._conveners_seen: dict[str, str] = {}
        self._conveners_missed: dict[str, float] = {}  # forum -> when to ask again
        self.tables = {
            name: self.app.Table(f"{STATE_TABLES.get(name, name)}-state", default=None, **table)
            for name in AGGREGATES
        }
        share_memory([self.node_keys, self.conveners, *self.tables.values()],
                     cache_bytes=s.rocksdb_memory_mb * 1024 * 1024 // 3,
                     write_buffer_bytes=s.rocksdb_memory_mb * 1024 * 1024 * 2 // 3)
        self.store = StateStore(self.tables, cache_bytes=s.state_cache_mb * 1024 * 1024)
        # webhooks: the deliver agent and the retry timer
        self.delivery = delivery.register(self.app, settings, self.engine)
        self.overdue = OverdueWatch(self.tables["action_item"], self.store, self.app.producer,
                                    self.secret, s.timezone)
        self.ingest = Ingest(
            producer=cast(runtime.IdempotentProducer, self.app.producer), store=self.store,
            projector=self.projector,
            validator=validator or default_validator(), secret=self.secret,
            public_key_for=self._public_key, partitions=self._partitions,
            webhooks=self.delivery, on_changed=self._changed, convener_of=self._convener)
        self.app.batch_agent(self.ingest_topic, name="ingest", discard=self.store.forget,
                             linger_s=s.batch_linger_ms / 1000)(self.ingest.process)
        self.app.timer(s.overdue_check_s, name="overdue")(self.overdue.tick)
        # notifications: a consumer group of their own on the typed topics, and the mail
        # and due-soon timers; none of them is on the ingest agent's path
        self.notifier = Notifier(s, self.engine, busy=self._busy)
        self.app.task(self.notifier.run)
        self.mailer = Mailer(s, self.engine, render_mail, self.secret)
        self.app.timer(s.mail_tick_s, name="notify-mail")(self.mailer.tick)
        self.due_soon = DueSoonWatch(self.engine, s.timezone)
        self.app.timer(s.due_check_s, name="due-soon")(self.due_soon.tick)
        self.app.timer(2.0, name="heartbeat")(self._heartbeat)
        self.app.timer(10.0, name="ingest-log")(self._log_stats)
        self.app.before_commit.append(self._flush_states)
        self.app.on_partitions_revoked.connect(self._on_revoked)

    def _make_app(self) -> runtime.App:
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
            broker_commit_interval=s.commit_interval_s,
            # a crashed worker's partitions move to the others after 10 s, not Faust's 60 s
            broker_session_timeout=10.0,
            broker_heartbeat_interval=3.0,
            broker_max_poll_records=s.batch_size,
            # up to 4 MiB per partition and fetch (aiokafka's 1 MiB made batches of ~7,000
            # events and tripled the read model's time per event: 74 against 27 µs)
            consumer_max_fetch_size=4 * 1024 * 1024,
            stream_buffer_maxsize=4096,
            producer_linger_ms=s.producer_linger_ms,
            producer_max_batch_size=1024 * 1024,
            producer_max_request_size=8 * 1024 * 1024,
            table_standby_replicas=0,
            fetch_wait_ms=s.fetch_wait_ms,
            key_serializer="raw",
            value_serializer="raw",
        )

    def _partitions(self) -> int:
        count = self.app.consumer.topic_partitions(INGEST_TOPIC)
        return count or self.settings.topic_partitions

    def _public_key(self, node: str) -> str | None:
        value = self.node_keys.get(node)
        return value.decode() if value else None

    def _convener(self, forum: str) -> str | None:
        """The node that opened ``forum``: from the table the worker keeps, else (a forum
        opened before that table existed) from the read model, once."""
        known = self._conveners_seen.get(forum)
        if known is not None:
            return known
        value = self.conveners.get(forum)
        if value:
            found: str | None = value.decode()
        else:
            # not asked of the read model again for a while: every event of a thread
            # whose forum is not opened would otherwise cost a query
            now = time.monotonic()
            if now < self._conveners_missed.get(forum, 0.0):
                return None
            found = _forum_opener(self.engine, forum)
            if not found:
                if len(self._conveners_missed) > CONVENERS_MISSED_KEPT:
                    self._conveners_missed.clear()
                self._conveners_missed[forum] = now + CONVENER_RETRY_S
        if found:
            self._conveners_seen[forum] = found  # an opener never changes
        return found

    def _changed(self, aggregate: str, subject: str, partition: int, state: State) -> None:
        if aggregate == "action_item":
            self.overdue.changed(subject)
        elif aggregate == "forum" and state.get("node_id"):
            opener = str(state["node_id"]).encode()
            with pinned(partition):
                if self.conveners.get(subject) != opener:
                    self.conveners[subject] = opener
        elif aggregate == "node":
            key = (state.get("public_key") or "").encode()
            with pinned(partition):
                if (self.node_keys.get(subject) or b"") != key:
                    self.node_keys[subject] = key

    async def _flush_states(self) -> None:
        await self.store.flush(self.app.producer)
        memory.give_back()

    async def _on_revoked(self, *_: Any, **__: Any) -> None:
        # No batch is under way here: the rebalance waited for them, and its commit wrote
        # the staged states. Anything staged since (nothing should be) is written now,
        # while the partitions are still ours; then the cache is dropped, since they may
        # go to another worker.
        pending = await self.store.flush(self.app.producer)
        if pending:
            await asyncio.gather(*pending)
        self.store.forget()
        self.overdue.rescan()

    async def _log_stats(self) -> None:
        s, p, store = self.ingest.stats, self.projector, self.store
        if not s.batches:
            return
        log.info("ingest: %d records in %d batches (%.0f per batch); %d folded, %d duplicates, "
                 "%d dead letters (%d refused), %d misrouted; seconds: fold %.1f, kafka+sql %.1f "
                 "(sql %.1f in %d transactions), state %.1f; cache %d states, %d hits, "
                 "%d misses", s.records, s.batches, s.records / s.batches, s.folded,
                 s.duplicates, s.dead_lettered, s.refused, s.misrouted, s.fold_s, s.kafka_s,
                 p.seconds, p.transactions, s.state_s, store.cached, store.hits, store.misses)

    def _busy(self) -> bool:
        """Whether the ingest agent works through a backlog: its last batch, done within
        the last second, was a large one (batches are large only when records wait; a
        steady stream makes small ones). The notifier lets it go first then."""
        s = self.ingest.stats
        return s.last_records >= BUSY_BATCH and time.monotonic() - s.last_done < 1.0

    def _lags(self) -> dict[tuple[str, int], int]:
        """Records of ``gotong.ingest`` not committed yet, per partition this worker owns."""
        consumer = self.app.consumer
        committed = getattr(consumer, "_committed_offset", {})
        lags = {}
        for tp in consumer.assignment():
            if tp.topic != INGEST_TOPIC:
                continue
            high = consumer.highwater(tp)
            if high is None or high < 0:
                continue
            lags[(tp.topic, tp.partition)] = max(0, high - (committed.get(tp) or 0))
        return lags

    async def _heartbeat(self) -> None:
        try:
            lag = metrics.set_lag(self._lags())
        except Exception:  # not assigned yet, consumer restarting: no figure this time
            lag = 0
        try:
            await self.projector.heartbeat(self.worker_id, lag)
        except Exception:  # the heartbeat must never stop the worker; /healthz will show it
            log.exception("could not write the worker heartbeat")


_OPENER = select(col(Forum.node_id)).where(col(Forum.id) == bindparam("id"))


def _forum_opener(engine: Any, forum: str) -> str | None:
    """The opener of a forum as the read model shows it (None: not shown)."""
    rows = read_rows(engine, _OPENER, {"id": forum})
    return str(rows[0][0]) if rows else None


def tune_gc() -> None:
    """Fewer, cheaper collections (``services.process.collector``): the young generation is
    collected after 1,000,000 allocations instead of 700.

    The ingest agent allocates a few dozen objects per event, nearly all freed by their
    reference count, and keeps thousands of decoded states in its cache; with CPython's
    defaults the collector scanned that cache over and over (measured: 15% of the time
    of a batch's fold). A batch of 6,000 records holds some 100,000 objects at once
    (records, events, rows), so at 50,000 every batch paid one or two collections of
    them (measured with gc.callbacks: 17 collections of about 76 ms each in a
    100,000-event run, 5% of the worker's CPU); above a batch's working set only the
    cache's growth triggers one.
    """
    collector.settle(collector.WORKER_YOUNG)


def run(settings: Settings, loglevel: str = "INFO", render_mail: Render | None = None) -> None:
    """Create the topics, migrate the read model, and run the worker until stopped.
    ``render_mail`` words notification mail (the site's templates and catalogs:
    ``web.notices.mail.render``); without it notifications stay on the site."""
    from services.pipeline.topics import ensure_topics

    memory.limit_arenas()
    (settings.data_dir / "worker").mkdir(parents=True, exist_ok=True)
    worker = Worker(settings, render_mail=render_mail)
    asyncio.run(ensure_topics(settings, worker.app))
    migrate(worker.engine)
    metrics.serve(settings.metrics_port, settings.metrics_host)
    tune_gc()
    runtime.Worker(worker.app, loglevel=loglevel,
                   stop_timeout=settings.worker_stop_timeout_s).execute_from_commandline()
