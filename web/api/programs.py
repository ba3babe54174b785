"""The read API of programs, the twin of ``/programs``: each program's definition with the
latest figure and progress of its indicators, the proposals and commitments serving it,
and an indicator's series by period and by area."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.api.params import BadParameter
from web.api.reads import not_found, page_of, paged
from web.i18n import today
from web.problems import JSONResponse
from web.queries import programs as queries


async def list_programs(request: Request) -> Response:
    try:
        limit, offset = page_of(request, 100, 1000)
    except BadParameter as exc:
        return exc.response()
    items, total = await asyncio.to_thread(
        queries.list_programs, request.app.state.engine,
        node=request.query_params.get("node") or None, limit=limit, offset=offset)
    return paged(request, items, total, limit, offset)


async def get_program(request: Request) -> Response:
    program_id = request.path_params["id"]
    data = await asyncio.to_thread(queries.get_program, request.app.state.engine, program_id,
                                   today(request))
    return not_found("program", program_id) if data is None else JSONResponse(data)


async def get_indicator(request: Request) -> Response:
    program_id, indicator = request.path_params["id"], request.path_params["indicator"]
    data = await asyncio.to_thread(queries.indicator_series, request.app.state.engine,
                                   program_id, indicator)
    if data is None:
        return not_found("indicator", f"{program_id}/{indicator}")
    return JSONResponse(data)


routes = [
    Route("/api/v1/programs", list_programs, name="api_programs"),
    Route("/api/v1/programs/{id}", get_program, name="api_program"),
    Route("/api/v1/programs/{id}/indicators/{indicator}", get_indicator, name="api_indicator"),
]
