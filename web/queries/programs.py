"""Read-model queries of programs: their definitions and figures, the reports of an
indicator, the proposals and commitments that serve a program. One of each for the pages,
the API, the PDF report and the feeds."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from services.domain import programs as rules
from services.readmodel.db import read_rows, snapshot
from services.readmodel.tables import Indicator, Program, Proposal
from web.queries import board as board_data
from web.queries.filters import serving_program

#: a program in a list: what its card shows
SUMMARY_FIELDS = ("id", "name", "summary", "lead_node_id", "partner_node_ids", "starts_on",
                  "ends_on", "indicators", "updated_at")
#: a proposal as a program shows it
PROPOSAL_FIELDS = ("id", "title", "status", "forum_id", "node_id", "author", "submitted_at",
                   "updated_at", "endorsement_count", "comment_count", "budget_estimate")


def _summary(row: Program) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SUMMARY_FIELDS}


def list_programs(engine: Engine, *, node: str | None = None, limit: int = 100,
                  offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Programs by name; with ``node``, those it leads or works on as a partner."""
    with snapshot(engine) as session:
        found = session.exec(select(Program).order_by(col(Program.name), col(Program.id))).all()
    if node:  # few programs: partners are a JSON list, tested here the same on both databases
        found = [p for p in found if p.lead_node_id == node or node in (p.partner_node_ids or ())]
    return [_summary(p) for p in found[offset:offset + limit]], len(found)


def program_row(engine: Engine, program_id: str) -> Program | None:
    with snapshot(engine) as session:
        return session.get(Program, program_id)


def reports(engine: Engine, program_id: str, indicator: str | None = None
            ) -> list[dict[str, Any]]:
    """The program's indicator reports (one per indicator, period and area)."""
    query = select(Indicator).where(Indicator.program == program_id)
    if indicator is not None:
        query = query.where(Indicator.indicator == indicator)
    with snapshot(engine) as session:
        found = session.exec(query.order_by(col(Indicator.indicator), col(Indicator.period),
                                            col(Indicator.area))).all()
    return [row.model_dump() for row in found]


def proposals(engine: Engine, program_id: str) -> list[dict[str, Any]]:
    """The proposals that serve the program (``web.queries.filters.serving_program``)."""
    query = (select(*(getattr(Proposal, name) for name in PROPOSAL_FIELDS))
             .where(serving_program(program_id))
             .order_by(col(Proposal.submitted_at).desc(), col(Proposal.id)))
    with snapshot(engine) as session:
        found = session.execute(query).all()
    return [dict(zip(PROPOSAL_FIELDS, row, strict=True)) for row in found]


def commitments(engine: Engine, program_id: str, today: dt.date
                ) -> list[board_data.Commitment]:
    return board_data.rows(engine, board_data.BoardFilters(program=program_id), today)


def get_program(engine: Engine, program_id: str, today: dt.date) -> dict[str, Any] | None:
    """A program as the API shows it: its definition, each indicator's latest figure and
    progress, and the proposals and commitments serving it."""
    row = program_row(engine, program_id)
    if row is None:
        return None
    return {**row.model_dump(exclude={"version"}),
            "proposals": proposals(engine, program_id),
            "commitments": [dataclasses.asdict(c) for c in commitments(engine, program_id, today)]}


def indicator_series(engine: Engine, program_id: str, indicator: str
                     ) -> dict[str, Any] | None:
    """An indicator's definition and its figures by period (the city's, and each area's),
    with the reports they come from; None when the program does not define it."""
    row = program_row(engine, program_id)
    definition = next((i for i in (row.indicators if row else ()) if i["id"] == indicator), None)
    if row is None or definition is None:
        return None
    found = reports(engine, program_id, indicator)
    points = rules.progress_series(definition, found)
    return {"program": program_id, "indicator": definition, "series": points,
            "reports": [{**r, "area": r["area"] or None} for r in found]}


_NAMES = select(Program.id, Program.name)


def names(engine: Engine) -> dict[str, str]:
    """Program names by id, for every page that shows a program (on SQLite, read again
    only after a commit: ``read_rows``' reuse)."""
    return dict(read_rows(engine, _NAMES, {}, reuse=True))
