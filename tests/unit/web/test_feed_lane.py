"""The feed lane answers a poll 304 only in the words ``_conditional`` answered before,
only while the read model's generation and the city's date hold, and only to a client
that holds the current document."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from services import clock
from tests.support.lanes import through
from web.conditional import Validators
from web.feeds import polls

PATH = "/feeds/proposals.atom"
TAG = '"abc"'


def _app(generation: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    async def lookup(engine: Any, read: Any, *args: Any) -> str:
        return generation

    monkeypatch.setattr(polls, "lookup", lookup)
    monkeypatch.setattr(polls, "KEPT", polls.conditional.KeptValidators())
    monkeypatch.setattr(polls, "POLLED", polls.OrderedDict())
    settings = SimpleNamespace(timezone="Asia/Makassar")
    return SimpleNamespace(state=SimpleNamespace(engine=None, settings=settings))


def _scope(app: Any, *headers: tuple[bytes, bytes], query: bytes = b"") -> dict[str, Any]:
    return {"type": "http", "method": "GET", "scheme": "http", "path": PATH, "root_path": "",
            "query_string": query, "app": app, "route": "atom-route",
            "headers": [(b"host", b"example.org"), *headers]}


def _polled(app: Any, generation: str = "g1", day: dt.date | None = None) -> None:
    """What ``_conditional`` leaves after answering a poll of PATH in Indonesian."""
    key = ("http://example.org" + PATH, "id", day or clock.today("Asia/Makassar"))
    polls.KEPT.put(key, generation, Validators(TAG, vary=("Accept-Language", "Cookie")))
    polls.remember(_scope(app, (b"if-none-match", TAG.encode())), key)


def _ask(app: Any, *headers: tuple[bytes, bytes], query: bytes = b"",
         method: str = "GET") -> tuple[bool, list[Any], dict[str, Any]]:
    """(whether the ordinary way was taken, what was sent, the scope)"""
    scope = _scope(app, *headers, query=query)
    scope["method"] = method
    scope.pop("route")
    return (*through(polls.FeedLane, scope), scope)


def test_a_poll_in_the_same_words_is_answered_304_with_the_validators(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app("g1", monkeypatch)
    _polled(app)
    for method in ("GET", "HEAD"):
        ordinary, sent, scope = _ask(app, (b"if-none-match", b'W/"abc-gz"'), method=method)
        assert not ordinary and sent[0]["status"] == 304
        headers = dict(sent[0]["headers"])
        assert headers[b"etag"] == b'W/"abc-gz"'  # the form the client holds
        assert headers[b"cache-control"] == b"public, no-cache"
        assert headers[b"vary"] == b"Accept-Language, Cookie, Accept-Encoding"
        assert scope["route"] == "atom-route"  # the metrics name it by its route


def test_a_changed_read_model_or_date_goes_the_ordinary_way(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app("g2", monkeypatch)
    _polled(app, generation="g1")
    assert _ask(app, (b"if-none-match", TAG.encode()))[0]
    app = _app("g1", monkeypatch)
    _polled(app, day=clock.today("Asia/Makassar") - dt.timedelta(days=1))
    assert _ask(app, (b"if-none-match", TAG.encode()))[0]


def test_other_words_an_older_tag_or_no_condition_go_the_ordinary_way(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app("g1", monkeypatch)
    _polled(app)
    assert _ask(app, (b"if-none-match", b'"older"'))[0]
    assert _ask(app)[0]
    # another language, by header, cookie or query: another document
    assert _ask(app, (b"if-none-match", TAG.encode()), (b"accept-language", b"en"))[0]
    assert _ask(app, (b"if-none-match", TAG.encode()), (b"cookie", b"lang=en"))[0]
    assert _ask(app, (b"if-none-match", TAG.encode()), query=b"lang=en")[0]
    assert not _ask(app, (b"if-none-match", TAG.encode()))[0]
