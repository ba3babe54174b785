"""Conditional GET: which requests a 304 answers (RFC 9110, section 13)."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request

from web.conditional import Validators, digest, fresh_tag, headers, is_fresh, newest

MODIFIED = dt.datetime(2026, 12, 2, 5, 36, 12, 250_000, tzinfo=dt.UTC)
CURRENT = Validators(digest("feed", [("usulan-1", 3, "2026-12-02T05:36:12.250Z")]), MODIFIED)


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


def test_newest_reads_the_read_models_moments() -> None:
    assert newest(["2026-12-01T10:00:00Z", None, "2026-12-02T05:36:12.250+00:00", ""]) == MODIFIED
    assert newest([]) is None
    assert newest(["not a date"]) is None
