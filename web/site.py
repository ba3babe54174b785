"""The web site (pages and forms), composed from its parts for ``web.app``."""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from pathlib import Path

import brotli
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.settings import Settings
from web import i18n
from web.api import events as api
from web.conditional import SUFFIXES, accepts
from web.feeds.polls import FeedLane
from web.forms import Forbidden
from web.i18n import LocaleMiddleware
from web.metrics import MetricsMiddleware
from web.pages import account as account_pages
from web.pages import admin as admin_pages
from web.pages import browse as pages
from web.pages import commitment as forms_commitment
from web.pages import live
from web.pages import meeting as forms_meeting
from web.pages import moderation as moderation_pages
from web.pages import notifications as notification_pages
from web.pages import people as people_pages
from web.pages import programs as program_pages
from web.pages import search as search_pages
from web.pages import thread as forms_thread
from web.problems import problem
from web.render_cache import VisitorLane
from web.security import (
    BodyLimitMiddleware,
    RejectNul,
    SecurityHeadersMiddleware,
    SessionMiddleware,
    security_headers,
    with_headers,
)
from web.templating import templates

STATIC = Path(__file__).resolve().parent / "static"


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page's icon link says."""
    return RedirectResponse("/static/favicon.svg", status_code=301)

routes: list[BaseRoute] = [
    *pages.routes,
    *program_pages.routes,
    *search_pages.routes,
    *forms_thread.routes,
    *moderation_pages.routes,
    *forms_meeting.routes,
    *forms_commitment.routes,
    *account_pages.routes,
    *notification_pages.routes,
    *people_pages.routes,
    *admin_pages.routes,
    *live.routes,
    Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    Route("/favicon.ico", favicon, name="favicon"),
]


#: bodies at least this large are compressed in a thread (both encodings)
THREAD_MINIMUM = 128 * 1024


class BrotliResponder(IdentityResponder):
    """Brotli, as Starlette's ``GZipResponder`` does gzip: a whole body at once, a stream
    flushed chunk by chunk."""

    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int, quality: int) -> None:
        super().__init__(app, minimum_size)
        self.quality = quality
        self._compressor: brotli.Compressor | None = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if not more_body and self._compressor is None:
            if len(body) >= THREAD_MINIMUM:  # (not on the event loop for long)
                return await asyncio.to_thread(brotli.compress, body, quality=self.quality)
            return brotli.compress(body, quality=self.quality)
        if self._compressor is None:
            self._compressor = brotli.Compressor(quality=self.quality)
        compressed = self._compressor.process(body)
        return compressed + (self._compressor.flush() if more_body
                             else self._compressor.finish())


class Compress:
    """Compress pages, feeds, open data and the API's JSON for slow phone connections (a
    list of 100 events is 42 kB as it is); the ingest's small answers are left alone.

    Brotli when the client accepts it, else gzip. Brotli's quality 4 makes what gzip's
    level 6 makes (7.2 kB of those 42 kB) in 60% of its CPU time (410 against 685 µs; at
    quality 5, 5.5% smaller in the same time); every browser of the last years asks for
    it. A strong ETag names one sequence of bytes, so each compressed form's gets a suffix
    (``web.conditional`` accepts every form in ``If-None-Match``). The template-debug
    message that the test client reads is passed around the compressor, which would drop it.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 1000, compresslevel: int = 6,
                 quality: int = 4) -> None:
        self.app = app
        self.minimum_size = minimum_size
        # zlib's default level: level 9 (Starlette's) costs twice the CPU for ~1% less on pages
        self.compresslevel = compresslevel
        self.quality = quality

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["path"].startswith("/api/")
                                       and scope["method"] not in ("GET", "HEAD")):
            await self.app(scope, receive, send)
            return

        async def inner(scope: Scope, receive: Receive, compressed: Send) -> None:
            async def route(message: Message) -> None:
                await (send if message["type"] == "http.response.debug" else compressed)(message)

            await self.app(scope, receive, route)

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _tagged(message)
            await send(message)

        # (static files: Starlette answers their If-None-Match itself, with the plain tag)
        outer = send if scope["path"].startswith("/static/") else tagged
        offered = next((v.decode("latin-1") for n, v in scope["headers"]
                        if n == b"accept-encoding"), "")
        responder: IdentityResponder
        if accepts(offered, "br"):
            responder = BrotliResponder(inner, self.minimum_size, self.quality)
        elif accepts(offered, "gzip"):
            responder = GZipResponder(inner, self.minimum_size, compresslevel=self.compresslevel,
                                      thread_minimum_size=THREAD_MINIMUM)
        else:
            responder = IdentityResponder(inner, self.minimum_size)
        await responder(scope, receive, outer)


def _tagged(message: Message) -> Message:
    """The response's ETag with its compressed form's suffix, if it was compressed."""
    headers = message.get("headers", [])
    coding = next((v.decode("latin-1") for n, v in headers if n == b"content-encoding"), None)
    if coding not in SUFFIXES:
        return message
    suffix = SUFFIXES[coding].encode() + b'"'
    # (a page kept compressed says its compressed form's tag itself)
    changed = [(n, v[:-1] + suffix if n == b"etag" and v.startswith(b'"')
                and not v.endswith(suffix) else v) for n, v in headers]
    return {**message, "headers": changed}


def middleware(settings: Settings) -> list[Middleware]:
    return [
        # ingest leaves here (it adds the security headers and counts itself); what comes
        # after this acts on pages, feeds and reads
        Middleware(api.IngestLane, https=settings.cookie_secure),
        Middleware(SecurityHeadersMiddleware, https=settings.cookie_secure),
        Middleware(MetricsMiddleware),
        Middleware(VisitorLane),
        Middleware(FeedLane),
        Middleware(RejectNul),
        Middleware(Compress),
        Middleware(LocaleMiddleware, tz=settings.timezone),
        Middleware(BodyLimitMiddleware, limit=settings.max_form_bytes),
        Middleware(SessionMiddleware, secret=settings.secret_key, secure=settings.cookie_secure),
    ]


#: where errors are problem details (RFC 9457), for programs, not pages
PROBLEM_PATHS = ("/api/", "/feeds/", "/data/")


async def http_error(request: Request, exc: Exception) -> Response:
    """A page for people; the API keeps its own problem-details answers."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(PROBLEM_PATHS):
        # an unknown route or method of the API: problem details like every other API error
        title = HTTPStatus(exc.status_code).phrase
        return problem(exc.status_code, title.lower().replace(" ", "-"), title,
                       f"{exc.detail}: {request.method} {request.url.path}",
                       headers=exc.headers)
    if request.url.path.startswith("/live/"):
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    explanation = exc.detail if isinstance(exc, Forbidden) else None
    return templates.TemplateResponse(request, "error.html",
                                      {"status_code": exc.status_code, "explanation": explanation},
                                      status_code=exc.status_code, headers=exc.headers)


async def server_error(request: Request, exc: Exception) -> Response:
    """A failure of ours: a 500 that names no detail, in the person's language on pages,
    problem details elsewhere, and the security headers every other answer has (this
    answer leaves from outside the middleware that adds them)."""
    path = request.url.path
    try:
        if path.startswith(PROBLEM_PATHS):
            response: Response = problem(500, "internal-error", "Internal Server Error",
                                         "the server failed to answer; the failure is logged")
        elif path.startswith("/live/"):
            response = PlainTextResponse("Internal Server Error", status_code=500)
        else:
            locale = request.scope.get("state", {}).get("locale", i18n.DEFAULT_LOCALE)
            token = i18n.current.set(locale)
            try:
                response = templates.TemplateResponse(request, "error.html",
                                                      {"status_code": 500}, status_code=500)
            finally:
                i18n.current.reset(token)
    except Exception:  # the page itself failed: plain words, still with the headers
        response = PlainTextResponse("500 Internal Server Error", status_code=500)
    response.raw_headers = with_headers(
        response.raw_headers, security_headers(https=request.app.state.settings.cookie_secure))
    return response


exception_handlers = {HTTPException: http_error, Exception: server_error}
