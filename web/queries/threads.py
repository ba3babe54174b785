"""What the forum pages show: forums, proposal threads, meetings, nodes, search.

Every function reads the read model in one session and returns plain data for a
template; nothing here knows about HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, String, bindparam, cast, func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from services.domain.action_items import CLOSED, is_late, step_statuses
from services.readmodel.db import read_rows, snapshot
from services.readmodel.tables import ActionItem, Forum, Meeting, Node, Program, Proposal
from web.queries.board import BoardFilters, Commitment, rows, summary
from web.queries.records import forum_meetings, thread_comments, version_sums

SORTS = {
    "newest": (col(Proposal.submitted_at).desc(),),
    "endorsed": (col(Proposal.endorsement_count).desc(), col(Proposal.submitted_at).desc()),
    "discussed": (col(Proposal.comment_count).desc(), col(Proposal.submitted_at).desc()),
}
SEARCH_LIMIT = 50
PAGE_SIZE = 50
# what a list of threads shows: never the comments, endorsers and history of each
LIST_ONLY = tuple(defer(c) for c in (Proposal.endorsers,  # type: ignore[arg-type]
                                     Proposal.status_history))
COMMENT_THREADS_PER_PAGE = 50


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def forums(engine: Engine) -> list[dict[str, Any]]:
    with snapshot(engine) as session:
        counts = dict(session.exec(
            select(Proposal.forum_id, func.count()).group_by(col(Proposal.forum_id))).all())
        rows = session.exec(select(Forum).order_by(col(Forum.title))).all()
    return [{**f.model_dump(), "proposal_count": counts.get(f.id, 0)} for f in rows]


def latest_proposals(engine: Engine, limit: int = 8) -> list[Proposal]:
    with snapshot(engine) as session:
        return list(session.exec(select(Proposal).options(*LIST_ONLY)
                                 .order_by(col(Proposal.updated_at).desc()).limit(limit)).all())


def upcoming_meetings(engine: Engine, now: str, forum: str | None = None,
                      limit: int = 20) -> list[Meeting]:
    query = select(Meeting).where(Meeting.starts_at >= now)
    if forum:
        query = query.where(Meeting.forum_id == forum)
    with snapshot(engine) as session:
        return list(session.exec(query.order_by(col(Meeting.starts_at)).limit(limit)).all())


def search(engine: Engine, *, text: str | None, forum: str | None, status: str | None,
           node: str | None, program: str | None) -> list[Proposal]:
    query = select(Proposal)
    if text:
        pattern = _like(text.strip())
        query = query.where(col(Proposal.title).ilike(pattern, escape="\\")
                            | col(Proposal.body).ilike(pattern, escape="\\"))
    for column, value in ((Proposal.forum_id, forum), (Proposal.status, status),
                          (Proposal.node_id, node), (Proposal.program, program)):
        if value:
            query = query.where(column == value)
    query = (query.options(*LIST_ONLY).order_by(col(Proposal.submitted_at).desc())
             .limit(SEARCH_LIMIT))
    with snapshot(engine) as session:
        return list(session.exec(query).all())


def programs(engine: Engine) -> list[str]:
    with snapshot(engine) as session:
        found = {p for p in session.exec(select(Forum.program)) if p}
        found |= {p for p in session.exec(select(Proposal.program).distinct()) if p}
    return sorted(found)


def forum_page(engine: Engine, forum_id: str, *, sort: str, status: str | None,
               now: str, page: int = 1) -> dict[str, Any] | None:
    """The forum with one page of its threads (an index scan per sort) and its meetings."""
    with snapshot(engine) as session:
        forum = session.get(Forum, forum_id)
        if forum is None:
            return None
        query = select(Proposal).where(Proposal.forum_id == forum_id)
        if status:
            query = query.where(Proposal.status == status)
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        proposals = session.exec(query.options(*LIST_ONLY).order_by(*SORTS[sort])
                                 .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        upcoming, past = forum_meetings(session, forum_id, now)
    return {
        "forum": forum,
        "proposals": list(proposals),
        "proposal_total": total,
        "page": page,
        "pages": pages,
        "upcoming": upcoming,
        "past": past,
    }


def comment_tree(comments: list[dict[str, Any]], first: int = 0,
                 count: int | None = None) -> list[dict[str, Any]]:
    """Comments as a tree: each with its ``replies``; a reply to an unknown comment is top level.

    ``first`` and ``count`` pick a page of the top-level comments; only those are built.
    """
    children = _children(comments)

    def build(parent: str | None, depth: int) -> list[dict[str, Any]]:
        return [{**c, "depth": depth, "replies": build(c["comment_id"], depth + 1)}
                for c in children.get(parent, [])]

    roots = children.get(None, [])
    chosen = roots[first:] if count is None else roots[first:first + count]
    return [{**c, "depth": 0, "replies": build(c["comment_id"], 1)} for c in chosen]


def comment_page(comments: list[dict[str, Any]], comment_id: str) -> int | None:
    """The page of the thread that shows a comment (its top-level comment's page, since a
    reply is shown under it); None for a comment the thread does not show."""
    by_id = {c["comment_id"]: c for c in comments}
    comment = by_id.get(comment_id)
    if comment is None:
        return None
    seen = {comment_id}
    while (parent := comment.get("in_reply_to")) is not None and parent in by_id \
            and parent not in seen:
        seen.add(parent)
        comment = by_id[parent]
    roots = [root["comment_id"] for root in _children(comments).get(None, [])]
    if comment["comment_id"] not in roots:  # a loop of replies: shown on no page
        return None
    return roots.index(comment["comment_id"]) // COMMENT_THREADS_PER_PAGE + 1


def comment_location(engine: Engine, proposal_id: str, comment_id: str) -> int | None:
    """The page of ``proposal_id``'s thread that shows ``comment_id`` (None if it has none)."""
    with snapshot(engine) as session:
        comments = thread_comments(session, proposal_id)
    return comment_page(comments, comment_id)


def top_level_count(comments: list[dict[str, Any]]) -> int:
    known = {c["comment_id"] for c in comments}
    return sum(1 for c in comments if c.get("in_reply_to") not in known)


def _children(comments: list[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    known = {c["comment_id"] for c in comments}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for comment in sorted(comments, key=lambda c: c["at"]):
        parent = comment.get("in_reply_to")
        children[parent if parent in known else None].append(comment)
    return children


def _commitment(row: ActionItem, today: dt.date,
                proposal_title: str | None = None) -> Commitment:
    return Commitment(id=row.id, title=row.title, owner_node_id=row.owner_node_id,
                      due_date=row.due_date, status=row.status, percent=row.percent,
                      overdue=is_late(row.status, row.due_date, today),
                      proposal_id=row.proposal_id, proposal_title=proposal_title,
                      meeting_id=row.meeting_id, forum_id=None, program=None,
                      completed_at=row.completed_at, updated_at=row.updated_at)


def timeline(proposal: Proposal, meetings: list[Meeting],
             items: list[ActionItem]) -> list[dict[str, Any]]:
    """One story from proposal to result: submission, statuses, meetings, commitments."""
    entries: list[dict[str, Any]] = []
    for index, change in enumerate(proposal.status_history or []):
        kind = "submitted" if index == 0 else "status"
        entries.append({"at": change["at"], "kind": kind, "status": change["status"],
                        "reason": change.get("reason"), "node_id": change.get("node_id")})
    for meeting in meetings:
        entries.append({"at": meeting.starts_at, "kind": "meeting", "meeting": meeting})
    for item in items:
        history = item.history or []
        for step, status in zip(history, step_statuses(history), strict=True):
            entries.append({"at": step["at"], "kind": "item_" + step["kind"], "item": item,
                            "step": step, "status": status})
    return sorted(entries, key=lambda e: e["at"])


def _discussed_at(session: Session, proposal: Proposal) -> list[Meeting]:
    """Meetings of the proposal's forum whose minutes record a decision about it.

    The database narrows them down to minutes whose text mentions the id (a superset,
    whatever the JSON spacing); the decisions themselves are checked here.
    """
    mentions = cast(Meeting.minutes, String).like(_like(proposal.id), escape="\\")
    found = session.exec(select(Meeting).where(Meeting.forum_id == proposal.forum_id)
                         .where(col(Meeting.has_minutes).is_(True)).where(mentions)).all()
    return [m for m in found if any(d.get("proposal_id") == proposal.id
                                    for d in (m.minutes or {}).get("decisions", []))]


def proposal_page(engine: Engine, proposal_id: str, today: dt.date,
                  page: int = 1) -> dict[str, Any] | None:
    """The thread, with one page of its comment threads (top-level comments and their replies)."""
    with snapshot(engine) as session:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None:
            return None
        forum = session.get(Forum, proposal.forum_id)
        comments = thread_comments(session, proposal_id)
        items = list(session.exec(select(ActionItem).where(ActionItem.proposal_id == proposal_id)
                                  .order_by(col(ActionItem.due_date))).all())
        meeting_ids = {i.meeting_id for i in items if i.meeting_id}
        discussed = _discussed_at(session, proposal)
        meeting_ids -= {m.id for m in discussed}
        if meeting_ids:
            discussed += session.exec(select(Meeting)
                                      .where(col(Meeting.id).in_(meeting_ids))).all()
        names = dict(session.exec(select(Node.id, Node.name)).all())
    discussed.sort(key=lambda m: m.starts_at)
    decisions = {m.id: [d for d in (m.minutes or {}).get("decisions", [])
                        if d.get("proposal_id") == proposal_id] for m in discussed}
    pages = max(1, -(-top_level_count(comments) // COMMENT_THREADS_PER_PAGE))
    page = min(max(page, 1), pages)
    first = (page - 1) * COMMENT_THREADS_PER_PAGE
    return {
        "proposal": proposal,
        "forum": forum,
        "comments": comment_tree(comments, first, COMMENT_THREADS_PER_PAGE),
        "comment_page": page,
        "comment_pages": pages,
        "meetings": discussed,
        "decisions": decisions,
        "commitments": [_commitment(i, today) for i in _open_first(items)],
        "timeline": timeline(proposal, discussed, items),
        "live_version": _version(proposal.version, items),
        "node_names": names,
    }


def _version(own: int, items: list[ActionItem]) -> str:
    return f"{own}-{len(items)}-{sum(i.version for i in items)}"


def meeting_page(engine: Engine, meeting_id: str, today: dt.date) -> dict[str, Any] | None:
    with snapshot(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            return None
        forum = session.get(Forum, meeting.forum_id)
        items = session.exec(select(ActionItem).where(ActionItem.meeting_id == meeting_id)
                             .order_by(col(ActionItem.due_date))).all()
        minutes = meeting.minutes or {}
        linked = {d["proposal_id"] for d in minutes.get("decisions", []) if d.get("proposal_id")}
        linked |= {i.proposal_id for i in items if i.proposal_id}  # shown by their titles
        titles = dict(session.exec(
            select(Proposal.id, Proposal.title).where(col(Proposal.id).in_(linked))).all())
    attendees: dict[str | None, list[str]] = defaultdict(list)
    for person in minutes.get("attendees", []):
        attendees[person.get("node_id")].append(person["name"])
    return {
        "meeting": meeting,
        "forum": forum,
        "minutes": meeting.minutes,
        "attendees": sorted(attendees.items(), key=lambda kv: (kv[0] is None, kv[0] or "")),
        "decisions": minutes.get("decisions", []),
        "proposal_titles": titles,
        "commitments": [_commitment(i, today, titles.get(i.proposal_id or ""))
                        for i in _open_first(items)],
    }


def _open_first(items: Iterable[ActionItem]) -> list[ActionItem]:
    """Commitments as the board lists them: what is still to do first, by due date (the
    overdue at the top), then the done and cancelled ones."""
    return sorted(items, key=lambda i: (i.status in CLOSED, i.due_date, i.id))


def node_page(engine: Engine, node_id: str, today: dt.date, tz: str) -> dict[str, Any] | None:
    """The node, its track record (over all its commitments), its next commitments and
    newest proposals; the full lists are the board filtered by owner and the search."""
    with snapshot(engine) as session:
        node = session.get(Node, node_id)
        if node is None:
            return None
        proposals = session.exec(select(Proposal).where(Proposal.node_id == node_id)
                                 .options(*LIST_ONLY)
                                 .order_by(col(Proposal.submitted_at).desc())
                                 .limit(PAGE_SIZE)).all()
    owned = BoardFilters(owner=node_id)
    _, record = summary(engine, owned, today, tz)
    # the board's order: the open ones first (overdue at the top), then the closed ones
    commitments = rows(engine, owned, today, limit=PAGE_SIZE, closed=False)
    if len(commitments) < PAGE_SIZE:
        commitments += rows(engine, owned, today, limit=PAGE_SIZE - len(commitments), closed=True)
    return {"node": node, "proposals": list(proposals),
            "commitments": commitments,
            "record": record[0] if record else None}


#: one statement, built once: what names a thread page's content (``thread_versions``)
_THREAD_VERSIONS = select(  # type: ignore[call-overload]
    Proposal.version,
    select(Forum.version).where(Forum.id == Proposal.forum_id).scalar_subquery(),
    *version_sums(ActionItem, ActionItem.proposal_id == Proposal.id),
    *version_sums(Meeting), *version_sums(Node), *version_sums(Program),
).where(Proposal.id == bindparam("id"))


def thread_versions(engine: Engine, proposal_id: str) -> tuple[Any, ...] | None:
    """What names everything a thread page shows, in one indexed query (None: no thread).

    The proposal's version covers its text, statuses, comments and endorsements (all
    events of its aggregate); then its forum, its commitments, the meetings (a thread
    lists those that discussed it), the nodes and the programs (their names). Those last
    three are sums over small tables (1,000 meetings: about 0.2 ms); a generation of the
    read model that the projector bumps would replace them.
    """
    found = read_rows(engine, _THREAD_VERSIONS, {"id": proposal_id})
    return tuple(found[0]) if found else None


#: the live stream's question, asked once a second per open thread: built once
_LIVE_VERSION = select(
    select(Proposal.version).where(Proposal.id == bindparam("id")).scalar_subquery(),
    *version_sums(ActionItem, ActionItem.proposal_id == bindparam("id")),
)


def proposal_version(engine: Engine, proposal_id: str) -> str:
    """Changes whenever the thread changes: the proposal or any of its action items."""
    # one statement: one state of the read model
    ((own, count, total),) = read_rows(engine, _LIVE_VERSION, {"id": proposal_id})
    return f"{own or 0}-{count}-{total}"
