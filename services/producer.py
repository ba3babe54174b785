"""The Kafka producer used by ingest (HTTP and CLI): idempotent, acks=all, attested."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from events.catalog import INGEST_TOPIC
from events.signing import ATTEST_HEADER, attest
from services.settings import Settings


class IngestProducer:
    """Publishes events to ``gotong.ingest`` on behalf of an authenticated node.

    ``publish`` returns only once Kafka has acknowledged every event (acks=all,
    idempotent producer), so a caller may report success.
    """

    def __init__(self, settings: Settings, *, linger_ms: int = 2) -> None:
        self.settings = settings
        self._secret = settings.secret_key
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap,
            enable_idempotence=True,
            acks="all",
            linger_ms=linger_ms,
            request_timeout_ms=10000,
            max_request_size=2 * 1024 * 1024,
        )
        self.started = False

    async def start(self) -> None:
        await self._producer.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            await self._producer.stop()
            self.started = False

    def encode(
        self, node_id: str, event: Mapping[str, Any]
    ) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        value = orjson.dumps(event)
        headers = [(ATTEST_HEADER, attest(self._secret, node_id, value))]
        return str(event["subject"]).encode(), value, headers

    async def publish(self, node_id: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Send ``events`` as ``node_id`` and wait until Kafka has acknowledged all of them."""
        futures = []
        for event in events:
            key, value, headers = self.encode(node_id, event)
            futures.append(
                await self._producer.send(INGEST_TOPIC, value=value, key=key, headers=headers)
            )
        await asyncio.gather(*futures)

    async def is_reachable(self, timeout: float = 3.0) -> bool:
        try:
            await asyncio.wait_for(self._producer.client.force_metadata_update(), timeout)
        except Exception:
            return False
        return bool(self._producer.client.cluster.brokers())
