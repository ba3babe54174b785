"""Conditional GET (RFC 9110, section 13): validators made from the versions of the rows
a response shows, and the 304 that answers a client who already has them.

Every projected row carries its aggregate's ``version``, which only grows, and rows are
never deleted (a rebuild writes them again with the same versions and content). So the
(id, version) pairs of the rows a response shows, with whatever else it depends on (the
language, the city's date, the URL, the code that renders it), name its content
exactly: the ETag is their digest, and it is compared before the response's own
queries and its rendering run. ``Last-Modified`` comes from the server's clock
(``Sightings``), not from the rows.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

#: Feeds, calendars and open data are public and polled: a cache may keep them, but
#: revalidates every time (a 304 costs a few index reads), so nobody reads a stale one.
PUBLIC_REVALIDATE = "public, no-cache"
#: what ``web.site.Compress`` appends to the ETag of a compressed form of a response (a
#: strong validator names one sequence of bytes; every form matches in ``If-None-Match``)
GZIP_SUFFIX = "-gz"
BROTLI_SUFFIX = "-br"
SUFFIXES = {"gzip": GZIP_SUFFIX, "br": BROTLI_SUFFIX}


@dataclass(frozen=True)
class Validators:
    etag: str  # quoted, strong
    last_modified: dt.datetime | None = None
    vary: tuple[str, ...] = ()
    seen_as: str | None = None  # the resource's key in SIGHTINGS, when it gave the date

    def refreshed(self) -> Validators:
        """The same tag with ``Last-Modified`` asked again of the sightings (it is given
        only a second after a tag was first seen)."""
        if self.seen_as is None:
            return self
        return replace(self, last_modified=SIGHTINGS.last_modified(self.seen_as, self.etag))


def digest(*parts: object) -> str:
    """A strong ETag for ``parts`` (JSON-encodable: strings, numbers, lists of rows)."""
    encoded = orjson.dumps(parts, default=str, option=orjson.OPT_NON_STR_KEYS)
    return '"' + hashlib.blake2b(encoded, digest_size=16).hexdigest() + '"'


class Sightings:
    """``Last-Modified`` from this process's own clock: when it first answered a resource
    (a URL in a language) with its current ETag.

    The rows' own times cannot serve: an event's time is its publisher's (a late or
    skewed one is older than what it changes), a row leaving a filtered feed leaves no
    time, and two changes can share a second. A date is given only a second after the
    tag was first seen, so the date of a tag that was replaced within its first second
    is never given out, and the date of a newer tag is always a later second than that
    of any older one, whichever process (``gotong web --workers N``) gave either: an
    ``If-Modified-Since`` never matches content the client does not hold. A process that
    forgets a resource (restart, or more than ``size`` of them) starts again from now,
    which costs an extra 200, never a stale 304.
    """

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def last_modified(self, key: str, etag: str, now: float | None = None
                      ) -> dt.datetime | None:
        now = time.time() if now is None else now
        held = self._seen.get(key)
        if held is None or held[0] != etag:
            self._seen[key] = (etag, now)
            self._seen.move_to_end(key)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return None
        self._seen.move_to_end(key)
        first = held[1]
        if now - first < 1.0:
            return None
        return dt.datetime.fromtimestamp(math.floor(first), dt.UTC)


SIGHTINGS = Sightings()


class KeptValidators:
    """Validators kept per resource with the read-model generation they were computed at
    (``services.readmodel.db.generation``): while nothing was committed since, a
    conditional GET is answered without the queries that make them. Bounded, least
    recently used first out."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[Any, ...], tuple[Any, Validators | None]] = OrderedDict()

    def get(self, key: tuple[Any, ...], generation: Any) -> tuple[bool, Validators | None]:
        """(found, validators): found only if kept at this very generation."""
        held = self._kept.get(key)
        if held is None or generation is None or held[0] != generation:
            return False, None
        self._kept.move_to_end(key)
        return True, held[1]

    def put(self, key: tuple[Any, ...], generation: Any, validators: Validators | None) -> None:
        if generation is None:
            return
        self._kept[key] = (generation, validators)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


def rendering(*roots: Path) -> str:
    """A digest of the code and the translations that turn rows into documents: part of
    every tag, so that a new release does not answer 304 for the old rendering."""
    hashed = hashlib.blake2b(digest_size=8)
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".mo", ".html") and path.is_file():
                hashed.update(path.relative_to(root).as_posix().encode())
                hashed.update(path.read_bytes())
    return hashed.hexdigest()


#: the site's own code, templates and translations (``web/``): read once, at import
SITE_RENDERING = rendering(Path(__file__).resolve().parent)


def accepts(header: str, coding: str) -> bool:
    """Whether an ``Accept-Encoding`` header accepts ``coding`` by name (RFC 9110, 12.5.3:
    a ``q`` of 0 refuses it; ``*`` is not taken as a yes)."""
    for part in header.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() != coding:
            continue
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def matching(header: str, etag: str) -> str | None:
    """The entity tag of an ``If-None-Match`` header that names ``etag``, as the client
    sent it: weak or strong (the weak comparison RFC 9110 asks for here), plain or with
    the compressed form's suffix; ``*`` names any."""
    for part in header.split(","):
        sent = part.strip()
        tag = sent.removeprefix("W/")
        for suffix in SUFFIXES.values():
            if tag.endswith(suffix + '"'):
                tag = tag[: -len(suffix) - 1] + '"'
        if tag == etag:
            return sent
        if sent == "*":
            return etag
    return None


def fresh_tag(request: Request, validators: Validators) -> str | None:
    """The ETag to answer 304 with, when the client holds the current representation;
    else None."""
    headers = request.headers
    return fresh(request.method, headers.get("if-none-match"), headers.get("if-modified-since"),
                 validators)


def fresh(method: str, if_none_match: str | None, if_modified_since: str | None,
          validators: Validators) -> str | None:
    """``fresh_tag`` of a request's method and conditional headers. ``If-None-Match``
    decides when it is sent; ``If-Modified-Since`` only without it (RFC 9110, 13.2.2)."""
    if method not in ("GET", "HEAD"):
        return None
    if if_none_match is not None:
        return matching(if_none_match, validators.etag)
    if if_modified_since and validators.last_modified is not None:
        try:
            moment = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return None  # an unreadable date is ignored, as the RFC says
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        if validators.last_modified.replace(microsecond=0) <= moment:
            return validators.etag
    return None


def headers(validators: Validators, cache_control: str) -> dict[str, str]:
    found = {"ETag": validators.etag, "Cache-Control": cache_control}
    if validators.last_modified is not None:
        found["Last-Modified"] = email.utils.format_datetime(
            validators.last_modified.astimezone(dt.UTC), usegmt=True)
    if validators.vary:
        found["Vary"] = ", ".join(validators.vary)
    return found


def not_modified(validators: Validators, tag: str | None = None,
                 cache_control: str = PUBLIC_REVALIDATE) -> Response:
    """304: no body, and the headers a 200 would have carried (RFC 9110, 15.4.5): the ETag
    in the form the client holds (``tag``: compressed or not), and the compressor's
    ``Vary: Accept-Encoding``."""
    found = headers(validators, cache_control)
    if tag is not None:
        found["ETag"] = tag
    found["Vary"] = ", ".join((*validators.vary, "Accept-Encoding"))
    return Response(status_code=304, headers=found)


def stamped(response: Response, validators: Validators,
            cache_control: str = PUBLIC_REVALIDATE) -> Response:
    for name, value in headers(validators, cache_control).items():
        if name == "Vary" and "vary" in response.headers:
            value = f"{response.headers['vary']}, {value}"
        response.headers[name] = value
    return response
