"""accounts on the web: e-mail, invites, password resets, the audit log

Revision ID: 0011_accounts
Revises: 0010_search
Create Date: 2026-12-06 10:00:00

Beside the read model, never rebuilt from the log (services/identity/): a person's
optional e-mail address; one-time invite and reset links, stored only as SHA-256
hashes of their tokens; and the audit log of changes to accounts and nodes.
Self-contained: it touches no table of another revision but ``site_users``.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011_accounts"
down_revision = "0010_search"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("site_users", sa.Column("email", _TEXT(), nullable=True))
    op.create_table(
        "site_invites",
        sa.Column("token_hash", _TEXT(), nullable=False),
        sa.Column("node_id", _TEXT(), nullable=False),
        sa.Column("role", _TEXT(), nullable=False),
        sa.Column("created_by", _TEXT(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.Column("used_by", _TEXT(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_site_invites_node_id", "site_invites", ["node_id"])
    op.create_table(
        "site_password_resets",
        sa.Column("token_hash", _TEXT(), nullable=False),
        sa.Column("username", _TEXT(), nullable=False),
        sa.Column("created_by", _TEXT(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_site_password_resets_username", "site_password_resets", ["username"])
    op.create_table(
        "site_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _TEXT(), nullable=False),
        sa.Column("actor", _TEXT(), nullable=False),
        sa.Column("action", _TEXT(), nullable=False),
        sa.Column("target", _TEXT(), nullable=False),
        sa.Column("node_id", _TEXT(), nullable=True),
        sa.Column("detail", _TEXT(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_site_audit_at", "site_audit", ["at"])


def downgrade() -> None:
    op.drop_table("site_audit")
    op.drop_table("site_password_resets")
    op.drop_table("site_invites")
    with op.batch_alter_table("site_users") as batch:  # SQLite drops a column by copying
        batch.drop_column("email")
