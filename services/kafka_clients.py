"""Small helpers around aiokafka clients."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition


async def stop_consumer(consumer: AIOKafkaConsumer) -> None:
    """Stop a consumer that used ``assign()`` (no group).

    aiokafka cancels an internal task on stop; when that task had not started
    yet, its CancelledError escapes ``stop()``. Swallow that one, never a real
    cancellation of the caller.
    """
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise


async def partitions_of(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    """Every partition of ``topics``, asking the cluster (not the consumer's cache)."""
    cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001 (no public equivalent)
    return [TopicPartition(topic, p) for topic in topics
            for p in sorted(cluster.partitions_for_topic(topic) or ())]
