"""Projection of aggregate states into the SQL read model, batched and idempotent."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable

from sqlalchemy import Engine
from sqlmodel import Session

from services.readmodel.db import Rows, merge_rows, upsert
from services.readmodel.tables import WorkerHeartbeat

log = logging.getLogger(__name__)


class Projector:
    """Writes rows for changed aggregates in one transaction per call.

    Called by the aggregation agents *before* they store the new state in their
    Faust table and before the batch is acknowledged, so the read model is never
    behind the tables: a crash replays the batch, and the version guard of the
    upsert makes the replay a no-op.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self.rows_written = 0
        self.events_processed = 0

    async def project(self, parts: Iterable[Rows]) -> None:
        merged = merge_rows(parts)
        if merged:
            await asyncio.to_thread(self._write, merged)

    def _write(self, merged: Rows) -> None:
        with self._lock, self.engine.begin() as connection:
            self.rows_written += upsert(connection, merged)

    async def heartbeat(self, worker_id: str) -> None:
        await asyncio.to_thread(self._heartbeat, worker_id)

    def _heartbeat(self, worker_id: str) -> None:
        with self._lock, Session(self.engine) as session:
            beat = session.get(WorkerHeartbeat, worker_id) or WorkerHeartbeat(
                worker_id=worker_id, seen_at=0
            )
            beat.seen_at = time.time()
            beat.events_processed = self.events_processed
            session.add(beat)
            session.commit()
