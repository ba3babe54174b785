"""Fault 5: the web process killed during a batch; fault 7: the read model's database deleted.

5. The client's retry with the same ids after the web dies mid-request gives
   exactly one copy of each event.
7. With the SQLite file of the read model deleted, ``gotong rebuild`` restores it
   exactly: equal to the replay of every acknowledged event, and to the model
   before the deletion.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.faults.conftest import FaultStacks
from tests.faults.ledger import (
    Driver,
    differences,
    figures,
    oracle_snapshot,
    ours,
    report,
    snapshot_of,
    wait_until_equal,
    workload,
)
from tests.support.stack import uid

pytestmark = pytest.mark.kafka


def test_web_killed_during_a_batch_and_the_retry_gives_exactly_one_copy(
    fault_stacks: FaultStacks,
) -> None:
    began = time.monotonic()
    with fault_stacks.start("web-kill") as stack:
        node = stack.node()
        run = uid("k5")
        events = workload(run, 6_000, node)
        driver = Driver(lambda: stack.base_url, stack.keys[node], events, batch=250,
                        pause_s=0.2)
        kills = 0
        driver.start()
        try:
            for _ in range(3):  # SIGKILL the web process while batches are being posted
                time.sleep(0.7)
                if driver.done:
                    break
                assert stack.web is not None
                stack.web.send_signal(signal.SIGKILL)
                stack.web.wait(10)
                kills += 1
                stack.start_web()
            driver.join(timeout=180)
        finally:
            driver.stop()
        acked = driver.ledger.acked
        expected = oracle_snapshot(acked)
        actual = wait_until_equal(lambda: ours(snapshot_of(stack.settings.database_url), run),
                                  expected, timeout=120)
        counted = figures(actual, acked)
        report("web-sigkill", faults=kills, sent=len(events), acknowledged=counted.acknowledged,
               lost=counted.lost, duplicated=counted.duplicated,
               unacked_present=counted.unexpected, answers=dict(driver.ledger.answers),
               seconds=round(time.monotonic() - began))
    assert kills >= 1
    assert not set(driver.ledger.answers) <= {"202"}, "no request was cut by the kill"
    assert counted.acknowledged == len(events)
    assert (counted.lost, counted.duplicated) == (0, 0), counted
    assert actual == expected, differences(actual, expected)


def test_deleted_read_model_is_rebuilt_exactly(fault_stacks: FaultStacks) -> None:
    began = time.monotonic()
    with fault_stacks.start("rebuild") as stack:
        node = stack.node()
        run = uid("k7")
        events = workload(run, 5_000, node)
        Driver(lambda: stack.base_url, stack.keys[node], events, batch=500).start().join(120)
        expected = oracle_snapshot(events)
        read = lambda: ours(snapshot_of(stack.settings.database_url), run)  # noqa: E731
        before = wait_until_equal(read, expected, timeout=120)
        assert before == expected, differences(before, expected)
        stack.stop_worker()
        database = Path(stack.settings.database_url.removeprefix("sqlite:///"))
        stack.engine.dispose()
        for path in database.parent.glob(database.name + "*"):
            path.unlink()
        assert not database.exists()
        rebuilt = stack.cli("rebuild", timeout=300)
        assert rebuilt.returncode == 0, rebuilt.stderr
        after = read()
        counted = figures(after, events)
        report("readmodel-deleted", faults=1, acknowledged=counted.acknowledged,
               lost=counted.lost, duplicated=counted.duplicated,
               seconds=round(time.monotonic() - began))
    assert (counted.lost, counted.duplicated) == (0, 0), counted
    assert after == expected, differences(after, expected)
