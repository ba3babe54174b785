"""``gotong web --workers N`` (``services.process.web_workers``): every process serves,
whatever the order connections come in, and they all stop together."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.kafka_fixtures import free_ports
from tests.support.stack import Stack, wait_for

pytestmark = pytest.mark.kafka

CONNECTIONS = 16


def _children(pid: int) -> list[int]:
    return [int(kid) for kid in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _sockets(port: int, state: str) -> set[str]:
    """The inodes of the TCP sockets on local ``port`` in ``state`` (01: established,
    0A: listening) on this machine."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                found.add(fields[9])
    return found


def _holding(pid: int, inodes: set[str]) -> int:
    """How many of ``inodes`` the process ``pid`` holds open."""
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def _asked(connection: socket.socket) -> bytes:
    connection.sendall(b"GET /api/v1/nodes HTTP/1.1\r\nHost: gotong\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += connection.recv(65536)
    return answer


def test_connections_opened_at_once_are_served_by_every_web_process(stack: Stack) -> None:
    """A proxy's pool of keep-alive connections, opened in one burst, is spread over the
    processes (each has a socket of its own): none idles while another is at a full core."""
    (port,) = free_ports(1)
    web = subprocess.Popen([sys.executable, "-m", "services.cli", "web", "--workers", "2",
                            "--port", str(port)], env=stack.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connections: list[socket.socket] = []
    try:
        def both_listen() -> bool:  # (each once its app has started)
            return len(_sockets(port, "0A")) == 2

        wait_for(both_listen, 90, "the web processes")
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/nodes", timeout=10).status_code == 200
        for _ in range(CONNECTIONS):
            connections.append(socket.create_connection(("127.0.0.1", port)))
        for connection in connections:
            assert _asked(connection).startswith(b"HTTP/1.1 200")
        inodes = _sockets(port, "01")
        served = [_holding(kid, inodes) for kid in _children(web.pid)]
        assert sum(served) == CONNECTIONS
        assert len([held for held in served if held]) == 2, served
        kids = _children(web.pid)
    finally:
        for connection in connections:
            connection.close()
        web.send_signal(signal.SIGTERM)
        status = web.wait(30)
    assert status == 0
    wait_for(lambda: not [kid for kid in kids if Path(f"/proc/{kid}").exists()], 10,
             "every process to have stopped")


def test_a_port_another_program_holds_is_said_once(stack: Stack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = subprocess.run([sys.executable, "-m", "services.cli", "web", "--workers", "2",
                              "--host", "127.0.0.1", "--port", str(port)], env=stack.env,
                             capture_output=True, text=True, timeout=60)
    assert ran.returncode == 3
    assert ran.stderr.count(f"cannot listen on 127.0.0.1:{port}") == 1
