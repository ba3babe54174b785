"""Read-model queries for the Atom, iCalendar and open-data documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, or_, select

from services.readmodel.db import snapshot
from services.readmodel.tables import ActionItem, Forum, Indicator, Meeting, Node, Proposal
from web.queries.filters import COMMITMENT, MEETING, PROPOSAL, equal
from web.queries.records import commitment

MAX_ROWS = 100_000


def _proposals(columns: tuple[Any, ...], *, forum: str | None = None, node: str | None = None,
               status: str | None = None, subject: str | None = None,
               limit: int = MAX_ROWS) -> Any:
    query = select(*columns).where(*equal(PROPOSAL, {
        "forum": forum, "node": node, "status": status, "subject": subject}))
    return query.order_by(col(Proposal.updated_at).desc(), col(Proposal.id)).limit(limit)


def _commitments(columns: tuple[Any, ...], *, owner: str | None = None,
                 node: str | None = None, status: str | None = None,
                 forum: str | None = None, subject: str | None = None,
                 limit: int = MAX_ROWS) -> Any:
    query = select(*columns).where(*equal(COMMITMENT, {
        "owner": owner, "status": status, "subject": subject}))
    if node:  # made by the node or owned by it
        query = query.where(or_(ActionItem.node_id == node, ActionItem.owner_node_id == node))
    if forum:
        in_forum_meetings = select(Meeting.id).where(Meeting.forum_id == forum)
        in_forum_proposals = select(Proposal.id).where(Proposal.forum_id == forum)
        query = query.where(or_(col(ActionItem.meeting_id).in_(in_forum_meetings),
                                col(ActionItem.proposal_id).in_(in_forum_proposals)))
    return query.order_by(col(ActionItem.updated_at).desc(), col(ActionItem.id)).limit(limit)


def _meetings(columns: tuple[Any, ...], *, forum: str | None = None, node: str | None = None,
              subject: str | None = None, limit: int = MAX_ROWS) -> Any:
    query = select(*columns).where(*equal(MEETING, {
        "forum": forum, "node": node, "subject": subject}))
    return query.order_by(col(Meeting.starts_at).desc(), col(Meeting.id)).limit(limit)


def proposals(engine: Engine, **filters: Any) -> list[dict[str, Any]]:
    with snapshot(engine) as session:
        return [r.model_dump() for r in session.exec(_proposals((Proposal,), **filters)).all()]


def commitments(engine: Engine, today: dt.date, **filters: Any) -> list[dict[str, Any]]:
    with snapshot(engine) as session:
        rows = session.exec(_commitments((ActionItem,), **filters)).all()
        return [commitment(r, today) for r in rows]


def meetings(engine: Engine, **filters: Any) -> list[dict[str, Any]]:
    with snapshot(engine) as session:
        return [r.model_dump() for r in session.exec(_meetings((Meeting,), **filters)).all()]


Versions = list[tuple[str, int, str]]


def versions(session: Session, kind: str, **filters: Any) -> Versions:
    """(id, version, updated_at) of the rows ``proposals``, ``commitments`` or ``meetings``
    would return for the same filters, in the same order: what names their content
    (``web.conditional``), at the cost of an index read."""
    model: Any
    model, build = {"proposals": (Proposal, _proposals), "commitments": (ActionItem, _commitments),
                    "meetings": (Meeting, _meetings)}[kind]
    rows = session.execute(build((model.id, model.version, model.updated_at), **filters))
    return [tuple(r) for r in rows.all()]


def indicators(engine: Engine) -> list[dict[str, Any]]:
    with snapshot(engine) as session:
        rows = session.exec(select(Indicator).order_by(
            col(Indicator.program), col(Indicator.indicator), col(Indicator.period))).all()
        return [r.model_dump() for r in rows]


def forum(engine: Engine, forum_id: str) -> Forum | None:
    with snapshot(engine) as session:
        return session.get(Forum, forum_id)


def node(engine: Engine, node_id: str) -> Node | None:
    with snapshot(engine) as session:
        return session.get(Node, node_id)
