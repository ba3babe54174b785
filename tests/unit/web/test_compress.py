"""Responses compressed as the client accepts: brotli, else gzip, else as they are; each
compressed form with an ETag of its own that still matches in ``If-None-Match``."""

from __future__ import annotations

import brotli
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from web.conditional import Validators, accepts, fresh_tag
from web.site import Compress

BODY = ("<p>Pelatihan menjahit untuk ibu-ibu di kelurahan Bitung Tengah.</p>\n" * 60).encode()
TAG = '"abc123"'


async def page(request: Request) -> Response:
    validators = Validators(TAG)
    if (sent := fresh_tag(request, validators)) is not None:
        return Response(status_code=304, headers={"ETag": sent})
    return Response(BODY, media_type="text/html", headers={"ETag": TAG})


async def stream(_request: Request) -> Response:
    async def parts():  # type: ignore[no-untyped-def]
        for _ in range(3):
            yield BODY

    return StreamingResponse(parts(), media_type="application/json")


def client() -> TestClient:
    app = Starlette(routes=[Route("/", page), Route("/stream", stream)])
    return TestClient(Compress(app))


@pytest.mark.parametrize(("header", "coding", "accepted"), [
    ("gzip, deflate, br, zstd", "br", True),
    ("br;q=0.5, gzip", "br", True),
    ("gzip, br;q=0", "br", False),
    ("BR", "br", True),
    ("gzip", "br", False),
    ("*", "br", False),
    ("", "gzip", False),
    ("gzip;q=bad", "gzip", False),
])
def test_accept_encoding_is_read_by_name_and_quality(header: str, coding: str,
                                                     accepted: bool) -> None:
    assert accepts(header, coding) is accepted


def test_a_brotli_client_gets_brotli_with_its_own_tag() -> None:
    answer = client().get("/", headers={"Accept-Encoding": "gzip, br"})
    assert answer.headers["content-encoding"] == "br"
    assert answer.headers["etag"] == '"abc123-br"'
    assert "accept-encoding" in answer.headers["vary"].lower()
    assert answer.content == BODY  # (decoded by the client)
    assert int(answer.headers["content-length"]) < len(BODY) // 5


def test_a_gzip_client_gets_gzip_and_others_the_body_as_it_is() -> None:
    gzipped = client().get("/", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.headers["etag"] == '"abc123-gz"'
    plain = client().get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["etag"] == TAG
    assert gzipped.content == plain.content == BODY


@pytest.mark.parametrize("held", ['"abc123-br"', '"abc123-gz"', '"abc123"'])
def test_every_form_of_the_tag_is_answered_304(held: str) -> None:
    answer = client().get("/", headers={"Accept-Encoding": "gzip, br", "If-None-Match": held})
    assert answer.status_code == 304


def test_a_stream_is_compressed_chunk_by_chunk_and_ends_whole() -> None:
    with client().stream("GET", "/stream", headers={"Accept-Encoding": "br"}) as answer:
        assert answer.headers["content-encoding"] == "br"
        raw = b"".join(answer.iter_raw())
    assert brotli.decompress(raw) == BODY * 3
