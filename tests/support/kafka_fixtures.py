"""A real Kafka broker for the test suite: the project's own local broker on free ports.

With ``GOTONG_KAFKA_BOOTSTRAP`` set, the tests use that cluster instead. Wire it
into a session fixture, for example::

    @pytest.fixture(scope="session")
    def kafka(tmp_path_factory):
        test_settings, bootstrap = start_test_broker(tmp_path_factory.mktemp("kafka"))
        yield bootstrap
        stop_test_broker(test_settings)
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

from services import settings
from services.local import broker
from services.settings import Settings

TEST_HEAP = "-Xms128m -Xmx512m"


def free_ports(count: int) -> list[int]:
    """Ports that are free right now (all held open together, so they differ)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def broker_settings(data_dir: Path, *, local: bool | None = None) -> Settings:
    """Settings for a test broker in ``data_dir`` on free ports.

    ``local=None`` follows the environment (a configured GOTONG_KAFKA_BOOTSTRAP
    wins); ``local=True`` always means this project's own broker.
    """
    base = settings.load()
    if local is None:
        local = base.uses_local_broker
    if not local:
        return dataclasses.replace(base, data_dir=data_dir)
    port, controller_port = free_ports(2)
    return dataclasses.replace(
        base,
        data_dir=data_dir,
        kafka_bootstrap=None,
        kafka_port=port,
        kafka_controller_port=controller_port,
        kafka_heap_opts=TEST_HEAP,
    )


def start_test_broker(data_dir: Path, *, wait: float = 90) -> tuple[Settings, str]:
    """Start a broker for tests (or check the configured cluster); return settings and bootstrap."""
    for attempt in range(3):
        test = broker_settings(data_dir)
        try:
            return test, broker.start(test, wait=wait)
        except broker.PortInUseError:
            if attempt == 2:  # another program took a port between picking and binding
                raise
    raise AssertionError("unreachable")


def stop_test_broker(test: Settings) -> None:
    """Stop the broker that start_test_broker started (nothing, for a configured cluster)."""
    broker.stop(test)


@contextlib.contextmanager
def running_test_broker(data_dir: Path) -> Iterator[tuple[Settings, str]]:
    test, bootstrap = start_test_broker(data_dir)
    try:
        yield test, bootstrap
    finally:
        stop_test_broker(test)
