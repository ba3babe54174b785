"""``gotong kafka start|stop|status``: the local single-node Kafka broker (KRaft)."""

from __future__ import annotations

import click
from rich.console import Console

from services import settings
from services.local import broker

_console = Console(highlight=False, soft_wrap=True)
# Start-up notes go to stderr, so `$(gotong kafka start)` is just the bootstrap address.
_notes = Console(stderr=True, highlight=False, soft_wrap=True)


@click.group("kafka")
def kafka() -> None:
    """The local Kafka broker (one node, KRaft) that Gotong provisions for you.

    Its jars come from Maven Central (deploy/kafka/pom.xml), its data lives in
    GOTONG_DATA_DIR/kafka. Set GOTONG_KAFKA_BOOTSTRAP to use your own cluster.
    """


@kafka.command()
@click.option(
    "--wait",
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the broker to answer.",
)
def start(wait: float) -> None:
    """Start the broker in the background and print its bootstrap address.

    Fetches the jars with Maven and formats the storage the first time. If the
    broker already runs, says so and prints its address.
    """
    try:
        bootstrap = broker.start(settings.get(), wait=wait, say=_notes.print)
    except broker.BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(bootstrap)


@kafka.command()
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for a clean shutdown before killing the broker.",
)
def stop(timeout: float) -> None:
    """Stop the broker started by `gotong kafka start` (its data is kept)."""
    if broker.stop(settings.get(), timeout=timeout):
        _console.print("Kafka stopped.")
    else:
        _console.print("Kafka was not running.")


@kafka.command()
def status() -> None:
    """Say whether the broker runs, where it listens and where its data and logs are.

    Exits with status 1 when it does not run.
    """
    current = broker.status(settings.get())
    state = "[green]running[/]" if current.running else "[red]not running[/]"
    pid = f" (pid {current.pid})" if current.pid else ""
    version = f"Kafka {current.kafka_version} " if current.kafka_version else "Kafka "
    _console.print(f"{version}{state}{pid} at {current.bootstrap}")
    if settings.get().uses_local_broker:
        _console.print(f"data: {current.data_dir}")
        _console.print(f"log:  {current.log_file}")
    if not current.running:
        raise SystemExit(1)
