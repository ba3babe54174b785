"""``gotong web --workers N``: N web processes on one port, each listening on a socket of
its own (``SO_REUSEPORT``), so that the kernel spreads the connections over them.

uvicorn's own ``--workers`` shares one listening socket among its processes, and the
process that wakes first accepts every connection waiting: a burst of keep-alive
connections (a proxy's pool, an agency's client, a load test) lands on one process
while the others idle. Measured with ``gotong bench ingest --web-workers 2``: the 16
connections of a round opened at once, one process at a full core and the other at
none, in most rounds. With a socket each, the kernel picks the socket for a connection
by a hash of its addresses and ports.

A process binds its socket only once its application has started (uvicorn runs the
lifespan first), so the port answers only with ready processes. One that ends is
started again; one that cannot start (the port taken by another program, the app's
start-up failing) stops them all, with uvicorn's exit status for it.
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

log = logging.getLogger("uvicorn.error")

APP = "web.app:create_app"
#: how often the parent looks at its processes
WATCH_S = 0.5
#: how long the processes have to end once told to (uvicorn's graceful shutdown is 3 s,
#: then the app's lifespan ends: the Kafka producer's last batches)
STOP_TIMEOUT_S = 10.0


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` in the port's ``SO_REUSEPORT`` group."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def serve(options: dict[str, Any]) -> None:
    """One web process (the target of each child): the app, then its own socket."""
    server = _Server(uvicorn.Config(APP, factory=True, **options))
    server.run()


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        config = self.config
        try:  # (uvicorn runs the app's lifespan first, then listens)
            own = listening_socket(config.host, config.port)
        except OSError as exc:
            log.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
            sys.exit(STARTUP_FAILURE)
        await super().startup(sockets=[own])


def run(options: dict[str, Any], workers: int) -> None:
    """Start ``workers`` processes of ``serve``, keep them running, stop them on SIGINT
    or SIGTERM."""
    uvicorn.Config(APP, factory=True, **options)  # (its logging, as each process has)
    # the port checked here, so that a taken one is said once, not by every process
    try:
        listening_socket(options["host"], options["port"]).close()
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", options["host"], options["port"], exc)
        sys.exit(STARTUP_FAILURE)
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    processes = [_start(context, options) for _ in range(workers)]
    status = 0
    while not stopping.wait(WATCH_S):
        for index, process in enumerate(processes):
            if process.exitcode is None:
                continue
            if process.exitcode == STARTUP_FAILURE:
                log.error("a web process could not start: stopping them all")
                status = STARTUP_FAILURE
                stopping.set()
                break
            log.warning("web process %s ended (exit status %s): starting another",
                        process.pid, process.exitcode)
            processes[index] = _start(context, options)
    _stop(processes)
    if status:
        sys.exit(status)


def _start(context: Any, options: dict[str, Any]) -> BaseProcess:
    process: BaseProcess = context.Process(target=serve, args=(options,), daemon=False)
    process.start()
    log.info("started web process %s", process.pid)
    return process


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
