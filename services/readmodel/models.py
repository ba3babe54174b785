"""Data models: what the API answers, made from the tables it reads.

The tables (``services.readmodel.tables``) are what the worker writes; an answer
shows some of a table's columns, and sometimes more (an item's ``overdue``, a thread's
comments). Each data model here is built from its table's fields, so a column added
to a table appears in the API's contract (``/openapi.json``) without being written
twice; SQLModel's own advice is to keep table models and data models apart.
"""

from __future__ import annotations

from typing import Any

from pydantic import create_model
from sqlmodel import Field, SQLModel

from services.readmodel.tables import (
    ActionItem,
    Forum,
    Indicator,
    Meeting,
    Node,
    Program,
    Proposal,
    ProposalComment,
)


def data_model(name: str, table: type[SQLModel], *, drop: tuple[str, ...] = (),
               extra: dict[str, Any] | None = None, doc: str = "") -> type[SQLModel]:
    """A data model named ``name`` with the fields of ``table`` but ``drop``, and ``extra``
    (field name -> ``(type, FieldInfo or default)``)."""
    fields: dict[str, Any] = {
        field: (info.annotation, Field(default=... if info.is_required() else info.default,
                                       description=info.description))
        for field, info in table.model_fields.items() if field not in drop}
    model: type[SQLModel] = create_model(name, __base__=SQLModel, __doc__=doc or None,
                                         **fields, **(extra or {}))
    return model


Node_ = data_model("Node", Node, doc="A node: an agency, an NGO or a community group; its "
                                     "contact only for a key with the read_private scope.")
Commitment = data_model(
    "Commitment", ActionItem, drop=("overdue_published",),
    extra={"overdue": (bool, Field(description="open and past its due date, in the city"))},
    doc="A commitment (action item): who owes what by when, and how far it is.")
ProposalSummary = data_model(
    "ProposalSummary", Proposal, drop=("status_history", "endorsers"),
    doc="A proposal as the lists show it.")
class Hidden(SQLModel):
    """Why and by whom a comment was hidden: its body is not shown (the log keeps it)."""

    reason: str
    node_id: str = Field(description="the node that hid it (its forum's convener)")
    at: str


Comment = data_model(
    "Comment", ProposalComment, drop=("proposal_id", "seq"),
    extra={"hidden": (Hidden | None, Field(
        default=None, description="set when the forum's moderators hid the comment: its "
                                  "body is then empty"))},
    doc="A comment on a proposal, or a reply to one.")
# (models made at run time: to the type checker, lists of them are lists of Any)
_comments: Any = list[Comment]  # type: ignore[valid-type]
_commitments: Any = list[Commitment]  # type: ignore[valid-type]
ProposalThread = data_model(
    "ProposalThread", Proposal,
    extra={"comments": (_comments, Field(description="in the order they came")),
           "action_items": (_commitments, ...)},
    doc="A proposal with its discussion and the commitments made for it.")
MeetingRecord = data_model("Meeting", Meeting, extra={"action_items": (_commitments, ...)},
                           doc="A meeting, its minutes and the commitments agreed there.")

MeetingSummary = data_model("MeetingSummary", Meeting, drop=("minutes",),
                            doc="A meeting as the lists show it: its minutes are the "
                                "meeting's own answer (has_minutes says if there are any).")
_meetings: Any = list[MeetingSummary]  # type: ignore[valid-type]
_proposal_count = (int, Field(description="proposals submitted to the forum"))
ForumSummary = data_model("ForumSummary", Forum, extra={"proposal_count": _proposal_count},
                          doc="A forum as the lists show it.")
ForumRecord = data_model(
    "Forum", Forum,
    extra={"proposal_count": _proposal_count,
           "proposals_by_status": (dict[str, int], Field(
               description="how many of its proposals have each status (every status named)")),
           "meeting_count": (int, Field(description="all its meetings, past and upcoming")),
           "upcoming_meetings": (_meetings, Field(
               description="the soonest first, at most 20 (all: /api/v1/meetings?forum=)")),
           "past_meetings": (_meetings, Field(description="the latest first, at most 20"))},
    doc="A forum, its proposals counted by status and its meetings.")


class TrackRecord(SQLModel):
    """A node's track record over the commitments it owns (cancelled ones left out), by
    the board's rules: overdue in the city's day, done on time by its due date."""

    committed: int
    done: int
    overdue: int
    on_time: int
    on_time_rate: float | None = Field(default=None,
                                       description="on_time / done; null until one is done")


NodeProfile = data_model(
    "NodeProfile", Node,
    extra={"commitments_by_status": (dict[str, int], Field(
               description="the commitments it owns, by status (every status named)")),
           "record": (TrackRecord | None, Field(
               description="null while it owns none (but cancelled ones)"))},
    doc="A node with its track record; contact only for a key with the read_private scope.")

class Latest(SQLModel):
    """An indicator's latest figure: the city's value for the latest period reported."""

    period: str
    value: float | None = None


class IndicatorFigure(SQLModel):
    """An indicator of a program: its definition, its latest figure and the progress made."""

    id: str
    name: str
    unit: str | None = None
    baseline: float | None = None
    target: float
    direction: str = Field(description="increase or decrease (lower is better)")
    areas: str = Field(description="how reports by area make the city's figure: sum or mean")
    latest: Latest | None = None
    progress: float | None = Field(
        default=None, description="(latest - baseline) / (target - baseline): 0 at the "
                                  "baseline, 1 at the target; null without a baseline or "
                                  "a report")


_figures: Any = list[IndicatorFigure]
ProgramSummary = data_model(
    "ProgramSummary", Program, drop=("indicators", "definitions", "defined_at", "version"),
    extra={"indicators": (_figures, ...)},
    doc="A program as the list shows it.")
ProgramProposal = data_model(
    "ProgramProposal", Proposal,
    drop=tuple(set(Proposal.model_fields) - {
        "id", "title", "status", "forum_id", "node_id", "author", "submitted_at", "updated_at",
        "endorsement_count", "comment_count", "budget_estimate"}),
    doc="A proposal serving a program.")


class ProgramCommitment(SQLModel):
    """A commitment serving a program, as the board shows it."""

    id: str
    title: str
    owner_node_id: str
    due_date: str
    status: str
    percent: int
    overdue: bool
    proposal_id: str | None = None
    proposal_title: str | None = None
    meeting_id: str | None = None
    forum_id: str | None = None
    program: str | None = None
    completed_at: str | None = None
    updated_at: str


ProgramRecord = data_model(
    "Program", Program, drop=("indicators", "version"),
    extra={"indicators": (_figures, ...),
           "proposals": (list[ProgramProposal], Field(  # type: ignore[valid-type]
               description="newest first: those naming the program, and those without one "
                           "in a forum of the program")),
           "commitments": (list[ProgramCommitment], Field(
               description="by due date: of its proposals, or agreed at its forums' meetings"))},
    doc="A program: its definition (and every earlier one), the latest figure and progress "
        "of each indicator, and what serves it.")


class SeriesPoint(SQLModel):
    period: str
    value: float | None = Field(default=None, description="the city's figure of the period")
    progress: float | None = None
    by_area: dict[str, float] = Field(description="the value reported for each area")


IndicatorReport = data_model("IndicatorReport", Indicator, drop=("version", "area"),
                             extra={"area": (str | None, None)},
                             doc="One report: the latest value for its period and area (null: "
                                 "city-wide).")


class IndicatorSeries(SQLModel):
    """An indicator's figures by period, oldest first, and the reports they come from."""

    program: str
    indicator: IndicatorFigure
    series: list[SeriesPoint]
    reports: list[IndicatorReport]  # type: ignore[valid-type]


class SearchHit(SQLModel):
    """A proposal, comment, meeting or commitment that search found, best first."""

    kind: str = Field(description="proposal, comment, meeting or commitment")
    id: str = Field(description="its id (a comment's, within its thread)")
    title: str = Field(description="a comment's is its thread's title")
    snippet: str = Field(description="HTML: the text around the matches, escaped, each match "
                                     "in <mark>")
    url: str = Field(description="the page that shows it (a comment: its thread, at the "
                                 "comment's anchor)")
    forum_id: str | None = Field(default=None, description="its forum (a comment's and a "
                                 "commitment's: its proposal's or meeting's)")
    node_id: str | None = Field(default=None, description="the node that wrote it; a "
                                "commitment's owner")
    status: str | None = Field(default=None, description="a proposal's or a commitment's; a "
                               "comment's thread's")
    at: str = Field(description="when it last changed")


#: the read API's answers, by the name they have in /openapi.json
ANSWERS: tuple[type[SQLModel], ...] = (Node_, ProposalSummary, Hidden, Comment, ProposalThread,
                                       Commitment, MeetingRecord, MeetingSummary, ForumSummary,
                                       ForumRecord, TrackRecord, NodeProfile, Latest,
                                       IndicatorFigure, ProgramSummary, ProgramProposal,
                                       ProgramCommitment, ProgramRecord, SeriesPoint,
                                       IndicatorReport, IndicatorSeries, SearchHit)
