"""``gotong bench latency`` and ``gotong bench ingest``: the HTTP side, driven from outside.

Both start a worker and a web process of their own (see ``services.bench.common``)
and drive them over loopback from a client process of their own
(``services.bench.latency_load``, ``services.bench.ingest_load``): a client in this
interpreter spent a core of its own at 200 events/s and fell behind before the server did.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from services.bench.common import (
    BenchEnv,
    console,
    free_port,
    histogram_quantile,
    machine_share,
    machine_ticks,
    run_driver,
    scrape,
    tree_cpu_seconds,
)
from services.bench.workload import NODES
from services.pipeline.topics import ensure_topics

LATENCY_LABELS = {
    "rate": "target rate (events/s)", "web_workers": "web processes",
    "accepted_per_s": "accepted, first send to last 202 (events/s)",
    "events": "events seen in the API",
    "unseen": "accepted, not seen within 30 s", "p50_ms": "p50 (ms)",
    "p90_ms": "p90 (ms)", "p99_ms": "p99 (ms)", "max_ms": "max (ms)",
    "accept_p50_ms": "POST -> 202, p50 (ms)", "accept_p99_ms": "POST -> 202, p99 (ms)",
    "projected_p50_ms": "ingest record -> read model row (worker), p50 (ms)",
    "projected_p99_ms": "ingest record -> read model row (worker), p99 (ms)",
    "machine_busy_pct": "machine CPU busy, measured run (% of all cores)",
    "steal_pct": "CPU stolen by the hypervisor, measured run (% of all cores)",
}
INGEST_LABELS = {
    "clients": "concurrent clients (a process of their own)",
    "web_workers": "web processes",
    "single_events_per_s": "single events (events/s)",
    "p50_ms": "p50 of single-event requests (ms)",
    "p99_ms": "p99 of single-event requests (ms)",
    "single_web_cpu_us": "web CPU per single event (µs)",
    "single_busy_pct": "machine CPU busy, single events (% of all cores)",
    "batch100_events_per_s": "batches of 100 (events/s)",
    "batch100_web_cpu_us": "web CPU per event, batches of 100 (µs)",
    "batch_events_per_s": "batches of 500 (events/s)",
    "batch_web_cpu_us": "web CPU per event, batches of 500 (µs)",
    "batch_busy_pct": "machine CPU busy, batches of 500 (% of all cores)",
    "hello_rps": "ceiling: hello-world Starlette, same stack (req/s)",
    "hello_cpu_us": "hello-world server CPU per request (µs)",
    "single_ratio_to_hello": "single events / hello-world",
    "batch_ratio_to_hello": "events in batches of 500 / hello-world requests",
}


def start_services(env: BenchEnv, *, worker: bool = True, metrics_port: int = 0,
                   web_workers: int = 1) -> tuple[str, str, str]:
    """Start web (and worker); register a node. Returns (base url, node id, API key)."""
    from services.identity.keys import issue_key

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
    web = env.spawn(["web", "--workers", str(web_workers)], web_env, "web.log")
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


#: before the measured load, the same load unmeasured: a fresh broker's JVM spends its first
#: tens of seconds compiling its hot paths (at 50 events/s, 20 s after its start, it used 34%
#: of a core, 17% at 1 event/s), and the web and the worker fill their caches
LATENCY_WARMUP_S = 10.0


def run_latency(env: BenchEnv, rate: float, seconds: float, web_workers: int = 1
                ) -> dict[str, Any]:
    metrics_port = free_port()
    base, node, key = start_services(env, metrics_port=metrics_port, web_workers=web_workers)
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    console.print(f"warming up: the same load for {LATENCY_WARMUP_S:g} s, not measured")
    run_driver("services.bench.latency_load", base, "--key", key, "--node", node,
               "--run", f"{env.run}-warmup", "--rate", str(rate),
               "--seconds", str(LATENCY_WARMUP_S))
    before = projection_buckets(metrics_url)
    console.print(f"publishing {rate:g} events/s for {seconds:g} s through POST /api/v1/events"
                  " (the clients in a process of their own)")
    ticks = machine_ticks()
    measured = run_driver("services.bench.latency_load", base, "--key", key, "--node", node,
                          "--run", env.run, "--rate", str(rate), "--seconds", str(seconds))
    machine = machine_share(ticks, machine_ticks())
    projected = worker_latency(projection_buckets(metrics_url), before)
    return {
        "rate": rate, "web_workers": web_workers, **measured,
        "projected_p50_ms": round(projected[0] * 1000, 1),
        "projected_p99_ms": round(projected[1] * 1000, 1),
        **machine,
    }


def projection_buckets(url: str) -> dict[float, float]:
    """The worker's publish-to-projection histogram: upper bound -> cumulative count."""
    return {float(labels["le"]): value for name, labels, value in scrape(url)
            if name == "gotong_publish_to_projection_seconds_bucket"}


def worker_latency(buckets: dict[float, float], before: dict[float, float] | None = None
                   ) -> tuple[float, float]:
    """p50 and p99 of the events counted in ``buckets`` since ``before`` (linear in a
    bucket, as Prometheus' ``histogram_quantile``)."""
    since = [(bound, count - (before or {}).get(bound, 0.0)) for bound, count in buckets.items()]
    return histogram_quantile(since, 0.5), histogram_quantile(since, 0.99)


#: the first round's unmeasured warm-up: a fresh broker's JVM compiles its hot paths for
#: its first seconds (as in ``bench latency``), and the first round met it alone
FIRST_WARMUP_S = 5.0


def _load(base: str, node: str, key: str, *, batch: int, clients: int, seconds: float,
          run: str, warmup: float | None = None) -> dict[str, Any]:
    """One round of ``services.bench.ingest_load`` (a process of its own) against ``base``."""
    warmup = min(2.0, seconds / 2) if warmup is None else warmup
    return run_driver("services.bench.ingest_load", base, "--key", key, "--node", node,
                      "--run", run, "--batch", str(batch), "--concurrency", str(clients),
                      "--seconds", str(seconds), "--warmup", str(warmup))


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


def run_ingest(env: BenchEnv, seconds: float, clients: int, web_workers: int = 1
               ) -> dict[str, Any]:
    """Single events, batches of 100 and of 500, then the hello-world ceiling, same clients.

    The clients run in a process of their own; the web's CPU time per single
    event comes from /proc (the web alone, its producer included).
    """
    base, node, key = start_services(env, worker=False, web_workers=web_workers)
    web_pid = env.processes[-1].pid
    figures: dict[str, Any] = {"clients": clients, "web_workers": web_workers}
    console.print(f"warming the broker up: single events for {FIRST_WARMUP_S:g} s, unmeasured")
    _load(base, node, key, batch=1, clients=clients, seconds=FIRST_WARMUP_S,
          run=f"{env.run}-warmup", warmup=0)
    # (CPU figures count the driver's unmeasured warm-up too, taken at the measured rate)
    warmup = min(2.0, seconds / 2)
    for batch, name in ((1, "single"), (100, "batch100"), (500, "batch")):
        console.print(f"{clients} clients posting batches of {batch} for {seconds:g} s")
        cpu, ticks = tree_cpu_seconds(web_pid), machine_ticks()
        measured = _load(base, node, key, batch=batch, clients=clients, seconds=seconds,
                         run=f"{env.run}-{batch}")
        figures[f"{name}_events_per_s"] = measured["events_per_s"]
        figures[f"{name}_errors"] = measured["errors"]
        posted = measured["events_per_s"] * (seconds + warmup)
        used = tree_cpu_seconds(web_pid) - cpu
        figures[f"{name}_web_cpu_us"] = round(used * 1e6 / posted, 1) if posted else None
        if batch in (1, 500):
            figures[f"{name}_busy_pct"] = machine_share(ticks, machine_ticks())["machine_busy_pct"]
        if batch == 1:
            figures["p50_ms"] = measured["p50_ms"]
            figures["p99_ms"] = measured["p99_ms"]
    console.print(f"the ceiling: a hello-world Starlette app, {clients} clients, {seconds:g} s")
    hello_base = start_hello(env)
    hello_pid = env.processes[-1].pid
    cpu = tree_cpu_seconds(hello_pid)
    hello = _load(hello_base, node, key, batch=1, clients=clients, seconds=seconds,
                  run=f"{env.run}-hello")
    answered = hello["rps"] * (seconds + warmup)
    figures["hello_rps"] = hello["rps"]
    figures["hello_p99_ms"] = hello["p99_ms"]
    figures["hello_cpu_us"] = (round((tree_cpu_seconds(hello_pid) - cpu) * 1e6 / answered, 1)
                               if answered else None)
    for name in ("single", "batch"):
        figures[f"{name}_ratio_to_hello"] = (
            round(figures[f"{name}_events_per_s"] / hello["rps"], 3) if hello["rps"] else None)
    return figures
