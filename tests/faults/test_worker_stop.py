"""A worker whose broker is gone still stops promptly on SIGTERM; its producer is idempotent.

Before: aiokafka's consumer let a CancelledError escape its stop() while a fetch was
backing off, Faust's consumer thread never reported itself stopped, and the worker
sat in mode's 60 s shutdown timeout (``gotong up`` and the tests escalated to SIGKILL).
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from services import settings
from services.local import broker
from services.pipeline.worker import Worker
from tests.faults.conftest import FaultStacks
from tests.faults.ledger import report

PROMPT_S = 12.0  # well under the 30 s after which gotong up and the tests send SIGKILL


@pytest.mark.kafka
def test_worker_stops_promptly_on_sigterm_when_the_broker_is_gone(
    fault_stacks: FaultStacks,
) -> None:
    with fault_stacks.start("sigterm") as stack:
        assert stack.worker is not None
        broker.stop(fault_stacks.broker(stack))
        time.sleep(3)  # the worker notices: its fetches fail and back off
        began = time.monotonic()
        stack.worker.send_signal(signal.SIGTERM)
        try:
            code: int | None = stack.worker.wait(PROMPT_S + 20)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - began
        report("worker-sigterm-without-broker", seconds_to_exit=round(took, 1), exit_code=code)
        stack.worker = None
    assert code is not None, "the worker did not exit at all"
    assert took < PROMPT_S, f"the worker took {took:.1f}s to stop"


async def test_the_worker_producer_is_idempotent(tmp_path: Path) -> None:
    local = dataclasses.replace(settings.load(), data_dir=tmp_path,
                                database_url=f"sqlite:///{tmp_path / 'rm.db'}")
    worker = Worker(local)
    producer = worker.app.producer._new_producer()  # noqa: SLF001 (what Faust starts)
    assert isinstance(producer, AIOKafkaProducer)
    assert producer._txn_manager is not None  # noqa: SLF001 (aiokafka's idempotence state)
