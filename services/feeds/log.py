"""Reading the typed topics as a feed: pages in log order from a cursor.

A group-less aiokafka consumer (``assign`` + ``seek``, no consumer group, nothing
committed) reads from the cursor's offsets. *Log order* is Kafka's order: total
within one partition (so every event of one subject, in the order it was
accepted), and across partitions an interleaving by the records' Kafka
timestamps (ties broken by topic and partition). Two events of different
subjects with the same timestamp may appear in either order on different runs,
but an event is never repeated nor skipped, because the cursor moves every
partition only past the records already handed out or filtered away.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from events.catalog import refused
from services.feeds.cursor import Cursor
from services.feeds.filters import Matcher
from services.kafka_clients import partitions_of, stop_consumer


@dataclass(frozen=True)
class LogEvent:
    """A CloudEvent read from a typed topic, with where it sits in the log."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    event: Mapping[str, Any]


@dataclass(frozen=True)
class Page:
    items: list[LogEvent]
    next: Cursor
    at_end: bool  # every partition read was read up to its end when the page was made


def decode(record: ConsumerRecord[bytes, bytes]) -> Mapping[str, Any] | None:
    """The CloudEvent of a typed-topic record; None for a record that is not one, or whose
    event the worker refused (a node acting on what is not its own): skipped."""
    if refused(record.headers):
        return None
    try:
        value = orjson.loads(record.value or b"")
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and "type" in value else None


def merge_page(fetched: Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]],
               truncated: set[TopicPartition], cursor: Cursor, matcher: Matcher,
               limit: int) -> Page:
    """Interleave per-partition runs by timestamp, keep what ``matcher`` wants, up to ``limit``.

    A partition with unread records left (``truncated``) stops the merge when its
    run is used up: its next record could be older than anything after it.
    """
    heap = [(recs[0].timestamp, tp.topic, tp.partition, 0) for tp, recs in fetched.items()
            if recs]
    heapq.heapify(heap)
    moves: dict[tuple[str, int], int] = {}
    items: list[LogEvent] = []
    complete = True
    while heap:
        _, topic, partition, index = heapq.heappop(heap)
        tp = TopicPartition(topic, partition)
        record = fetched[tp][index]
        moves[(topic, partition)] = record.offset + 1
        event = decode(record)
        if event is not None and matcher.matches(event):
            items.append(LogEvent(topic, partition, record.offset, record.timestamp, event))
        if index + 1 < len(fetched[tp]):
            heapq.heappush(heap, (fetched[tp][index + 1].timestamp, topic, partition, index + 1))
        elif tp in truncated:
            complete = False
            break
        if len(items) >= limit:
            complete = not heap and not truncated
            break
    return Page(items, cursor.advanced(moves), complete and not truncated)


class LogReader:
    """One group-less consumer over the typed topics, for reading pages from cursors."""

    def __init__(self, bootstrap: str, *, per_partition: int = 500, max_wait_s: float = 5.0
                 ) -> None:
        self.per_partition = per_partition
        self.max_wait_s = max_wait_s
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
            auto_offset_reset="earliest", fetch_max_wait_ms=100,
            max_partition_fetch_bytes=4 * 1024 * 1024, request_timeout_ms=10000)
        self._partitions: dict[tuple[str, ...], list[TopicPartition]] = {}

    async def __aenter__(self) -> LogReader:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await stop_consumer(self._consumer)

    async def page(self, cursor: Cursor, matcher: Matcher, limit: int) -> Page:
        consumer = self._consumer
        topics = matcher.filter.topics()
        if topics not in self._partitions:
            self._partitions[topics] = await partitions_of(consumer, list(topics))
        partitions = self._partitions[topics]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        start = {tp: cursor.get(tp.topic, tp.partition) for tp in partitions}
        pending = {tp for tp in partitions if start[tp] < end[tp]}
        for tp in pending:
            consumer.seek(tp, start[tp])
        cap = max(self.per_partition, limit)
        fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {
            tp: [] for tp in pending}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait_s
        while pending and loop.time() < deadline:
            batches = await consumer.getmany(*pending, timeout_ms=200, max_records=cap * 4)
            for tp, records in batches.items():
                run = fetched[tp]
                run.extend(r for r in records if r.offset < end[tp] and len(run) < cap)
            for tp in list(pending):
                run = fetched[tp]
                if len(run) >= cap or (run and run[-1].offset + 1 >= end[tp]) \
                        or await consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
        truncated = {tp for tp, run in fetched.items()
                     if (run[-1].offset + 1 if run else start[tp]) < end[tp]}
        return merge_page(fetched, truncated, cursor, matcher, limit)
