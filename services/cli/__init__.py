"""The ``gotong`` command line: thin entry points that parse, hand over and report."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from events.catalog import NODE_REGISTERED, SERVICE_NODE
from events.envelope import cloud_event
from events.validation import default_validator
from services import settings as settings_module
from services.cli.kafka import kafka
from services.cli.keys import revoke, rotate_key
from services.cli.users import user
from services.identity.keys import DEFAULT_SCOPES, SCOPES

err = Console(stderr=True)

NODE_KINDS = ("government", "ngo", "community")


def _progress(transient: bool = False) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=transient,
        disable=not err.is_terminal,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Gotong: event-driven collaboration for a city's social programs."""
    if settings_module.get().exit_with_parent:
        from services.process.lifetime import exit_with_parent

        exit_with_parent()


main.add_command(kafka)
main.add_command(user)


@main.command()
@click.option("--loglevel", default="INFO", show_default=True, help="Faust log level.")
def worker(loglevel: str) -> None:
    """Run the Faust worker: the ingest agent (gate, fold, typed topics, read model), the
    webhook deliveries and the timers."""
    from services.pipeline.worker import run

    run(settings_module.get(), loglevel=loglevel)


@main.command()
@click.option("--host", default=None, help="Interface to listen on [GOTONG_HTTP_HOST].")
@click.option("--port", type=int, default=None, help="Port to listen on [GOTONG_HTTP_PORT].")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Web processes sharing the port (the pages are CPU-bound: one per core).")
def web(host: str | None, port: int | None, workers: int) -> None:
    """Run the web site and JSON API (Starlette on uvicorn)."""
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # each process writes its metrics here; /metrics adds them up (web/metrics.py)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gotong-metrics-")
    import uvicorn

    from web.app import create_app
    from web.http_protocol import server_options

    s = settings_module.get()
    options = server_options(host or s.http_host, port or s.http_port, access_log=s.access_log)
    if workers == 1:
        uvicorn.run(create_app(s), **options)
    else:  # each worker process builds its app from the same environment
        uvicorn.run("web.app:create_app", factory=True, workers=workers, **options)


@main.command()
@click.option("--demo", is_flag=True, help="Load the Bitung demo data.")
@click.option("--port", type=int, default=None, help="HTTP port [GOTONG_HTTP_PORT, 8000].")
def up(demo: bool, port: int | None) -> None:
    """Run the whole service locally: broker, worker and web. Ctrl-C stops all of it."""
    from services.local.up import run_up

    raise SystemExit(run_up(settings_module.get(), demo=demo, port=port))


@main.group()
def node() -> None:
    """Manage nodes (agencies, NGOs, community groups) and their API keys."""


node.add_command(rotate_key)
node.add_command(revoke)


@node.command("add")
@click.argument("node_id")
@click.option("--kind", type=click.Choice(NODE_KINDS), required=True, help="The kind of node.")
@click.option("--name", required=True, help="The node's display name.")
@click.option("--description", default=None, help="What the node does.")
@click.option("--contact", default=None, help="How to reach the node.")
@click.option("--public-key", default=None,
              help="Base64 Ed25519 public key, for a node that publishes straight to Kafka.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES),
              help="What the key may do (repeat); default: publish and subscribe.")
def node_add(node_id: str, kind: str, name: str, description: str | None, contact: str | None,
             public_key: str | None, scopes: tuple[str, ...]) -> None:
    """Register a node (publishes gotong.node.registered.v1) and print its API key once.

    Only a hash of the key is stored: keep the key printed on the last line.
    """
    from services.identity.keys import has_key, issue_key
    from services.readmodel.db import make_engine, migrate

    if node_id == SERVICE_NODE:
        raise click.ClickException(
            f"{SERVICE_NODE!r} is the service's own node id (its overdue events): choose another")
    s = settings_module.get()
    data: dict[str, Any] = {"name": name, "kind": kind}
    for field, value in (("description", description), ("contact", contact),
                         ("public_key", public_key)):
        if value:
            data[field] = value
    event = cloud_event(NODE_REGISTERED, node=node_id, subject=node_id, data=data)
    errors = default_validator().errors(event)
    if errors:
        raise click.ClickException("; ".join(_field_message(str(e)) for e in errors))
    engine = make_engine(s.database_url)
    migrate(engine)
    if has_key(engine, node_id):
        raise click.ClickException(f"node {node_id!r} already has an API key")
    _publish(s, node_id, [event])
    key = issue_key(engine, node_id, scopes or DEFAULT_SCOPES)
    err.print(f"Registered node [bold]{node_id}[/] ({kind}). Its API key, shown only once:")
    click.echo(key)


def _field_message(error: str) -> str:
    replacements = {"/subject": "node id", "/source": "node id", "/data/": "--"}
    for pointer, name in replacements.items():
        if error.startswith(pointer):
            return name + error[len(pointer):].replace("_", "-", 1)
    return error


def _publish(s: settings_module.Settings, node_id: str, events: list[Any],
             progress: Progress | None = None, task: Any = None, chunk: int = 500) -> None:
    from services.ingest.producer import IngestProducer

    async def go() -> None:
        producer = IngestProducer(s, linger_ms=5)
        try:
            await asyncio.wait_for(producer.start(), timeout=30)
        except Exception as exc:
            raise click.ClickException(
                f"Kafka at {s.bootstrap} is not reachable ({exc.__class__.__name__}): "
                "start it with 'gotong kafka start' or set GOTONG_KAFKA_BOOTSTRAP") from exc
        try:
            for start in range(0, len(events), chunk):
                part = events[start:start + chunk]
                await producer.publish(node_id, part)
                if progress is not None:
                    progress.advance(task, len(part))
        finally:
            await producer.stop()

    asyncio.run(go())


@main.command()
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
    with _progress() as progress:
        task = progress.add_task(f"publishing {file.name}", total=len(events))
        _publish(s, node_id, events, progress, task)
    err.print(f"Published {len(events)} event(s) from {file} as {node_id}.")


def _publish_http(url: str, key: str | None, file: Path, events: list[Any]) -> None:
    import httpx

    from services.client import GotongClient, ProblemError

    if not key:
        raise click.ClickException("--url needs the node's API key: --key or GOTONG_API_KEY")
    with GotongClient(url, key) as client, _progress() as progress:
        task = progress.add_task(f"publishing {file.name}", total=len(events))
        try:
            client.publish(events, lambda n: progress.advance(task, n))
        except ProblemError as exc:
            raise click.ClickException(f"{url} refused the events: {exc}") from None
        except httpx.HTTPError as exc:
            raise click.ClickException(f"{url} is not reachable: {exc!r}") from None
    err.print(f"Published {len(events)} event(s) from {file} through {url}.")


@main.command()
def rebuild() -> None:
    """Empty the read model and rebuild it from the Kafka log."""
    from services.pipeline.rebuild import rebuild as run_rebuild

    s = settings_module.get()
    with _progress() as progress:
        task = progress.add_task("replaying the log", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = asyncio.run(run_rebuild(s, report))
    err.print(
        f"Rebuilt the read model from {result.events} event(s): {result.aggregates} aggregates, "
        f"{result.rows} rows" + (f", {result.skipped} invalid record(s) skipped" if result.skipped
                                  else ""))


@main.group()
def bench() -> None:
    """Benchmarks, each measured beside a raw-Kafka baseline in the same run."""


_web_workers = click.option("--web-workers", type=click.IntRange(1, 64), default=1,
                            show_default=True, help="Processes of 'gotong web --workers'.")


def _bench_options(func: Any) -> Any:
    func = click.option("--json", "as_json", is_flag=True,
                        help="End the output with the figures as one JSON line.")(func)
    func = click.option("--results-dir", type=click.Path(path_type=Path), default=Path(
        "bench-results"), show_default=True, help="Where the JSON results file goes.")(func)
    func = click.option("--keep", is_flag=True, help="Keep the scratch data dir.")(func)
    return func


@bench.command("pipeline")
@click.option("--events", "count", type=click.IntRange(1), default=100_000, show_default=True,
              help="How many demo-shaped events to publish.")
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Then publish N more events to this many workers: the speed-up over one.")
@click.option("--profile", is_flag=True,
              help="Sample the worker with py-spy; write a summary beside the results.")
@_bench_options
def bench_pipeline(count: int, workers: int, profile: bool, as_json: bool, results_dir: Path,
                   keep: bool) -> None:
    """Publish N events to gotong.ingest and time until the read model holds all of them."""
    import time

    from services.bench.common import bench_env, report
    from services.bench.pipeline import LABELS, run_pipeline

    s = settings_module.get()
    profile_to = results_dir / f"pipeline-{time.strftime('%Y%m%d-%H%M%S')}-profile.txt" \
        if profile else None
    with bench_env(s, keep=keep) as env:
        result = run_pipeline(env, count, workers=workers, profile_to=profile_to)
        report("pipeline", result.figures(), settings=env.settings, results_dir=results_dir,
               as_json=as_json, labels=LABELS)
    if profile_to is not None:
        err.print(f"profile summary written to {profile_to}")


@bench.command("latency")
@click.option("--rate", type=click.FloatRange(min=1), default=1000, show_default=True,
              help="Events per second, published one per request.")
@click.option("--seconds", type=click.FloatRange(min=1), default=10, show_default=True,
              help="How long to publish.")
@_web_workers
@_bench_options
def bench_latency(rate: float, seconds: float, web_workers: int, as_json: bool,
                  results_dir: Path, keep: bool) -> None:
    """Time from the 202 of POST /api/v1/events until the API shows the event."""
    from services.bench.common import bench_env, report
    from services.bench.http import LATENCY_LABELS, run_latency

    with bench_env(settings_module.get(), keep=keep) as env:
        figures = run_latency(env, rate, seconds, web_workers)
        report("latency", figures, settings=env.settings, results_dir=results_dir,
               as_json=as_json, labels=LATENCY_LABELS)


@bench.command("ingest")
@click.option("--seconds", type=click.FloatRange(min=1), default=10, show_default=True,
              help="How long each of the three rounds lasts.")
@click.option("--clients", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Concurrent HTTP clients.")
@_web_workers
@_bench_options
def bench_ingest(seconds: float, clients: int, web_workers: int, as_json: bool,
                 results_dir: Path, keep: bool) -> None:
    """HTTP ingest throughput: single events, batches of 100 and of 500, beside a hello-world
    Starlette app on the same server stack (the ceiling)."""
    from services.bench.common import bench_env, report
    from services.bench.http import INGEST_LABELS, run_ingest

    with bench_env(settings_module.get(), keep=keep) as env:
        figures = run_ingest(env, seconds, clients, web_workers)
        report("ingest", figures, settings=env.settings, results_dir=results_dir,
               as_json=as_json, labels=INGEST_LABELS)


@bench.command("recovery")
@click.option("--events", "count", type=click.IntRange(1), default=1_000_000, show_default=True,
              help="How many events of state to load before the restart.")
@_bench_options
def bench_recovery(count: int, as_json: bool, results_dir: Path, keep: bool) -> None:
    """Worker restart to ready with a large state (RocksDB), and the rebuild's speed."""
    from services.bench.common import bench_env, report
    from services.bench.recovery import LABELS, run_recovery

    with bench_env(settings_module.get(), keep=keep) as env:
        figures = run_recovery(env, count)
        report("recovery", figures, settings=env.settings, results_dir=results_dir,
               as_json=as_json, labels=LABELS)


@bench.command("pages")
@click.option("--proposals", type=click.IntRange(2), default=100_000, show_default=True,
              help="Proposals in the synthetic dataset.")
@click.option("--comments", type=click.IntRange(0), default=1_000_000, show_default=True,
              help="Comments, spread over the proposals (a few long threads).")
@click.option("--items", type=click.IntRange(1), default=50_000, show_default=True,
              help="Action items (commitments).")
@click.option("--seconds", type=click.FloatRange(min=1), default=10, show_default=True,
              help="How long each page kind is driven.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Concurrent keep-alive clients.")
@_web_workers
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Keep the built read model here and reuse it when the sizes match.")
@_bench_options
def bench_pages(proposals: int, comments: int, items: int, seconds: float, concurrency: int,
                web_workers: int, data_dir: Path | None, as_json: bool, results_dir: Path,
                keep: bool) -> None:
    """The thread page and the commitments board over a large dataset, from another process."""
    from services.bench.common import bench_env, report
    from services.bench.dataset import Sizes
    from services.bench.pages import LABELS, run_pages

    sizes = Sizes(proposals=proposals, comments=comments, items=items)
    with bench_env(settings_module.get(), keep=keep) as env:
        figures = run_pages(env, sizes, seconds=seconds, concurrency=concurrency,
                            web_workers=web_workers,
                            data_dir=data_dir.resolve() if data_dir else None)
        report("pages", figures, settings=env.settings, results_dir=results_dir,
               as_json=as_json, labels=LABELS)


@main.command("demo-keys")
def demo_keys() -> None:
    """Print the demo's site accounts and its nodes' API keys (made by 'gotong up --demo')."""
    path = settings_module.get().data_dir / "demo-keys.json"
    if not path.exists():
        raise click.ClickException("no demo keys: run 'gotong up --demo' first")
    click.echo(json.dumps(json.loads(path.read_text()), indent=2))


if __name__ == "__main__":
    main()
