"""``gotong node``: registering nodes and managing their API keys."""

from __future__ import annotations

import asyncio

import click

from events.validation import default_validator
from services import settings as settings_module
from services.cli.console import err
from services.cli.events import started_producer
from services.cli.keys import revoke, rotate_key
from services.identity.keys import DEFAULT_SCOPES, SCOPES
from services.ingest.registration import NODE_KINDS


@click.group()
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
    from services.identity import audit
    from services.ingest.publish import NotPublished
    from services.ingest.registration import RegistrationRefused, register, registration
    from services.readmodel.db import make_engine, migrate

    s = settings_module.get()
    try:
        event = registration(default_validator(), node_id, kind=kind, name=name,
                             description=description, contact=contact, public_key=public_key)
    except RegistrationRefused as exc:
        raise click.ClickException("; ".join(
            f"{_option(field)}: {why}" for field, why in exc.errors.items())) from None
    engine = make_engine(s.database_url)
    migrate(engine)

    async def go() -> str:
        async with started_producer(s) as producer:
            return await register(engine, producer, event, s.publish_timeout_s,
                                  scopes or DEFAULT_SCOPES)

    try:
        key = asyncio.run(go())
    except (RegistrationRefused, NotPublished) as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(engine, audit.COMMAND_LINE, "node_registered", node_id, node_id=node_id,
                 detail=kind)
    err.print(f"Registered node [bold]{node_id}[/] ({kind}). Its API key, shown only once:")
    click.echo(key)


def _option(field: str) -> str:
    """A field of the event as the option that sets it."""
    return "node id" if field == "node_id" else "--" + field.replace("_", "-")
