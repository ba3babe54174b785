"""Live updates of a thread and of the board: a tiny Server-Sent Events stream per page.

The stream only says "the page's data is now at version X"; the page's script
then fetches the page again. Nothing user-supplied is ever written to the stream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from web.queries.board import board_version
from web.queries.threads import proposal_version

POLL_S = 1.0
KEEPALIVE_S = 15.0
LIFETIME_S = 300.0  # the browser reconnects by itself; a bounded stream frees the worker


def _stream(request: Request, version: Callable[[], str]) -> Response:
    poll = getattr(request.app.state, "live_poll_s", POLL_S)
    lifetime = getattr(request.app.state, "live_lifetime_s", LIFETIME_S)

    async def events() -> AsyncIterator[str]:
        started = last_sent = time.monotonic()
        seen: str | None = None
        yield f"retry: {int(poll * 3000)}\n\n"
        while time.monotonic() - started < lifetime:
            current = await asyncio.to_thread(version)
            if current != seen:
                seen = current
                last_sent = time.monotonic()
                yield f"event: version\ndata: {current}\n\n"
            elif time.monotonic() - last_sent > KEEPALIVE_S:
                last_sent = time.monotonic()
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(poll)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def live_proposal(request: Request) -> Response:
    engine = request.app.state.engine
    proposal_id = request.path_params["id"]
    return _stream(request, lambda: proposal_version(engine, proposal_id))


async def live_commitments(request: Request) -> Response:
    engine = request.app.state.engine
    return _stream(request, lambda: board_version(engine))


routes = [
    Route("/live/proposals/{id}", live_proposal, name="live_proposal"),
    Route("/live/commitments", live_commitments, name="live_commitments"),
]
