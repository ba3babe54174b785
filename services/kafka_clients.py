"""Small helpers around aiokafka clients."""

from __future__ import annotations

import asyncio
import struct

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


_HASHES: dict[bytes, int] = {}
_HASHES_KEPT = 50_000


def partition_for(key: bytes, partitions: int) -> int:
    """Kafka's default partition for a key (murmur2, as the Java client and aiokafka).

    A subject's events come again and again, so the hashes are kept (a bounded dict,
    emptied when full).
    """
    hashed = _HASHES.get(key)
    if hashed is None:
        if len(_HASHES) >= _HASHES_KEPT:
            _HASHES.clear()
        hashed = _HASHES[key] = murmur2(key) & 0x7FFFFFFF
    return hashed % partitions


_M, _MASK = 0x5BD1E995, 0xFFFFFFFF
_WORDS: dict[int, struct.Struct] = {}


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (``org.apache.kafka.common.utils.Utils.murmur2``) as aiokafka's
    gives it (unsigned): the same hash, read four bytes at a time by ``struct`` rather
    than byte by byte, for keys never seen before (a batch of new subjects)."""
    length = len(data)
    h = 0x9747B28C ^ length
    count = length // 4
    words = _WORDS.get(count)
    if words is None:
        words = _WORDS[count] = struct.Struct(f"<{count}I")
    for k in words.unpack_from(data):
        k = (k * _M) & _MASK
        k = ((k ^ (k >> 24)) * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & 3
    if tail:
        end = length - tail
        if tail == 3:
            h ^= data[end + 2] << 16
        if tail >= 2:
            h ^= data[end + 1] << 8
        h = ((h ^ data[end]) * _M) & _MASK
    h = ((h ^ (h >> 13)) * _M) & _MASK
    return h ^ (h >> 15)
