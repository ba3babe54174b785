"""``GET /metrics`` of the web process (Prometheus text), and the middleware that counts.

Requests are counted by route template (``/proposals/{id}``, never the path a
client typed), method and status, with their duration. Under ``gotong web
--workers N`` every process writes its figures to ``PROMETHEUS_MULTIPROC_DIR``
(set by the command before the processes start) and ``/metrics`` adds them up.

The figures are for the operators: ``/metrics`` answers requests from the machine
itself (a scraper beside it, or a reverse proxy that forwards only what it should)
and anyone presenting ``GOTONG_METRICS_TOKEN`` as a bearer token; others get 404.
"""

from __future__ import annotations

import hmac
import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("gotong_http_requests", "HTTP requests by route, method and status.",
                   ["route", "method", "status"])
DURATION = Histogram("gotong_http_request_seconds", "Time to the end of each response, by route.",
                     ["route"], buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10))
RENDER_CACHE = Counter("gotong_render_cache_lookups", "Pages looked up in the render cache "
                       "(visitors not signed in), by outcome: hit or miss.", ["outcome"])
FEED_LANE = Counter("gotong_feed_lane_answers", "Polls of feeds, calendars and open data "
                    "answered 304 by the feed lane, before the middleware and the router.")

LOOPBACK = ("127.", "::1", "localhost")
STREAMS = ("/api/v1/stream", "/live/")  # open for minutes: counted, not timed

#: the metrics' children by their labels (route templates, methods and statuses: a few
#: hundred at most, as the routes are few; an unknown method is one label more)
_counters: dict[tuple[str, str, int], Counter] = {}
_timers: dict[str, Histogram] = {}


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class MetricsMiddleware:
    """Counts every HTTP response (a pure ASGI middleware: nothing per body chunk)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            count(route_of(scope), scope["method"], status[0],
                  None if scope["path"].startswith(STREAMS) else started)


def count(route: str, method: str, status: int, started: float | None) -> None:
    """One response of ``route``, and its duration since ``started`` (a ``perf_counter``)."""
    counted = (route, method, status)
    counter = _counters.get(counted)
    if counter is None:  # ``labels`` checks and formats its arguments each time
        counter = _counters[counted] = REQUESTS.labels(route, method, str(status))
    counter.inc()
    if started is not None:
        timer = _timers.get(route)
        if timer is None:
            timer = _timers[route] = DURATION.labels(route)
        timer.observe(time.perf_counter() - started)


def _allowed(request: Request) -> bool:
    token = request.app.state.settings.metrics_token
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    host = request.client.host if request.client else ""
    return host.startswith(LOOPBACK)


async def metrics(request: Request) -> Response:
    if not _allowed(request):
        return PlainTextResponse("Not Found", status_code=404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
