"""follows, notifications and notification mail

Revision ID: 0013_follows
Revises: 0012_search_index
Create Date: 2026-12-05 01:20:00

Beside the read model, never rebuilt from the log (services/notify/tables.py): who
follows what, which account published an event from the site, the notifications the
worker writes for followers, each person's mail choice, and the mail outbox (one row
per mail, recorded before it is sent). Self-contained: it touches no table of another
revision.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_follows"
down_revision = "0012_search_index"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "site_follows",
        sa.Column("username", _TEXT(), nullable=False),
        sa.Column("kind", _TEXT(), nullable=False),
        sa.Column("target_id", _TEXT(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("username", "kind", "target_id"),
    )
    op.create_index("ix_site_follows_target", "site_follows", ["kind", "target_id"])
    op.create_table(
        "site_actions",
        sa.Column("event_id", _TEXT(), nullable=False),
        sa.Column("username", _TEXT(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "site_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", _TEXT(), nullable=False),
        sa.Column("event_id", _TEXT(), nullable=False),
        sa.Column("what", _TEXT(), nullable=False),
        sa.Column("kind", _TEXT(), nullable=False),
        sa.Column("target_id", _TEXT(), nullable=False),
        sa.Column("anchor", _TEXT(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("at", _TEXT(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("read_at", sa.Float(), nullable=True),
        sa.Column("mail_batch", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", "event_id", name="uq_site_notifications_person_event"),
    )
    op.create_index("ix_site_notifications_unread", "site_notifications",
                    ["username", "read_at"])
    op.create_index("ix_site_notifications_mail", "site_notifications",
                    ["mail_batch", "username"])
    op.create_table(
        "site_mail_preferences",
        sa.Column("username", _TEXT(), nullable=False),
        sa.Column("mode", _TEXT(), nullable=False),
        sa.Column("locale", _TEXT(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "site_mail_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", _TEXT(), nullable=False),
        sa.Column("username", _TEXT(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("failed_at", sa.Float(), nullable=True),
        sa.Column("last_error", _TEXT(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_site_mail_outbox_username", "site_mail_outbox", ["username"])
    op.create_index("ix_site_mail_outbox_due", "site_mail_outbox",
                    ["sent_at", "failed_at", "next_attempt_at"])
    op.create_table(
        "site_notify_marks",
        sa.Column("key", _TEXT(), nullable=False),
        sa.Column("value", _TEXT(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    for table in ("site_notify_marks", "site_mail_outbox", "site_mail_preferences",
                  "site_notifications", "site_actions", "site_follows"):
        op.drop_table(table)
