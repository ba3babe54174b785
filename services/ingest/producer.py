"""The Kafka producer used by ingest (HTTP and CLI): idempotent, acks=all, attested."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from events.catalog import INGEST_TOPIC
from events.signing import ATTEST_HEADER, attest
from services.settings import Settings

RENEW_STOP_TIMEOUT_S = 2.0


class IngestProducer:
    """Publishes events to ``gotong.ingest`` on behalf of an authenticated node.

    ``publish`` returns only once Kafka has acknowledged every event (acks=all,
    idempotent producer), so a caller may report success.
    """

    def __init__(self, settings: Settings, *, linger_ms: int | None = None) -> None:
        self.settings = settings
        self._secret = settings.secret_key
        self._linger_ms = settings.ingest_linger_ms if linger_ms is None else linger_ms
        self._producer = self._new_producer()
        self.started = False
        self._renew = False

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self.settings.bootstrap,
            enable_idempotence=True,
            acks="all",
            linger_ms=self._linger_ms,
            request_timeout_ms=10000,
            max_request_size=2 * 1024 * 1024,
        )

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

    async def publish(self, node_id: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Send ``events`` as ``node_id`` and wait until Kafka has acknowledged all of them."""
        if self._renew:
            await self._renewed()
        failed = True
        try:
            futures = []
            for event in events:
                key, value, headers = self.encode(node_id, event)
                futures.append(
                    await self._producer.send(INGEST_TOPIC, value=value, key=key, headers=headers)
                )
            if len(futures) == 1:  # one event per request, the common case: no gathering
                await futures[0]
            else:
                await asyncio.gather(*futures)
            failed = False
        finally:  # also when the caller's timeout cancels us
            self._renew = self._renew or failed

    async def is_reachable(self, timeout: float = 3.0) -> bool:
        try:
            # False when no broker answered: the brokers listed then are only the cache's
            updated = await asyncio.wait_for(self._producer.client.force_metadata_update(),
                                             timeout)
        except Exception:
            return False
        return bool(updated) and bool(self._producer.client.cluster.brokers())
