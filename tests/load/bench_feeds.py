"""Figures for the feeds (not part of the suite): ``python -m tests.load.bench_feeds``.

Starts its own broker, worker and web (SQLite), all on loopback, then measures
1. webhook delivery latency, publish (before the POST) -> received by a loopback
   receiver, with 100 subscriptions all wanting every event;
2. SSE fan-out: 500 clients connected to /api/v1/stream, latency publish ->
   received for each client and each event.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.support.kafka_fixtures import free_ports, start_test_broker, stop_test_broker
from tests.support.stack import Stack, event, running_stack, uid, wait_for


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _comment(node: str, i: int) -> dict[str, Any]:
    return event("gotong.proposal.commented.v1", f"usulan-bench-{i % 7}",
                 {"comment_id": uid("c"), "body": f"Komentar {i}", "author": "Bench"}, node)


def webhooks(stack: Stack, subscriptions: int = 100, events: int = 30) -> dict[str, float]:
    # production-like delivery settings, not the tests' hurried ones
    stack.env.update({"GOTONG_WEBHOOK_TIMEOUT": "10", "GOTONG_WEBHOOK_PAUSE_AFTER": "86400",
                      "GOTONG_WEBHOOK_RETRY_TICK": "1"})
    stack.restart_worker()
    node = stack.node()
    auth = {"Authorization": f"Bearer {stack.keys[node]}"}
    (port,) = free_ports(1)
    receiver = subprocess.Popen([sys.executable, "-m", "uvicorn", "tests.load.bench_receiver:app",
                                 "--port", str(port), "--log-level", "warning"])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base), 30, "the receiver")
        for i in range(subscriptions):
            response = httpx.post(f"{stack.base_url}/api/v1/subscriptions", headers=auth,
                                  json={"url": f"{base}/s{i}", "nodes": [node]})
            assert response.status_code == 201, response.text
        time.sleep(1.0)
        sent: dict[str, float] = {}
        for i in range(events):
            e = _comment(node, i)
            sent[e["id"]] = time.time()
            stack.publish(node, [e])
            time.sleep(0.2)
        total = subscriptions * events

        def results() -> list[Any] | None:
            got = httpx.get(f"{base}/results", timeout=30).json()
            return got if len(got) >= total else None

        got = wait_for(results, 300, "every webhook delivery")
    finally:
        receiver.terminate()
        receiver.wait(30)
    latencies = [at - sent[event_id] for _, event_id, at in got if event_id in sent]
    return {"deliveries": len(latencies), "median_ms": statistics.median(latencies) * 1000,
            "p99_ms": pct(latencies, 99) * 1000, "max_ms": max(latencies) * 1000}


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/results", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def _sse_client(url: str, client: httpx.AsyncClient, got: list[tuple[str, float]],
                      ready: asyncio.Event, counter: list[int], clients: int) -> None:
    async with client.stream("GET", url) as response:
        counter[0] += 1
        if counter[0] == clients:
            ready.set()
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                got.append((orjson.loads(line[6:])["id"], time.time()))


def sse(stack: Stack, clients: int = 500, events: int = 20) -> dict[str, float]:
    node = stack.node()
    url = f"{stack.base_url}/api/v1/stream?node={node}"
    got: list[tuple[str, float]] = []
    sent: dict[str, float] = {}
    loop = asyncio.new_event_loop()
    stop = threading.Event()

    async def run() -> None:
        ready = asyncio.Event()
        counter = [0]
        limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0)) as client:
            tasks = [asyncio.create_task(_sse_client(url, client, got, ready, counter, clients))
                     for _ in range(clients)]
            await asyncio.wait_for(ready.wait(), 120)
            connected.set()
            while not stop.is_set():
                await asyncio.sleep(0.1)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    connected = threading.Event()
    thread = threading.Thread(target=lambda: loop.run_until_complete(run()), daemon=True)
    started = time.time()
    thread.start()
    assert connected.wait(180), "the SSE clients did not all connect"
    connect_s = time.time() - started
    for i in range(events):
        e = _comment(node, i)
        sent[e["id"]] = time.time()
        stack.publish(node, [e])
        time.sleep(0.25)
    wait_for(lambda: len(got) >= clients * events, 120, "every SSE delivery")
    stop.set()
    thread.join(30)
    latencies = [at - sent[i] for i, at in got if i in sent]
    return {"clients": clients, "deliveries": len(latencies), "connect_all_s": connect_s,
            "median_ms": statistics.median(latencies) * 1000,
            "p99_ms": pct(latencies, 99) * 1000, "max_ms": max(latencies) * 1000}


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="gotong-bench-feeds-"))
    settings, _ = start_test_broker(root / "kafka")
    try:
        with running_stack("bench", settings, f"sqlite:///{root / 'rm.db'}", root) as stack:
            print("webhooks (100 subscriptions):", webhooks(stack), flush=True)
            print("SSE (500 clients):", sse(stack), flush=True)
    finally:
        stop_test_broker(settings)


if __name__ == "__main__":
    sys.exit(main())
