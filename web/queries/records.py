"""Read-model queries for the API and the pages: indexed, one statement each."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import Engine, bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from services.domain.action_items import is_late
from services.readmodel import models
from services.readmodel.db import read_snapshot, snapshot
from services.readmodel.tables import (
    ActionItem,
    Forum,
    Meeting,
    Node,
    Proposal,
    ProposalComment,
)
from web.queries.board import late
from web.queries.filters import COMMITMENT, PROPOSAL, equal


def _dump(row: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = row.model_dump()
    for name in exclude or ():
        data.pop(name, None)
    return data


#: a comment as the API and the pages show it (the rows' other columns are bookkeeping)
COMMENT_FIELDS = tuple(models.Comment.model_fields)
_COMMENT_COLUMNS = tuple(getattr(ProposalComment, name) for name in COMMENT_FIELDS)


def thread_comments(session: Session, proposal_id: str) -> list[dict[str, Any]]:
    """A proposal's comments in the order they came."""
    found = session.execute(select(*_COMMENT_COLUMNS)
                            .where(ProposalComment.proposal_id == proposal_id)
                            .order_by(col(ProposalComment.seq))).all()
    return [dict(zip(COMMENT_FIELDS, row, strict=True)) for row in found]


def has_comment(engine: Engine, proposal_id: str, comment_id: str) -> bool:
    with snapshot(engine) as session:
        found = session.get(ProposalComment, (proposal_id, comment_id))
    return found is not None


_NOT_IN_A_COMMITMENT = set(ActionItem.model_fields) - set(models.Commitment.model_fields)


def commitment(row: ActionItem, today: dt.date) -> dict[str, Any]:
    data = _dump(row, _NOT_IN_A_COMMITMENT)
    data["overdue"] = is_late(row.status, row.due_date, today)
    return data


#: a proposal in a list (the API's, the feeds'): its row without the long histories
PROPOSAL_SUMMARY_FIELDS = tuple(models.ProposalSummary.model_fields)
_SUMMARY_COLUMNS = tuple(getattr(Proposal, name) for name in PROPOSAL_SUMMARY_FIELDS)


@functools.cache
def _proposal_list(filters: tuple[str, ...]) -> tuple[Any, Any]:
    """The count and the page of a proposal list filtered on ``filters``, built once."""
    where = [col(PROPOSAL[name]) == bindparam(name) for name in filters]
    count = sa_select(func.count()).select_from(Proposal).where(*where)
    page = (sa_select(*_SUMMARY_COLUMNS).where(*where)
            .order_by(col(Proposal.submitted_at).desc(), col(Proposal.id))
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return count, page


def list_proposals(
    engine: Engine,
    *,
    forum: str | None = None,
    status: str | None = None,
    node: str | None = None,
    program: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of proposals, newest first, and how many match (the API's list, which
    agencies poll: statements built once, read as rows in one snapshot)."""
    given = {"forum": forum, "status": status, "node": node, "program": program}
    filters = {name: value for name, value in given.items() if value}
    count, page = _proposal_list(tuple(filters))
    (((total,),), rows) = read_snapshot(
        engine, (count, filters), (page, {**filters, "limit": limit, "offset": offset}))
    return [dict(zip(PROPOSAL_SUMMARY_FIELDS, row, strict=True)) for row in rows], int(total)


def get_proposal(engine: Engine, proposal_id: str, today: dt.date) -> dict[str, Any] | None:
    with snapshot(engine) as session:
        row = session.get(Proposal, proposal_id)
        if row is None:
            return None
        items = session.exec(
            select(ActionItem)
            .where(ActionItem.proposal_id == proposal_id)
            .order_by(col(ActionItem.due_date), col(ActionItem.id))
        ).all()
        data = _dump(row)
        data["comments"] = thread_comments(session, proposal_id)
        data["action_items"] = [commitment(i, today) for i in items]
    return data


def list_commitments(
    engine: Engine,
    today: dt.date,
    *,
    owner: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    proposal: str | None = None,
    meeting: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    query = select(ActionItem).where(*equal(COMMITMENT, {
        "owner": owner, "status": status, "proposal": proposal, "meeting": meeting}))
    if overdue is True:
        query = query.where(late(today))
    elif overdue is False:
        query = query.where(~late(today))
    with snapshot(engine) as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(
            query.order_by(col(ActionItem.due_date), col(ActionItem.id)).offset(offset).limit(limit)
        ).all()
    return [commitment(r, today) for r in rows], int(total)


def get_meeting(engine: Engine, meeting_id: str, today: dt.date) -> dict[str, Any] | None:
    with snapshot(engine) as session:
        row = session.get(Meeting, meeting_id)
        if row is None:
            return None
        items = session.exec(
            select(ActionItem)
            .where(ActionItem.meeting_id == meeting_id)
            .order_by(col(ActionItem.due_date), col(ActionItem.id))
        ).all()
        data = _dump(row)
        data["action_items"] = [commitment(i, today) for i in items]
    return data


def list_nodes(engine: Engine, kind: str | None = None) -> list[dict[str, Any]]:
    query = select(Node).order_by(col(Node.id))
    if kind:
        query = query.where(Node.kind == kind)
    with snapshot(engine) as session:
        return [_dump(r) for r in session.exec(query).all()]


def table_version(session: Session, model: Any) -> tuple[int, int, str | None]:
    """(rows, sum of versions, latest ``updated_at``) of a whole table: versions only grow
    and rows are never deleted, so any change to any row changes this."""
    stamp = model.updated_at if hasattr(model, "updated_at") else model.reported_at
    count, total, latest = session.execute(
        select(func.count(), func.coalesce(func.sum(model.version), 0), func.max(stamp))
    ).one()
    return int(count), int(total), latest


def version_sums(model: Any, *where: Any) -> tuple[Any, Any]:
    """The count of ``model``'s rows matching ``where`` and the sum of their versions, as
    scalar subqueries for one statement: for the same reason as ``table_version``, any
    change to those rows changes the pair."""
    return (select(func.count()).select_from(model).where(*where).scalar_subquery(),
            select(func.coalesce(func.sum(model.version), 0)).where(*where).scalar_subquery())


def owner_version(session: Session, kind: str, owner_id: str) -> tuple[int, str] | None:
    """(version, updated_at) of a forum or a node, or None if there is none."""
    model = Forum if kind == "forum" else Node
    return session.execute(select(model.version, model.updated_at)
                           .where(model.id == owner_id)).first()
