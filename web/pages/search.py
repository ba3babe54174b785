"""``/search``: full-text search of proposals, comments, meetings and commitments, with
the same filters as the API (``/api/v1/search``); a wrong filter is left out."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.domain.search import KINDS
from web.queries import board as board_data
from web.queries import search as queries
from web.queries import threads as thread_data
from web.queries.search_terms import MAX_QUERY, parse
from web.templating import templates

PAGE_SIZE = 20


async def search(request: Request) -> Response:
    engine = request.app.state.engine
    q = request.query_params
    typed = (q.get("q") or "").strip()[:MAX_QUERY]
    filters, _ = queries.parse_filters(q)
    page = board_data.parse_page(q)
    hits: list[queries.Hit] = []
    total = 0
    if typed:
        hits, total = await asyncio.to_thread(queries.search, engine, parse(typed), filters,
                                              limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    forums = await asyncio.to_thread(thread_data.forums, engine)
    context = {
        "q": typed, "filters": filters, "hits": hits, "total": total, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "kinds": KINDS,
        "statuses": queries.STATUSES,
        "forum_titles": {f["id"]: f["title"] for f in forums},
        "node_names": await asyncio.to_thread(board_data.node_names, engine),
        "programs": await asyncio.to_thread(thread_data.programs, engine),
    }
    return templates.TemplateResponse(request, "search.html", context)


routes = [Route("/search", search, name="search")]
