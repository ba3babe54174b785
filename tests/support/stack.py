"""A running Gotong stack for integration tests: its own broker, worker and web process.

Everything is real: the project's Kafka broker, ``gotong worker`` and ``gotong
web`` as subprocesses, SQLite or PostgreSQL for the read model.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
from sqlalchemy import Engine, select
from sqlmodel import Session

from events.signing import ATTEST_HEADER, attest
from services.readmodel.db import make_engine
from services.readmodel.tables import READ_MODEL
from services.settings import Settings
from tests.support.kafka_fixtures import free_ports
from tests.support.kafka_io import produce, read_all

T = TypeVar("T")

SECRET = "test-secret-not-for-production-0123456789"


def event(
    type_: str, subject: str, data: Mapping[str, Any], node: str, *, id_: str | None = None,
    time_: str | None = None,
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": id_ or str(uuid.uuid4()),
        "source": f"/nodes/{node}",
        "type": type_,
        "subject": subject,
        "time": time_ or dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "datacontenttype": "application/json",
        "data": dict(data),
    }


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(check: Callable[[], T | None], timeout: float = 30, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


@dataclass
class Stack:
    name: str
    settings: Settings
    env: dict[str, str]
    log_dir: Path
    worker: subprocess.Popen[bytes] | None = None
    web: subprocess.Popen[bytes] | None = None
    keys: dict[str, str] = field(default_factory=dict)
    _engine: Engine | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    @property
    def metrics_url(self) -> str:
        """The worker's Prometheus metrics."""
        return f"http://127.0.0.1:{self.env['GOTONG_METRICS_PORT']}/metrics"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    # -- processes ---------------------------------------------------------------

    def _spawn(self, args: list[str], log_name: str, env: Mapping[str, str] | None = None
               ) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / log_name, "ab")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen([sys.executable, "-m", "services.cli", *args],
                                env=dict(env or self.env), stdout=log, stderr=subprocess.STDOUT)

    def start_worker(self) -> None:
        self.worker = self._spawn(["worker", "--loglevel", "INFO"], "worker.log")
        wait_for(self.worker_fresh, timeout=90, what="the worker's heartbeat")

    def stop_worker(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(sig)
            try:
                self.worker.wait(timeout)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
        self.worker = None

    def restart_worker(self, sig: int = signal.SIGTERM) -> None:
        started = time.time()
        self.stop_worker(sig)
        self.worker = self._spawn(["worker", "--loglevel", "INFO"], "worker.log")
        wait_for(lambda: self.worker_fresh(since=started), timeout=90,
                 what="the restarted worker's heartbeat")

    def worker_fresh(self, since: float = 0.0) -> bool:
        try:
            response = httpx.get(f"{self.base_url}/healthz", timeout=5)
        except httpx.HTTPError:
            return False
        checks = response.json().get("checks", {})
        age = checks.get("worker_heartbeat_age_s")
        return bool(checks.get("worker")) and age is not None and time.time() - age > since

    def start_web(self) -> None:
        self.web = self._spawn(["web"], "web.log")
        wait_for(self._web_answers, timeout=60, what="the web process")

    def _web_answers(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/api/v1/nodes", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.stop_worker()
        if self.web is not None and self.web.poll() is None:
            self.web.send_signal(signal.SIGTERM)
            self.web.wait(30)
        if self._engine is not None:
            self._engine.dispose()

    def cli(self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "services.cli", *args],
                              env=dict(env or self.env), capture_output=True, text=True,
                              timeout=timeout)

    # -- API helpers -------------------------------------------------------------

    def node(self, kind: str = "community", node_id: str | None = None) -> str:
        """Register a new node through ``gotong node add``; remember its key."""
        node_id = node_id or uid("node")
        done = self.cli("node", "add", node_id, "--kind", kind, "--name", f"Node {node_id}")
        assert done.returncode == 0, done.stderr
        self.keys[node_id] = done.stdout.strip().splitlines()[-1]
        return node_id

    def post(self, node: str, body: Any, key: str | None = None) -> httpx.Response:
        return httpx.post(f"{self.base_url}/api/v1/events", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {key or self.keys[node]}"})

    def publish(self, node: str, events: Iterable[Mapping[str, Any]]) -> None:
        response = self.post(node, list(events))
        assert response.status_code == 202, response.text

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.base_url}{path}", params=params or None, timeout=30)

    def wait_json(self, path: str, check: Callable[[Any], bool], timeout: float = 30) -> Any:
        def probe() -> Any:
            response = self.get(path)
            if response.status_code != 200:
                return None
            body = response.json()
            return body if check(body) else None

        return wait_for(probe, timeout=timeout, what=f"{path} to match")

    def rebuilt(self) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
        """The read model before and after ``gotong rebuild``, with the worker stopped."""
        self.stop_worker()
        try:
            before = self.snapshot()
            done = self.cli("rebuild")
            assert done.returncode == 0, done.stderr
            return before, self.snapshot()
        finally:
            self.restart_worker()

    def on_the_log(self, node: str, *events: dict[str, Any]) -> None:
        """Events written straight to gotong.ingest, attested as the API would (as when
        the API could not judge them): the worker alone judges them."""
        records = []
        for item in events:
            raw = orjson.dumps(item)
            records.append((item["subject"].encode(), raw,
                            [(ATTEST_HEADER, attest(SECRET.encode(), node, raw))]))
        produce(self.settings.bootstrap, "gotong.ingest", records)

    def dead_letter(self, event_id: str) -> dict[str, Any] | None:
        """The dead letter of an event, if it has one yet."""
        return next((d for d in (orjson.loads(r.value) for r in read_all(
            self.settings.bootstrap, "gotong.dead-letter")) if d["event_id"] == event_id),
            None)

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """The whole read model, as plain data sorted by primary key."""
        result = {}
        with Session(self.engine) as session:
            for name, model in READ_MODEL.items():
                table = model.__table__  # type: ignore[attr-defined]
                keys = [c for c in table.primary_key.columns]
                rows = session.execute(select(table).order_by(*keys)).mappings().all()
                result[name] = [dict(r) for r in rows]
        return result


@contextmanager
def running_stack(name: str, base: Settings, database_url: str, root: Path) -> Iterator[Stack]:
    """Start worker and web for ``base`` (whose broker is already running)."""
    root.mkdir(parents=True, exist_ok=True)
    http_port, metrics_port = free_ports(2)
    settings = replace(base, kafka_bootstrap=base.bootstrap, data_dir=root / "data",
                       database_url=database_url,
                       http_port=http_port, app_id=f"gotong-test-{name}")
    env = {
        **os.environ,
        "GOTONG_DATA_DIR": str(settings.data_dir),
        "GOTONG_KAFKA_BOOTSTRAP": base.bootstrap,
        "GOTONG_DATABASE_URL": database_url,
        "GOTONG_HTTP_PORT": str(http_port),
        "GOTONG_METRICS_PORT": str(metrics_port),  # the worker's /metrics
        "GOTONG_APP_ID": settings.app_id,
        "GOTONG_SECRET_KEY": SECRET,
        "GOTONG_OVERDUE_CHECK_SECONDS": "0.5",
        "GOTONG_DUE_CHECK_SECONDS": "1",  # commitments due soon: notified within a second
        "GOTONG_WORKER_STALE_SECONDS": "15",
        # webhooks: loopback receivers allowed, a schedule of seconds instead of a day
        "GOTONG_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GOTONG_WEBHOOK_RETRY_SCHEDULE": "0.3,0.6,1,1.5,2,3",
        "GOTONG_WEBHOOK_TIMEOUT": "1",
        "GOTONG_WEBHOOK_PAUSE_AFTER": "4",
        "GOTONG_WEBHOOK_RETRY_TICK": "0.1",
    }
    settings = replace(settings, secret_key_override=SECRET)
    stack = Stack(name=name, settings=settings, env=env, log_dir=root)
    try:
        stack.start_web()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()
