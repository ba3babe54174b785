"""The ingest agent: a batch of ``gotong.ingest`` records in, every effect out, in one hop.

For each batch (``services.pipeline.fold`` decides, this module performs):

1. the typed records, the dead letters, the misrouted records handed back to
   ingest and the webhook tasks are given to the producer, in log order;
2. the rows of every changed aggregate go to the read model in one transaction,
   while Kafka acknowledges the records;
3. only then is each changed state settled (it forgets what the read model now holds,
   such as a thread's comment texts) and staged for its table (``state.StateStore``):
   a state never says "applied" for an event whose typed record or read-model row
   could still be missing.

The staged states are written to the tables (RocksDB and changelog) once per offset
commit, before it (``runtime.App.before_commit``), and Faust commits only after its
producer flush, so after the changelog holds them (``runtime.IdempotentProducer``).
A crash before the commit folds the batches since the last one again (their typed
records may then be written twice: the fold and the rebuild skip the copies); a
crash after it finds their events in the states, as duplicates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from events.catalog import DEAD_LETTER_TOPIC, INGEST_TOPIC
from events.envelope import timestamp
from events.validation import Validator
from services.domain import AGGREGATES
from services.domain.base import State
from services.kafka_clients import partition_for
from services.pipeline import metrics
from services.pipeline.fold import DeadLetter, Folded, Record, fold_batch
from services.pipeline.gate import Accepted, Rejected, dead_letter, judge
from services.pipeline.projector import Projector
from services.pipeline.state import StateStore
from services.readmodel.db import group_rows

log = logging.getLogger(__name__)


class Producer(Protocol):
    """Faust's producer, as the pipeline uses it."""

    async def send(self, topic: str, key: bytes | None, value: bytes | None,
                   partition: int | None, timestamp: float | None,
                   headers: Any) -> Awaitable[Any]: ...

    async def send_many(self, topic: str, partition: int,
                        records: Iterable[tuple[bytes | None, bytes, Any]], *,
                        track: bool = False) -> list[tuple[asyncio.Future[Any], int]]: ...

    async def partitions_of(self, topic: str) -> int: ...


class Webhooks(Protocol):
    def load(self) -> Any: ...

    def tasks_for(self, loaded: Any, events: Sequence[tuple[Mapping[str, Any], float | None]]
                  ) -> list[tuple[str, bytes, bytes]]: ...


@dataclass
class Stats:
    """What the ingest agent has done since the worker started (for metrics and logs)."""

    batches: int = 0
    records: int = 0
    folded: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    refused: int = 0
    misrouted: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    dead_by_reason: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    fold_s: float = 0.0
    kafka_s: float = 0.0
    state_s: float = 0.0
    #: the last batch: how many records, and when it was done (``time.monotonic``)
    last_records: int = 0
    last_done: float = 0.0


@dataclass
class Ingest:
    """The ingest agent's dependencies; ``process`` is the batch handler."""

    producer: Producer
    store: StateStore
    projector: Projector
    validator: Validator
    secret: bytes
    public_key_for: Callable[[str], str | None]
    partitions: Callable[[], int]
    webhooks: Webhooks | None = None
    on_changed: Callable[[str, str, int, State], None] | None = None
    #: the node that opened a forum, when known (for the rules of its proposals)
    convener_of: Callable[[str], str | None] | None = None
    stats: Stats = field(default_factory=Stats)

    def judge(self, record: Record) -> Accepted | Rejected:
        raw = record.value if isinstance(record.value, bytes) else None
        try:
            return judge(raw, headers_of(record), validator=self.validator, secret=self.secret,
                         public_key_for=self.public_key_for)
        except Exception as exc:  # a defect of ours must not stop the partition
            log.exception("judging the record at %s:%s failed", record.partition, record.offset)
            return Rejected(f"internal error while checking the record: {exc!r}")

    async def process(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        folded = fold_batch(records, judge=self.judge, load=self.store.load,
                            partitions=self.partitions(), convener_of=self.convener_of)
        folding_done = time.perf_counter()
        sent = await self._send(folded)
        rows = group_rows(folded.rows())  # one part per changed state: no key twice
        # the webhooks' subscriptions are read in the same thread, after the transaction
        webhooks = self.webhooks if folded.accepted else None
        written: asyncio.Future[Any] | None = None
        if rows or webhooks is not None:
            written = asyncio.ensure_future(self.projector.write(
                rows, webhooks.load if webhooks is not None else None))
        await _all([*sent, *([written] if written is not None else [])])
        if webhooks is not None and written is not None:
            tasks = webhooks.tasks_for(written.result(), [
                (event, at) for event, at in folded.accepted
                if str(event["id"]) not in folded.refused_ids])
            await _all([await self.producer.send(topic, key, value, None, None, None)
                        for topic, key, value in tasks])
        kafka_done = time.perf_counter()
        metrics.projected([stamp for _, stamp in folded.accepted])
        for item in folded.changed.values():  # the read model now holds their rows
            AGGREGATES[item.aggregate].settle(item.state)
        self.store.stage(folded.changed.values())
        if self.on_changed is not None:
            for item in folded.changed.values():
                if item.folded:
                    self.on_changed(item.aggregate, item.subject, item.partition, item.state)
        self._count(records, folded, started, folding_done, kafka_done)

    async def _send(self, folded: Folded) -> list[Awaitable[Any]]:
        send = self.producer.send
        by_partition: dict[tuple[str, int], list[tuple[bytes | None, bytes, Any]]] = {}
        for t in folded.typed:
            by_partition.setdefault((t.topic, t.partition), []).append(
                (t.key, t.value, list(t.headers)))
        pending: list[Awaitable[Any]] = []
        for (topic, partition), records in by_partition.items():
            pending.extend(f for f, _ in await self.producer.send_many(topic, partition, records))
        if folded.dead:
            pending.extend(await self._dead_letters(folded.dead))
        for moved in folded.misrouted:
            pending.append(await send(INGEST_TOPIC, moved.key, moved.record.value,
                                      moved.partition, None, _header_list(moved.record)))
        return pending

    async def _dead_letters(self, letters: Sequence[DeadLetter]) -> list[Awaitable[Any]]:
        """The dead-letter records (original bytes, reason, origin), one record batch per
        partition of ``gotong.dead-letter``, and one log line for the batch."""
        received_at = timestamp()
        partitions = await self.producer.partitions_of(DEAD_LETTER_TOPIC)
        by_partition: dict[int, list[tuple[bytes | None, bytes, Any]]] = {}
        for n, letter in enumerate(letters):
            record = letter.record
            key = record.key if isinstance(record.key, bytes) else None
            origin = {"topic": record.topic, "partition": record.partition,
                      "offset": record.offset, "timestamp": record.timestamp,
                      "key": key.decode("utf-8", "replace") if key is not None else None}
            value = dead_letter(letter.rejected, letter.raw, origin=origin,
                                received_at=received_at)
            partition = partition_for(key, partitions) if key else n % partitions
            by_partition.setdefault(partition, []).append(
                (key, value, [("gotong-reason", letter.rejected.reason[:512].encode())]))
        first = letters[0]
        log.info("dead-lettered %d record(s), the first at %s:%s:%s: %s", len(letters),
                 first.record.topic, first.record.partition, first.record.offset,
                 first.rejected.reason[:200])
        pending: list[Awaitable[Any]] = []
        for partition, records in by_partition.items():
            pending.extend(f for f, _ in await self.producer.send_many(
                DEAD_LETTER_TOPIC, partition, records))
        return pending

    def _count(self, records: Sequence[Record], folded: Folded, started: float,
               folding_done: float, kafka_done: float) -> None:
        s = self.stats
        s.batches += 1
        s.records += len(records)
        s.last_records, s.last_done = len(records), time.monotonic()
        s.folded += len(folded.accepted)
        s.duplicates += folded.duplicates
        s.dead_lettered += len(folded.dead)
        s.refused += folded.refused
        s.misrouted += len(folded.misrouted)
        types = Counter(str(event["type"]) for event, _ in folded.accepted)
        for kind, count in types.items():
            s.by_type[kind] = s.by_type.get(kind, 0) + count
        for letter in folded.dead:
            reason = letter.rejected.reason.split(":", 1)[0][:60]
            s.dead_by_reason[reason] = s.dead_by_reason.get(reason, 0) + 1
        stages = {"fold": folding_done - started, "kafka": kafka_done - folding_done,
                  "state": time.perf_counter() - kafka_done}
        s.fold_s += stages["fold"]
        s.kafka_s += stages["kafka"]
        s.state_s += stages["state"]
        self.projector.events_processed += len(records)
        metrics.batch_done(len(records), types,
                           folded.duplicates,
                           ((_type_of(d), d.rejected.reason) for d in folded.dead),
                           len(folded.misrouted), stages)
        store = self.store
        metrics.CACHE.labels("hit").inc(store.hits - s.cache_hits)
        metrics.CACHE.labels("miss").inc(store.misses - s.cache_misses)
        s.cache_hits, s.cache_misses = store.hits, store.misses


async def _all(pending: Sequence[Awaitable[Any]]) -> None:
    """Wait for every send and write; then raise the first failure, if any."""
    results = await asyncio.gather(*pending, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _type_of(letter: DeadLetter) -> Any:
    """The type of a dead letter's event, when its bytes say one."""
    raw = letter.raw
    if not raw or b'"type"' not in raw:
        return None
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return event.get("type") if isinstance(event, dict) else None


def headers_of(record: Record) -> dict[str, bytes]:
    raw = record.headers
    if not raw:
        return {}
    # Faust hands aiokafka's list of pairs: tested first, the ABC check costs more
    items = raw if type(raw) is list else raw.items() if isinstance(raw, Mapping) else raw
    return {k if type(k) is str else str(k): v if type(v) is bytes else bytes(v)
            for k, v in items if v is not None}


def _header_list(record: Record) -> list[tuple[str, bytes]]:
    return list(headers_of(record).items())


