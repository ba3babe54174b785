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
    """Writes rows for changed aggregates, committing whatever is waiting in one transaction.

    Called by the aggregation agents *before* they store the new state in their
    Faust table and before the batch is acknowledged, so the read model is never
    behind the tables: a crash replays the batch, and the version guard of the
    upsert makes the replay a no-op.

    Group commit: while one transaction is being written, the batches of every
    agent that arrive queue up and go together in the next one. Idle, a batch is
    written at once; busy, many batches share one commit.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._waiting: list[tuple[Rows, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.rows_written = 0
        self.events_processed = 0
        self.transactions = 0

    async def project(self, parts: Iterable[Rows]) -> None:
        merged = merge_rows(parts)
        if not merged:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((merged, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self._write, merge_rows(rows for rows, _ in batch))
            except Exception as exc:  # handed to every waiting agent, which then crashes
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    def _write(self, merged: Rows) -> None:
        with self._lock, self.engine.begin() as connection:
            self.rows_written += upsert(connection, merged)
            self.transactions += 1

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
