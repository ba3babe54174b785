"""A feed reader's poll answered 304 before the middleware and the router.

``web.feeds.documents`` keeps each document's validators in ``KEPT`` while the read
model is unchanged (agencies poll feeds every few minutes and most polls find nothing
new), and ``remember``s what each conditional request it answered was known by there.
``FeedLane`` answers the same poll again from them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from services import clock
from services.readmodel.db import generation as db_generation
from services.readmodel.db import lookup
from web import conditional, i18n
from web.metrics import FEED_LANE
from web.render_cache import Address, address

#: where ``web.feeds.documents`` answers conditional requests, and ``FeedLane`` looks first
POLLED_PATHS = ("/feeds/", "/data/")
#: each document's validators, by (URL, language, the city's date), with the read
#: model's generation they were computed at
KEPT = conditional.KeptValidators()
#: what ``KEPT`` knows a conditional request by, and its route, per request as it came
#: (``render_cache.address``)
POLLED: OrderedDict[Address, tuple[tuple[Any, ...], Any]] = OrderedDict()
POLLED_SIZE = 20_000


def remember(scope: Scope, key: tuple[Any, ...]) -> None:
    """What ``_conditional`` answered a poll under, for the same poll next time."""
    asked_as = _asked(scope)[0]
    POLLED[asked_as] = (key, scope.get("route"))
    POLLED.move_to_end(asked_as)
    while len(POLLED) > POLLED_SIZE:
        POLLED.popitem(last=False)


def _asked(scope: Scope) -> tuple[Address, str | None, str | None]:
    """The request as it came (with the language ``LocaleMiddleware`` picks from it;
    the query holds ``?lang=``), its ``If-None-Match`` and its ``If-Modified-Since``."""
    # each header as the ordinary way reads it: the locale's from the last of each
    # (``LocaleMiddleware``), the conditions from the first (Starlette's ``Headers.get``)
    cookie = language = match = since = None
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookie = value.decode("latin-1")
        elif name == b"accept-language":
            language = value.decode("latin-1")
        elif name == b"if-none-match" and match is None:
            match = value.decode("latin-1")
        elif name == b"if-modified-since" and since is None:
            since = value.decode("latin-1")
    return address(scope, i18n.choose(i18n.cookie_value(cookie), language)), match, since


class FeedLane:
    """The lane of a feed reader's poll: a conditional GET of a feed, calendar or open
    data file answered 304 before the middleware and routing that do nothing for it.

    Agencies' systems and feed readers poll every few minutes and most polls find
    nothing new. A poll that comes in the same words as one ``_conditional`` answered
    (URL, language, and so the same document) while the read model's generation is the
    one its validators were kept at, and the city's date the same, is answered from
    ``KEPT`` here: one prepared read, no Request, no routing. Anything else, or a client
    that does not hold the current document, goes the ordinary way, which answers the
    same. Like ``web.render_cache.VisitorLane`` for pages.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") \
                or not scope["path"].startswith(POLLED_PATHS) \
                or not await self._answered(scope, receive, send):
            await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, receive: Receive, send: Send) -> bool:
        asked_as, match, since = _asked(scope)
        if match is None and since is None:
            return False
        polled = POLLED.get(asked_as)
        if polled is None:
            return False
        key, route = polled
        state = scope["app"].state
        if key[2] != clock.today(state.settings.timezone):
            return False
        engine = state.engine
        found, validators = KEPT.get(key, await lookup(engine, db_generation, engine))
        if not found or validators is None:
            return False
        validators = validators.refreshed()
        tag = conditional.fresh(scope["method"], match, since, validators)
        if tag is None:
            return False
        scope["route"] = route
        await conditional.not_modified(validators, tag)(scope, receive, send)
        FEED_LANE.inc()
        return True
