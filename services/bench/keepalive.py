"""A lean HTTP/1.1 client for the bench's load drivers: keep-alive connections, nothing else.

The load drivers share the machine with the broker, the worker and the web they
measure. aiohttp's client spent about a third of a core at 1,000 requests a
second (more than the worker), CPU the measured processes then lacked. This
client does only what the drivers need: a pool of keep-alive connections, the
request written in one piece, the response parsed by httptools (the C parser
uvicorn uses), status and body returned. No redirects, cookies, proxies or TLS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import httptools


class RequestFailed(Exception):
    """The connection closed or timed out before a whole response arrived."""


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionResetError("closed by the server"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        body, self._body = b"".join(self._body), []
        if waiter is not None and not waiter.done():
            waiter.set_result((self._parser.get_status_code(), body,
                               self._parser.should_keep_alive()))

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(RequestFailed(repr(exc)))

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._waiter


class Client:
    """``async with Client(base, headers, connections) as c: status, body = await c.request(…)``.

    At most ``connections`` requests are in flight; the rest wait for a free
    connection, as with aiohttp's connector limit. A request that fails (the
    server closed the connection, or no answer within ``timeout``) raises
    :class:`RequestFailed`.
    """

    def __init__(self, base: str, headers: Mapping[str, str], connections: int,
                 timeout: float) -> None:
        url = urlsplit(base)
        self._host, self._port = url.hostname or "127.0.0.1", url.port or 80
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in {
            "Host": url.netloc, **headers}.items()).encode()
        self._timeout = timeout
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for connection in self._all:
            if connection.transport is not None:
                connection.transport.close()

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
            self._all.discard(connection)
        _, connection = await asyncio.get_running_loop().create_connection(
            _Connection, self._host, self._port)
        self._all.add(connection)
        return connection

    async def request(self, method: str, path: str, body: bytes | None = None,
                      params: Mapping[str, Any] | None = None,
                      headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        if params:
            path = f"{path}?{urlencode(params)}"
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._fixed
        if headers:
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
        if body is not None:
            head += b"Content-Length: %d\r\n" % len(body)
        request = head + b"\r\n" + (body or b"")
        async with self._slots:
            try:
                connection = await self._connection()
            except OSError as exc:
                raise RequestFailed(repr(exc)) from exc
            try:
                # (a deadline on this task: ``wait_for`` makes a task of its own per request)
                async with asyncio.timeout(self._timeout):
                    status, answer, keep = await connection.exchange(request)
            except (TimeoutError, RequestFailed) as exc:
                connection.closed = True
                if connection.transport is not None:
                    connection.transport.close()
                if isinstance(exc, RequestFailed):
                    raise
                raise RequestFailed("no answer in time") from exc
            if keep and not connection.closed:
                self._idle.append(connection)
            elif connection.transport is not None:
                connection.transport.close()
            return status, answer
