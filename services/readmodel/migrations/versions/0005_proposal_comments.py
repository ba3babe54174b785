"""proposal_comments: a thread's comments as rows of their own

Revision ID: 0005_proposal_comments
Revises: 0004_worker_lag
Create Date: 2026-12-02 07:00:00

A proposal's comments were a JSON column of its row, written whole again with every
comment: the read model's time per event grew with the length of the threads. Each
comment is now a row, written once. The comments of existing threads are copied
over, then the column goes. A comment has no version: it is written once and never
changed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_proposal_comments"
down_revision = "0004_worker_lag"
branch_labels = None
depends_on = None

COLUMNS = ("comment_id", "body", "author", "node_id", "in_reply_to", "at")


def _comments() -> sa.TableClause:
    return sa.table("proposal_comments", *(sa.column(c) for c in (
        "proposal_id", "seq", *COLUMNS)))


def upgrade() -> None:
    op.create_table(
        "proposal_comments",
        sa.Column("proposal_id", sa.String(), primary_key=True),
        sa.Column("comment_id", sa.String(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("in_reply_to", sa.String(), nullable=True),
        sa.Column("at", sa.String(), nullable=False),
    )
    op.create_index("ix_proposal_comments_thread", "proposal_comments", ["proposal_id", "seq"])
    bind = op.get_bind()
    proposals = sa.table("proposals", sa.column("id", sa.String()),
                         sa.column("comments", sa.JSON()))
    rows: list[dict[str, Any]] = []
    for proposal_id, comments in bind.execute(sa.select(proposals.c.id, proposals.c.comments)):
        for seq, comment in enumerate(comments or [], start=1):
            rows.append({"proposal_id": proposal_id, "seq": seq,
                         **{c: comment.get(c) for c in COLUMNS}})
            if len(rows) >= 5000:
                bind.execute(_comments().insert(), rows)
                rows = []
    if rows:
        bind.execute(_comments().insert(), rows)
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("comments")


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("comments", sa.JSON(), nullable=True))
    bind = op.get_bind()
    comments = _comments()
    proposals = sa.table("proposals", sa.column("id", sa.String()),
                         sa.column("comments", sa.JSON()))
    threads: dict[str, list[dict[str, Any]]] = {}
    for row in bind.execute(sa.select(comments).order_by(comments.c.proposal_id,
                                                         comments.c.seq)).mappings():
        threads.setdefault(row["proposal_id"], []).append({c: row[c] for c in COLUMNS})
    for proposal_id, thread in threads.items():
        bind.execute(proposals.update().where(proposals.c.id == proposal_id)
                     .values(comments=thread))
    op.drop_index("ix_proposal_comments_thread", table_name="proposal_comments")
    op.drop_table("proposal_comments")
