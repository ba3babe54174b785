"""Everything agencies follow: the routes of the feeds, and the feed tail's lifetime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from services.feed.tail import Tail
from web import feed_api, feed_documents, openapi, subscriptions

routes = [*feed_api.routes, *subscriptions.routes, *feed_documents.routes, *openapi.routes]


@contextlib.asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[None]:
    """Run the feed tail (one Kafka consumer for every SSE stream) while the app runs."""
    tail = Tail(app.state.settings.bootstrap)
    app.state.feed_tail = tail
    tail.start()
    try:
        yield
    finally:
        await tail.stop()
