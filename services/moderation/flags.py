"""Flags: a signed-in person asks the forum's moderators to look at a comment.

Site data beside the read model, like the accounts: never an event (who flagged is
personal), never rebuilt from the log. A person flags a comment once; the moderators
(coordinators of the node that convened the forum, and admins) see the open flags by
comment and settle them: *hidden* (with a ``comment_hidden`` event) or *dismissed*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

#: what became of a flag
OPEN, HIDDEN, DISMISSED = "open", "hidden", "dismissed"


class CommentFlag(SQLModel, table=True):
    __tablename__ = "site_comment_flags"
    proposal_id: str = Field(primary_key=True)
    comment_id: str = Field(primary_key=True)
    username: str = Field(primary_key=True)
    reason: str
    at: str = Field(index=True)
    outcome: str = OPEN
    settled_by: str | None = None
    settled_at: str | None = None


@dataclass(frozen=True)
class Flagged:
    """A comment with open flags, as the moderators' list shows it."""

    proposal_id: str
    comment_id: str
    count: int
    reasons: list[str]
    first_at: str
    last_at: str


def now_stamp() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def flag(engine: Engine, proposal_id: str, comment_id: str, username: str,
         reason: str) -> bool:
    """Flag a comment; False when this person had flagged it already (it counts once)."""
    with Session(engine) as session:
        if session.get(CommentFlag, (proposal_id, comment_id, username)) is not None:
            return False
        session.add(CommentFlag(proposal_id=proposal_id, comment_id=comment_id,
                                username=username, reason=reason, at=now_stamp()))
        try:
            session.commit()
        except IntegrityError:  # the same person, twice at once
            return False
    return True


def flagged_by(engine: Engine, proposal_id: str, username: str) -> set[str]:
    """The comments of a thread this person flagged."""
    with Session(engine) as session:
        return set(session.exec(select(CommentFlag.comment_id).where(
            CommentFlag.proposal_id == proposal_id, CommentFlag.username == username)).all())


def open_flags(engine: Engine, proposal_ids: list[str] | None = None) -> list[Flagged]:
    """The comments with open flags, the most flagged first (of ``proposal_ids`` only,
    when given: a moderator's forums)."""
    query = select(CommentFlag).where(CommentFlag.outcome == OPEN)
    if proposal_ids is not None:
        query = query.where(col(CommentFlag.proposal_id).in_(proposal_ids))
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(CommentFlag.at))).all()
    grouped: dict[tuple[str, str], list[CommentFlag]] = {}
    for row in rows:
        grouped.setdefault((row.proposal_id, row.comment_id), []).append(row)
    found = [Flagged(p, c, len(items), [i.reason for i in items], items[0].at, items[-1].at)
             for (p, c), items in grouped.items()]
    return sorted(found, key=lambda f: (-f.count, f.first_at))


def settle(engine: Engine, proposal_id: str, comment_id: str, outcome: str,
           by: str) -> int:
    """Close the open flags of a comment (``HIDDEN`` or ``DISMISSED``); how many."""
    assert outcome in (HIDDEN, DISMISSED), outcome
    with Session(engine) as session:
        rows = session.exec(select(CommentFlag).where(
            CommentFlag.proposal_id == proposal_id, CommentFlag.comment_id == comment_id,
            CommentFlag.outcome == OPEN)).all()
        stamp = now_stamp()
        for row in rows:
            row.outcome, row.settled_by, row.settled_at = outcome, by, stamp
            session.add(row)
        session.commit()
    return len(rows)


def open_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(CommentFlag).where(
            CommentFlag.outcome == OPEN)).one())
