"""fewer indexes: drop the two that a wider index already serves

Revision ID: 0006_fewer_indexes
Revises: 0005_proposal_comments
Create Date: 2026-12-02 17:00:00

``ix_proposals_node_id`` is the first column of ``ix_proposals_node_submitted`` and
``ix_action_items_owner_node_id`` the first of ``ix_action_items_owner_due``: every
query that used them is served by the wider one, and each was rewritten with every
upsert of its table (the worker writes a thread's row for each comment and
endorsement). Measured offline on the bench's mix: the read model's writes took
about 4 µs less per event without them.
"""

from __future__ import annotations

from alembic import op

revision = "0006_fewer_indexes"
down_revision = "0005_proposal_comments"
branch_labels = None
depends_on = None

DROPPED = {"ix_proposals_node_id": ("proposals", ["node_id"]),
           "ix_action_items_owner_node_id": ("action_items", ["owner_node_id"])}


def upgrade() -> None:
    for name, (table, _columns) in DROPPED.items():
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, (table, columns) in DROPPED.items():
        op.create_index(name, table, columns)
