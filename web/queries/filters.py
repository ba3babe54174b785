"""The filters of each list, one place per entity: which query parameter is which column.

The API's lists, the feeds and the open data all filter the same way; a filter that
is not given (None or empty) filters nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import col, or_, select

from services.readmodel.tables import ActionItem, Forum, Meeting, Node, Proposal

PROPOSAL: dict[str, Any] = {"forum": Proposal.forum_id, "status": Proposal.status,
                            "node": Proposal.node_id, "program": Proposal.program,
                            "subject": Proposal.id}
COMMITMENT: dict[str, Any] = {"owner": ActionItem.owner_node_id, "status": ActionItem.status,
                              "proposal": ActionItem.proposal_id,
                              "meeting": ActionItem.meeting_id, "subject": ActionItem.id}
MEETING: dict[str, Any] = {"forum": Meeting.forum_id, "node": Meeting.node_id,
                           "subject": Meeting.id}
FORUM: dict[str, Any] = {"program": Forum.program, "area": Forum.area}
NODE: dict[str, Any] = {"kind": Node.kind}


def whole_number(raw: str | None) -> int | None:
    """A whole number as typed in a URL or a form: ASCII digits, at most 18 of them (a
    ``"²"`` is a digit to ``str.isdigit`` and no number to ``int``: a 500, not a 400,
    where it was let through); None for anything else."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw)


def serving_program(program: str) -> Any:
    """The proposals serving ``program``: those naming it, and those without a program in
    a forum of the program (the board's rule, ``web.queries.board._place``)."""
    forums = select(Forum.id).where(Forum.program == program)
    return or_(col(Proposal.program) == program,
               col(Proposal.program).is_(None) & col(Proposal.forum_id).in_(forums))


def equal(columns: Mapping[str, Any], filters: Mapping[str, Any]) -> list[Any]:
    """``column == value`` for each filter given."""
    return [col(columns[name]) == value for name, value in filters.items() if value]
