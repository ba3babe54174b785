"""Read-model queries for the API and the pages: indexed, one statement each."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import Engine, bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from services.domain import proposals
from services.domain.action_items import is_late
from services.readmodel import models
from services.readmodel.db import read_snapshot, snapshot
from services.readmodel.tables import (
    ActionItem,
    CommentModeration,
    Forum,
    Meeting,
    Node,
    Proposal,
    ProposalComment,
)
from web.queries.board import BoardFilters, late, summary
from web.queries.filters import COMMITMENT, FORUM, MEETING, NODE, PROPOSAL, equal


def _dump(row: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = row.model_dump()
    for name in exclude or ():
        data.pop(name, None)
    return data


#: a comment as the API and the pages show it (the rows' other columns are bookkeeping)
COMMENT_FIELDS = tuple(name for name in models.Comment.model_fields if name != "hidden")
_COMMENT_COLUMNS: tuple[Any, ...] = tuple(getattr(ProposalComment, name)
                                         for name in COMMENT_FIELDS)
_MODERATION: tuple[Any, ...] = (col(CommentModeration.hidden), col(CommentModeration.reason),
                                col(CommentModeration.node_id), col(CommentModeration.at))


def thread_comments(session: Session, proposal_id: str) -> list[dict[str, Any]]:
    """A proposal's comments in the order they came; a hidden one without its body (every
    page and answer that shows comments reads them here), with ``hidden`` saying why."""
    found = session.execute(
        sa_select(*_COMMENT_COLUMNS, *_MODERATION)
        .outerjoin(CommentModeration, (col(CommentModeration.proposal_id) == proposal_id)
                   & (col(CommentModeration.comment_id) == col(ProposalComment.comment_id)))
        .where(col(ProposalComment.proposal_id) == proposal_id)
        .order_by(col(ProposalComment.seq))).all()
    comments = []
    for row in found:
        comment = dict(zip(COMMENT_FIELDS, row, strict=False))
        hidden, reason, node_id, at = row[len(COMMENT_FIELDS):]
        comment["hidden"] = None
        if hidden:
            comment["body"] = ""
            comment["hidden"] = {"reason": reason, "node_id": node_id, "at": at}
        comments.append(comment)
    return comments


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


def get_commitment(engine: Engine, item_id: str, today: dt.date) -> dict[str, Any] | None:
    """A commitment as the lists show it (its history included)."""
    with snapshot(engine) as session:
        row = session.get(ActionItem, item_id)
        return None if row is None else commitment(row, today)


#: a meeting in a list: its row without the minutes
MEETING_SUMMARY_FIELDS = tuple(models.MeetingSummary.model_fields)
_MEETING_COLUMNS = tuple(getattr(Meeting, name) for name in MEETING_SUMMARY_FIELDS)


def list_meetings(
    engine: Engine,
    *,
    forum: str | None = None,
    starts_from: str | None = None,
    starts_before: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of meetings, soonest first, and how many match; ``starts_from`` (inclusive)
    and ``starts_before`` (exclusive) are times in the read model's format."""
    where = equal(MEETING, {"forum": forum})
    if starts_from is not None:
        where.append(col(Meeting.starts_at) >= starts_from)
    if starts_before is not None:
        where.append(col(Meeting.starts_at) < starts_before)
    with snapshot(engine) as session:
        total = session.exec(select(func.count()).select_from(Meeting).where(*where)).one()
        rows = session.execute(select(*_MEETING_COLUMNS).where(*where)
                               .order_by(col(Meeting.starts_at), col(Meeting.id))
                               .offset(offset).limit(limit)).all()
    return [dict(zip(MEETING_SUMMARY_FIELDS, row, strict=True)) for row in rows], int(total)


def forum_meetings(session: Session, forum_id: str, now: str
                   ) -> tuple[list[Meeting], list[Meeting]]:
    """A forum's meetings without their minutes: the upcoming ones soonest first and the
    past ones latest first (what the forum page and the API show)."""
    meetings = session.exec(select(Meeting).where(Meeting.forum_id == forum_id)
                            .options(defer(Meeting.minutes))  # type: ignore[arg-type]
                            .order_by(col(Meeting.starts_at))).all()
    return ([m for m in meetings if m.starts_at >= now],
            [m for m in reversed(meetings) if m.starts_at < now])


FORUM_SUMMARY_FIELDS = tuple(Forum.model_fields)
_FORUM_COLUMNS = tuple(getattr(Forum, name) for name in FORUM_SUMMARY_FIELDS)
#: the meetings a forum's answer lists of each kind (upcoming, past)
FORUM_MEETINGS = 20


def list_forums(
    engine: Engine,
    *,
    program: str | None = None,
    area: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of forums by title, each with its proposal count, and how many match."""
    where = equal(FORUM, {"program": program, "area": area})
    with snapshot(engine) as session:
        total = session.exec(select(func.count()).select_from(Forum).where(*where)).one()
        rows = session.execute(select(*_FORUM_COLUMNS).where(*where)
                               .order_by(col(Forum.title), col(Forum.id))
                               .offset(offset).limit(limit)).all()
        ids = [row.id for row in rows]
        counts = dict(session.execute(
            select(Proposal.forum_id, func.count()).where(col(Proposal.forum_id).in_(ids))
            .group_by(col(Proposal.forum_id))).all()) if ids else {}
    return [{**dict(zip(FORUM_SUMMARY_FIELDS, row, strict=True)),
             "proposal_count": counts.get(row.id, 0)} for row in rows], int(total)


def get_forum(engine: Engine, forum_id: str, now: str) -> dict[str, Any] | None:
    """A forum, its proposals counted by status and its meetings around ``now``."""
    with snapshot(engine) as session:
        forum = session.get(Forum, forum_id)
        if forum is None:
            return None
        counts = dict(session.execute(
            select(Proposal.status, func.count()).where(Proposal.forum_id == forum_id)
            .group_by(col(Proposal.status))).all())
        upcoming, past = forum_meetings(session, forum_id, now)
        data = _dump(forum)

    def shown(meetings: list[Meeting]) -> list[dict[str, Any]]:
        return [{name: getattr(m, name) for name in MEETING_SUMMARY_FIELDS}
                for m in meetings[:FORUM_MEETINGS]]

    data |= {"proposal_count": sum(counts.values()),
             "proposals_by_status": {s: counts.get(s, 0) for s in (*proposals.STATUSES,
                                                                   *sorted(counts))},
             "meeting_count": len(upcoming) + len(past),
             "upcoming_meetings": shown(upcoming), "past_meetings": shown(past)}
    return data


def list_nodes(engine: Engine, kind: str | None = None, *, limit: int = 500,
               offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    where = equal(NODE, {"kind": kind})
    with snapshot(engine) as session:
        total = session.exec(select(func.count()).select_from(Node).where(*where)).one()
        rows = session.exec(select(Node).where(*where).order_by(col(Node.id))
                            .offset(offset).limit(limit)).all()
        return [_dump(r) for r in rows], int(total)


def get_node(engine: Engine, node_id: str, today: dt.date, tz: str) -> dict[str, Any] | None:
    """A node with its commitments by status and its track record (the node page's)."""
    with snapshot(engine) as session:
        node = session.get(Node, node_id)
        if node is None:
            return None
        data = _dump(node)
    counts, record = summary(engine, BoardFilters(owner=node_id), today, tz)
    score = record[0] if record else None
    data |= {"commitments_by_status": counts,
             "record": None if score is None else {
                 "committed": score.committed, "done": score.done, "overdue": score.overdue,
                 "on_time": score.on_time, "on_time_rate": score.on_time_rate}}
    return data


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
