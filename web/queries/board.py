"""The commitments board: filtered action items, counts per status, per-node scorecard, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, String, case, exists, func, literal
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, defer
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col, select

from services import clock
from services.domain.action_items import CLOSED, STATUSES, is_late
from services.identity.accounts import SiteUser
from services.readmodel.db import snapshot
from services.readmodel.tables import ActionItem, Forum, Meeting, Node, Proposal
from web.i18n import gettext as _
from web.queries.filters import whole_number


def status_words(status: str) -> str:
    """A commitment's status as people read it, in the request's language (the pages'
    macros and the feeds use it)."""
    words = {"open": _("Not started"), "in_progress": _("In progress"), "blocked": _("Blocked"),
             "done": _("Done"), "cancelled": _("Cancelled")}
    return words.get(status, status)
PAGE_SIZE = 50
MAX_DUE_WITHIN_DAYS = 3660


@dataclass(frozen=True)
class BoardFilters:
    owner: str | None = None
    status: str | None = None
    overdue: bool = False
    due_within: int | None = None
    forum: str | None = None
    program: str | None = None

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links that keep them, and the CSV link)."""
        pairs = {"owner": self.owner, "status": self.status, "forum": self.forum,
                 "program": self.program,
                 "overdue": "1" if self.overdue else None,
                 "due_within": None if self.due_within is None else str(self.due_within)}
        return {k: v for k, v in pairs.items() if v}


def parse_filters(params: Mapping[str, str]) -> tuple[BoardFilters, dict[str, str]]:
    """Filters from query parameters; bad values are reported per field, never raised."""
    errors: dict[str, str] = {}
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        errors["status"] = "unknown status"
        status = None
    due_within: int | None = None
    raw = (params.get("due_within") or "").strip()
    if raw:
        days = whole_number(raw)
        if days is not None and days <= MAX_DUE_WITHIN_DAYS:
            due_within = days
        else:
            errors["due_within"] = "a whole number of days"
    overdue = (params.get("overdue") or "").lower() in {"1", "true", "on", "yes"}
    filters = BoardFilters(owner=params.get("owner") or None, status=status, overdue=overdue,
                           due_within=due_within, forum=params.get("forum") or None,
                           program=params.get("program") or None)
    return filters, errors


@dataclass
class Commitment:
    id: str
    title: str
    owner_node_id: str
    due_date: str
    status: str
    percent: int
    overdue: bool
    proposal_id: str | None
    proposal_title: str | None
    meeting_id: str | None
    forum_id: str | None
    program: str | None
    completed_at: str | None
    updated_at: str


@dataclass
class Score:
    node_id: str
    committed: int = 0
    done: int = 0
    overdue: int = 0
    on_time: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.done if self.done else None


@dataclass
class Board:
    items: list[Commitment]
    counts: dict[str, int]
    total: int
    scorecard: list[Score]
    node_names: dict[str, str] = field(default_factory=dict)
    forums: list[tuple[str, str]] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    version: str = ""
    overdue: int = 0  # open commitments past their due date, in the filtered set


class local_day(FunctionElement[str]):  # noqa: N801 (an SQL function, named like one)
    """The ISO date, in the time zone ``tz``, of a column of UTC moments (ISO text), in SQL.

    PostgreSQL converts with the zone's own rules. SQLite knows no time zones: it adds
    the zone's offset of today, exact for a zone without daylight saving time (WITA and
    the other Indonesian zones) and off by an hour, near a change, for one with it.
    """

    type = String()
    inherit_cache = True

    def __init__(self, column: Any, tz: str) -> None:
        offset = clock.zone(tz).utcoffset(dt.datetime.now()) or dt.timedelta()
        minutes = int(offset.total_seconds() // 60)
        # both dialects' forms as bound values: the compiled statement is cached without them
        super().__init__(column, literal(tz), literal(f"{minutes:+d} minutes"))


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    column, _tz, offset = element.clauses
    return f"date({compiler.process(column, **kw)}, {compiler.process(offset, **kw)})"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    column, tz, _offset = element.clauses
    return (f"to_char(CAST({compiler.process(column, **kw)} AS timestamptz) AT TIME ZONE "
            f"{compiler.process(tz, **kw)}, 'YYYY-MM-DD')")


def late(today: dt.date) -> Any:
    """``services.domain.action_items.is_late`` in SQL: open and past its due date."""
    return (col(ActionItem.status).not_in(tuple(CLOSED))
            & (col(ActionItem.due_date) < today.isoformat()))


def completed_on_time(item: Commitment, tz: str) -> bool:
    """Done on or before its due date, the day counted in the city (``tz``): finished at
    23:00 WITA on the due date is on time, at 07:00 WITA the day after is late (both are
    the due date in UTC)."""
    if item.status != "done" or item.completed_at is None:
        return False
    return clock.local_date(item.completed_at, tz).isoformat() <= item.due_date


def _no_proposal_row() -> Any:
    proposal = aliased(Proposal)
    return ~exists(select(proposal.id).where(proposal.id == ActionItem.proposal_id))


def _place(query: Any, filters: BoardFilters) -> Any:
    """The forum and program filters. An item's forum is its proposal's, else its meeting's;
    its program the proposal's, else that forum's. Written as ``IN`` subqueries on indexed
    columns rather than joins, so that a filtered count does not join every item (the
    subqueries use aliases: the page query joins the same tables for what it shows)."""
    proposal, meeting, forum = aliased(Proposal), aliased(Meeting), aliased(Forum)
    if filters.forum:
        in_forum = col(ActionItem.proposal_id).in_(
            select(col(proposal.id)).where(col(proposal.forum_id) == filters.forum))
        via_meeting = col(ActionItem.meeting_id).in_(
            select(col(meeting.id)).where(col(meeting.forum_id) == filters.forum))
        query = query.where(in_forum | (via_meeting & _no_proposal_row()))
    if filters.program:
        forums = select(col(forum.id)).where(col(forum.program) == filters.program)
        in_program = col(ActionItem.proposal_id).in_(select(col(proposal.id)).where(
            (col(proposal.program) == filters.program)
            | (col(proposal.program).is_(None) & col(proposal.forum_id).in_(forums))))
        via_meeting = col(ActionItem.meeting_id).in_(
            select(col(meeting.id)).where(col(meeting.forum_id).in_(forums)))
        query = query.where(in_program | (via_meeting & _no_proposal_row()))
    return query


def in_program(query: Any, program: str) -> Any:
    """``query`` of action items narrowed to those serving ``program`` (the board's rule)."""
    return _place(query, BoardFilters(program=program))


def _where(query: Any, filters: BoardFilters, today: dt.date, *, status: bool = True) -> Any:
    if filters.owner:
        query = query.where(col(ActionItem.owner_node_id) == filters.owner)
    if status and filters.status:
        query = query.where(col(ActionItem.status) == filters.status)
    open_ = col(ActionItem.status).not_in(tuple(CLOSED))
    if filters.overdue:
        query = query.where(late(today))
    if filters.due_within is not None:
        until = (today + dt.timedelta(days=filters.due_within)).isoformat()
        query = query.where(open_ & (col(ActionItem.due_date) >= today.isoformat())
                            & (col(ActionItem.due_date) <= until))
    return _place(query, filters)


def rows(engine: Engine, filters: BoardFilters, today: dt.date, *, offset: int = 0,
         limit: int | None = None, closed: bool | None = None) -> list[Commitment]:
    """The commitments that match, in due order: one page of them, or all (for the CSV);
    ``closed`` True or False: only the done and cancelled ones, or only the others."""
    forum_id = func.coalesce(Proposal.forum_id, Meeting.forum_id)
    query = (
        select(ActionItem, Proposal.title, forum_id,
               func.coalesce(Proposal.program, Forum.program))
        .outerjoin(Proposal, col(Proposal.id) == ActionItem.proposal_id)
        .outerjoin(Meeting, col(Meeting.id) == ActionItem.meeting_id)
        .outerjoin(Forum, col(Forum.id) == forum_id)
        .options(defer(ActionItem.history))  # type: ignore[arg-type]
    )
    # the page walks the due-date index and stops at the page's end: here the forum and
    # program are tested on the joined rows (a forum's IN list would be sorted first)
    query = _where(query, replace(filters, forum=None, program=None), today)
    if filters.forum:
        query = query.where(forum_id == filters.forum)
    if filters.program:
        query = query.where(func.coalesce(Proposal.program, Forum.program) == filters.program)
    if closed is not None:
        is_closed = col(ActionItem.status).in_(tuple(CLOSED))
        query = query.where(is_closed if closed else ~is_closed)
    query = query.order_by(col(ActionItem.due_date), col(ActionItem.id)).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with snapshot(engine) as session:
        found = session.exec(query).all()
    return [
        Commitment(id=row.id, title=row.title, owner_node_id=row.owner_node_id,
                   due_date=row.due_date, status=row.status, percent=row.percent,
                   overdue=is_late(row.status, row.due_date, today),
                   proposal_id=row.proposal_id, proposal_title=title,
                   meeting_id=row.meeting_id, forum_id=forum, program=program,
                   completed_at=row.completed_at, updated_at=row.updated_at)
        for row, title, forum, program in found
    ]


def scorecard(items: Iterable[Commitment], tz: str) -> list[Score]:
    scores: dict[str, Score] = {}
    for item in items:
        if item.status == "cancelled":
            continue
        score = scores.setdefault(item.owner_node_id, Score(item.owner_node_id))
        score.committed += 1
        score.done += item.status == "done"
        score.overdue += item.overdue
        score.on_time += completed_on_time(item, tz)
    return sorted(scores.values(), key=lambda s: (-s.committed, s.node_id))


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def summary(engine: Engine, filters: BoardFilters, today: dt.date, tz: str
            ) -> tuple[dict[str, int], list[Score]]:
    """Counts per status and the per-node scorecard of the filtered set (any status), in SQL.

    The same rules as ``is_late``, ``completed_on_time`` and ``scorecard``.
    """
    status = col(ActionItem.status)
    counts_query = _where(select(status, func.count()).select_from(ActionItem), filters, today,
                          status=False).group_by(status)
    done = status == "done"
    on_time = done & col(ActionItem.completed_at).is_not(None) & (
        local_day(ActionItem.completed_at, tz) <= col(ActionItem.due_date))
    score_query = _where(
        sa_select(col(ActionItem.owner_node_id), func.count(), _count_if(done),
                  _count_if(late(today)), _count_if(on_time))
        .select_from(ActionItem).where(status != "cancelled"),
        filters, today, status=False).group_by(col(ActionItem.owner_node_id))
    with snapshot(engine) as session:
        counts = dict(session.exec(counts_query).all())
        scores = [Score(node_id=node, committed=committed, done=done_, overdue=overdue,
                        on_time=timely)
                  for node, committed, done_, overdue, timely in session.execute(score_query)]
    return ({s: counts.get(s, 0) for s in STATUSES},
            sorted(scores, key=lambda s: (-s.committed, s.node_id)))


def node_names(engine: Engine) -> dict[str, str]:
    with snapshot(engine) as session:
        return dict(session.exec(select(Node.id, Node.name)).all())


def names_of(engine: Engine, node_ids: Iterable[str]) -> dict[str, str]:
    """The names of the nodes ``node_ids`` (those the read model knows): what a feed or a
    page shows for its owners, without reading every node."""
    wanted = sorted(set(node_ids))
    if not wanted:
        return {}
    with snapshot(engine) as session:
        return dict(session.exec(
            select(Node.id, Node.name).where(col(Node.id).in_(wanted))).all())


def node_choices(engine: Engine) -> list[tuple[str, str]]:
    """Every node as (id, name), by name: what a node picker offers."""
    return by_name(node_names(engine))


MOST_PEOPLE = 500  # names a people picker offers


def people_choices(engine: Engine) -> list[tuple[str, str | None]]:
    """The people a minutes form may name, as (name, node id or None), by name: those who
    attended earlier meetings (as their minutes say) and those with an account on the site
    (their display name, never their login name)."""
    with snapshot(engine) as session:
        minutes = session.exec(select(Meeting.minutes).where(col(Meeting.has_minutes))
                               .order_by(col(Meeting.starts_at).desc()).limit(200)).all()
        accounts = session.execute(select(SiteUser.name, SiteUser.node_id)).all()
    found: dict[str, str | None] = {}
    for record in minutes:
        for attendee in (record or {}).get("attendees") or ():
            name = str(attendee.get("name") or "").strip()
            if name:
                found.setdefault(name, attendee.get("node_id"))
    for name, node in accounts:
        found.setdefault(name, node)
    return sorted(found.items(), key=lambda pair: pair[0].casefold())[:MOST_PEOPLE]


def by_name(names: Mapping[str, str]) -> list[tuple[str, str]]:
    """Nodes' (id, name) pairs sorted by name, as people look for them."""
    return sorted(names.items(), key=lambda pair: (pair[1], pair[0]))


def node_name(engine: Engine, node_id: str) -> str:
    """One node's name (its id while the read model does not know it yet)."""
    with snapshot(engine) as session:
        name = session.exec(select(Node.name).where(Node.id == node_id)).first()
    return name or node_id


def parse_page(params: Mapping[str, str]) -> int:
    """The page number asked for; anything that is not a positive number is the first page."""
    raw = (params.get("page") or "").strip()
    page = whole_number(raw)
    return page if page is not None and 0 < page < 10**6 else 1


def board(engine: Engine, filters: BoardFilters, today: dt.date, tz: str, page: int = 1
          ) -> Board:
    """One page of the filtered board, with the counts and scorecard of the whole filtered set.

    The counts and scorecard are kept per filter set until any action item changes
    (``board_version``, read from a narrow index), so paging and refreshing cost the
    one indexed page query.
    """
    version = board_version(engine)
    counts, scores = _summary(engine, replace(filters, status=None), today, tz, version)
    total = counts.get(filters.status, 0) if filters.status else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    items = page_rows(engine, filters, today, counts, (page - 1) * PAGE_SIZE)
    with snapshot(engine) as session:
        forums = [(f.id, f.title) for f in session.exec(select(Forum).order_by(col(Forum.title)))]
        programs = sorted({p for p in session.exec(select(Forum.program)) if p})
        names = dict(session.exec(select(Node.id, Node.name)).all())
    return Board(items=items, counts=counts, total=total, scorecard=scores, node_names=names,
                 forums=forums, programs=programs, page=page, pages=pages, version=version,
                 overdue=sum(s.overdue for s in scores))


def board_rows(engine: Engine, filters: BoardFilters, today: dt.date) -> list[Commitment]:
    """Every commitment of the filtered board, in the board's order (for the CSV)."""
    if filters.status:
        return rows(engine, filters, today)
    return rows(engine, filters, today, closed=False) + rows(engine, filters, today, closed=True)


def page_rows(engine: Engine, filters: BoardFilters, today: dt.date, counts: Mapping[str, int],
              offset: int) -> list[Commitment]:
    """A page of the board: what is still to do first (overdue at the top, then by due
    date), the done and cancelled after it. Two queries that each walk the due-date
    index, split at the number of open items the counts already know."""
    if filters.status:
        return rows(engine, filters, today, offset=offset, limit=PAGE_SIZE)
    still_open = sum(n for status, n in counts.items() if status not in CLOSED)
    found: list[Commitment] = []
    if offset < still_open:
        found = rows(engine, filters, today, offset=offset, limit=PAGE_SIZE, closed=False)
    if len(found) < PAGE_SIZE:
        found += rows(engine, filters, today, offset=max(0, offset - still_open),
                      limit=PAGE_SIZE - len(found), closed=True)
    return found


@lru_cache(maxsize=256)
def _summary(engine: Engine, filters: BoardFilters, today: dt.date, tz: str, version: str
             ) -> tuple[dict[str, int], list[Score]]:
    return summary(engine, filters, today, tz)


#: asked by every board page and once a second per open board: built once
_BOARD_VERSION = select(func.count(), func.coalesce(func.sum(ActionItem.version), 0),
                        func.max(ActionItem.updated_at))


def board_version(engine: Engine) -> str:
    """Changes whenever any action item changes: what the live board watches."""
    with engine.connect() as connection:  # one statement: one state of the read model
        count, total, newest = connection.execute(_BOARD_VERSION).one()
    return f"{count}-{total}-{newest or ''}"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


CSV_COLUMNS = ("id", "title", "owner_node_id", "owner_name", "due_date", "status", "percent",
               "overdue", "proposal_id", "meeting_id", "forum_id", "program", "completed_at")


def to_csv(items: Iterable[Commitment], names: Mapping[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        row = {**item.__dict__, "owner_name": names.get(item.owner_node_id, ""),
               "overdue": "yes" if item.overdue else "no"}
        writer.writerow([safe_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()
