"""``gotong node``: registering nodes and managing their API keys."""

from __future__ import annotations

from typing import Any

import click

from events.catalog import NODE_REGISTERED, SERVICE_NODE
from events.envelope import cloud_event
from events.validation import default_validator
from services import settings as settings_module
from services.cli.console import err
from services.cli.events import publish_to_kafka
from services.cli.keys import revoke, rotate_key
from services.identity.keys import DEFAULT_SCOPES, SCOPES

NODE_KINDS = ("government", "ngo", "community")


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
    publish_to_kafka(s, node_id, [event])
    key = issue_key(engine, node_id, scopes or DEFAULT_SCOPES)
    err.print(f"Registered node [bold]{node_id}[/] ({kind}). Its API key, shown only once:")
    click.echo(key)


def _field_message(error: str) -> str:
    replacements = {"/subject": "node id", "/source": "node id", "/data/": "--"}
    for pointer, name in replacements.items():
        if error.startswith(pointer):
            return name + error[len(pointer):].replace("_", "-", 1)
    return error
