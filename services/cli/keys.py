"""``gotong node rotate-key`` and ``gotong node revoke``: the life of a node's API keys."""

from __future__ import annotations

import datetime as dt
import re

import click

from services import settings as settings_module
from services.cli.console import err

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> dt.timedelta:
    match = _DURATION.match(text.strip())
    if match is None:
        raise click.BadParameter("a duration such as 30m, 24h or 7d", param_hint="--grace")
    return dt.timedelta(**{_UNITS[match[2]]: int(match[1])})


@click.command("rotate-key")
@click.argument("node_id")
@click.option("--grace", default="24h", show_default=True,
              help="How long the node's current keys keep working (e.g. 30m, 24h, 7d).")
@click.option("--scope", "scopes", multiple=True,
              help="Scopes of the new key (publish, subscribe, read_private); default: as before.")
def rotate_key(node_id: str, grace: str, scopes: tuple[str, ...]) -> None:
    """Issue a new API key for NODE_ID and print it once; the old keys expire after --grace."""
    from services.identity import audit
    from services.identity.keys import rotate_key as rotate
    from services.readmodel.db import make_engine, migrate

    period = parse_duration(grace)
    engine = make_engine(settings_module.get().database_url)
    migrate(engine)
    try:
        key, until = rotate(engine, node_id, period, scopes or None)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(engine, audit.COMMAND_LINE, "key_rotated", node_id, node_id=node_id,
                 detail=f"old keys until {until}")
    err.print(f"New API key for [bold]{node_id}[/]; the previous keys work until {until}. "
              "The new key, shown only once:")
    click.echo(key)


@click.command()
@click.argument("node_id")
def revoke(node_id: str) -> None:
    """Revoke every API key of NODE_ID at once (issue a new one with rotate-key)."""
    from services.identity import audit
    from services.identity.keys import revoke_keys
    from services.readmodel.db import make_engine, migrate

    engine = make_engine(settings_module.get().database_url)
    migrate(engine)
    count = revoke_keys(engine, node_id)
    if count == 0:
        raise click.ClickException(f"node {node_id!r} has no valid API key")
    audit.record(engine, audit.COMMAND_LINE, "keys_revoked", node_id, node_id=node_id,
                 detail=f"{count} key(s)")
    err.print(f"Revoked {count} key(s) of {node_id}.")
