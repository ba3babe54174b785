"""``GET /api/v1/search``: full-text search of proposals, comments, meetings and
commitments, the twin of the ``/search`` page."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.api.params import BadParameter
from web.api.reads import page_of, paged
from web.queries import search as queries
from web.queries.search_terms import parse


async def search(request: Request) -> Response:
    typed = (request.query_params.get("q") or "").strip()
    try:
        if not typed:
            raise BadParameter("q", "is required: the words to search for")
        limit, offset = page_of(request, 20, 100)
        filters, errors = queries.parse_filters(request.query_params)
        for name, reason in errors.items():
            raise BadParameter(name, reason)
    except BadParameter as exc:
        return exc.response()
    hits, total = await asyncio.to_thread(queries.search, request.app.state.engine,
                                          parse(typed), filters, limit=limit, offset=offset)
    return paged(request, [hit.as_json() for hit in hits], total, limit, offset)


routes = [Route("/api/v1/search", search, name="api_search")]
