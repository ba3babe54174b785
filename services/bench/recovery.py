"""``gotong bench recovery``: a worker restart with a large state, and the read model's rebuild."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from services.bench.common import BenchEnv, console, rss_mb
from services.bench.pipeline import encode, publish_and_wait, start_worker
from services.bench.workload import generate
from services.pipeline.rebuild import rebuild
from services.pipeline.topics import ensure_topics

LABELS = {
    "events": "events of state",
    "load_events_per_s": "loading through the pipeline (events/s)",
    "restart_ready_s": "worker restart -> ready (s)",
    "rebuild_seconds": "gotong rebuild (s)",
    "rebuild_events_per_s": "rebuild (events/s)",
    "load_rss_mb": "worker RSS while loading, peak (MiB)",
    "loaded_rss_mb": "worker RSS with all events folded (MiB)",
    "worker_rss_mb": "worker RSS after restart (MiB)",
}


def run_recovery(env: BenchEnv, count: int) -> dict[str, Any]:
    asyncio.run(ensure_topics(env.settings))
    engine = env.engine()
    worker = start_worker(env, engine, "probe" + env.run)
    console.print(f"loading {count:,} events of state")
    records = encode(generate(count, env.run), env.secret)
    loaded = publish_and_wait(env, engine, [worker], records, f"bench-{env.run}-")
    del records
    folded_rss = rss_mb(worker.process.pid)  # publish_and_wait waited past a commit
    env.stop_all()
    console.print("restarting the worker")
    began = time.perf_counter()
    worker = start_worker(env, engine, "restart" + env.run)
    ready = time.perf_counter() - began
    rss = rss_mb(worker.process.pid)
    env.stop_all()
    console.print("rebuilding the read model from the log")
    settings = replace(env.settings, database_url=env.database_url)
    began = time.perf_counter()
    result = asyncio.run(rebuild(settings))
    rebuilt = time.perf_counter() - began
    engine.dispose()
    return {
        "events": count,
        "load_events_per_s": round(count / loaded.seconds, 1),
        "load_rss_mb": round(loaded.rss_mb, 1),
        "loaded_rss_mb": round(folded_rss, 1),
        "restart_ready_s": round(ready, 2),
        "rebuild_seconds": round(rebuilt, 2),
        "rebuild_events_per_s": round(result.events / rebuilt, 1),
        "worker_rss_mb": round(rss, 1),
    }
