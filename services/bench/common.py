"""What every benchmark shares: its own broker and data dir, the worker process, the report."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from services.local import broker
from services.process import lifetime
from services.readmodel.db import make_engine, migrate
from services.settings import Settings

console = Console(stderr=True)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BenchEnv:
    """A broker (ours, or the configured cluster) and a scratch directory for one run."""

    settings: Settings
    root: Path
    run: str
    started_broker: bool = False
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return self.settings.bootstrap

    def worker_env(self, name: str = "worker", **extra: str) -> dict[str, str]:
        data = self.root / name
        data.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "GOTONG_DATA_DIR": str(data),
            "GOTONG_KAFKA_BOOTSTRAP": self.bootstrap,
            "GOTONG_DATABASE_URL": f"sqlite:///{self.root / 'readmodel.db'}",
            "GOTONG_APP_ID": f"gotong-bench-{self.run}",
            "GOTONG_SECRET_KEY": self.secret.decode(),
            "GOTONG_EXIT_WITH_PARENT": "1",
            "GOTONG_METRICS_PORT": "0",
            **extra,
        }

    @property
    def secret(self) -> bytes:
        return self.settings.secret_key

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'readmodel.db'}"

    def engine(self) -> Engine:
        engine = make_engine(self.database_url)
        migrate(engine)
        return engine

    def spawn(self, args: list[str], env: Mapping[str, str], log: str,
              module: str = "services.cli") -> subprocess.Popen[bytes]:
        out = open(self.root / log, "ab")  # noqa: SIM115 (lives as long as the process)
        # killed with us, however we end (even by SIGKILL): services/process/lifetime.py
        process = subprocess.Popen([sys.executable, "-m", module, *args], env=dict(env),
                                   stdout=out, stderr=subprocess.STDOUT,
                                   preexec_fn=lifetime.preexec())
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


@contextmanager
def bench_env(base: Settings, keep: bool = False) -> Iterator[BenchEnv]:
    """Start a broker in a scratch dir (unless GOTONG_KAFKA_BOOTSTRAP names a cluster)."""
    run = time.strftime("%Y%m%d%H%M%S")
    root = Path(tempfile.mkdtemp(prefix=f"gotong-bench-{run}-"))
    settings = replace(base, data_dir=root, secret_key_override="bench-" + run,
                       exit_with_parent=True)
    started = False
    if settings.uses_local_broker:
        settings = replace(settings, kafka_port=free_port(), kafka_controller_port=free_port())
        console.print("starting a Kafka broker for the benchmark…")
        broker.start(settings)
        started = True
        settings = replace(settings, kafka_bootstrap=settings.bootstrap)
    else:
        console.print(f"[yellow]using the configured cluster {settings.bootstrap}: the benchmark "
                      "writes its events to the gotong topics there[/]")
    env = BenchEnv(settings=settings, root=root, run=run, started_broker=started)
    previous = signal.signal(signal.SIGTERM, _raise_exit)
    try:
        yield env
    finally:
        signal.signal(signal.SIGTERM, previous)
        env.stop_all()
        if started:
            broker.stop(replace(settings, kafka_bootstrap=None))
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            console.print(f"kept {root}")


def _raise_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # so that the finally blocks stop what we started


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; steadier than wall time on a busy box."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_ticks() -> tuple[int, int, int]:
    """This machine's CPU clock ticks so far, all cores: (busy, stolen, all).

    Stolen ticks are those the hypervisor gave to other guests while this one had
    work: on a shared virtual machine they come in bursts, and a latency figure
    measured through one is not the software's (``/proc/stat``; zeros elsewhere).
    """
    try:
        fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0, 0, 0
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq, steal, sum(fields)


def machine_share(before: tuple[int, int, int], after: tuple[int, int, int]
                  ) -> dict[str, float | None]:
    """Busy and stolen, in % of all cores' time between two ``machine_ticks``."""
    busy, steal, total = (b - a for a, b in zip(before, after, strict=True))
    if total <= 0:
        return {"machine_busy_pct": None, "steal_pct": None}
    return {"machine_busy_pct": round(100 * busy / total, 1),
            "steal_pct": round(100 * steal / total, 1)}


def run_driver(module: str, *args: str) -> dict[str, Any]:
    """Run a load driver (``services.bench.*_load``) in a process of its own, so that its
    clients do not share an interpreter with what they measure; its figures are the
    JSON object on the last line it prints."""
    driver = subprocess.run([sys.executable, "-m", module, *args], stdout=subprocess.PIPE,
                            env=dict(os.environ), check=True)
    figures: dict[str, Any] = json.loads(driver.stdout.decode().strip().splitlines()[-1])
    return figures


def children(pid: int) -> list[int]:
    """A process's children (``gotong web --workers``' worker processes)."""
    found = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(kid) for kid in found.read_text().split()]
    except OSError:
        return []


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live children."""
    return cpu_seconds(pid) + sum(tree_cpu_seconds(kid) for kid in children(pid))


def applied_events(engine: Engine, prefix: str) -> int:
    """How many distinct events the read model holds for aggregates whose ids start with prefix."""
    like = {"p": prefix + "%"}
    with engine.connect() as connection:
        total = 0
        for table in ("nodes", "forums", "proposals", "meetings", "action_items", "programs"):
            total += int(connection.execute(
                text(f"SELECT COALESCE(SUM(version), 0) FROM {table} WHERE id LIKE :p"), like
            ).scalar_one())
    return total


def scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    """The samples of a Prometheus ``/metrics`` page: (name, labels, value)."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(url, timeout=10).text
    return [(sample.name, dict(sample.labels), sample.value)
            for family in text_string_to_metric_families(text) for sample in family.samples]


def histogram_quantile(buckets: list[tuple[float, float]], q: float) -> float:
    """The q-quantile of cumulative (upper bound, count) buckets, as Prometheus computes it."""
    buckets = sorted(buckets)
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


def machine(settings: Settings) -> dict[str, Any]:
    import aiokafka
    import faust

    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "faust": faust.__version__,
        "aiokafka": aiokafka.__version__,
        "kafka": broker.kafka_version(settings),
    }


def report(scenario: str, figures: Mapping[str, Any], *, settings: Settings, results_dir: Path,
           as_json: bool, labels: Mapping[str, str]) -> None:
    """Print a readable table, write the results file, and with --json end with one JSON line."""
    table = Table(title=f"gotong bench {scenario}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        if isinstance(value, float):
            shown = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        else:
            shown = f"{value:,}" if isinstance(value, int) else str(value)
        table.add_row(labels.get(key, key), shown)
    Console().print(table)
    results_dir.mkdir(parents=True, exist_ok=True)
    record = {"scenario": scenario, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "machine": machine(settings), "figures": dict(figures)}
    path = results_dir / f"{scenario}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(record, indent=2))
    console.print(f"results written to {path}")
    if as_json:
        print(json.dumps(dict(figures)), flush=True)
