"""Aggregate states between batches: Faust tables (RocksDB + changelog) behind a cache.

A state is read from its table the first time a batch needs it and kept, decoded,
in a cache bounded by the size of the states' JSON (least recently used first
out), so the hot aggregates of a busy forum are not read and decoded again for
every batch. A batch *stages* the states it changed (their JSON as the batch left
them); at the next offset commit, before it, every staged state is written to its
table once, however many events and batches changed it since the last commit: one
RocksDB put and one changelog record per aggregate per commit interval, not per
event (what Kafka Streams' record cache and Quix Streams' checkpoints do).

The writes are Faust's, done in bulk: the partition's states in one RocksDB
``WriteBatch`` (as Faust's recovery writes them), and their changelog records as one
record batch (``send_many``), whose acknowledgement sets the persisted offset Faust's
recovery starts from (what ``Collection._on_changelog_sent`` does per record).
Faust's own path for a table write (``table[key] = value``) goes through its producer
buffer, a background task that publishes one record per wake-up with a future each:
measured at about a quarter of the worker's CPU for this pipeline.

The cache holds states as the batches left them, before they are durable; so after
a failed batch (``forget``) and at every rebalance it is emptied, and the next batch
reads the staged JSON or the tables again.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

import orjson
import rocksdict
from faust.streams import _current_event
from faust.types import TP

from events.catalog import INGEST_TOPIC
from services.domain.base import State, new_state
from services.pipeline.fold import Changed

EMPTY_WEIGHT = 256  # what a state not stored yet counts for in the cache


class _PartitionMessage:
    __slots__ = ("partition", "topic")

    def __init__(self, partition: int) -> None:
        self.topic = INGEST_TOPIC
        self.partition = partition


class _PartitionEvent:
    """Stands for "an event of partition p" where Faust's tables need one."""

    __slots__ = ("message", "__weakref__")

    def __init__(self, partition: int) -> None:
        self.message = _PartitionMessage(partition)


_EVENTS: dict[int, _PartitionEvent] = {}


@contextmanager
def pinned(partition: int) -> Iterator[None]:
    """Table reads and writes inside go to ``partition`` (its RocksDB and changelog).

    Faust places a table write in the partition of the current stream event; a batch
    agent has none, and all the states of one ingest partition belong to the same
    partition of every table (co-partitioned by subject).
    """
    event = _EVENTS.get(partition)
    if event is None:
        event = _EVENTS[partition] = _PartitionEvent(partition)
    token = _current_event.set(weakref.ref(event))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _current_event.reset(token)


def changelog_key(table: Any, key: str) -> bytes:
    """A table key as Faust writes it to the changelog (and its recovery reads it back)."""
    encoded: bytes = table.app.serializers.dumps_key(table.key_type, key,
                                                     serializer=table.key_serializer)
    return encoded


def key_encoder(table: Any) -> Callable[[str], bytes]:
    """``changelog_key`` for ``table``, fast: Faust's JSON codec for a string key is
    ``orjson.dumps`` when orjson is installed (``faust.utils.json``), and going through
    its serializer registry costs several times more. Checked against Faust's own
    encoding once per table; where they differ, Faust's is used."""
    probe = "probe-kunci-é\"\n"
    if changelog_key(table, probe) == orjson.dumps(probe):
        return orjson.dumps
    return partial(changelog_key, table)


def _put_all(store: Any, partition: int, records: list[tuple[str, bytes, bytes]]) -> None:
    """Put the records (key, changelog key, value) into the store of ``partition``.

    Faust's RocksDB store puts one key at a time, each with its own write to RocksDB's
    log; here a partition's states go in one ``WriteBatch``, as Faust's own recovery
    writes them (``Store.apply_changelog_batch``). The keys are the changelog's, which
    is how that recovery stores them too.
    """
    if getattr(store, "use_rocksdict", False):
        batch = rocksdict.WriteBatch(raw_mode=True)
        for _, encoded, value in records:
            batch.put(encoded, value)
        store._db_for_partition(partition).write(batch)  # noqa: SLF001 (Faust's store)
    else:  # the memory store (GOTONG_TABLE_STORE=memory) keeps keys as they are
        for key, _, value in records:
            store[key] = value


def _persisted(store: Any, tp: TP, count: int, future: Any) -> None:
    """Where Faust's recovery of ``tp`` starts: after the last changelog record the
    store holds (set once Kafka has acknowledged the batch)."""
    if not future.cancelled() and future.exception() is None:
        store.set_persisted_offset(tp, future.result().offset + count - 1)


class StateStore:
    """The aggregates' states: a cache of decoded states, the states changed since the
    last offset commit (``stage``), and the Faust tables they are written to (``flush``,
    called by the commit before it commits: ``runtime.App.before_commit``)."""

    def __init__(self, tables: Mapping[str, Any], *, cache_bytes: int) -> None:
        self.tables = tables
        self.cache_bytes = cache_bytes
        # (aggregate, subject) -> (state, the set of its applied ids, weight)
        self._cache: OrderedDict[tuple[str, str], tuple[State, set[str], int]] = OrderedDict()
        self._weight = 0
        # (aggregate, subject) -> (partition, JSON): the state as its last batch left it
        self._staged: dict[tuple[str, str], tuple[int, bytes]] = {}
        self._encoders: dict[str, Callable[[str], bytes]] = {}
        self.hits = 0
        self.misses = 0
        self.bytes_written = 0
        self.flushes = 0

    def load(self, aggregate: str, subject: str, partition: int) -> tuple[State, set[str]]:
        """The state of ``subject`` (a new one if it has none yet), to fold into in place,
        and the set of the event ids it applied."""
        key = (aggregate, subject)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.hits += 1
            return cached[0], cached[1]
        self.misses += 1
        stored = self.read(aggregate, subject, partition)
        state = orjson.loads(stored) if stored else new_state(subject)
        seen = set(state["applied"])
        self._keep(key, state, seen, len(stored) if stored else EMPTY_WEIGHT)
        return state, seen

    def read(self, aggregate: str, subject: str, partition: int | None = None) -> bytes | None:
        """The stored JSON of a state: staged, or from its table (``partition`` when known)."""
        staged = self._staged.get((aggregate, subject))
        if staged is not None:
            return staged[1]
        store = self.tables[aggregate].data
        if partition is None:
            value: bytes | None = store.get(subject)
            return value
        with pinned(partition):
            value = store.get(subject)  # the store itself: one lookup, not the table's two
        return value

    def stage(self, changed: Iterable[Changed]) -> None:
        """Keep the states a batch changed, as JSON, for the next ``flush``: a state changed
        by several batches before a commit is written once."""
        for item in changed:
            data = orjson.dumps(item.state)
            self._staged[(item.aggregate, item.subject)] = (item.partition, data)
            self._keep((item.aggregate, item.subject), item.state, item.seen, len(data))
        while self._weight > self.cache_bytes and self._cache:
            _, (_, _, weight) = self._cache.popitem(last=False)
            self._weight -= weight

    @property
    def staged(self) -> int:
        return len(self._staged)

    async def flush(self, producer: Any) -> list[asyncio.Future[Any]]:
        """Write the staged states to their tables: the store (RocksDB) now, the changelog
        as record batches whose futures are returned (and tracked by the producer, whose
        flush the offset commit waits for).

        The flush runs beside the ingest agent (from the commit), so every staged state is
        in the store before the first ``await``: a batch that reads a state in between
        finds it there, not the version before it (found by ``bench recovery``: 26,743 of
        1,000,000 events lost when the stores were written partition by partition between
        the changelog sends).
        """
        staged, self._staged = self._staged, {}
        if not staged:
            return []
        self.flushes += 1
        by_partition: dict[int, dict[str, list[tuple[str, bytes, bytes]]]] = {}
        encoders = self._encoders
        written = 0
        for (aggregate, subject), (partition, data) in staged.items():
            encode = encoders.get(aggregate)
            if encode is None:
                encode = encoders[aggregate] = key_encoder(self.tables[aggregate])
            by_partition.setdefault(partition, {}).setdefault(aggregate, []).append(
                (subject, encode(subject), data))
            written += len(data)
        self.bytes_written += written
        for partition, records in by_partition.items():  # no await until all are stored
            with pinned(partition):
                for aggregate, batch in records.items():
                    _put_all(self.tables[aggregate].data, partition, batch)
        futures: list[asyncio.Future[Any]] = []
        for partition, records in by_partition.items():
            for aggregate, batch in records.items():
                table = self.tables[aggregate]
                topic = table.changelog_topic.get_topic_name()
                changelog: list[tuple[bytes, bytes, list[Any]]] = [(key, value, [])
                                                                   for _, key, value in batch]
                for future, count in await producer.send_many(topic, partition, changelog,
                                                              track=True):
                    future.add_done_callback(partial(_persisted, table.data,
                                                     TP(topic, partition), count))
                    futures.append(future)
        return futures

    def forget(self) -> None:
        """Empty the cache (after a failed batch, at a rebalance). What was staged stays:
        it is what the batches before the failed one left, and is still to be written."""
        self._cache.clear()
        self._weight = 0

    def _keep(self, key: tuple[str, str], state: State, seen: set[str], weight: int) -> None:
        previous = self._cache.get(key)
        if previous is not None:
            self._weight -= previous[2]
        self._cache[key] = (state, seen, weight)
        self._cache.move_to_end(key)
        self._weight += weight

    @property
    def cached(self) -> int:
        return len(self._cache)
