"""Conditional GET: which requests a 304 answers (RFC 9110, section 13)."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request

from web.conditional import Sightings, Validators, digest, fresh_tag, headers

MODIFIED = dt.datetime(2026, 12, 2, 5, 36, 12, 250_000, tzinfo=dt.UTC)
CURRENT = Validators(digest("feed", [("usulan-1", 3, "2026-12-02T05:36:12.250Z")]), MODIFIED)


def is_fresh(request: Request, validators: Validators) -> bool:
    return fresh_tag(request, validators) is not None


def request(method: str = "GET", **sent: str) -> Request:
    raw = [(name.replace("_", "-").encode(), value.encode()) for name, value in sent.items()]
    return Request({"type": "http", "method": method, "path": "/feeds/proposals.atom",
                    "headers": raw, "query_string": b""})


def test_the_same_rows_give_the_same_tag_and_any_change_another() -> None:
    rows = [("usulan-1", 3, "2026-12-02T05:36:12.250Z")]
    assert digest("feed", rows) == CURRENT.etag
    assert digest("feed", [("usulan-1", 4, "2026-12-02T05:36:12.250Z")]) != CURRENT.etag
    assert digest("feed", [*rows, ("usulan-2", 1, "2026-12-02T06:00:00Z")]) != CURRENT.etag
    assert digest("feed", rows, "en") != digest("feed", rows, "id")
    assert CURRENT.etag.startswith('"') and CURRENT.etag.endswith('"')


def test_if_none_match_with_the_current_tag_in_any_form_is_fresh() -> None:
    tag = CURRENT.etag
    assert is_fresh(request(if_none_match=tag), CURRENT)
    assert is_fresh(request(if_none_match=f'"other", W/{tag}'), CURRENT)
    assert is_fresh(request(if_none_match=tag[:-1] + '-gz"'), CURRENT)  # the gzip form
    assert is_fresh(request(if_none_match="*"), CURRENT)
    assert is_fresh(request("HEAD", if_none_match=tag), CURRENT)


def test_the_304_names_the_form_of_the_tag_the_client_holds() -> None:
    compressed = CURRENT.etag[:-1] + '-gz"'
    assert fresh_tag(request(if_none_match=f'"old", {compressed}'), CURRENT) == compressed
    assert fresh_tag(request(if_none_match=CURRENT.etag), CURRENT) == CURRENT.etag
    assert fresh_tag(request(if_none_match="*"), CURRENT) == CURRENT.etag
    assert fresh_tag(request(if_none_match='"old"'), CURRENT) is None


def test_an_old_tag_or_an_unsafe_method_is_answered_in_full() -> None:
    assert not is_fresh(request(if_none_match='"old"'), CURRENT)
    assert not is_fresh(request("POST", if_none_match=CURRENT.etag), CURRENT)
    assert not is_fresh(request(), CURRENT)


def test_if_modified_since_counts_only_without_if_none_match() -> None:
    same_second = "Wed, 02 Dec 2026 05:36:12 GMT"
    assert is_fresh(request(if_modified_since=same_second), CURRENT)
    assert not is_fresh(request(if_modified_since="Wed, 02 Dec 2026 05:36:11 GMT"), CURRENT)
    # If-None-Match decides when both are sent
    assert not is_fresh(request(if_none_match='"old"', if_modified_since=same_second), CURRENT)
    assert not is_fresh(request(if_modified_since="yesterday"), CURRENT)
    assert not is_fresh(request(if_modified_since=same_second), Validators(CURRENT.etag))


def test_headers_say_the_tag_the_date_in_http_form_and_what_varies() -> None:
    found = headers(Validators(CURRENT.etag, MODIFIED, ("Accept-Language",)), "public, no-cache")
    assert found == {"ETag": CURRENT.etag, "Cache-Control": "public, no-cache",
                     "Last-Modified": "Wed, 02 Dec 2026 05:36:12 GMT",
                     "Vary": "Accept-Language"}


def test_a_date_is_given_only_a_second_after_the_tag_was_first_seen() -> None:
    seen = Sightings()
    assert seen.last_modified("/feeds/a.atom id", '"a"', now=1000.4) is None
    assert seen.last_modified("/feeds/a.atom id", '"a"', now=1001.0) is None
    first = seen.last_modified("/feeds/a.atom id", '"a"', now=1001.5)
    assert first == dt.datetime.fromtimestamp(1000, dt.UTC)
    assert seen.last_modified("/feeds/a.atom id", '"a"', now=5000) == first


def test_a_newer_tag_always_gets_a_later_date() -> None:
    """Content replaced within its first second never had a date given out, so a client
    holding it cannot send one that matches the newer content."""
    seen = Sightings()
    seen.last_modified("feed", '"a"', now=1000.1)
    assert seen.last_modified("feed", '"b"', now=1000.7) is None  # "a" never got a date
    assert seen.last_modified("feed", '"b"', now=1001.8) == dt.datetime.fromtimestamp(
        1000, dt.UTC)
    assert seen.last_modified("feed", '"c"', now=1003.2) is None
    later = seen.last_modified("feed", '"c"', now=1004.5)
    assert later is not None and later > dt.datetime.fromtimestamp(1000, dt.UTC)


def test_forgetting_a_resource_starts_it_again_from_now() -> None:
    seen = Sightings(size=2)
    for key in ("a", "b", "c"):
        seen.last_modified(key, '"x"', now=1000)
    assert seen.last_modified("a", '"x"', now=2000) is None  # forgotten: first seen again
    assert seen.last_modified("c", '"x"', now=2000) == dt.datetime.fromtimestamp(1000, dt.UTC)
