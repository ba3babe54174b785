"""Plain aiokafka reads and writes for tests that look at the log itself."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from services.kafka_clients import partitions_of, stop_consumer


def produce(bootstrap: str, topic: str,
            records: Iterable[tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes]]]]
            ) -> None:
    """Write (key, value, headers) records straight to ``topic`` and wait for the acks."""

    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                    max_request_size=4 * 1024 * 1024)
        await producer.start()
        try:
            futures = [await producer.send(topic, value=v, key=k, headers=list(h))
                       for k, v, h in records]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    asyncio.run(go())


def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` from the beginning to the current end."""

    async def go() -> list[ConsumerRecord[bytes, bytes]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                    auto_offset_reset="earliest")
        await consumer.start()
        try:
            partitions = await partitions_of(consumer, [topic])
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end = await consumer.end_offsets(partitions)
            out: list[ConsumerRecord[bytes, bytes]] = []
            pending = {tp for tp in partitions if end[tp] > 0}
            while pending:
                batches = await consumer.getmany(*pending, timeout_ms=1000)
                for tp, records in batches.items():
                    out.extend(r for r in records if r.offset < end[tp])
                for tp in list(pending):
                    if await consumer.position(tp) >= end[tp]:
                        pending.discard(tp)
            return out
        finally:
            await stop_consumer(consumer)

    return asyncio.run(go())
