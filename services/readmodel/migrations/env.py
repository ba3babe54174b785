"""Alembic environment: migrations run on the connection handed over by ``db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import services.identity.accounts  # noqa: F401  (the site's accounts and sessions)
import services.identity.audit  # noqa: F401  (the audit log)
import services.identity.links  # noqa: F401  (invites and password resets)
import services.moderation.flags  # noqa: F401  (comments people flagged)
import services.notify.tables  # noqa: F401  (follows, notifications, mail)

# every module with table models (tests/integration/test_schema.py checks): what is not
# imported here, an autogenerate would drop
import services.readmodel.feed_tables  # noqa: F401
import services.readmodel.tables  # noqa: F401
from services.readmodel.tables import modelled

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        # `alembic revision --autogenerate` run by a developer against a scratch database
        url = context.config.get_main_option("sqlalchemy.url")
        if url is None:
            raise SystemExit("alembic: set sqlalchemy.url to a scratch database first")
        engine = create_engine(url)
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata,
                              render_as_batch=True, include_name=modelled)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, include_name=modelled)
    with context.begin_transaction():
        context.run_migrations()


run()
