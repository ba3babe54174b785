"""``gotong bench``: the benchmarks, each beside a raw-Kafka baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from services import settings as settings_module
from services.cli.console import err


@click.group()
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
