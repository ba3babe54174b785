"""pages: indexes that serve the thread, forum, node pages and the board from indexed queries

Revision ID: 0003_pages
Revises: 0001
Create Date: 2026-11-28 12:00:00

With 100,000 proposals and 50,000 action items (``gotong bench pages``) every list
the site shows is a page of an index scan: the board in due order per owner, the
board's counts and scorecard from a covering index, a forum's threads per sort,
the newest threads on the home page.
"""

from __future__ import annotations

from alembic import op

revision = "0003_pages"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "action_items": {
        "ix_action_items_owner_due": ["owner_node_id", "due_date", "id"],
        "ix_action_items_board": ["owner_node_id", "status", "due_date", "completed_at"],
        "ix_action_items_version": ["updated_at", "version"],
    },
    "proposals": {
        "ix_proposals_updated_at": ["updated_at"],
        "ix_proposals_forum_status": ["forum_id", "status", "submitted_at"],
        "ix_proposals_forum_endorsed": ["forum_id", "endorsement_count", "submitted_at"],
        "ix_proposals_forum_discussed": ["forum_id", "comment_count", "submitted_at"],
        "ix_proposals_node_submitted": ["node_id", "submitted_at"],
    },
}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            op.create_index(name, table, columns)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(name, table_name=table)
