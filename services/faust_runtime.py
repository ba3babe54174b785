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
  compacted topics). After a recovery Faust can drop queued messages (#596); with
  both, such a message was committed without being processed: an acknowledged
  event never reached the typed topics (found by tests/faults). Here a commit
  waits for the event at the committed offset, and skipped offsets are never
  committed: the next start reads them (late, so possibly out of order: Faust's
  skip itself is not fixed here).
- **A bounded stop.** Whatever else waits for a broker that is gone (a commit, a
  flush), a worker told to stop exits within ``GOTONG_WORKER_STOP_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import faust
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, ConsumerT, ProducerT, TransportT

log = logging.getLogger(__name__)


class IdempotentProducer(driver.Producer):
    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "acks": "all", "enable_idempotence": True}


class ConsumerThread(driver.AIOKafkaConsumerThread):
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


class Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        if acked and committed is not None and min(acked) > committed:
            return None  # the event at the committed offset is not processed yet
        offset: int | None = super()._new_offset(tp)
        return offset

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # The topics the agents read are neither compacted nor transactional: offsets
        # Faust did not deliver were skipped (messages queued during a recovery and
        # cleared after it, faust-streaming #596), not absent. They are not counted as
        # processed, so the commit stops before them and the next start reads them.
        self.log.warning("offsets %s..%s of %s were not delivered to a stream: not "
                         "committed, read again at the next start", offset_from,
                         offset_to - 1, tp)


class Transport(driver.Transport):
    Consumer: ClassVar[type[ConsumerT]] = Consumer
    Producer: ClassVar[type[ProducerT]] = IdempotentProducer


class App(faust.App):
    """A Faust app on the transport above (``kafka://`` URLs, as before)."""

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
