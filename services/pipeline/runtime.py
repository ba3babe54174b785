"""Faust's aiokafka driver and worker, with the fixes the Gotong worker needs.

- **An idempotent producer.** Faust turns on aiokafka's ``enable_idempotence``
  only inside transactions (``Producer._settings_extra`` in
  ``faust/transport/drivers/aiokafka.py``, faust-streaming 0.15 and master), and
  has no ``producer_*`` setting for it. Without it a producer retry after a lost
  acknowledgement writes a record twice: to a typed topic, to a changelog. The
  broker drops such retries when the producer is idempotent (acks=all).
- **A consumer that stops without a broker.** When the broker is gone, aiokafka's
  fetcher has a task sleeping in its retry back-off; ``AIOKafkaConsumer.stop()``
  cancels it and lets that task's ``CancelledError`` escape. Faust's consumer
  thread then never reports itself stopped, and the worker waits for mode's
  60 s shutdown timeout before it exits (longer than ``gotong up`` waits).
- **No commit past an unprocessed event.** Faust's commit bookkeeping lets the
  committed offset jump over the very message it points at (``_new_offset`` only
  waits when the first acked offset is *more* than one past it, faust-streaming
  #606), and fills offsets it never delivered as if processed ("gaps", meant for
  compacted topics). Here a commit waits for the event at the committed offset,
  and skipped offsets are never committed.
- **No skipped records.** A rebalance clears the records queued for the streams
  and seeks to the committed offsets, racing with the fetch loop (#596): records
  were then never handed to a stream, or handed out of order. Here the fetch loop
  itself seeks to the committed offsets once per rebalance, and a record whose
  offset jumps over or falls behind the last one handed out makes the partition
  be read again from the first record not handed out (found by tests/faults:
  events missing from the read model after a worker restart).
- **No commit before the changelog holds the state.** Faust's producer flush
  gives up on its buffer after 0.1 s without progress; here it waits for every
  buffered table write to be acknowledged (``IdempotentProducer``).
- **A bounded stop.** Whatever else waits for a broker that is gone (a commit, a
  flush), a worker told to stop exits within ``GOTONG_WORKER_STOP_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import faust
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, ConsumerT, Message, ProducerT, TopicT, TransportT

from services.pipeline.batch_agents import BatchAgent, BatchConsumer, Process, declare
from services.process import log_throttle

log = logging.getLogger(__name__)


Headers = Sequence[tuple[str, bytes]]

FETCH_MIN_BYTES = 32 * 1024


class ChangelogNotWritten(Exception):
    """A table write was not acknowledged by Kafka: offsets must not be committed past it."""


class IdempotentProducer(driver.Producer):
    """Faust's producer, idempotent, whose ``flush`` waits for every buffered record.

    Faust writes each table change to its changelog with ``send_soon``: into a
    buffer that a background task hands to aiokafka. Faust's ``flush`` (before an
    offset commit, and before giving partitions up in a rebalance) gives up on
    that buffer after 0.1 s without progress (``ProducerBuffer.flush_atmost``), and
    a record already taken from the buffer but not yet handed to aiokafka is in
    neither. So an offset could be committed, or a partition handed to another
    worker, while the changelog still lacked the state of the events before it:
    a store rebuilt from the changelog (a wiped store, a partition that moved) then
    missed those events for good (found by tests/faults/test_worker_group.py).

    Here every record sent through the buffer is tracked until Kafka acknowledges
    it, and ``flush`` waits for all of those it found pending; one that failed or
    does not come within ``flush_timeout`` raises, so the commit does not happen
    and the events are processed again.
    """

    flush_timeout: float = 120.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._in_flight: set[asyncio.Future[Any]] = set()
        self._failed: list[BaseException] = []
        self._partition_counts: dict[str, int] = {}

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "acks": "all", "enable_idempotence": True}

    def send_soon(self, fut: Any) -> None:
        self._track(fut)
        super().send_soon(fut)

    def _sent(self, fut: asyncio.Future[Any]) -> None:
        self._in_flight.discard(fut)
        if not fut.cancelled() and fut.exception() is not None:
            self._failed.append(fut.exception())  # type: ignore[arg-type]

    async def send_many(self, topic: str, partition: int,
                        records: Iterable[tuple[bytes | None, bytes, Headers]], *,
                        track: bool = False) -> list[tuple[asyncio.Future[Any], int]]:
        """Append ``records`` to ``partition`` of ``topic`` in order, as few record batches
        as they fit in: one future per batch (and its record count), not per record
        (aiokafka's ``send_batch``; a future and its callbacks per record cost more than
        building the record). ``track``: the next ``flush`` (before every offset commit)
        waits for them, like Faust's own table writes."""
        producer = self._ensure_producer()
        sent: list[tuple[asyncio.Future[Any], int]] = []
        batch = producer.create_batch()

        async def submit() -> None:
            future = await producer.send_batch(batch, topic, partition=partition)
            if track:
                self._track(future)
            sent.append((future, batch.record_count()))

        for key, value, headers in records:
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                if batch.record_count():
                    await submit()
                    batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None,
                                headers=headers) is None:  # larger than a batch on its own
                    future = await producer.send(topic, value, key=key, partition=partition,
                                                 headers=headers)
                    if track:
                        self._track(future)
                    sent.append((future, 1))
        if batch.record_count():
            await submit()
        return sent

    async def partitions_of(self, topic: str) -> int:
        """How many partitions ``topic`` has (from the producer's metadata, kept)."""
        count = self._partition_counts.get(topic)
        if count is None:
            found = await self._ensure_producer().partitions_for(topic)
            count = self._partition_counts[topic] = len(found)
        return count

    def _track(self, fut: asyncio.Future[Any]) -> None:
        self._in_flight.add(fut)
        fut.add_done_callback(self._sent)

    async def flush(self) -> None:
        waiting = set(self._in_flight)
        await super().flush()
        if waiting:
            _, late = await asyncio.wait(waiting, timeout=self.flush_timeout)
            if late:
                raise ChangelogNotWritten(
                    f"{len(late)} buffered records not acknowledged after "
                    f"{self.flush_timeout:.0f}s")
        if self._failed:
            failed, self._failed = self._failed, []
            raise ChangelogNotWritten(f"{len(failed)} buffered records failed: {failed[0]!r}")


class ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: driver.Transport) -> Any:
        # Faust has the broker answer a fetch as soon as one byte is there: a trickle of
        # events is then one fetch round trip and one batch each, every one costing the
        # worker a few milliseconds of Python (protocol, producer requests, a read-model
        # transaction). Here the broker waits for 32 KiB or GOTONG_FETCH_WAIT_MS.
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.app, "fetch_wait_ms", None)
        if wait_ms:
            consumer._fetch_min_bytes = FETCH_MIN_BYTES  # noqa: SLF001 (read at start)
            consumer._fetch_max_wait_ms = wait_ms  # noqa: SLF001
        return consumer

    async def on_thread_stop(self) -> None:
        try:
            await super().on_thread_stop()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # a real cancellation of the stop itself
            self.log.info("consumer stopped while a fetch was still backing off")
            if self._consumer is not None:  # what stop() skipped: close the connections
                await self._consumer._client.close()  # noqa: SLF001


class Consumer(BatchConsumer):
    _reseeks: dict[tuple[TP, int], int]

    def __post_init__(self) -> None:
        super().__post_init__()
        self._reseeks = {}
        self._resumes = 0
        self._sought_at_resume = 0

    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _commit_offsets(self, offsets: Mapping[TP, int],
                              start_new_transaction: bool = True) -> bool:
        # what the app keeps for the commit (the states staged by the ingest agent) is
        # handed to the producer first; Faust's commit then flushes the producer
        for hook in getattr(self.app, "before_commit", ()):
            await hook()
        committed: bool = await super()._commit_offsets(offsets, start_new_transaction)
        return committed

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        if acked and committed is not None and min(acked) > committed:
            return None  # the event at the committed offset is not processed yet
        offset: int | None = super()._new_offset(tp)
        return offset

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        # Faust hands each fetched record to the streams only if its offset is at or
        # past the partition's "read offset", and counts a jump beyond it as a gap.
        # A seek to the committed offsets (every recovery does one) races with records
        # fetched before it: the read offset then runs ahead of the records (they are
        # dropped) or behind them (a hole), and either way events are never
        # processed by this worker (tests/faults, the wiped-store run, catches it). Here
        # such a record is not handed on: the partition is sought back to the first
        # offset not delivered, and read again from there (duplicates are harmless).
        await self._seek_after_rebalance()
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        resought: set[TP] = set()
        sought_all = False
        async for tp, message in super().getmany(timeout):
            if not acks_enabled_for(message.topic):
                # a changelog read by a recovery: never sought here, never held back
                # (dropping one would leave a table without that state)
                yield tp, message
                continue
            if self._rebalanced():
                # the flow resumed while this batch was handed out: nothing more of it
                # from the streams' topics (records skipped while the flow was
                # suspended lie before it)
                await self._seek_after_rebalance()
                sought_all = True
            if sought_all or tp in resought:
                continue  # fetched before the seek: it comes again
            offset = message.offset
            last = read_offset.get(tp)
            if last is not None:
                if offset > last + 1:
                    resume_at = last + 1
                elif offset < last:
                    resume_at = offset
                else:
                    resume_at = None
                if resume_at is not None and self._may_reseek(tp, resume_at):
                    self.log.warning("offsets of %s jumped from %s to %s (a seek raced with "
                                     "the fetch): reading again from %s", tp, last, offset,
                                     resume_at)
                    resought.add(tp)
                    await self.seek(tp, resume_at)
                    continue
            yield tp, message

    async def _seek_after_rebalance(self) -> None:
        """Once per rebalance, from the fetch loop itself: back to the committed offsets.

        A rebalance clears the records queued for the streams (``flow_control.clear``)
        and Faust's recovery then seeks to the committed offsets; but the fetch loop can
        still be inside a batch fetched before, and while the flow is suspended it
        marks records as read without handing them to a stream. Those records were then
        never processed (faust-streaming #596), or, once a later seek brought them
        back, processed after the records behind them. Seeking again here, before the
        fetch loop hands out any record after the recovery, makes every partition
        resume at its first unprocessed record, in order.
        """
        if not self._rebalanced():
            return
        self._sought_at_resume = self._resumes
        self._reseeks.clear()
        # to the committed offsets, as Faust's perform_seek, and also where the group
        # has committed nothing yet: there aiokafka leaves the position as it is, past
        # records that were fetched and held back (to the log's start instead)
        committed = await self.seek_to_committed()
        fresh = [tp for tp, offset in committed.items()
                 if not offset and self.app.topics.acks_enabled_for(tp.topic)]
        starts: Mapping[TP, int] = await self.earliest_offsets(*fresh) if fresh else {}
        for tp, start in starts.items():
            # a concrete position (seek_to_beginning would leave none until the next
            # fetch, and Faust's livelock check then fails on aiokafka's assertion)
            await self.seek(tp, start)
        for tp, offset in committed.items():
            if tp not in starts:
                self._read_offset[tp] = offset if offset and offset > 0 else None
            if offset:
                self._committed_offset[tp] = offset
        self.log.info("generation %s: partitions sought to their committed offsets "
                      "(%d without one: to their start)", self.app.consumer_generation_id,
                      len(fresh))

    def resume_flow(self) -> None:
        # the end of every recovery (and the start); the next record handed out waits
        # for the seek above
        self._resumes += 1
        super().resume_flow()

    def _rebalanced(self) -> bool:
        """The flow resumed (a recovery finished) and this fetch loop has not sought since."""
        return self._resumes != self._sought_at_resume

    def _may_reseek(self, tp: TP, offset: int) -> bool:
        """At most a few seeks back to the same offset (offsets a topic really lacks)."""
        attempts = self._reseeks.get((tp, offset), 0)
        if attempts >= 3:
            return False
        if len(self._reseeks) > 10_000:
            self._reseeks.clear()
        self._reseeks[(tp, offset)] = attempts + 1
        return True

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # The topics the agents read are neither compacted nor transactional: offsets
        # Faust did not deliver were skipped, not absent. ``getmany`` reads such a
        # partition again; only when that keeps failing (offsets really gone) does a
        # gap reach here. It is not counted as processed, so the commit stops before
        # it and the next start reads from there.
        self.log.warning("offsets %s..%s of %s were not delivered to a stream: not "
                         "committed, read again at the next start", offset_from,
                         offset_to - 1, tp)


class Transport(driver.Transport):
    Consumer: ClassVar[type[ConsumerT]] = Consumer
    Producer: ClassVar[type[ProducerT]] = IdempotentProducer


class App(faust.App):
    """A Faust app on the transport above (``kafka://`` URLs), with batch agents."""

    def __init__(self, *args: Any, fetch_wait_ms: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_agents: dict[str, BatchAgent] = {}
        self.fetch_wait_ms = fetch_wait_ms
        #: awaited at every offset commit, before the producer flush and the commit
        self.before_commit: list[Callable[[], Awaitable[Any]]] = []

    def batch_agent(self, topic: TopicT, *, name: str, discard: Callable[[], None] | None = None,
                    linger_s: float = 0.0) -> Callable[[Process], Process]:
        """Declare ``process`` as the handler of ``topic``'s records, a fetch at a time
        (``services.pipeline.batch_agents``)."""
        def register(process: Process) -> Process:
            declare(self, self.batch_agents,
                    BatchAgent(name, topic, process, discard or (lambda: None), linger_s))
            return process
        return register

    def _new_transport(self) -> TransportT:
        return Transport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> TransportT:
        return Transport(self.conf.broker_producer, self)


class Worker(faust.Worker):
    """A Faust worker whose stop on a signal is bounded by ``stop_timeout`` seconds.

    Exiting without a clean stop is what a crash does, and every effect of the
    worker is idempotent (at-least-once, deduped by event id), so nothing is
    lost or doubled: the next worker resumes from the last committed offsets.
    """

    def __init__(self, *args: Any, stop_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stop_timeout = stop_timeout
        self._deadline: threading.Timer | None = None

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        # No terminal spinner: at a log level of WARNING or above it sets the root
        # logger to DEBUG so that every record turns it, and then every debug call
        # of aiokafka and Faust builds a log record, several per event (measured:
        # about 5% of the worker's CPU in a profile of bench pipeline).
        self.spinner = None
        super().on_setup_root_logger(logger, level)
        log_throttle.install(logger)

    def _schedule_shutdown(self, signal: signal.Signals) -> None:
        if self._deadline is None:
            self._deadline = threading.Timer(self.stop_timeout, self._exit_now, (signal,))
            self._deadline.daemon = True
            self._deadline.start()
        super()._schedule_shutdown(signal)

    def _exit_now(self, signal: signal.Signals) -> None:
        log.warning("not stopped %.0fs after %s (Kafka unreachable?): exiting now",
                    self.stop_timeout, signal.name)
        logging.shutdown()
        os._exit(1)
