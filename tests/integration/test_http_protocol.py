"""The web's HTTP protocol on a real loopback socket bound as uvicorn binds it for
``gotong web --workers N``: every accepted connection sends its answers at once."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config
from uvicorn.server import ServerState

from web.http_protocol import BoundedHttpToolsProtocol


async def _hello(scope: dict, receive: object, send: object) -> None:
    raise AssertionError("no request is sent")


async def _accepted_nodelay() -> int:
    config = Config(app=_hello, http=BoundedHttpToolsProtocol, log_level="warning")
    config.load()
    state = ServerState()
    # as uvicorn's bind_socket: proto 0, which asyncio does not treat as TCP for NODELAY
    listening = socket.socket(family=socket.AF_INET)
    listening.bind(("127.0.0.1", 0))
    server = await asyncio.get_running_loop().create_server(
        lambda: BoundedHttpToolsProtocol(config=config, server_state=state, app_state={}),
        sock=listening)
    try:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        for _ in range(100):
            if state.connections:
                break
            await asyncio.sleep(0.01)
        (protocol,) = state.connections
        accepted = protocol.transport.get_extra_info("socket")
        nodelay = int(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()
        return nodelay
    finally:
        server.close()
        await server.wait_closed()


def test_connections_accepted_on_a_socket_bound_for_workers_send_without_delay() -> None:
    assert asyncio.run(_accepted_nodelay()) != 0
