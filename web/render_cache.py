"""Rendered pages kept by what they show: a repeat view of an unchanged page is a lookup.

A page is a pure function of the rows it shows (named by their versions, as for its
ETag), the URL, the language, the city's date, the code that renders it and the
viewer. Only pages for people who are not signed in are kept, and of what differs
between such visitors there is one thing: the CSRF token in the page's forms (the
language switcher, the login link's form), bound to each browser. The page is
rendered once with a placeholder where the token goes, kept under a key made of
everything else, and each visitor gets it with their own token put in. A signed-in
person's page (their name, their forms, "you endorsed") is never kept, so it is never
served to anyone else.

Bounded in bytes, least recently used first out. The key names the content, so an
entry is never stale: a change to the page's rows makes a new key, and the old
entry ages out. A thread's key holds the versions of what it shows (as its ETag);
the other pages' (``web.pages.browse.kept_for_visitors``) the read model's generation, which
any projected write changes, and the minute.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from web.metrics import RENDER_CACHE

LOOKUPS_HIT, LOOKUPS_MISSED = RENDER_CACHE.labels("hit"), RENDER_CACHE.labels("miss")

#: what the page holds where the visitor's token goes: random per process, letters and
#: digits only (so escaping leaves it as it is), and never guessed by a page's author
TOKEN_PLACEHOLDER = "csrf" + secrets.token_hex(16)


@dataclass(frozen=True)
class Rendered:
    body: bytes  # with TOKEN_PLACEHOLDER where the visitor's token goes
    template: Any  # for tests (Starlette's http.response.debug): what rendered it
    context: dict[str, Any]


class RenderCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._kept: OrderedDict[str, Rendered] = OrderedDict()

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
        if len(rendered.body) > self.max_bytes // 8:  # one page never crowds out the rest
            return
        old = self._kept.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self._kept[key] = rendered
        self.size += len(rendered.body)
        while self.size > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self.size -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._kept)


class CachedPage(HTMLResponse):
    """A kept page, with the visitor's own CSRF token put in."""

    def __init__(self, rendered: Rendered, token: str, status_code: int = 200,
                 headers: dict[str, str] | None = None,
                 background: BackgroundTask | None = None) -> None:
        self.rendered = rendered
        self.token = token
        body = rendered.body.replace(TOKEN_PLACEHOLDER.encode(), token.encode())
        super().__init__(body, status_code, headers, background=background)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "http.response.debug" in scope.get("extensions", {}):  # the test client's view
            await send({"type": "http.response.debug",
                        "info": {"template": self.rendered.template,
                                 "context": {**self.rendered.context,
                                             "csrf_token": self.token}}})
        await super().__call__(scope, receive, send)
