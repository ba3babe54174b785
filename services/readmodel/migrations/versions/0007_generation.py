"""read model generation: one row whose token every read-model write changes

Revision ID: 0007_generation
Revises: 0006_fewer_indexes
Create Date: 2026-12-03 18:45:00

The web keeps rendered pages and feed validators while nothing in the read model
changed. SQLite's ``data_version`` and PostgreSQL's WAL position also move for the
worker's heartbeat (every 2 s) and for logins, so the caches would hold for seconds;
this token moves only with projected rows.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007_generation"
down_revision = "0006_fewer_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "read_model_generation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("token", sa.String(), nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "token": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("read_model_generation")
