"""A webhook receiver for the figures, in a process of its own:
``uvicorn tests.load.bench_receiver:app``.

It answers 204 at once and notes when each delivery arrived; ``GET /results``
returns [[path, event id, arrival time], ...].
"""

from __future__ import annotations

import time

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

received: list[tuple[str, str, float]] = []


async def hook(request: Request) -> Response:
    body = await request.body()
    received.append((request.url.path, orjson.loads(body)["id"], time.time()))
    return Response(status_code=204)


async def results(request: Request) -> Response:
    return Response(orjson.dumps(received), media_type="application/json")


app = Starlette(routes=[Route("/results", results), Route("/{path}", hook, methods=["POST"])])
