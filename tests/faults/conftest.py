"""Fixtures of the fault suite: each test gets its own broker (or cluster) and processes.

A fault test kills, wipes and disconnects things, so nothing is shared between
tests: a broker, a worker and a web process of its own, the read model on
SQLite, all stopped in the fixture's teardown whatever happened.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.settings import Settings
from tests.support.kafka_fixtures import start_test_broker, stop_test_broker
from tests.support.stack import Stack, running_stack, wait_for


@dataclass
class ExtraWorkers:
    """More ``gotong worker`` processes in the stack's consumer group, each with its own
    data dir (RocksDB stores cannot be shared between processes)."""

    stack: Stack
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def data_dir(self, name: str) -> Path:
        return self.stack.log_dir / f"data-{name}"

    def start(self, name: str) -> None:
        env = {**self.stack.env, "GOTONG_DATA_DIR": str(self.data_dir(name))}
        log = open(self.stack.log_dir / f"worker-{name}.log", "ab")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "worker", "--loglevel", "INFO"],
            env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name, signal.SIGKILL)


@dataclass
class FaultStacks:
    """``with fault_stacks.start("name") as stack``: its own broker, worker and web (SQLite)."""

    root: Path
    brokers: dict[str, Settings] = field(default_factory=dict)

    @contextmanager
    def start(self, name: str, **env: str) -> Iterator[Stack]:
        root = self.root / name
        settings, _ = start_test_broker(root / "kafka")
        self.brokers[name] = settings
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # running_stack copies os.environ into the processes' env
        try:
            with running_stack(f"faults-{name}", settings, f"sqlite:///{root / 'readmodel.db'}",
                               root) as stack:
                yield stack
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def broker(self, stack: Stack) -> Settings:
        """The settings of ``stack``'s broker (for ``services.local.broker.stop``/``start``)."""
        return self.brokers[stack.name.removeprefix("faults-")]

    def stop_all(self) -> None:
        for settings in self.brokers.values():
            stop_test_broker(settings)


@pytest.fixture
def fault_stacks(tmp_path: Path) -> Iterator[FaultStacks]:
    stacks = FaultStacks(tmp_path)
    try:
        yield stacks
    finally:
        stacks.stop_all()


@pytest.fixture
def extra_workers() -> Iterator[Callable[[Stack], ExtraWorkers]]:
    made: list[ExtraWorkers] = []

    def make(stack: Stack) -> ExtraWorkers:
        made.append(ExtraWorkers(stack))
        return made[-1]

    try:
        yield make
    finally:
        for workers in made:
            workers.stop_all()


def settle(stack: Stack, seconds: float = 0.0) -> None:
    """Wait until some worker's heartbeat is fresh (bounded), then ``seconds`` more."""
    wait_for(stack.worker_fresh, timeout=90, what="a worker heartbeat")
    time.sleep(seconds)
