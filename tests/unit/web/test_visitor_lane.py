"""The visitor lane answers a kept page only for a browser without a session, only while
the read model's generation (and the minute, the date, Kafka's state) holds."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace
from typing import Any

import pytest

from services import clock
from tests.support.lanes import through
from web import render_cache
from web.render_cache import Held, RenderCache, Rendered

PATH = "/proposals/usulan-1"


def _app(generation: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    async def lookup(engine: Any, read: Any, *args: Any) -> str:
        return generation

    monkeypatch.setattr(render_cache, "lookup", lookup)
    settings = SimpleNamespace(timezone="Asia/Makassar", shared_cache_s=10)
    return SimpleNamespace(state=SimpleNamespace(
        render_cache=RenderCache(2**20), engine=None, settings=settings, kafka_available=True))


def _keep(app: Any, generation: str = "g1", minute: int | None = None,
          day: dt.date | None = None) -> None:
    cache: RenderCache = app.state.render_cache
    cache.put("k", Rendered.of(b"<p>kept</p>" * 200, '"k"', None, {}))
    where = render_cache.address(_scope(app), "id")
    cache.remember(where, Held(generation, minute, day or clock.today("Asia/Makassar"), True,
                               "k", None))


def _scope(app: Any, *headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "scheme": "http", "path": PATH, "root_path": "",
            "query_string": b"", "app": app,
            "headers": [(b"host", b"example.org"), *headers]}


def _ask(app: Any, *headers: tuple[bytes, bytes]) -> tuple[bool, list[Any]]:
    """(whether the ordinary way was taken, what was sent)"""
    return through(render_cache.VisitorLane, _scope(app, *headers))


def test_a_visitor_gets_the_kept_page_without_the_ordinary_way(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app("g1", monkeypatch)
    _keep(app)
    ordinary, sent = _ask(app, (b"cookie", b"gotong_csrf=abc; lang=id"))
    assert not ordinary and sent[0]["status"] == 200 and sent[1]["body"].startswith(b"<p>kept")
    ordinary, sent = _ask(app, (b"if-none-match", b'"k"'))
    assert not ordinary and sent[0]["status"] == 304


def test_a_session_cookie_always_goes_the_ordinary_way(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app("g1", monkeypatch)
    _keep(app)
    ordinary, sent = _ask(app, (b"cookie", b"lang=id; gotong_session=someone"))
    assert ordinary and not sent


def test_a_new_generation_minute_or_day_goes_the_ordinary_way(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app("g2", monkeypatch)
    _keep(app, generation="g1")
    assert _ask(app)[0]
    app = _app("g1", monkeypatch)
    _keep(app, minute=int(time.time() // 60) - 5)
    assert _ask(app)[0]
    app = _app("g1", monkeypatch)
    _keep(app, day=dt.date(2000, 1, 1))
    assert _ask(app)[0]


def test_another_language_is_another_page(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app("g1", monkeypatch)
    _keep(app)  # kept for "id"
    assert _ask(app, (b"accept-language", b"en-US,en;q=0.9"))[0]
    assert _ask(app, (b"cookie", b"lang=en"))[0]
    assert not _ask(app, (b"accept-language", b"id"))[0]
