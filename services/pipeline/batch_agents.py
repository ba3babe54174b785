"""Batch agents: a Faust consumer that hands a topic's records to one handler a fetch at a time.

Faust delivers every record on its own: the fetch loop awaits the conductor for
each one (``wait_first(callback(message), suspend_flow.wait())`` in
``Consumer._drain_messages``), the conductor decodes it into an event and puts it
on the queue of each stream, and the stream's iterator hands it to the agent. That
costs about 250 µs of CPU per record (a no-op ``take_events`` agent: 4,000 records
per CPU-second on the 2-core machine), more than everything the pipeline does with
an event. A batch agent keeps everything else of Faust (the group, co-partitioned
assignment, the flow control of rebalances, acks and offset commits, the table
recovery) and takes the records of its topic straight from the fetch loop: the
records of one fetch go to ``process`` together (38,000 records per CPU-second).

The contract of ``process``: when it returns, every effect of the records is
handed to Kafka (whose acknowledgement the offset commit waits for) or durable;
the records are then acknowledged and their offsets may be committed. When it
raises, nothing of the batch is acknowledged: ``discard`` is called so that the
agent forgets any state it had not made durable, the partitions are sought back to
the batch's first records, and the batch comes again after a pause that grows with
each failure in a row (a database or broker that is away).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faust.transport.drivers import aiokafka as driver
from faust.types import TP, Message, TopicT
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

if TYPE_CHECKING:
    from faust.types import AppT

log = logging.getLogger(__name__)

Process = Callable[[Sequence[Message]], Awaitable[None]]

#: pauses after failed batches: doubled each time, at most this long
RETRY_FIRST_S = 0.2
RETRY_MAX_S = 30.0


@dataclass
class BatchAgent:
    name: str
    topic: TopicT
    process: Process
    discard: Callable[[], None] = lambda: None
    #: after a fetch of fewer than ``linger_until`` records, wait this long for more
    linger_s: float = 0.0
    linger_until: int = 1000
    failures: int = field(default=0, init=False)


def declare(app: AppT, registry: dict[str, BatchAgent], agent: BatchAgent) -> None:
    """Subscribe ``agent.topic`` through Faust's conductor, so that its partitions are
    assigned with the co-partitioned tables, and route its records to ``agent``."""
    for name in agent.topic.topics:
        registry[name] = agent
    app.topics.add(agent.topic)


class BatchConsumer(driver.Consumer):
    """Faust's aiokafka consumer whose fetch loop feeds the app's batch agents."""

    async def _drain_messages(self, fetcher: Any) -> None:  # noqa: C901 (Faust's loop, one branch more)
        agents: dict[str, BatchAgent] = getattr(self.app, "batch_agents", {})
        if not agents:
            await super()._drain_messages(fetcher)
            return
        callback = self.callback
        getmany = self.getmany
        consumer_stopped = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        commit_every = self._commit_every
        linger_s = max(agent.linger_s for agent in agents.values())
        enough = min(agent.linger_until for agent in agents.values())

        async def fetch_into(batches: dict[str, list[Message]], timeout: float) -> int:
            """Hand one fetch to the streams, the batch agents' records to ``batches``."""
            added = 0
            async for tp, message in getmany(timeout=timeout):
                offset = message.offset
                last = read_offset[tp]
                if last is not None and offset < last:
                    continue  # before what was handed out: Faust drops it too
                if last and offset - last > 1 and acks_enabled_for(message.topic):
                    await self._add_gap(tp, last + 1, offset)
                if commit_every is not None and self._n_acked >= commit_every:
                    self._n_acked = 0
                    await self.commit()
                if message.topic in agents:
                    batches.setdefault(message.topic, []).append(message)
                    added += 1
                else:
                    await self.wait_first(callback(message), self.suspend_flow.wait())
                read_offset[tp] = offset
            return added

        try:
            while not (consumer_stopped() or fetcher_stopped()):
                batches: dict[str, list[Message]] = {}
                await self.sleep(0)
                if not self.should_stop:
                    held = await fetch_into(batches, 1.0)
                    # a few records: wait a moment for more, so that a trickle of events
                    # is not one batch (one transaction, one produce request) each
                    deadline = time.monotonic() + linger_s
                    while 0 < held < enough and self.flow_active and not self.should_stop:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        held += await fetch_into(batches, remaining)
                for topic, messages in batches.items():
                    await self._run_batch(agents[topic], messages)
        except self.consumer_stopped_errors:
            if self.app.should_stop:
                log.info("broker stopped the consumer, shutting down")
                return
            raise
        except asyncio.CancelledError:
            if self.app.should_stop:
                return
            raise

    async def _run_batch(self, agent: BatchAgent, messages: list[Message]) -> None:
        generation = self.app.consumer_generation_id
        if not self.flow_active or any(m.generation_id != generation for m in messages):
            # a rebalance began (or ended) after the fetch: these records are read again
            # after it, from the committed offsets
            return
        unacked = self._unacked_messages
        marker = messages[-1]  # acknowledged with the rest: a rebalance waits for it
        unacked.add(marker)
        inbound = self.app.monitor.stream_inbound_time  # Faust's stalled-stream check
        now = time.monotonic()
        for tp in {m.tp for m in messages}:
            inbound[tp] = now
        try:
            await agent.process(messages)
        except Exception as exc:
            unacked.discard(marker)
            agent.discard()
            await self._rewind(messages)
            agent.failures += 1
            pause = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (agent.failures - 1))
            log.exception("%s: a batch of %d records failed (%r); reading it again in %.1f s",
                          agent.name, len(messages), exc, pause)
            await asyncio.sleep(pause)
            return
        agent.failures = 0
        self._ack_all(messages)

    def _ack_all(self, messages: Sequence[Message]) -> None:
        """``Consumer.ack`` for every message of a batch, under one lock."""
        acks_enabled_for = self.app.topics.acks_enabled_for
        committed_offsets, acked_index, acked = (self._committed_offset, self._acked_index,
                                                 self._acked)
        with ack_lock:
            for message in messages:
                if message.acked:
                    continue
                message.acked = True
                if not acks_enabled_for(message.topic):
                    continue
                tp, offset = message.tp, message.offset
                committed = committed_offsets[tp]
                index = acked_index[tp]
                if (committed is None or offset >= committed) and offset not in index:
                    index.add(offset)
                    acked[tp].append(offset)
                    self._n_acked += 1
            self._unacked_messages.discard(messages[-1])
            notify(self._waiting_for_ack)

    async def _rewind(self, messages: Sequence[Message]) -> None:
        """Seek every partition of a failed batch back to its first record in it."""
        first: dict[TP, int] = {}
        for message in messages:
            first.setdefault(message.tp, message.offset)
        assigned = self.assignment()
        for tp, offset in first.items():
            if tp in assigned:
                await self.seek(tp, offset)
                self._read_offset[tp] = offset - 1 if offset else None
