"""SQLite's full-text index of the search documents: brought up to date once per
transaction, in one statement, not once per document.

FTS5 writes what it has gathered to disk at the end of every statement (its savepoint
hook flushes it), so an index kept by ``AFTER INSERT`` triggers wrote a segment of its
own for every document and merged them again and again: some 35 µs per comment, more
than all the comment's other rows, and the read model took three times as long per
event. The same documents indexed by one ``INSERT … SELECT`` take about 3 µs each.

So the triggers on ``search_documents`` only note which documents changed in
``search_pending``, with the text the index holds of each, and ``catch_up``, run by
``upsert`` at the end of the transaction that wrote them, indexes them all at once:
the index never lags its rows.

The index is FTS5 with external content (``search_documents`` holds the text): to take
a document out of it FTS5 must be given the very text it indexed, which an update has
overwritten by then. The pending row keeps that text: made by the first change since
the document was last indexed, it holds what the index holds — nothing for a document
never indexed, the old title and body for one that was — however many changes follow
(a later change finds it noted and notes nothing). An update that leaves the title and
body as they were (a new version, status or count) notes nothing at all.

PostgreSQL needs none of this: its ``tsvector`` is a generated column, computed by the
server beside the row.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from services.readmodel.tables import SEARCH_PENDING as PENDING


def _note(doc: str, title: str, body: str) -> str:
    """A trigger's statement: note the document unless it is noted already (an upsert
    clause: a trigger's ``OR IGNORE`` gives way to the conflict clause of the upsert
    that fired it)."""
    return (f"INSERT INTO {PENDING} (doc_id, title, body) VALUES ({doc}, {title}, {body}) "
            "ON CONFLICT (doc_id) DO NOTHING;")


#: the notes and the triggers that make them (migration ``0012_search_index``)
SQLITE_NOTES = [
    f"CREATE TABLE {PENDING} (doc_id INTEGER NOT NULL PRIMARY KEY, title TEXT, body TEXT)",
    "CREATE TRIGGER search_pending_insert AFTER INSERT ON search_documents BEGIN "
    f"{_note('new.doc_id', 'NULL', 'NULL')} END",
    "CREATE TRIGGER search_pending_update AFTER UPDATE OF title, body ON search_documents "
    "WHEN old.title IS NOT new.title OR old.body IS NOT new.body BEGIN "
    f"{_note('old.doc_id', 'old.title', 'old.body')} END",
    "CREATE TRIGGER search_pending_delete AFTER DELETE ON search_documents BEGIN "
    f"{_note('old.doc_id', 'old.title', 'old.body')} END",
]

_CATCH_UP = [
    # out of the index: what it holds of each (a document never indexed has no title here)
    text("INSERT INTO search_fts (search_fts, rowid, title, body) "
         f"SELECT 'delete', doc_id, title, body FROM {PENDING} WHERE title IS NOT NULL"),
    # into it: what each holds now (a deleted one, nothing)
    text("INSERT INTO search_fts (rowid, title, body) SELECT d.doc_id, d.title, d.body "
         f"FROM {PENDING} p JOIN search_documents d ON d.doc_id = p.doc_id"),
    text(f"DELETE FROM {PENDING}"),
]


def catch_up(connection: Connection) -> int:
    """Index the documents changed since they were last indexed, in the connection's
    transaction; how many. Nothing to do on PostgreSQL."""
    if connection.dialect.name != "sqlite":
        return 0
    *index, done = _CATCH_UP
    for statement in index:
        connection.execute(statement)
    return int(connection.execute(done).rowcount or 0)


def emptied(connection: Connection) -> None:
    """The index of no documents, once every document was deleted (``empty_read_model``):
    FTS5's own ``delete-all``, not a delete per document."""
    if connection.dialect.name != "sqlite":
        return
    connection.execute(text(f"DELETE FROM {PENDING}"))
    connection.execute(text("INSERT INTO search_fts (search_fts) VALUES ('delete-all')"))
