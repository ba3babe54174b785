"""The event feed: ``GET /api/v1/events`` (cursor pages) and ``GET /api/v1/stream`` (SSE).

Both read the typed topics straight from Kafka (see ``services.feeds.log``), so
they show every accepted event in log order, whatever the state of the read
model. Anyone may read; a key with the ``read_private`` scope also sees the
private fields (``services.feeds.privacy``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from aiokafka.errors import KafkaError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from services.feeds.cursor import Cursor
from services.feeds.filters import Matcher
from services.feeds.log import LogEvent, LogReader
from services.feeds.privacy import redacted
from services.feeds.seed import seeded_matcher
from services.feeds.tail import Listener, Tail
from web.api import params
from web.problems import JSONResponse, problem

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
CATCH_UP_PAGE = 500


def _shown(event: Mapping[str, Any], private: bool) -> Mapping[str, Any]:
    return event if private else redacted(event)


async def list_events(request: Request) -> Response:
    """A page of events after the cursor ``after``; follow ``next`` for the following page."""
    try:
        credential = await params.credential(request)
        feed_filter = params.feed_filter(request)
        after = params.cursor(request)
        limit = params.limit(request, 100, 1000)
    except params.BadParameter as exc:
        return exc.response()
    except params.Unauthorized as exc:
        return exc.response
    private = credential is not None and "read_private" in credential.scopes
    state = request.app.state
    matcher = await asyncio.to_thread(seeded_matcher, state.engine, feed_filter)
    try:
        async with LogReader(state.settings.bootstrap) as reader:
            page = await reader.page(after, matcher, limit)
    except (KafkaError, TimeoutError) as exc:
        log.warning("feed read failed: %r", exc)
        return problem(503, "kafka-unavailable", "Event log unavailable",
                       "Kafka is not reachable right now; retry later with the same cursor",
                       headers={"Retry-After": "5"})
    return JSONResponse({"items": [_shown(i.event, private) for i in page.items],
                         "next": page.next.encode(), "at_end": page.at_end})


def _sse(item: LogEvent, position: Cursor, private: bool) -> bytes:
    return (b"id: " + position.encode().encode() + b"\ndata: "
            + orjson.dumps(_shown(item.event, private)) + b"\n\n")


async def _catch_up(bootstrap: str, position: Cursor, matcher: Matcher, private: bool,
                    out: list[Cursor]) -> AsyncIterator[bytes]:
    """Events from ``position`` to the end of the log; leaves the final position in ``out``."""
    async with LogReader(bootstrap) as reader:
        while True:
            page = await reader.page(position, matcher, CATCH_UP_PAGE)
            for item in page.items:
                position = position.advanced({(item.topic, item.partition): item.offset + 1})
                yield _sse(item, position, private)
            position = page.next
            if page.at_end:
                break
    out.append(position)


async def _events(request: Request, tail: Tail, listener: Listener, position: Cursor,
                  catch_up: bool, matcher: Matcher, private: bool) -> AsyncIterator[bytes]:
    bootstrap = request.app.state.settings.bootstrap
    try:
        yield b"retry: 2000\n\n"
        if catch_up:
            out: list[Cursor] = []
            async for chunk in _catch_up(bootstrap, position, matcher, private, out):
                yield chunk
            position = out[0]
        while True:
            try:
                item = await asyncio.wait_for(listener.queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if item is None:  # fell behind, or the tail restarted: the client resumes
                return
            have = position.get(item.topic, item.partition)
            if item.offset > have:  # records the tail saw before we joined: read them
                out = []
                async for chunk in _catch_up(bootstrap, position, matcher, private, out):
                    yield chunk
                position = out[0]
                have = position.get(item.topic, item.partition)
            if item.offset < have:
                continue
            position = position.advanced({(item.topic, item.partition): item.offset + 1})
            if matcher.matches(item.event):
                yield _sse(item, position, private)
    finally:
        tail.unsubscribe(listener)


async def stream_events(request: Request) -> Response:
    """Server-Sent Events; each carries ``id:`` (a cursor) for resuming with Last-Event-ID."""
    try:
        credential = await params.credential(request)
        feed_filter = params.feed_filter(request)
        resume = request.headers.get("last-event-id") or request.query_params.get("after")
        position = params.cursor(request, "after", header="last-event-id")
    except params.BadParameter as exc:
        return exc.response()
    except params.Unauthorized as exc:
        return exc.response
    private = credential is not None and "read_private" in credential.scopes
    tail: Tail = request.app.state.feed_tail
    matcher = await asyncio.to_thread(seeded_matcher, request.app.state.engine, feed_filter)
    try:
        listener = await tail.join(10)
    except TimeoutError:
        return problem(503, "kafka-unavailable", "Event log unavailable",
                       "Kafka is not reachable right now; reconnect later",
                       headers={"Retry-After": "5"})
    if not resume:
        position = Cursor(listener.start)
    return StreamingResponse(
        _events(request, tail, listener, position, bool(resume), matcher, private),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


routes = [
    Route("/api/v1/events", list_events, methods=["GET"], name="api_feed"),
    Route("/api/v1/stream", stream_events, methods=["GET"], name="api_stream"),
]


@contextlib.asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[None]:
    """Run the feed tail (one Kafka consumer for every SSE stream) while the app runs."""
    tail = Tail(app.state.settings.bootstrap)
    app.state.feed_tail = tail
    tail.start()
    try:
        yield
    finally:
        await tail.stop()
