"""``gotong bench pipeline``: publish N events, time until the read model holds them all.

In the same run, the baseline: the same N records produced to a scratch topic and
consumed back with raw aiokafka and no processing. The ratio of the two says how
much of Kafka's own speed the pipeline keeps.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from rich.progress import Progress
from sqlalchemy import Engine

from events.catalog import INGEST_TOPIC, node_of
from events.signing import ATTEST_HEADER, attest
from services.bench.common import BenchEnv, applied_events, console, cpu_seconds, rss_mb
from services.bench.workload import generate
from services.kafka_clients import partitions_of, stop_consumer
from services.pipeline.topics import ensure_topics

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]

STALL_S = 120.0  # no progress for this long: the run fails instead of waiting forever

LABELS = {
    "events": "events",
    "seconds": "publish -> read model (s)",
    "events_per_s": "pipeline (events/s)",
    "baseline_events_per_s": "raw aiokafka produce+consume (events/s)",
    "ratio": "pipeline / baseline",
    "worker_rss_mb": "worker RSS, peak (MiB)",
    "worker_cpu_s": "worker CPU time (s)",
    "events_per_cpu_s": "events per worker CPU second",
}


@dataclass(frozen=True)
class PipelineResult:
    events: int
    seconds: float
    baseline_events_per_s: float
    worker_rss_mb: float
    worker_cpu_s: float

    def figures(self) -> dict[str, Any]:
        rate = self.events / self.seconds
        return {
            "events": self.events,
            "seconds": round(self.seconds, 2),
            "events_per_s": round(rate, 1),
            "baseline_events_per_s": round(self.baseline_events_per_s, 1),
            "ratio": round(rate / self.baseline_events_per_s, 3),
            "worker_rss_mb": round(self.worker_rss_mb, 1),
            "worker_cpu_s": round(self.worker_cpu_s, 2),
            "events_per_cpu_s": round(self.events / max(self.worker_cpu_s, 1e-9), 1),
        }


def encode(events: list[dict[str, Any]], secret: bytes) -> list[Record]:
    """The ingest records, attested as the web process would (done before the clock starts)."""
    records = []
    for event in events:
        value = orjson.dumps(event)
        node = node_of(event["source"]) or ""
        records.append((event["subject"].encode(), value,
                        [(ATTEST_HEADER, attest(secret, node, value))]))
    return records


async def produce(bootstrap: str, topic: str, records: list[Record]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all",
                                linger_ms=10, max_batch_size=512 * 1024)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k, headers=h) for k, v, h in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def baseline(bootstrap: str, records: list[Record], partitions: int, run: str) -> float:
    """Events/s of producing ``records`` to a scratch topic and consuming them back."""
    topic = f"gotong-bench.baseline-{run}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = await partitions_of(consumer, [topic])
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        started = time.perf_counter()
        producing = asyncio.create_task(produce(bootstrap, topic, records))
        received = 0
        while received < len(records):
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            received += sum(len(r) for r in batch.values())
        elapsed = time.perf_counter() - started
        await producing
    finally:
        await stop_consumer(consumer)
    return len(records) / elapsed


def start_worker(env: BenchEnv, engine: Engine, probe_name: str) -> subprocess.Popen[bytes]:
    """Start a worker and return once a probe event has gone all the way through."""
    worker = env.spawn(["worker", "--loglevel", "WARNING"], env.worker_env(), "worker.log")
    probe = generate(1, probe_name)
    asyncio.run(produce(env.bootstrap, INGEST_TOPIC, encode(probe, env.secret)))
    deadline = time.monotonic() + 300
    while applied_events(engine, f"bench-{probe_name}-") < 1:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not get ready; see {env.root / 'worker.log'}")
        time.sleep(0.05)
    return worker


def publish_and_wait(env: BenchEnv, engine: Engine, worker: subprocess.Popen[bytes],
                     records: list[Record], prefix: str) -> tuple[float, float, float]:
    """Publish ``records``; wait until the read model holds them. (seconds, peak RSS, CPU s)"""
    count = len(records)
    started = time.perf_counter()
    cpu_before = cpu_seconds(worker.pid)
    asyncio.run(produce(env.bootstrap, INGEST_TOPIC, records))
    peak = 0.0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("waiting for the read model", total=count)
        done = 0
        moved = time.monotonic()
        while done < count:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker died; see {env.root / 'worker.log'}")
            if time.monotonic() - moved > STALL_S:
                raise RuntimeError(f"the read model stayed at {done:,} of {count:,} events for "
                                   f"{STALL_S:.0f} s; see {env.root / 'worker.log'}")
            time.sleep(0.1)
            now = applied_events(engine, prefix)
            if now != done:
                done, moved = now, time.monotonic()
            peak = max(peak, rss_mb(worker.pid))
            progress.update(task, completed=done)
    return time.perf_counter() - started, peak, cpu_seconds(worker.pid) - cpu_before


def run_pipeline(env: BenchEnv, count: int) -> PipelineResult:
    asyncio.run(ensure_topics(env.settings))
    records = encode(generate(count, env.run), env.secret)
    engine = env.engine()
    worker = start_worker(env, engine, "probe" + env.run)
    console.print(f"worker ready; publishing {count:,} events")
    seconds, peak, cpu = publish_and_wait(env, engine, worker, records, f"bench-{env.run}-")
    env.stop_all()
    engine.dispose()
    console.print("measuring the raw aiokafka baseline")
    base = asyncio.run(baseline(env.bootstrap, records, env.settings.topic_partitions, env.run))
    return PipelineResult(events=count, seconds=seconds, baseline_events_per_s=base,
                          worker_rss_mb=peak, worker_cpu_s=cpu)
