"""Full-text search of the read model: ranked documents with highlighted snippets.

The documents (``search_documents``, projected by the aggregates) are found by the
database's own index: FTS5 ranked by bm25 on SQLite, a ``tsvector`` ranked by
``ts_rank`` on PostgreSQL; a title counts more than a body. What a document does not
hold itself is joined in: a comment's thread title, forum, program and status; a
commitment's forum and program through its proposal or meeting; a forum's program.
A comment its forum's moderators hid (``comment_moderation``) is never found: its
document keeps the text (written once, as the comment's row), the search leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from sqlalchemy import Engine, bindparam, text

from services.domain import action_items, proposals
from services.domain.search import KINDS
from services.readmodel.db import snapshot
from web.queries.search_terms import END, START, Terms, highlight

SNIPPET_WORDS = 24
#: what the status filter takes: a proposal's (and so its comments') or a commitment's
STATUSES = tuple(dict.fromkeys((*proposals.STATUSES, *action_items.STATUSES)))

# the documents that match, with a score: lower is better (bm25 is; ts_rank is negated)
_HITS = {
    "sqlite": "SELECT rowid AS doc_id, bm25(search_fts, 10.0, 1.0) AS score "
              "FROM search_fts WHERE search_fts MATCH :match",
    "postgresql": "SELECT doc_id, -ts_rank(search_vector, to_tsquery('simple', :match)) "
                  "AS score FROM search_documents "
                  "WHERE search_vector @@ to_tsquery('simple', :match)",
}
_FORUM = "COALESCE(d.forum_id, p.forum_id, m.forum_id)"
_FROM = f"""
FROM hits h JOIN search_documents d ON d.doc_id = h.doc_id
LEFT JOIN proposals p ON p.id = d.proposal_id
LEFT JOIN meetings m ON m.id = d.meeting_id
LEFT JOIN forums f ON f.id = {_FORUM}
LEFT JOIN comment_moderation cm
  ON d.kind = 'comment' AND cm.proposal_id = d.proposal_id AND cm.comment_id = d.id
WHERE NOT COALESCE(cm.hidden, FALSE)
  AND (CAST(:kind AS TEXT) IS NULL OR d.kind = :kind)
  AND (CAST(:forum AS TEXT) IS NULL OR {_FORUM} = :forum)
  AND (CAST(:program AS TEXT) IS NULL OR COALESCE(d.program, p.program, f.program) = :program)
  AND (CAST(:node AS TEXT) IS NULL OR d.node_id = :node)
  AND (CAST(:status AS TEXT) IS NULL OR COALESCE(d.status, p.status) = :status)
"""
_PAGE = f"""
SELECT d.doc_id, d.kind, d.id, COALESCE(NULLIF(d.title, ''), p.title, '') AS title,
       d.proposal_id, {_FORUM} AS forum_id, d.node_id, COALESCE(d.status, p.status) AS status,
       d.at
{_FROM}
ORDER BY h.score, d.at DESC, d.doc_id
LIMIT :limit OFFSET :offset
"""
_COUNT = f"SELECT count(*) {_FROM}"
_SNIPPETS = {
    "sqlite": text(f"SELECT rowid, snippet(search_fts, 1, '{START}', '{END}', '…', "
                   f"{SNIPPET_WORDS}) FROM search_fts "
                   "WHERE search_fts MATCH :match AND rowid IN :ids"
                   ).bindparams(bindparam("ids", expanding=True)),
    "postgresql": text("SELECT doc_id, ts_headline('simple', body, "
                       "to_tsquery('simple', :match), :options) "
                       "FROM search_documents WHERE doc_id IN :ids"
                       ).bindparams(bindparam("ids", expanding=True)),
}
_HEADLINE = (f'StartSel="{START}", StopSel="{END}", MaxWords={SNIPPET_WORDS}, MinWords=8, '
             'MaxFragments=2, FragmentDelimiter=" … "')


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    forum: str | None = None
    program: str | None = None
    node: str | None = None
    status: str | None = None


def parse_filters(params: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """The filters asked for (an empty one is none), and why any is wrong, by name (a
    wrong kind or status is left out)."""
    given = {name: (params.get(name) or "").strip() or None
             for name in ("kind", "forum", "program", "node", "status")}
    errors = {}
    if given["kind"] is not None and given["kind"] not in KINDS:
        errors["kind"] = f"must be one of {', '.join(KINDS)}"
        given["kind"] = None
    if given["status"] is not None and given["status"] not in STATUSES:
        errors["status"] = f"must be one of {', '.join(STATUSES)}"
        given["status"] = None
    return Filters(**given), errors


@dataclass(frozen=True)
class Hit:
    kind: str
    id: str
    title: str
    snippet: Markup
    url: str
    proposal_id: str | None
    forum_id: str | None
    node_id: str | None
    status: str | None
    at: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "title": self.title,
                "snippet": str(self.snippet), "url": self.url, "forum_id": self.forum_id,
                "node_id": self.node_id, "status": self.status, "at": self.at}


def url_of(kind: str, id_: str, proposal_id: str | None) -> str:
    """Where a document is read: a comment by its lasting address, which finds the page of
    its thread that shows it."""
    if kind == "comment":
        return f"/proposals/{quote(proposal_id or '', safe='')}/comments/{quote(id_, safe='')}"
    path = {"proposal": "proposals", "meeting": "meetings", "commitment": "commitments"}[kind]
    return f"/{path}/{quote(id_, safe='')}"


def search(engine: Engine, terms: Terms, filters: Filters, *, limit: int, offset: int
           ) -> tuple[list[Hit], int]:
    """One page of the documents matching every term and the filters, best first; and how
    many match in all."""
    if not terms:
        return [], 0
    dialect = engine.dialect.name
    match = terms.fts5() if dialect == "sqlite" else terms.tsquery()
    hits = f"WITH hits AS ({_HITS[dialect]})"
    params = {"match": match, "kind": filters.kind, "forum": filters.forum,
              "program": filters.program, "node": filters.node, "status": filters.status}
    with snapshot(engine) as session:
        rows = session.execute(text(hits + _PAGE),
                               params | {"limit": limit, "offset": offset}).mappings().all()
        total = session.execute(text(hits + _COUNT), params).scalar_one() if (
            offset or len(rows) == limit) else offset + len(rows)
        snippets: dict[int, str] = {}
        if rows:
            extra = {"options": _HEADLINE} if dialect == "postgresql" else {}
            snippets = dict(session.execute(
                _SNIPPETS[dialect],
                {"match": match, "ids": [r["doc_id"] for r in rows], **extra}).all())
    return [Hit(kind=r["kind"], id=r["id"], title=r["title"],
                snippet=highlight(snippets.get(r["doc_id"]) or ""),
                url=url_of(r["kind"], r["id"], r["proposal_id"]),
                proposal_id=r["proposal_id"], forum_id=r["forum_id"], node_id=r["node_id"],
                status=r["status"], at=r["at"]) for r in rows], int(total)
