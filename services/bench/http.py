"""``gotong bench latency`` and ``gotong bench ingest``: the HTTP side, driven from outside.

Both start a worker and a web process of their own (see ``services.bench.common``)
and drive them over loopback with httpx from this process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from typing import Any

import httpx

from services.bench.common import (
    BenchEnv,
    console,
    cpu_seconds,
    free_port,
    histogram_quantile,
    scrape,
)
from services.bench.ingest_load import proposal
from services.bench.workload import NODES
from services.pipeline.topics import ensure_topics

LATENCY_LABELS = {
    "rate": "target rate (events/s)", "events": "events seen in the API",
    "unseen": "accepted, not seen within 30 s", "p50_ms": "p50 (ms)",
    "p90_ms": "p90 (ms)", "p99_ms": "p99 (ms)", "max_ms": "max (ms)",
    "accept_p50_ms": "POST -> 202, p50 (ms)", "accept_p99_ms": "POST -> 202, p99 (ms)",
    "projected_p50_ms": "ingest record -> read model row (worker), p50 (ms)",
    "projected_p99_ms": "ingest record -> read model row (worker), p99 (ms)",
}
INGEST_LABELS = {
    "clients": "concurrent clients (a process of their own)",
    "single_events_per_s": "single events (events/s)",
    "p50_ms": "p50 of single-event requests (ms)",
    "p99_ms": "p99 of single-event requests (ms)",
    "web_cpu_ms_per_event": "web CPU per single event (ms)",
    "batch100_events_per_s": "batches of 100 (events/s)",
    "batch_events_per_s": "batches of 500 (events/s)",
    "hello_rps": "ceiling: hello-world Starlette, same stack (req/s)",
    "single_ratio_to_hello": "single events / hello-world",
}


# the poller's least pause between looks (the old poller asked without pause)
POLL_PAUSE_S = 0.02
POLL_PAGE = 200
POLL_GIVE_UP_S = 30
_ids = random.Random()  # event ids: uuid4 would read the kernel's entropy for each


def _instant(timestamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def start_services(env: BenchEnv, *, worker: bool = True,
                   metrics_port: int = 0) -> tuple[str, str, str]:
    """Start web (and worker); register a node. Returns (base url, node id, API key)."""
    from web.auth import issue_key

    asyncio.run(ensure_topics(env.settings))
    port = free_port()
    web_env = env.worker_env(GOTONG_HTTP_PORT=str(port))
    engine = env.engine()
    node = NODES[0][0]
    key = issue_key(engine, node)
    engine.dispose()
    if worker:
        env.spawn(["worker", "--loglevel", "WARNING"],
                  env.worker_env(GOTONG_METRICS_PORT=str(metrics_port)), "worker.log")
    web = env.spawn(["web"], web_env, "web.log")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/api/v1/nodes", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if web.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the web process did not start; see {env.root / 'web.log'}")
        time.sleep(0.2)
    return base, node, key


def _proposal(node: str, forum: str, subject: str) -> dict[str, Any]:
    return proposal(node, forum, subject, _ids)


async def _latency(base: str, node: str, key: str, rate: float, seconds: float, run: str
                   ) -> tuple[list[float], int, list[float]]:
    forum = f"bench-{run}-forum"
    headers = {"Authorization": f"Bearer {key}"}
    accepted: dict[str, float] = {}
    visible: dict[str, float] = {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30
                                 ) as client:
        # warm-up: the first event through also proves the web's producer and the worker
        # are ready (ingest answers 503 until the producer has connected; retry as a client would)
        warm = _proposal(node, forum + "-warmup", f"bench-{run}-warmup")
        deadline = time.monotonic() + 120
        while (await client.post("/api/v1/events", json=warm)).status_code != 202:
            if time.monotonic() > deadline:
                raise RuntimeError("the web process never accepted an event")
            await asyncio.sleep(0.2)
        while (await client.get(f"/api/v1/proposals/{warm['subject']}")).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the warm-up event never reached the read model")
            await asyncio.sleep(0.1)
        done = asyncio.Event()
        published: dict[str, dt.datetime] = {}
        answers: list[float] = []

        async def send(index: int) -> None:
            event = _proposal(node, forum, f"bench-{run}-p{index}")
            published[event["subject"]] = dt.datetime.fromisoformat(event["time"])
            began = time.perf_counter()
            for attempt in range(3):  # the same event again is safe: ingest dedupes by id
                try:
                    response = await client.post("/api/v1/events", json=event)
                    break
                except httpx.TransportError:  # a keep-alive connection the server just closed
                    if attempt == 2:
                        return
            if response.status_code == 202:
                accepted[event["subject"]] = time.perf_counter()
                answers.append((accepted[event["subject"]] - began) * 1000)

        async def look() -> None:
            """One look at the forum, newest first, down to the oldest event not seen yet.

            The list is in submission-time order, not projection order: an event can
            become visible below the first page, so the look pages on until it passes
            the oldest outstanding submission time (usually one request).
            """
            outstanding = [published[s] for s in accepted if s not in visible]
            if not outstanding:
                return
            oldest = min(outstanding)
            offset = 0
            while True:
                response = await client.get("/api/v1/proposals", params={
                    "forum": forum, "limit": POLL_PAGE, "offset": offset})
                now = time.perf_counter()
                items = response.json()["items"]
                for item in items:
                    if item["id"] in accepted:
                        visible.setdefault(item["id"], now)
                if len(items) < POLL_PAGE or _instant(items[-1]["submitted_at"]) < oldest:
                    return
                offset += POLL_PAGE

        async def poll() -> None:
            while not done.is_set() or len(visible) < len(accepted):
                began = time.perf_counter()
                await look()
                if done.is_set() and time.perf_counter() - last_send > POLL_GIVE_UP_S:
                    break
                # rest as long as the look took: the poller holds the web at most half the time
                await asyncio.sleep(max(POLL_PAUSE_S, time.perf_counter() - began))

        poller = asyncio.create_task(poll())
        senders = []
        start = time.perf_counter()
        count = int(rate * seconds)
        for index in range(count):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            senders.append(asyncio.create_task(send(index)))
        await asyncio.gather(*senders)
        last_send = time.perf_counter()
        done.set()
        await poller
    return ([(visible[s] - t) * 1000 for s, t in accepted.items() if s in visible],
            len(accepted), answers)


def run_latency(env: BenchEnv, rate: float, seconds: float) -> dict[str, Any]:
    metrics_port = free_port()
    base, node, key = start_services(env, metrics_port=metrics_port)
    console.print(f"publishing {rate:g} events/s for {seconds:g} s through POST /api/v1/events")
    delays, accepted, answers = asyncio.run(_latency(base, node, key, rate, seconds, env.run))
    projected = worker_latency(f"http://127.0.0.1:{metrics_port}/metrics")
    return {
        "rate": rate, "events": len(delays), "unseen": accepted - len(delays),
        "p50_ms": round(percentile(delays, 0.5), 1), "p90_ms": round(percentile(delays, 0.9), 1),
        "p99_ms": round(percentile(delays, 0.99), 1), "max_ms": round(max(delays), 1),
        "accept_p50_ms": round(percentile(answers, 0.5), 1),
        "accept_p99_ms": round(percentile(answers, 0.99), 1),
        "projected_p50_ms": round(projected[0] * 1000, 1),
        "projected_p99_ms": round(projected[1] * 1000, 1),
    }


def worker_latency(url: str) -> tuple[float, float]:
    """p50 and p99 of the worker's publish-to-projection histogram (linear in a bucket)."""
    buckets = [(float(labels["le"]), value)
               for name, labels, value in scrape(url)
               if name == "gotong_publish_to_projection_seconds_bucket"]
    return histogram_quantile(buckets, 0.5), histogram_quantile(buckets, 0.99)


def _load(base: str, node: str, key: str, *, batch: int, clients: int, seconds: float,
          run: str) -> dict[str, Any]:
    """One round of ``services.bench.ingest_load`` (a process of its own) against ``base``."""
    driver = subprocess.run(
        [sys.executable, "-m", "services.bench.ingest_load", base, "--key", key, "--node", node,
         "--run", run, "--batch", str(batch), "--concurrency", str(clients),
         "--seconds", str(seconds), "--warmup", str(min(2.0, seconds / 2))],
        stdout=subprocess.PIPE, env=dict(os.environ), check=True)
    measured: dict[str, Any] = json.loads(driver.stdout.decode().strip().splitlines()[-1])
    return measured


def start_hello(env: BenchEnv) -> str:
    """The hello-world ceiling (services/bench/hello.py) on a port of its own."""
    port = free_port()
    hello = env.spawn(["--port", str(port)], env.worker_env(), "hello.log",
                      module="services.bench.hello")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base, timeout=2).status_code == 200:
                return base
        except httpx.HTTPError:
            pass
        if hello.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the hello-world app did not start; see {env.root / 'hello.log'}")
        time.sleep(0.2)


def run_ingest(env: BenchEnv, seconds: float, clients: int) -> dict[str, Any]:
    """Single events, batches of 100 and of 500, then the hello-world ceiling, same clients.

    The clients run in a process of their own; the web's CPU time per single
    event comes from /proc (the web alone, its producer included).
    """
    base, node, key = start_services(env, worker=False)
    web_pid = env.processes[-1].pid
    figures: dict[str, Any] = {"clients": clients}
    for batch, name in ((1, "single"), (100, "batch100"), (500, "batch")):
        console.print(f"{clients} clients posting batches of {batch} for {seconds:g} s")
        cpu = cpu_seconds(web_pid)
        measured = _load(base, node, key, batch=batch, clients=clients, seconds=seconds,
                         run=f"{env.run}-{batch}")
        figures[f"{name}_events_per_s"] = measured["events_per_s"]
        figures[f"{name}_errors"] = measured["errors"]
        if batch == 1:
            figures["p50_ms"] = measured["p50_ms"]
            figures["p99_ms"] = measured["p99_ms"]
            warmup = min(2.0, seconds / 2)  # the driver's unmeasured warm-up, same rate
            posted = measured["events_per_s"] * (seconds + warmup)
            figures["web_cpu_ms_per_event"] = (
                round((cpu_seconds(web_pid) - cpu) * 1000 / posted, 2) if posted else None)
    console.print(f"the ceiling: a hello-world Starlette app, {clients} clients, {seconds:g} s")
    hello = _load(start_hello(env), node, key, batch=1, clients=clients, seconds=seconds,
                  run=f"{env.run}-hello")
    figures["hello_rps"] = hello["rps"]
    figures["hello_p99_ms"] = hello["p99_ms"]
    figures["single_ratio_to_hello"] = (round(figures["single_events_per_s"] / hello["rps"], 3)
                                        if hello["rps"] else None)
    return figures
