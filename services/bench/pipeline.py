"""``gotong bench pipeline``: publish N events, time until the read model holds them all.

In the same run, the baseline: the same N records produced to a scratch topic and
consumed back with raw aiokafka and no processing. The ratio of the two says how
much of Kafka's own speed the pipeline keeps. Both meet a warm broker: before the
pipeline is timed, the records go once through another scratch topic, unmeasured
(a fresh JVM spends its first seconds compiling its hot paths, up to a core of the
two; measured cold, the pipeline paid for that and the baseline, timed last, did not).

Each worker serves its Prometheus metrics on a port of its own; read before and
after the events, they give the stages of the pipeline per event (judging and
folding, waiting for Kafka and the read model, writing the states). With
``--workers N`` a second round publishes N new events to N workers sharing the
partitions, for the speed-up over one; ``--profile`` samples the worker with py-spy
while the events flow and writes a summary next to the results.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from rich.progress import Progress
from sqlalchemy import Engine

from events.catalog import INGEST_TOPIC, node_of
from events.signing import ATTEST_HEADER, attest
from services.bench.common import (
    BenchEnv,
    applied_events,
    console,
    cpu_seconds,
    free_port,
    rss_mb,
    scrape,
)
from services.bench.profile import Profiler
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
    "warmup_events_per_s": "warm-up, the same on a cold broker (events/s)",
    "worker_rss_mb": "worker RSS, peak (MiB)",
    "worker_cpu_s": "worker CPU time (s)",
    "events_per_cpu_s": "events per worker CPU second",
    "events_per_batch": "events per batch",
    "fold_us": "stage: judge + fold (µs per event)",
    "kafka_wait_us": "stage: wait for Kafka acks and SQL (µs per event)",
    "sql_us": "  of which the SQL transaction (µs per event)",
    "state_us": "stage: state to tables (µs per event)",
    "worker_cpu_us": "worker CPU (µs per event)",
    "notified_after_s": "notifier done reading them, after the read model (s)",
    "worker_cpu_notifier_us": "worker CPU with the notifier's reading (µs per event)",
    "workers": "workers in the second round",
    "events_per_s_n": "second round, N workers (events/s)",
    "speedup": "speed-up of N workers over one",
}

# stage histograms of services/pipeline/metrics.py: their sums are seconds
STAGES = {"fold_us": "gotong_fold_seconds", "kafka_wait_us": "gotong_kafka_wait_seconds",
          "sql_us": "gotong_sql_flush_seconds", "state_us": "gotong_state_flush_seconds"}


@dataclass
class Round:
    events: int
    seconds: float
    rss_mb: float
    cpu_s: float
    stages: dict[str, float] = field(default_factory=dict)
    notified_after_s: float | None = None
    cpu_with_notifier_s: float | None = None

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass(frozen=True)
class PipelineResult:
    first: Round
    baseline_events_per_s: float
    second: Round | None = None
    workers: int = 1
    warmup_events_per_s: float | None = None

    def figures(self) -> dict[str, Any]:
        r = self.first
        figures: dict[str, Any] = {
            "events": r.events,
            "seconds": round(r.seconds, 2),
            "events_per_s": round(r.rate, 1),
            "baseline_events_per_s": round(self.baseline_events_per_s, 1),
            "ratio": round(r.rate / self.baseline_events_per_s, 3),
            **({"warmup_events_per_s": round(self.warmup_events_per_s, 1)}
               if self.warmup_events_per_s is not None else {}),
            "worker_rss_mb": round(r.rss_mb, 1),
            "worker_cpu_s": round(r.cpu_s, 2),
            "events_per_cpu_s": round(r.events / max(r.cpu_s, 1e-9), 1),
            "worker_cpu_us": round(r.cpu_s / r.events * 1e6, 1),
            **{k: round(v, 1) for k, v in r.stages.items()},
            **({"notified_after_s": round(r.notified_after_s, 1)}
               if r.notified_after_s is not None else {}),
            **({"worker_cpu_notifier_us": round(r.cpu_with_notifier_s / r.events * 1e6, 1)}
               if r.cpu_with_notifier_s is not None else {}),
        }
        if self.second is not None:
            figures["workers"] = self.workers
            figures["events_per_s_n"] = round(self.second.rate, 1)
            figures["speedup"] = round(self.second.rate / r.rate, 2)
        return figures


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


async def baseline(bootstrap: str, records: list[Record], partitions: int, run: str,
                   name: str = "baseline") -> float:
    """Events/s of producing ``records`` to a scratch topic and consuming them back."""
    topic = f"gotong-bench.{name}-{run}"
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
        deadline = time.monotonic() + 30
        while len(tps) < partitions and time.monotonic() < deadline:
            await asyncio.sleep(0.1)  # a topic just made: its metadata is on its way
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


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    metrics_url: str

    def scrape(self) -> dict[str, float]:
        """The worker's metrics: sample name (with labels) -> value."""
        values: dict[str, float] = {}
        for name, labels, value in scrape(self.metrics_url):
            tags = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            values[f"{name}{{{tags}}}" if tags else name] = value
        return values

    def partitions(self) -> int:
        """How many partitions of gotong.ingest it owns now."""
        try:
            return sum(1 for name in self.scrape()
                       if name.startswith("gotong_consumer_lag{") and INGEST_TOPIC in name)
        except httpx.HTTPError:
            return 0


def spawn_worker(env: BenchEnv, name: str) -> Worker:
    port = free_port()
    process = env.spawn(["worker", "--loglevel", "WARNING"],
                        env.worker_env(name, GOTONG_METRICS_PORT=str(port)), f"{name}.log")
    return Worker(name, process, f"http://127.0.0.1:{port}/metrics")


def start_worker(env: BenchEnv, engine: Engine, probe_name: str, name: str = "worker"
                 ) -> Worker:
    """Start a worker and return once a probe event has gone all the way through."""
    worker = spawn_worker(env, name)
    probe = generate(1, probe_name)
    asyncio.run(produce(env.bootstrap, INGEST_TOPIC, encode(probe, env.secret)))
    deadline = time.monotonic() + 300
    while applied_events(engine, f"bench-{probe_name}-") < 1:
        if worker.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not get ready; see {env.root / f'{name}.log'}")
        time.sleep(0.05)
    return worker


def wait_shared(env: BenchEnv, workers: Sequence[Worker], partitions: int) -> None:
    """Wait until every worker owns partitions of gotong.ingest and together all of them."""
    deadline = time.monotonic() + 300
    while True:
        owned = [w.partitions() for w in workers]
        if all(owned) and sum(owned) == partitions:
            return
        if any(w.process.poll() is not None for w in workers) or time.monotonic() > deadline:
            raise RuntimeError(f"the workers did not share the partitions ({owned}); see the "
                               f"logs in {env.root}")
        time.sleep(0.5)


def _stages(before: Sequence[Mapping[str, float]], after: Sequence[Mapping[str, float]],
            events: int) -> dict[str, float]:
    """µs per event in each stage, and events per batch, from the workers' metrics."""
    def total(name: str, scrapes: Sequence[Mapping[str, float]]) -> float:
        return sum(s.get(name, 0.0) for s in scrapes)

    stages = {key: (total(f"{metric}_sum", after) - total(f"{metric}_sum", before))
              / events * 1e6 for key, metric in STAGES.items()}
    batches = (total("gotong_ingest_batch_records_count", after)
               - total("gotong_ingest_batch_records_count", before))
    records = (total("gotong_ingest_batch_records_sum", after)
               - total("gotong_ingest_batch_records_sum", before))
    stages["events_per_batch"] = records / batches if batches else 0.0
    return stages


def publish_and_wait(env: BenchEnv, engine: Engine, workers: Sequence[Worker],
                     records: list[Record], prefix: str,
                     profiler: Profiler | None = None) -> Round:
    """Publish ``records``; wait until the read model holds them."""
    count = len(records)
    before = [w.scrape() for w in workers]
    started = time.perf_counter()
    cpu_before = sum(cpu_seconds(w.process.pid) for w in workers)
    if profiler is not None:
        profiler.start(workers[0].process.pid)
    asyncio.run(produce(env.bootstrap, INGEST_TOPIC, records))
    peak = 0.0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("waiting for the read model", total=count)
        done = 0
        moved = time.monotonic()
        while done < count:
            if any(w.process.poll() is not None for w in workers):
                raise RuntimeError(f"a worker died; see the logs in {env.root}")
            if time.monotonic() - moved > STALL_S:
                raise RuntimeError(f"the read model stayed at {done:,} of {count:,} events for "
                                   f"{STALL_S:.0f} s; see the logs in {env.root}")
            time.sleep(0.1)
            now = applied_events(engine, prefix)
            if now != done:
                done, moved = now, time.monotonic()
            peak = max(peak, max(rss_mb(w.process.pid) for w in workers))
            progress.update(task, completed=done)
    seconds = time.perf_counter() - started
    cpu = sum(cpu_seconds(w.process.pid) for w in workers) - cpu_before
    if profiler is not None:
        profiler.stop()
    notified_after = _notified_after(workers, before, count, started + seconds)
    cpu_all = sum(cpu_seconds(w.process.pid) for w in workers) - cpu_before
    time.sleep(2.5)  # the last batch's histograms, the last lag figure
    stages = _stages(before, [w.scrape() for w in workers], count)
    return Round(count, seconds, peak, cpu, stages, notified_after, cpu_all)


NOTIFIED = "gotong_notifier_records_total"


def _notified_after(workers: Sequence[Worker], before: Sequence[Mapping[str, float]],
                    count: int, done_at: float) -> float | None:
    """Seconds from the read model holding the events to the notifier having read them
    all (it lets the pipeline go first while gotong.ingest has a backlog); None if it
    did not within ``STALL_S``."""
    start = sum(s.get(NOTIFIED, 0.0) for s in before)
    while time.perf_counter() - done_at < STALL_S:
        if sum(w.scrape().get(NOTIFIED, 0.0) for w in workers) - start >= count:
            return time.perf_counter() - done_at
        time.sleep(0.25)
    return None


def run_pipeline(env: BenchEnv, count: int, *, workers: int = 1,
                 profile_to: Path | None = None) -> PipelineResult:
    asyncio.run(ensure_topics(env.settings))
    records = encode(generate(count, env.run), env.secret)
    console.print("warming the broker up (the same records through a scratch topic)")
    warmup = asyncio.run(baseline(env.bootstrap, records, env.settings.topic_partitions,
                                  env.run, "warmup"))
    engine = env.engine()
    first = start_worker(env, engine, "probe" + env.run)
    profiler = Profiler(profile_to) if profile_to is not None else None
    console.print(f"worker ready; publishing {count:,} events")
    one = publish_and_wait(env, engine, [first], records, f"bench-{env.run}-", profiler)
    more: Round | None = None
    if workers > 1:
        others = [spawn_worker(env, f"worker-{n}") for n in range(2, workers + 1)]
        pool = [first, *others]
        console.print(f"waiting for {workers} workers to share the partitions")
        wait_shared(env, pool, env.settings.topic_partitions)
        second = f"{env.run}n"
        console.print(f"publishing {count:,} new events to {workers} workers")
        more = publish_and_wait(env, engine, pool, encode(generate(count, second), env.secret),
                                f"bench-{second}-")
    env.stop_all()
    engine.dispose()
    console.print("measuring the raw aiokafka baseline")
    base = asyncio.run(baseline(env.bootstrap, records, env.settings.topic_partitions, env.run))
    return PipelineResult(first=one, baseline_events_per_s=base, second=more, workers=workers,
                          warmup_events_per_s=warmup)
