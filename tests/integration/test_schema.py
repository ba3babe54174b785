"""The schema the migrations build is the one the models describe, on SQLite and on
PostgreSQL: no index, column or table that one has and the other lacks (an index the
model declared and no migration made went unnoticed until this test)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import services.identity.accounts  # noqa: F401
import services.identity.audit  # noqa: F401  (the audit log)
import services.identity.links  # noqa: F401  (invites and password resets)
import services.moderation.flags  # noqa: F401  (comments people flagged)
import services.notify.tables  # noqa: F401  (follows, notifications, mail)
import services.readmodel.feed_tables  # noqa: F401  (the models, as migrations/env.py has them)
import services.readmodel.tables  # noqa: F401
from services.readmodel.db import MIGRATIONS
from services.readmodel.tables import modelled


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        # (the full-text index is left out, as env.py leaves it out of autogenerate)
        context = MigrationContext.configure(connection, opts={"include_name": modelled})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_migrations_environment_sees_every_table_model() -> None:
    """``alembic revision --autogenerate`` drops what env.py does not import."""
    environment = (MIGRATIONS / "env.py").read_text()
    modules = {mapper.class_.__module__ for mapper in SQLModel._sa_registry.mappers
               if hasattr(mapper.class_, "__table__")}
    assert modules and all(f"import {module}" in environment for module in modules), modules
