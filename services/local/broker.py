"""The local single-node Kafka broker (KRaft): fetch its jars, format its storage, start, stop.

Used by ``gotong kafka``, ``gotong up`` and the test suite. Everything takes the
Settings object, so a test can run its own broker in a temporary data dir on
free ports. When ``GOTONG_KAFKA_BOOTSTRAP`` names a cluster, nothing is started:
``start`` only checks that the cluster answers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError
from aiokafka.protocol.metadata import MetadataRequest

from services.process import lifetime
from services.settings import REPO_ROOT, Settings

POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
LOG4J_CONFIG = REPO_ROOT / "deploy" / "kafka" / "log4j2.yaml"
MIN_JAVA = 17
NODE_ID = 1
JAVA_HINT = "install a JDK (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"

_log = logging.getLogger(__name__)
# Brokers this process started: kept so they can be reaped (no zombies) and polled.
_children: dict[int, subprocess.Popen[bytes]] = {}
T = TypeVar("T")
Say = Callable[[str], object]


class BrokerError(Exception):
    """A broker problem; the message is one line that says what to do."""


class PortInUseError(BrokerError):
    """A port the broker needs is taken by another program."""


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    data_dir: Path
    log_file: Path
    kafka_version: str | None


@dataclass(frozen=True)
class BrokerFiles:
    """Where the local broker keeps its state: ``<data_dir>/kafka/``."""

    root: Path

    @classmethod
    def of(cls, settings: Settings) -> BrokerFiles:
        return cls(settings.data_dir / "kafka")

    @property
    def config(self) -> Path:
        return self.root / "server.properties"

    @property
    def log_dir(self) -> Path:
        return self.root / "data"

    @property
    def pid_file(self) -> Path:
        return self.root / "broker.pid"

    @property
    def cluster_id(self) -> Path:
        return self.root / "cluster.id"

    @property
    def console_log(self) -> Path:
        return self.root / "broker.log"

    @property
    def server_log(self) -> Path:
        return self.root / "server.log"


def controller_port(settings: Settings) -> int:
    return settings.kafka_controller_port or settings.kafka_port + 1


# --- jars and java -------------------------------------------------------------------


def ensure_jars(settings: Settings) -> Path:
    """The broker's lib dir, fetched with Maven (deploy/kafka/pom.xml) when it lacks the jars."""
    lib = settings.kafka_home / "lib"
    wanted = _pom_kafka_version()
    have = kafka_version(settings)
    if have is not None and (wanted is None or have == wanted or not _is_managed(settings)):
        return lib
    if not POM.exists():
        raise BrokerError(
            f"the Kafka jars are missing from {lib}: set GOTONG_KAFKA_HOME to a directory "
            "holding lib/kafka_2.13-*.jar, or GOTONG_KAFKA_BOOTSTRAP to use your own cluster"
        )
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(
            "Maven is needed to fetch the Kafka jars: install it (e.g. apt-get install maven) "
            "or set GOTONG_KAFKA_BOOTSTRAP to use your own cluster"
        )
    if have is not None:
        shutil.rmtree(lib)  # another Kafka version: never mix two on one classpath
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "package",
        f"-Dgotong.kafka.home={settings.kafka_home}",
    ]
    with _spinner(f"Fetching the Apache Kafka {wanted} jars with Maven…"):
        result = subprocess.run(command, capture_output=True, text=True, env=_java_env(settings))
    if result.returncode != 0 or kafka_version(settings) is None:
        errors = re.findall(r"\[ERROR\] (.+)", result.stdout + result.stderr)
        reason = errors[0][:300] if errors else "no jars in the output"
        raise BrokerError(
            f"Maven could not fetch the Kafka jars ({reason}): run "
            f"`mvn -f {POM} package` to see why"
        )
    return lib


def kafka_version(settings: Settings) -> str | None:
    """The version of the Kafka jars in ``<kafka_home>/lib``, or None when there are none."""
    jars = sorted((settings.kafka_home / "lib").glob("kafka_2.13-*.jar"))
    return jars[-1].stem.removeprefix("kafka_2.13-") if jars else None


def find_java(settings: Settings) -> str:
    """The ``java`` to run the broker with, checked to be 17 or newer."""
    if settings.java_home is not None:
        java: str | None = str(settings.java_home / "bin" / "java")
        if not Path(str(java)).exists():
            raise BrokerError(f"JAVA_HOME={settings.java_home} has no bin/java: {JAVA_HINT}")
    else:
        java = shutil.which("java")
    if java is None:
        raise BrokerError(f"Java {MIN_JAVA}+ is needed: {JAVA_HINT}")
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrokerError(
            f"Java {MIN_JAVA}+ is needed ({java} failed: {exc}): {JAVA_HINT}"
        ) from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    major = int(match[1]) if match else 0
    if major == 1 and match and match[2]:
        major = int(match[2])  # "1.8.0_402" is Java 8
    if major < MIN_JAVA:
        found = f"found Java {major}" if major else "cannot tell its version"
        raise BrokerError(f"Java {MIN_JAVA}+ is needed, {found} at {java}: {JAVA_HINT}")
    return java


# --- start, stop, status -------------------------------------------------------------


def start(settings: Settings, *, wait: float = 60, say: Say = _log.info) -> str:
    """Start the local broker (or find it running) and return its bootstrap address.

    Returns once Kafka answers a metadata request listing the broker. With
    ``GOTONG_KAFKA_BOOTSTRAP`` set, only checks that that cluster answers.
    """
    bootstrap = settings.bootstrap
    if not settings.uses_local_broker:
        if _probe(bootstrap, timeout=min(wait, 10)) is None:
            raise BrokerError(
                f"the Kafka cluster at {bootstrap} (GOTONG_KAFKA_BOOTSTRAP) does not answer: "
                "start it, or unset GOTONG_KAFKA_BOOTSTRAP to use the local broker"
            )
        say(f"Using the Kafka cluster at {bootstrap}")
        return bootstrap

    files = BrokerFiles.of(settings)
    began = time.monotonic()
    with _start_lock(files):
        pid = _running_pid(files)
        if pid is not None:
            _wait_until_ready(settings, files, pid, deadline=began + wait, log_offset=0)
            say(f"Kafka is already running (pid {pid}) at {bootstrap}")
            return bootstrap

        lib = ensure_jars(settings)
        java = find_java(settings)
        _check_port_free(settings.kafka_port, "GOTONG_KAFKA_PORT")
        _check_port_free(controller_port(settings), "GOTONG_KAFKA_CONTROLLER_PORT")
        _write_config(settings, files)
        _format_once(settings, files, java, lib)
        log_offset = _size(files.server_log)
        pid = _launch(settings, files, java, lib)
        deadline = time.monotonic() + wait  # fetching jars may take long; only this is bounded
        _wait_until_ready(settings, files, pid, deadline=deadline, log_offset=log_offset)
    say(
        f"Kafka {kafka_version(settings)} started (pid {pid}) at {bootstrap} "
        f"in {time.monotonic() - began:.1f}s; logs in {files.server_log}"
    )
    return bootstrap


def stop(settings: Settings, timeout: float = 30) -> bool:
    """Stop the local broker: SIGTERM, then SIGKILL after ``timeout``. False if none ran."""
    if not settings.uses_local_broker:
        return False
    files = BrokerFiles.of(settings)
    pid = _running_pid(files)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_for_exit(pid, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_for_exit(pid, 10)
    files.pid_file.unlink(missing_ok=True)
    _children.pop(pid, None)
    return True


def status(settings: Settings) -> BrokerStatus:
    """Whether the broker runs (our process is alive and Kafka answers), and where."""
    files = BrokerFiles.of(settings)
    if not settings.uses_local_broker:
        answer = _probe(settings.bootstrap, timeout=5)
        return BrokerStatus(
            running=answer is not None,
            pid=None,
            bootstrap=settings.bootstrap,
            data_dir=files.root,
            log_file=files.server_log,
            kafka_version=None,
        )
    pid = _running_pid(files)
    return BrokerStatus(
        running=pid is not None and _probe(settings.bootstrap, timeout=3) is not None,
        pid=pid,
        bootstrap=settings.bootstrap,
        data_dir=files.root,
        log_file=files.server_log,
        kafka_version=kafka_version(settings),
    )


# --- the steps of start --------------------------------------------------------------


def _check_port_free(port: int, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Java binds with SO_REUSEADDR too, so a socket in TIME_WAIT is no conflict.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUseError(
                f"port {port} is in use by another program: stop it or set {setting}"
            ) from None


def _write_config(settings: Settings, files: BrokerFiles) -> None:
    port, cport = settings.kafka_port, controller_port(settings)
    config = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{cport}",
        "log.dirs": str(files.log_dir),
        "num.partitions": str(settings.topic_partitions),
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
    }
    lines = [f"{key}={value}" for key, value in config.items()]
    header = "# Written by gotong on every start: change the settings, not this file.\n"
    files.config.write_text(header + "\n".join(lines) + "\n")


def _format_once(settings: Settings, files: BrokerFiles, java: str, lib: Path) -> None:
    """Format the storage with the kept cluster id, unless it is formatted already."""
    meta = files.log_dir / "meta.properties"
    if meta.exists():
        found = _read_properties(meta).get("cluster.id")
        if not found:
            raise BrokerError(
                f"{meta} is damaged (no cluster.id): remove {files.root} to start afresh "
                "(its topics are lost)"
            )
        if not files.cluster_id.exists() or files.cluster_id.read_text().strip() != found:
            files.cluster_id.write_text(found + "\n")  # the data is the truth
        return
    if files.cluster_id.exists():
        cluster_id = files.cluster_id.read_text().strip()
    else:
        cluster_id = _new_cluster_id()
        files.cluster_id.write_text(cluster_id + "\n")
    command = [
        *_jvm(settings, files, java, lib, heap="-Xmx256m"),
        "kafka.tools.StorageTool",
        "format",
        "--config", str(files.config),
        "--cluster-id", cluster_id,
        "--standalone",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        reason = _last_line(result.stdout + result.stderr) or f"exit code {result.returncode}"
        raise BrokerError(
            f"could not format the Kafka storage in {files.log_dir} ({reason}): "
            f"remove {files.root} to start afresh"
        )


def _launch(settings: Settings, files: BrokerFiles, java: str, lib: Path) -> int:
    command = [*_jvm(settings, files, java, lib), "kafka.Kafka", str(files.config)]
    with open(files.console_log, "wb") as console:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            cwd=files.root,
            start_new_session=True,  # outlives the command that started it, ignores its Ctrl-C
            # ... unless it is a benchmark's broker, which must not outlive the benchmark
            preexec_fn=lifetime.preexec() if settings.exit_with_parent else None,
        )
    _children[process.pid] = process
    files.pid_file.write_text(f"{process.pid}\n")
    return process.pid


def _jvm(
    settings: Settings, files: BrokerFiles, java: str, lib: Path, heap: str | None = None
) -> list[str]:
    log4j_config = LOG4J_CONFIG
    if not log4j_config.exists():
        log4j_config = settings.kafka_home / "config" / "log4j2.yaml"
    return [
        java,
        *shlex.split(heap or settings.kafka_heap_opts),
        # The parallel collector, not G1 (Kafka's choice for large heaps on large
        # machines): the local broker shares a small machine with the web and the
        # worker, and G1's concurrent work cost it 6-8% of a core more at 1,000
        # events/s (bench latency, back to back: 47-50% of a core against 42%), with
        # young collections of its small heap short either way.
        *shlex.split(settings.kafka_gc_opts),
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j_config}",
        f"-Dgotong.kafka.log.file={files.server_log}",
        f"-Dkafka.logs.dir={files.root}",
        "-cp",
        str(lib / "*"),
    ]


def _wait_until_ready(
    settings: Settings, files: BrokerFiles, pid: int, *, deadline: float, log_offset: int
) -> None:
    """Return once the broker lists itself in a metadata answer; raise if it dies or stalls."""
    while True:
        if not _alive(pid):
            exit_code = _children.pop(pid).returncode if pid in _children else None
            files.pid_file.unlink(missing_ok=True)
            code = f" with exit code {exit_code}" if exit_code is not None else ""
            raise BrokerError(
                f"Kafka exited during start-up{code}: {_log_tail(files, log_offset)} "
                f"(see {files.server_log} and {files.console_log})"
            )
        if _port_open(settings.kafka_port):
            answer = _probe(settings.bootstrap, timeout=5)
            if answer is not None and NODE_ID in answer.broker_ids:
                return
        if time.monotonic() > deadline:
            stop(settings, timeout=10)
            raise BrokerError(
                f"Kafka did not answer at {settings.bootstrap} in time and was stopped: "
                f"see {files.server_log}, or start again with a longer wait"
            )
        time.sleep(0.2)


# --- asking Kafka --------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterAnswer:
    cluster_id: str | None
    broker_ids: tuple[int, ...]


def cluster_answer(bootstrap: str, timeout: float = 5) -> ClusterAnswer | None:
    """What the cluster says to a metadata request, or None when no bootstrap server answers."""
    return _probe(bootstrap, timeout)


def _probe(bootstrap: str, timeout: float) -> ClusterAnswer | None:
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            return _run(_ask_metadata(host.strip("[]"), int(port), timeout))
        except (OSError, TimeoutError, ValueError, KafkaError) as exc:
            _log.debug("no metadata from %s: %s", server, exc)
    return None


async def _ask_metadata(host: str, port: int, timeout: float) -> ClusterAnswer:
    async with asyncio.timeout(timeout):
        conn = await create_conn(host, port, request_timeout_ms=int(timeout * 1000))
        try:
            response = await conn.send(MetadataRequest([]))
        finally:
            conn.close()
    return ClusterAnswer(
        cluster_id=getattr(response, "cluster_id", None),
        broker_ids=tuple(broker[0] for broker in response.brokers),
    )


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- processes -----------------------------------------------------------------------


def _running_pid(files: BrokerFiles) -> int | None:
    """The pid of the broker we started, if it is still alive (a stale pid file is removed)."""
    try:
        pid = int(files.pid_file.read_text().strip())
    except FileNotFoundError:
        return None
    except ValueError:
        files.pid_file.unlink(missing_ok=True)
        return None
    if _alive(pid) and _is_kafka(pid):
        return pid
    files.pid_file.unlink(missing_ok=True)
    _children.pop(pid, None)
    return None


def _alive(pid: int) -> bool:
    process = _children.get(pid)
    if process is not None:
        return process.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def _is_kafka(pid: int) -> bool:
    """Whether pid is a Kafka broker (not another program that got a recycled pid)."""
    try:
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc here (macOS): trust the pid file


def _wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@contextlib.contextmanager
def _start_lock(files: BrokerFiles) -> Iterator[None]:
    """One start at a time per data dir (two test workers, or `gotong up` twice)."""
    files.root.mkdir(parents=True, exist_ok=True)
    with open(files.root / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- small helpers -------------------------------------------------------------------


def _new_cluster_id() -> str:
    """A Kafka cluster id: a random UUID in URL-safe base64, as `kafka-storage random-uuid`."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):  # Kafka avoids these: they read as a CLI flag
            return cluster_id


def _pom_kafka_version() -> str | None:
    try:
        root = ElementTree.parse(POM).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    node = root.find(
        "{http://maven.apache.org/POM/4.0.0}properties/"
        "{http://maven.apache.org/POM/4.0.0}kafka.version"
    )
    return node.text.strip() if node is not None and node.text else None


def _is_managed(settings: Settings) -> bool:
    """Whether kafka_home is the pom's own output dir (so stale jars there are ours to replace)."""
    return settings.kafka_home.resolve() == (POM.parent / "target").resolve()


def _java_env(settings: Settings) -> dict[str, str] | None:
    if settings.java_home is None:
        return None
    return {**os.environ, "JAVA_HOME": str(settings.java_home)}


def _read_properties(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text(errors="replace").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _last_line(text: str, pattern: str = r"\S") -> str:
    lines = [line.strip() for line in text.splitlines() if re.search(pattern, line)]
    return lines[-1][:300] if lines else ""


def _log_tail(files: BrokerFiles, offset: int) -> str:
    """The most telling line(s) this start wrote: the last error and its exception, if any."""
    server = _read_from(files.server_log, offset).splitlines()
    errors = [i for i, line in enumerate(server) if re.search(r"\b(ERROR|FATAL)\b", line)]
    if errors:
        first = errors[-1]
        lines = (line.strip() for line in server[first : first + 2])
        return re.sub(r"^\[[^]]*\] ", "", " ".join(lines))[:400]  # without the timestamp
    console = _read_from(files.console_log, 0)
    return _last_line(console) or _last_line("\n".join(server)) or "no log output"


def _read_from(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


@contextlib.contextmanager
def _spinner(message: str) -> Iterator[None]:
    if not sys.stderr.isatty():
        _log.info(message)
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield
