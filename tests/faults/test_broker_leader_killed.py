"""Fault 3: a three-broker KRaft cluster, the leader of busy partitions SIGKILLed under load.

Replication factor 3, ``min.insync.replicas=2``, unclean leader election off: every
event that got a 202 is present afterwards, nothing twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from events.catalog import INGEST_TOPIC
from services import settings as settings_module
from services.kafka_clients import partitions_of, stop_consumer
from tests.faults.cluster import running_cluster
from tests.faults.ledger import (
    Driver,
    assert_exact,
    figures,
    oracle_snapshot,
    ours,
    report,
    snapshot_of,
    wait_until_equal,
    workload,
)
from tests.support.stack import running_stack, uid, wait_for

pytestmark = pytest.mark.kafka


def _busiest_leader(bootstrap: str) -> int:
    """The broker leading the most partitions of the ingest topic."""

    async def ask() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await consumer.start()
        try:
            partitions = await partitions_of(consumer, [INGEST_TOPIC])
            cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001
            leaders = Counter(cluster.leader_for_partition(tp) for tp in partitions)
            return int(leaders.most_common(1)[0][0])
        finally:
            await stop_consumer(consumer)

    return asyncio.run(ask())


def test_killing_the_partition_leader_loses_no_acknowledged_event(tmp_path: Path) -> None:
    began = time.monotonic()
    base = settings_module.load()
    saved = os.environ.get("GOTONG_TOPIC_REPLICATION")
    os.environ["GOTONG_TOPIC_REPLICATION"] = "3"
    try:
        with running_cluster(tmp_path / "cluster", base) as cluster:
            settings = dataclasses.replace(base, kafka_bootstrap=cluster.bootstrap,
                                           topic_replication=3)
            with running_stack("faults-leader", settings,
                               f"sqlite:///{tmp_path / 'readmodel.db'}", tmp_path) as stack:
                node = stack.node()
                run = uid("k3")
                events = workload(run, 8_000, node)
                driver = Driver(lambda: stack.base_url, stack.keys[node], events, batch=200,
                                pause_s=0.1, give_up_s=120).start()
                try:
                    wait_for(lambda: driver.sent > 1_500, timeout=120, what="events flowing")
                    leader = _busiest_leader(cluster.bootstrap)
                    cluster.kill(leader)
                    driver.join(timeout=300)
                finally:
                    driver.stop()
                acked = driver.ledger.acked
                expected = oracle_snapshot(acked)
                actual = wait_until_equal(
                    lambda: ours(snapshot_of(stack.settings.database_url), run), expected,
                    timeout=180)
                counted = figures(actual, acked)
                report("broker-leader-sigkill", faults=1, killed_broker=leader,
                       sent=len(events), acknowledged=counted.acknowledged, lost=counted.lost,
                       duplicated=counted.duplicated, unacked_present=counted.unexpected,
                       answers=dict(driver.ledger.answers),
                       seconds=round(time.monotonic() - began))
    finally:
        if saved is None:
            os.environ.pop("GOTONG_TOPIC_REPLICATION", None)
        else:
            os.environ["GOTONG_TOPIC_REPLICATION"] = saved
    assert counted.acknowledged == len(events)
    assert (counted.lost, counted.duplicated) == (0, 0), counted
    assert_exact(actual, expected)
