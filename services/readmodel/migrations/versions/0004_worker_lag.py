"""worker_lag: each worker's consumer lag beside its heartbeat; one head again

Revision ID: 0004_worker_lag
Revises: 0002_feeds, 0002_site, 0003_pages
Create Date: 2026-12-01 12:00:00

The worker writes how many ingest records it has not processed yet with its
heartbeat, so ``/healthz`` says "degraded" when the pipeline falls behind. The
revision also merges the three branches that grew from 0001, so the history has
one head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_worker_lag"
down_revision = ("0002_feeds", "0002_site", "0003_pages")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.add_column(sa.Column("lag", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.drop_column("lag")
