"""Search documents: what full-text search finds, projected like any other read-model row.

Each proposal, comment, meeting (its agenda, minutes summary and decisions) and
commitment is one row of ``search_documents``, written by its aggregate's ``rows``;
the database indexes the rows' title and body (SQLite FTS5, PostgreSQL tsvector).
A document holds what its own aggregate knows: a comment's thread title, forum,
program and status, a commitment's forum, are read through joins when searching, so
they follow the thread and a rebuild gives the same rows.

Pure: plain mappings in, plain dicts out (the migration that made the table builds
its first rows from the read model's rows with these same functions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

TABLE = "search_documents"

#: the kinds of documents, in the order the search page offers them
KINDS = ("proposal", "comment", "meeting", "commitment")

#: a comment's document is written once (as its row is): it never changes. A comment
#: its forum's moderators hid keeps its document; the search leaves it out (it joins
#: ``comment_moderation``), and finds it again once it is restored.
COMMENT_VERSION = 1


def document_id(kind: str, id_: str, proposal_id: str | None = None) -> int:
    """The document's key, a stable 63-bit number made from what it is: a comment's id is
    unique only within its thread. A number (not the text) so that SQLite keeps it as
    the row id the full-text index points at, which ``VACUUM`` never renumbers."""
    name = "\x1f".join((kind, proposal_id or "", id_)).encode()
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big") >> 1


def _document(kind: str, id_: str, *, title: str, body: str, at: str, version: int,
              node_id: str | None, forum_id: str | None = None, program: str | None = None,
              status: str | None = None, proposal_id: str | None = None,
              meeting_id: str | None = None) -> dict[str, object]:
    return {"doc_id": document_id(kind, id_, proposal_id if kind == "comment" else None),
            "kind": kind, "id": id_, "title": title, "body": body, "forum_id": forum_id,
            "program": program, "node_id": node_id, "status": status,
            "proposal_id": proposal_id, "meeting_id": meeting_id, "at": at,
            "version": version}


def proposal_document(proposal: Mapping[str, Any]) -> dict[str, object]:
    return _document("proposal", proposal["id"], title=proposal["title"],
                     body=proposal["body"], at=proposal["updated_at"],
                     version=proposal["version"], node_id=proposal["node_id"],
                     forum_id=proposal["forum_id"], program=proposal.get("program"),
                     status=proposal.get("status"))


def comment_documents(proposal_id: str, comments: Iterable[Mapping[str, Any]]
                      ) -> list[dict[str, object]]:
    """The documents of a thread's comments. Its thread's title, forum, program and
    status, and whether its moderators hid it, are joined in when searching."""
    return [_document("comment", c["comment_id"], title="", body=c["body"], at=c["at"],
                      version=COMMENT_VERSION, node_id=c["node_id"], proposal_id=proposal_id)
            for c in comments]


def meeting_text(meeting: Mapping[str, Any]) -> str:
    """What is searched of a meeting: its agenda, its minutes' summary and decisions."""
    minutes = meeting.get("minutes") or {}
    parts = [*(meeting.get("agenda") or ()), minutes.get("summary") or "",
             *(d.get("text") or "" for d in minutes.get("decisions") or ())]
    return "\n".join(p for p in parts if p)


def meeting_document(meeting: Mapping[str, Any]) -> dict[str, object]:
    return _document("meeting", meeting["id"], title=meeting["title"],
                     body=meeting_text(meeting), at=meeting["updated_at"],
                     version=meeting["version"], node_id=meeting["node_id"],
                     forum_id=meeting["forum_id"])


def commitment_document(item: Mapping[str, Any]) -> dict[str, object]:
    """A commitment's document: its node is its owner (who people look for)."""
    return _document("commitment", item["id"], title=item["title"],
                     body=item.get("description") or "", at=item["updated_at"],
                     version=item["version"], node_id=item["owner_node_id"],
                     status=item["status"], proposal_id=item.get("proposal_id"),
                     meeting_id=item.get("meeting_id"))
