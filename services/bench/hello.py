"""The ceiling: a hello-world Starlette app on the same server stack as ``gotong web``.

``gotong bench ingest`` and ``gotong bench pages`` measure it the same way as the
real thing, in the same run, and report each figure's ratio to it::

    python -m services.bench.hello --port 8001

``GET /`` answers a short text; ``POST /api/v1/events`` reads the body and
answers 202 with a small JSON object, as ingest does (no auth, no Kafka).
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.process import lifetime
from web.http_protocol import server_options


async def hello(_request: Request) -> Response:
    return PlainTextResponse("Halo, Bitung!")


async def accept(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"accepted": 1, "bytes": len(body)}, status_code=202)


app = Starlette(routes=[Route("/", hello), Route("/api/v1/events", accept, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    lifetime.exit_with_parent()
    uvicorn.run(app, **server_options("127.0.0.1", args.port))


if __name__ == "__main__":
    main()
