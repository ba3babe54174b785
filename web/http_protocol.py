"""uvicorn's httptools protocol with a bound on the request head (request line + headers),
and every answer sent at once (TCP_NODELAY).

httptools parses about three times faster than h11, but unlike h11 (which stops
at 16 KiB) it buffers a request head of any size: a client could send megabytes
of headers and the process would keep them. This protocol counts the bytes of
each request head as they arrive and answers 431 once it passes ``MAX_HEAD``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD = 32 * 1024  # the request line and all headers together

_REFUSAL = b"Request header fields too large: at most %d bytes for the request line and headers."


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that refuses request heads larger than ``MAX_HEAD`` with 431.

    Bytes are counted per chunk the socket delivers, after the parser has seen it:
    a chunk that leaves a head unfinished counts whole; one in which a request
    ended does not count (it may hold the body of the request before). A chunk
    is at most a socket read, so what the parser holds stays bounded.
    """

    _head_bytes = 0
    _in_head = True  # a connection starts with a request head
    _ended_in_chunk = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # asyncio turns Nagle's algorithm off only on sockets made with proto=IPPROTO_TCP;
        # the socket uvicorn binds for ``--workers N`` has proto 0, so each answer's last
        # segment waited for the client's delayed ACK: 44 ms for every request, even a 401
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # whatever comes next on this connection is a new head
        self._ended_in_chunk = True

    def data_received(self, data: bytes) -> None:
        self._ended_in_chunk = False
        super().data_received(data)
        if not self._in_head or self._ended_in_chunk or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD:
            self._refuse()

    def _refuse(self) -> None:
        body = _REFUSAL % MAX_HEAD
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()


def server_options(host: str, port: int, *, access_log: bool = False) -> dict[str, Any]:
    """How ``gotong web`` runs uvicorn (the bench's hello-world ceiling runs the same)."""
    return {
        "host": host, "port": port, "log_level": "info", "access_log": access_log,
        "proxy_headers": True,
        # httptools, with a bound on the request head that h11 has and httptools lacks
        "http": BoundedHttpToolsProtocol,
        "loop": "uvloop",
        # (what runs here is nobody's business, and one header less on every response)
        "server_header": False,
        # open SSE streams must not hold a restart for long; clients resume
        "timeout_graceful_shutdown": 3,
    }
