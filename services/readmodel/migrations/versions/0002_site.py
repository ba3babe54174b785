"""site accounts and sessions

Revision ID: 0002_site
Revises: 0001
Create Date: 2026-11-28 09:30:00

Accounts of the web site (services/identity/accounts.py). Like node credentials, they sit beside
the read model and are never rebuilt from the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_site"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_users",
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_index("ix_site_users_node_id", "site_users", ["node_id"])
    op.create_table(
        "site_sessions",
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_site_sessions_username", "site_sessions", ["username"])
    op.create_index("ix_site_sessions_expires_at", "site_sessions", ["expires_at"])
    # The board and the thread page read action items by proposal and meetings by forum.
    op.create_index("ix_meetings_forum_minutes", "meetings", ["forum_id", "has_minutes"])


def downgrade() -> None:
    op.drop_index("ix_meetings_forum_minutes", table_name="meetings")
    op.drop_table("site_sessions")
    op.drop_table("site_users")
