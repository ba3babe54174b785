"""One consumer that follows the end of the typed topics and fans records out to listeners.

Server-Sent Events clients do not get a Kafka consumer each (500 clients would
be 500 consumers): the web process runs one ``Tail`` and every stream gets a
bounded queue. A stream that falls behind (queue full) is closed; its client
reconnects with ``Last-Event-ID`` and catches up from the log, so nothing is
lost. When the tail's consumer has to restart, every stream is closed the same
way, because the tail restarts at the end of the log.

While no stream is open the tail does not fetch (its partitions paused): a web process
nobody follows read the whole log all the time, about 6% of the broker's CPU and 6% of
the web's profile samples at 1,000 events/s. The next stream wakes it (``join``); it
starts again from the end of the log, which is where a new stream starts, and a stream
that resumes catches up from the log as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer

from events.catalog import TYPED_TOPICS
from services.feeds.log import LogEvent, decode
from services.kafka_clients import partitions_of, stop_consumer

log = logging.getLogger(__name__)

RESTART_DELAY_S = 2.0


@dataclass(eq=False)
class Listener:
    queue: asyncio.Queue[LogEvent | None]
    overflowed: bool = False
    start: dict[tuple[str, int], int] = field(default_factory=dict)

    def offer(self, item: LogEvent | None) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(None)  # wakes the stream, which then closes


class Tail:
    def __init__(self, bootstrap: str, *, queue_size: int = 1000) -> None:
        self.bootstrap = bootstrap
        self.queue_size = queue_size
        self.listeners: set[Listener] = set()
        self.position: dict[tuple[str, int], int] = {}
        self.ready = asyncio.Event()  # following the end of the log
        self._task: asyncio.Task[None] | None = None
        self._joining = 0  # streams between join() and subscribe(): keep the tail awake
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="feed-tail")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._close_all()

    async def join(self, timeout: float) -> Listener:
        """A new listener once the tail follows the end of the log (woken if idle);
        TimeoutError when it cannot within ``timeout`` seconds (Kafka away)."""
        self._joining += 1
        try:
            self._wake.set()
            async with asyncio.timeout(timeout):
                while not self.ready.is_set():  # (cleared again if the consumer restarts)
                    await self.ready.wait()
            return self.subscribe()
        finally:
            self._joining -= 1

    @property
    def idle(self) -> bool:
        return not self.listeners and not self._joining

    def subscribe(self) -> Listener:
        """A new listener; ``start`` is the log position from which it receives every record."""
        listener = Listener(asyncio.Queue(self.queue_size), start=dict(self.position))
        self.listeners.add(listener)
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    def _close_all(self) -> None:
        for listener in list(self.listeners):
            listener.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                listener.queue.put_nowait(None)
        self.listeners.clear()

    async def _follow_end(self, consumer: AIOKafkaConsumer, partitions: list[Any]) -> None:
        await consumer.seek_to_end(*partitions)
        self.position = {(tp.topic, tp.partition): await consumer.position(tp)
                         for tp in partitions}
        self.ready.set()

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                        enable_auto_commit=False, fetch_max_wait_ms=100)
            try:
                await consumer.start()
                partitions = await partitions_of(consumer, list(TYPED_TOPICS))
                consumer.assign(partitions)
                await self._follow_end(consumer, partitions)
                while True:
                    if self.idle:  # nobody follows: fetch nothing until someone does
                        self.ready.clear()
                        self._wake.clear()
                        consumer.pause(*partitions)
                        await self._wake.wait()
                        consumer.resume(*partitions)
                        await self._follow_end(consumer, partitions)
                        continue
                    batches = await consumer.getmany(timeout_ms=1000, max_records=2000)
                    for tp, records in batches.items():
                        for record in records:
                            event = decode(record)
                            self.position[(tp.topic, tp.partition)] = record.offset + 1
                            if event is None:
                                continue
                            item = LogEvent(tp.topic, tp.partition, record.offset,
                                            record.timestamp, event)
                            for listener in list(self.listeners):
                                listener.offer(item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka away: close the streams, they resume from the log
                log.warning("feed tail stopped (%r); restarting in %ss", exc, RESTART_DELAY_S)
                self.ready.clear()
                self._close_all()
                await asyncio.sleep(RESTART_DELAY_S)
            finally:
                await stop_consumer(consumer)
