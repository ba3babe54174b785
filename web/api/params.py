"""Query parameters and credentials shared by the feed endpoints."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from services.feeds.cursor import BadCursor, Cursor
from services.feeds.filters import FIELDS, FeedFilter
from services.identity.keys import Credential, credential_for_key
from services.readmodel.db import lookup
from web.problems import problem
from web.queries.filters import whole_number


class BadParameter(ValueError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason

    def response(self) -> Response:
        extra: dict[str, Any] = {"invalid-params": [{"name": self.name,
                                                     "reason": self.reason}]}
        return problem(400, "bad-query", "Bad query parameter", str(self), **extra)


def feed_filter(request: Request) -> FeedFilter:
    q = request.query_params
    try:
        return FeedFilter.from_lists({name: q.getlist(name) for name in FIELDS})
    except ValueError as exc:
        name, _, reason = str(exc).partition(": ")
        raise BadParameter(name, reason) from None


def cursor(request: Request, name: str = "after", header: str | None = None) -> Cursor:
    raw = request.headers.get(header) if header else None
    source = header if header and raw else name
    raw = raw or request.query_params.get(name)
    try:
        return Cursor.decode(raw)
    except BadCursor as exc:
        raise BadParameter(source, str(exc)) from None


def limit(request: Request, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return default
    number = whole_number(raw)
    if number is None or not 1 <= number <= maximum:
        raise BadParameter("limit", f"must be a whole number from 1 to {maximum}")
    return number


def bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


class Unauthorized(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def credential(request: Request, scope: str | None = None) -> Credential | None:
    """The caller's credential: None when anonymous (and ``scope`` is None).

    With ``scope``, a valid key holding that scope is required.
    """
    key = bearer(request)
    if key is None:
        if scope is None:
            return None
        raise Unauthorized(problem(401, "unauthenticated", "Authentication required",
                                   "send a node's API key as 'Authorization: Bearer <key>'",
                                   headers={"WWW-Authenticate": 'Bearer realm="gotong"'}))
    found = await lookup(request.app.state.engine, credential_for_key,
                         request.app.state.engine, key)
    if found is None:
        raise Unauthorized(problem(
            401, "bad-key", "Unknown API key", "the API key is not known, expired or was revoked",
            headers={"WWW-Authenticate": 'Bearer realm="gotong", error="invalid_token"'}))
    if scope is not None and scope not in found.scopes:
        raise Unauthorized(problem(
            403, "insufficient-scope", f"Key lacks the {scope!r} scope",
            f"this API key lacks the {scope!r} scope",
            headers={"WWW-Authenticate":
                     f'Bearer realm="gotong", error="insufficient_scope", scope="{scope}"'}))
    return found
