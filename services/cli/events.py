"""``gotong publish`` and ``gotong rebuild``: events in from files, the read model from the log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.progress import Progress

from events.validation import default_validator
from services import settings as settings_module
from services.cli.console import err, progress_bar

if TYPE_CHECKING:
    from services.ingest.producer import IngestProducer


@contextlib.asynccontextmanager
async def started_producer(s: settings_module.Settings) -> AsyncIterator[IngestProducer]:
    """The ingest producer, started (a CLI error naming the broker if it is not reachable)."""
    from services.ingest.producer import IngestProducer

    producer = IngestProducer(s)
    try:
        await asyncio.wait_for(producer.start(), timeout=30)
    except Exception as exc:
        raise click.ClickException(
            f"Kafka at {s.bootstrap} is not reachable ({exc.__class__.__name__}): "
            "start it with 'gotong kafka start' or set GOTONG_KAFKA_BOOTSTRAP") from exc
    try:
        yield producer
    finally:
        await producer.stop()


def publish_to_kafka(s: settings_module.Settings, node_id: str, events: list[Any],
                     progress: Progress | None = None, task: Any = None,
                     chunk: int = 500) -> None:
    async def go() -> None:
        async with started_producer(s) as producer:
            for start in range(0, len(events), chunk):
                part = events[start:start + chunk]
                await producer.publish(node_id, part)
                if progress is not None:
                    progress.advance(task, len(part))

    asyncio.run(go())


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--node", "node_id", required=True, help="The node publishing the events.")
@click.option("--url", default=None,
              help="Publish over HTTP to this Gotong (with --key) instead of straight to Kafka.")
@click.option("--key", envvar="GOTONG_API_KEY", default=None,
              help="The node's API key, for --url [GOTONG_API_KEY].")
def publish(file: Path, node_id: str, url: str | None, key: str | None) -> None:
    """Publish the events in FILE (.json: one event or an array; .ndjson: one per line).

    Every event is checked first; any problem is reported as FILE:LINE and
    nothing is published. Events are sent as NODE and must have its source.
    With --url the events go through the HTTP API with the node's key, retried
    safely (same ids) while the server or the network is away.
    """
    from events.files import EventFileError, check_events, read_events
    from services.identity.keys import has_key
    from services.readmodel.db import make_engine, migrate

    s = settings_module.get()
    try:
        events = check_events(file, read_events(file), node_id, default_validator())
    except EventFileError as exc:
        for line in exc.problems:
            click.echo(line, err=True)
        raise click.ClickException(
            f"{len(exc.problems)} problem(s) in {file}; nothing published") from None
    if url is not None:
        _publish_http(url, key, file, events)
        return
    engine = make_engine(s.database_url)
    migrate(engine)
    if not has_key(engine, node_id):
        raise click.ClickException(
            f"node {node_id!r} is not registered here: run 'gotong node add {node_id} ...' first")
    with progress_bar() as progress:
        task = progress.add_task(f"publishing {file.name}", total=len(events))
        publish_to_kafka(s, node_id, events, progress, task)
    err.print(f"Published {len(events)} event(s) from {file} as {node_id}.")


def _publish_http(url: str, key: str | None, file: Path, events: list[Any]) -> None:
    import httpx

    from services.client import GotongClient, ProblemError

    if not key:
        raise click.ClickException("--url needs the node's API key: --key or GOTONG_API_KEY")
    with GotongClient(url, key) as client, progress_bar() as progress:
        task = progress.add_task(f"publishing {file.name}", total=len(events))
        try:
            client.publish(events, lambda n: progress.advance(task, n))
        except ProblemError as exc:
            raise click.ClickException(f"{url} refused the events: {exc}") from None
        except httpx.HTTPError as exc:
            raise click.ClickException(f"{url} is not reachable: {exc!r}") from None
    err.print(f"Published {len(events)} event(s) from {file} through {url}.")


@click.command()
def rebuild() -> None:
    """Empty the read model and rebuild it from the Kafka log."""
    from services.pipeline.rebuild import rebuild as run_rebuild

    s = settings_module.get()
    with progress_bar() as progress:
        task = progress.add_task("replaying the log", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = asyncio.run(run_rebuild(s, report))
    err.print(
        f"Rebuilt the read model from {result.events} event(s): {result.aggregates} aggregates, "
        f"{result.rows} rows" + (f", {result.skipped} invalid record(s) skipped" if result.skipped
                                  else ""))
