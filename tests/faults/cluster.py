"""A three-broker local KRaft cluster for fault tests: three Java processes on loopback ports.

Each node is broker and controller (a static quorum of three voters); topics get
replication factor 3 with ``min.insync.replicas=2`` and unclean leader election
off, so a 202 (acks=all) means the event is on at least two brokers.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from services.local import broker
from services.local.broker import BrokerFiles
from services.settings import Settings
from tests.support.kafka_fixtures import TEST_HEAP, free_ports

NODES = (1, 2, 3)


@dataclass
class Cluster:
    root: Path
    base: Settings
    ports: dict[int, int] = field(default_factory=dict)
    controller_ports: dict[int, int] = field(default_factory=dict)
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.ports[n]}" for n in NODES)

    def files(self, node: int) -> BrokerFiles:
        return BrokerFiles(self.root / f"node-{node}")

    def _config(self, node: int) -> Path:
        files = self.files(node)
        files.root.mkdir(parents=True, exist_ok=True)
        voters = ",".join(f"{n}@127.0.0.1:{self.controller_ports[n]}" for n in NODES)
        port, cport = self.ports[node], self.controller_ports[node]
        config = {
            "process.roles": "broker,controller",
            "node.id": str(node),
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.voters": voters,
            "log.dirs": str(files.log_dir),
            "num.partitions": "6",
            "default.replication.factor": "3",
            "min.insync.replicas": "2",
            "unclean.leader.election.enable": "false",
            "offsets.topic.replication.factor": "3",
            "transaction.state.log.replication.factor": "3",
            "transaction.state.log.min.isr": "2",
            "share.coordinator.state.topic.replication.factor": "3",
            "share.coordinator.state.topic.min.isr": "2",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            # a killed leader is noticed within seconds, not the default 18 s
            "broker.session.timeout.ms": "6000",
            "broker.heartbeat.interval.ms": "1000",
            "replica.lag.time.max.ms": "10000",
        }
        files.config.write_text("".join(f"{k}={v}\n" for k, v in config.items()))
        return files.config

    def start(self, wait: float = 120) -> str:
        lib = broker.ensure_jars(self.base)
        java = broker.find_java(self.base)
        cluster_id = broker._new_cluster_id()  # noqa: SLF001
        for node in NODES:
            config = self._config(node)
            files = self.files(node)
            subprocess.run(
                [*broker._jvm(self.base, files, java, lib, heap="-Xmx256m"),  # noqa: SLF001
                 "kafka.tools.StorageTool", "format", "--config", str(config),
                 "--cluster-id", cluster_id],
                check=True, capture_output=True, timeout=120)
        for node in NODES:
            self.start_node(node, java=java, lib=lib)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            answer = broker.cluster_answer(self.bootstrap, timeout=3)
            if answer is not None and set(answer.broker_ids) == set(NODES):
                return self.bootstrap
            time.sleep(0.5)
        raise AssertionError(f"the cluster did not come up in {wait}s; see {self.root}")

    def start_node(self, node: int, *, java: str | None = None, lib: Path | None = None) -> None:
        lib = lib or broker.ensure_jars(self.base)
        java = java or broker.find_java(self.base)
        files = self.files(node)
        with open(files.console_log, "ab") as console:
            self.processes[node] = subprocess.Popen(
                [*broker._jvm(self.base, files, java, lib), "kafka.Kafka",  # noqa: SLF001
                 str(files.config)],
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                cwd=files.root)

    def kill(self, node: int) -> None:
        process = self.processes.pop(node)
        process.send_signal(signal.SIGKILL)
        process.wait(30)

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


@contextlib.contextmanager
def running_cluster(root: Path, base: Settings) -> Iterator[Cluster]:
    ports = free_ports(6)
    cluster = Cluster(root, replace(base, kafka_heap_opts=TEST_HEAP),
                      ports=dict(zip(NODES, ports[:3], strict=True)),
                      controller_ports=dict(zip(NODES, ports[3:], strict=True)))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
