"""``gotong worker``, ``gotong web``, ``gotong up``: running the service; ``gotong demo-keys``."""

from __future__ import annotations

import json
import os
import tempfile

import click

from services import settings as settings_module


@click.command()
@click.option("--loglevel", default="INFO", show_default=True, help="Faust log level.")
def worker(loglevel: str) -> None:
    """Run the Faust worker: the ingest agent (gate, fold, typed topics, read model), the
    webhook deliveries and the timers."""
    from services.pipeline.worker import run
    from web.notices.mail import render

    run(settings_module.get(), loglevel=loglevel, render_mail=render)


@click.command()
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

    from services.process import web_workers
    from web.app import create_app
    from web.http_protocol import server_options

    s = settings_module.get()
    options = server_options(host or s.http_host, port or s.http_port, access_log=s.access_log)
    if workers == 1:
        uvicorn.run(create_app(s), **options)
    else:  # each process builds its app from the same environment, and has its own socket
        web_workers.run(options, workers)


@click.command()
@click.option("--demo", is_flag=True, help="Load the Bitung demo data.")
@click.option("--port", type=int, default=None, help="HTTP port [GOTONG_HTTP_PORT, 8000].")
def up(demo: bool, port: int | None) -> None:
    """Run the whole service locally: broker, worker and web. Ctrl-C stops all of it."""
    from services.local.up import run_up

    raise SystemExit(run_up(settings_module.get(), demo=demo, port=port))


@click.command("demo-keys")
def demo_keys() -> None:
    """Print the demo's site accounts and its nodes' API keys (made by 'gotong up --demo')."""
    path = settings_module.get().data_dir / "demo-keys.json"
    if not path.exists():
        raise click.ClickException("no demo keys: run 'gotong up --demo' first")
    click.echo(json.dumps(json.loads(path.read_text()), indent=2))
