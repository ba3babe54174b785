"""The Kafka producer used by ingest (HTTP and CLI): idempotent, acks=all, attested."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from events.catalog import INGEST_TOPIC
from events.signing import ATTEST_HEADER, attest
from services.kafka_clients import partition_for
from services.settings import Settings

RENEW_STOP_TIMEOUT_S = 2.0


class IngestProducer:
    """Publishes events to ``gotong.ingest`` on behalf of an authenticated node.

    ``publish`` returns only once Kafka has acknowledged every event (acks=all,
    idempotent producer), so a caller may report success.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secret = settings.secret_key
        self._producer = self._new_producer()
        self._lanes = self._new_lanes()
        self.started = False
        self._renew = False
        self._renewing = asyncio.Lock()

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self.settings.bootstrap,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=10000,
            max_request_size=2 * 1024 * 1024,
            # a request of 500 events is ~225 kB: a partition's share in one record batch, so
            # it does not wait for one batch's request to leave before its next is queued
            max_batch_size=512 * 1024,
        )

    def _new_lanes(self) -> Lanes:
        return Lanes(self._producer, gather_s=self.settings.ingest_gather_ms / 1000)

    async def start(self) -> None:
        await self._producer.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            await self._producer.stop()
            self.started = False

    async def _renewed(self) -> None:
        """Replace a producer whose publish failed by a new one (a new producer id).

        After a failed publish (batches expired while the broker was away, or a
        caller's timeout), aiokafka's idempotent producer keeps sequence numbers the
        broker never saw, and every later send fails with OutOfOrderSequenceNumber,
        for good. A new producer id starts the sequences afresh; the callers' retries
        with the same event ids are deduped downstream as always.
        """
        old, self._producer = self._producer, self._new_producer()
        self._lanes = self._new_lanes()  # what the old one holds fails with it
        with contextlib.suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(old.stop(), RENEW_STOP_TIMEOUT_S)
        await self._producer.start()  # raises while Kafka is away: the caller answers 503
        self._renew = False

    def encode(
        self, node_id: str, event: Mapping[str, Any]
    ) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        value = orjson.dumps(event)
        headers = [(ATTEST_HEADER, attest(self._secret, node_id, value))]
        return str(event["subject"]).encode(), value, headers

    async def publish(self, node_id: str, events: Sequence[Mapping[str, Any]],
                      deadline: float | None = None) -> None:
        """Send ``events`` as ``node_id`` and wait until Kafka has acknowledged all of them.

        ``deadline`` (the running loop's clock) bounds the wait: past it, TimeoutError. It
        is kept by the group the events join (``Lanes``), one timer for the requests that
        wait together, rather than a timeout of each request's own."""
        if self._renew:
            # one renewal for all the requests that find it due: a second would start the
            # new producer again (aiokafka then runs two sender routines, which spin)
            async with asyncio.timeout_at(deadline), self._renewing:
                if self._renew:
                    await self._renewed()
        # every record made before any is added: an event that cannot be encoded leaves
        # the request unsent, not half sent (and is no reason to renew the producer)
        records = [self.encode(node_id, event) for event in events]
        producer, lanes = self._producer, self._lanes
        failed = True
        try:
            # the partition as aiokafka's default partitioner picks it (murmur2 of the key),
            # from hashes kept by subject (``partition_for``)
            known = producer.client.cluster.partitions_for_topic(INGEST_TOPIC)
            if known is None:  # not in the metadata yet: asked of the broker
                async with asyncio.timeout_at(deadline):
                    known = await producer.partitions_for(INGEST_TOPIC)
            partitions = len(known)
            if len(records) == 1:  # (the common case, without the grouping)
                await lanes.add(partition_for(records[0][0], partitions), records, deadline)
            else:
                grouped: dict[int, list[Record]] = {}
                for record in records:
                    grouped.setdefault(partition_for(record[0], partitions), []).append(record)
                waiters = [lanes.add(partition, group, deadline)
                           for partition, group in grouped.items()]
                for waiter in waiters:  # the first failure answers; the others' are read too
                    waiter.add_done_callback(_retrieve)
                await asyncio.gather(*waiters)
            failed = False
        finally:  # also when a deadline passed, or the caller was cancelled
            # (a request the old producer failed after a renewal is no reason for another)
            if failed and producer is self._producer:
                self._renew = True

    async def is_reachable(self, timeout: float = 3.0) -> bool:
        try:
            # False when no broker answered: the brokers listed then are only the cache's
            updated = await asyncio.wait_for(self._producer.client.force_metadata_update(),
                                             timeout)
        except Exception:
            return False
        return bool(updated) and bool(self._producer.client.cluster.brokers())


Record = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


class Lanes:
    """The events of concurrent requests, gathered into record batches, sent in rounds.

    aiokafka's ``send`` costs a call of its partitioner, a future and its callbacks per
    record, more than the record itself. Here a request adds its records to the group
    open for each partition it writes to and waits for that group. One task sends
    rounds: every open group at once, one record batch per partition (or a few when one
    is larger than a batch; aiokafka's ``send_batch``), so that a round is one produce
    request per broker; it waits for the round's acknowledgement, and, when the round
    carried more than one request, pauses until as many requests have joined as it
    answered, at most ``gather_s``, before the next round.

    The pause is what makes the rounds full. A produce request costs the web ~0.4 ms of
    CPU and the broker ~0.2 ms, whatever it carries; clients that send one request after
    another come back within a millisecond of their answer. Sent at once instead, the next
    round carries only the requests that came while the last was on its way, and such
    clients settle into two half-full waves that take turns. Clients that do not come
    back cost the requests waiting the pause, ``gather_s`` at most. A partition whose
    last batches are still on their way waits for them, alone. A request's records for a
    partition are added at once, in its order, so they travel together and in that
    order; the idempotent producer keeps the rounds' order.
    """

    def __init__(self, producer: AIOKafkaProducer, gather_s: float = 0.0) -> None:
        self._producer = producer
        self._gather_s = gather_s
        self._open: dict[int, _Group] = {}
        self._joined = 0  # requests added, ever
        self._enough = 0  # ... when the pause ends
        self._back: asyncio.Future[None] | None = None  # resolved when the pause ends
        self._busy: set[int] = set()  # partitions with batches on their way
        self._freed: asyncio.Future[None] | None = None  # resolved when one is no more
        self._stalled = False  # the sender waits for a partition it may send to
        self._sender: asyncio.Task[None] | None = None

    def add(self, partition: int, records: list[Record], deadline: float | None = None
            ) -> asyncio.Future[None]:
        """Add ``records`` to ``partition``'s open group; the future of their
        acknowledgement (or failure, or TimeoutError once the loop's clock passes
        ``deadline``), the caller's own: cancelling it leaves the group be."""
        group = self._open.get(partition)
        if group is None:
            group = self._open[partition] = _Group()
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        group.records.extend(records)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        group.wait(waiter, deadline)
        self._joined += 1
        if self._back is not None and self._joined >= self._enough:
            _resolve(self._back)  # the pause is over: they are back
        if self._stalled and partition not in self._busy and self._freed is not None:
            _resolve(self._freed)  # something the sender may send at once
        return waiter

    async def _send(self) -> None:
        try:
            while self._open:
                # a partition whose last batches are still on their way waits for them (it
                # keeps its order), and does not hold up the others (a partition without a
                # leader, or short of in-sync replicas, is retried by aiokafka for long)
                groups = {partition: self._open.pop(partition)
                          for partition in [p for p in self._open if p not in self._busy]}
                if not groups:
                    self._stalled = True
                    try:
                        await self._until_freed()
                    finally:
                        self._stalled = False
                    continue
                queued = await self._round(groups)
                for partition, futures in queued.items():
                    self._hold(partition, futures)
                if any(queued.values()):  # until the round is acknowledged (the first of
                    await self._until_freed()  # its partitions: one answer frees them all)
                answered = sum(len(group.waiters) for group in groups.values())
                if self._gather_s and answered > 1:
                    await self._gathering(answered)
        finally:  # (no await between the last look at ``_open`` and this)
            self._sender = None
            left, self._open = self._open, {}
            for group in left.values():  # no sender would take them any more
                group.settle(KafkaError("the sender was stopped"))

    def _hold(self, partition: int, futures: list[asyncio.Future[Any]]) -> None:
        """``partition`` is busy until every one of ``futures`` is done."""
        if not futures:
            return
        self._busy.add(partition)
        left = len(futures)

        def done(_future: asyncio.Future[Any]) -> None:
            nonlocal left
            left -= 1
            if left == 0:
                self._busy.discard(partition)
                if self._freed is not None:
                    _resolve(self._freed)

        for future in futures:
            future.add_done_callback(done)

    async def _until_freed(self) -> None:
        """Until a busy partition is no more (or, stalled, until one may be sent to)."""
        freed = self._freed = asyncio.get_running_loop().create_future()
        try:
            await freed
        finally:
            self._freed = None

    async def _gathering(self, answered: int) -> None:
        """Pause until as many requests have joined as the last round ``answered`` (its
        clients, back with their next), at most ``gather_s``."""
        loop = asyncio.get_running_loop()
        self._enough = self._joined + answered
        back = self._back = loop.create_future()
        timer = loop.call_later(self._gather_s, _resolve, back)
        try:
            await back
        finally:
            timer.cancel()
            self._back = None

    async def _round(self, groups: dict[int, _Group]) -> dict[int, list[asyncio.Future[Any]]]:
        """Queue every group's records as record batches: the first batch of each partition,
        then the second of each that has one, and so on (a partition's next batch waits
        for its last to leave, and a round's first batches leave together); each group
        settles once all of its own are acknowledged. The futures queued, by partition."""
        built: dict[int, list[Any]] = {}
        for partition, group in groups.items():
            try:
                built[partition] = self._built(group.records)
            except Exception as exc:  # a record the producer refuses: its group is told
                group.settle(exc)
        queued: dict[int, list[asyncio.Future[Any]]] = {p: [] for p in built}
        producer = self._producer
        depth = 0
        try:
            while built:
                for partition in [p for p, batches in built.items() if len(batches) <= depth]:
                    _when_all(queued[partition], groups[partition])  # all of its own queued
                    del built[partition]
                for partition, batches in list(built.items()):
                    try:
                        queued[partition].append(await producer.send_batch(
                            batches[depth], INGEST_TOPIC, partition=partition))
                    except Exception as exc:  # the producer's own errors: closed, timed out
                        for future in queued[partition]:  # (still on their way: waited for)
                            future.add_done_callback(_retrieve)
                        del built[partition]
                        groups[partition].settle(exc)
                depth += 1
        except BaseException:  # cancelled (shutdown): the requests not yet told are
            for partition in built:
                for future in queued[partition]:  # queued already: nobody's outcome now
                    future.add_done_callback(_retrieve)
                groups[partition].settle(KafkaError("the sender was stopped"))
            raise
        return queued

    def _built(self, records: list[Record]) -> list[Any]:
        """``records`` as closed record batches, in order (aiokafka's advice: nothing may
        be appended to a batch once it is queued)."""
        producer = self._producer
        batches = []
        batch = producer.create_batch()
        for key, value, headers in records:
            # (an empty batch takes any record: one larger than a batch goes alone)
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                batch.close()
                batches.append(batch)  # full: the record starts the next
                batch = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None, headers=headers)
        if batch.record_count():
            batch.close()
            batches.append(batch)
        return batches


class _Group:
    """The records added to a partition since a round last took them, the futures of the
    requests that added them, and one timer for the earliest of their deadlines."""

    __slots__ = ("records", "waiters", "deadlines", "timer", "armed")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.waiters: list[asyncio.Future[None]] = []
        self.deadlines: list[float] = []  # per waiter (inf: none)
        # (a Handle, not a TimerHandle, when uvloop runs it at once: the time kept apart)
        self.timer: asyncio.Handle | None = None
        self.armed = math.inf  # the deadline it is set for

    def wait(self, waiter: asyncio.Future[None], deadline: float | None) -> None:
        self.waiters.append(waiter)
        self.deadlines.append(math.inf if deadline is None else deadline)
        if deadline is not None and deadline < self.armed:
            self._arm(deadline)

    def _arm(self, when: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.armed = when
        self.timer = asyncio.get_running_loop().call_at(when, self._expire)

    def _expire(self) -> None:
        """Fail the requests whose deadline has come; wait on for the next one."""
        self.timer, self.armed = None, math.inf
        # (due within the millisecond: the loop's timers count whole ones, and one set for
        # less than half of one runs at once)
        due = asyncio.get_running_loop().time() + 0.001
        following = math.inf
        for waiter, deadline in zip(self.waiters, self.deadlines, strict=True):
            if waiter.done():
                continue
            if deadline <= due:
                waiter.set_exception(TimeoutError("Kafka did not acknowledge in time"))
            else:
                following = min(following, deadline)
        if following < math.inf:
            self._arm(following)

    def settle(self, exc: BaseException | None) -> None:
        """Tell every request still waiting (one whose deadline passed was told then)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer, self.armed = None, math.inf
        for waiter in self.waiters:
            if waiter.done():
                continue
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(exc)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _when_all(futures: list[asyncio.Future[Any]], group: _Group) -> None:
    """Settle ``group`` once every one of ``futures`` has: with the first failure, if any."""
    left = len(futures)
    settled_already = False

    def settled(future: asyncio.Future[Any]) -> None:
        nonlocal left, settled_already
        left -= 1
        exc = None if future.cancelled() else future.exception()  # (always retrieved)
        if settled_already:
            return
        if future.cancelled():
            exc = KafkaError("the record batch was cancelled")
        if exc is not None or left == 0:
            settled_already = True
            group.settle(exc)

    if not futures:
        group.settle(None)
    for future in futures:
        future.add_done_callback(settled)
