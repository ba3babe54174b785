"""moderation: comments hidden by a forum's moderators, and comments people flagged

Revision ID: 0014_moderation
Revises: 0013_follows
Create Date: 2026-12-05 01:30:00

``comment_moderation`` is read model (projected from the proposal aggregate's
``comment_hidden`` / ``comment_restored`` events, emptied and rebuilt with it; a
rebuild after this migration fills it). ``site_comment_flags`` is site data beside
it, never rebuilt: who flagged what is personal and never an event.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_moderation"
down_revision = "0013_follows"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "comment_moderation",
        sa.Column("proposal_id", _TEXT(), nullable=False),
        sa.Column("comment_id", _TEXT(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("reason", _TEXT(), nullable=False),
        sa.Column("node_id", _TEXT(), nullable=False),
        sa.Column("at", _TEXT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", "comment_id"),
    )
    op.create_table(
        "site_comment_flags",
        sa.Column("proposal_id", _TEXT(), nullable=False),
        sa.Column("comment_id", _TEXT(), nullable=False),
        sa.Column("username", _TEXT(), nullable=False),
        sa.Column("reason", _TEXT(), nullable=False),
        sa.Column("at", _TEXT(), nullable=False),
        sa.Column("outcome", _TEXT(), nullable=False),
        sa.Column("settled_by", _TEXT(), nullable=True),
        sa.Column("settled_at", _TEXT(), nullable=True),
        sa.PrimaryKeyConstraint("proposal_id", "comment_id", "username"),
    )
    op.create_index("ix_site_comment_flags_at", "site_comment_flags", ["at"])


def downgrade() -> None:
    op.drop_index("ix_site_comment_flags_at", table_name="site_comment_flags")
    op.drop_table("site_comment_flags")
    op.drop_table("comment_moderation")
