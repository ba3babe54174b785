"""``gotong up``: the whole service on one machine (broker, worker, web) until Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from services.local import broker
from services.settings import Settings

console = Console(stderr=True)

STOP_TIMEOUT_S = 20


def _spawn(args: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``gotong <args>`` with its output (Faust's, Kafka clients', Uvicorn's: hundreds
    of lines, most of them INFO) appended to ``log``, not the terminal."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "services.cli", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _log_to_file(log: Path) -> logging.Handler:
    """This process's own log records (the broker's start, the demo loader's Kafka client,
    which warns while a new broker still elects its partitions' leaders) go to ``log``:
    the terminal keeps the few lines ``run_up`` prints."""
    log.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def _tail(log: Path, lines: int = 15) -> str:
    try:
        with log.open("rb") as fh:  # the end only: the logs grow with every start
            fh.seek(max(0, log.stat().st_size - 16384))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, processes: Sequence[subprocess.Popen[bytes]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


# Site accounts created for the demo: (username, name, node, role).
DEMO_ACCOUNTS = (
    ("admin", "Admin Bappeda", "bappeda-bitung", "admin"),
    ("koordinator", "Koordinator Dinas Sosial", "dinsos-bitung", "coordinator"),
    ("warga", "Ibu Ani (PKK Bitung Tengah)", "pkk-bitung-tengah", "member"),
)


def load_demo(settings: Settings) -> int:
    """Publish the demo events; give each demo node an API key and create demo site accounts.

    Keys and passwords are generated once and kept in ``<data dir>/demo-keys.json`` (0600).
    """
    from services.demo.loader import demo_events, demo_nodes, publish_demo
    from services.identity.accounts import AccountError, add_user
    from services.identity.keys import has_key, issue_key
    from services.ingest.producer import IngestProducer
    from services.readmodel.db import make_engine, migrate

    events = demo_events()
    engine = make_engine(settings.database_url)
    migrate(engine)
    keys_path = settings.data_dir / "demo-keys.json"
    keys: dict[str, Any] = json.loads(keys_path.read_text()) if keys_path.exists() else {}
    for node_id in demo_nodes(events):
        if not has_key(engine, node_id):
            keys[node_id] = issue_key(engine, node_id)
    accounts: dict[str, str] = keys.setdefault("site_accounts", {})
    for username, name, node_id, role in DEMO_ACCOUNTS:
        if username in accounts:
            continue
        password = secrets.token_urlsafe(12)
        try:
            add_user(engine, username, name=name, node_id=node_id, role=role, password=password)
        except AccountError:
            continue  # made by hand before: its password is not ours to show
        accounts[username] = password
    fd = os.open(keys_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(keys, fh, indent=2)
    engine.dispose()

    async def go() -> int:
        producer = IngestProducer(settings)
        await producer.start()
        try:
            return await publish_demo(producer.publish, events)
        finally:
            await producer.stop()

    return asyncio.run(go())


def run_up(settings: Settings, *, demo: bool, port: int | None) -> int:
    if port is not None:
        settings = replace(settings, http_port=port)
    logs = settings.data_dir / "logs"
    level = logging.getLogger().level
    handler = _log_to_file(logs / "up.log")
    try:
        return _run_up(settings, demo=demo, logs=logs)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(level)
        handler.close()


def _run_up(settings: Settings, *, demo: bool, logs: Path) -> int:
    from services.pipeline.topics import ensure_topics

    started_broker = False
    try:
        if settings.uses_local_broker and not broker.status(settings).running:
            console.print("Starting the local Kafka broker…")
            started_broker = True
        bootstrap = broker.start(settings)
    except broker.BrokerError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    console.print(f"Kafka: {bootstrap}")
    asyncio.run(ensure_topics(settings))
    env = dict(os.environ)
    env["GOTONG_DATA_DIR"] = str(settings.data_dir)
    env["GOTONG_HTTP_PORT"] = str(settings.http_port)
    env.setdefault("GOTONG_COOKIE_SECURE", "0")  # the local site is served over plain HTTP
    if settings.kafka_bootstrap is None:
        env["GOTONG_KAFKA_PORT"] = str(settings.kafka_port)
    worker_log, web_log = logs / "worker.log", logs / "web.log"
    processes = [_spawn(["worker"], env, worker_log), _spawn(["web"], env, web_log)]
    console.print(f"Worker and web started; their logs: {worker_log}, {web_log}")
    interrupted = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if demo:
            keys_path = settings.data_dir / "demo-keys.json"
            loaded_before = keys_path.exists()
            count = load_demo(settings)
            if loaded_before:
                console.print("The Bitung demo was loaded before: its events were sent again "
                              "and changed nothing (each is folded once).")
            else:
                console.print(f"Loaded the Bitung demo: {count} events.")
        base = f"http://{settings.http_host}:{settings.http_port}"
        if _wait_healthy(f"{base}/healthz", processes, timeout=120):
            console.print(f"[bold green]Gotong is up at {base}/[/]  (Ctrl-C stops everything)")
            if demo:
                console.print(f"Demo sign-ins: {', '.join(a[0] for a in DEMO_ACCOUNTS)}. "
                              "`./gotong demo-keys` shows their passwords and the demo nodes' "
                              "API keys.", highlight=False)
        else:
            console.print("[yellow]Gotong did not become healthy in time.[/] The last lines "
                          "of its logs:")
            for log in (worker_log, web_log):
                console.print(f"[bold]{log}[/]")
                console.print(_tail(log), markup=False, highlight=False)
        while not interrupted and all(p.poll() is None for p in processes):
            time.sleep(0.3)
        failed = [p for p in processes if p.poll() not in (None, 0)]
        if failed and not interrupted:
            for process, log in zip(processes, (worker_log, web_log), strict=True):
                if process in failed:
                    console.print(f"[red]{log.stem} stopped[/] (exit {process.returncode}); "
                                  f"the end of {log}:")
                    console.print(_tail(log), markup=False, highlight=False)
        return 1 if failed and not interrupted else 0
    finally:
        console.print("Stopping…")
        _stop(processes)
        if started_broker:
            broker.stop(settings)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
