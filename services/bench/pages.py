"""``gotong bench pages``: the thread page and the commitments board over a large dataset.

Loads the synthetic dataset (``services.bench.dataset``) straight into the typed
topics, builds the read model with ``gotong rebuild`` (a subprocess, so its peak
memory is its own), starts ``gotong web`` and drives it from another process
(``services.bench.page_load``) with concurrent keep-alive clients.

With ``--data-dir`` the loaded read model is kept there and reused by the next
run with the same sizes (its load and rebuild figures are then the first run's).
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

from services.bench.common import BenchEnv, children, console, free_port, rss_mb, run_driver
from services.bench.dataset import FORUMS, Sizes, expected_events, forum_id, load, proposal_id
from services.bench.http import start_hello
from services.bench.workload import NODES
from services.pipeline.topics import ensure_topics
from services.process import lifetime

LABELS = {
    "proposals": "proposals", "comments": "comments", "items": "action items",
    "events": "events in the dataset",
    "load_seconds": "loading the typed topics (s)",
    "load_events_per_s": "loading (events/s)",
    "rebuild_seconds": "gotong rebuild (s)",
    "rebuild_events_per_s": "rebuild (events/s)",
    "rebuild_rss_mb": "rebuild peak RSS (MiB)",
    "database_mb": "read model size (MiB)",
    "concurrency": "concurrent clients",
    "thread_rps": "thread page (req/s)",
    "thread_p50_ms": "thread page p50 (ms)",
    "thread_p99_ms": "thread page p99 (ms)",
    "thread_kb": "thread page, mean transferred (kB)",
    "thread_warm_rps": "threads read again, not signed in: kept rendered (req/s)",
    "thread_warm_p99_ms": "threads read again p99 (ms)",
    "long_thread_rps": "5,000-comment thread (req/s)",
    "long_thread_p99_ms": "5,000-comment thread p99 (ms)",
    "board_rps": "board, first and filtered pages (req/s)",
    "board_p50_ms": "board p50 (ms)",
    "board_p99_ms": "board p99 (ms)",
    "board_kb": "board, mean transferred (kB)",
    "feed_rps": "Atom feeds of forums and owners, full (req/s)",
    "feed_p99_ms": "Atom feeds p99 (ms)",
    "feed_304_rps": "the same feeds polled with their ETag (req/s)",
    "feed_304_p99_ms": "polled feeds p99 (ms)",
    "feed_304_share": "polled feeds answered 304 (share)",
    "thread_304_rps": "threads reopened by the same browser, with their ETag (req/s)",
    "thread_304_p99_ms": "reopened threads p99 (ms)",
    "thread_304_share": "reopened threads answered 304 (share)",
    "hello_rps": "ceiling: hello-world Starlette, same stack, mean of the two (req/s)",
    "hello_before_rps": "hello-world before the pages (req/s)",
    "hello_after_rps": "hello-world after the pages (req/s)",
    "thread_ratio_to_hello": "thread page / hello-world",
    "thread_warm_ratio_to_hello": "thread read again (render cache) / hello-world",
    "thread_304_ratio_to_hello": "reopened thread (304) / hello-world",
    "long_thread_ratio_to_hello": "5,000-comment thread / hello-world",
    "board_ratio_to_hello": "board / hello-world",
    "board_304_rps": "board pages reopened with their ETag, not signed in (req/s)",
    "board_304_p99_ms": "reopened board pages p99 (ms)",
    "board_304_share": "reopened board pages answered 304 (share)",
    "board_304_ratio_to_hello": "reopened board page (304) / hello-world",
    "feed_304_ratio_to_hello": "polled feed (304) / hello-world",
    "errors": "failed requests",
    "web_workers": "web processes",
    "web_rss_mb": "web RSS after the run, all processes (MiB)",
}


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree_rss_mb(pid: int) -> float:
    """RSS of a process and its children (the web's worker processes)."""
    return rss_mb(pid) + sum(_tree_rss_mb(kid) for kid in children(pid))


def build(env: BenchEnv, sizes: Sizes, database: Path) -> dict[str, Any]:
    """Load the dataset into the typed topics and rebuild the read model into ``database``."""
    asyncio.run(ensure_topics(env.settings))
    total = expected_events(sizes)
    console.print(f"loading {total:,} events into the typed topics")
    began = time.perf_counter()
    with Progress(*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("producing", total=total)
        events = asyncio.run(load(env.bootstrap, sizes,
                                  lambda n: progress.update(task, completed=n)))
    loaded = time.perf_counter() - began
    console.print("gotong rebuild")
    database.unlink(missing_ok=True)
    rebuild_env = env.worker_env("rebuild", GOTONG_DATABASE_URL=f"sqlite:///{database}")
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "services.cli", "rebuild"],
                               env=rebuild_env, stdout=subprocess.DEVNULL,
                               preexec_fn=lifetime.preexec())
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _peak_rss_mb(process.pid))
        time.sleep(0.2)
    rebuilt = time.perf_counter() - began
    if process.returncode != 0:
        raise RuntimeError(f"gotong rebuild failed with exit code {process.returncode}")
    return {
        "events": events, "load_seconds": round(loaded, 1),
        "load_events_per_s": round(events / loaded, 1), "rebuild_seconds": round(rebuilt, 1),
        "rebuild_events_per_s": round(events / rebuilt, 1), "rebuild_rss_mb": round(peak, 1),
    }


def dataset(env: BenchEnv, sizes: Sizes, data_dir: Path | None) -> tuple[Path, dict[str, Any]]:
    """The read model of the dataset: built now, or the one kept in ``data_dir``."""
    folder = data_dir or env.root
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "readmodel.db"
    marker = folder / "dataset.json"
    if data_dir and marker.exists() and database.exists():
        kept = json.loads(marker.read_text())
        if kept.get("sizes") == sizes.as_dict():
            console.print(f"reusing the read model in {database} (built {kept['built']})")
            return database, kept["figures"]
    figures = build(env, sizes, database)
    marker.write_text(json.dumps({"sizes": sizes.as_dict(), "figures": figures,
                                  "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}))
    return database, figures


def page_paths(sizes: Sizes, seed: int = 11) -> dict[str, list[str]]:
    rng = random.Random(seed)
    threads = [f"/proposals/{proposal_id(rng.randrange(1, sizes.proposals))}"
               for _ in range(2000)] if sizes.proposals > 1 else [f"/proposals/{proposal_id(0)}"]
    owners = [n for n, _ in NODES]
    board = ["/commitments", "/commitments?page=2", "/commitments?status=open",
             "/commitments?status=done", "/commitments?overdue=1",
             *(f"/commitments?owner={o}" for o in owners),
             *(f"/commitments?forum={forum_id(f)}" for f in range(0, FORUMS, 4)),
             f"/commitments?owner={owners[1]}&status=in_progress&page=2",
             "/commitments?due_within=30"]
    # what agencies poll: each forum's Atom feed and each owner's commitments
    feeds = [*(f"/feeds/forums/{forum_id(f)}.atom" for f in range(FORUMS)),
             *(f"/feeds/commitments.atom?owner={o}" for o in owners)]
    # thread_warm: the threads most read, read again by anyone not signed in (rendered
    # once, kept); thread_304: a phone reopening threads it has read (a set small enough
    # to hold each one's ETag)
    return {"thread": threads, "thread_warm": threads[:100],
            "long_thread": [f"/proposals/{proposal_id(0)}"], "board": board,
            "feed": feeds, "feed_304": feeds, "thread_304": threads[:100], "board_304": board}


def start_web(env: BenchEnv, database: Path, workers: int = 1
              ) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    # plain HTTP on loopback: a Secure cookie would never come back, and each request
    # would be a new browser (a new CSRF token on its page, so no 304 could match)
    web_env = env.worker_env("web", GOTONG_HTTP_PORT=str(port),
                             GOTONG_DATABASE_URL=f"sqlite:///{database}",
                             GOTONG_COOKIE_SECURE="0")
    web = env.spawn(["web", "--workers", str(workers)], web_env, "web.log")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            if httpx.get(f"{base}/commitments", timeout=60).status_code == 200:
                return base, web
        except httpx.HTTPError:
            pass
        if web.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the web process did not start; see {env.root / 'web.log'}")
        time.sleep(0.5)


def _page_load(base: str, paths: Path, seconds: float, concurrency: int) -> dict[str, Any]:
    """``services.bench.page_load`` against ``base``, from a process of its own."""
    return run_driver("services.bench.page_load", base, "--paths", str(paths),
                      "--seconds", str(seconds), "--concurrency", str(concurrency),
                      "--warmup", str(min(2.0, seconds / 2)))


def run_pages(env: BenchEnv, sizes: Sizes, *, seconds: float, concurrency: int,
              data_dir: Path | None, web_workers: int = 1) -> dict[str, Any]:
    database, built = dataset(env, sizes, data_dir)
    hello_paths = env.root / "hello.json"
    hello_paths.write_text(json.dumps({"hello": ["/"]}))

    def ceiling(when: str) -> dict[str, Any]:
        console.print(f"the ceiling ({when}): a hello-world Starlette app, {concurrency} clients")
        found: dict[str, Any] = _page_load(start_hello(env), hello_paths, seconds,
                                           concurrency)["hello"]
        env.stop_all()
        return found

    # measured before and after the pages: on a shared machine the load changes within a
    # run, and a ratio to one measurement taken minutes away says little
    hello_before = ceiling("before")
    base, web = start_web(env, database, web_workers)
    paths = env.root / "paths.json"
    paths.write_text(json.dumps(page_paths(sizes)))
    console.print(f"{concurrency} clients from another process, {seconds:g} s per page kind")
    measured = _page_load(base, paths, seconds, concurrency)
    web_rss = _tree_rss_mb(web.pid)
    env.stop_all()
    hello_after = ceiling("after")
    hello = {"rps": round((hello_before["rps"] + hello_after["rps"]) / 2, 1)}
    thread, long_thread, board = measured["thread"], measured["long_thread"], measured["board"]
    feed, polled, revisited = measured["feed"], measured["feed_304"], measured["thread_304"]
    warm, board_304 = measured["thread_warm"], measured["board_304"]

    def ratio(figures: dict[str, Any]) -> float | None:
        return round(figures["rps"] / hello["rps"], 3) if hello["rps"] else None

    return {
        **sizes.as_dict(), **built,
        "database_mb": round(database.stat().st_size / 2**20, 1),
        "concurrency": concurrency, "web_workers": web_workers,
        "thread_rps": thread["rps"], "thread_p50_ms": thread["p50_ms"],
        "thread_p99_ms": thread["p99_ms"], "thread_kb": round(thread["mean_bytes"] / 1000, 1),
        "thread_warm_rps": warm["rps"], "thread_warm_p99_ms": warm["p99_ms"],
        "long_thread_rps": long_thread["rps"], "long_thread_p99_ms": long_thread["p99_ms"],
        "board_rps": board["rps"], "board_p50_ms": board["p50_ms"],
        "board_p99_ms": board["p99_ms"], "board_kb": round(board["mean_bytes"] / 1000, 1),
        "feed_rps": feed["rps"], "feed_p99_ms": feed["p99_ms"],
        "feed_304_rps": polled["rps"], "feed_304_p99_ms": polled["p99_ms"],
        "feed_304_share": polled["share_304"],
        "thread_304_rps": revisited["rps"], "thread_304_p99_ms": revisited["p99_ms"],
        "thread_304_share": revisited["share_304"],
        "hello_rps": hello["rps"], "hello_before_rps": hello_before["rps"],
        "hello_after_rps": hello_after["rps"],
        "thread_ratio_to_hello": round(thread["rps"] / hello["rps"], 3) if hello["rps"] else None,
        "thread_warm_ratio_to_hello": (round(warm["rps"] / hello["rps"], 3)
                                       if hello["rps"] else None),
        "thread_304_ratio_to_hello": ratio(revisited),
        "long_thread_ratio_to_hello": ratio(long_thread), "board_ratio_to_hello": ratio(board),
        "board_304_rps": board_304["rps"], "board_304_p99_ms": board_304["p99_ms"],
        "board_304_share": board_304["share_304"], "board_304_ratio_to_hello": ratio(board_304),
        "feed_304_ratio_to_hello": ratio(polled),
        "errors": sum(m["errors"] for m in (thread, warm, long_thread, board, feed, polled,
                                            revisited, board_304)),
        "web_rss_mb": round(web_rss, 1),
    }
