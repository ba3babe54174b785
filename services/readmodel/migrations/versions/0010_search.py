"""search: full-text search over proposals, comments, meetings and commitments

Revision ID: 0010_search
Revises: 0009_programs
Create Date: 2026-12-05 09:00:00

``search_documents`` holds one row per thing search finds, projected by the
aggregates like any other row (``services.domain.search``). The full-text index
over its title and body is the database's own: on SQLite an external-content FTS5
table kept by triggers (``unicode61``, accents folded); on PostgreSQL a generated
``tsvector`` column (the ``simple`` configuration: there is no Indonesian stemmer)
with a GIN index, the title weighted above the body. Neither is in the models
(``services.readmodel.tables.modelled``). The rows of what the read model already
holds are made here, so search finds it at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from services.domain import search

revision = "0010_search"
down_revision = "0009_programs"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString

SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_documents', "
    "content_rowid='doc_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_fts_insert AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts (rowid, title, body) VALUES (new.doc_id, new.title, new.body); "
    "END",
    "CREATE TRIGGER search_fts_delete AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts (search_fts, rowid, title, body) "
    "VALUES ('delete', old.doc_id, old.title, old.body); END",
    "CREATE TRIGGER search_fts_update AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts (search_fts, rowid, title, body) "
    "VALUES ('delete', old.doc_id, old.title, old.body); "
    "INSERT INTO search_fts (rowid, title, body) VALUES (new.doc_id, new.title, new.body); "
    "END",
]
POSTGRESQL_INDEX = [
    "ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', body), 'B')) STORED",
    "CREATE INDEX ix_search_documents_vector ON search_documents USING gin (search_vector)",
]

COLUMNS = ("doc_id", "kind", "id", "title", "body", "forum_id", "program", "node_id",
           "status", "proposal_id", "meeting_id", "at", "version")


def _documents(bind: sa.Connection) -> Iterator[dict[str, object]]:
    """The documents of every proposal, comment, meeting and commitment held already."""
    def rows(sql: str) -> Iterator[Any]:
        yield from bind.execute(sa.text(sql)).mappings()

    for proposal in rows("SELECT id, title, body, forum_id, program, node_id, status, "
                         "updated_at, version FROM proposals"):
        yield search.proposal_document(proposal)
    for comment in rows("SELECT proposal_id, comment_id, body, node_id, at "
                        "FROM proposal_comments"):
        yield from search.comment_documents(comment["proposal_id"], [comment])
    meetings = sa.table("meetings", *(sa.column(c) for c in (
        "id", "title", "forum_id", "node_id", "updated_at", "version")),
        sa.column("agenda", sa.JSON()), sa.column("minutes", sa.JSON()))
    for meeting in bind.execute(sa.select(meetings)).mappings():
        yield search.meeting_document(meeting)
    for item in rows("SELECT id, title, description, owner_node_id, status, proposal_id, "
                     "meeting_id, updated_at, version FROM action_items"):
        yield search.commitment_document(item)


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "search_documents",
        sa.Column("doc_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=False, nullable=False),
        sa.Column("kind", _TEXT(), nullable=False),
        sa.Column("id", _TEXT(), nullable=False),
        sa.Column("title", _TEXT(), nullable=False),
        sa.Column("body", _TEXT(), nullable=False),
        sa.Column("forum_id", _TEXT(), nullable=True),
        sa.Column("program", _TEXT(), nullable=True),
        sa.Column("node_id", _TEXT(), nullable=True),
        sa.Column("status", _TEXT(), nullable=True),
        sa.Column("proposal_id", _TEXT(), nullable=True),
        sa.Column("meeting_id", _TEXT(), nullable=True),
        sa.Column("at", _TEXT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("doc_id"),
    )
    for statement in SQLITE_INDEX if bind.dialect.name == "sqlite" else POSTGRESQL_INDEX:
        op.execute(statement)
    documents = sa.table("search_documents", *(sa.column(c) for c in COLUMNS))
    batch: list[dict[str, object]] = []
    for document in _documents(bind):
        batch.append({k: (v.replace("\x00", "\ufffd") if isinstance(v, str) else v)
                      for k, v in document.items()})
        if len(batch) >= 5000:
            bind.execute(documents.insert(), batch)
            batch = []
    if batch:
        bind.execute(documents.insert(), batch)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER search_fts_{trigger}")
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_documents")
