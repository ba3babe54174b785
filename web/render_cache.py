"""Pages for visitors who are not signed in, kept as the bytes every one of them gets.

A page is a pure function of the rows it shows (named by their versions, as for its
ETag), the URL, the language, the city's date, the code that renders it and the
viewer. A visitor who is not signed in is nobody in particular: their pages hold no
name, no "you endorsed", no form token (the language switch and the follow button are
plain links for them). So such a page is rendered once, compressed once, and kept
with its strong ETag under a key made of everything it depends on; every visitor gets
the same bytes, and a shared cache (a reverse proxy) may keep them briefly
(``SHARED``). A signed-in person's page is never kept, so it is never served to
anyone else.

Bounded in bytes, least recently used first out. The key names the content, so an
entry is never stale: a change to the page's rows makes a new key, and the old
entry ages out. A thread's key holds the versions of what it shows; the other pages'
(``web.pages.browse.kept_for_visitors``) the read model's generation, which any
projected write changes, and the minute.

Each kept page is also found by its address (the URL and the language) with the
generation it was last answered at: while nothing was committed since, a repeat view
needs neither the page's queries nor the middleware that does nothing for a visitor
(``VisitorLane``, below).
"""

from __future__ import annotations

import gzip
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services import clock
from services.readmodel.db import generation as db_generation
from services.readmodel.db import lookup
from web import i18n
from web.conditional import GZIP_SUFFIX, accepts, matching
from web.metrics import RENDER_CACHE
from web.security import COOKIELESS, SESSION_COOKIE

LOOKUPS_HIT, LOOKUPS_MISSED = RENDER_CACHE.labels("hit"), RENDER_CACHE.labels("miss")

#: the gzip level of ``web.site.Compress``: compressed once per kept page, so the choice
#: matters little; the same level keeps a kept and a fresh answer alike in size. A kept
#: page is sent in gzip to a client that accepts brotli too (a brotli form kept beside
#: it would cost its compression again per page version: at quality 6, 5% smaller for
#: ~0.5 ms; at 11, 16% smaller for ~18 ms)
GZIP_LEVEL = 6
#: what a kept page varies by, for a shared cache: a browser with a session cookie is
#: someone, and gets their own page; the language comes from a cookie or the header
VARY = "Cookie, Accept-Language, Accept-Encoding"
HTML = "text/html; charset=utf-8"
VARY_BYTES, HTML_BYTES = VARY.encode(), HTML.encode()


def shared(seconds: int) -> str:
    """``Cache-Control`` of a kept page: a browser asks again every time (a 304 from the
    kept entry), so a person never reads an older page than the site has; a shared
    cache may answer for ``seconds`` (none: it asks again too)."""
    return f"public, max-age=0, s-maxage={seconds}" if seconds > 0 else "public, no-cache"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    gzipped: bytes  # the same, compressed once when kept
    etag: str  # quoted, strong: the plain body's (the compressed one adds GZIP_SUFFIX)
    template: Any  # for tests (Starlette's http.response.debug): what rendered it
    context: dict[str, Any]

    @classmethod
    def of(cls, body: bytes, etag: str, template: Any, context: dict[str, Any]) -> Rendered:
        # mtime 0: the same page compresses to the same bytes in every process
        packed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        kept = {k: v for k, v in context.items() if k != "csrf_token"}
        return cls(body, packed, etag, template, kept)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)


class Address(NamedTuple):
    """Where a page is asked for: what ``VisitorLane`` can tell before any query."""

    scheme: str
    host: bytes
    path: str
    query: bytes
    locale: str


class Held(NamedTuple):
    """What an address was last answered with, and what that answer held for."""

    generation: str
    minute: int | None  # for pages that read the clock (what is upcoming)
    today: Any
    kafka_available: bool
    key: str
    route: Any  # the route that answered (``web.metrics`` counts answers by it)


def address(scope: Scope, locale: str) -> Address:
    host = b""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    return Address(scope.get("scheme", "http"), host, scope.get("root_path", "") + scope["path"],
                   scope.get("query_string", b""), locale)


class RenderCache:
    def __init__(self, max_bytes: int, addresses: int = 20_000) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._kept: OrderedDict[str, Rendered] = OrderedDict()
        self._addresses: OrderedDict[Address, Held] = OrderedDict()
        self._max_addresses = addresses

    def get(self, key: str) -> Rendered | None:
        found = self._kept.get(key)
        if found is None:
            self.misses += 1
            LOOKUPS_MISSED.inc()
            return None
        self.hits += 1
        LOOKUPS_HIT.inc()
        self._kept.move_to_end(key)
        return found

    def put(self, key: str, rendered: Rendered) -> None:
        if rendered.size > self.max_bytes // 8:  # one page never crowds out the rest
            return
        old = self._kept.pop(key, None)
        if old is not None:
            self.size -= old.size
        self._kept[key] = rendered
        self.size += rendered.size
        while self.size > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self.size -= dropped.size

    def remember(self, where: Address, held: Held) -> None:
        """``where`` was answered with the entry ``held.key``, read at ``held.generation``."""
        self._addresses[where] = held
        self._addresses.move_to_end(where)
        while len(self._addresses) > self._max_addresses:
            self._addresses.popitem(last=False)

    def held(self, where: Address) -> Held | None:
        return self._addresses.get(where)

    def __len__(self) -> int:
        return len(self._kept)


class KeptPage(Response):
    """A kept page as this request takes it: compressed or not, or 304 when the client
    holds it (``If-None-Match`` names either form). Sent as it is: the compressor
    (``web.site.Compress``) passes an answer that says its encoding."""

    media_type = HTML

    def __init__(self, rendered: Rendered, cache_control: str) -> None:
        self.rendered = rendered
        self.cache_control = cache_control
        super().__init__(b"", 200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer(self.rendered, self.cache_control, scope, send)


async def answer(rendered: Rendered, cache_control: str, scope: Scope, send: Send) -> None:
    if "http.response.debug" in scope.get("extensions", {}):  # the test client's view
        await send({"type": "http.response.debug",
                    "info": {"template": rendered.template, "context": rendered.context}})
    await send_kept(rendered, cache_control, scope, send)


async def send_kept(rendered: Rendered, cache_control: str, scope: Scope, send: Send) -> None:
    packed, match = False, None
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            packed = packed or accepts(value.decode("latin-1"), "gzip")
        elif name == b"if-none-match":
            match = value.decode("latin-1")
    etag = rendered.etag[:-1] + GZIP_SUFFIX + '"' if packed else rendered.etag
    headers = [(b"etag", etag.encode()), (b"cache-control", cache_control.encode()),
               (b"vary", VARY_BYTES)]
    if match is not None and (sent := matching(match, rendered.etag)) is not None:
        # the tag in the form the client holds (RFC 9110, 15.4.5)
        headers[0] = (b"etag", sent.encode())
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body = rendered.gzipped if packed else rendered.body
    headers += [(b"content-type", HTML_BYTES), (b"content-length", str(len(body)).encode())]
    if packed:
        headers.append((b"content-encoding", b"gzip"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_SESSION = SESSION_COOKIE.encode() + b"="


class VisitorLane:
    """The lane of a visitor's repeat view: a page every visitor shares, answered from the
    render cache before the middleware and the routing that do nothing for it.

    A browser without a session cookie asking again for a page that was kept (above)
    gets the kept bytes, compressed once, or a 304, when the read model's generation is
    still the one the page was answered at (and the minute, for pages that read the
    clock; the city's date; whether Kafka is reachable): one prepared read, no session
    or CSRF cookie parsing, no template, no compression. Anything else, or any doubt,
    goes the ordinary way, which answers the same and remembers the page for next time.
    Like ``web.api.events.IngestLane`` for ingest.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") \
                or scope["path"].startswith(COOKIELESS) or not await self._answered(scope, send):
            await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, send: Send) -> bool:
        cookie = language = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                if _SESSION in value:  # someone, perhaps: their own page, the ordinary way
                    return False
                cookie = value.decode("latin-1")
            elif name == b"accept-language":
                language = value.decode("latin-1")
        cache: RenderCache = scope["app"].state.render_cache
        held = cache.held(address(scope, i18n.choose(
            i18n.cookie_value(cookie), language)))
        if held is None:
            return False
        state = scope["app"].state
        if held.minute is not None and held.minute != int(time.time() // 60):
            return False
        if held.kafka_available != getattr(state, "kafka_available", True) \
                or held.today != clock.today(state.settings.timezone):
            return False
        engine = state.engine
        if await lookup(engine, db_generation, engine) != held.generation:
            return False
        kept = cache.get(held.key)
        if kept is None:
            return False
        scope["route"] = held.route
        await answer(kept, shared(state.settings.shared_cache_s), scope, send)
        return True
