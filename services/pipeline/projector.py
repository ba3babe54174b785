"""Projection of aggregate states into the SQL read model: one transaction per batch.

The ingest agent hands over the rows of every aggregate a batch changed (the
latest row per key) *before* it stores the new states in its tables, so the read
model is never behind them: a crash folds the batch again, and the version guard
of the upsert makes the second write a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from services.pipeline import metrics
from services.readmodel.db import Rows, upsert
from services.readmodel.tables import WorkerHeartbeat

log = logging.getLogger(__name__)

T = TypeVar("T")


class Projector:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self.rows_written = 0
        self.events_processed = 0
        self.transactions = 0
        self.seconds = 0.0
        self.last_seconds = 0.0

    async def write(self, rows: Rows, then: Callable[[], T] | None = None) -> T | None:
        """Upsert ``rows`` (by table) in one transaction, in a thread; then, in the same
        thread, call ``then`` (a read that must see the transaction) and return its result."""
        return await asyncio.to_thread(self._write, rows, then)

    def _write(self, rows: Rows, then: Callable[[], T] | None) -> T | None:
        if rows:
            started = time.perf_counter()
            with self._lock, self.engine.begin() as connection:
                self.rows_written += upsert(connection, rows)
            self.transactions += 1
            self.last_seconds = time.perf_counter() - started
            self.seconds += self.last_seconds
            metrics.SQL.observe(self.last_seconds)
        return then() if then is not None else None

    async def heartbeat(self, worker_id: str, lag: int = 0) -> None:
        await asyncio.to_thread(self._heartbeat, worker_id, lag)

    def _heartbeat(self, worker_id: str, lag: int) -> None:
        with self._lock, Session(self.engine) as session:
            beat = session.get(WorkerHeartbeat, worker_id) or WorkerHeartbeat(
                worker_id=worker_id, seen_at=0
            )
            beat.seen_at = time.time()
            beat.events_processed = self.events_processed
            beat.lag = lag
            session.add(beat)
            session.commit()
