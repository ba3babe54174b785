"""The SQL read model: tables projected from the aggregates.

Timestamps are ISO 8601 UTC strings (they sort as text, identically on SQLite and
PostgreSQL); small nested parts of an aggregate (status history, endorsers,
minutes) are JSON columns of its row. A proposal's comments are rows of their own
(``proposal_comments``): a thread grows without bound, and a JSON column would be
written whole again for every comment (measured: the read model's time per event
grew with the length of the threads).
Every projected row carries the aggregate's ``version``: an upsert never replaces
a newer row with an older one (a comment, written once and never changed, has none).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON))


class Node(SQLModel, table=True):
    __tablename__ = "nodes"
    id: str = Field(primary_key=True)
    name: str
    kind: str = Field(index=True)
    description: str | None = None
    contact: str | None = None
    registered_at: str
    updated_at: str
    version: int


class Forum(SQLModel, table=True):
    __tablename__ = "forums"
    id: str = Field(primary_key=True)
    title: str
    description: str | None = None
    area: str | None = None
    program: str | None = Field(default=None, index=True)
    node_id: str
    opened_at: str
    updated_at: str
    version: int


class Proposal(SQLModel, table=True):
    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_forum_submitted", "forum_id", "submitted_at"),
        # migration 0003_pages: every list of threads is a page of an index scan
        Index("ix_proposals_updated_at", "updated_at"),
        Index("ix_proposals_forum_status", "forum_id", "status", "submitted_at"),
        Index("ix_proposals_forum_endorsed", "forum_id", "endorsement_count", "submitted_at"),
        Index("ix_proposals_forum_discussed", "forum_id", "comment_count", "submitted_at"),
        Index("ix_proposals_node_submitted", "node_id", "submitted_at"),
    )
    id: str = Field(primary_key=True)
    forum_id: str
    title: str
    body: str
    author: str
    node_id: str  # ix_proposals_node_submitted serves it (migration 0006)
    tags: list[str] = _json()
    program: str | None = Field(default=None, index=True)
    location: str | None = None
    budget_estimate: float | None = None
    status: str = Field(index=True)
    status_history: list[dict[str, Any]] = _json()
    comment_count: int = 0
    endorsers: list[dict[str, Any]] = _json()
    endorsement_count: int = 0
    submitted_at: str = Field(index=True)
    updated_at: str
    version: int


class ProposalComment(SQLModel, table=True):
    """One comment of a thread, written once: it has no version, and a second write of it
    (a batch folded again after a crash) changes nothing."""

    __tablename__ = "proposal_comments"
    __table_args__ = (Index("ix_proposal_comments_thread", "proposal_id", "seq"),)
    proposal_id: str = Field(primary_key=True)
    comment_id: str = Field(primary_key=True)
    seq: int  # its place in the thread, from 1, in the order the comments arrived
    body: str
    author: str
    node_id: str
    in_reply_to: str | None = None
    at: str


class CommentModeration(SQLModel, table=True):
    """A comment the forum's moderators hid (or hid and showed again): the last of their
    decisions, by the node ``node_id`` at ``at``. The comment's own row keeps its text
    (written once, it is not written again); every reader of comments masks the text of
    a hidden one (``web.queries.records.thread_comments``, the search)."""

    __tablename__ = "comment_moderation"
    proposal_id: str = Field(primary_key=True)
    comment_id: str = Field(primary_key=True)
    hidden: bool
    reason: str
    node_id: str
    at: str
    version: int


class Meeting(SQLModel, table=True):
    __tablename__ = "meetings"
    # migration 0002_site: a forum's meetings with and without minutes
    __table_args__ = (Index("ix_meetings_forum_minutes", "forum_id", "has_minutes"),)
    id: str = Field(primary_key=True)
    forum_id: str = Field(index=True)
    title: str
    starts_at: str = Field(index=True)
    location: str | None = None
    agenda: list[str] = _json()
    node_id: str
    minutes: dict[str, Any] | None = _json()
    has_minutes: bool = False
    updated_at: str
    version: int


class ActionItem(SQLModel, table=True):
    __tablename__ = "action_items"
    __table_args__ = (
        Index("ix_action_items_status_due", "status", "due_date"),
        # migration 0003_pages: the board per owner in due order; its counts and scorecard
        # from a covering index
        Index("ix_action_items_owner_due", "owner_node_id", "due_date", "id"),
        Index("ix_action_items_board", "owner_node_id", "status", "due_date", "completed_at"),
        Index("ix_action_items_version", "updated_at", "version"),
    )
    id: str = Field(primary_key=True)
    title: str
    description: str | None = None
    owner_node_id: str  # ix_action_items_owner_due serves it (migration 0006)
    due_date: str = Field(index=True)
    status: str
    percent: int = 0
    meeting_id: str | None = Field(default=None, index=True)
    proposal_id: str | None = Field(default=None, index=True)
    node_id: str
    history: list[dict[str, Any]] = _json()
    overdue_published: bool = False
    created_at: str
    completed_at: str | None = None
    updated_at: str
    version: int


class Program(SQLModel, table=True):
    """A program as last defined, each indicator with its latest figure and progress
    (``services.domain.programs.measured``); ``definitions`` is every definition's
    date, node, name and targets."""

    __tablename__ = "programs"
    id: str = Field(primary_key=True)
    name: str
    summary: str | None = None
    lead_node_id: str = Field(index=True)
    partner_node_ids: list[str] = _json()
    starts_on: str | None = None
    ends_on: str | None = None
    indicators: list[dict[str, Any]] = _json()
    definitions: list[dict[str, Any]] = _json()
    defined_at: str
    updated_at: str
    version: int


class Indicator(SQLModel, table=True):
    """One indicator report: the latest value reported for (indicator, period, area); a
    city-wide report has the area ``""``."""

    __tablename__ = "indicators"
    program: str = Field(primary_key=True)
    indicator: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    # added by migration 0009_programs
    area: str = Field(default="", primary_key=True)
    value: float
    unit: str | None = None
    note: str | None = None
    node_id: str
    reported_at: str
    version: int


class SearchDocument(SQLModel, table=True):
    """What full-text search finds: a proposal, a comment, a meeting (agenda, minutes,
    decisions) or a commitment (``services.domain.search``). The full-text index over
    title and body lives beside it, outside the models (migration 0010_search): an FTS5
    table kept by triggers on SQLite, a generated ``tsvector`` column on PostgreSQL."""

    __tablename__ = "search_documents"
    # the row id on SQLite (INTEGER, not BIGINT, makes it one), which FTS5 points at
    doc_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"),
                                         primary_key=True, autoincrement=False))
    kind: str
    id: str
    title: str
    body: str
    forum_id: str | None = None
    program: str | None = None
    node_id: str | None = None
    status: str | None = None
    proposal_id: str | None = None  # a comment's thread, a commitment's proposal
    meeting_id: str | None = None
    at: str
    version: int


#: what migrations 0010_search and 0012_search_index made outside the models: the FTS5
#: table (and its shadow tables) and the documents waiting for it on SQLite, the
#: tsvector column and its index on PostgreSQL
SEARCH_INDEX_PREFIX = "search_fts"
SEARCH_PENDING = "search_pending"
SEARCH_VECTOR = "search_vector"
SEARCH_VECTOR_INDEX = "ix_search_documents_vector"


def modelled(name: str | None, type_: str, parent_names: Any) -> bool:
    """Whether Alembic compares a database object with the models (``include_name``):
    not the full-text index, which no model describes."""
    if type_ == "table" and name and (name.startswith(SEARCH_INDEX_PREFIX)
                                      or name == SEARCH_PENDING):
        return False
    return not (type_ in ("column", "index") and name in (SEARCH_VECTOR, SEARCH_VECTOR_INDEX))


class ReadModelGeneration(SQLModel, table=True):
    """One row whose token changes in every transaction that writes the read model (a
    projection batch, a rebuild): what the web's caches check that nothing changed since
    (``services.readmodel.db.generation``). Not part of the read model: heartbeats and
    site accounts, written in the same database, leave it alone."""

    __tablename__ = "read_model_generation"
    id: int = Field(default=1, primary_key=True)
    token: str


class WorkerHeartbeat(SQLModel, table=True):
    """Liveness of each worker process, for ``/healthz``; not part of the read model."""

    __tablename__ = "worker_heartbeats"
    worker_id: str = Field(primary_key=True)
    seen_at: float
    events_processed: int = 0
    # added by migration 0004_worker_lag: ingest records not processed yet
    lag: int = 0


class NodeCredential(SQLModel, table=True):
    """A node's API key, stored only as a hash; not part of the read model (never rebuilt)."""

    __tablename__ = "node_credentials"
    key_id: str = Field(primary_key=True)
    node_id: str = Field(index=True)
    key_hash: str = Field(index=True, unique=True)
    created_at: str
    revoked_at: str | None = None
    # added by migration 0002_feeds: what the key may do, and the end of a
    # rotated key's grace period
    scopes: str = Field(default="publish,subscribe")
    expires_at: str | None = None


# The projected tables, keyed by the names the aggregates' ``rows`` use.
READ_MODEL: dict[str, type[SQLModel]] = {
    "nodes": Node,
    "forums": Forum,
    "proposals": Proposal,
    "proposal_comments": ProposalComment,
    "comment_moderation": CommentModeration,
    "meetings": Meeting,
    "action_items": ActionItem,
    "programs": Program,
    "indicators": Indicator,
    "search_documents": SearchDocument,
}
