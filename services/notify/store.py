"""Follows, notifications, mail choices and the mail outbox in SQL: short transactions."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, func, or_, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.identity.accounts import SiteUser
from services.notify import rules
from services.notify.rules import Batch, Facts, Pending, Touched, Wanted
from services.notify.tables import (
    DEFAULT_MAIL_MODE,
    KINDS,
    MAIL_MODES,
    Follow,
    MailBatch,
    MailPreference,
    Notification,
    NotifyMark,
    SiteAction,
)
from services.readmodel.tables import (
    ActionItem,
    Forum,
    Meeting,
    Node,
    Program,
    Proposal,
    ProposalComment,
)

# -- follows -------------------------------------------------------------------------


def follow(engine: Engine, username: str, kind: str, target_id: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    _insert_ignoring(engine, Follow, [{"username": username, "kind": kind,
                                       "target_id": target_id, "created_at": time.time()}])


def unfollow(engine: Engine, username: str, kind: str, target_id: str) -> None:
    with Session(engine) as session:
        session.exec(delete(Follow).where(col(Follow.username) == username,
                                          col(Follow.kind) == kind,
                                          col(Follow.target_id) == target_id))
        session.commit()


def is_following(engine: Engine, username: str, kind: str, target_id: str) -> bool:
    with Session(engine) as session:
        return session.get(Follow, (username, kind, target_id)) is not None


def record_actions(engine: Engine, username: str, event_ids: Iterable[str]) -> None:
    """Whose action each event published from the site is, so that the notifier tells
    them nothing of it. Written before the events are sent: the notifier never reads an
    event of the site before its row (a row of an event never sent is harmless)."""
    now = time.time()
    _insert_ignoring(engine, SiteAction,
                     [{"event_id": e, "username": username, "at": now} for e in event_ids])


def follow_all(engine: Engine, username: str, follows: Iterable[tuple[str, str]]) -> None:
    """Follow several things at once (what a person follows by posting); those followed
    already are left as they are."""
    now = time.time()
    _insert_ignoring(engine, Follow, [{"username": username, "kind": k, "target_id": t,
                                       "created_at": now} for k, t in follows])


def _insert_ignoring(engine: Engine, model: Any, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert rows, leaving out those whose key exists: a replay changes nothing."""
    if not rows:
        return 0
    table = model.__table__
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing()
    with engine.begin() as connection:
        result = connection.execute(stmt, list(rows))
    return int(result.rowcount or 0)


# -- the notifier ----------------------------------------------------------------------


def facts(engine: Engine, want: Wanted) -> Facts:
    with Session(engine) as session:
        proposals = {r[0]: (r[1], r[2]) for r in session.exec(
            select(Proposal.id, Proposal.forum_id, Proposal.title)
            .where(col(Proposal.id).in_(want.proposals)))} if want.proposals else {}
        meetings = {r[0]: (r[1], r[2]) for r in session.exec(
            select(Meeting.id, Meeting.forum_id, Meeting.title)
            .where(col(Meeting.id).in_(want.meetings)))} if want.meetings else {}
        items = {r[0]: (r[1], r[2]) for r in session.exec(
            select(ActionItem.id, ActionItem.owner_node_id, ActionItem.title)
            .where(col(ActionItem.id).in_(want.items)))} if want.items else {}
        forum_ids = want.forums | {f for f, _ in proposals.values()} | {
            f for f, _ in meetings.values()}
        node_ids = want.nodes | {o for o, _ in items.values()}
        forums = {r[0]: r[1] for r in session.exec(
            select(Forum.id, Forum.title).where(col(Forum.id).in_(forum_ids)))} \
            if forum_ids else {}
        nodes = {r[0]: r[1] for r in session.exec(
            select(Node.id, Node.name).where(col(Node.id).in_(node_ids)))} if node_ids else {}
        programs = {r[0]: r[1] for r in session.exec(
            select(Program.id, Program.name).where(col(Program.id).in_(want.programs)))} \
            if want.programs else {}
    return Facts(proposals=proposals, meetings=meetings, items=items, forums=forums,
                 nodes=nodes, programs=programs)


@dataclass(frozen=True)
class Audience:
    followers: dict[tuple[str, str], set[str]]
    node_people: dict[str, set[str]]
    actors: dict[str, str]


def audience(engine: Engine, touched: Sequence[Touched]) -> Audience:
    pairs = {pair for t in touched for pair in t.followed}
    nodes = {n for t in touched for n in t.owner_nodes}
    followers: dict[tuple[str, str], set[str]] = {}
    node_people: dict[str, set[str]] = {}
    with Session(engine) as session:
        for kind in {k for k, _ in pairs}:
            ids = [i for k, i in pairs if k == kind]
            for username, target in session.exec(
                    select(Follow.username, Follow.target_id)
                    .where(col(Follow.kind) == kind, col(Follow.target_id).in_(ids))):
                followers.setdefault((kind, target), set()).add(username)
        if nodes:
            for username, node in session.exec(
                    select(SiteUser.username, SiteUser.node_id)
                    .where(col(SiteUser.node_id).in_(nodes))):
                node_people.setdefault(node, set()).add(username)
        actors = {e: u for e, u in session.exec(
            select(SiteAction.event_id, SiteAction.username)
            .where(col(SiteAction.event_id).in_([t.event_id for t in touched])))}
    return Audience(followers, node_people, actors)


def write_notifications(engine: Engine, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert notifications; one that exists (same person, same event) is left alone."""
    return _insert_ignoring(engine, Notification, rows)


def moderate(engine: Engine, proposal_id: str, comment_id: str, reason: str | None) -> int:
    """The notifications of a comment hidden (``reason``) or restored (None) say so
    (``rules.moderated``); how many changed."""
    with Session(engine) as session:
        found = session.exec(select(Notification).where(
            col(Notification.kind) == "proposal", col(Notification.target_id) == proposal_id,
            col(Notification.anchor) == f"#comment-{comment_id}")).all()
        body = None
        if found and reason is None:
            body = session.exec(select(ProposalComment.body).where(
                col(ProposalComment.proposal_id) == proposal_id,
                col(ProposalComment.comment_id) == comment_id)).first()
        for row in found:
            row.params = rules.moderated(row.params or {}, reason, body)
            session.add(row)
        session.commit()
    return len(found)


def mark(engine: Engine, key: str) -> str | None:
    with Session(engine) as session:
        row = session.get(NotifyMark, key)
        return row.value if row is not None else None


def set_mark(engine: Engine, key: str, value: str, *, only_if_absent: bool = False) -> str:
    """Set a mark; with ``only_if_absent`` keep one already there. Returns the mark."""
    if only_if_absent:
        _insert_ignoring(engine, NotifyMark, [{"key": key, "value": value}])
    else:
        with Session(engine) as session:
            session.merge(NotifyMark(key=key, value=value))
            session.commit()
    found = mark(engine, key)
    assert found is not None
    return found


# -- the page --------------------------------------------------------------------------


def unread_count(engine: Engine, username: str) -> int:
    with engine.connect() as connection:
        found = connection.execute(
            select(func.count()).select_from(Notification)
            .where(col(Notification.username) == username, col(Notification.read_at).is_(None))
        ).scalar()
    return int(found or 0)


def notifications_of(engine: Engine, username: str, limit: int,
                     before: int | None = None) -> list[Notification]:
    query = select(Notification).where(col(Notification.username) == username)
    if before is not None:
        query = query.where(col(Notification.id) < before)
    with Session(engine) as session:
        return list(session.exec(query.order_by(col(Notification.id).desc()).limit(limit)))


def mark_read(engine: Engine, username: str, ids: Iterable[int] | None = None) -> int:
    """Mark a person's notifications read: those of ``ids`` (theirs only), or all."""
    stmt = update(Notification).where(col(Notification.username) == username,
                                      col(Notification.read_at).is_(None))
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return 0
        stmt = stmt.where(col(Notification.id).in_(wanted))
    with Session(engine) as session:
        changed = session.exec(stmt.values(read_at=time.time())).rowcount
        session.commit()
    return int(changed or 0)


# -- mail choices ----------------------------------------------------------------------


def preference(engine: Engine, username: str) -> MailPreference:
    with Session(engine) as session:
        found = session.get(MailPreference, username)
    return found or MailPreference(username=username, mode=DEFAULT_MAIL_MODE, locale="id",
                                   updated_at=0.0)


def set_preference(engine: Engine, username: str, *, mode: str | None = None,
                   locale: str | None = None) -> None:
    if mode is not None and mode not in MAIL_MODES:
        raise ValueError(f"mode must be one of {', '.join(MAIL_MODES)}")
    with Session(engine) as session:
        row = session.get(MailPreference, username) or MailPreference(
            username=username, mode=DEFAULT_MAIL_MODE, locale="id", updated_at=0.0)
        if mode is not None:
            row.mode = mode
        if locale is not None:
            row.locale = locale
        row.updated_at = time.time()
        session.add(row)
        session.commit()


# -- the mail outbox -------------------------------------------------------------------


def pending(engine: Engine, limit: int = 5000, digest_day: str | None = None, *,
            every: bool = False) -> tuple[list[Pending], dict[str, str]]:
    """Notifications not handled for mail yet that a mail can take now, and each of their
    people's mail mode (``none`` for someone without an address). A daily digest's
    notifications wait for its hour (``digest_day`` given), and once the day's digest is
    made, for the next day's: left out until then, so that however many wait, they never
    keep others' mail out of the first ``limit``. ``every``: all of them, whatever the mode
    (no mail is sent at all)."""
    daily = (func.coalesce(MailPreference.mode, DEFAULT_MAIL_MODE) == "daily") \
        & col(SiteUser.email).is_not(None)
    ready: ColumnElement[bool]
    if every:
        ready = true()
    elif digest_day is None:
        ready = ~daily
    else:
        made_today = select(MailBatch.id).where(
            col(MailBatch.key) == col(Notification.username) + f":daily:{digest_day}")
        ready = ~daily | ~made_today.exists()
    with Session(engine) as session:
        rows = session.exec(select(Notification.id, Notification.username,
                                   Notification.created_at)
                            .join(SiteUser, col(SiteUser.username) == col(Notification.username),
                                  isouter=True)
                            .join(MailPreference,
                                  col(MailPreference.username) == col(Notification.username),
                                  isouter=True)
                            .where(col(Notification.mail_batch).is_(None), ready)
                            .order_by(col(Notification.id)).limit(limit)).all()
        people = {r[1] for r in rows}
        modes: dict[str, str] = {}
        if people:
            for username, email, mode in session.exec(
                    select(SiteUser.username, SiteUser.email, MailPreference.mode)
                    .join(MailPreference, col(MailPreference.username) == col(SiteUser.username),
                          isouter=True)
                    .where(col(SiteUser.username).in_(people))):
                modes[username] = (mode or DEFAULT_MAIL_MODE) if email else "none"
    return [Pending(int(r[0] or 0), r[1], r[2]) for r in rows], modes


NO_MAIL = 0


def never_mail(engine: Engine, ids: Sequence[int]) -> None:
    if ids:
        with Session(engine) as session:
            session.exec(update(Notification).where(col(Notification.id).in_(list(ids)),
                                                    col(Notification.mail_batch).is_(None))
                         .values(mail_batch=NO_MAIL))
            session.commit()


def record_batch(engine: Engine, batch: Batch, now: float) -> int | None:
    """Record one mail and claim its notifications, in one transaction, before anything
    is sent. None when the key exists (made already, by this worker or another) or none
    of its notifications was still unclaimed."""
    try:
        with Session(engine) as session:
            row = MailBatch(key=batch.key, username=batch.username, created_at=now,
                            next_attempt_at=now)
            session.add(row)
            session.flush()
            assert row.id is not None
            claimed = session.exec(update(Notification).where(
                col(Notification.id).in_(list(batch.ids)),
                col(Notification.mail_batch).is_(None)).values(mail_batch=row.id)).rowcount
            if not claimed:
                session.rollback()
                return None
            session.commit()
            return row.id
    except IntegrityError:
        return None


def due(engine: Engine, now: float, limit: int = 100) -> list[int]:
    """Mails not sent yet whose next attempt is due and that no worker holds."""
    with Session(engine) as session:
        return [int(i or 0) for i in session.exec(
            select(MailBatch.id).where(
                col(MailBatch.sent_at).is_(None), col(MailBatch.failed_at).is_(None),
                col(MailBatch.next_attempt_at) <= now,
                or_(col(MailBatch.lease_until).is_(None), col(MailBatch.lease_until) < now))
            .order_by(col(MailBatch.id)).limit(limit))]


def lease(engine: Engine, batch_id: int, now: float, seconds: float) -> bool:
    """Take a mail for sending: one worker at a time, for ``seconds`` at most."""
    with Session(engine) as session:
        taken = session.exec(update(MailBatch).where(
            col(MailBatch.id) == batch_id, col(MailBatch.sent_at).is_(None),
            col(MailBatch.failed_at).is_(None),
            or_(col(MailBatch.lease_until).is_(None), col(MailBatch.lease_until) < now))
            .values(lease_until=now + seconds)).rowcount
        session.commit()
    return bool(taken)


@dataclass(frozen=True)
class Letter:
    """What one mail says, and to whom."""

    batch: MailBatch
    name: str
    email: str | None
    locale: str
    notifications: list[Notification]


def letter(engine: Engine, batch_id: int) -> Letter | None:
    with Session(engine, expire_on_commit=False) as session:
        batch = session.get(MailBatch, batch_id)
        if batch is None:
            return None
        user = session.get(SiteUser, batch.username)
        pref = session.get(MailPreference, batch.username)
        notes = list(session.exec(select(Notification)
                                  .where(col(Notification.mail_batch) == batch_id)
                                  .order_by(col(Notification.id))))
    return Letter(batch=batch, name=user.name if user else batch.username,
                  email=user.email if user else None,
                  locale=pref.locale if pref else "id", notifications=notes)


def mark_sent(engine: Engine, batch_id: int, now: float) -> None:
    _set_batch(engine, batch_id, sent_at=now, lease_until=None, last_error=None)


def mark_failed(engine: Engine, batch_id: int, now: float, error: str) -> None:
    _set_batch(engine, batch_id, failed_at=now, lease_until=None, last_error=error[:500])


def mark_retry(engine: Engine, batch_id: int, attempts: int, next_at: float, error: str
               ) -> None:
    _set_batch(engine, batch_id, attempts=attempts, next_attempt_at=next_at,
               lease_until=None, last_error=error[:500])


def _set_batch(engine: Engine, batch_id: int, **values: Any) -> None:
    with Session(engine) as session:
        session.exec(update(MailBatch).where(col(MailBatch.id) == batch_id,
                                             col(MailBatch.sent_at).is_(None))
                     .values(**values))
        session.commit()

