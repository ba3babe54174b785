"""Read-model queries for the Atom, iCalendar and open-data documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, or_, select

from services.readmodel.db import snapshot
from services.readmodel.tables import (
    ActionItem,
    Forum,
    Indicator,
    Meeting,
    Node,
    Program,
    Proposal,
)
from web.queries.board import in_program
from web.queries.filters import COMMITMENT, MEETING, PROPOSAL, equal, serving_program
from web.queries.records import commitment

MAX_ROWS = 100_000


def _proposals(columns: tuple[Any, ...], *, forum: str | None = None, node: str | None = None,
               status: str | None = None, subject: str | None = None,
               program: str | None = None, limit: int = MAX_ROWS) -> Any:
    query = select(*columns).where(*equal(PROPOSAL, {
        "forum": forum, "node": node, "status": status, "subject": subject}))
    if program:
        query = query.where(serving_program(program))
    return query.order_by(col(Proposal.updated_at).desc(), col(Proposal.id)).limit(limit)


def _commitments(columns: tuple[Any, ...], *, owner: str | None = None,
                 node: str | None = None, status: str | None = None,
                 forum: str | None = None, subject: str | None = None,
                 program: str | None = None, limit: int = MAX_ROWS) -> Any:
    query = select(*columns).where(*equal(COMMITMENT, {
        "owner": owner, "status": status, "subject": subject}))
    if node:  # made by the node or owned by it
        query = query.where(or_(ActionItem.node_id == node, ActionItem.owner_node_id == node))
    if forum:
        in_forum_meetings = select(Meeting.id).where(Meeting.forum_id == forum)
        in_forum_proposals = select(Proposal.id).where(Proposal.forum_id == forum)
        query = query.where(or_(col(ActionItem.meeting_id).in_(in_forum_meetings),
                                col(ActionItem.proposal_id).in_(in_forum_proposals)))
    if program:
        query = in_program(query, program)
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


def indicators(engine: Engine, program: str | None = None) -> list[dict[str, Any]]:
    """Every indicator report (of one program), the area empty for a city-wide one."""
    query = select(Indicator)
    if program:
        query = query.where(Indicator.program == program)
    with snapshot(engine) as session:
        rows = session.exec(query.order_by(
            col(Indicator.program), col(Indicator.indicator), col(Indicator.period),
            col(Indicator.area))).all()
        return [r.model_dump() for r in rows]


def program_indicators(engine: Engine, program: str | None = None) -> list[dict[str, Any]]:
    """One row per indicator of each program (of one program): definition and figures."""
    query = select(Program)
    if program:
        query = query.where(Program.id == program)
    with snapshot(engine) as session:
        found = session.exec(query.order_by(col(Program.id))).all()
    return [{"program": p.id, "program_name": p.name, "lead_node_id": p.lead_node_id,
             "partner_node_ids": p.partner_node_ids, "starts_on": p.starts_on,
             "ends_on": p.ends_on, "indicator": i["id"], "indicator_name": i["name"],
             "unit": i.get("unit"), "baseline": i.get("baseline"), "target": i["target"],
             "direction": i["direction"],
             "latest_period": (i.get("latest") or {}).get("period"),
             "latest_value": (i.get("latest") or {}).get("value"),
             "progress": i.get("progress"), "updated_at": p.updated_at}
            for p in found for i in p.indicators]


def forum(engine: Engine, forum_id: str) -> Forum | None:
    with snapshot(engine) as session:
        return session.get(Forum, forum_id)


def node(engine: Engine, node_id: str) -> Node | None:
    with snapshot(engine) as session:
        return session.get(Node, node_id)
