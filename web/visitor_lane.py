"""The lane of a visitor's repeat view: a page every visitor shares, answered from the
render cache before the middleware and the routing that do nothing for it.

A browser without a session cookie asking again for a page that was kept
(``web.render_cache``) gets the kept bytes, compressed once, or a 304, when the read
model's generation is still the one the page was answered at (and the minute, for
pages that read the clock; the city's date; whether Kafka is reachable): one prepared
read, no session or CSRF cookie parsing, no template, no compression. Anything else,
or any doubt, goes the ordinary way, which answers the same and remembers the page
for next time. Like ``web.api.events.IngestLane`` for ingest.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from services import clock
from services.readmodel.db import generation as db_generation
from services.readmodel.db import lookup
from web import i18n, render_cache
from web.security import COOKIELESS, SESSION_COOKIE

_SESSION = SESSION_COOKIE.encode() + b"="


class VisitorLane:
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
        cache: render_cache.RenderCache = scope["app"].state.render_cache
        held = cache.held(render_cache.address(scope, i18n.choose(
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
        await render_cache.answer(kept, render_cache.shared(state.settings.shared_cache_s),
                                  scope, send)
        return True
