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
    Meeting,
    Node,
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
Comment = data_model("Comment", ProposalComment, drop=("proposal_id", "seq"),
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

#: the read API's answers, by the name they have in /openapi.json
ANSWERS: tuple[type[SQLModel], ...] = (Node_, ProposalSummary, Comment, ProposalThread,
                                       Commitment, MeetingRecord, MeetingSummary, ForumSummary,
                                       ForumRecord, TrackRecord, NodeProfile)
