"""The commitments board: filtered action items, counts per status, per-node scorecard, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from services.aggregates.action_items import CLOSED
from services.readmodel.tables import ActionItem, Forum, Meeting, Node, Proposal

STATUSES = ("open", "in_progress", "blocked", "done", "cancelled")
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
        if raw.isdigit() and int(raw) <= MAX_DUE_WITHIN_DAYS:
            due_within = int(raw)
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


def is_late(status: str, due_date: str, today: dt.date) -> bool:
    return status not in CLOSED and due_date < today.isoformat()


def completed_on_time(item: Commitment) -> bool:
    # completed_at is UTC; a day's slack keeps an item finished late on its due date in the
    # city's time zone (UTC+8) from counting as late.
    if item.status != "done" or item.completed_at is None:
        return False
    due = dt.date.fromisoformat(item.due_date) + dt.timedelta(days=1)
    return item.completed_at[:10] <= due.isoformat()


def _rows(engine: Engine, filters: BoardFilters, today: dt.date) -> list[Commitment]:
    forum_id = func.coalesce(Proposal.forum_id, Meeting.forum_id)
    query = (
        select(ActionItem, Proposal.title, forum_id,
               func.coalesce(Proposal.program, Forum.program))
        .outerjoin(Proposal, col(Proposal.id) == ActionItem.proposal_id)
        .outerjoin(Meeting, col(Meeting.id) == ActionItem.meeting_id)
        .outerjoin(Forum, col(Forum.id) == forum_id)
    )
    if filters.owner:
        query = query.where(ActionItem.owner_node_id == filters.owner)
    if filters.forum:
        query = query.where(forum_id == filters.forum)
    if filters.program:
        query = query.where(func.coalesce(Proposal.program, Forum.program) == filters.program)
    open_ = col(ActionItem.status).not_in(tuple(CLOSED))
    if filters.overdue:
        query = query.where(open_ & (col(ActionItem.due_date) < today.isoformat()))
    if filters.due_within is not None:
        until = (today + dt.timedelta(days=filters.due_within)).isoformat()
        query = query.where(open_ & (col(ActionItem.due_date) >= today.isoformat())
                            & (col(ActionItem.due_date) <= until))
    query = query.order_by(col(ActionItem.due_date), col(ActionItem.id))
    with Session(engine) as session:
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


def scorecard(items: Iterable[Commitment]) -> list[Score]:
    scores: dict[str, Score] = {}
    for item in items:
        if item.status == "cancelled":
            continue
        score = scores.setdefault(item.owner_node_id, Score(item.owner_node_id))
        score.committed += 1
        score.done += item.status == "done"
        score.overdue += item.overdue
        score.on_time += completed_on_time(item)
    return sorted(scores.values(), key=lambda s: (-s.committed, s.node_id))


def node_names(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.exec(select(Node.id, Node.name)).all())  # type: ignore[arg-type]


def board(engine: Engine, filters: BoardFilters, today: dt.date) -> Board:
    everything = _rows(engine, BoardFilters(**{**filters.__dict__, "status": None}), today)
    counts = Counter(item.status for item in everything)
    shown = [i for i in everything if filters.status is None or i.status == filters.status]
    with Session(engine) as session:
        forums = [(f.id, f.title) for f in session.exec(select(Forum).order_by(col(Forum.title)))]
        programs = sorted({p for p in session.exec(select(Forum.program)) if p})
    return Board(items=shown, counts={s: counts.get(s, 0) for s in STATUSES},
                 total=len(shown), scorecard=scorecard(everything),
                 node_names=node_names(engine), forums=forums, programs=programs)


def board_version(engine: Engine) -> str:
    """Changes whenever any action item changes: what the live board watches."""
    with Session(engine) as session:
        count, total, newest = session.exec(
            select(func.count(), func.coalesce(func.sum(ActionItem.version), 0),
                   func.max(ActionItem.updated_at))
        ).one()
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
