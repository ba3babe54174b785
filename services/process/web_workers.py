"""``gotong web --workers N``: N web processes on one port, each listening on a socket of
its own (``SO_REUSEPORT``), so that the kernel spreads the connections over them.

uvicorn's own ``--workers`` shares one listening socket among its processes, and the
process that wakes first accepts every connection waiting: a burst of keep-alive
connections (a proxy's pool, an agency's client, a load test) lands on one process
while the others idle. Measured with ``gotong bench ingest --web-workers 2``: the 16
connections of a round opened at once, one process at a full core and the other at
none, in most rounds. With a socket each, the kernel picks the socket for a connection
by a hash of its addresses and ports.

A process binds its sockets only once its application has started (uvicorn runs the
lifespan first), so the port answers only with ready processes. One that ends is
started again, after a pause that doubles while they keep ending as they start; three
such ends in a row (the app's start-up failing, the port taken) stop them all, with
uvicorn's exit status for a failed start (3). Each process ends with the supervisor.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from services.process.lifetime import exit_with_parent

log = logging.getLogger("uvicorn.error")

APP = "web.app:create_app"
#: how often the parent looks at its processes
WATCH_S = 0.5
#: how long the processes have to end once told to (uvicorn's graceful shutdown is 3 s,
#: then the app's lifespan ends: the Kafka producer's last batches)
STOP_TIMEOUT_S = 10.0
#: a process that ends sooner than this after its start did not start; this many such
#: ends in a row stop them all (a broken release, a database that is not there), and
#: between them the pause doubles
STARTING_S = 10.0
FAILED_STARTS = 3
FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.5, 30.0


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """TCP sockets bound to every address of ``host`` at ``port``, each in the port's
    ``SO_REUSEPORT`` group (IPv6 ones for IPv6 only, beside the IPv4 ones)."""
    found: list[socket.socket] = []
    try:
        for address in _addresses(host, port):
            found.append(_bound(address, reuse_port=True))
    except OSError:
        for sock in found:
            sock.close()
        raise
    return found


def port_is_free(host: str, port: int) -> None:
    """Raise OSError if anything listens on ``host:port``, a group of ``SO_REUSEPORT``
    sockets included (another ``gotong web``, or processes a killed one left)."""
    for address in _addresses(host, port):
        _bound(address, reuse_port=False).close()


def _addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    return list(dict.fromkeys(socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)))


def _bound(address: tuple[Any, ...], *, reuse_port: bool) -> socket.socket:
    family, kind, proto, _, where = address
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(where)
    except OSError:
        sock.close()
        raise
    return sock


def serve(options: dict[str, Any]) -> None:
    """One web process (the target of each child): the app, then its own sockets."""
    exit_with_parent()  # a supervisor killed outright leaves no web serving on its own
    server = _Server(uvicorn.Config(APP, factory=True, **options))
    server.run()


class _Server(uvicorn.Server):
    """uvicorn's server, listening on sockets of its own rather than on one it was given
    or binds alone: uvicorn runs the app's lifespan first, then calls ``startup``, so a
    process joins the port's group only once it can answer."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        config = self.config
        try:
            own = listening_sockets(config.host, config.port)
        except OSError as exc:
            log.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
            await self.lifespan.shutdown()
            sys.exit(STARTUP_FAILURE)
        await super().startup(sockets=own)


def run(options: dict[str, Any], workers: int) -> None:
    """Start ``workers`` processes of ``serve``, keep them running, stop them on SIGINT
    or SIGTERM."""
    uvicorn.Config(APP, factory=True, **options)  # (its logging, as each process has)
    host, port = options["host"], options["port"]
    if port == 0:
        log.error("several web processes need a port of their own choosing, not 0")
        sys.exit(STARTUP_FAILURE)
    # the port checked here, so that a taken one is said once, not by every process
    try:
        port_is_free(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    processes: list[tuple[BaseProcess, float]] = []
    failed, pause = 0, FIRST_PAUSE_S
    try:
        processes.extend(_start(context, options) for _ in range(workers))
        while not stopping.wait(WATCH_S):
            for index, (process, started) in enumerate(processes):
                if process.exitcode is None:
                    continue
                if process.exitcode == STARTUP_FAILURE \
                        or time.monotonic() - started < STARTING_S:
                    failed += 1
                else:
                    failed, pause = 0, FIRST_PAUSE_S
                if failed >= FAILED_STARTS:
                    log.error("web processes end as they start (%s in a row): stopping",
                              failed)
                    sys.exit(STARTUP_FAILURE)
                log.warning("web process %s ended (exit status %s): another in %.1f s",
                            process.pid, process.exitcode, pause)
                if stopping.wait(pause):
                    break
                if failed:
                    pause = min(pause * 2, LONGEST_PAUSE_S)
                processes[index] = _start(context, options)
    finally:
        _stop([process for process, _ in processes])


def _start(context: Any, options: dict[str, Any]) -> tuple[BaseProcess, float]:
    process: BaseProcess = context.Process(target=serve, args=(options,), daemon=False)
    process.start()
    log.info("started web process %s", process.pid)
    return process, time.monotonic()


def _stop(processes: list[BaseProcess]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn's graceful shutdown
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            log.warning("web process %s did not stop in time: killed", process.pid)
            process.kill()
            process.join()
