"""``gotong user``: the web site's local accounts."""

from __future__ import annotations

import sys

import click

from services import settings as settings_module

ROLES = ("member", "coordinator", "admin")


@click.group()
def user() -> None:
    """Manage the web site's accounts (people who belong to a node)."""


@user.command("add")
@click.argument("username")
@click.option("--node", "node_id", required=True, help="The node the person belongs to.")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True,
              help="member: post, comment, endorse, report on the node's commitments; "
                   "coordinator: also change statuses, run meetings, create commitments; "
                   "admin: coordinator everywhere.")
@click.option("--name", required=True, help="The person's display name.")
@click.option("--email", default="", metavar="ADDRESS",
              help="The person's e-mail address (optional; for mail and reset links, never "
                   "in an event).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
def user_add(username: str, node_id: str, role: str, name: str, email: str,
             password_stdin: bool) -> None:
    """Create an account; the password is asked for (never taken as an argument)."""
    from services.identity.accounts import AccountError, add_user
    from services.identity.addresses import normal_email
    from services.identity.audit import COMMAND_LINE
    from services.readmodel.db import make_engine, migrate

    try:  # before the password is asked for: a mistyped address is known at once
        normal_email(email)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--email") from None

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(settings_module.get().database_url)
    migrate(engine)
    try:
        created = add_user(engine, username, name=name, node_id=node_id, role=role,
                           password=password, email=email, actor=COMMAND_LINE)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"Created {created.role} {created.username} of node {created.node_id}.", err=True)
