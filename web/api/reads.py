"""The read API, the site's twin: forums, proposals, meetings, commitments and nodes as JSON.

Each endpoint parses its query, reads the read model in a thread
(``web.queries.records``) and answers JSON. A list is a page: ``items``, ``total``,
``limit``, ``offset`` and ``next``, the URL of the following page with the same
filters (null on the last one). A bad parameter is a 400 whose problem names it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.catalog import NODE_REGISTERED
from services import clock
from services.domain.base import utc
from services.feeds.privacy import PRIVATE_FIELDS
from web.api import params
from web.api.params import BadParameter
from web.i18n import today
from web.problems import JSONResponse, problem
from web.queries import records as queries

DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
                     re.ASCII)
# the ends of what the read model's times can say, in its format (a bound past them)
EARLIEST, LATEST = "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z"
NODE_PRIVATE = PRIVATE_FIELDS[NODE_REGISTERED]


def _int_param(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise BadParameter(name, "must be a whole number >= 0")
    digits = raw.lstrip("0")
    # (past 18 digits it is past any maximum; int() refuses numbers of thousands of digits)
    return min(int(digits or "0"), maximum) if len(digits) <= 18 else maximum


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in {"1", "true", "yes"}:
        return True
    if raw.lower() in {"0", "false", "no"}:
        return False
    raise BadParameter(name, "must be true or false")


def page_of(request: Request, default: int, maximum: int) -> tuple[int, int]:
    """The page a list is asked for: (limit, by default ``default``, at most ``maximum``;
    offset)."""
    return (_int_param(request, "limit", default, maximum),
            _int_param(request, "offset", 0, 10**9))


def _starts_bound(request: Request, name: str, tz: str, *, end: bool = False) -> str | None:
    """The parameter ``name`` as a bound on a meeting's ``starts_at``, in the read model's
    format: a date is a day in the city (``tz``), a time (RFC 3339) an instant. The lower
    bound is inclusive; with ``end``, the bound is exclusive and includes the day (its
    next midnight) or the instant (the next microsecond, the read model's precision)."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    is_date = DATE.fullmatch(raw) is not None
    if not is_date and not RFC3339.fullmatch(raw):
        raise BadParameter(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time "
                                 "(2030-01-31T09:00:00+08:00)")
    try:
        if is_date:
            day = dt.date.fromisoformat(raw) + dt.timedelta(days=1 if end else 0)
            moment = dt.datetime.combine(day, dt.time(), clock.zone(tz))
        else:
            moment = dt.datetime.fromisoformat(raw.upper().replace(" ", "T"))
            moment += dt.timedelta(microseconds=1 if end else 0)
        return utc(moment.isoformat())
    except OverflowError:  # a moment at the very ends of the calendar
        return EARLIEST if raw.startswith("0001") else LATEST
    except ValueError:
        raise BadParameter(name, f"{raw!r} is not a real date or time") from None


def paged(request: Request, items: list[dict[str, Any]], total: int, limit: int,
          offset: int) -> Response:
    """A page of a list, with the link to the next page (the same query, the next offset)."""
    following = offset + limit
    next_url = None
    if limit and following < total:
        kept = [(k, v) for k, v in request.query_params.multi_items()
                if k not in ("limit", "offset")]
        query = urlencode([*kept, ("limit", str(limit)), ("offset", str(following))])
        next_url = f"{request.url.path}?{query}"
    return JSONResponse({"items": items, "total": total, "limit": limit, "offset": offset,
                         "next": next_url})


def not_found(what: str, given: str) -> Response:
    """The 404 of a thing the read model does not hold, naming it."""
    return problem(404, "not-found", f"No such {what}", f"no {what} {given!r}")


async def list_forums(request: Request) -> Response:
    q = request.query_params
    try:
        limit, offset = page_of(request, 100, 1000)
    except BadParameter as exc:
        return exc.response()
    items, total = await asyncio.to_thread(
        queries.list_forums, request.app.state.engine, program=q.get("program"),
        area=q.get("area"), limit=limit, offset=offset)
    return paged(request, items, total, limit, offset)


async def get_forum(request: Request) -> Response:
    forum_id = request.path_params["id"]
    now = utc(dt.datetime.now(dt.UTC).isoformat())
    data = await asyncio.to_thread(queries.get_forum, request.app.state.engine, forum_id, now)
    return not_found("forum", forum_id) if data is None else JSONResponse(data)


async def list_proposals(request: Request) -> Response:
    q = request.query_params
    try:
        limit, offset = page_of(request, 50, 500)
    except BadParameter as exc:
        return exc.response()
    items, total = await asyncio.to_thread(
        queries.list_proposals, request.app.state.engine, forum=q.get("forum"),
        status=q.get("status"), node=q.get("node"), program=q.get("program"),
        limit=limit, offset=offset)
    return paged(request, items, total, limit, offset)


async def get_proposal(request: Request) -> Response:
    proposal_id = request.path_params["id"]
    data = await asyncio.to_thread(queries.get_proposal, request.app.state.engine, proposal_id,
                                   today(request))
    return not_found("proposal", proposal_id) if data is None else JSONResponse(data)


async def list_meetings(request: Request) -> Response:
    tz = request.app.state.settings.timezone
    try:
        limit, offset = page_of(request, 100, 1000)
        starts_from = _starts_bound(request, "from", tz)
        starts_before = _starts_bound(request, "to", tz, end=True)
    except BadParameter as exc:
        return exc.response()
    items, total = await asyncio.to_thread(
        queries.list_meetings, request.app.state.engine,
        forum=request.query_params.get("forum"), starts_from=starts_from,
        starts_before=starts_before, limit=limit, offset=offset)
    return paged(request, items, total, limit, offset)


async def get_meeting(request: Request) -> Response:
    meeting_id = request.path_params["id"]
    data = await asyncio.to_thread(queries.get_meeting, request.app.state.engine, meeting_id,
                                   today(request))
    return not_found("meeting", meeting_id) if data is None else JSONResponse(data)


async def list_commitments(request: Request) -> Response:
    q = request.query_params
    try:
        limit, offset = page_of(request, 100, 1000)
        overdue = _bool_param(request, "overdue")
    except BadParameter as exc:
        return exc.response()
    items, total = await asyncio.to_thread(
        queries.list_commitments, request.app.state.engine, today(request),
        owner=q.get("owner"), status=q.get("status"), overdue=overdue,
        proposal=q.get("proposal"), meeting=q.get("meeting"), limit=limit, offset=offset)
    return paged(request, items, total, limit, offset)


async def get_commitment(request: Request) -> Response:
    item_id = request.path_params["id"]
    data = await asyncio.to_thread(queries.get_commitment, request.app.state.engine, item_id,
                                   today(request))
    return not_found("commitment", item_id) if data is None else JSONResponse(data)


async def _sees_private(request: Request) -> bool:
    """Whether the caller's key holds ``read_private`` (raises Unauthorized for a bad key)."""
    credential = await params.credential(request)
    return credential is not None and "read_private" in credential.scopes


def _shown(node: dict[str, Any], private: bool) -> dict[str, Any]:
    """A node as the caller may see it: the feeds' private fields only with read_private."""
    return node if private else node | dict.fromkeys(NODE_PRIVATE)


async def list_nodes(request: Request) -> Response:
    try:
        limit, offset = page_of(request, 500, 1000)
        private = await _sees_private(request)
    except BadParameter as exc:
        return exc.response()
    except params.Unauthorized as exc:
        return exc.response
    items, total = await asyncio.to_thread(queries.list_nodes, request.app.state.engine,
                                           request.query_params.get("kind"), limit=limit,
                                           offset=offset)
    return paged(request, [_shown(n, private) for n in items], total, limit, offset)


async def get_node(request: Request) -> Response:
    node_id = request.path_params["id"]
    try:
        private = await _sees_private(request)
    except params.Unauthorized as exc:
        return exc.response
    data = await asyncio.to_thread(queries.get_node, request.app.state.engine, node_id,
                                   today(request), request.app.state.settings.timezone)
    return not_found("node", node_id) if data is None else JSONResponse(_shown(data, private))


routes = [
    Route("/api/v1/forums", list_forums, name="api_forums"),
    Route("/api/v1/forums/{id}", get_forum, name="api_forum"),
    Route("/api/v1/proposals", list_proposals, name="api_proposals"),
    Route("/api/v1/proposals/{id}", get_proposal, name="api_proposal"),
    Route("/api/v1/meetings", list_meetings, name="api_meetings"),
    Route("/api/v1/meetings/{id}", get_meeting, name="api_meeting"),
    Route("/api/v1/commitments", list_commitments, name="api_commitments"),
    Route("/api/v1/commitments/{id}", get_commitment, name="api_commitment"),
    Route("/api/v1/nodes", list_nodes, name="api_nodes"),
    Route("/api/v1/nodes/{id}", get_node, name="api_node"),
]
