"""search index: SQLite's full-text index brought up to date once per transaction

Revision ID: 0012_search_index
Revises: 0011_accounts
Create Date: 2026-12-07 09:00:00

The triggers of ``0010_search`` indexed each document for FTS5 in a statement of its
own, and FTS5 writes a segment at the end of every statement: some 35 µs per comment,
the read model three times as long per event. They give way to triggers that only note
which documents changed, and what the index holds of them, in ``search_pending``; the
transaction that wrote them indexes them all in one statement at its end
(``services.readmodel.search_index``). The index agrees with the documents already, so
nothing is noted at first. PostgreSQL's generated ``tsvector`` is left as it is.
"""

from __future__ import annotations

from alembic import op

from services.readmodel import search_index

revision = "0012_search_index"
down_revision = "0011_accounts"
branch_labels = None
depends_on = None

_OLD_TRIGGERS = ("insert", "delete", "update")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in _OLD_TRIGGERS:
        op.execute(f"DROP TRIGGER search_fts_{trigger}")
    for statement in search_index.SQLITE_NOTES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    search_index.catch_up(op.get_bind())  # the index agrees with the documents again
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER search_pending_{trigger}")
    op.execute(f"DROP TABLE {search_index.PENDING}")
    # the triggers of 0010_search, as they were
    op.execute("CREATE TRIGGER search_fts_insert AFTER INSERT ON search_documents BEGIN "
               "INSERT INTO search_fts (rowid, title, body) "
               "VALUES (new.doc_id, new.title, new.body); END")
    op.execute("CREATE TRIGGER search_fts_delete AFTER DELETE ON search_documents BEGIN "
               "INSERT INTO search_fts (search_fts, rowid, title, body) "
               "VALUES ('delete', old.doc_id, old.title, old.body); END")
    op.execute("CREATE TRIGGER search_fts_update AFTER UPDATE ON search_documents BEGIN "
               "INSERT INTO search_fts (search_fts, rowid, title, body) "
               "VALUES ('delete', old.doc_id, old.title, old.body); "
               "INSERT INTO search_fts (rowid, title, body) "
               "VALUES (new.doc_id, new.title, new.body); END")
