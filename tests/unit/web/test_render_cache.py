"""Pages kept for visitors: the same bytes for everyone, compressed once, and 304s."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

from web.render_cache import KeptPage, RenderCache, Rendered, shared

BODY = b"<p>" + b"halo " * 400 + b"</p>"
TAG = '"abc"'


def _rendered(body: bytes = BODY, tag: str = TAG) -> Rendered:
    return Rendered.of(body, tag, None, {"csrf_token": "x", "user": None})


def _answer(rendered: Rendered, *headers: tuple[bytes, bytes]) -> list[Any]:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": list(headers)}
    asyncio.run(KeptPage(rendered, shared(10))(scope, None, send))
    return sent


def test_a_kept_page_is_compressed_once_and_the_same_in_every_process() -> None:
    kept = _rendered()
    assert gzip.decompress(kept.gzipped) == BODY and kept.gzipped == _rendered().gzipped
    assert "csrf_token" not in kept.context  # a visitor's page holds none


def test_the_compressed_form_has_its_own_tag() -> None:
    start, body = _answer(_rendered(), (b"accept-encoding", b"gzip, br"))
    headers = dict(start["headers"])
    assert headers[b"content-encoding"] == b"gzip" and headers[b"etag"] == b'"abc-gz"'
    assert gzip.decompress(body["body"]) == BODY
    assert headers[b"cache-control"] == b"public, max-age=0, s-maxage=10"
    assert b"Cookie" in headers[b"vary"] and b"Accept-Encoding" in headers[b"vary"]
    start, body = _answer(_rendered())
    assert body["body"] == BODY and dict(start["headers"])[b"etag"] == TAG.encode()


def test_either_form_of_the_tag_is_answered_304_with_the_form_held() -> None:
    for held in (b'"abc"', b'"abc-gz"', b'W/"abc-gz"'):
        start, body = _answer(_rendered(), (b"accept-encoding", b"gzip"),
                              (b"if-none-match", held))
        assert start["status"] == 304 and body["body"] == b""
        assert dict(start["headers"])[b"etag"] == held
    start, _ = _answer(_rendered(), (b"if-none-match", b'"other"'))
    assert start["status"] == 200


def test_no_shared_cache_time_means_everyone_asks_again() -> None:
    assert shared(0) == "public, no-cache"


def test_the_cache_counts_both_forms_against_its_bound() -> None:
    one = _rendered()
    cache = RenderCache(max_bytes=8 * one.size)
    for n in range(9):
        cache.put(str(n), _rendered(tag=f'"{n}"'))
    assert cache.size <= cache.max_bytes and len(cache) == 8 and cache.get("0") is None
