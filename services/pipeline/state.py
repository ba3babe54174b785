"""Aggregate states between batches: Faust tables (RocksDB + changelog) behind a cache.

A state is read from its table the first time a batch needs it and kept, decoded,
in a cache bounded by the size of the states' JSON (least recently used first
out), so the hot aggregates of a busy forum are not read and decoded again for
every batch. A batch *stages* the states it changed (the state objects as the batch
left them); at the next offset commit, before its offsets are chosen, every staged
state is serialised and written to its table once, however many events and batches
changed it since the last commit: one JSON encoding, one RocksDB put and one
changelog record per aggregate per commit, not per event or per batch (what Kafka
Streams' record cache and Quix Streams' checkpoints do).

The states are folded in place, so a staged state may be serialised only while no
batch is between its fold and its staging: the ingest agent holds ``folding`` for
the whole of a batch, and the commit takes it to serialise the staged states and to
choose its offsets (``runtime.Consumer._commit_tps``), so the offsets committed are
never those of a batch whose states are not in the tables. A batch that fails may
have folded some of its events into staged states: ``forget`` drops the staged
states of its partitions, and the batch agent un-acknowledges what was read there
since the last commit and reads it again from there (``batch_agents``).

The writes are Faust's, done in bulk: the partition's states in one RocksDB
``WriteBatch`` (as Faust's recovery writes them), and their changelog records as one
record batch (``send_many``), whose acknowledgement sets the persisted offset Faust's
recovery starts from (what ``Collection._on_changelog_sent`` does per record).
Faust's own path for a table write (``table[key] = value``) goes through its producer
buffer, a background task that publishes one record per wake-up with a future each:
measured at about a quarter of the worker's CPU for this pipeline.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

import orjson
import rocksdict
from faust.streams import _current_event
from faust.types import TP

from events.catalog import INGEST_TOPIC
from services.aggregates.base import State, new_state
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
    last offset commit (``stage``), and the Faust tables they are written to (``prepare``
    before the commit chooses its offsets, ``send`` before it commits them; ``flush``
    does both)."""

    def __init__(self, tables: Mapping[str, Any], *, cache_bytes: int) -> None:
        self.tables = tables
        self.cache_bytes = cache_bytes
        # (aggregate, subject) -> (state, the set of its applied ids, weight)
        self._cache: OrderedDict[tuple[str, str], tuple[State, set[str], int]] = OrderedDict()
        self._weight = 0
        # (aggregate, subject) -> (partition, state, its applied ids): as the last batch
        # that changed it left it, not in its table yet
        self._staged: dict[tuple[str, str], tuple[int, State, set[str]]] = {}
        # the changelog records of the states prepared, to send before the commit
        self._prepared: list[tuple[str, int, list[tuple[str, bytes, bytes]]]] = []
        #: held by a batch from its fold to its staging, and by the commit while it
        #: serialises the staged states and chooses its offsets
        self.folding = asyncio.Lock()
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
        staged = self._staged.get(key)
        if staged is not None:  # out of the cache, not yet in the table
            self._keep(key, staged[1], staged[2], EMPTY_WEIGHT)
            return staged[1], staged[2]
        stored = self.read(aggregate, subject, partition)
        state = orjson.loads(stored) if stored else new_state(subject)
        seen = set(state["applied"])
        self._keep(key, state, seen, len(stored) if stored else EMPTY_WEIGHT)
        return state, seen

    def read(self, aggregate: str, subject: str, partition: int | None = None) -> bytes | None:
        """The JSON of a state: staged, or from its table (``partition`` when known)."""
        staged = self._staged.get((aggregate, subject))
        if staged is not None:
            return orjson.dumps(staged[1])
        store = self.tables[aggregate].data
        if partition is None:
            value: bytes | None = store.get(subject)
            return value
        with pinned(partition):
            value = store.get(subject)  # the store itself: one lookup, not the table's two
        return value

    def stage(self, changed: Iterable[Changed]) -> None:
        """Keep the states a batch changed for the next commit: a state changed by several
        batches before it is serialised and written once."""
        for item in changed:
            key = (item.aggregate, item.subject)
            self._staged[key] = (item.partition, item.state, item.seen)
            cached = self._cache.get(key)
            self._keep(key, item.state, item.seen,
                       cached[2] if cached is not None else EMPTY_WEIGHT)
        while self._weight > self.cache_bytes and self._cache:
            _, (_, _, weight) = self._cache.popitem(last=False)
            self._weight -= weight

    @property
    def staged(self) -> int:
        return len(self._staged)

    def prepare(self) -> int:
        """Serialise the staged states and put them into their stores (RocksDB), keeping
        their changelog records for ``send``; the number of states. Call it only while
        holding ``folding`` (no batch half done): it reads the states as they are.

        Every staged state is in the store when this returns, with no ``await`` in
        between: a batch that reads a state next finds it there, not the version before
        it (found by ``bench recovery``: 26,743 of 1,000,000 events lost when the stores
        were written partition by partition between the changelog sends).
        """
        staged, self._staged = self._staged, {}
        if not staged:
            return 0
        self.flushes += 1
        by_partition: dict[int, dict[str, list[tuple[str, bytes, bytes]]]] = {}
        cache = self._cache
        for key, (partition, state, seen) in staged.items():
            aggregate, subject = key
            data = orjson.dumps(state)
            by_partition.setdefault(partition, {}).setdefault(aggregate, []).append(
                (subject, changelog_key(self.tables[aggregate], subject), data))
            self.bytes_written += len(data)
            cached = cache.get(key)
            if cached is not None and cached[0] is state:  # its weight, now known
                self._weight += len(data) - cached[2]
                cache[key] = (state, seen, len(data))
        for partition, records in by_partition.items():
            with pinned(partition):
                for aggregate, batch in records.items():
                    _put_all(self.tables[aggregate].data, partition, batch)
                    self._prepared.append((aggregate, partition, batch))
        return len(staged)

    async def send(self, producer: Any) -> list[asyncio.Future[Any]]:
        """Send the changelog records of the prepared states as record batches; their
        futures are returned (and tracked by the producer, whose flush the offset commit
        waits for)."""
        prepared, self._prepared = self._prepared, []
        futures: list[asyncio.Future[Any]] = []
        for aggregate, partition, batch in prepared:
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

    async def flush(self, producer: Any) -> list[asyncio.Future[Any]]:
        """Write the staged states to their tables: the store (RocksDB) now, once no batch
        is half done, the changelog as record batches whose futures are returned."""
        async with self.folding:
            self.prepare()
        return await self.send(producer)

    def forget(self, partitions: Iterable[int] = ()) -> None:
        """Empty the cache (after a failed batch, at a rebalance), and drop the staged
        states of ``partitions`` (those of a failed batch: it may have folded some of its
        events into them; they are read again from the last commit). The other staged
        states are what completed batches left, and are still to be written."""
        self._cache.clear()
        self._weight = 0
        dropped = set(partitions)
        if dropped:
            self._staged = {key: value for key, value in self._staged.items()
                            if value[0] not in dropped}

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
