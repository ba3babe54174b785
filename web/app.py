"""The Starlette application: composed from plain lists of routes and middleware."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from events.validation import default_validator
from services.ingest.producer import IngestProducer
from services.process import collector, log_throttle
from services.process.lifetime import exit_with_parent
from services.readmodel.db import make_engine, migrate
from services.settings import Settings
from services.settings import get as get_settings
from web import site
from web.api import events, feed, openapi, programs, reads, search, subscriptions
from web.feeds import documents
from web.render_cache import RenderCache
from web.security import redact_links_in_access_log

log = logging.getLogger(__name__)

PRODUCER_RETRY_S = 2.0
KAFKA_CHECK_S = 2.0


async def _keep_producer_started(app: Starlette) -> None:
    """Start the Kafka producer, and keep trying while Kafka is unreachable.

    The site stays up (read-only) without Kafka; ingest answers 503 until this succeeds.
    """
    while True:
        producer = IngestProducer(app.state.settings)
        try:
            await producer.start()
        except Exception as exc:  # aiokafka raises several kinds while the broker is away
            log.warning("Kafka not reachable yet (%r); retrying in %ss", exc, PRODUCER_RETRY_S)
            with contextlib.suppress(Exception):
                await producer.stop()
            await asyncio.sleep(PRODUCER_RETRY_S)
            continue
        app.state.producer = producer
        return


async def _watch_kafka(app: Starlette) -> None:
    """Keep ``app.state.kafka_available`` current: the pages show a read-only notice without it."""
    while True:
        producer = app.state.producer
        app.state.kafka_available = producer is not None and await producer.is_reachable()
        await asyncio.sleep(KAFKA_CHECK_S)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    log_throttle.ensure_handler()  # Kafka clients' errors while the broker is away
    app.state.engine = make_engine(settings.database_url)
    await asyncio.to_thread(migrate, app.state.engine)
    app.state.validator = default_validator()
    app.state.producer = None
    app.state.kafka_available = False
    collector.settle(collector.WEB_YOUNG)  # what start-up built is never scanned again
    starter = asyncio.create_task(_keep_producer_started(app))
    watcher = asyncio.create_task(_watch_kafka(app))
    try:
        async with feed.running(app):
            yield
    finally:
        for task in (starter, watcher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if app.state.producer is not None:
            await app.state.producer.stop()
        app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    if settings.exit_with_parent:  # each process of `gotong web --workers N` (bench)
        exit_with_parent()
    routes = [*events.routes, *reads.routes, *programs.routes, *search.routes, *feed.routes,
              *subscriptions.routes, *documents.routes, *openapi.routes, *site.routes]
    app = Starlette(routes=routes, middleware=site.middleware(settings),
                    exception_handlers=site.exception_handlers, lifespan=lifespan)
    redact_links_in_access_log()
    app.state.settings = settings
    app.state.render_cache = RenderCache(settings.render_cache_mb * 2**20)
    return app
